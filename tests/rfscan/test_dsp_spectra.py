"""Spectra accumulators: percentiles of known distributions, robust noise floor, bounded memory."""

from __future__ import annotations

import math

import numpy as np
import pytest
from dsp_signals import FS, GSM_FRAME_S, add_band_noise, add_dc_spike, add_gmsk_burst, add_tone, awgn

from rfscan.dsp.spectra import LogHistogram, SpectraAccumulator, floor_from_quantile, tracked_floor
from rfscan.dsp.stft import StftConfig, StftState, stft_block
from rfscan.errors import InputError

NOISE_DBFS = -35.0


def _accumulate(x: np.ndarray, block: int = 1 << 15, **kw: object) -> SpectraAccumulator:
    cfg = StftConfig()
    acc = SpectraAccumulator(cfg, 900e6, FS, **kw)  # type: ignore[arg-type]
    st = StftState(cfg)
    for i in range(0, x.size, block):
        fr = stft_block(st, x[i : i + block], i)
        acc.update(fr.power, fr.frame_start)
    return acc


def _true_floor_dbfs(cfg: StftConfig) -> float:
    """Mean noise reading per bin: total power * ENBW / nfft."""
    return NOISE_DBFS + 10 * math.log10(cfg.enbw_bins / cfg.nfft)


def test_percentiles_of_noise_follow_the_exponential_law() -> None:
    rng = np.random.default_rng(0)
    acc = _accumulate(awgn(int(0.5 * FS), NOISE_DBFS, rng), hist_stride=1)
    r = acc.result()
    mean = _true_floor_dbfs(acc.config)
    # Quantile q of an exponential variable is -ln(1-q) times its mean.
    for q, got in ((0.1, r.p10_dbfs), (0.5, r.p50_dbfs), (0.9, r.p90_dbfs)):
        expect = mean + 10 * math.log10(-math.log1p(-q))
        assert float(np.median(got)) == pytest.approx(expect, abs=0.3)
    assert float(np.median(r.mean_dbfs)) == pytest.approx(mean, abs=0.2)
    assert np.all(r.max_dbfs >= r.mean_dbfs)
    assert np.all(r.min_dbfs <= r.mean_dbfs)


def test_noise_floor_alone_is_exact() -> None:
    rng = np.random.default_rng(1)
    acc = _accumulate(awgn(int(0.5 * FS), NOISE_DBFS, rng))
    r = acc.result()
    assert np.all(np.abs(r.noise_floor_dbfs - _true_floor_dbfs(acc.config)) <= 1.0)
    true_density = NOISE_DBFS - 10 * math.log10(FS)
    assert np.all(np.abs(r.noise_density_dbfs_hz - true_density) <= 1.0)


def test_noise_floor_ignores_strong_signals() -> None:
    rng = np.random.default_rng(2)
    x = awgn(int(0.5 * FS), NOISE_DBFS, rng)
    add_tone(x, offset_hz=-700e3, power_dbfs=-10.0)  # CW spur 50 dB above the floor per bin
    add_tone(x, offset_hz=-950e3, power_dbfs=-25.0, start_s=0.0)
    add_dc_spike(x, -20.0)
    # A continuous 200 kHz carrier (GSM downlink-like), 1 ms x 1 MHz bursts every 10 ms (10% duty) and a
    # GSM phone on one slot (12.5% duty), all 25-30 dB above the noise.
    add_band_noise(
        x,
        rng,
        start_s=0,
        duration_s=0.5,
        offset_hz=300e3,
        bandwidth_hz=200e3,
        snr_db=30,
        noise_dbfs=NOISE_DBFS,
    )
    for k in range(50):
        add_band_noise(
            x,
            rng,
            start_s=k * 10e-3,
            duration_s=1e-3,
            offset_hz=-300e3,
            bandwidth_hz=1.0e6,
            snr_db=25,
            noise_dbfs=NOISE_DBFS,
        )
    for k in range(100):
        add_gmsk_burst(x, rng, start_s=k * GSM_FRAME_S, offset_hz=900e3, snr_db=30, noise_dbfs=NOISE_DBFS)
    acc = _accumulate(x)
    r = acc.result()
    err = r.noise_floor_dbfs - _true_floor_dbfs(acc.config)
    centre = np.abs(r.freqs_hz - 900e6) > 6 * FS / 256  # the DC zone keeps the spike in its floor
    assert np.all(np.abs(err[centre]) <= 1.0), (
        r.freqs_hz[centre][np.abs(err[centre]) > 1] - 900e6,
        err[centre].max(),
    )
    assert r.max_dbfs[~centre].max() > np.median(r.noise_floor_dbfs) + 30


