"""The benchmarks under ``benchmarks/`` run, on a small scale, and say what they measured.

Each runs in its own process (the throughput benchmark pins BLAS and OpenMP to one thread for the
whole process).  Nothing here times anything: the benchmarks print ratios against baselines they
measure in the same run, and these tests check that those lines are there and that the scoring and
detection behind them hold, not how fast this machine is.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, *args: str, timeout_s: float = 300.0) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_throughput_prints_every_rate_ratio_and_finds_the_scenes_bursts() -> None:
    out = _run("throughput.py", "--seconds", "1", "--repeat", "1")
    rates = dict(re.findall(r"^  (read|fft|welch|psd|pipeline)\s+([\d.]+) MS/s", out, re.M))
    assert set(rates) == {"read", "fft", "welch", "psd", "pipeline"}
    assert all(float(v) > 0 for v in rates.values())
    for ratio in ("pipeline / welch", "pipeline / bare fft", "psd (STFT + mean spectrum only) / welch"):
        assert ratio in out
    mem = re.search(r"peak traced memory: 1 s -> ([\d.]+) MB, 2 s -> ([\d.]+) MB", out)
    assert mem is not None
    assert float(mem.group(2)) <= 1.2 * float(mem.group(1))  # twice the length, not twice the memory
    # The scene holds 4 GSM access bursts, 4 PRACH and 4 one-ms PUSCH bursts per second, and a CW
    # spur 850 kHz below the 900 MHz centre: what the pipeline timed must have found them.
    found = re.search(r"found (\d+) bursts, (\d+) emitters", out)
    assert found is not None
    assert int(found.group(1)) >= 12
    emitters = re.findall(r"^\s+([\d.]+) MHz\s+([\d.]+) kHz (\w+)\s+n=\s*(\d+)", out, re.M)
    by_tech = {tech: (float(f), int(n)) for f, _, tech, n in emitters if tech in ("cw", "gsm")}
    assert abs(by_tech["gsm"][0] - 899.55) < 0.02
    assert by_tech["gsm"][1] == 4
    assert abs(by_tech["cw"][0] - 899.15) < 0.01
    lte = sorted(float(f) for f, _, tech, _ in emitters if tech == "lte")
    assert len(lte) == 2
    assert abs(lte[0] - 899.9) < 0.03
    assert abs(lte[1] - 900.5) < 0.05


def test_detection_benchmark_scores_its_scenes_consistently(tmp_path: Path) -> None:
    out_json = tmp_path / "det.json"
    out = _run("detection.py", "--scenes", "4", "--quiet-s", "10", "--workers", "1", "--json", str(out_json))
    assert "Summary (target)" in out
    assert "false uplink emitters, quiet scenes" in out
    doc = json.loads(out_json.read_text())
    results, summary = doc["results"], doc["summary"]
    assert [r["kind"] for r in results] == ["uplink"] * 4 + ["quiet"] * 2
    truths = [(r, t) for r in results for t in r.get("truth", [])]
    detected = [t for _, t in truths if t["detected"]]
    assert detected, "the four scenes' emitters are all missed"
    # The summary is the count of the per-truth records (not numbers of its own).
    assert summary["tech_correct"] == [sum(t["tech_ok"] for t in detected), len(detected)]
    assert summary["tech_correct_twins"][0] >= summary["tech_correct"][0]
    uplinks = [t for t in detected if t["link"] == "uplink"]
    assert summary["link_correct"] == [sum(t["link_ok"] for t in uplinks), len(uplinks)]
    single_10 = [t for r, t in truths if r["single"] and t["snr_db"] >= 10 and t["link"] == "uplink"]
    assert summary["single_uplink_ge10db"] == [sum(t["detected"] for t in single_10), len(single_10)]
    quiet = [r for r in results if r["kind"] == "quiet"]
    assert summary["false_uplink"]["count"] == sum(len(r["false_uplinks"]) for r in quiet)
    assert summary["false_uplink"]["hours"] == pytest.approx(10 / 3600)
    # Scored against the simulator's truth: every emitter of these scenes is found and named.
    assert all(t["detected"] and t["tech_ok"] and t["link_ok"] for _, t in truths)


def test_sweep_benchmark_runs_all_three_parts() -> None:
    out = _run("sweep.py", "--minutes", "0.02", "--passes", "2", "--skip-tcp-sweep")
    for part in ("== 1. per-hop overhead", "== 2. revisit per band", "== 3. keep-up"):
        assert part in out
    assert re.search(r"sim:// uplink-eu: \d+ hops", out)
    assert re.search(r"with detection: dropped \d+", out)
