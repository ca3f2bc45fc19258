"""Checked-in IQ fixtures: readable, regenerated bit-exactly from their seeds, detected correctly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rfscan.dsp import analyze_blocks
from rfscan.iq import open_recording
from rfscan.sim import simulate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "iq"


def test_gsm_rach_fixture_regenerates_bit_exactly(tmp_path):
    meta = FIXTURES / "gsm-rach.sigmf-meta"
    regenerated = simulate("gsm-rach", tmp_path / "gsm-rach", duration_s=0.5)
    stored = json.loads(meta.read_text())["global"]["core:sha512"]
    fresh = json.loads(regenerated.read_text())["global"]["core:sha512"]
    assert stored == fresh
    with open_recording(meta) as a, open_recording(regenerated) as b:
        assert a.num_samples == b.num_samples == 1_200_000
        np.testing.assert_array_equal(a.read(0, a.num_samples), b.read(0, b.num_samples))


def test_gsm_rach_fixture_burst_is_detected_where_the_truth_says():
    with open_recording(FIXTURES / "gsm-rach.sigmf-meta") as rec:
        (truth,) = [a for a in rec.annotations if a.extra.get("modemhunt:truth")]
        analysis = analyze_blocks(rec.blocks(), rec.sample_rate_hz)
        rate = rec.sample_rate_hz
    assert truth.freq_lower_edge_hz is not None
    assert truth.freq_upper_edge_hz is not None
    t0 = truth.sample_start / rate
    hits = [
        b
        for b in analysis.bursts
        if truth.freq_lower_edge_hz - 50e3 <= b.freq_hz <= truth.freq_upper_edge_hz + 50e3
        and abs(b.start_s - t0) < 0.001
    ]
    assert len(hits) == 1
    assert abs(hits[0].duration_s - truth.sample_count / rate) < 0.1e-3
