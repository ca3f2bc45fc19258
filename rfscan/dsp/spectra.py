"""Fixed-size spectrum accumulators and a robust noise-floor estimate.

Everything here is updated block by block from the STFT power rows and has a memory footprint that
does not depend on the recording length: mean PSD, max-hold, min-hold, a per-bin histogram of the
cell power in 1/16-octave (0.19 dB) steps from which percentile spectra and the noise floor are read,
and a spectrogram max-pooled in time to at most ``max_rows`` rows.

Histogram levels come from the float32 bit pattern (exponent and 4 mantissa bits), so no logarithm
is computed per cell; the level edges are exact powers ``2**e * (1 + j/16)`` and percentiles are
interpolated linearly inside a level.

Noise floor
-----------
For complex Gaussian noise each cell's power is exponentially distributed (chi-square, 2 degrees of
freedom), so its ``q`` quantile is ``-ln(1 - q)`` times the mean.  The floor per bin is the ``q = 0.2``
quantile over time divided by ``-ln(0.8)`` (a signal present in a bin up to ~15% of the time moves it
by less than 1 dB), median-filtered across a third of the bins (so CW spurs, GSM carriers and other
always-on signals narrower than ~40 bins do not lift it) and finally capped at the lower quartile of
the floor over the span plus 6 dB (so wide always-on signals do not lift it either, while the tuner's
roll-off at the span edges is kept).  Around the centre (``dc_keep_bins``) the unfiltered estimate
wins when higher, so the DC spike of the dongle is part of the floor, never a signal.

Known limits: a signal wider than ~20 bins (~190 kHz) that is on more than ~15% of the time (a busy
LTE uplink) lifts the floor under it (by at most the 6 dB cap), and a signal filling the whole span
cannot be told from a higher noise floor.

For burst detection the pipeline uses a *detection* floor that also follows each bin's own level
(``track_db``): always-on signals become background there and are reported from these spectra by
:func:`occupied_runs` instead, so bursts next to (or on top of) a CW spur stay separate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import median_filter

from rfscan.dsp.stft import StftConfig, db
from rfscan.errors import InputError

__all__ = [
    "LogHistogram",
    "Spectra",
    "SpectraAccumulator",
    "floor_from_quantile",
    "tracked_floor",
]

FloatArray = NDArray[np.float32]

#: Histogram level resolution: 2**_MANT_BITS levels per octave (16 -> 0.19 dB).
_MANT_BITS = 4
_SHIFT = 23 - _MANT_BITS
#: Lowest / highest octave kept (2**-50 = -150.5 dBFS, 2**7 = +21 dBFS).
_OCT_LO = -50
_OCT_HI = 7
_LEVEL0 = (_OCT_LO + 127) << _MANT_BITS
N_LEVELS = (_OCT_HI - _OCT_LO) << _MANT_BITS

#: Quantile used for the noise floor and its chi-square (exponential) bias.
FLOOR_QUANTILE = 0.2


def _level_edges() -> NDArray[np.float64]:
    """Linear lower edge of every level plus the upper edge of the last one."""
    codes = (np.arange(N_LEVELS + 1, dtype=np.int64) + _LEVEL0) << _SHIFT
    return codes.astype(np.int32).view(np.float32).astype(np.float64)


_EDGES = _level_edges()


def _levels(power: FloatArray) -> NDArray[np.int32]:
    """Histogram level of every cell (clipped to the kept range)."""
    lev = power.view(np.int32) >> _SHIFT
    lev -= _LEVEL0
    np.clip(lev, 0, N_LEVELS - 1, out=lev)
    return lev


@dataclass
class LogHistogram:
    """Per-bin histogram of cell power on the fixed 1/16-octave grid.

    Attributes
    ----------
    counts : ndarray of int64, shape (nbins, N_LEVELS)
    """

    nbins: int
    counts: NDArray[np.int64] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = np.zeros((self.nbins, N_LEVELS), np.int64)

    @staticmethod
    def block_counts(power: FloatArray) -> NDArray[np.int64]:
        """Histogram of one block's rows, shape (nbins, N_LEVELS)."""
        counts, lo = LogHistogram.block_window(power)
        out = np.zeros((power.shape[1], N_LEVELS), np.int64)
        out[:, lo : lo + counts.shape[1]] = counts
        return out

    @staticmethod
    def block_window(power: FloatArray) -> tuple[NDArray[np.int64], int]:
        """Histogram of one block's rows over the levels that occur in it: ``(counts, lo)``, where
        ``counts[:, j]`` counts level ``lo + j`` (a block spans a few dozen of the ``N_LEVELS``
        levels, so this is much smaller than :meth:`block_counts` and cheaper to add up)."""
        nbins = power.shape[1]
        if power.size == 0:
            return np.zeros((nbins, 0), np.int64), 0
        lev = _levels(power)
        lo = int(lev.min())
        width = int(lev.max()) - lo + 1
        lev += (np.arange(nbins, dtype=np.int32) * width - lo)[None, :]
        return np.bincount(lev.ravel(), minlength=nbins * width).reshape(nbins, width), lo

    def add(self, counts: NDArray[np.int64], lo: int = 0) -> None:
        """Accumulate a block histogram (``counts[:, j]`` counting level ``lo + j``)."""
        self.counts[:, lo : lo + counts.shape[1]] += counts

    @property
    def total(self) -> int:
        """Number of rows accumulated (per bin)."""
        return int(self.counts[0].sum()) if self.nbins else 0

    @staticmethod
    def quantile_of(counts: NDArray[np.int64], q: float) -> NDArray[np.float64]:
        """Linear power at quantile ``q`` per bin (NaN where a bin has no data)."""
        used = np.flatnonzero(counts.any(axis=0))
        if used.size == 0:
            return np.full(counts.shape[0], np.nan)
        first = int(used[0])
        counts = counts[:, first : int(used[-1]) + 1]  # only the levels that occur (cheaper cumsum)
        cum = np.cumsum(counts, axis=1)
        n = cum[:, -1].astype(np.float64)
        target = q * n
        idx = np.minimum((cum < target[:, None]).sum(axis=1), counts.shape[1] - 1)
        rows = np.arange(counts.shape[0])
        before = np.where(idx > 0, cum[rows, np.maximum(idx - 1, 0)], 0).astype(np.float64)
        inside = counts[rows, idx].astype(np.float64)
        frac = np.clip((target - before) / np.maximum(inside, 1.0), 0.0, 1.0)
        lo, hi = _EDGES[first + idx], _EDGES[first + idx + 1]
        out = lo + frac * (hi - lo)
        return np.where(n > 0, out, np.nan)

    def quantile(self, q: float) -> NDArray[np.float64]:
        """Linear power at quantile ``q`` of everything accumulated."""
        return self.quantile_of(self.counts, q)


