"""The dsp pipeline against the scene simulator's ground truth (rfscan.sim)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

sim = pytest.importorskip("rfscan.sim")

from rfscan.dsp import Analysis, analyze_blocks  # noqa: E402


def _run(name: str, seconds: float | None = None) -> tuple[object, Analysis, list[object], float]:
    scene = sim.load_scene(name)
    fs = scene.sample_rate_hz
    n = int((seconds or scene.duration_s) * fs)
    x = sim.quantize(sim.SceneRenderer(scene).render(0, n))
    b = 1 << 17
    blocks = [
        SimpleNamespace(samples=x[i : i + b], sample_start=i, center_hz=scene.center_hz, sample_rate_hz=fs)
        for i in range(0, n, b)
    ]
    a = analyze_blocks(blocks, fs)
    truth = sim.ground_truth(scene, t_to=n / fs)
    ppm_shift = scene.center_hz * scene.dongle.ppm * 1e-6  # the dongle's LO error moves every signal
    return scene, a, truth, ppm_shift


def _matches(b: object, t: object, shift: float) -> bool:
    tol = max(20e3, 0.25 * t.bandwidth_hz)  # type: ignore[attr-defined]
    return bool(
        b.start_s < t.end_s + 2e-4  # type: ignore[attr-defined]
        and t.start_s < b.start_s + b.duration_s + 2e-4  # type: ignore[attr-defined]
        and abs(b.freq_hz + shift - t.center_hz) <= tol  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize(
    ("name", "techs"),
    [
        ("gsm-rach", {"gsm"}),
        ("lte-prach", {"lte"}),
        ("quiet-uplink", {"cw"}),
        ("nbiot", {"nbiot"}),
        ("crane-cabinet", {"cw", "lte"}),
    ],
)
def test_every_truth_burst_is_found_and_nothing_else(name: str, techs: set[str]) -> None:
    _, a, truth, shift = _run(name)
    assert truth
    bursts = list(a.bursts)
    for t in truth:
        assert any(_matches(b, t, shift) for b in bursts), f"{name}: missed {t}"
    for b in bursts:
        assert any(_matches(b, t, shift) for t in truth), f"{name}: false burst {b}"
    assert {e.tech for e in a.emitters} == techs


def test_crane_cabinet_periods_and_timing() -> None:
    _, a, truth, shift = _run("crane-cabinet")
    by_id: dict[str, list[object]] = {}
    for t in truth:
        by_id.setdefault(t.emitter, []).append(t)  # type: ignore[attr-defined]
    for tid, ts in by_id.items():
        if len(ts) < 5:
            continue
        starts = np.array([t.start_s for t in ts])  # type: ignore[attr-defined]
        true_period = float(np.median(np.diff(starts)))
        centre = float(np.median([t.center_hz for t in ts]))  # type: ignore[attr-defined]
        e = min(a.emitters, key=lambda e: abs(e.freq_hz + shift - centre))
        assert e.burst_count == len(ts), tid
        assert e.period_s == pytest.approx(true_period, rel=0.01), tid
        got = np.sort([b.start_s for b in a.bursts if b.emitter == a.emitters.index(e)])
        err = np.abs(got - np.sort(starts))
        assert np.median(err) <= 20e-6, tid
        assert np.all(err <= 1.5 * 256 / 2.4e6), tid