def test_frequency_axis_is_absolute() -> None:
    acc = _accumulate(awgn(4096, NOISE_DBFS, np.random.default_rng(0)))
    f = acc.result().freqs_hz
    assert f[128] == pytest.approx(900e6)
    assert f[1] - f[0] == pytest.approx(FS / 256)
    assert f[0] == pytest.approx(900e6 - FS / 2)


def test_spectrogram_is_bounded_and_shows_a_burst_at_its_time() -> None:
    rng = np.random.default_rng(4)
    x = awgn(int(1.0 * FS), NOISE_DBFS, rng)
    add_band_noise(
        x,
        rng,
        start_s=0.6,
        duration_s=2e-3,
        offset_hz=500e3,
        bandwidth_hz=200e3,
        snr_db=30,
        noise_dbfs=NOISE_DBFS,
    )
    acc = _accumulate(x, max_rows=100)
    r = acc.result()
    assert 50 <= r.spectrogram_dbfs.shape[0] <= 100
    assert np.all(np.diff(r.spectrogram_times_s) > 0)
    col = int(np.argmin(np.abs(r.freqs_hz - 900.5e6)))
    row = int(np.argmax(r.spectrogram_dbfs[:, col]))
    t_row = r.spectrogram_times_s[row]
    t_next = r.spectrogram_times_s[min(row + 1, len(r.spectrogram_times_s) - 1)]
    assert t_row <= 0.6 + 1e-3 <= t_next + 1e-3


def test_memory_is_flat_in_length() -> None:
    rng = np.random.default_rng(5)
    acc = _accumulate(awgn(int(0.2 * FS), NOISE_DBFS, rng), max_rows=64)
    sizes = (acc.rows.nbytes, acc.hist.counts.nbytes, acc.sum.nbytes)
    st = StftState(acc.config)
    x = awgn(1 << 16, NOISE_DBFS, rng)
    for k in range(40):
        fr = stft_block(st, x, (1 << 20) + k * x.size)
        acc.update(fr.power, fr.frame_start)
    assert (acc.rows.nbytes, acc.hist.counts.nbytes, acc.sum.nbytes) == sizes
    assert acc.result().spectrogram_dbfs.shape[0] <= 64


def test_histogram_quantile_interpolates_inside_a_level() -> None:
    # Uniform values inside one octave: the median is the middle value within a level's width.
    v = np.linspace(1.0, 2.0, 10001, dtype=np.float32)[:, None]
    counts = LogHistogram.block_counts(v)
    med = LogHistogram.quantile_of(counts, 0.5)[0]
    assert med == pytest.approx(1.5, rel=0.01)


def test_tracked_floor_equals_the_tracking_option() -> None:
    # Noise quantiles with an always-on band, a DC spike and a bin without data: deriving the detection
    # floor from the plain one must give exactly what the track_db option computes directly.
    rng = np.random.default_rng(11)
    q = rng.exponential(1e-6, 256)
    q[40:60] *= 300.0
    q[128] *= 1e4
    q[7] = np.nan
    plain = floor_from_quantile(q, dc_keep_bins=3)
    direct = floor_from_quantile(q, dc_keep_bins=3, track_db=1.5)
    np.testing.assert_array_equal(tracked_floor(plain, q, 1.5), direct)
    assert np.all(direct >= plain)
    empty = np.full(8, np.nan)
    assert np.all(np.isnan(tracked_floor(floor_from_quantile(empty), empty, 1.5)))


def _expected_hist_rows(first: int, n: int, s0: int, s1: int, early_rows: int) -> int:
    """Rows of frames ``[first, first + n)`` that the stride rule takes: every ``s0``-th frame on the
    absolute grid for ``early_rows`` rows, then every ``s1``-th from the next multiple of ``s1``."""
    f = np.arange(first, first + n)
    start = first + (-first) % s0
    switch = start + early_rows * s0
    switch += (-switch) % s1
    return int(np.count_nonzero(np.where(f < switch, f % s0 == 0, f % s1 == 0)))