def _unbiased(quantile_power: NDArray[np.float64], q: float) -> NDArray[np.float64]:
    """Per-bin mean noise power from the ``q`` quantile (bins without data: the median of the others)."""
    mean = np.asarray(quantile_power, np.float64) / -math.log1p(-q)
    good = np.isfinite(mean)
    if not good.any():
        return mean
    return np.asarray(np.where(good, mean, np.nanmedian(mean)))


def tracked_floor(
    floor: NDArray[np.float64],
    quantile_power: NDArray[np.float64],
    track_db: float,
    q: float = FLOOR_QUANTILE,
) -> NDArray[np.float64]:
    """The detection floor from a plain floor: ``floor_from_quantile(..., track_db=track_db)`` given
    ``floor = floor_from_quantile(...)`` with the same other arguments (one median filter, not two).

    Parameters
    ----------
    floor : ndarray
        :func:`floor_from_quantile` of ``quantile_power`` without ``track_db``.
    quantile_power : ndarray
        Per-bin ``q`` quantile of the cell power (linear).
    track_db : float
        See :func:`floor_from_quantile`.
    q : float
        The quantile used.

    Returns
    -------
    ndarray of float64
        The floor raised to at least the unfiltered per-bin estimate minus ``track_db``.
    """
    mean = _unbiased(quantile_power, q)
    if not np.isfinite(mean).any():
        return mean
    return np.asarray(np.maximum(floor, mean * 10.0 ** (-track_db / 10.0)))


