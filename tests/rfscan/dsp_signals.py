"""Small synthetic test signals for the dsp tests (independent of rfscan.sim).

All signals are complex64 at ``FS`` with noise of a known density.  Burst power is set from the SNR in
the burst's own bandwidth: ``P_burst = snr * noise_density * bandwidth``.  Conventions: a complex
sine of amplitude 1 is 0 dBFS; noise of total power ``sigma2`` has density ``sigma2 / fs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

FS = 2.4e6
GSM_SYMBOL_RATE = 1625e3 / 6  # 270.833 ksym/s (3GPP TS 45.004)
GSM_SLOT_S = 15e-3 / 26  # 576.9 us
GSM_FRAME_S = 8 * GSM_SLOT_S  # 4.615 ms
GSM_ACCESS_S = 88 * 6 / 1625e3  # 88 bits -> 325 us
GSM_NORMAL_S = 148 * 6 / 1625e3  # 148 bits -> 546 us
PRACH_BW_HZ = 839 * 1250.0  # 1.049 MHz
PRACH_S = 0.9e-3
NOISE_DBFS = -40.0  # total noise power over the 2.4 MHz span (density -40 - 63.8 dBFS/Hz)

Array = NDArray[np.complex64]


@dataclass(frozen=True)
class Truth:
    """What a burst really is.

    ``offset_hz`` and ``bandwidth_hz`` are the middle and width of the band holding 98% of this very
    burst's energy, measured on the clean burst with a long FFT (a short GMSK burst's spectrum depends
    on its bits: its centre moves by ~7 kHz rms around the carrier).
    """

    start_s: float
    duration_s: float
    offset_hz: float
    bandwidth_hz: float
    snr_db: float
    carrier_hz: float = 0.0


def occupied(sig: NDArray[np.complexfloating], fs: float = FS, fraction: float = 0.98) -> tuple[float, float]:
    """Middle and width (Hz) of the band holding ``fraction`` of a clean signal's energy."""
    n = 1 << (int(np.ceil(np.log2(sig.size))) + 3)
    p = np.abs(np.fft.fftshift(np.fft.fft(sig, n))) ** 2
    cum = np.cumsum(p) / p.sum()
    f = np.fft.fftshift(np.fft.fftfreq(n, 1 / fs))
    lo = float(np.interp((1 - fraction) / 2, cum, f))
    hi = float(np.interp(1 - (1 - fraction) / 2, cum, f))
    return (lo + hi) / 2, hi - lo


def awgn(n: int, power_dbfs: float, rng: np.random.Generator) -> Array:
    """Complex white Gaussian noise of total power ``power_dbfs``."""
    s = np.sqrt(10 ** (power_dbfs / 10) / 2)
    out: Array = (
        rng.standard_normal(n, dtype=np.float32) * s + 1j * rng.standard_normal(n, dtype=np.float32) * s
    ).astype(np.complex64)
    return out


def density(noise_dbfs: float = NOISE_DBFS, fs: float = FS) -> float:
    """Linear noise density (per Hz) of :func:`awgn` noise."""
    return float(10 ** (noise_dbfs / 10) / fs)


def _place(x: Array, sig: NDArray[np.complex128], start_s: float, fs: float) -> None:
    i0 = round(start_s * fs)
    n = min(sig.size, x.size - i0)
    x[i0 : i0 + n] += sig[:n].astype(np.complex64)


def _scale(sig: NDArray[np.complex128], power: float) -> NDArray[np.complex128]:
    out: NDArray[np.complex128] = sig * np.sqrt(power / np.mean(np.abs(sig) ** 2))
    return out


def _shift(
    sig: NDArray[np.complex128], offset_hz: float, fs: float, t0_samples: int = 0
) -> NDArray[np.complex128]:
    n = np.arange(sig.size) + t0_samples
    out: NDArray[np.complex128] = sig * np.exp(2j * np.pi * offset_hz * n / fs)
    return out


