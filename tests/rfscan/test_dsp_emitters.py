"""Emitters: grouping, period (GSM 4.615 ms, LTE 1/5/10 ms), duty cycle, always-on signals, PUCCH pairs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from dsp_signals import (
    FS,
    GSM_FRAME_S,
    GSM_NORMAL_S,
    GSM_SLOT_S,
    NOISE_DBFS,
    add_band_noise,
    add_gmsk_burst,
    add_tone,
    analyze,
    awgn,
)

from rfscan.dsp import estimate_period
from rfscan.dsp.detect import Burst
from rfscan.dsp.emitters import group_by_frequency

EMITTER_KEYS = {
    "freq_hz",
    "bandwidth_hz",
    "tech",
    "burst_count",
    "first_s",
    "last_s",
    "duty_cycle",
    "period_s",
    "peak_dbfs",
    "snr_db",
}
BURST_KEYS = {"start_s", "duration_s", "freq_hz", "bandwidth_hz", "peak_dbfs", "snr_db", "emitter"}


def test_gsm_single_slot_period_and_duty() -> None:
    rng = np.random.default_rng(1)
    x = awgn(int(0.3 * FS), NOISE_DBFS, rng)
    for k in range(50):
        add_gmsk_burst(x, rng, start_s=0.02 + k * GSM_FRAME_S, offset_hz=-400e3, snr_db=15)
    a = analyze(x)
    assert len(a.emitters) == 1  # type: ignore[attr-defined]
    e = a.emitters[0]  # type: ignore[attr-defined]
    assert e.burst_count == 50
    assert e.period_s == pytest.approx(GSM_FRAME_S, rel=0.005)
    assert e.duty_cycle == pytest.approx(GSM_NORMAL_S / GSM_FRAME_S, rel=0.15)
    assert e.freq_hz == pytest.approx(900e6 - 400e3, abs=10e3)
    assert e.first_s == pytest.approx(0.02, abs=50e-6)


def test_gsm_two_slots_per_frame_period_is_the_frame() -> None:
    rng = np.random.default_rng(2)
    x = awgn(int(0.3 * FS), NOISE_DBFS, rng)
    for k in range(40):
        for slot in (0, 3):
            add_gmsk_burst(
                x, rng, start_s=0.02 + k * GSM_FRAME_S + slot * GSM_SLOT_S, offset_hz=300e3, snr_db=15
            )
    a = analyze(x)
    assert len(a.emitters) == 1  # type: ignore[attr-defined]
    assert a.emitters[0].period_s == pytest.approx(GSM_FRAME_S, rel=0.005)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("period_s", "dur_s"), [(1e-3, 0.5e-3), (5e-3, 1e-3), (10e-3, 1e-3)])
def test_lte_periods(period_s: float, dur_s: float) -> None:
    rng = np.random.default_rng(3)
    x = awgn(int(0.25 * FS), NOISE_DBFS, rng)
    n = int(0.2 / period_s)
    for k in range(n):
        add_band_noise(
            x,
            rng,
            start_s=0.01 + k * period_s,
            duration_s=dur_s,
            offset_hz=-500e3,
            bandwidth_hz=540e3,
            snr_db=15,
        )
    a = analyze(x)
    assert len(a.emitters) == 1  # type: ignore[attr-defined]
    e = a.emitters[0]  # type: ignore[attr-defined]
    assert e.burst_count == n
    assert e.period_s == pytest.approx(period_s, rel=0.01)
    assert e.duty_cycle == pytest.approx(dur_s / period_s, rel=0.15)
    assert e.bandwidth_hz == pytest.approx(540e3, rel=0.1)


def test_estimate_period_none_for_irregular_or_few() -> None:
    rng = np.random.default_rng(4)
    assert estimate_period([0.1, 0.2]) is None
    poisson = np.cumsum(rng.exponential(0.037, 60))
    assert estimate_period(poisson) is None
    regular = 0.5 + np.arange(30) * 0.02 + rng.normal(0, 10e-6, 30)
    assert estimate_period(regular) == pytest.approx(0.02, rel=0.002)
    # Missing bursts do not change the period.
    assert estimate_period(np.delete(regular, [3, 4, 11, 20])) == pytest.approx(0.02, rel=0.002)


def test_always_on_tone_is_one_continuous_emitter() -> None:
    rng = np.random.default_rng(5)
    x = awgn(int(0.3 * FS), NOISE_DBFS, rng)
    add_tone(x, offset_hz=733e3, power_dbfs=-30.0)
    a = analyze(x, block_size=1 << 15)
    assert len(a.emitters) == 1  # type: ignore[attr-defined]
    e = a.emitters[0]  # type: ignore[attr-defined]
    assert e.continuous
    assert e.duty_cycle == pytest.approx(1.0, abs=0.02)
    assert e.period_s is None
    assert e.freq_hz == pytest.approx(900e6 + 733e3, abs=FS / 256)
    assert e.peak_dbfs == pytest.approx(-30.0, abs=1.5)


def test_bursts_next_to_a_tone_are_their_own_emitter() -> None:
    rng = np.random.default_rng(6)
    x = awgn(int(0.2 * FS), NOISE_DBFS, rng)
    add_tone(x, offset_hz=-250e3, power_dbfs=-25.0)
    for k in range(20):
        add_gmsk_burst(x, rng, start_s=0.01 + 2 * k * GSM_FRAME_S, offset_hz=-450e3, snr_db=20)
    a = analyze(x)
    techs = sorted(e.tech for e in a.emitters)  # type: ignore[attr-defined]
    assert techs == ["cw", "gsm"]


def test_pucch_pair_is_one_lte_emitter_at_the_carrier_centre() -> None:
    rng = np.random.default_rng(7)
    x = awgn(int(0.15 * FS), NOISE_DBFS, rng)
    centre = 100e3
    half = 2.5 * 180e3  # edge RBs of a 6-RB (1.4 MHz) carrier
    for k in range(40):
        t = 0.01 + k * 2e-3  # one PUCCH subframe every 2 ms
        add_band_noise(
            x, rng, start_s=t, duration_s=0.5e-3, offset_hz=centre - half, bandwidth_hz=180e3, snr_db=15
        )
        add_band_noise(
            x,
            rng,
            start_s=t + 0.5e-3,
            duration_s=0.5e-3,
            offset_hz=centre + half,
            bandwidth_hz=180e3,
            snr_db=15,
        )
    a = analyze(x)
    assert len(a.emitters) == 1  # type: ignore[attr-defined]
    e = a.emitters[0]  # type: ignore[attr-defined]
    assert e.tech == "lte"
    assert e.burst_count == 80
    assert e.freq_hz == pytest.approx(900e6 + centre, abs=15e3)
    assert e.bandwidth_hz == pytest.approx(2 * half + 180e3, rel=0.1)


def test_json_names_and_emitter_index() -> None:
    rng = np.random.default_rng(8)
    x = awgn(int(0.1 * FS), NOISE_DBFS, rng)
    for k in range(5):
        add_gmsk_burst(x, rng, start_s=0.01 + k * GSM_FRAME_S, offset_hz=500e3, snr_db=15)
        add_band_noise(
            x, rng, start_s=0.01 + k * 0.01, duration_s=1e-3, offset_hz=-500e3, bandwidth_hz=360e3, snr_db=15
        )
    a = analyze(x)
    d = a.to_dict()  # type: ignore[attr-defined]
    assert len(d["emitters"]) == 2
    for e in d["emitters"]:
        assert EMITTER_KEYS <= set(e)
    for b in d["bursts"]:
        assert set(b) == BURST_KEYS
        em = d["emitters"][b["emitter"]]
        assert abs(em["freq_hz"] - b["freq_hz"]) < em["bandwidth_hz"]


def test_multi_capture_keeps_one_accumulator_per_centre() -> None:
    from types import SimpleNamespace

    from rfscan.dsp import analyze_blocks

    rng = np.random.default_rng(9)
    hop = 1 << 16
    blocks = []
    # Hop between two tunings 2 MHz apart: a tone at 901.3 MHz is only inside the second one.
    for k in range(16):
        centre = 900e6 if k % 2 == 0 else 902e6
        x = awgn(hop, NOISE_DBFS, rng)
        if centre == 902e6:
            add_tone(x, offset_hz=901.3e6 - centre, power_dbfs=-30.0, start_s=0.0)
        blocks.append(SimpleNamespace(samples=x, sample_start=k * hop, center_hz=centre, sample_rate_hz=FS))
    a = analyze_blocks(blocks, FS)
    assert sorted(s.center_hz for s in a.spectra) == [900e6, 902e6]
    for c in a.coverage:
        assert c.watched_s == pytest.approx(8 * hop / FS)
    tones = [e for e in a.emitters if e.tech == "cw"]
    assert len(tones) == 1
    assert tones[0].freq_hz == pytest.approx(901.3e6, abs=FS / 256)
    s902 = next(s for s in a.spectra if s.center_hz == 902e6)
    s900 = next(s for s in a.spectra if s.center_hz == 900e6)
    assert s902.max_dbfs.max() > s900.max_dbfs.max() + 20


@pytest.mark.parametrize("per_dwell", [(1, 2, 1, 1), (2, 1, 2, 1), (1, 1, 3)])
def test_period_from_short_dwells_seconds_apart(per_dwell):
    """A sweep sees a GSM phone in dwells of a few frames, revisited seconds later: the gaps between
    dwells are unwatched time, not the period (and the revisit time is never reported as one)."""
    frame = 4.615e-3
    starts = []
    for k, n in enumerate(per_dwell):
        t0 = 0.7 + 6.48 * k + 0.3e-3 * k  # revisit ~6.5 s, phase drifting
        starts += [t0 + i * frame for i in range(n)]
    period = estimate_period(starts)
    pairs_in_dwells = sum(n - 1 for n in per_dwell)
    if pairs_in_dwells < 2:  # one frame interval is too little evidence: no period, but never 6.5 s
        assert period is None
    else:
        assert period == pytest.approx(frame, rel=0.01)


def test_a_signal_on_a_hop_boundary_is_measured_against_both_hops_watch_time() -> None:
    """A 2-RB PUSCH at 50 % duty straddling two sweep hops is kept by both (each sees it near its own
    edge): its occupancy is its on-time over both hops' watch time, not over one (which read ~1:
    "always on, no cellular shape").  A spur kept by one hop is measured against that hop alone."""
    from rfscan.dsp import Burst, Watch, build_emitters

    f_edge = 850.9e6  # boundary between the hops centred at 850.0 and 851.8 MHz
    watches = [Watch(850.0e6, 2.4e6, 0.2), Watch(851.8e6, 2.4e6, 0.2)]

    def burst(t: float, centre: float) -> Burst:
        return Burst(
            start_s=t, duration_s=1e-3, freq_hz=f_edge, bandwidth_hz=360e3, peak_dbfs=-30.0, snr_db=20.0,
            power_dbfs=-32.0, center_hz=centre, cells=100, frames=9, bins=38,
        )  # fmt: skip

    # 0.2 s of each hop, a 1 ms subframe every 2 ms: 100 bursts from each.
    bursts = [burst(k * 2e-3, 850.0e6) for k in range(100)] + [
        burst(1.0 + k * 2e-3, 851.8e6) for k in range(100)
    ]
    (e,), _ = build_emitters(bursts, watches)
    assert not e.continuous
    assert e.tech == "lte"


def _burst(
    freq_hz: float,
    bandwidth_hz: float,
    start_s: float = 0.0,
    *,
    duration_s: float = 1e-3,
    snr_db: float = 5.0,
    center_hz: float = 900e6,
    cells: int = 10,
) -> Burst:
    return Burst(
        start_s=start_s,
        duration_s=duration_s,
        freq_hz=freq_hz,
        bandwidth_hz=bandwidth_hz,
        peak_dbfs=-50.0,
        snr_db=snr_db,
        power_dbfs=-55.0,
        center_hz=center_hz,
        cells=cells,
        frames=10,
        bins=3,
    )


def test_a_wide_piece_between_narrow_ones_does_not_cut_their_group() -> None:
    # A weak spur's pieces read either tone-narrow or, the weakest, several times wider; sorted by
    # frequency the two kinds interleave.  Each kind stays one group.
    narrow = [_burst(900.270e6 + d, 20e3, 0.01 * i) for i, d in enumerate((0.0, 600.0, 1200.0, 1900.0))]
    wide = [_burst(900.270e6 + d, 90e3, 0.05 + 0.01 * i) for i, d in enumerate((300.0, 1500.0))]
    bursts = [narrow[0], wide[0], narrow[1], narrow[2], wide[1], narrow[3]]
    groups = sorted(sorted(g) for g in group_by_frequency(bursts))
    assert groups == [[0, 2, 3, 5], [1, 4]]


def test_channels_a_width_apart_stay_apart() -> None:
    # GSM channels 200 kHz apart, and a one-RB and a six-RB allocation side by side.
    bursts = [
        _burst(900.0e6, 180e3),
        _burst(900.2e6, 180e3),
        _burst(900.21e6, 1.08e6),
        _burst(900.4e6, 180e3),
    ]
    assert sorted(sorted(g) for g in group_by_frequency(bursts)) == [[0], [1], [2], [3]]


def _narrow(freq_hz: float, bandwidth_hz: float, start_s: float, duration_s: float, snr_db: float) -> Burst:
    """A burst of a capture centred at 1732.9 MHz (quiet benchmark scenes 900502, 910124)."""
    return _burst(
        freq_hz, bandwidth_hz, start_s, duration_s=duration_s, snr_db=snr_db, center_hz=1732.9e6, cells=100
    )


def _fading_spur(freq_hz: float, seed: int) -> list[Burst]:
    """Pieces of a spur fading in and out at random: 25 kHz wide, 1-40 ms on, 5-100 ms off, for 5 s."""
    rng = np.random.default_rng(seed)
    out, t = [], 0.0
    while t < 5.0:
        on = float(rng.uniform(1e-3, 40e-3))
        out.append(_narrow(freq_hz + rng.normal(0.0, 2e3), 25e3 * rng.uniform(0.8, 1.3), t, on, 12.0))
        t += on + float(rng.uniform(5e-3, 0.1))
    return out


@pytest.mark.parametrize("offset_hz", [1.5e3, -27e3])
def test_a_lone_narrow_burst_on_a_fading_spur_is_its_piece(offset_hz: float) -> None:
    """A weak piece of a spur fading in and out, read 114 kHz wide (out of the spur's frequency group)
    and 16 ms long, would alone be an NB-IoT unit: on the spur's frequency, inside its time, it is
    named "unknown" (a false cellular uplink in 1 h of quiet scenes with interference).  The same
    burst 300 kHz away, and the spur, keep their names."""
    from rfscan.dsp import Watch, build_emitters

    f0 = 1733.47e6
    watches = [Watch(1732.9e6, 2.4e6, 5.0)]
    spur = _fading_spur(f0, 3)
    piece = _narrow(f0 + offset_hz, 114e3, 0.0394, 16.48e-3, 2.4)
    (alone,), _ = build_emitters([piece], watches)
    assert alone.tech == "nbiot"  # what the burst reads as by itself
    ems, assignment = build_emitters([*spur, piece], watches)
    spur_em = ems[assignment[0]]
    assert spur_em.burst_count == len(spur)
    assert spur_em.tech == "unknown"
    assert "switching on and off" in spur_em.reason
    got = ems[assignment[-1]]
    assert got is not spur_em
    assert got.burst_count == 1
    assert got.tech == "unknown"
    assert "intermittent narrow interferer" in got.reason
    away = _narrow(f0 + 300e3, 114e3, 0.0394, 16.48e-3, 2.4)
    ems, assignment = build_emitters([*spur, away], watches)
    assert ems[assignment[-1]].tech == "nbiot"
    # Far in time from the spur's pieces (its first one 1 s later) the burst is no piece of it.
    late = [replace(b, start_s=b.start_s + 1.0) for b in spur]
    ems, assignment = build_emitters([*late, piece], watches)
    assert ems[assignment[-1]].tech == "nbiot"


@pytest.mark.parametrize("host", ["always_on", "weak"])
def test_a_lone_narrow_burst_on_other_interferers_is_their_piece(host: str) -> None:
    """The same piece on a spur read always on that also came in pieces (it faded out and back), and
    on a weak spur (its pieces 5 dB over the noise, too weak to measure their shape)."""
    from rfscan.dsp import Watch, build_emitters

    f0 = 1733.47e6
    watches = [Watch(1732.9e6, 2.4e6, 5.0)]
    spur = _fading_spur(f0, 4)
    if host == "always_on":
        spur = [replace(spur[0], start_s=0.0, duration_s=5.0, always_on=True), *spur[1:]]
    else:
        spur = [replace(b, snr_db=5.0) for b in spur]
    piece = _narrow(f0 + 25e3, 68.5e3, 4.79, 16.0e-3, 2.0)  # (quiet scene 910124)
    (alone,), _ = build_emitters([piece], watches)
    assert alone.tech == "nbiot"
    ems, assignment = build_emitters([*spur, piece], watches)
    assert ems[assignment[0]].tech == ("cw" if host == "always_on" else "unknown")
    got = ems[assignment[-1]]
    assert got.burst_count == 1
    assert got.tech == "unknown"
    assert "intermittent narrow interferer" in got.reason
    # Stronger than the spur, the burst is its own.
    loud = replace(piece, snr_db=14.0)
    (alone,), _ = build_emitters([loud], watches)
    ems, assignment = build_emitters([*spur, loud], watches)
    assert ems[assignment[-1]].tech == alone.tech == "nbiot"


def test_a_spur_leaves_up_to_four_weak_pieces_of_random_lengths_out_of_its_group() -> None:
    """A spur fading in and out can leave four weak pieces of random lengths out of its frequency
    group (a spur in 32 pieces left 4, quiet scene 940572): they are read as its pieces.  A fifth
    such burst makes a session (a fixed number: a share of the spur's pieces would grow with watch
    time), and 4 weak units of one length (a modem's) and a periodic session keep their name too."""
    from rfscan.dsp import Watch, build_emitters

    f0 = 1733.47e6
    watches = [Watch(1732.9e6, 2.4e6, 5.0)]
    spur = _fading_spur(f0, 1)
    assert len(spur) >= 16
    starts, lengths = (0.0185, 2.10, 2.31, 4.70), (15.78e-3, 0.24e-3, 18.56e-3, 29.15e-3)  # (940572's)
    units = [_narrow(f0 + 5e3, 104e3, t, d, 4.2) for t, d in zip(starts, lengths, strict=True)]
    (alone,), _ = build_emitters(units, watches)
    assert alone.tech == "nbiot", alone.reason
    ems, assignment = build_emitters([*spur, *units], watches)
    got = ems[assignment[-1]]
    assert got.burst_count == 4
    assert got.tech == "unknown"
    assert "intermittent narrow interferer" in got.reason
    same = [replace(b, duration_s=16.0e-3) for b in units]
    (alone,), _ = build_emitters(same, watches)
    ems, assignment = build_emitters([*spur, *same], watches)
    assert ems[assignment[-1]].tech == alone.tech == "nbiot"
    five = [*units, _narrow(f0 + 5e3, 104e3, 3.3, 8.0e-3, 4.2)]
    (alone,), _ = build_emitters(five, watches)
    ems, assignment = build_emitters([*spur, *five], watches)
    assert ems[assignment[-1]].burst_count == 5
    assert ems[assignment[-1]].tech == alone.tech == "nbiot"
    periodic = [_narrow(f0 + 5e3, 104e3, 0.5 + 0.32 * k, 16.0e-3, 4.2) for k in range(8)]
    ems, assignment = build_emitters([*spur, *periodic], watches)
    assert ems[assignment[-1]].period_s == pytest.approx(0.32, rel=0.01)
    assert ems[assignment[-1]].tech == "nbiot"


def test_a_spur_mostly_on_is_as_strong_as_its_always_on_record() -> None:
    """A spur on most of the time reads far stronger in its always-on record (32 dB) than in its pieces
    (17 dB, measured over a floor it raises): an 8 ms NB-IoT-shaped piece at 17.6 dB 37 kHz off its
    centre (quiet scene 940574) is one of its pieces.  Without that record the spur is no stronger
    than 12 dB and the burst keeps its name."""
    from rfscan.dsp import Watch, build_emitters

    f0 = 1728.6265e6
    watches = [Watch(1728.561e6, 2.4e6, 5.0)]
    spur = [replace(b, center_hz=1728.561e6) for b in _fading_spur(f0, 2)]
    record = replace(spur[0], start_s=0.0, duration_s=5.0, snr_db=32.2, always_on=True)
    piece = replace(_narrow(f0 - 52.7e3, 126e3, 2.0668, 8.012e-3, 17.6), center_hz=1728.561e6)
    (alone,), _ = build_emitters([piece], watches)
    assert alone.tech == "nbiot", alone.reason
    ems, assignment = build_emitters([record, *spur, piece], watches)
    assert ems[assignment[0]].tech == "cw"
    got = ems[assignment[-1]]
    assert got.tech == "unknown"
    assert "intermittent narrow interferer" in got.reason
    ems, assignment = build_emitters([*spur, piece], watches)
    assert ems[assignment[-1]].tech == "nbiot"


def test_a_spur_seen_on_every_visit_of_a_sweep_has_no_pieces() -> None:
    """A steady spur gives one always-on record per dwell of a sweep: no fading, so a weaker NB-IoT
    unit on its frequency keeps its name (revisits are no pieces)."""
    from rfscan.dsp import Watch, build_emitters

    f0 = 1733.47e6
    watches = [Watch(1732.9e6, 2.4e6, 0.2)]
    visits = [replace(_narrow(f0, 25e3, 2.0 * k, 0.2, 12.0), always_on=True) for k in range(3)]
    unit = _narrow(f0 + 25e3, 68.5e3, 2.05, 16.0e-3, 2.0)
    ems, assignment = build_emitters([*visits, unit], watches)
    assert ems[assignment[0]].tech == "cw"
    assert ems[assignment[-1]].tech == "nbiot"


def test_weak_bursts_mostly_seen_in_captures_full_of_clicks_are_not_named() -> None:
    """The clicks flag travels with each burst, so an emitter built from several captures (a survey's
    dwells, each analysed apart) knows where its bursts were seen.  Two weak GSM access-burst shapes
    (6.2 dB, 120 kHz, no period): named GSM when clean; "unknown" when at least half were seen in a
    capture full of clicks; named again when only one of three was."""
    from rfscan.dsp import Watch, build_emitters

    watches = [Watch(900e6, 2.4e6, 0.2)]
    clean = [_burst(899.4e6, 120e3, t, duration_s=0.28e-3, snr_db=6.2) for t in (0.013, 2.71, 5.3)]
    (e,), _ = build_emitters(clean[:2], watches)
    assert e.tech == "gsm", e.reason
    half = [clean[0], replace(clean[1], in_clicks=True)]
    (e,), _ = build_emitters(half, watches)
    assert e.tech == "unknown"
    assert "capture full of clicks" in e.reason
    one_of_three = [*clean[:2], replace(clean[2], in_clicks=True)]
    (e,), _ = build_emitters(one_of_three, watches)
    assert e.tech == "gsm", e.reason


def test_only_lengths_within_a_unit_tolerance_repeat() -> None:
    """Units of one length read within ~0.1 ms of it; a spur's short pieces (0.3-3 ms) lie closer
    together than a 0.3 ms floor by chance, so the floor is NB-IoT's 0.15 ms length tolerance."""
    from rfscan.dsp.emitters import _repeat_one_length

    assert _repeat_one_length(np.array([8.0e-3, 8.06e-3, 7.95e-3, 13.1e-3, 21.7e-3]))
    assert not _repeat_one_length(np.array([0.5e-3, 0.7e-3, 0.9e-3, 2.0e-3]))
    assert not _repeat_one_length(np.array([15.78e-3, 0.24e-3, 18.56e-3, 29.15e-3]))  # (940572)
    assert not _repeat_one_length(np.array([8.0e-3, 8.0e-3]))  # (two are no session)
