"""Impulsive noise: clicks found in the samples of a frame and taken out of its spectrum."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft as sfft

from rfscan.dsp import StftConfig
from rfscan.dsp.impulses import (
    CREST_LEVEL,
    FLASH_SUBBANDS,
    MARGIN,
    SUPPORT_BINS,
    SUPPORT_FACTOR,
    FlashRing,
    NeighbourHold,
    declick,
    flash_levels,
    stream_frames,
)
from rfscan.dsp.stft import CREST_EVERY, StftState, frame_crest, stft_block

FS = 2.4e6
ST = StftConfig.for_rate(FS)
N = ST.nfft


def _noise(rng: np.random.Generator, frames: int) -> np.ndarray:
    z = rng.standard_normal((frames, N)) + 1j * rng.standard_normal((frames, N))
    return np.asarray(z / np.sqrt(2.0), np.complex128)


def _clicks(rng: np.random.Generator, frames: int, snr_db: float, length: int) -> np.ndarray:
    """One click of white noise per frame, ``length`` samples at ``snr_db`` over unit noise, at a
    random place away from the frame's tapered ends."""
    out = np.zeros((frames, N), np.complex128)
    start = rng.integers(40, N - 40 - length, frames)
    amp = np.sqrt(10 ** (snr_db / 10) / 2)
    for i, s in enumerate(start.tolist()):  # a loop over the test's frames
        out[i, s : s + length] = amp * (rng.standard_normal(length) + 1j * rng.standard_normal(length))
    return out


def _tone(frames: int, bin_offset: float, per_bin_db: float) -> np.ndarray:
    """A CW ``per_bin_db`` over the noise of one bin, ``bin_offset`` bins from the centre."""
    t = np.arange(frames * N)
    amp = np.sqrt(10 ** (per_bin_db / 10) * ST.enbw_bins / N)
    return np.asarray((amp * np.exp(2j * np.pi * bin_offset / N * t)).reshape(frames, N))


def _power(frames: np.ndarray) -> np.ndarray:
    x = np.asarray(frames, np.complex64)
    w = (x.view(np.float32) * ST.shifted_window_iq).view(np.complex64)
    spec = sfft.fft(w, axis=1)
    return np.asarray(np.abs(spec) ** 2, np.float64)


@pytest.mark.parametrize(
    ("snr_db", "length", "found"),
    [(10.0, 4, 0.3), (15.0, 4, 0.9), (20.0, 2, 0.9), (25.0, 5, 0.99), (35.0, 12, 0.99), (30.0, 28, 0.99)],
)
def test_a_click_is_taken_out_of_its_frame(snr_db: float, length: int, found: float) -> None:
    rng = np.random.default_rng(1)
    noise = _noise(rng, 600)
    dirty = noise + _clicks(rng, 600, snr_db, length)
    power, clicked, cells = declick(dirty.astype(np.complex64), ST)
    assert clicked.mean() > found
    assert cells >= clicked.sum()
    clean = _power(noise)
    assert _power(dirty).mean() / clean.mean() > 1.2  # 1.2x at 10 dB x 4 samples, 200x at 35 dB x 12
    # What is left is the noise: the clicks missed lift their frames by 8 % at most (the weakest, most
    # of them missed, lift them by 22 %), and the cells taken out held some noise too (15 % of it
    # with a 12 us click and its ring-down); the tail of the longest clicks' frames reads ~20 % up.
    assert 0.82 < power.mean() / clean.mean() < 1.1
    assert 0.82 < np.percentile(power, 99.9) / np.percentile(clean, 99.9) < (1.25 if length > 12 else 1.12)


@pytest.mark.parametrize("per_bin_db", [None, 10.0, 30.0, 50.0])
def test_noise_and_strong_tones_hold_no_click(per_bin_db: float | None) -> None:
    # 4096 frames: noise alone and a CW up to 50 dB over a bin's noise (an 8-bit dongle's range):
    # the notch takes the tone out of the search, what its sidelobes leave near the frame's ends
    # is far under a click.
    rng = np.random.default_rng(2)
    x = _noise(rng, 4096)
    if per_bin_db is not None:
        x = x + _tone(4096, 37.3, per_bin_db)
    _, clicked, cells = declick(x.astype(np.complex64), ST)
    assert clicked.sum() == 0
    assert cells == 0