def add_band_noise(
    x: Array,
    rng: np.random.Generator,
    *,
    start_s: float,
    duration_s: float,
    offset_hz: float,
    bandwidth_hz: float,
    snr_db: float,
    noise_dbfs: float = NOISE_DBFS,
    fs: float = FS,
) -> Truth:
    """Add a burst of band-limited (brick-wall) complex noise."""
    n = round(duration_s * fs)
    m = 1 << int(np.ceil(np.log2(n)))
    spec = rng.standard_normal(m) + 1j * rng.standard_normal(m)
    f = np.fft.fftfreq(m, 1 / fs)
    spec[np.abs(f) > bandwidth_hz / 2] = 0
    sig = np.fft.ifft(spec)[:n]
    sig = _scale(sig, 10 ** (snr_db / 10) * density(noise_dbfs, fs) * bandwidth_hz)
    sig = _shift(sig, offset_hz, fs)
    _place(x, sig, start_s, fs)
    mid, width = occupied(sig, fs)
    return Truth(start_s, n / fs, mid, width, snr_db, offset_hz)


def add_tone(
    x: Array,
    *,
    offset_hz: float,
    power_dbfs: float,
    start_s: float = 0.0,
    duration_s: float | None = None,
    fs: float = FS,
) -> None:
    """Add a complex tone (CW) of the given power."""
    n = x.size - round(start_s * fs) if duration_s is None else round(duration_s * fs)
    i0 = round(start_s * fs)
    sig = np.sqrt(10 ** (power_dbfs / 10)) * np.exp(2j * np.pi * offset_hz * (np.arange(n) + i0) / fs)
    x[i0 : i0 + n] += sig.astype(np.complex64)


def gmsk(n_bits: int, rng: np.random.Generator, fs: float = FS, bt: float = 0.3) -> NDArray[np.complex128]:
    """GMSK-like constant-envelope burst (random bits, Gaussian pulse BT, modulation index 0.5)."""
    sps = fs / GSM_SYMBOL_RATE
    n = round(n_bits * sps)
    bits = rng.integers(0, 2, n_bits) * 2 - 1
    idx = np.minimum((np.arange(n) / sps).astype(int), n_bits - 1)
    nrz = bits[idx].astype(np.float64)
    sigma = np.sqrt(np.log(2)) / (2 * np.pi * bt) * sps
    k = np.arange(-int(4 * sigma), int(4 * sigma) + 1)
    g = np.exp(-(k**2) / (2 * sigma**2))
    g /= g.sum()
    freq = np.convolve(nrz, g, mode="same")
    phase = np.pi / 2 * np.cumsum(freq) / sps
    out: NDArray[np.complex128] = np.exp(1j * phase)
    return out


@lru_cache(maxsize=4)
def gmsk_bandwidth_hz(fs: float = FS) -> float:
    """99% occupied bandwidth of :func:`gmsk` (computed from a long realisation)."""
    rng = np.random.default_rng(123)
    s = gmsk(200_000, rng, fs)
    p = np.abs(np.fft.fftshift(np.fft.fft(s))) ** 2
    cum = np.cumsum(p) / p.sum()
    f = np.fft.fftshift(np.fft.fftfreq(s.size, 1 / fs))
    return float(np.interp(0.995, cum, f) - np.interp(0.005, cum, f))


def add_gmsk_burst(
    x: Array,
    rng: np.random.Generator,
    *,
    start_s: float,
    offset_hz: float,
    snr_db: float,
    n_bits: int = 148,
    noise_dbfs: float = NOISE_DBFS,
    fs: float = FS,
) -> Truth:
    """Add one GMSK burst (148 bits: normal burst, 88 bits: access burst)."""
    bw = gmsk_bandwidth_hz(fs)
    sig = _scale(gmsk(n_bits, rng, fs), 10 ** (snr_db / 10) * density(noise_dbfs, fs) * bw)
    sig = _shift(sig, offset_hz, fs)
    _place(x, sig, start_s, fs)
    mid, width = occupied(sig, fs)
    return Truth(start_s, sig.size / fs, mid, width, snr_db, offset_hz)


