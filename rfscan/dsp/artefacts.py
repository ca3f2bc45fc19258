"""RTL-SDR artefacts that must never be reported as emitters: the DC spike and IQ images.

* DC spike: the tuner's LO leakage and the ADC offset put a spike at 0 Hz offset.  The detector
  (:class:`rfscan.dsp.detect.BurstDetector`) never detects the ``dc_halfwidth_bins`` bins on each side of
  the centre on their own (they are only bridged when a burst covers both neighbours) and replaces
  their energy by their neighbours' when measuring a burst.  :func:`remove_dc` optionally removes the
  block mean as well.
* IQ image: gain/phase imbalance between I and Q mirrors every signal at ``+f`` to ``-f`` about the
  centre, typically 25-40 dB weaker.  A burst is an image when a burst at the mirrored offset, of
  similar bandwidth and overlapping it in time, is at least ``min_db`` (20 dB) stronger.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from rfscan.dsp.detect import Burst
from rfscan.dsp.stft import StftConfig

__all__ = ["dc_bins", "iq_image_flags", "remove_dc"]


def dc_bins(config: StftConfig, halfwidth_bins: int) -> NDArray[np.intp]:
    """Column indices (fftshifted) of the bins treated as the DC spike."""
    c = config.nfft // 2
    return np.arange(c - halfwidth_bins, c + halfwidth_bins + 1)


def remove_dc(samples: NDArray[np.complex64]) -> NDArray[np.complex64]:
    """Return the block minus its mean (a new array)."""
    out: NDArray[np.complex64] = (samples - np.complex64(samples.mean(dtype=np.complex128))).astype(
        np.complex64, copy=False
    )
    return out


def iq_image_flags(
    bursts: Sequence[Burst],
    *,
    min_db: float = 20.0,
    freq_tol_hz: float = 15e3,
    min_overlap: float = 0.5,
) -> NDArray[np.bool_]:
    """Flag the bursts that are IQ images of a stronger simultaneous burst.

    Parameters
    ----------
    bursts : sequence of Burst
        All bursts (any captures; only bursts of the same capture centre are compared).
    min_db : float
        Minimum power difference for an image.
    freq_tol_hz : float
        Mirror-frequency tolerance, widened to 20% of the bandwidth for wide bursts.
    min_overlap : float
        Minimum time overlap as a fraction of the shorter burst.

    Returns
    -------
    ndarray of bool
        ``True`` for images.
    """
    n = len(bursts)
    flags = np.zeros(n, dtype=bool)
    if n < 2:
        return flags
    cen = np.array([b.center_hz for b in bursts])
    off = np.array([b.freq_hz for b in bursts]) - cen
    bw = np.array([b.bandwidth_hz for b in bursts])
    t0 = np.array([b.start_s for b in bursts])
    t1 = t0 + np.array([b.duration_s for b in bursts])
    pwr = np.array([b.power_dbfs for b in bursts])
    # Only bursts overlapping in time can be images of each other: compare each burst with those
    # starting less than ``long_s`` before it (a window of the start-sorted list) plus the few longer
    # ones, so the cost stays linear in a long recording's burst count.
    dur = t1 - t0
    order = np.argsort(t0, kind="stable")
    t0_sorted = t0[order]
    long_s = float(np.quantile(dur, 0.99))
    long_idx = np.flatnonzero(~(dur <= long_s))  # NaN durations count as long (always compared)
    lo_all = np.searchsorted(t0_sorted, t0 - (1.01 * long_s + 1e-9), side="left")  # margin for rounding
    hi_all = np.searchsorted(t0_sorted, t1, side="right")
    for i in range(n):  # a loop over bursts; each step is vectorized over the candidates
        if not abs(off[i]) > 0.5 * bw[i]:
            continue
        j = np.concatenate([order[lo_all[i] : hi_all[i]], long_idx])
        bw_j, t0_j, t1_j = bw[j], t0[j], t1[j]
        tol = np.maximum(freq_tol_hz, 0.2 * np.maximum(bw_j, bw[i]))
        overlap = np.minimum(t1_j, t1[i]) - np.maximum(t0_j, t0[i])
        shorter = np.minimum(t1_j - t0_j, t1[i] - t0[i])
        cand = (
            (cen[j] == cen[i])
            & (np.abs(off[j] + off[i]) <= tol)
            & (overlap >= min_overlap * shorter)
            & (bw_j <= 1.5 * bw[i] + 2 * freq_tol_hz)
            & (bw[i] <= 1.5 * bw_j + 2 * freq_tol_hz)
            & (pwr[j] >= pwr[i] + min_db)
            & (j != i)
        )
        flags[i] = bool(cand.any())
    return flags