def test_a_noise_like_signal_filling_the_capture_is_no_click() -> None:
    # A transmission wider than the capture lifts every bin as a click does; its samples are
    # noise-like, 20 dB over the noise here.
    rng = np.random.default_rng(3)
    x = _noise(rng, 2048) + 10.0 * _noise(rng, 2048)
    _, clicked, _ = declick(x.astype(np.complex64), ST)
    assert clicked.sum() <= 2  # a cell of Gaussian noise over 8x its median: ~1e-9


def test_a_transmission_starting_inside_a_frame_is_no_click() -> None:
    # A strong capture-wide burst that starts at sample 100 of the frame and goes on: its run of
    # cells reaches the end of the frame, so it is the start of a transmission, kept whole.
    rng = np.random.default_rng(4)
    x = _noise(rng, 200)
    burst = 30.0 * _noise(rng, 200)
    burst[:, :100] = 0.0
    _, clicked, _ = declick((x + burst).astype(np.complex64), ST)
    assert clicked.sum() == 0


def test_a_click_next_to_a_strong_tone_goes_and_the_tone_stays() -> None:
    # A 45 dB CW dominates the samples; a 30 dB click of 10 samples in every frame.  The click is
    # found once the tone is notched, and taken out of every bin, the tone's own included.
    rng = np.random.default_rng(5)
    frames = 400
    noise = _noise(rng, frames) + _tone(frames, -101.0, 45.0)
    dirty = noise + _clicks(rng, frames, 30.0, 10)
    power, clicked, _ = declick(dirty.astype(np.complex64), ST)
    assert clicked.mean() > 0.97
    clean = _power(noise)
    k = int(np.argmax(clean.mean(axis=0)))
    # The tone keeps its power (within 0.2 dB); away from it only the noise is left (less the noise
    # of the cells taken out).
    assert power[:, k].mean() / clean[:, k].mean() == pytest.approx(1.0, abs=0.05)
    away = np.r_[0 : k - 8, k + 9 : N]
    assert 0.85 < power[:, away].mean() / clean[:, away].mean() < 1.05
    # Next to the tone (its skirt, notched out of the search) the click is brought in from the
    # bins around and taken out too: far under the 60x it lifted them.
    near = np.r_[k - 6 : k - 3, k + 4 : k + 7]
    assert power[:, near].mean() / clean[:, near].mean() < 3.0
    assert _power(dirty)[:, near].mean() / clean[:, near].mean() > 10.0


def test_stream_frames_gathers_across_the_block_start() -> None:
    x = np.arange(1000, 2000).astype(np.complex64)
    tail = np.arange(900, 1000).astype(np.complex64)
    starts = np.array([950, 1000, 1700], np.int64)
    out = stream_frames(tail, 900, x, 1000, starts, 256)
    for row, s in zip(out, starts.tolist(), strict=True):
        np.testing.assert_array_equal(row.real, np.arange(s, s + 256))
    with pytest.raises(ValueError, match="not in the samples given"):
        stream_frames(tail, 900, x, 1000, np.array([800], np.int64), 256)
    # With margins: samples beyond what was given read NaN (the last frame of the block has no
    # "after" yet; the first one of a stream no "before").
    edge = stream_frames(tail, 900, x, 1000, np.array([900, 1000, 1744], np.int64), 256, margin=8)
    assert edge.shape == (3, 272)
    assert np.isnan(edge[0, :8]).all()
    np.testing.assert_array_equal(edge[0, 8:].real, np.arange(900, 1164))
    np.testing.assert_array_equal(edge[1].real, np.arange(992, 1264))  # the margin reaches the tail
    assert np.isnan(edge[2, -8:]).all()
    np.testing.assert_array_equal(edge[2, :-8].real, np.arange(1736, 2000))