def floor_from_quantile(
    quantile_power: NDArray[np.float64],
    q: float = FLOOR_QUANTILE,
    *,
    kernel_bins: int | None = None,
    cap_db: float = 6.0,
    dc_keep_bins: int = 0,
    track_db: float | None = None,
) -> NDArray[np.float64]:
    """Noise floor (mean noise power per bin, linear) from a per-bin low quantile over time.

    Parameters
    ----------
    quantile_power : ndarray
        Per-bin ``q`` quantile of the cell power (linear).
    q : float
        The quantile used; the exponential-distribution bias ``-ln(1-q)`` is divided out.
    kernel_bins : int or None
        Median filter length across frequency; None: a third of the bins (85 of 256, ~800 kHz at
        2.4 MS/s), so always-on signals up to ~40 bins wide (two GSM carriers) do not lift the floor.
    cap_db : float
        Cap above the lower quartile (over bins) of the filtered floor.
    dc_keep_bins : int
        Within this many bins of the centre (the DC spike and its window leakage) the floor is the
        larger of the filtered and the unfiltered estimate, so the always-on spike is part of the floor.
    track_db : float or None
        If given, everywhere the floor is at least the unfiltered per-bin estimate minus ``track_db``:
        the *detection* floor, in which always-on signals are part of the background so that only
        what changes is detected as bursts (always-on signals are reported from the spectra instead,
        see :func:`occupied_runs`).

    Returns
    -------
    ndarray of float64
        Mean noise power per bin (tone-calibrated linear units).
    """
    mean = _unbiased(quantile_power, q)
    if not np.isfinite(mean).any():
        return mean
    k = (mean.size // 3 if kernel_bins is None else kernel_bins) | 1
    k = max(1, min(k, mean.size))
    smooth = median_filter(mean, size=k, mode="reflect")
    cap = np.quantile(smooth, 0.25) * 10.0 ** (cap_db / 10.0)
    out = np.minimum(smooth, cap)
    if dc_keep_bins > 0:
        c = out.size // 2
        sl = slice(max(c - dc_keep_bins, 0), c + dc_keep_bins + 1)
        out[sl] = np.maximum(out[sl], mean[sl])
    if track_db is not None:
        out = np.maximum(out, mean * 10.0 ** (-track_db / 10.0))
    return np.asarray(out)


def occupied_runs(
    acc: SpectraAccumulator, *, margin_db: float = 3.0, min_bins: int = 2, dc_keep_bins: int = 0
) -> tuple[list[tuple[int, int]], NDArray[np.float64], NDArray[np.float64]]:
    """Bins occupied nearly all the time: the ``q = 0.2`` level itself is ``margin_db`` above the floor.

    Returns
    -------
    runs : list of (lo, hi)
        Inclusive bin ranges (gaps of up to 2 bins merged; the DC zone excluded).
    level : ndarray
        Per-bin always-on level (linear, the bias-corrected quantile).
    floor : ndarray
        Per-bin noise floor (linear).
    """
    level = acc.hist.quantile(FLOOR_QUANTILE) / -math.log1p(-FLOOR_QUANTILE)
    floor = acc.noise_floor()
    on = np.nan_to_num(level, nan=0.0) > floor * 10.0 ** (margin_db / 10.0)
    if dc_keep_bins > 0:
        c = on.size // 2
        on[max(c - dc_keep_bins, 0) : c + dc_keep_bins + 1] = False
    bridged = on.copy()
    for g in (1, 2):  # close gaps of up to two bins
        bridged[g:-g] |= on[: -2 * g] & on[2 * g :]
    d = np.diff(np.concatenate([[0], bridged.view(np.int8), [0]]))
    starts, stops = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    runs = [(int(a), int(b) - 1) for a, b in zip(starts, stops, strict=True) if b - a >= min_bins]
    return runs, level, floor


@dataclass(frozen=True)
class Spectra:
    """Snapshot of the accumulated spectra of one capture centre (all per-bin arrays in dBFS).

    Attributes
    ----------
    center_hz, sample_rate_hz : float
        Capture centre and rate.
    freqs_hz : ndarray
        Absolute frequency of every bin.
    mean_dbfs, max_dbfs, min_dbfs : ndarray
        Mean PSD, max-hold and min-hold (tone-calibrated per bin).
    p10_dbfs, p50_dbfs, p90_dbfs : ndarray
        Percentile spectra over time.
    noise_floor_dbfs : ndarray
        Robust mean noise power per bin.
    noise_density_dbfs_hz : ndarray
        The same as a density (dBFS/Hz).
    spectrogram_dbfs : ndarray, shape (rows, nbins)
        Max-pooled spectrogram (NaN rows = not watched).
    spectrogram_times_s : ndarray
        Start time of every spectrogram row.
    frames : int
        Frames accumulated.
    enbw_bins : float
        Window equivalent noise bandwidth.
    """

    center_hz: float
    sample_rate_hz: float
    freqs_hz: NDArray[np.float64]
    mean_dbfs: NDArray[np.float64]
    max_dbfs: NDArray[np.float64]
    min_dbfs: NDArray[np.float64]
    p10_dbfs: NDArray[np.float64]
    p50_dbfs: NDArray[np.float64]
    p90_dbfs: NDArray[np.float64]
    noise_floor_dbfs: NDArray[np.float64]
    noise_density_dbfs_hz: NDArray[np.float64]
    spectrogram_dbfs: NDArray[np.float64]
    spectrogram_times_s: NDArray[np.float64]
    frames: int
    enbw_bins: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (lists of rounded floats; spectrogram omitted, it is for plots)."""

        def r(a: NDArray[np.float64]) -> list[float | None]:
            return [None if not np.isfinite(v) else round(float(v), 2) for v in a]

        return {
            "center_hz": self.center_hz,
            "sample_rate_hz": self.sample_rate_hz,
            "freqs_hz": [float(f) for f in self.freqs_hz],
            "mean_dbfs": r(self.mean_dbfs),
            "max_dbfs": r(self.max_dbfs),
            "min_dbfs": r(self.min_dbfs),
            "p10_dbfs": r(self.p10_dbfs),
            "p50_dbfs": r(self.p50_dbfs),
            "p90_dbfs": r(self.p90_dbfs),
            "noise_floor_dbfs": r(self.noise_floor_dbfs),
            "frames": self.frames,
        }


class SpectraAccumulator:
    """Accumulate the spectra of one capture centre, block by block (flat memory).

    Parameters
    ----------
    config : StftConfig
        The STFT producing the rows.
    center_hz, sample_rate_hz : float
        Capture centre and sample rate.
    max_rows : int
        Upper bound of spectrogram rows (time max-pooling doubles when exceeded).
    hist_stride : int
        Only every ``hist_stride``-th frame enters the percentile histogram (cost control; the
        percentiles of a stationary process are unchanged).
    hist_stride_late : int or None
        The stride once ``hist_late_rows`` histogram rows are in (a multiple of ``hist_stride``;
        None: ``hist_stride`` throughout).  The noise floor is then settled and only tracks slow
        changes, which half the rows measure as well, at half the cost.
    hist_late_rows : int
        Histogram rows taken at ``hist_stride`` before the stride becomes ``hist_stride_late``.  The
        switch is at an absolute frame index (the first multiple of the late stride after them), so
        the histogram does not depend on how the stream is cut into blocks.
    """

    def __init__(
        self,
        config: StftConfig,
        center_hz: float,
        sample_rate_hz: float,
        *,
        max_rows: int = 2000,
        hist_stride: int = 4,
        hist_stride_late: int | None = None,
        hist_late_rows: int = 1024,
        dc_keep_bins: int = 5,
    ) -> None:
        self.dc_keep_bins = dc_keep_bins
        self.config = config
        self.center_hz = float(center_hz)
        self.sample_rate_hz = float(sample_rate_hz)
        n = config.nfft
        self.frames = 0
        self.sum = np.zeros(n, np.float64)
        self.max = np.full(n, -np.inf, np.float32)
        self.min = np.full(n, np.inf, np.float32)
        self.hist = LogHistogram(n)
        self.hist_stride = max(1, int(hist_stride))
        late = self.hist_stride if hist_stride_late is None else int(hist_stride_late)
        if late < self.hist_stride or late % self.hist_stride:
            raise InputError(f"hist_stride_late {late} is not a multiple of hist_stride {self.hist_stride}")
        self.hist_stride_late = late
        self.hist_late_rows = max(0, int(hist_late_rows))
        self._late_frame: int | None = None  # absolute frame where the late stride starts
        self.max_rows = max(2, int(max_rows))
        self.rows = np.full((self.max_rows, n), np.nan, np.float32)
        self.pool = 1
        self.origin_frame: int | None = None

    @property
    def freqs_hz(self) -> NDArray[np.float64]:
        """Absolute frequency of every bin."""
        return self.center_hz + self.config.offsets_hz(self.sample_rate_hz)

    def update(self, power: FloatArray, frame_start: int) -> tuple[NDArray[np.int64], int]:
        """Add the rows of one block; returns the block's histogram (used for the running floor) as
        :meth:`LogHistogram.block_window` does: ``(counts, lo)``.

        Parameters
        ----------
        power : ndarray of float32, shape (frames, nbins)
            STFT power rows.
        frame_start : int
            Absolute index of the first row.
        """
        f = power.shape[0]
        if f == 0:
            return np.zeros((self.config.nfft, 0), np.int64), 0
        self.frames += f
        self.sum += power.sum(axis=0)  # float32 per block (<= a few thousand rows), float64 overall
        np.minimum(self.min, power.min(axis=0), out=self.min)
        counts, lo = LogHistogram.block_window(self._hist_rows(power, frame_start))
        self.hist.add(counts, lo)
        pooled = self._spectrogram(power, frame_start)
        # Max-hold from the time-pooled rows (one pass over the block less once pooling starts).
        np.maximum(self.max, pooled.max(axis=0) if pooled.shape[0] else power.max(axis=0), out=self.max)
        return counts, lo

    def _hist_rows(self, power: FloatArray, frame_start: int) -> FloatArray:
        """The rows of a block that enter the histogram: on an absolute grid of the stride, the early
        stride before the switch frame and the late one from it (identical however blocks are cut)."""
        s0, s1 = self.hist_stride, self.hist_stride_late
        if self._late_frame is None:
            start = frame_start + (-frame_start) % s0  # the first histogram row of the capture
            end = start + self.hist_late_rows * s0
            self._late_frame = end + (-end) % s1
        if s1 == s0:
            return power[(-frame_start) % s0 :: s0]
        split = min(max(self._late_frame - frame_start, 0), power.shape[0])
        early = power[(-frame_start) % s0 : split : s0]
        if split == power.shape[0]:
            return early
        late = power[split + (-(frame_start + split)) % s1 :: s1]
        return late if split == 0 else np.concatenate([early, late])

    def _spectrogram(self, power: FloatArray, frame_start: int) -> FloatArray:
        """Max-pool the rows into the spectrogram; returns the pooled rows of this block."""
        if self.origin_frame is None:
            self.origin_frame = frame_start
        rel0 = frame_start - self.origin_frame
        if rel0 < 0:  # a capture restarted earlier than the origin: ignore for the plot
            return np.zeros((0, power.shape[1]), np.float32)
        f = power.shape[0]
        while (rel0 + f - 1) // self.pool >= self.max_rows:
            half = self.max_rows // 2
            pooled = np.fmax(self.rows[0 : 2 * half : 2], self.rows[1 : 2 * half : 2])
            self.rows[:half] = pooled
            self.rows[half:] = np.nan
            self.pool *= 2
        pool = self.pool
        r0 = rel0 // pool
        # Rows [a, b) of the block are aligned to whole pooled rows: reshape-max them in one go.
        a = min((-rel0) % pool, f)
        b = a + (f - a) // pool * pool
        parts: list[tuple[int, FloatArray]] = []
        if a > 0:
            parts.append((r0, power[:a].max(axis=0, keepdims=True)))
        if b > a:
            first_row = (rel0 + a) // pool
            pooled = power[a:b] if pool == 1 else power[a:b].reshape(-1, pool, power.shape[1]).max(axis=1)
            parts.append((first_row, pooled))
        if f > b:
            parts.append(((rel0 + b) // pool, power[b:].max(axis=0, keepdims=True)))
        for row, vals in parts:
            sl = slice(row, row + vals.shape[0])
            np.fmax(self.rows[sl], vals, out=self.rows[sl])
        return np.concatenate([v for _, v in parts]) if len(parts) > 1 else parts[0][1]

    def noise_floor(self) -> NDArray[np.float64]:
        """Robust mean noise power per bin (linear) over everything accumulated."""
        return floor_from_quantile(self.hist.quantile(FLOOR_QUANTILE), dc_keep_bins=self.dc_keep_bins)

    def result(self) -> Spectra:
        """Snapshot of the accumulated spectra."""
        cfg = self.config
        n_rows = 0
        if self.origin_frame is not None:
            valid = np.flatnonzero(np.isfinite(self.rows).any(axis=1))
            n_rows = int(valid[-1]) + 1 if valid.size else 0
        floor = self.noise_floor()
        frame_s = cfg.hop / self.sample_rate_hz
        origin = self.origin_frame or 0
        times: NDArray[np.float64] = (origin + np.arange(n_rows, dtype=np.float64) * self.pool) * frame_s
        mean = self.sum / max(self.frames, 1)
        return Spectra(
            center_hz=self.center_hz,
            sample_rate_hz=self.sample_rate_hz,
            freqs_hz=self.freqs_hz,
            mean_dbfs=db(mean) if self.frames else np.full(cfg.nfft, np.nan),
            max_dbfs=db(self.max) if self.frames else np.full(cfg.nfft, np.nan),
            min_dbfs=db(self.min) if self.frames else np.full(cfg.nfft, np.nan),
            p10_dbfs=db(self.hist.quantile(0.1)),
            p50_dbfs=db(self.hist.quantile(0.5)),
            p90_dbfs=db(self.hist.quantile(0.9)),
            noise_floor_dbfs=db(floor),
            noise_density_dbfs_hz=db(floor)
            - 10.0 * np.log10(cfg.enbw_bins * cfg.bin_hz(self.sample_rate_hz)),
            spectrogram_dbfs=db(self.rows[:n_rows]),
            spectrogram_times_s=times,
            frames=self.frames,
            enbw_bins=cfg.enbw_bins,
        )
