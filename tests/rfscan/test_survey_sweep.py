"""End-to-end sweeps over sim:// and over rtl_tcp, recording, several dongles, faults and signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from rfscan.cli import main
from rfscan.sources.rtltcp_server import RtlTcpSimServer

# GSM call on ARFCN 37 (UL 890 + 0.2 * 37 = 897.4 MHz, TS 45.005) and an LTE PUSCH of 6 RBs in a
# 10 MHz B20 carrier at 847 MHz (RB n starts at 842.5 + 0.18 n MHz: RBs 10-15 = 844.3-845.38 MHz).
SCENE = """
[scene]
name = "survey-test"
seed = 11
duration_s = 600.0
center_hz = 840e6
sample_rate_hz = 2.4e6
noise_dbfs = -45.0
region = "eu"

[dongle]
tuner = "R820T"
gain_db = 30.0

[[emitter]]
kind = "gsm_uplink"
id = "gsm-modem"
freq_hz = 897.4e6
snr_db = 20.0
timeslots = [3]
start_s = 0.0
duration_s = 600.0

[[emitter]]
kind = "lte_pusch"
id = "lte-modem"
freq_hz = 847.0e6
bandwidth_mhz = 10
rb_start = 10
n_rb = 6
snr_db = 15.0
start_s = 0.0
duration_s = 600.0
subframe_period = 5
"""
GSM_HZ = 897.4e6
#: The paced simulated server runs in this process, a thread beside the client and the analysis: on a
#: loaded machine (a CI runner, or the benchmarks beside) it can fall behind the client's view of the
#: stream by more than the default 20 ms latency margin, as a server on its own Pi does not, and a
#: dwell then holds the previous hop's samples (seen 2 runs in 3 with two busy cores).  The retune rule
#: itself is tested with the default margin in test_rtltcp_retune.py; these sweeps allow 0.1 s.
IN_PROCESS_MARGIN = "?latency_margin_s=0.1"
LTE_LO_HZ, LTE_HI_HZ = 844.3e6, 845.38e6


@pytest.fixture
def scene(tmp_path: Path) -> Path:
    p = tmp_path / "scene.toml"
    p.write_text(SCENE)
    return p


def _found(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    gsm = [e for e in doc["emitters"] if abs(e["freq_hz"] - GSM_HZ) < 60e3]
    lte = [e for e in doc["emitters"] if LTE_LO_HZ - 100e3 < e["freq_hz"] < LTE_HI_HZ + 100e3]
    assert len(gsm) == 1, doc["emitters"]
    assert len(lte) == 1, doc["emitters"]
    return gsm[0], lte[0]


def _check_emitters(doc: dict[str, Any]) -> None:
    gsm, lte = _found(doc)
    assert gsm["tech"] == "gsm"
    assert gsm["link"] == "uplink"
    assert gsm["band"] in ("P-GSM900", "E-GSM900", "R-GSM900")
    assert gsm["channel"] == 37
    assert lte["tech"] == "lte"
    assert lte["link"] == "uplink"
    assert lte["band"] == "B20"
    for e in (gsm, lte):
        assert e["first_utc"].endswith("Z")
        assert e["last_utc"] >= e["first_utc"]
        assert e["burst_count"] >= 2


def _plan_for(src: Any, spans: Any, **kw: Any) -> Any:
    """The hop plan a sweep makes for one open source (its tuner's reach, retune time and transfers)."""
    from rfscan.survey.engine import source_hop_quantum_s, source_overhead_s
    from rfscan.survey.plan import plan_hops

    return plan_hops(
        spans,
        2.4e6,
        tuner_ranges_hz=src.tuner.ranges_hz,
        settle_s=source_overhead_s(src),
        hop_quantum_s=source_hop_quantum_s(src),
        **kw,
    )


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_sweep_sim_uplink_eu_finds_both_modems_and_revisits_within_2_s(
    scene: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep.json"
    html = tmp_path / "sweep.html"
    rc = main(
        [
            "sweep",
            "--source",
            f"sim://{scene}",
            "--bands",
            "uplink-eu",
            "--passes",
            "2",
            "--json",
            str(out),
            "--html",
            str(html),
            "-q",
        ]
    )
    assert rc == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == "modemhunt.sweep/1"
    assert doc["complete"] is True
    _check_emitters(doc)
    cov = doc["coverage"]
    rows = {b["band"]: b for b in cov["bands"]}
    assert {"B20", "B28", "B72", "E-GSM900", "DCS1800", "B3"} <= rows.keys()
    for b in cov["bands"]:
        assert b["visits"] == 2
        assert b["revisit_s"] is not None, b
        assert b["revisit_s"] <= 2.0 + 1e-6, b
        assert 0 < b["watched_s"] <= cov["run_s"]
        assert b["intercept"]
        assert b["fraction_of_run"] == pytest.approx(b["watched_s"] / cov["run_s"])
    assert {"B1", "B7", "B3"} <= {u["band"] for u in doc["plan"]["unreachable"]}
    assert doc["faults"]["dropped_samples"] == 0
    assert doc["faults"]["errors"] == []
    assert doc["source"][0]["driver"] == "sim"
    assert doc["source"][0]["rate_hz"] == 2.4e6
    # stitched max-hold spans every hop's usable window
    spec = doc["spectrum"]
    assert len(spec["freqs_hz"]) == len(spec["max_dbfs"]) > 0
    # the event log has every burst of the report, with UTC
    events = _read_jsonl(tmp_path / "sweep.events.jsonl")
    bursts = [e for e in events if e["event"] == "burst"]
    assert len(bursts) == doc["summary"]["bursts"]
    assert all(b["utc"].endswith("Z") for b in bursts)
    assert events[0]["event"] == "start"
    assert events[-1]["event"] == "end"
    # each dwell is analysed on its own: no burst outlasts a dwell (never merged across hops)
    dwell_s = doc["plan"]["dwell_samples"] / 2.4e6
    assert max(b["duration_s"] for b in doc["bursts"]) <= dwell_s + 1e-9
    text = html.read_text()
    assert "B20" in text
    assert "<script" not in text
    assert "GSM uplink emitter" in capsys.readouterr().out


def test_sweep_over_rtl_tcp_finds_both_modems(scene: Path, tmp_path: Path) -> None:
    out = tmp_path / "tcp.json"
    with RtlTcpSimServer(scene, speed=None, sample_rate_hz=2.4e6) as srv:
        rc = main(
            ["sweep", "--source", srv.url, "--bands", "B20,GSM900", "--passes", "2", "--json", str(out), "-q"]
        )
    assert rc == 0
    doc = json.loads(out.read_text())
    _check_emitters(doc)
    assert doc["source"][0]["driver"] == "rtltcp"
    # the plan knows a hop over rtl_tcp costs at least one whole USB transfer (262144 bytes)
    assert doc["plan"]["settle_s"] + doc["plan"]["dwell_s"] >= 262144 / 2 / 2.4e6 - 1e-9


def test_paced_rtl_tcp_sweep_reports_emitters_at_their_true_frequency(scene: Path, tmp_path: Path) -> None:
    """Real-time server: no dwell may hold the previous hop's samples (a signal at a false frequency)."""
    out = tmp_path / "paced.json"
    with RtlTcpSimServer(scene, speed=1.0, sample_rate_hz=2.4e6) as srv:
        url = srv.url + IN_PROCESS_MARGIN
        rc = main(["sweep", "--source", url, "--bands", "B20", "--passes", "2", "--json", str(out), "-q"])
    assert rc == 0
    doc = json.loads(out.read_text())
    assert [e["band"] for e in doc["emitters"]] == ["B20"]
    for b in doc["bursts"]:  # every burst lies on the PUSCH allocation
        assert LTE_LO_HZ - 60e3 <= b["freq_hz"] - b["bandwidth_hz"] / 2
        assert b["freq_hz"] + b["bandwidth_hz"] / 2 <= LTE_HI_HZ + 60e3
    assert doc["faults"]["dropped_samples"] == 0


def test_two_dongles_share_the_plan_and_record_sigmf(scene: Path, tmp_path: Path) -> None:
    from rfscan.iq import open_recording

    out = tmp_path / "two.json"
    rec = tmp_path / "rec"
    rc = main(
        [
            "sweep",
            "--source",
            f"sim://{scene}?seed=1",
            "--source",
            f"sim://{scene}?seed=2",
            "--bands",
            "B20,GSM900",
            "--passes",
            "1",
            "--json",
            str(out),
            "--record",
            str(rec),
            "-q",
        ]
    )
    assert rc == 0
    doc = json.loads(out.read_text())
    _check_emitters(doc)
    shares = doc["plan"]["hops_per_source"]
    assert len(shares) == 2
    assert sorted(shares[0] + shares[1]) == list(range(doc["plan"]["hop_count"]))
    metas = sorted(rec.glob("*.sigmf-meta"))
    assert len(metas) == 2
    centres = set()
    for m in metas:
        with open_recording(m) as r:
            assert len(r.captures) == len(shares[int(m.name.split("source")[1][0])])
            assert r.num_samples == len(r.captures) * doc["plan"]["dwell_samples"]
            centres |= {c.center_hz for c in r.captures}
    assert centres == {h["center_hz"] for h in doc["plan"]["hops"]}


def test_killed_server_leaves_partial_report_and_intact_log(
    scene: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "killed.json"
    with RtlTcpSimServer(scene, speed=None, sample_rate_hz=2.4e6) as srv:
        timer = threading.Timer(1.5, srv.close)
        timer.start()
        t0 = time.monotonic()
        rc = main(
            [
                "sweep",
                "--source",
                f"{srv.url}?reconnect_tries=2&reconnect_backoff_s=0.05",
                "--bands",
                "B20,GSM900",
                "--duration",
                "600",
                "--json",
                str(out),
                "-q",
            ]
        )
        timer.join()
    assert rc == 4
    assert time.monotonic() - t0 < 30
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("rfscan: error: sweep stopped:")
    assert "reconnect" in err
    doc = json.loads(out.read_text())
    assert doc["complete"] is False
    assert doc["error"]
    assert doc["faults"]["errors"]
    assert doc["timing"]["dwells"] > 0
    events = _read_jsonl(tmp_path / "killed.events.jsonl")
    assert events[-1]["event"] == "end"
    assert events[-1]["complete"] is False
    assert sum(e["event"] == "burst" for e in events) == doc["summary"]["bursts"] > 0


def test_stalled_server_gives_a_clear_error_within_a_bound(
    scene: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "stall.json"
    with RtlTcpSimServer(scene, speed=None, sample_rate_hz=2.4e6, stall_after_s=0.8) as srv:
        t0 = time.monotonic()
        rc = main(
            [
                "sweep",
                "--source",
                f"{srv.url}?timeout_s=0.5&reconnect_backoff_s=0.05",
                "--bands",
                "B20",
                "--duration",
                "600",
                "--json",
                str(out),
                "-q",
            ]
        )
        elapsed = time.monotonic() - t0
    assert rc == 4
    assert elapsed < 20
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "stalled" in err
    doc = json.loads(out.read_text())
    assert doc["complete"] is False
    assert doc["faults"]["reconnects"] >= 1


def test_garbage_header_is_a_clear_error(
    scene: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with RtlTcpSimServer(scene, speed=None, garbage_header=True) as srv:
        rc = main(["sweep", "--source", srv.url, "--bands", "B20", "--json", str(tmp_path / "g.json"), "-q"])
    assert rc == 4
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "not an rtl_tcp server" in err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_leaves_a_valid_report(scene: Path, tmp_path: Path, signum: int) -> None:
    out = tmp_path / "int.json"
    log = tmp_path / "int.events.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rfscan",
            "sweep",
            "--source",
            f"sim://{scene}",
            "--bands",
            "B20,GSM900",
            "--duration",
            "3000",
            "--json",
            str(out),
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if log.exists() and '"burst"' in log.read_text():
                break
            time.sleep(0.1)
        else:
            pytest.fail("no burst logged within 60 s")
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    doc = json.loads(out.read_text())
    assert doc["complete"] is False
    assert doc["interrupted"] is True
    assert doc["coverage"]["bands"]
    events = _read_jsonl(log)
    assert events[-1]["event"] == "end"


def test_quiet_sweep_states_its_coverage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No uplink in the scene: the verdict says so only together with what was watched."""
    out = tmp_path / "quiet.json"
    rc = main(
        [
            "sweep",
            "--source",
            "sim://quiet-uplink",
            "--bands",
            "B20,GSM900",
            "--passes",
            "1",
            "--json",
            str(out),
            "-q",
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "No cellular uplink seen" in text
    assert "B20 uplink: watched" in text
    doc = json.loads(out.read_text())
    assert doc["summary"]["uplink_emitters"] == 0
    assert all(b["intercept"] for b in doc["coverage"]["bands"])


@pytest.mark.hardware("rtlsdr")
def test_sweep_on_a_real_dongle(tmp_path: Path) -> None:
    out = tmp_path / "hw.json"
    rc = main(
        [
            "sweep",
            "--source",
            "rtlsdr://0",
            "--bands",
            "B20,GSM900",
            "--passes",
            "2",
            "--json",
            str(out),
            "-q",
        ]
    )
    assert rc == 0
    doc = json.loads(out.read_text())
    assert doc["source"][0]["driver"] == "rtlsdr"
    assert all(b["visits"] == 2 for b in doc["coverage"]["bands"])
    assert "dropped_samples" in doc["faults"]


def test_slow_analysis_drops_rtl_tcp_dwells_instead_of_stalling_the_stream(scene: Path) -> None:
    """An rtl_tcp reader that waited for a slow analysis would let the server queue transfers, and
    no quiet moment would then mark the live edge: the reader drops the dwells it cannot queue, the
    dropped ones are counted and not counted as watched, and every burst still lies on its modem."""
    from rfscan.sources import open_source
    from rfscan.survey.engine import SurveyEngine
    from rfscan.survey.plan import resolve_spans

    class SlowObserver:
        def dwell(self, hop: Any, pass_index: int, t_s: float, spectra: Any, bursts: Any) -> None:
            time.sleep(0.25)  # analysis far slower than the 54.6 ms hops

        def tick(self) -> None:
            return None

    with (
        RtlTcpSimServer(scene, speed=1.0, sample_rate_hz=2.4e6) as srv,
        open_source(srv.url + IN_PROCESS_MARGIN) as src,
    ):
        spans, _ = resolve_spans("B20", None)
        plan = _plan_for(src, spans)
        engine = SurveyEngine([src], plan, region="eu", passes=4, observer=SlowObserver())
        engine.run()
    faults = engine.fault_doc()
    assert faults["dwells_unanalysed"] > 0
    assert engine.dwells + faults["dwells_unanalysed"] == 4 * len(plan.hops)
    assert sum(st.visits for st in engine.hops.values()) == engine.dwells
    for rec in engine.bursts:
        b = rec.burst
        assert LTE_LO_HZ - 60e3 <= b.freq_hz - b.bandwidth_hz / 2
        assert b.freq_hz + b.bandwidth_hz / 2 <= LTE_HI_HZ + 60e3


def test_a_spur_where_two_hops_overlap_is_always_on_not_a_modem(tmp_path: Path) -> None:
    """crane-cabinet's PLC clock spur (CW at 896.1 MHz) lies where two hops' captures overlap; only
    one hop keeps its bursts, so only that hop's watch time counts, and a visit that finds it on for
    the whole dwell finds it always on: never a narrow cellular uplink emitter."""
    out = tmp_path / "spur.json"
    rc = main(
        [
            "sweep",
            "--source",
            "sim://crane-cabinet",
            "--bands",
            "uplink-eu",
            "--passes",
            "3",
            "--json",
            str(out),
            "-q",
        ]
    )
    assert rc == 0
    doc = json.loads(out.read_text())
    near = [e for e in doc["emitters"] if abs(e["freq_hz"] - 896.1e6) < 100e3]
    assert near, [(e["freq_hz"], e["tech"]) for e in doc["emitters"]]
    cellular = {"gsm", "lte", "nbiot", "ltem", "umts", "nr"}
    assert not [e for e in near if e["tech"] in cellular], [(e["tech"], e["reason"]) for e in near]
    assert any(e["tech"] == "cw" for e in near if e["burst_count"] >= 2), [
        (e["tech"], e["burst_count"], e["reason"]) for e in near
    ]


# Six weak GSM access bursts (7 dB) on ARFCN 47 of P-GSM900; with ``ARCING`` appended, arcing clicks
# over the whole capture.
WEAK_RACH_SCENE = """
[scene]
name = "weak-rach"
seed = 3
duration_s = 2.0
center_hz = 900e6
sample_rate_hz = 2.4e6
noise_dbfs = -45.0
region = "eu"

[[emitter]]
kind = "gsm_rach"
id = "rach"
freq_hz = 899.4e6
snr_db = 7.0
times_s = [0.05, 0.33, 0.61, 0.95, 1.27, 1.61]
"""
ARCING = """
[[emitter]]
kind = "impulse"
id = "arcing"
freq_hz = 900e6
snr_db = 32.0
rate_hz = 1500.0
periodic = false
click_s = 4e-6
"""


@pytest.mark.parametrize("arcing", [False, True])
def test_survey_emitters_know_which_dwells_were_full_of_clicks(tmp_path: Path, arcing: bool) -> None:
    """Each dwell is analysed apart and the survey builds its emitters from all their bursts: the
    clicks flag travels with each burst, so weak short bursts seen in dwells full of clicks (what
    clicks too weak to be found leave) are reported unnamed in the survey too, as ``analyze`` does.
    Without the clicks the same weak access bursts are named GSM."""
    from rfscan.sources import open_source
    from rfscan.survey.engine import SurveyEngine
    from rfscan.survey.plan import RequestedSpan

    scene = tmp_path / "scene.toml"
    scene.write_text(WEAK_RACH_SCENE + (ARCING if arcing else ""))
    with open_source(f"sim://{scene}") as src:
        spans = [RequestedSpan(name="ARFCN 47", link="uplink", low_hz=899.2e6, high_hz=899.6e6)]
        plan = _plan_for(src, spans, dwell_s=0.25)
        engine = SurveyEngine([src], plan, region="eu", passes=6)
        engine.run()
    near = [r.burst for r in engine.bursts if abs(r.burst.freq_hz - 899.4e6) < 100e3]
    assert len(near) >= 3, [(b.start_s, b.freq_hz, b.snr_db) for b in near]
    assert all(b.snr_db < 8.0 for b in near)
    assert all(b.in_clicks == arcing for b in near)
    docs, _ = engine.emitters()
    (e,) = [d for d in docs if abs(d["freq_hz"] - 899.4e6) < 100e3]
    if arcing:
        assert e["tech"] == "unknown"
        assert "capture full of clicks" in e["reason"]
    else:
        assert e["tech"] == "gsm", e["reason"]