def test_flash_levels_reads_one_for_noise_and_the_lift_of_a_flash() -> None:
    rng = np.random.default_rng(6)
    power = rng.exponential(size=(20000, N)).astype(np.float32)
    floor_db = np.zeros(N)
    level = flash_levels(power, floor_db)
    assert np.median(level) == pytest.approx(1.0, abs=0.02)
    # A flash lifting every bin 3x reads ~3; a signal filling 7 of the 8 sub-bands 30x reads what
    # the one sub-band left at the noise reads (its mean over the median of the smallest of 8).
    flash = power[:1000] * 3.0
    assert np.median(flash_levels(flash, floor_db)) == pytest.approx(3.0, rel=0.05)
    wide = power[:1000].copy()
    wide[:, : N * (FLASH_SUBBANDS - 1) // FLASH_SUBBANDS] *= 30.0
    assert np.median(flash_levels(wide, floor_db)) == pytest.approx(1.48, abs=0.05)


def test_frame_crest_of_noise_and_of_a_click() -> None:
    rng = np.random.default_rng(7)
    noise = _noise(rng, 4096)
    win = ST.shifted_window_iq

    def windowed(z: np.ndarray) -> np.ndarray:
        return np.asarray(z.astype(np.complex64).view(np.float32) * win, np.float32)

    calm = frame_crest(windowed(noise))
    assert np.mean(calm > CREST_LEVEL) < 3e-3
    loud = frame_crest(windowed(noise + _clicks(rng, 4096, 20.0, 4)))
    assert np.mean(loud > CREST_LEVEL) > 0.99
    # Asked with a level: in calm frames only every CREST_EVERY-th is measured (the others read 0),
    # with clicks in them all are.
    some = frame_crest(windowed(noise), CREST_LEVEL)
    assert np.count_nonzero(some) == pytest.approx(4096 / CREST_EVERY, abs=1)
    dense = frame_crest(windowed(noise + _clicks(rng, 4096, 20.0, 4)), CREST_LEVEL)
    assert np.all(dense > 0)


def test_stft_block_measures_the_crest_before_the_fft() -> None:
    rng = np.random.default_rng(8)
    x = (_noise(rng, 64) + _clicks(rng, 64, 25.0, 3)).astype(np.complex64).reshape(-1)
    frames = stft_block(StftState(ST), x, 0, crest=CREST_LEVEL)
    assert frames.crest is not None
    assert frames.crest.shape == (64,)
    assert np.all(frames.crest > CREST_LEVEL)
    assert stft_block(StftState(ST), x, 0).crest is None


def test_flash_ring_keeps_flags_by_absolute_frame() -> None:
    ring = FlashRing()
    ring.write(0, np.array([True, False, True, True]))
    assert ring.fraction(0, 3) == 0.75
    assert ring.fraction(4, 10) == 0.0
    big = 1 << 16
    ring.write(big, np.ones(4, bool))  # wraps onto the first frames' slots
    assert ring.fraction(big, big + 3) == 1.0
    assert ring.fraction(0, 3) == 0.0  # those frames are no longer in the ring


def test_a_click_inside_a_burst_goes_and_the_burst_stays() -> None:
    # A constant-envelope burst (a GSM-like carrier 15 dB over the noise of the capture) starting in
    # the middle of each frame, with a 30 dB click inside it: the click stands out of the burst, not
    # only of the noise; the burst's start is no click.
    rng = np.random.default_rng(9)
    frames = 300
    noise = _noise(rng, frames)
    carrier = _tone(frames, 53.0, 15.0 + 10 * np.log10(N / ST.enbw_bins))
    carrier[:, :120] = 0.0
    clicks = np.zeros((frames, N), np.complex128)
    at = rng.integers(150, 220, frames)
    amp = np.sqrt(10**3.0 / 2)
    for i, s in enumerate(at.tolist()):  # a loop over the test's frames
        clicks[i, s : s + 6] = amp * (rng.standard_normal(6) + 1j * rng.standard_normal(6))
    base = (noise + carrier).astype(np.complex64)
    power, clicked, _ = declick((noise + carrier + clicks).astype(np.complex64), ST)
    assert clicked.mean() > 0.97
    clean = _power(base)
    assert 0.85 < power.mean() / clean.mean() < 1.1
    # Without the clicks: the hard start of the carrier (a step: broadband, outside the notch) reads
    # as a click in a few frames; what is taken out there is that splatter, the carrier stays.
    kept, calm, _ = declick(base, ST)
    assert calm.mean() < 0.05
    assert kept.mean() / clean.mean() == pytest.approx(1.0, abs=0.02)


def test_the_margins_tell_a_click_at_a_frame_start_from_a_transmission_ending_there() -> None:
    # Frames with a loud noise-like transmission in their first 5 samples: either a click (the
    # samples before the frame are quiet) or the end of a transmission (they are loud too).
    rng = np.random.default_rng(10)
    frames = 200
    x = _noise(rng, frames + 2).reshape(-1)
    loud = np.zeros_like(x)
    click_at = (np.arange(1, frames + 1) * N).astype(int)
    for s in click_at.tolist():  # a loop over the test's frames
        loud[s + 6 : s + 11] = 30.0 * (rng.standard_normal(5) + 1j * rng.standard_normal(5))
    ended = loud.copy()
    for s in click_at.tolist():
        ended[s - 40 : s + 6] = 30.0 * (rng.standard_normal(46) + 1j * rng.standard_normal(46))
    starts = click_at.astype(np.int64)
    empty = np.zeros(0, np.complex64)
    seg = stream_frames(empty, 0, (x + loud).astype(np.complex64), 0, starts, N, MARGIN)
    _, clicked, _ = declick(seg, ST, MARGIN)
    assert clicked.mean() >= 0.9
    seg = stream_frames(empty, 0, (x + ended).astype(np.complex64), 0, starts, N, MARGIN)
    _, clicked, _ = declick(seg, ST, MARGIN)
    assert clicked.sum() == 0


def _hold(rows: np.ndarray, flags: np.ndarray, block: int, floor: np.ndarray | None = None) -> np.ndarray:
    """``rows`` through a NeighbourHold in blocks of ``block`` rows; the rows released, joined."""
    hold = NeighbourHold()
    out: list[tuple[np.ndarray, int]] = []
    for i in range(0, rows.shape[0], block):
        out += [
            (r.copy(), s) for r, s in hold.release(rows[i : i + block].copy(), i, flags[i : i + block], floor)
        ]
    out += hold.finish(floor)
    frames = np.concatenate([np.arange(s, s + r.shape[0]) for r, s in out])
    np.testing.assert_array_equal(frames, np.arange(rows.shape[0]))  # each row once, in order
    joined = np.concatenate([r for r, _ in out])
    assert joined.dtype == np.float32
    return joined


def test_leftovers_of_a_declicked_frame_are_held_to_the_frames_around() -> None:
    rng = np.random.default_rng(4)
    power = rng.exponential(1.0, (8, 96)).astype(np.float32)
    power[:, 30:33] = 1e4  # a spur on throughout
    for i in range(4):
        power[2 + i, 50 + 2 * i] = 500.0  # a chirp moving 2 bins a frame
        power[2 + i, 60 + 10 * i : 70 + 10 * i] = 500.0  # one moving 10 (a low-root PRACH), smeared
    flags = np.zeros(8, bool)
    flags[[3, 6]] = True
    power[3, 5:25] += 80.0  # what a click left in a declicked frame
    power[6, 5:25] += 80.0
    held = _hold(power, flags, 8)
    assert np.array_equal(held[~flags], power[~flags])
    # the leftovers are held to the noise around them
    for r in (3, 6):
        around = np.maximum(power[r - 1], power[r + 1])
        lim = np.array([around[max(k - SUPPORT_BINS, 0) : k + SUPPORT_BINS + 1].max() for k in range(96)])
        assert np.allclose(held[r, 5:22], np.minimum(power[r, 5:22], SUPPORT_FACTOR * lim[5:22]))
        assert float(held[r, 5:22].mean()) < 0.08 * float(power[r, 5:22].mean())
    # the spur and both chirps are kept whole
    assert np.array_equal(held[3, 30:33], power[3, 30:33])
    assert held[3, 52] == power[3, 52]
    assert np.array_equal(held[3, 70:80], power[3, 70:80])


def test_leftovers_in_consecutive_declicked_frames_do_not_back_each_other() -> None:
    rng = np.random.default_rng(5)
    power = rng.exponential(1.0, (12, 64)).astype(np.float32)
    flags = np.zeros(12, bool)
    flags[[3, 4]] = True
    power[3:5, 40:56] += 60.0  # clicks in two frames in a row, leaving the same bins
    power[7:10, 10:14] = 300.0  # a burst of three frames, the first two declicked
    flags[[7, 8]] = True
    held = _hold(power, flags, 12)
    assert float(held[3:5, 40:56].max()) < 8.0
    assert np.array_equal(held[7:10, 10:14], power[7:10, 10:14])
    # under a dense train (every frame declicked) a transmission keeps its support
    flags[:] = True
    assert np.array_equal(_hold(power, flags, 12)[7:10, 10:14], power[7:10, 10:14])


def test_a_declicked_row_at_a_dwell_edge_is_held_to_the_one_neighbour_it_has() -> None:
    power = np.ones((3, 32), np.float32)
    power[0, 4:16] = 50.0  # leftovers in the first row of a dwell: held to the row after it
    flags = np.array([True, False, False])
    assert _hold(power, flags, 3)[0, 4:16].tolist() == [SUPPORT_FACTOR] * 12
    power[1, 4] = 100.0  # a signal in bin 4 of the row after it backs bins 4 +- SUPPORT_BINS
    reach = 4 + SUPPORT_BINS
    out = _hold(power, flags, 3)[0]
    assert out[4 : reach + 1].tolist() == [50.0] * (reach - 3)
    assert out[reach + 1 : 16].tolist() == [SUPPORT_FACTOR] * (15 - reach)
    # the floor of each bin: near a capture edge the tuner's filter lowers it
    floor = np.ones(32)
    floor[:8] = 0.1
    power = np.full((3, 32), 1.0, np.float32)
    power[:, :8] = 0.1
    power[0, :8] = 3.0  # 30x the floor there, 3x the noise further in
    out = _hold(power, flags, 3, floor)[0]
    assert np.allclose(out[:8], 0.1)


@pytest.mark.parametrize("block", [1, 2, 3, 5, 97])
def test_the_hold_is_the_same_however_the_stream_is_cut(block: int) -> None:
    rng = np.random.default_rng(9)
    rows = rng.exponential(1.0, (60, 64)).astype(np.float32)
    rows[:, 20:22] = 1e3
    rows[30:40, 5:9] = 200.0
    flags = rng.random(60) < 0.4
    flags[[0, 1, 58, 59]] = True  # the first and the last rows too
    rows[flags, 40:60] += 60.0  # leftovers
    whole = _hold(rows, flags, 60)
    runs = np.convolve(flags, [1, 1, 1], mode="same") == 3  # inside runs of >= 3: kept (see docs)
    alone = flags & ~runs & ~np.roll(runs, 1) & ~np.roll(runs, -1)
    alone[[0, 1, 58, 59]] = False  # (the dwell's ends: see the docs)
    assert alone.sum() >= 10
    assert float(whole[alone, 40:60].mean()) < 8.0  # (61 before the hold)
    np.testing.assert_array_equal(whole[30:40, 5:9], rows[30:40, 5:9])
    np.testing.assert_array_equal(_hold(rows, flags, block), whole)
    floor = np.linspace(0.2, 1.0, 64)
    np.testing.assert_array_equal(_hold(rows, flags, block, floor), _hold(rows, flags, 60, floor))


def test_a_gap_in_the_stream_ends_a_dwell() -> None:
    power = np.ones((4, 16), np.float32)
    power[1, 2:6] = 40.0
    power[3, 2:6] = 40.0
    flags = np.array([False, True, False, True])
    hold = NeighbourHold()
    first = hold.release(power[:2].copy(), 0, flags[:2], None)  # row 1 waits for the row after it
    assert [s for _, s in first] == [0]
    second = hold.release(power[2:].copy(), 100, flags[2:], None)  # a gap: row 1 goes as it is known
    rest = hold.finish(None)
    frames = [start + i for rows, start in (*first, *second, *rest) for i in range(rows.shape[0])]
    assert frames == [0, 1, 100, 101]
    got = {start + i: row for rows, start in (*first, *second, *rest) for i, row in enumerate(rows)}
    assert got[1][2:6].tolist() == [1.0] * 4  # held to the row before it
    assert got[101][2:6].tolist() == [1.0] * 4  # the dwell's last row: held to the row before it


def test_the_time_blind_to_weak_bursts_is_the_union_of_their_windows() -> None:
    # A 1 ms burst (9.375 frames of 107 us) touches a declicked frame f when it starts anywhere in
    # (f - 9.375, f + 1) frames: 10.375 frames of start times for each lone click, their union for
    # clicks close together, none before the dwell began.
    from rfscan.dsp import PipelineConfig
    from rfscan.dsp.pipeline import _Capture

    st = StftConfig.for_rate(2.4e6)
    w = 1e-3 * 2.4e6 / 256 + 1.0

    def blind(*blocks: tuple[int, int, list[int]]) -> float:
        cap = _Capture(900e6, 2.4e6, st, PipelineConfig())
        for start, n, hits in blocks:
            flags = np.zeros(n, bool)
            flags[np.array(hits, int) - start] = True
            cap.note_declicked(start, n, flags)
        return cap.weak_blind_frames

    assert blind((0, 300, [100, 102, 200])) == pytest.approx(2 + w + w)
    assert blind((0, 101, [100]), (101, 199, [102, 200])) == pytest.approx(2 + 2 * w)  # however cut
    assert blind((0, 300, list(range(50, 80)))) == pytest.approx(29 + w)
    assert blind((0, 300, [])) == 0.0
    # a click in a dwell's first frame: no start time before the dwell was watched
    assert blind((0, 20, [0]), (1000, 20, [1000, 1003])) == pytest.approx(1 + 4)