@pytest.mark.parametrize("blocks", [(3001,), (97,) * 31 + (9,), (1000, 1, 2000)])
def test_histogram_stride_switch_does_not_depend_on_block_cut(blocks: tuple[int, ...]) -> None:
    # Stride 4 for the first 101 histogram rows, then 8 from an absolute frame: the same rows enter
    # the histogram however the stream is cut, and as many as the rule says.
    rng = np.random.default_rng(11)
    power = rng.exponential(1e-5, (sum(blocks), 256)).astype(np.float32)
    first = 5
    acc = SpectraAccumulator(StftConfig(), 900e6, FS, hist_stride=4, hist_stride_late=8, hist_late_rows=101)
    ref = SpectraAccumulator(StftConfig(), 900e6, FS, hist_stride=4, hist_stride_late=8, hist_late_rows=101)
    ref.update(power, first)
    pos = 0
    for b in blocks:
        acc.update(power[pos : pos + b], first + pos)
        pos += b
    np.testing.assert_array_equal(acc.hist.counts, ref.hist.counts)
    assert acc.hist.total == _expected_hist_rows(first, power.shape[0], 4, 8, 101)


def test_histogram_late_stride_must_be_a_multiple() -> None:
    with pytest.raises(InputError, match="multiple"):
        SpectraAccumulator(StftConfig(), 900e6, FS, hist_stride=4, hist_stride_late=6)


def test_block_window_counts_every_level_where_it_says() -> None:
    # Values spread over ~90 dB, one bin at a constant: the window starts at the lowest level that
    # occurs and column j counts level lo + j, as a direct per-cell count does.
    rng = np.random.default_rng(3)
    power = (10.0 ** rng.uniform(-12, -3, (500, 16))).astype(np.float32)
    power[:, 3] = 1e-6
    counts, lo = LogHistogram.block_window(power)
    lev = np.clip((power.view(np.int32) >> (23 - 4)) - ((-50 + 127) << 4), 0, None)
    assert lo == lev.min()
    for b in (0, 3, 15):
        direct = np.bincount(lev[:, b] - lo, minlength=counts.shape[1])
        np.testing.assert_array_equal(counts[b], direct)
    full = LogHistogram.block_counts(power)
    np.testing.assert_array_equal(full[:, lo : lo + counts.shape[1]], counts)
    assert full.sum() == power.size
    empty, _ = LogHistogram.block_window(power[:0])
    assert empty.shape == (16, 0)


@pytest.mark.parametrize("late", [4, 8, 16])
def test_running_floor_time_constant_does_not_depend_on_the_stride(late: int) -> None:
    # The noise rises 6 dB at 2 s.  The running floor (time constant floor_tau_s = 1 s, counted in
    # frames whatever the histogram stride) has not jumped 0.3 s later and is within 1 dB of the new
    # level 3 s later (6 dB * exp(-3) = 0.3 dB, plus the lag of one estimate).
    from rfscan.dsp.pipeline import PipelineConfig, _Capture

    cfg = PipelineConfig(hist_stride_late=late)
    stft = StftConfig()
    cap = _Capture(900e6, FS, stft, cfg)
    rng = np.random.default_rng(8)
    frame_s = stft.hop / FS
    step_frame = round(2.0 / frame_s)
    block = 2048
    seen: dict[float, float] = {}
    for start in range(0, round(5.0 / frame_s), block):
        frames = np.arange(start, start + block)
        mean = np.where(frames < step_frame, 1e-6, 4e-6)[:, None]
        power = (rng.exponential(1.0, (block, stft.nfft)) * mean).astype(np.float32)
        counts, lo = cap.spectra.update(power, start)
        floor = cap.update_floor(counts, lo, block)
        seen[(start + block) * frame_s] = float(10 * np.log10(np.median(floor[20:-20]) / 1e-6))
    before = [v for t, v in seen.items() if t < 2.0]
    assert before[-1] == pytest.approx(0.0, abs=0.3)
    assert max(v for t, v in seen.items() if t <= 2.3) < 3.0
    assert seen[max(seen)] == pytest.approx(6.0, abs=1.0)
