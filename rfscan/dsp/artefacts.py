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
    for i in range(n):  # a loop over bursts; each step is vectorized over the candidates
        tol = np.maximum(freq_tol_hz, 0.2 * np.maximum(bw, bw[i]))
        overlap = np.minimum(t1, t1[i]) - np.maximum(t0, t0[i])
        shorter = np.minimum(t1 - t0, t1[i] - t0[i])
        cand = (
            (cen == cen[i])
            & (np.abs(off + off[i]) <= tol)
            & (np.abs(off[i]) > 0.5 * bw[i])
            & (overlap >= min_overlap * shorter)
            & (bw <= 1.5 * bw[i] + 2 * freq_tol_hz)
            & (bw[i] <= 1.5 * bw + 2 * freq_tol_hz)
            & (pwr >= pwr[i] + min_db)
        )
        cand[i] = False
        flags[i] = bool(cand.any())
    return flags
