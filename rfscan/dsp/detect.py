"""Burst detection on STFT power: per-cell CFAR threshold, connected components, burst measurement.

Threshold and false alarms
--------------------------
Each cell's power is first summed over ``smooth_bins`` adjacent bins (5 by default: a wideband burst
gains sensitivity, a tone loses little).  For noise alone that sum is a weighted sum of exponential
variables whose weights are the eigenvalues of the covariance of the windowed DFT bins in the box
(computed exactly from the window, so correlation between neighbouring Hann bins is accounted for).
The threshold factor ``t`` solves ``P(S > t * E[S]) = pfa`` and the threshold per cell is ``t`` times
the box sum of the noise floor.  With the defaults (nfft=256, hop=256, 5 bins, pfa=1e-6) that is
``t`` ~ 7.4 dB above the mean; at 2.4 MS/s there are 2.4e6 cells/s, so ~2.4 false cells per second,
almost all isolated (measured: 672 exceedances in 300 s of noise for 720 expected).  A burst must
then span at least ``min_frames`` (2) frames and measure an SNR >= 0 dB: noise needs neighbouring
exceedances in consecutive frames, a rate that falls as ``pfa**2`` or faster (measured: 3.1 false
bursts/s at pfa=1e-3, none in 30 s at 1e-4, none in 60 s at 1e-5, none in 300 s at 1e-6; extrapolated
~1e-5/s = ~0.04 per hour at the default), before the emitter rules (several bursts on one frequency
with a period) reduce it further.  ``false_cells_per_s`` reports the expected crossing rate for a
configuration; the tests measure the real one.  (Numbers for the default Tukey window; Hann gives
8.6 dB, see :func:`threshold_factor`.)

Long narrow signals
-------------------
A single NB-IoT tone (15 kHz for 8 ms) fills ~2 bins: in the 5-bin box it loses ~4 dB, and one frame
(107 us) is short against its 8 ms.  A second, integrating test sums the power over ``narrow_frames``
(8) frames aligned on the absolute frame index and ``narrow_bins`` (3) bins, with its own exact
threshold (:func:`threshold_factor_frames`, ``narrow_pfa`` = 1e-8 per test: 4.6 dB over the mean).
It only adds cells where the per-frame test found nothing in the group (stronger signals keep their
per-frame timing), or, in the long (32-frame) groups of a tone, where it found under half the frames:
nothing is found 4-9 bins from the box's centre on either side, and this test fires nowhere there
(a tone 10-12 dB over the noise crosses the per-frame threshold in some frames only, and came out in
2-5 pieces of random length; GSM slots and PUCCH hops are wide, so their gaps stay empty; in 8 frames
a weak chirp's sweep still looks like a tone).  There only the frames joined to those the per-frame
test found, across gaps of up to two frames, are added (noise frames past a tone's end pass the box
test now and then).
It adds cells only in bins whose detection floor is the noise floor itself (not one raised to follow
an always-on signal, where its higher sensitivity would see the floor's bias), only where the group's
box also exceeds the threshold over the median of its neighbours (+-15 bins: the skirts of a strong
burst lift the noise near it for a while), and only in the frames of the group whose own box sum
exceeds twice its noise mean.  A single 8 ms tone 10 or 12 dB over the noise in its own 15 kHz is then
found in one piece (12 of 12 simulated 8 ms units at each, 7.8-8.4 ms long; 8 of 12 at 8 dB
within 0.6 ms).

Grouping and measurement
------------------------
Detected cells are dilated by one cell (3x3) and labelled (8-connectivity), so cells separated by up
to two empty cells join one burst.  Only row runs and column runs containing detections are labelled
(cost proportional to the busy area).  Components that reach the end of a block stay open and are
merged with the components of the next block that start within the same reach, so bursts are never
cut at block boundaries.  A component is cut in frequency at a (nearly) empty run of columns between
two signals that a strong one's skirts and a few noise cells join (:func:`_column_gaps`; the 98% span
of the strong one would take the weak one's energy out), also when it continues two components left
open side by side at a block's end, and in time where two touching bursts step in frequency
(:func:`_step_row`).  Each burst is measured from the floor-subtracted power over its bounding box
widened by 3 bins (minus other bursts' cells):

* start and duration (hop == nfft): the first and last frames above half the full-frame level are
  found, and each edge's length is the posterior mean given the energy fractions of its two edge
  frames and the window's known energy profile (``_edge_timing``); otherwise (overlap) the duration
  is ``hop * sum(frame energy) / full-frame energy`` around the energy-weighted centre time,
* bandwidth: span holding 98% of the excess energy across bins (99% puts the edges under the noise
  at 10 dB SNR); freq: the middle of that span (the power-weighted centroid of a noise-like wideband
  burst wanders by ~10 kHz, the span's middle does not),
* snr: mean in-band signal power over the noise power in the same (occupied) bandwidth,
* peak: highest in-band frame power (signal + noise), dBFS,
* tone share: the share of its excess energy in its three strongest adjacent bins (a tone's, or a
  burst's whose 98% span something widened, is high; a GSM burst's or an RB's low).

Chirped bursts (a PRACH's Zadoff-Chu sweep, LoRa symbols) can be cut into pieces, and a weak long
burst crosses the threshold in patches; :func:`merge_simultaneous` puts pieces that coincide in time
or follow each other on one band (gap < 0.4 ms) back together.  The pipeline merges always-on bands
(from the spectra) separately, so a short burst next to a CW spur keeps its own timing.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.optimize import brentq
from scipy.stats import gamma

from rfscan.dsp.stft import StftConfig
from rfscan.errors import InputError

__all__ = [
    "Burst",
    "BurstDetector",
    "DetectConfig",
    "false_cells_per_s",
    "merge_simultaneous",
    "occupied_span",
    "threshold_factor",
    "threshold_factor_frames",
]

FloatArray = NDArray[np.float32]
_STRUCT = np.ones((3, 3), dtype=bool)
#: Per-frame energies kept at the end of a component.
_TAIL = 8
#: From this many frames (its head rows) a component's typical level may be found near its upper
#: quartile of frame energies, not its strongest frame: shorter, its strongest frames are its level
#: (a GSM access burst is 3-4 frames, two of them partial).
_ROBUST_MIN_FRAMES = 8
#: One or two frames (a click's leftover, in one frame or across a frame boundary: _MAX_OUTLIER_FRAMES)
#: this many times over a component's upper quartile of frame energies are no full frames of its
#: transmission, whose full frames vary far less.  More are a stronger transmission of their own
#: (a GSM access burst is 3-4 frames: one ahead of weaker slots keeps its own level).
_OUTLIER_RATIO = 4.0
_MAX_OUTLIER_FRAMES = 2
#: ... when that quartile stands this many times over the noise of a frame's energy, estimated as
#: ``sqrt(sum(floor**2))`` over the detected bins (the energies also hold a few margin bins, so the
#: true spread is 1.2-2 times that; the value was set by measurement): a weak NB-IoT unit's 21
#: frames (its quartile 2.6 of them) had one 4.3 times it by chance; a spur's pieces with a click's
#: leftover in a frame read 11-14, modem bursts of 10-15 dB 14-214.
_ROBUST_MIN_SIGMAS = 5.0
#: Extra bins on each side of a component included in its measurement.
_MARGIN = 3
#: Frequency cuts of a component (:func:`_column_gaps`): a signal's own columns are detected in at
#: least this many frames (0.85 ms at 2.4 MS/s), ...
_SPLIT_MIN_FRAMES = 8
#: ... and a gap between two signals is at least this many columns (28 kHz at 2.4 MS/s) ...
_SPLIT_GAP_BINS = 3
#: ... each detected in at most this share of the frames of the weaker side's busiest column.
_SPLIT_SPARSE = 0.1
#: Pieces of a tone merged in time keep its :attr:`Burst.tone_share` when their centres are this close.
_TONE_SPREAD_HZ = 20e3
#: A DC bin's excess, summed over a slab's rows, is at most _DC_CAP times its weaker neighbour's when
#: the stronger neighbour is under _DC_SKIRT times the next bin outward (a skirt).
_DC_CAP = 2.0
_DC_SKIRT = 0.5
#: Largest time gap between pieces of one transmission on one band (see :func:`merge_simultaneous`).
CHAIN_GAP_S = 0.4e-3
#: Pieces on either side of the DC zone are bridged across it (``dc_gap_hz``) only when their power
#: densities are within this many dB: the two halves of one carrier cut by the zone have one density
#: (within a few dB at the detection threshold), while the skirt of a strong narrow signal beside the
#: zone, detected on its far side, is 20-30 dB under it (quiet scene 990668: a 32 dB spur piece bridged
#: to a 0-3 dB fragment read 200-210 kHz instead of 34 kHz).  In the default and interference benchmarks
#: every bridge joined pieces within 5 dB; over ~92 000 simulated modem transmissions across the
#: centre (3-50 dB), the two halves that needed the bridge were at most 8.9 dB apart (a PRACH at 6 dB).
DC_BRIDGE_MAX_DB = 15.0


@dataclass(frozen=True)
class DetectConfig:
    """Detection parameters.

    Attributes
    ----------
    pfa : float
        False-alarm probability per (smoothed) cell.
    smooth_bins : int
        Odd number of adjacent bins summed before thresholding.
    min_frames : int
        Minimum number of frames a burst's detected cells span.
    min_bins : int
        Minimum number of bins a burst's detected cells span.
    min_cells : int
        Minimum number of detected cells.
    min_snr_db : float
        Minimum measured SNR (noise clumps that pass the size rules measure ~0 dB or less).
    dc_halfwidth_bins : int
        Bins on each side of 0 Hz treated as the DC spike and its leakage (never detected on their
        own: only bridged when a burst covers both sides; their energy is interpolated).
    occupied_fraction : float
        Fraction of the excess energy defining the occupied bandwidth.
    max_energies : int
        Per-frame energies kept per burst (for the full-frame level of long bursts).
    narrow_frames, narrow_bins, narrow_pfa : int, int, float
        Second, integrating test for long narrow signals (single NB-IoT tones): the power summed over
        ``narrow_frames`` consecutive frames (aligned on the absolute frame index) and ``narrow_bins``
        bins is thresholded at ``narrow_pfa``; where it fires, the frames of that group whose own
        ``narrow_bins`` sum exceeds twice its noise mean are marked detected.  ``narrow_frames <= 1``
        disables it.
    narrow_long : int
        The same test is run again on groups ``narrow_long`` times longer (32 frames, 3.4 ms at
        2.4 MS/s): a single NB-IoT tone of 8 or 32 ms a few dB over the noise in its 15 kHz fires
        there, not in 8 frames.  ``<= 1`` disables the long test.
    """

    pfa: float = 1e-6
    smooth_bins: int = 5
    min_frames: int = 2
    min_bins: int = 3
    min_cells: int = 4
    min_snr_db: float = 0.0
    dc_halfwidth_bins: int = 5
    occupied_fraction: float = 0.98
    max_energies: int = 256
    narrow_frames: int = 8
    narrow_long: int = 4
    narrow_bins: int = 3
    narrow_pfa: float = 1e-8

    def __post_init__(self) -> None:
        if not 0.0 < self.pfa < 0.5:
            raise InputError(f"pfa must be in (0, 0.5), got {self.pfa}")
        if self.smooth_bins < 1 or self.smooth_bins % 2 == 0:
            raise InputError(f"smooth_bins must be odd and >= 1, got {self.smooth_bins}")
        if self.narrow_bins < 1 or self.narrow_bins % 2 == 0:
            raise InputError(f"narrow_bins must be odd and >= 1, got {self.narrow_bins}")
        if not 0.0 < self.narrow_pfa < 0.5:
            raise InputError(f"narrow_pfa must be in (0, 0.5), got {self.narrow_pfa}")


@lru_cache(maxsize=64)
def _box_eigenvalues(nfft: int, window: str, smooth_bins: int) -> tuple[float, ...]:
    """Eigenvalues of the covariance of ``smooth_bins`` adjacent windowed DFT bins of white noise."""
    w = StftConfig(nfft=nfft, hop=nfft, window=window).window_array.astype(np.float64)
    n = np.arange(nfft)
    lags = np.arange(-(smooth_bins - 1), smooth_bins)
    acf = {int(d): complex(np.sum(w * w * np.exp(-2j * np.pi * d * n / nfft))) for d in lags}
    cov = np.array([[acf[i - j] for j in range(smooth_bins)] for i in range(smooth_bins)])
    lam = np.linalg.eigvalsh(cov)
    lam = np.clip(lam, 0.0, None)
    return tuple(float(v) for v in lam / lam.sum())


def _tail(t: float, lam: NDArray[np.float64]) -> float:
    """P(sum lam_j E_j > t) for independent unit exponentials E_j (distinct lam_j)."""
    total = 0.0
    for j, lj in enumerate(lam):
        c = 1.0
        for i, li in enumerate(lam):
            if i != j:
                c *= lj / (lj - li)
        total += c * math.exp(-t / lj)
    return total


@lru_cache(maxsize=64)
def threshold_factor(config: StftConfig, smooth_bins: int, pfa: float) -> float:
    """Threshold over the mean of the box sum giving ``pfa`` per cell for complex Gaussian noise.

    Parameters
    ----------
    config : StftConfig
        STFT (window and nfft define the bin correlation).
    smooth_bins : int
        Bins summed.
    pfa : float
        False-alarm probability per cell.

    Returns
    -------
    float
        Factor ``t`` such that ``P(S > t * E[S]) = pfa``.
    """
    lam = np.array([v for v in _box_eigenvalues(config.nfft, config.window, smooth_bins) if v > 1e-9])
    if lam.size == 1:
        return float(-math.log(pfa))
    if np.ptp(lam) < 1e-6:
        return float(gamma.isf(pfa, lam.size) / lam.size)
    # Nearly equal eigenvalues make the partial-fraction tail ill-conditioned: spread them slightly.
    order = np.argsort(lam)
    lam = lam[order]
    for i in range(1, lam.size):
        lam[i] = max(lam[i], lam[i - 1] * (1 + 1e-3))
    lam /= lam.sum()
    hi = -math.log(pfa) * float(lam.max()) * 4 + 10
    return float(brentq(lambda t: math.log(max(_tail(t, lam), 1e-300)) - math.log(pfa), 1e-3, hi))


@lru_cache(maxsize=64)
def threshold_factor_frames(config: StftConfig, smooth_bins: int, frames: int, pfa: float) -> float:
    """Threshold over the mean for the box sum of ``smooth_bins`` bins over ``frames`` frames.

    With ``hop == nfft`` the frames of white noise are independent, so the sum is
    ``sum_j lam_j G_j`` with ``G_j`` Gamma(``frames``, 1) and ``lam_j`` the box eigenvalues; its tail
    is computed by numerical convolution of the scaled Gamma densities on a fine grid.

    Parameters
    ----------
    config : StftConfig
        STFT (window and nfft define the bin correlation).
    smooth_bins : int
        Bins summed.
    frames : int
        Frames summed (1: :func:`threshold_factor`).
    pfa : float
        False-alarm probability per test.

    Returns
    -------
    float
        Factor ``t`` such that ``P(S > t * E[S]) = pfa``.
    """
    if frames <= 1:
        return threshold_factor(config, smooth_bins, pfa)
    lam = np.array([v for v in _box_eigenvalues(config.nfft, config.window, smooth_bins) if v > 1e-9])
    lam = lam / lam.sum()
    k = float(frames)
    n_grid = 1 << 17
    x_max = 4.0 * (k + 3.0 * -math.log(pfa)) * float(lam.max())
    h = x_max / n_grid
    x = (np.arange(n_grid) + 0.5) * h
    spec = np.ones(2 * n_grid // 2 + 1, dtype=np.complex128)
    for lj in lam:  # a few eigenvalues
        pmf = gamma.pdf(x, k, scale=lj) * h
        spec = spec * np.fft.rfft(pmf, 2 * n_grid)
    pmf_sum = np.clip(np.fft.irfft(spec, 2 * n_grid)[:n_grid], 0.0, None)
    surv = np.cumsum(pmf_sum[::-1])[::-1]
    surv = surv / max(float(surv[0]), 1e-300)
    j = int(np.searchsorted(-surv, -pfa))  # first grid point with survival <= pfa
    j = min(max(j, 1), n_grid - 1)
    # Interpolate log-survival between the two grid points around pfa.
    s0, s1 = math.log(max(float(surv[j - 1]), 1e-300)), math.log(max(float(surv[j]), 1e-300))
    frac = 0.0 if s0 == s1 else (s0 - math.log(pfa)) / (s0 - s1)
    t_abs = (j - 1 + frac) * h + 0.5 * h * (len(lam) - 1)
    return float(t_abs / k)


def false_cells_per_s(config: StftConfig, detect: DetectConfig, sample_rate_hz: float) -> float:
    """Expected threshold crossings per second on noise alone (before the burst size rules)."""
    return detect.pfa * config.nfft * sample_rate_hz / config.hop


def occupied_span(profile: NDArray[np.floating], fraction: float = 0.99) -> tuple[float, float]:
    """Fractional bin positions ``(lo, hi)`` bounding ``fraction`` of a non-negative profile.

    Bin ``k`` covers ``[k - 0.5, k + 0.5]``; ``(1 - fraction) / 2`` of the energy lies on each side.
    The profile may hold floor-subtracted (zero-mean) noise: negative values are kept, not clipped.
    """
    p = np.asarray(profile, np.float64)
    total = p.sum()
    if total <= 0 or p.size == 0:
        return 0.0, float(max(p.size - 1, 0))
    # Zero-mean noise may make the cumulative sum dip: make it monotone from each side.
    raw = np.concatenate([[0.0], np.cumsum(p)]) / total
    clipped = np.minimum(np.maximum(raw, 0.0), 1.0)
    cum = np.maximum.accumulate(clipped)
    edges = np.arange(p.size + 1) - 0.5
    tail = (1.0 - fraction) / 2.0
    lo = float(np.interp(tail, cum, edges))
    cum_hi = np.minimum.accumulate(clipped[::-1])[::-1]
    hi = float(np.interp(1.0 - tail, cum_hi, edges))
    return lo, hi


@dataclass(frozen=True)
class Burst:
    """One detected burst (a connected region of the time-frequency plane).

    Attributes
    ----------
    start_s, duration_s : float
        Start time (seconds from sample 0 of the stream) and duration.
    freq_hz, bandwidth_hz : float
        Power-weighted centre (absolute RF) and occupied bandwidth.
    peak_dbfs : float
        Highest in-band frame power (signal + noise), dBFS.
    snr_db : float
        Mean signal power over noise power in the occupied bandwidth.
    power_dbfs : float
        Mean in-band signal power, dBFS.
    center_hz : float
        Capture centre the burst was seen in.
    cells, frames, bins : int
        Detected cells and the frame / bin extent of the detections.
    chirp_score : float
        Fraction of frame-to-frame centroid steps moving consistently in one direction (0..1).
    drift_hz_per_s : float
        Median centroid drift between frames (chirps sweep; stationary bursts ~0).
    emitter : int or None
        Index of the emitter the burst belongs to (set by the pipeline).
    sweep : float
        Standard deviation of the per-frame power centroid over the occupied bandwidth, when the
        centroid steps mostly (>= 60%, and significantly) in one direction between frames (else 0; also 0 for
        bursts narrower than 8 bins or shorter than 10 frames).  A chirp sweeping its band uniformly
        reads ~0.29 (``1 / sqrt(12)``) however slowly it sweeps; a stationary signal reads ~0.
    drift_t : float
        t statistic of the least-squares slope of the per-frame power centroid against time (0 with
        fewer than 6 frames): a chirp too weak for ``sweep`` (its centroid noisy, its pieces short)
        still drifts in one direction; a stationary signal gives a t-distributed value around 0.
    always_on : bool
        On for the whole capture it was seen in (found from the spectra, not as a burst): its start
        and end are the capture's, not its own.
    impulsive : float
        Fraction of its frames out of which the pipeline took clicks of impulsive noise
        (:mod:`rfscan.dsp.impulses`): a weak burst made in such frames may be what a click left.
    tone_share : float
        Share of its excess energy in its three strongest adjacent bins.  A tone (a spur) puts
        0.94-0.98 there through the default Tukey window (the most when it falls between two bins);
        measured on simulated bursts at 5-20 dB: a 15 kHz single NB-IoT tone 0.87-0.88, a 3-tone
        NB-IoT unit 0.58-0.67, GSM bursts <= 0.43, one RB or more <= 0.33.  A tone that a click's
        leftovers widened keeps its share while its 98% span reads an RB or more.
    in_clicks : bool
        Seen in a capture full of impulsive noise (``rfscan.dsp.pipeline.IMPULSIVE_CAPTURE``): the
        shape of a weak burst there is not trusted to name a technology (clicks too weak to be found
        leave weak bursts of random shape).  Set by the pipeline, carried with the burst so that an
        emitter built later from many captures (a survey's dwells) still knows it.
    """

    start_s: float
    duration_s: float
    freq_hz: float
    bandwidth_hz: float
    peak_dbfs: float
    snr_db: float
    power_dbfs: float
    center_hz: float
    cells: int
    frames: int
    bins: int
    chirp_score: float = 0.0
    drift_hz_per_s: float = 0.0
    emitter: int | None = None
    sweep: float = 0.0
    always_on: bool = False
    drift_t: float = 0.0
    impulsive: float = 0.0
    tone_share: float = 0.0
    in_clicks: bool = False

    @property
    def end_s(self) -> float:
        """End time."""
        return self.start_s + self.duration_s

    def to_dict(self) -> dict[str, object]:
        """JSON names of the result contract."""
        d = asdict(self)
        keys = ("start_s", "duration_s", "freq_hz", "bandwidth_hz", "peak_dbfs", "snr_db", "emitter")
        return {k: d[k] for k in keys}


@dataclass
class _Component:
    """Accumulated measurements of one (possibly still open) component."""

    det_first: int
    det_last: int
    k_lo: int
    k_hi: int
    last_lo: int
    last_hi: int
    cells: int
    col_e: NDArray[np.float64]
    e_sum: float
    e_msum: float
    energies: list[float]
    e_frame0: int
    tail: list[float]
    e_frame_end: int
    peak_power: float
    steps: int = 0
    pos: int = 0
    neg: int = 0
    drifts: list[float] = field(default_factory=list)
    c_n: int = 0
    c_sum: float = 0.0
    c_sq: float = 0.0
    d_sq: float = 0.0
    d_up: int = 0
    r_x0: int = 0
    r_x: float = 0.0
    r_xx: float = 0.0
    r_xy: float = 0.0
    #: False for what was detected in a frequency gap of a component (see
    #: :meth:`BurstDetector._measure_parts`): measured on its own, never stitched to an open one.
    stitch: bool = True

    def merge(self, o: _Component, cap: int) -> None:
        """Absorb another component (later in time or overlapping)."""
        if o.det_last >= self.det_last:
            self.last_lo, self.last_hi = o.last_lo, o.last_hi
        self.det_first = min(self.det_first, o.det_first)
        self.det_last = max(self.det_last, o.det_last)
        self.k_lo, self.k_hi = min(self.k_lo, o.k_lo), max(self.k_hi, o.k_hi)
        self.cells += o.cells
        self.col_e += o.col_e
        self.e_sum += o.e_sum
        self.e_msum += o.e_msum
        room = cap - len(self.energies)
        complete = len(self.energies) == self.e_frame_end - self.e_frame0 + 1
        if room > 0 and complete and o.e_frame0 == self.e_frame_end + 1:
            self.energies.extend(o.energies[:room])
        if o.e_frame_end > self.e_frame_end:
            self.tail = (self.tail + o.tail)[-_TAIL:]
            self.e_frame_end = o.e_frame_end
        self.peak_power = max(self.peak_power, o.peak_power)
        self.steps += o.steps
        self.pos += o.pos
        self.neg += o.neg
        if len(self.drifts) < cap:
            self.drifts.extend(o.drifts[: cap - len(self.drifts)])
        # Centroid-against-frame sums (drift regression), moved to this component's frame origin.
        dx = float(o.r_x0 - self.r_x0)
        self.r_xx += o.r_xx + 2.0 * dx * o.r_x + o.c_n * dx * dx
        self.r_x += o.r_x + o.c_n * dx
        self.r_xy += o.r_xy + dx * o.c_sum
        self.c_n += o.c_n
        self.c_sum += o.c_sum
        self.c_sq += o.c_sq
        self.d_sq += o.d_sq
        self.d_up += o.d_up


class BurstDetector:
    """Streaming burst detector for one capture centre.

    Parameters
    ----------
    stft : StftConfig
        STFT producing the rows.
    center_hz, sample_rate_hz : float
        Capture centre and rate.
    config : DetectConfig or None
        Detection parameters.
    """

    def __init__(
        self, stft: StftConfig, center_hz: float, sample_rate_hz: float, config: DetectConfig | None = None
    ) -> None:
        self.stft = stft
        self.cfg = config or DetectConfig()
        self.center_hz = float(center_hz)
        self.fs = float(sample_rate_hz)
        self.factor = threshold_factor(stft, self.cfg.smooth_bins, self.cfg.pfa)
        # The integrating tests (frames per group, threshold factor): long groups first (a weak
        # tone of several ms fires there as a whole), then short ones where they found nothing.
        frames = [self.cfg.narrow_frames * self.cfg.narrow_long] if self.cfg.narrow_long > 1 else []
        self.narrow_tiers = [
            (k, threshold_factor_frames(stft, self.cfg.narrow_bins, k, self.cfg.narrow_pfa))
            for k in [*frames, self.cfg.narrow_frames]
            if self.cfg.narrow_frames > 1
        ]
        #: Frames of the longest integrating group (rows are held back to its boundaries).
        self._group_frames = max((k for k, _ in self.narrow_tiers), default=1)
        self.open: list[_Component] = []
        #: Neighbouring components the last rows left open side by side: the columns ``(lo, hi)`` of
        #: the last frame of the lower one and of the upper one (absolute, inclusive).
        self._inherited_gaps: list[tuple[tuple[int, int], tuple[int, int]]] = []
        self.next_frame: int | None = None
        self.floor: NDArray[np.float64] = np.ones(stft.nfft)
        self.exceedances = 0
        self.cells_tested = 0
        self._mflat: NDArray[np.bool_] | None = None
        self.narrow_ok: NDArray[np.bool_] | None = None
        self._flat: NDArray[np.float32] | None = None
        self._floor_nodc: NDArray[np.float64] | None = None
        self._held: NDArray[np.float32] | None = None
        n = stft.nfft
        c = n // 2
        h = self.cfg.dc_halfwidth_bins
        self._dc = (max(c - h, 1), min(c + h, n - 2)) if h >= 0 else None

    # -- public -----------------------------------------------------------------------------------
    def process(
        self,
        power: FloatArray,
        frame_start: int,
        floor: NDArray[np.float64],
        *,
        narrow_ok: NDArray[np.bool_] | None = None,
    ) -> list[Burst]:
        """Detect in one block of rows; return the bursts that closed.

        The rows after the block's last boundary of the longest integrating group (at most 31
        frames) are held back and processed with the next block, or by :meth:`flush`.

        Parameters
        ----------
        power : ndarray of float32, shape (frames, nfft)
            STFT power rows.
        frame_start : int
            Absolute frame index of the first row.
        floor : ndarray
            Mean noise power per bin (linear) to threshold against.
        narrow_ok : ndarray of bool or None
            Bins where ``floor`` is the noise floor itself (not raised to follow an always-on signal);
            the integrating narrow test runs only on boxes of such bins.  None: everywhere.
        """
        closed: list[Burst] = []
        f_rows = power.shape[0]
        if self.next_frame is not None and frame_start != self.next_frame:
            closed.extend(self.flush())
        self.floor = np.asarray(floor, np.float64)
        self._floor_nodc = None
        self.narrow_ok = narrow_ok
        if f_rows == 0:
            return closed
        self.next_frame = frame_start + f_rows
        # The integrating tests sum groups of frames aligned on the absolute frame index; a group cut
        # by a block edge would be lost.  The rows after the block's last group boundary are held
        # back and processed with the start of the next block (or by flush), so that the results do
        # not depend on how the stream is cut (at the cost of <= one long group of latency).
        k = self._group_frames
        if self._held is not None:
            held, self._held = self._held, None
            first = (-frame_start) % k
            if first >= f_rows:  # still short of the next group boundary: hold on
                self._held = np.concatenate([held, power])
                return closed
            closed.extend(self._rows(np.concatenate([held, power[:first]]), frame_start - held.shape[0]))
            power, frame_start = power[first:], frame_start + first
        if k > 1:
            keep = power.shape[0] - (frame_start + power.shape[0]) % k
            if keep < power.shape[0]:
                self._held = power[max(keep, 0) :].copy()
                power = power[: max(keep, 0)]
        if power.shape[0]:
            closed.extend(self._rows(power, frame_start))
        return closed

    def _rows(self, power: FloatArray, frame_start: int) -> list[Burst]:
        """Detect in consecutive rows (the body of :meth:`process`)."""
        closed: list[Burst] = []
        n = power.shape[1]
        mask = self._detect_mask(power, frame_start)
        self.cells_tested += mask.size
        rows_any = _rows_any(mask)
        comps = self._components(power, mask, rows_any, frame_start) if rows_any.any() else []
        # Stitch with the components left open by the previous block.
        prev_open, self.open = self.open, []
        used: set[int] = set()
        for comp, touches_end in comps:
            if comp.det_first <= frame_start + 1 and comp.stitch:
                hits = [
                    i
                    for i, o in enumerate(prev_open)
                    if i not in used
                    and comp.det_first - o.det_last <= 3
                    and comp.k_lo - 2 <= o.last_hi
                    and o.last_lo <= comp.k_hi + 2
                ]
                if hits:
                    base = prev_open[hits[0]]
                    base.merge(comp, self.cfg.max_energies)
                    for i in hits[1:]:  # one new component bridging several open ones
                        base.merge(prev_open[i], self.cfg.max_energies)
                    used.update(hits)
                    comp = base
            if touches_end:
                if all(comp is not o for o in self.open):
                    self.open.append(comp)
            else:
                b = self._finish(comp)
                if b is not None:
                    closed.append(b)
        for i, o in enumerate(prev_open):
            if i in used:
                continue
            if o.det_last == frame_start - 1:  # the dilation row of a burst ending at the block edge
                lo, hi = max(o.last_lo - 1, 0), min(o.last_hi + 2, n)
                e = float((power[0, lo:hi] - self.floor[lo:hi]).sum())
                o.e_sum += e
                o.e_msum += e * frame_start
                if o.e_frame_end == frame_start - 1:
                    if (
                        len(o.energies) == o.e_frame_end - o.e_frame0 + 1
                        and len(o.energies) < self.cfg.max_energies
                    ):
                        o.energies.append(e)
                    o.tail = [*o.tail, e][-_TAIL:]
                    o.e_frame_end = frame_start
            b = self._finish(o)
            if b is not None:
                closed.append(b)
        # The columns between components left open side by side (at their last frame): the next
        # block's component that continues them is cut there when they are still empty in it.
        self._inherited_gaps = []
        reach: tuple[int, int] | None = None  # the open columns so far (a running maximum of their end)
        for lo, hi in sorted((o.last_lo, o.last_hi) for o in self.open):  # a loop over the few open ones
            if reach is not None and lo - reach[1] - 1 >= _SPLIT_GAP_BINS:
                self._inherited_gaps.append((reach, (lo, hi)))
            if reach is None or lo - reach[1] - 1 >= _SPLIT_GAP_BINS:
                reach = (lo, hi)
            else:
                reach = (reach[0], max(reach[1], hi))
        return closed

    def flush(self) -> list[Burst]:
        """Close every open component (end of stream or discontinuity)."""
        out: list[Burst] = []
        if self._held is not None and self.next_frame is not None:
            held, self._held = self._held, None
            out.extend(self._rows(held, self.next_frame - held.shape[0]))
        self._held = None
        out.extend(b for b in (self._finish(o) for o in self.open) if b is not None)
        self.open = []
        self._inherited_gaps = []
        self.next_frame = None
        return out

    # -- internals --------------------------------------------------------------------------------
    def _narrow_all(self, power: FloatArray, mask: NDArray[np.bool_], frame_start: int) -> None:
        """Run the integrating tests of :attr:`narrow_tiers` with one pass over the block: the
        short groups' sums are summed again into the long groups (each long group is aligned on the
        absolute frame index, so it holds whole short groups)."""
        f_rows, n = power.shape
        k0 = self.cfg.narrow_frames
        q0 = (-frame_start) % k0
        nq = (f_rows - q0) // k0
        if nq <= 0:
            return
        grp0 = power[q0 : q0 + nq * k0].reshape(nq, k0, n).sum(axis=1)
        nb = self.cfg.narrow_bins
        fl = np.convolve(self.floor, np.ones(nb), mode="valid")  # the noise mean of every box
        ok = None  # boxes whose bins all hold the plain noise floor
        if self.narrow_ok is not None:
            ok = np.convolve(self.narrow_ok.astype(np.float64), np.ones(nb), mode="valid") >= nb - 0.5
        for k, factor in self.narrow_tiers:
            r = k // k0
            qk = (-frame_start) % k
            nqk = (f_rows - qk) // k
            if nqk <= 0:
                continue
            j0 = (qk - q0) // k0
            grp = grp0 if r == 1 else grp0[j0 : j0 + nqk * r].reshape(nqk, r, n).sum(axis=1)
            self._narrow(power, mask, k, factor, qk, grp, fl, ok)

    def _narrow(
        self,
        power: FloatArray,
        mask: NDArray[np.bool_],
        k: int,
        factor: float,
        q0: int,
        grp: NDArray[np.float32],
        fl: NDArray[np.float64],
        ok: NDArray[np.bool_] | None,
    ) -> None:
        """OR one integrating narrow test into ``mask`` (see :class:`DetectConfig`): ``grp`` holds
        the sums of groups of ``k`` frames from row ``q0`` on, aligned on the absolute frame index
        (:meth:`process` holds back a block's last partial group, so results do not depend on the
        block size); boxes of ``narrow_bins`` bins are thresholded at ``factor`` times their noise
        mean ``fl``, where ``ok`` allows (None: everywhere)."""
        n = power.shape[1]
        nb = self.cfg.narrow_bins
        nq = grp.shape[0]
        m = n - nb + 1
        box = grp[:, :m].copy()
        for j in range(1, nb):  # a loop over the few bins of the box
            box += grp[:, j : j + m]
        fire = box > (factor * k) * fl
        if ok is not None:
            fire &= ok
        rows = np.flatnonzero(_rows_any(fire) if fire.shape[1] % 8 == 0 else fire.any(axis=1))
        if rows.size == 0:
            return
        h = nb // 2
        grp_mask = mask[q0 : q0 + nq * k].reshape(nq, k, n)[rows]
        per_frame = grp_mask[:, :, h : h + m]
        found = per_frame.sum(axis=1)  # frames the per-frame test found, per box
        # Where the per-frame test found nothing in the group.  Or, in the long groups, for a tone
        # (nothing found in the columns beside it, and this test firing nowhere there), where it found
        # under half the group's frames: a tone a little over the per-frame threshold crosses it in
        # some frames only and was cut into pieces.  (In 8 frames a weak chirp's sweep still looks like
        # a tone.)  Stronger and wider signals keep the per-frame timing, and their gaps (GSM slots,
        # PUCCH hops) stay empty.
        new = fire[rows] & (found == 0)
        if k > self.cfg.narrow_frames:
            beside: NDArray[np.bool_] = np.asarray(grp_mask.any(axis=1))
            beside[:, h : h + m] |= fire[rows]  # boxes firing beside it: a chirp's sweep, a wide signal
            near = h + self.cfg.smooth_bins // 2 + 1  # past the per-frame smoothing around the box
            new |= fire[rows] & (2 * found < k) & _alone(beside, h, m, near, near + _ALONE_WIDTH)
        keep = new.any(axis=1)
        rows, new, per_frame = rows[keep], new[keep], per_frame[keep]
        if rows.size == 0:
            return
        # Local reference across frequency (median of the group's boxes over +-15 bins): the skirts
        # of a strong burst lift the noise around it for its duration by ~1 dB, which this sensitive
        # test would otherwise pick up as weak bursts; a narrow signal does not move the median.
        # (Only at the candidate boxes: a median filter over whole rows cost more than the rest of
        # this test.)
        ri, ci = np.nonzero(new)
        b_rows = box[rows]
        cols = np.clip(ci[:, None] + _LOCAL_OFFSETS[None, :], 0, m - 1)  # edges repeat ("nearest")
        local = np.partition(b_rows[ri[:, None], cols], _LOCAL_HALF, axis=1)[:, _LOCAL_HALF]
        new[ri, ci] = b_rows[ri, ci] > factor * local
        keep = new.any(axis=1)
        rows, new, per_frame = rows[keep], new[keep], per_frame[keep]
        if rows.size == 0:
            return
        # Frames of the firing groups whose own box sum exceeds twice its noise mean (so a burst's
        # edges are not stretched to the group boundaries).
        seg = power[q0 : q0 + nq * k].reshape(nq, k, n)[rows]
        own = seg[:, :, :m].copy()
        for j in range(1, nb):
            own += seg[:, :, j : j + m]
        hit = (own > 2.0 * fl) & new[:, None, :]
        filled = np.nonzero(new & per_frame.any(axis=1))  # (group, box) filled beside found frames
        if filled[0].size:  # there only the frames joined to those the per-frame test found
            sub = (filled[0], slice(None), filled[1])
            hit[sub] = _joined(hit[sub], per_frame[sub])
        for j in range(nb):  # mark every bin of a firing box (a tone is 1-2 bins; bursts need min_bins)
            box_view = mask[q0 : q0 + nq * k, j : j + m].reshape(nq, k, m)
            box_view[rows] |= hit

    def _detect_mask(self, power: FloatArray, frame_start: int = 0) -> NDArray[np.bool_]:
        """Cells whose ``smooth_bins`` box sum exceeds the threshold (computed on the flattened rows:
        contiguous passes; the few sums that straddle two rows fall on columns that are discarded)."""
        f_rows, n = power.shape
        nb = self.cfg.smooth_bins
        h = nb // 2
        size = f_rows * n
        if self._mflat is None or self._mflat.size < size + h:
            self._mflat = np.zeros(size + h, dtype=bool)
            self._flat = np.empty((2, size), np.float32)
        assert self._flat is not None
        p1 = np.ascontiguousarray(power).reshape(-1)
        thr = np.full(n, np.inf, np.float32)
        thr[: n - 2 * h] = self.factor * np.convolve(self.floor, np.ones(nb), mode="valid")
        acc = self._flat[0, :size]
        if nb == 1:
            acc = p1
        elif nb == 5:
            s2 = self._flat[1, : size - 1]
            np.add(p1[:-1], p1[1:], out=s2)  # pairs
            np.add(s2[: size - 3], s2[2 : size - 1], out=acc[: size - 3])
            acc[: size - 4] += p1[4:]
            acc[size - 4 :] = 0.0
        else:
            np.copyto(acc, p1)
            for j in range(1, nb):
                acc[: size - j] += p1[j:]
        np.greater(acc.reshape(f_rows, n), thr, out=self._mflat[h : h + size].reshape(f_rows, n))
        self._mflat[:h] = False
        mask = self._mflat[:size].reshape(f_rows, n)
        if self.narrow_tiers:
            self._narrow_all(power, mask, frame_start)
        if self._dc is not None:
            lo, hi = self._dc
            left, right = lo - 1, hi + 1
            mask[:, lo : hi + 1] = (mask[:, left] & mask[:, right])[:, None]
        self.exceedances += int(np.count_nonzero(mask))
        return mask

    def _components(
        self, power: FloatArray, mask: NDArray[np.bool_], rows_any: NDArray[np.bool_], frame_start: int
    ) -> list[tuple[_Component, bool]]:
        f_rows, n = mask.shape
        out: list[tuple[_Component, bool]] = []
        for r0, r1, c0, c1 in _slabs(mask, rows_any):
            sub = mask[r0:r1, c0:c1]
            lab, count = ndimage.label(_dilate3(sub), structure=_STRUCT)
            if count == 0:
                continue
            # Measurement region: the slab widened by _MARGIN bins (weak skirts of the burst).
            cc0, cc1 = max(c0 - _MARGIN, 0), min(c1 + _MARGIN, n)
            subp = np.zeros((r1 - r0, cc1 - cc0), bool)
            subp[:, c0 - cc0 : c1 - cc0] = sub
            pw = power[r0:r1, cc0:cc1]
            ex = pw.astype(np.float64) - self.floor[cc0:cc1][None, :]
            self._patch_dc(ex, cc0, cc1)
            boxes = ndimage.find_objects(lab)
            if count == 1:
                # The usual case (one burst per slab): every cell of the widened box is the
                # component's or unlabelled, so nothing is masked out.
                rs, cs = boxes[0]
                cs = slice(
                    max(cs.start + c0 - cc0 - _MARGIN, 0), min(cs.stop + c0 - cc0 + _MARGIN, cc1 - cc0)
                )
                det = subp[rs, cs]
                if det.any():
                    out.extend(
                        self._measure_parts(
                            ex[rs, cs],
                            pw[rs, cs],
                            det,
                            r0 + rs.start,
                            cc0 + cs.start,
                            frame_start,
                            r0 + rs.stop >= f_rows,
                        )
                    )
                continue
            labp = np.zeros((r1 - r0, cc1 - cc0), lab.dtype)
            labp[:, c0 - cc0 : c1 - cc0] = lab
            for i, box in enumerate(boxes):
                if box is None:
                    continue
                rs, cs = box
                cs = slice(
                    max(cs.start + c0 - cc0 - _MARGIN, 0), min(cs.stop + c0 - cc0 + _MARGIN, cc1 - cc0)
                )
                lb = labp[rs, cs]
                memb = lb == i + 1
                det = subp[rs, cs] & memb
                if not det.any():
                    continue
                # Measure over the component's (widened) bounding box minus other components' cells,
                # so that partial edge frames and weak skirts count like the full frames.
                keep = memb | (lb == 0)
                out.extend(
                    self._measure_parts(
                        ex[rs, cs] * keep,
                        pw[rs, cs] * keep,
                        det,
                        r0 + rs.start,
                        cc0 + cs.start,
                        frame_start,
                        r0 + rs.stop >= f_rows,
                    )
                )
        return out

    def _measure_parts(
        self,
        e: NDArray[np.float64],
        pw: NDArray[np.float32],
        det: NDArray[np.bool_],
        row0: int,
        col0: int,
        frame_start: int,
        open_end: bool,
    ) -> list[tuple[_Component, bool]]:
        """Measure a component, first cut in frequency where it is signals side by side joined by a few
        noise cells (see :func:`_column_gaps`), then each part in two where it is two bursts that
        touch in time (see :func:`_step_row`); only the later part can still be open at the block's
        end.

        A component that starts the block may continue several left open by the previous one (see
        :meth:`_rows`): it is also cut where the columns between those are still (nearly) empty in it.
        There the weaker signal may have too few frames left for a gap of its own to show, and
        stitching would join the two again.  (The first frames of a weak signal that noise cells join
        to a strong one within its first ``_SPLIT_MIN_FRAMES`` frames before a block's end can still
        go to the strong one: the weak one's burst then starts at the block's edge.)
        """
        gaps = _column_gaps(det)
        if row0 <= 1 and self._inherited_gaps:  # starts the block: it may continue open ones
            gaps = _merge_intervals(gaps + self._bridged_gaps(det, col0))
        if not gaps:
            return self._measure_steps(e, pw, det, row0, col0, frame_start, open_end)
        out: list[tuple[_Component, bool]] = []
        rows, w = det.shape
        edges = [0, *(c for g in gaps for c in g), w]
        for i, (c0, c1) in enumerate(itertools.pairwise(edges)):  # a loop over the few parts
            if c1 <= c0:
                continue
            hit = np.flatnonzero(det[:, c0:c1].any(axis=1))
            if hit.size == 0:
                continue
            # Its rows, with the frame either side that the dilation gave the whole component.  A
            # signal's columns are widened by up to _MARGIN into the gaps (its weak skirts), where
            # nothing counts as detected.  What was detected in a gap over min_frames frames or more
            # (noise cells that joined the signals over several frames, or a short signal there) is
            # measured on its own, without margin, closed and never stitched to an open component
            # (the size and SNR rules of _finish keep it or not).
            r0, r1 = max(int(hit[0]) - 1, 0), min(int(hit[-1]) + 2, rows)
            in_gap = i % 2 == 1
            if in_gap and hit.size < self.cfg.min_frames:
                continue  # a row or so of noise cells
            margin = 0 if in_gap else _MARGIN
            m0, m1 = max(c0 - margin, 0), min(c1 + margin, w)
            d = np.zeros((r1 - r0, m1 - m0), bool)
            d[:, c0 - m0 : c1 - m0] = det[r0:r1, c0:c1]
            if in_gap:
                c = self._measure(e[r0:r1, m0:m1], pw[r0:r1, m0:m1], d, row0 + r0, col0 + m0, frame_start)
                c.stitch = False
                out.append((c, False))
                continue
            is_open = open_end and r1 == rows
            out.extend(
                self._measure_steps(
                    e[r0:r1, m0:m1], pw[r0:r1, m0:m1], d, row0 + r0, col0 + m0, frame_start, is_open
                )
            )
        return out

    def _bridged_gaps(self, det: NDArray[np.bool_], col0: int) -> list[tuple[int, int]]:
        """Gaps (columns of ``det``) between components left open side by side by the previous rows
        that this component, starting the rows, joins: it has detections over the last columns of
        both (+-2, as stitching has it).  The gap is the longest run inside the columns between them
        of columns each detected in at most ``_SPLIT_SPARSE`` of the frames of the weaker side's
        busiest column (or in one frame), and never in ``_SPLIT_MIN_FRAMES`` frames (a signal of its
        own), of at least ``_SPLIT_GAP_BINS`` columns."""
        w = det.shape[1]
        counts = det.sum(axis=0)
        out = []
        for (a_lo, a_hi), (b_lo, b_hi) in self._inherited_gaps:  # a loop over the few open pairs
            la, ha = max(a_lo - 2 - col0, 0), min(a_hi + 3 - col0, w)
            lb, hb = max(b_lo - 2 - col0, 0), min(b_hi + 3 - col0, w)
            lo, hi = max(a_hi + 1 - col0, 0), min(b_lo - col0, w)
            if ha <= la or hb <= lb or hi - lo < _SPLIT_GAP_BINS:
                continue
            weaker = float(min(counts[la:ha].max(), counts[lb:hb].max()))
            if weaker == 0:  # it does not reach both: no bridge
                continue
            gap = _sparse_run(counts[lo:hi], weaker)
            if gap is not None:
                out.append((lo + gap[0], lo + gap[1]))
        return out

    def _measure_steps(
        self,
        e: NDArray[np.float64],
        pw: NDArray[np.float32],
        det: NDArray[np.bool_],
        row0: int,
        col0: int,
        frame_start: int,
        open_end: bool,
    ) -> list[tuple[_Component, bool]]:
        """Measure a component, cut in two where it is two bursts that touch (see :func:`_step_row`)."""
        k = _step_row(e, det)
        if k is None:
            return [(self._measure(e, pw, det, row0, col0, frame_start), open_end)]
        out = []
        rows = e.shape[0]
        for rs, core, is_open in (
            (slice(0, k), slice(0, max(k - 1, 1)), False),
            (slice(k, rows), slice(min(k + 1, rows - 1), rows), open_end),
        ):
            d = det[rs]
            # Bins of the part from its frames away from the cut (the frames next to it hold some of
            # the other burst's energy).
            cols = np.nonzero(det[core].any(axis=0))[0]
            if cols.size == 0:  # its detections are all in the frame next to the cut
                cols = np.nonzero(d.any(axis=0))[0]
            if cols.size == 0:
                continue
            cs = slice(max(int(cols[0]) - _MARGIN, 0), min(int(cols[-1]) + 1 + _MARGIN, e.shape[1]))
            out.append(
                (
                    self._measure(
                        e[rs, cs], pw[rs, cs], d[:, cs], row0 + rs.start, col0 + cs.start, frame_start
                    ),
                    is_open,
                )
            )
        return out

    def _floor_without_dc(self) -> NDArray[np.float64]:
        """The floor with the DC zone (spike level) replaced by its neighbours' (noise) level."""
        if self._dc is None:
            return self.floor
        lo, hi = self._dc
        fl = self.floor.copy()
        fl[lo : hi + 1] = 0.5 * (fl[lo - 1] + fl[hi + 1])
        return fl

    def _patch_dc(self, ex: NDArray[np.float64], c0: int, c1: int) -> None:
        """Replace the DC bins' excess by the mean of their neighbours (no DC energy in bursts).

        When the stronger neighbour is a skirt (summed over the rows, under ``_DC_SKIRT`` times the
        next bin outward: the signal lies further out and falls off towards the zone), a DC bin
        holds no more than ``_DC_CAP`` times the weaker neighbour: a signal beside the DC zone is
        not spread into it (a strong tone next to it, its skirt bin at -8 dBc copied into 11 bins,
        read 130 kHz wide and no longer shaped as a tone).  A signal across DC, or one with an edge
        inside the zone (the neighbour on its side is inside its band), keeps the mean.
        """
        if self._dc is None:
            return
        lo, hi = self._dc
        left, right = lo - 1, hi + 1
        if c0 <= left and right < c1:
            e_l, e_r = ex[:, left - c0], ex[:, right - c0]
            fill = 0.5 * (e_l + e_r)
            t_l, t_r = float(e_l.sum()), float(e_r.sum())
            out = right + 1 if t_r >= t_l else left - 1
            if c0 <= out < c1 and max(t_l, t_r) < _DC_SKIRT * float(ex[:, out - c0].sum()):
                t_fill = float(fill.sum())
                cap = _DC_CAP * max(min(t_l, t_r), 0.0)
                if t_fill > cap:
                    fill *= cap / t_fill
            ex[:, lo - c0 : hi - c0 + 1] = fill[:, None]
        elif c0 <= hi and lo < c1:
            a, b = max(lo, c0) - c0, min(hi, c1 - 1) - c0 + 1
            ex[:, a:b] = 0.0

    def _measure(
        self,
        e: NDArray[np.float64],
        pw: NDArray[np.float32],
        det: NDArray[np.bool_],
        row0: int,
        col0: int,
        frame_start: int,
    ) -> _Component:
        rows_e = e.sum(axis=1)
        frames = frame_start + row0 + np.arange(e.shape[0])
        det_rows = np.nonzero(det.any(axis=1))[0]  # 1-D: cheaper than flatnonzero
        det_cols = np.nonzero(det.any(axis=0))[0]
        last = det[det_rows[-1]]
        last_cols = last.nonzero()[0]
        col_e = np.zeros(self.stft.nfft)
        col_e[col0 : col0 + e.shape[1]] = e.sum(axis=0)
        # Chirp evidence: per-frame centroid steps (vectorized over the frames of the component).
        ep = np.maximum(e, 0.0)
        tot = ep.sum(axis=1)
        ok = tot > 0.25 * max(float(tot.max()), 1e-30)
        cent = (ep @ np.arange(e.shape[1])) / np.where(tot > 0, tot, 1.0)
        d = np.diff(cent[ok])
        c_abs = cent[ok] + col0  # absolute bin of each frame's centroid (sweep statistic)
        x_ok = np.nonzero(ok)[0].astype(np.float64)  # their frames, from this block's first row
        width = max(det_cols[-1] - det_cols[0] + 1, 1)
        d = d[np.abs(d) < 0.5 * width]
        cap = self.cfg.max_energies
        return _Component(
            det_first=int(frames[det_rows[0]]),
            det_last=int(frames[det_rows[-1]]),
            k_lo=int(col0 + det_cols[0]),
            k_hi=int(col0 + det_cols[-1]),
            last_lo=int(col0 + last_cols[0]),
            last_hi=int(col0 + last_cols[-1]),
            cells=int(np.count_nonzero(det)),
            col_e=col_e,
            e_sum=float(rows_e.sum()),
            e_msum=float(rows_e @ frames.astype(np.float64)),
            energies=rows_e[:cap].tolist(),
            e_frame0=int(frames[0]),
            tail=rows_e[-_TAIL:].tolist(),
            e_frame_end=int(frames[-1]),
            peak_power=float(pw.sum(axis=1, dtype=np.float64).max()),
            steps=int(d.size),
            pos=int(np.count_nonzero(d >= 0.5)),
            neg=int(np.count_nonzero(d <= -0.5)),
            drifts=d[:cap].tolist(),
            c_n=int(c_abs.size),
            c_sum=float(c_abs.sum()),
            c_sq=float(c_abs @ c_abs),
            d_sq=float(d @ d),
            d_up=int(np.count_nonzero(d > 0)),
            r_x0=int(frames[0]),
            r_x=float(x_ok.sum()),
            r_xx=float(x_ok @ x_ok),
            r_xy=float(x_ok @ c_abs),
        )

    def _finish(self, c: _Component) -> Burst | None:
        cfg, st = self.cfg, self.stft
        if (
            c.det_last - c.det_first + 1 < cfg.min_frames
            or c.k_hi - c.k_lo + 1 < cfg.min_bins
            or c.cells < cfg.min_cells
        ):
            return None
        enbw = st.enbw_bins
        bin_hz = self.fs / st.nfft
        hop_s = st.hop / self.fs
        en = np.asarray(c.energies)
        e_max = float(en.max()) if en.size else 0.0
        if e_max <= 0 or c.e_sum <= 0:
            return None
        # Full-frame level: mean of the frames strictly inside the first and last frames above half
        # the typical level (those are certainly complete).  The typical level is the median of the
        # frames near the strongest.  When one or two frames are far over the upper quartile
        # (_OUTLIER_RATIO, from _ROBUST_MIN_FRAMES frames on), the frames near that quartile
        # instead, and those frames are left out of the mean: what a click left in a burst (one
        # frame 24x a spur's level set it, and a 42 ms piece read as a 1.9 ms burst 14 dB
        # stronger).  Only when that quartile stands clear of the noise
        # (_ROBUST_MIN_SIGMAS): a weak burst's frames scatter with the noise, and its strongest
        # ones are its level.
        if self._floor_nodc is None:
            self._floor_nodc = self._floor_without_dc()
        anchor, robust = e_max, False
        if en.size >= _ROBUST_MIN_FRAMES:
            q = (3 * (en.size - 1)) // 4
            upper = float(np.partition(en, q)[q])
            far = int(np.count_nonzero(en > _OUTLIER_RATIO * upper))
            if 0 < far <= _MAX_OUTLIER_FRAMES:
                # (about the noise of a frame's energy: see _ROBUST_MIN_SIGMAS)
                fl_c = self._floor_nodc[c.k_lo : c.k_hi + 1]
                sigma = float(np.sqrt(np.sum(np.square(fl_c, dtype=np.float64))))
                if upper > _ROBUST_MIN_SIGMAS * sigma:
                    anchor, robust = upper, True
        ref = statistics.median(en[en >= 0.25 * anchor].tolist())  # small: cheaper than np.median
        above = (en >= 0.5 * ref).nonzero()[0]
        inner = en[above[0] + 1 : above[-1]]
        if robust and inner.size:
            kept = inner[inner <= _OUTLIER_RATIO * ref]
            inner = kept if kept.size else inner
        e_full = float(inner.mean()) if inner.size else float(en[above].mean())
        if e_full <= 0:
            return None
        timing = None
        if st.hop == st.nfft and inner.size:
            timing = _edge_timing(c, e_full, st)
        if timing is not None:
            start = timing[0] * hop_s
            duration = (timing[1] - timing[0]) * hop_s
        else:  # energy-weighted centre and length (any hop; partial frames counted linearly)
            duration = hop_s * c.e_sum / e_full
            m_c = c.e_msum / c.e_sum
            t_c = (m_c * st.hop + st.nfft / 2.0) / self.fs
            start = t_c - duration / 2.0
        if not duration > 0:
            return None
        fl = self._floor_nodc
        # Occupied span of the per-bin excess energy.  Outside the detected bins (in the margin
        # searched for weak skirts) a bin counts only when its excess stands out of the noise summed
        # over the component's frames (each cell's noise power has a standard deviation equal to its
        # mean): else the margin's noise widens a weak narrow signal's 98% span several times over
        # (a 15 kHz tone read 100 kHz wide).
        # (Only for components of _SPAN_MIN_FRAMES or more: a short burst's weak skirts are under
        # that test, and its measured width is what the shape rules were set on.)
        col = c.col_e
        n_frames = c.e_frame_end - c.e_frame0 + 1
        if n_frames >= _SPAN_MIN_FRAMES:
            stands = col > _SPAN_SIGMA * math.sqrt(n_frames) * fl
            stands[c.k_lo : c.k_hi + 1] = True
            col = np.where(stands, col, 0.0)
        lo, hi = occupied_span(col, cfg.occupied_fraction)
        bw_bins = max(hi - lo, 1.0)
        k_c = (lo + hi) / 2.0
        freq = self.center_hz + (k_c - st.nfft // 2) * bin_hz
        a, b = max(round(lo), 0), min(round(hi) + 1, st.nfft)
        noise_bin = float(np.mean(fl[a:b])) if b > a else float(np.mean(fl))
        sig = e_full / enbw
        noise = noise_bin / enbw * bw_bins
        snr_db = 10.0 * math.log10(max(sig, 1e-30) / max(noise, 1e-30))
        if snr_db < cfg.min_snr_db:
            if n_frames < _SPAN_MIN_FRAMES:
                return None  # a short sliver (of a weak wide burst, or noise): not measured apart
            # A weak narrow signal of some length (a single tone found by the integrating test) keeps
            # its excess in the bins where it was detected; its 98% span adds the noise of its sides.
            # Measure it over those bins instead.
            core = slice(c.k_lo, c.k_hi + 1)
            frac = min(max(float(col[core].sum()) / max(float(col.sum()), 1e-30), 0.0), 1.0)
            bw_bins = float(c.k_hi - c.k_lo + 1)
            sig = e_full * frac / enbw
            noise = float(np.mean(fl[core])) / enbw * bw_bins
            snr_db = 10.0 * math.log10(max(sig, 1e-30) / max(noise, 1e-30))
            if snr_db < cfg.min_snr_db:
                return None
            freq = self.center_hz + ((c.k_lo + c.k_hi) / 2.0 - st.nfft // 2) * bin_hz
        chirp = max(c.pos, c.neg) / c.steps if c.steps >= 4 else 0.0
        sweep = 0.0
        if c.c_n >= 10 and bw_bins >= 8 and c.steps >= 8:
            m = c.c_sum / c.c_n
            var = max(c.c_sq / c.c_n - m * m, 0.0)
            # A chirp moves the centroid in one direction between frames (wraps excluded); a centroid
            # spread by noise, or switching between two sub-bands, steps both ways about equally.
            one_way = max(c.d_up, c.steps - c.d_up) / c.steps
            # >= 60% and 2.5 sigma above the 50% of steps in random directions
            if one_way >= max(0.6, 0.5 + 1.25 / math.sqrt(c.steps)):
                sweep = math.sqrt(var) / bw_bins
        drift = statistics.median(c.drifts) * bin_hz / hop_s if c.drifts else 0.0
        drift_t = _drift_t(c)
        pos_col = np.maximum(col, 0.0)
        total = float(pos_col.sum())
        tone_share = float((pos_col[:-2] + pos_col[1:-1] + pos_col[2:]).max()) / total if total > 0 else 0.0
        return Burst(
            start_s=float(start),
            duration_s=float(duration),
            freq_hz=float(freq),
            bandwidth_hz=float(bw_bins * bin_hz),
            peak_dbfs=float(10.0 * math.log10(max(c.peak_power / enbw, 1e-30))),
            snr_db=float(snr_db),
            power_dbfs=float(10.0 * math.log10(max(sig, 1e-30))),
            center_hz=self.center_hz,
            cells=c.cells,
            frames=c.det_last - c.det_first + 1,
            bins=c.k_hi - c.k_lo + 1,
            chirp_score=float(chirp),
            drift_hz_per_s=drift,
            sweep=float(sweep),
            drift_t=drift_t,
            tone_share=min(tone_share, 1.0),
        )


def _drift_t(c: _Component) -> float:
    """t statistic of the centroid-against-frame regression slope of a component (0: too short)."""
    n = c.c_n
    if n < 6:
        return 0.0
    sxx = c.r_xx - c.r_x * c.r_x / n
    sxy = c.r_xy - c.r_x * c.c_sum / n
    syy = c.c_sq - c.c_sum * c.c_sum / n
    if sxx <= 0.0:
        return 0.0
    slope = sxy / sxx
    res = max(syy - slope * sxy, 0.0) / (n - 2)
    if res <= 0.0:
        return 0.0 if slope == 0.0 else math.copysign(1e3, slope)
    return float(max(-1e3, min(1e3, slope / math.sqrt(res / sxx))))


#: A bin counts in the occupied span when its excess energy is over this many noise standard
#: deviations (of the sum over the component's frames).
_SPAN_SIGMA = 2.0
_SPAN_MIN_FRAMES = 16

#: Columns looked at beside a box of the integrating test for it to count as a tone's (its fill,
#: :meth:`BurstDetector._narrow`): from just past the reach of the per-frame test's smoothing around
#: the box to this many columns further (4-9 columns from its centre with the default 5-bin
#: smoothing: 38-84 kHz at 9.4 kHz bins).
_ALONE_WIDTH = 5


def _alone(found: NDArray[np.bool_], h: int, m: int, near: int, far: int) -> NDArray[np.bool_]:
    """Per row and box (``m`` boxes, box ``c`` centred on column ``c + h``): nothing in columns
    ``c + h - far .. c + h - near`` nor in ``c + h + near .. c + h + far`` (``found``: the columns
    found in each row's group; columns off the edge count as empty)."""
    rows, n = found.shape
    cs = np.zeros((rows, n + 1), np.int32)
    np.cumsum(found, axis=1, out=cs[:, 1:])
    centre = np.arange(m) + h

    def count(a: NDArray[np.intp], b: NDArray[np.intp]) -> NDArray[np.int32]:  # found in [a, b]
        a, b = np.clip(a, 0, n), np.clip(b + 1, 0, n)
        return np.asarray(cs[:, b] - cs[:, a], np.int32)

    return np.asarray((count(centre - far, centre - near) == 0) & (count(centre + near, centre + far) == 0))


#: Frames a run of the fill may skip (:func:`_joined`).
_JOIN_GAP = 2


def _joined(hit: NDArray[np.bool_], found: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """``hit`` (lines of frames, shape (lines, k)) kept where it is joined, frame after frame across
    gaps of up to ``_JOIN_GAP`` frames, to a frame of ``found`` (same shape: the frames the per-frame
    test found).  (Noise frames of a group past a tone's end pass the fill's own test now and then.)"""
    k = hit.shape[1]
    on = hit | found
    idx = np.broadcast_to(np.arange(k), on.shape)
    # Each frame's last "on" frame at or before it, and next one at or after it.
    last = np.maximum.accumulate(np.where(on, idx, -k - _JOIN_GAP - 2), axis=1)
    nxt = np.minimum.accumulate(np.where(on, idx, 2 * k + _JOIN_GAP + 2)[:, ::-1], axis=1)[:, ::-1]
    on = on | (nxt - last <= _JOIN_GAP + 1)  # inside a gap of up to _JOIN_GAP frames
    starts = on.copy()
    starts[:, 1:] &= ~on[:, :-1]
    run = np.cumsum(starts.reshape(-1)).reshape(on.shape) * on  # run number of every frame (0: off)
    touched = np.bincount(run[found], minlength=int(run.max()) + 1) > 0
    touched[0] = False
    return np.asarray(hit & touched[run])


#: Half-width (bins) of the local median reference of the integrating test.
_LOCAL_HALF = 15
_LOCAL_OFFSETS = np.arange(-_LOCAL_HALF, _LOCAL_HALF + 1)

#: Smallest centroid step (bins) between two touching bursts that are cut apart (~75 kHz at 2.4 MS/s).
_STEP_MIN_BINS = 8


def _column_gaps(det: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Column intervals ``[lo, hi)`` that cut a component in frequency: gaps between signals side by
    side that a strong one's skirts and a few noise cells join, else the 98% span of the stronger one
    would take the weaker one's energy out.

    A strong burst's skirts cross the threshold a few bins out; a weak signal a dozen bins away that
    is on at the same time (an NB-IoT tone beside another UE's allocation) is then joined to it by
    noise cells, and its energy, a fraction of a percent of the whole, falls outside the 98% span: it
    would be lost.  Runs of columns detected in >= ``_SPLIT_MIN_FRAMES`` frames are the signals'
    own.  Between two neighbouring such runs, the longest run of columns each detected in at most
    ``_SPLIT_SPARSE`` of the frames of the weaker side's busiest column (or in one frame) is a gap
    when it is >= ``_SPLIT_GAP_BINS`` columns (the stronger one's skirts thin out into it).  Detection
    counts, not energy: a weak signal that lasts a quarter of a strong one's time is diluted 6 dB in
    a column sum of energy, not in its own columns' counts.  A chirp (each column detected in a frame
    or two as its line sweeps past) or a short burst has no columns of its own; a flat allocation has
    no such gap.
    """
    if det.shape[0] < _SPLIT_MIN_FRAMES:  # too short for a column of its own (most components)
        return []
    counts = det.sum(axis=0)
    groups = _runs_exact(counts >= _SPLIT_MIN_FRAMES)
    gaps = []
    for (a0, a1), (b0, b1) in itertools.pairwise(groups):  # a loop over the few signals
        gap = _sparse_run(counts[a1:b0], float(min(counts[a0:a1].max(), counts[b0:b1].max())))
        if gap is not None:
            gaps.append((a1 + gap[0], a1 + gap[1]))
    return gaps


def _sparse_run(counts: NDArray[np.int64], weaker: float) -> tuple[int, int] | None:
    """The longest run ``[lo, hi)`` of columns each detected in at most ``_SPLIT_SPARSE`` of
    ``weaker`` frames (or in one) and in fewer than ``_SPLIT_MIN_FRAMES``, if it is at least
    ``_SPLIT_GAP_BINS`` long."""
    runs = _runs_exact((counts <= max(1.0, _SPLIT_SPARSE * weaker)) & (counts < _SPLIT_MIN_FRAMES))
    if not runs:
        return None
    lo, hi = max(runs, key=lambda r: r[1] - r[0])
    return (lo, hi) if hi - lo >= _SPLIT_GAP_BINS else None


def _merge_intervals(iv: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of intervals ``[lo, hi)``."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(iv):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _step_row(e: NDArray[np.float64], det: NDArray[np.bool_]) -> int | None:
    """Row where a component changes frequency in one step, or None.

    Two bursts adjacent in frequency and back to back in time (two phones on adjacent GSM channels in
    consecutive slots; an LTE-M train retuning to the next narrowband) touch in the time-frequency
    plane and are labelled one component.  Their per-frame power centroid is then a step: the best
    two-segment fit of the centroids (least squares over every cut, vectorized; the one frame that
    straddles the change is left out) must leave each segment steady (spread <= 15% of the step),
    the step must be >= ``_STEP_MIN_BINS`` and >= half the wider segment's 98% occupied width.  A
    chirp (its centroid a ramp, or ramps on both sides of a wrap) or a single burst is not cut.
    """
    rows = e.shape[0]
    if rows < 5 or e.shape[1] < _STEP_MIN_BINS + 2 * _MARGIN + 2:
        return None
    ep = np.maximum(e, 0.0)
    tot = ep.sum(axis=1)
    idx = np.flatnonzero(tot > 0.25 * float(tot.max()))
    n = idx.size
    if n < 5:
        return None
    cent = (ep[idx] @ np.arange(e.shape[1], dtype=np.float64)) / tot[idx]
    if float(cent.max() - cent.min()) < _STEP_MIN_BINS:  # no step that large (most bursts)
        return None
    cs, cs2 = np.cumsum(cent), np.cumsum(cent * cent)
    # Segments: the first k frames and the frames after k; frame k (the one straddling the change,
    # its centroid in between) is left out of the fit.
    k = np.arange(2, n - 2)
    m1, m2 = cs[k - 1] / k, (cs[-1] - cs[k]) / (n - k - 1)
    v1 = np.maximum(cs2[k - 1] / k - m1 * m1, 0.0)
    v2 = np.maximum((cs2[-1] - cs2[k]) / (n - k - 1) - m2 * m2, 0.0)
    best = int(np.argmin(k * v1 + (n - k - 1) * v2))
    jump = abs(float(m1[best] - m2[best]))
    if jump < _STEP_MIN_BINS or math.sqrt(max(float(v1[best]), float(v2[best]))) > 0.15 * jump:
        return None
    kb = int(k[best])
    # A chirp wrapping around its band (LoRa: up the band, then back to its bottom) is a ramp on
    # both sides of the jump, moving the other way than the jump: not cut when both sides have a
    # significant slope (t > 3) of that sign.
    x = idx.astype(np.float64)
    jump_sign = math.copysign(1.0, float(m2[best] - m1[best]))
    ramps = 0
    for part in (slice(0, kb), slice(kb + 1, n)):
        xs, ys = x[part], cent[part]
        sxx = float(((xs - xs.mean()) ** 2).sum())
        if xs.size < 3 or sxx <= 0:
            continue
        slope = float(((xs - xs.mean()) * (ys - ys.mean())).sum()) / sxx
        resid = ys - (ys.mean() + slope * (xs - xs.mean()))
        stderr = math.sqrt(float(resid @ resid) / (xs.size - 2) / sxx)
        if slope * jump_sign < 0 and abs(slope) > 3.0 * max(stderr, 1e-9):
            ramps += 1
    if ramps == 2:
        return None
    # The straddling frame goes with the segment its centroid is nearer to.
    nearer_first = abs(cent[kb] - m1[best]) < abs(cent[kb] - m2[best])
    cut = int(idx[kb + 1]) if nearer_first else int(idx[kb])
    if not (det[:cut].any() and det[cut:].any()):
        return None
    # Two bursts side by side: the step is at least half the wider one's occupied width (a burst
    # whose power merely shifts inside its own band is not cut).
    widths = [
        np.subtract(*occupied_span(ep[part].sum(axis=0), 0.98)[::-1])
        for part in (slice(0, cut), slice(cut, rows))
    ]
    if jump < 0.5 * max(widths):
        return None
    return cut


@lru_cache(maxsize=16)
def _edge_table(nfft: int, window: str) -> tuple[NDArray[np.float64], ...]:
    """For the overlap grid ``u`` (fraction of a frame covered at its edge): the expected energy
    fractions of the outer and inner edge frames and the edge length (see :func:`_edge_contribution`).
    """
    w = StftConfig(nfft=nfft, hop=nfft, window=window).window_array.astype(np.float64)
    cum = np.concatenate([[0.0], np.cumsum(w * w)])
    cum /= cum[-1]
    u = np.linspace(0.0, 1.0, 101)
    f = np.interp(u * nfft, np.arange(nfft + 1), cum)
    small = u < 0.5
    return np.where(small, f, 0.0), np.where(small, 1.0, f), np.where(small, 1.0 + u, u)


def _edge_contribution(
    a_out: float, a_in: float, sigma: float, table: tuple[NDArray[np.float64], ...]
) -> float:
    """Posterior-mean length (frames) of a burst edge seen in two frames (hop == nfft).

    ``a_out`` is the energy fraction of the outer frame, ``a_in`` of the first frame above half.  If
    the burst covers ``u < 0.5`` of the outer frame the pair reads ``(F(u), 1)`` and spans ``1 + u``;
    otherwise it reads ``(~0, F(u))`` and spans ``u``.  ``u`` has a uniform prior, frame energies a
    Gaussian error ``sigma``.
    """
    exp_out, exp_in, length = table
    loglik = -((a_out - exp_out) ** 2 + (a_in - exp_in) ** 2) / (2 * sigma * sigma)
    wgt = np.exp(loglik - loglik.max())
    return float((wgt @ length) / wgt.sum())


def _edge_timing(c: _Component, e_full: float, st: StftConfig) -> tuple[float, float] | None:
    """Start and end of a burst in frame units from its edge frames (window-exact), or None."""
    head = np.asarray(c.energies) / e_full
    tail = np.asarray(c.tail) / e_full
    hi_head = (head >= 0.5).nonzero()[0]
    hi_tail = (tail >= 0.5).nonzero()[0]
    if hi_head.size == 0 or hi_tail.size == 0:
        return None
    j0 = c.e_frame0 + int(hi_head[0])
    j1 = c.e_frame_end - tail.size + 1 + int(hi_tail[-1])
    if j1 <= j0:
        return None
    inner = head[hi_head[0] + 1 : min(head.size, j1 - c.e_frame0)]
    sigma = min(max(float(np.std(inner)) if inner.size >= 3 else 0.1, 0.03), 0.3)
    table = _edge_table(st.nfft, st.window)
    k0 = int(hi_head[0])
    a_out_s = float(head[k0 - 1]) if k0 >= 1 else 0.0
    c_s = _edge_contribution(a_out_s, float(head[k0]), sigma, table)
    k1 = int(hi_tail[-1])
    a_out_e = float(tail[k1 + 1]) if k1 + 1 < tail.size else 0.0
    c_e = _edge_contribution(a_out_e, float(tail[k1]), sigma, table)
    return j0 + 1.0 - c_s, j1 + c_e


def _rows_any(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """``mask.any(axis=1)``, 8 cells at a time when the row length allows."""
    if mask.shape[1] % 8 == 0 and mask.flags.c_contiguous:
        return np.asarray(mask.view(np.uint64).any(axis=1))
    return np.asarray(mask.any(axis=1))


def merge_simultaneous(
    bursts: list[Burst],
    *,
    frame_s: float,
    gap_hz: float = 30e3,
    dc_gap_hz: float = 0.0,
    chain_gap_s: float = CHAIN_GAP_S,
) -> list[Burst]:
    """Merge bursts that happen together (overlap >= 60% of the shorter, lengths within a factor 4, or
    a fragment of <= 3.5 frames inside a longer burst) and touch in frequency, and bursts that follow
    each other on the same band with a gap shorter than ``chain_gap_s`` (or 1.5 frames).

    A weak long burst (a low-SNR NB-IoT repetition) crosses the per-cell threshold in patches and is
    cut in time into pieces separated by a few frames; no two cellular uplink transmissions on one
    band are separated by less than ``chain_gap_s`` = 0.4 ms without being one transmission (LTE
    transmits whole 0.5 ms slots, GSM bursts of one phone in non-adjacent slots are >= 0.6 ms apart,
    adjacent slots are 31 us apart and join in detection already), so such pieces are put back together.

    A chirped wideband burst (an LTE PRACH is a Zadoff-Chu sequence: its instantaneous frequency
    sweeps and wraps around its 1.05 MHz band) is cut by the time-frequency grouping into diagonal
    pieces that share the same time span; this puts them back together.  Powers add; the noise
    density is taken from the pieces' own SNR.

    Parameters
    ----------
    bursts : list of Burst
        Bursts of one analysis (any order).
    frame_s : float
        Frame hop.
    gap_hz : float
        Largest frequency gap between occupied bands that still counts as touching.
    dc_gap_hz : float
        Extra gap allowed when the gap contains the capture centre (the DC zone is never detected), for
        pieces whose power densities are within ``DC_BRIDGE_MAX_DB`` (one carrier cut by the zone, not
        a signal and the skirt of it detected across the zone).
    chain_gap_s : float
        Largest time gap between pieces of one transmission on the same band.
    """
    if len(bursts) < 2:
        return list(bursts)
    bs = sorted(bursts, key=lambda b: b.start_s)
    n = len(bs)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    start = np.array([b.start_s for b in bs])
    end = start + np.array([b.duration_s for b in bs])
    lo = np.array([b.freq_hz - b.bandwidth_hz / 2 for b in bs])
    hi = np.array([b.freq_hz + b.bandwidth_hz / 2 for b in bs])
    cen = np.array([b.center_hz for b in bs])
    density_db = np.array([b.power_dbfs for b in bs]) - 10.0 * np.log10(np.maximum(hi - lo, 1.0))
    dur = end - start
    longest = float(dur.max())
    for i in range(n):  # loop over bursts, vectorized over the ones that can overlap it
        reach = max(1.5 * frame_s, chain_gap_s)
        j1 = int(np.searchsorted(start, end[i] + reach, side="right"))
        js = np.arange(i + 1, max(j1, i + 1))
        js = js[start[js] >= start[i] - longest] if js.size else js
        if js.size == 0:
            continue
        overlap = np.minimum(end[js], end[i]) - np.maximum(start[js], start[i])
        shorter = np.minimum(dur[js], dur[i])
        longer = np.maximum(dur[js], dur[i])
        gap = np.maximum(lo[js] - hi[i], lo[i] - hi[js])
        g_lo = np.minimum(hi[js], hi[i])
        g_hi = np.maximum(lo[js], lo[i])
        across_dc = (
            (g_lo <= cen[i]) & (cen[i] <= g_hi) & (np.abs(density_db[js] - density_db[i]) <= DC_BRIDGE_MAX_DB)
        )
        together = (
            (overlap >= 0.6 * shorter)
            & ((shorter >= 0.25 * longer) | ((shorter <= 3.5 * frame_s) & (overlap >= 0.9 * shorter)))
            & (gap <= gap_hz + np.where(across_dc, dc_gap_hz, 0.0))
        )
        # One transmission cut in time (a LoRa chirp wrapping from the top of its band to the bottom):
        # the next piece starts where this one ends, on the same band.
        f_overlap = np.minimum(hi[js], hi[i]) - np.maximum(lo[js], lo[i])
        narrower = np.minimum(hi[js] - lo[js], hi[i] - lo[i])
        t_gap = start[js] - end[i]
        chained = (t_gap >= -1.5 * frame_s) & (t_gap <= reach) & (f_overlap >= 0.5 * narrower)
        ok = (cen[js] == cen[i]) & (together | chained)
        for j in js[ok]:
            parent[root(int(j))] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    out: list[Burst] = []
    for idx in groups.values():
        if len(idx) == 1:
            out.append(bs[idx[0]])
            continue
        out.append(_merge_group([bs[i] for i in idx]))
    out.sort(key=lambda b: (b.start_s, b.freq_hz))
    return out


def _merge_group(g: list[Burst]) -> Burst:
    """One burst from pieces that coincide in time (powers add) and/or follow each other on one band
    (energies add over the joint duration)."""
    p = np.array([10 ** (b.power_dbfs / 10) for b in g])
    d = np.array([b.duration_s for b in g])
    s0 = np.array([b.start_s for b in g])
    bw = np.array([b.bandwidth_hz for b in g])
    noise_density = p / np.array([10 ** (b.snr_db / 10) for b in g]) / bw
    lo = min(b.freq_hz - b.bandwidth_hz / 2 for b in g)
    hi = max(b.freq_hz + b.bandwidth_hz / 2 for b in g)
    energy = p * d
    w = energy / energy.sum()
    cen = np.array([b.freq_hz for b in g])
    shares = np.array([b.tone_share for b in g])
    union = float((s0 + d).max() - s0.min())
    peaks = np.array([10 ** (b.peak_dbfs / 10) for b in g])
    # Pieces in sequence (the transmission spans them all): the union much longer than the longest,
    # or the pieces hardly overlapping (a short first piece cut off a tone's long rest).
    if union > 1.3 * float(d.max()) or union >= 0.9 * float(d.sum()):
        start, dur, peak = float(s0.min()), union, float(peaks.max())
    else:  # pieces of one simultaneous transmission: their (noisy) timing averaged, powers add
        start, dur, peak = float(w @ s0), float(w @ d), float(peaks.sum())
    power = float(energy.sum() / max(dur, 1e-12))
    density = float((noise_density * d).sum() / d.sum())
    steps = sum(b.frames for b in g)
    return Burst(
        start_s=start,
        duration_s=dur,
        freq_hz=float(w @ cen),
        bandwidth_hz=hi - lo,
        peak_dbfs=float(10 * np.log10(max(peak, 1e-30))),
        snr_db=float(10 * np.log10(power / max(density * (hi - lo), 1e-30))),
        power_dbfs=float(10 * np.log10(power)),
        center_hz=g[0].center_hz,
        cells=sum(b.cells for b in g),
        frames=max(b.frames for b in g),
        bins=sum(b.bins for b in g),
        chirp_score=float(sum(b.chirp_score * b.frames for b in g) / max(steps, 1)),
        drift_hz_per_s=float(w @ np.array([b.drift_hz_per_s for b in g])),
        sweep=float(sum(b.sweep * b.frames for b in g) / max(steps, 1)),
        always_on=all(b.always_on for b in g),
        drift_t=float(sum(b.drift_t for b in g) / math.sqrt(len(g))),  # Stouffer: pieces independent
        impulsive=float(sum(b.impulsive * b.frames for b in g) / max(steps, 1)),
        # Pieces of one tone (cut in time) keep its share; of pieces side by side, the largest share
        # of the whole's energy that one piece holds in its three bins (a tone with a weak fragment
        # of noise bridged to it across the DC zone stays a tone).
        tone_share=float(w @ shares) if np.ptp(cen) <= _TONE_SPREAD_HZ else float((w * shares).max()),
        in_clicks=any(b.in_clicks for b in g),  # (set after the merge in the pipeline; kept if not)
    )


def _dilate3(m: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """3x3 binary dilation with slicing (much cheaper than a generic morphology call)."""
    d = m.copy()
    d[1:] |= m[:-1]
    d[:-1] |= m[1:]
    e = d.copy()
    e[:, 1:] |= d[:, :-1]
    e[:, :-1] |= d[:, 1:]
    return e


def _slabs(mask: NDArray[np.bool_], rows_any: NDArray[np.bool_]) -> list[tuple[int, int, int, int]]:
    """Rectangles ``(r0, r1, c0, c1)`` covering every detection, split so that no component crosses
    their borders: runs of active rows, then runs of active columns inside, then rows again (an
    always-on narrow signal then does not make every row of a wide burst's columns a slab)."""
    out: list[tuple[int, int, int, int]] = []
    for r0, r1 in _runs(rows_any):
        for c0, c1 in _runs(np.asarray(mask[r0:r1].any(axis=0))):
            for q0, q1 in _runs(np.asarray(mask[r0:r1, c0:c1].any(axis=1))):
                out.append((r0 + q0, r0 + q1, c0, c1))
    return out


def _runs_exact(active: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Runs ``[start, stop)`` of ``active``."""
    a = np.zeros(active.size + 2, bool)
    a[1:-1] = active
    edge = (a[1:] != a[:-1]).nonzero()[0]
    return list(zip(edge[0::2].tolist(), edge[1::2].tolist(), strict=True))


def _runs(active: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Runs ``[start, stop)`` of ``active`` dilated by one on each side (so gaps <= 2 merge)."""
    n = active.size
    a = np.zeros(n + 2, bool)  # padded with an inactive cell on each side
    a[1:-1] = active
    a[2:] |= active
    a[:-2] |= active
    a[0] = a[-1] = False
    edge = (a[1:] != a[:-1]).nonzero()[0]  # alternating rising and falling edges
    return list(zip(edge[0::2].tolist(), edge[1::2].tolist(), strict=True))
