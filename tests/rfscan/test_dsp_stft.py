"""STFT calibration (tone and noise in dBFS) and streaming continuity."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from dsp_signals import FS, add_tone, awgn

from rfscan.dsp.stft import StftConfig, StftState, band_power, density_dbfs_per_hz, stft_block
from rfscan.errors import InputError


def _stft_all(x: np.ndarray, cfg: StftConfig, cuts: list[int], start: int = 0) -> tuple[np.ndarray, int]:
    st = StftState(cfg)
    rows = []
    first = None
    edges = [0, *cuts, x.size]
    for a, b in itertools.pairwise(edges):
        fr = stft_block(st, x[a:b], start + a)
        if fr.n_frames:
            if first is None:
                first = fr.frame_start
            rows.append(fr.power.copy())
    assert first is not None
    return np.concatenate(rows), first


def test_for_rate_resolves_rb_and_gsm_slot() -> None:
    cfg = StftConfig.for_rate(2.4e6)
    assert cfg.nfft == 256
    assert cfg.hop == 256
    assert cfg.bin_hz(2.4e6) <= 10e3  # 180 kHz RB -> >= 18 bins
    assert cfg.frame_s(2.4e6) < 0.325e-3 / 3  # an access burst spans >= 3 frames
    assert StftConfig.for_rate(3.2e6).nfft == 512
    assert StftConfig.for_rate(2.4e6, overlap=0.5).hop == 128


def test_invalid_config_raises() -> None:
    with pytest.raises(InputError):
        StftConfig(nfft=256, hop=512)
    with pytest.raises(InputError):
        StftConfig.for_rate(-1.0)
    with pytest.raises(InputError):
        _ = StftConfig(window="no-such-window").window_array


def test_enbw_of_hann_is_1_5_bins() -> None:
    assert StftConfig(window="hann").enbw_bins == pytest.approx(1.5, abs=1e-6)


@pytest.mark.parametrize("window", ["tukey:0.5", "hann"])
def test_tone_on_bin_reads_its_power(window: str) -> None:
    cfg = StftConfig(window=window)
    x = np.zeros(256 * 200, np.complex64)
    add_tone(x, offset_hz=40 * FS / 256, power_dbfs=-20.0)
    p, _ = _stft_all(x, cfg, [])
    peak = 10 * np.log10(p.mean(axis=0).max())
    assert peak == pytest.approx(-20.0, abs=0.5)
    assert int(np.argmax(p.mean(axis=0))) == 128 + 40  # fftshifted column of +40 bins


@pytest.mark.parametrize("frac", [0.0, 0.25, 0.5])
def test_tone_anywhere_band_power_reads_its_power(frac: float) -> None:
    cfg = StftConfig()
    x = np.zeros(256 * 200, np.complex64)
    add_tone(x, offset_hz=(-31 + frac) * FS / 256, power_dbfs=-20.0)
    p, _ = _stft_all(x, cfg, [])
    k = int(np.argmax(p.mean(axis=0)))
    total = band_power(p[:, k - 6 : k + 7], cfg).mean()
    assert 10 * np.log10(total) == pytest.approx(-20.0, abs=0.2)


def test_noise_reads_its_density() -> None:
    cfg = StftConfig()
    rng = np.random.default_rng(3)
    x = awgn(256 * 4000, -30.0, rng)
    p, _ = _stft_all(x, cfg, [])
    mean_bin_db = 10 * np.log10(p.mean())
    true_density = -30.0 - 10 * np.log10(FS)
    assert float(density_dbfs_per_hz(mean_bin_db, cfg, FS)) == pytest.approx(true_density, abs=0.1)
    # Summing all bins and dividing by the ENBW gives the total power back.
    assert 10 * np.log10(band_power(p, cfg).mean()) == pytest.approx(-30.0, abs=0.1)


@pytest.mark.parametrize("hop", [256, 128, 200])
def test_blocks_give_the_same_frames_as_one_block(hop: int) -> None:
    cfg = StftConfig(nfft=256, hop=hop)
    rng = np.random.default_rng(5)
    x = awgn(100_000, -20.0, rng)
    whole, f0 = _stft_all(x, cfg, [], start=1000)
    cuts = sorted(rng.choice(np.arange(1, x.size), 25, replace=False).tolist())
    parts, f1 = _stft_all(x, cfg, cuts, start=1000)
    assert f0 == f1 == -(-1000 // hop)
    assert parts.shape == whole.shape
    np.testing.assert_allclose(parts, whole, rtol=1e-5, atol=1e-12)


def test_gap_restarts_framing_on_the_absolute_grid() -> None:
    cfg = StftConfig()
    st = StftState(cfg)
    rng = np.random.default_rng(1)
    a = stft_block(st, awgn(1000, -20, rng), 0)
    assert a.frame_start == 0
    assert a.n_frames == 3
    b = stft_block(st, awgn(1000, -20, rng), 5000)  # not contiguous: a gap
    assert b.frame_start == -(-5000 // 256)
    assert b.n_frames == (5000 + 1000) // 256 - b.frame_start