def add_prach(
    x: Array,
    *,
    start_s: float,
    offset_hz: float,
    snr_db: float,
    root: int = 129,
    noise_dbfs: float = NOISE_DBFS,
    fs: float = FS,
) -> Truth:
    """Add a PRACH-like burst: 839-point Zadoff-Chu on 1.25 kHz tones (1.049 MHz), 0.1 ms CP + 0.8 ms."""
    nzc = 839
    k = np.arange(nzc)
    zc = np.exp(-1j * np.pi * root * k * (k + 1) / nzc)
    n_seq = round(0.8e-3 * fs)
    spec = np.zeros(n_seq, complex)
    tones = np.fft.fft(zc)
    bins = (np.arange(nzc) - nzc // 2) % n_seq
    spec[bins] = tones
    seq = np.fft.ifft(spec)
    cp = round(0.1e-3 * fs)
    sig = np.concatenate([seq[-cp:], seq])
    sig = _shift(_scale(sig, 10 ** (snr_db / 10) * density(noise_dbfs, fs) * PRACH_BW_HZ), offset_hz, fs)
    _place(x, sig, start_s, fs)
    mid, width = occupied(sig, fs)
    return Truth(start_s, sig.size / fs, mid, width, snr_db, offset_hz)


def add_lora(
    x: Array,
    *,
    start_s: float,
    offset_hz: float,
    snr_db: float,
    bandwidth_hz: float = 125e3,
    sf: int = 7,
    n_chirps: int = 12,
    noise_dbfs: float = NOISE_DBFS,
    fs: float = FS,
) -> Truth:
    """Add a LoRa-like packet: ``n_chirps`` up-chirps sweeping ``bandwidth_hz`` in ``2**sf / bw`` seconds."""
    t_sym = 2**sf / bandwidth_hz
    n_sym = round(t_sym * fs)
    t = np.arange(n_sym) / fs
    f_inst = -bandwidth_hz / 2 + bandwidth_hz * t / t_sym
    phase = 2 * np.pi * np.cumsum(f_inst) / fs
    sig = np.tile(np.exp(1j * phase), n_chirps)
    sig = _scale(sig, 10 ** (snr_db / 10) * density(noise_dbfs, fs) * bandwidth_hz)
    _place(x, _shift(sig, offset_hz, fs), start_s, fs)
    return Truth(start_s, sig.size / fs, offset_hz, bandwidth_hz, snr_db)


def add_dc_spike(x: Array, power_dbfs: float) -> None:
    """Add a constant (LO leakage) offset: a spike at 0 Hz."""
    x += np.complex64(np.sqrt(10 ** (power_dbfs / 10)) * (1 + 1j) / np.sqrt(2))


def with_iq_image(x: Array, image_db: float) -> Array:
    """IQ imbalance: every component at +f gets an image at -f, ``image_db`` dB weaker."""
    eps = 10 ** (-image_db / 20)
    return (x + eps * np.conj(x)).astype(np.complex64)


def blocks(
    x: Array, block_size: int, center_hz: float = 0.0, fs: float = FS, sample_start: int = 0
) -> list[object]:
    """Cut a signal into duck-typed Block objects."""
    from types import SimpleNamespace

    return [
        SimpleNamespace(
            samples=x[i : i + block_size],
            sample_start=sample_start + i,
            center_hz=center_hz,
            sample_rate_hz=fs,
        )
        for i in range(0, x.size, block_size)
    ]


def analyze(
    x: Array, *, block_size: int = 1 << 16, center_hz: float = 900e6, config: object = None
) -> object:
    """Run the dsp pipeline on a signal cut into blocks."""
    from rfscan.dsp import PipelineConfig, analyze_blocks

    cfg = config if isinstance(config, PipelineConfig) else None
    return analyze_blocks(blocks(x, block_size, center_hz), FS, config=cfg)  # type: ignore[arg-type]
