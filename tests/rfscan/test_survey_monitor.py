"""``rfscan monitor`` logs bursts incrementally and snapshots; ``rfscan locate`` follows the level."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rfscan.cli import main
from rfscan.survey.locate import LevelMeter, bar, format_reading, locate_centre

# A GSM call on ARFCN 37 (897.4 MHz uplink), on for the whole run.
MONITOR_SCENE = """
[scene]
name = "monitor-test"
seed = 5
duration_s = 600.0
center_hz = 897e6
sample_rate_hz = 2.4e6
noise_dbfs = -45.0
region = "eu"

[[emitter]]
kind = "gsm_uplink"
id = "gsm-modem"
freq_hz = 897.4e6
snr_db = 20.0
timeslots = [2]
start_s = 0.0
duration_s = 600.0
"""

# The same phone far away (8 dB SNR) for 1 s, then close (30 dB SNR): +22 dB.
LOCATE_SCENE = """
[scene]
name = "locate-test"
seed = 3
duration_s = 4.0
center_hz = 897e6
sample_rate_hz = 2.4e6
noise_dbfs = -45.0
region = "eu"

[[emitter]]
kind = "gsm_uplink"
id = "far"
freq_hz = 897.4e6
snr_db = 8.0
timeslots = [3]
start_s = 0.0
duration_s = 1.0

[[emitter]]
kind = "gsm_uplink"
id = "near"
freq_hz = 897.4e6
snr_db = 30.0
timeslots = [3]
start_s = 1.0
duration_s = 1.0
"""


def test_monitor_logs_bursts_while_running_and_snapshots(tmp_path: Path) -> None:
    scene = tmp_path / "scene.toml"
    scene.write_text(MONITOR_SCENE)
    out = tmp_path / "mon.json"
    log = tmp_path / "mon.events.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rfscan",
            "monitor",
            "--source",
            f"sim://{scene}?realtime=1",
            "--freq",
            "897.4M",
            "--duration",
            "6s",
            "--dwell",
            "0.5",
            "--snapshot",
            "1",
            "--json",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    seen_running = 0
    snapshot_running = False
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if log.exists():
                lines = log.read_text().splitlines()
                complete = [json.loads(x) for x in lines if x.endswith("}")]
                seen_running = max(seen_running, sum(e["event"] == "burst" for e in complete))
            if out.exists() and proc.poll() is None:
                snap = json.loads(out.read_text())  # atomic: always a whole document
                snapshot_running = snapshot_running or snap["complete"] is False
            time.sleep(0.1)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    events = [json.loads(x) for x in log.read_text().splitlines()]
    total = sum(e["event"] == "burst" for e in events)
    # bursts were on disk while the monitor still ran, before the final report
    assert 0 < seen_running <= total
    assert snapshot_running
    doc = json.loads(out.read_text())
    assert doc["schema"] == "modemhunt.monitor/1"
    assert doc["complete"] is True
    gsm = [e for e in doc["emitters"] if abs(e["freq_hz"] - 897.4e6) < 60e3]
    assert len(gsm) == 1
    assert gsm[0]["link"] == "uplink"
    assert gsm[0]["tech"] == "gsm"
    # one timeslot per 4.615 ms TDMA frame (TS 45.002), idle frame 25 of 26 skipped
    watched = doc["coverage"]["bands"][0]["watched_s"]
    expected = watched / 4.615e-3 * 25 / 26
    assert 0.8 * expected <= gsm[0]["burst_count"] <= 1.05 * expected
    assert "new emitter 897." in err.decode()


def test_locate_reports_a_rising_level(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scene = tmp_path / "loc.toml"
    scene.write_text(LOCATE_SCENE)
    out = tmp_path / "loc.jsonl"
    rc = main(
        [
            "locate",
            "--source",
            f"sim://{scene}",
            "--freq",
            "897.4M",
            "--duration",
            "2",
            "--interval",
            "0.25",
            "--window",
            "0.5",
            "--json",
            str(out),
        ]
    )
    assert rc == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    early = [r["mean_dbfs"] for r in rows if r["t_s"] <= 1.0 and r["mean_dbfs"] is not None]
    late = [r["mean_dbfs"] for r in rows if 1.6 <= r["t_s"] <= 2.05 and r["mean_dbfs"] is not None]
    assert early
    assert late
    assert min(late) - max(early) >= 15.0  # 22 dB more SNR
    assert any(r["trend"] == "up" and r["stronger"] for r in rows)
    text = capsys.readouterr().err
    assert "^ rising" in text
    assert "STRONGER" in text


def test_level_meter_and_bar() -> None:
    class B:
        def __init__(self, t: float, f: float, p: float) -> None:
            self.start_s, self.freq_hz, self.peak_dbfs = t, f, p

    m = LevelMeter(897.4e6, 200e3, window_s=1.0)
    r1 = m.update(0.5, "x", [B(0.1, 897.4e6, -40.0), B(0.2, 897.4e6, -40.0), B(0.2, 899e6, 0.0)])
    assert r1.bursts == 2
    assert r1.peak_dbfs == -40.0
    assert r1.mean_dbfs == pytest.approx(-40.0)
    r2 = m.update(2.0, "x", [B(1.8, 897.4e6, -20.0)])
    assert r2.trend == "up"
    assert r2.stronger
    assert r2.mean_dbfs == pytest.approx(-20.0)
    r3 = m.update(4.0, "x", [])
    assert r3.mean_dbfs is None
    assert r3.trend == "none"
    assert bar(-35.0, low_dbfs=-70, high_dbfs=0, width=10) == "[#####.....]"
    assert "\a" in format_reading(r2, bell=True)
    assert "\a" not in format_reading(r2, bell=False)
    c = locate_centre(897.4e6, 2.4e6)
    assert abs(c - 897.4e6) >= 0.2 * 2.4e6
    assert abs(c - 897.4e6) <= 0.4 * 2.4e6
