"""Impulsive noise: find the clicks in the frames they lift, and take them out of those frames.

The switching edges of a motor drive and the arcing of relays and contactors reach the dongle as
clicks of a few microseconds that fill the whole capture.  A click lifts its STFT frame in every
bin at once (a broadband flash); a train of them is cut by the detector into bursts of random width
and length, some of them cellular-shaped.  A transmission wider than the capture (a PUSCH over
~14 RBs, a WCDMA uplink) lifts every bin too, but for the whole frame: what tells the two apart is
time inside the frame.  A click is a few samples far over the rest of its frame; a transmission is
noise-like (its 4-sample cells rarely exceed 8 times their median), or constant-envelope.

Only some frames are looked at (:func:`declick`): those of high crest
(:func:`rfscan.dsp.stft.frame_crest` over ``CREST_LEVEL``: a few samples far over the frame's mean),
then those lifted as a whole over the floor (:func:`flash_levels` over ``FLASH_LEVEL``: a click
hidden in the samples by a strong tone still lifts every sub-band); noise alone makes ~0.3 % of
the frames candidates.

1. The frame (with ``MARGIN`` samples on each side, :func:`stream_frames`) is windowed and
   transformed again.  Bins over ``NOTCH_OVER_MEAN`` times its mean bin (a strong tone, a narrowband
   burst, the DC spike) are notched out, since a strong tone hides a click's peak in the samples,
   and the rest is transformed back to time.
2. The notched samples are cut into cells of ``CELL`` samples.  A click is a run of cells over
   ``CLICK_FACTOR`` times the local level (the running median of ``LOCAL_CELLS`` cells, at least the
   frame's noise in that cell), widened to neighbouring cells over ``RING_FACTOR`` times it (the
   filters' ring-down).  It is no click when it is longer than ``MAX_CLICK_CELLS``, when its peak
   does not stand ``SIDE_FACTOR`` over the ``QUIET_CELLS`` cells on either side (the envelope of a
   noise-like transmission peaks and dips), or when it touches an end of the frame where the
   samples just beyond are not back at the frame's median (a transmission starting or stopping).
3. The click's samples (less what a signal standing over the noise would have been there, brought
   in from around them) are transformed and subtracted from the frame's spectrum; in the notched
   bins the click is brought in from the bins around them (``GAP_ROUNDS`` alternating projections).
   What stood in the notched bins (a spur, a burst) is kept whole, not gated: gating a strong tone
   splatters it over the capture.
4. What is left of a click (a few % of a strong one) lasts one frame: in the stream of power rows
   the declicked frames are held to the frames around them (:class:`NeighbourHold`).

The pure functions here work on complex64 arrays; the pipeline keeps the flags
(:class:`FlashRing`) to set aside weak bursts made where the clicks were dense.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.fft as sfft
from numpy.typing import NDArray
from scipy.ndimage import maximum_filter1d

from rfscan.dsp.stft import BLANK_CELL, StftConfig

#: Sub-bands a frame is cut into to tell an impulse's flash (it lifts every one of them) from a
#: signal narrower than the capture (a PRACH lifts half of them, a 2 MHz PUSCH 7 of 8); every 2nd bin
#: is looked at.
FLASH_SUBBANDS = 8
#: A frame is looked at for clicks from this lift (1.8 dB, see :func:`flash_levels`); noise alone
#: reads over it in 0.16 % of the frames (16 bins per sub-band; Monte Carlo, 2e5 frames).
FLASH_LEVEL = 1.5
#: A frame is looked at for clicks from this crest too (:func:`rfscan.dsp.stft.frame_crest`): a
#: train of clicks in every frame lifts the floor with it, so its frames do not read lifted over it.
#: Noise alone reads over 6 in 1.2e-3 of the frames, over 7 in 1.2e-4 (Monte Carlo, 2e5 frames,
#: nfft 256, Tukey 0.5); a frame looked at in vain costs ~12 us.
CREST_LEVEL = 6.0
#: Samples per cell (1.7 us at 2.4 MS/s: a click's length), those of the crest and the blanker.
CELL = BLANK_CELL
#: A cell is a click over this many times the local level (the running median of ``LOCAL_CELLS``
#: cells, at least the frame's noise in that cell, see :func:`declick`).  A noise-like signal's cell
#: power (Gamma of shape ~4 over 4 samples) exceeds 8 times its median (7.3 times its mean) with
#: probability ~1e-9; a constant-envelope signal never does.
CLICK_FACTOR = 8.0
#: Cells under the frame's strongest over this factor are no click of their own.
CLICK_SPREAD = 30.0
#: Cells beside a click (up to ``RING_REACH`` of them) over this many times the median are taken out
#: with it: the dongle's filters ring a click out over tens of samples.
RING_FACTOR = 2.0
RING_REACH = 3
#: Longest click (cells; 64 samples = 27 us at 2.4 MS/s, with its ring-down).  A longer run is a
#: transmission starting or stopping inside the frame (the shortest cellular burst lasts 325 us).
MAX_CLICK_CELLS = 16
#: Cells on each side of a click whose mean its peak must stand ``SIDE_FACTOR`` over (or be back at
#: the noise): a click inside a GSM burst stands 10x over the burst, the peaks of a noise-like
#: transmission's envelope rarely 4x over the cells around them.
QUIET_CELLS = 4
SIDE_FACTOR = 4.0
#: Cells of the running median a click must stand ``CLICK_FACTOR`` over (a click inside a burst).
#: The median is taken of the cells capped at ``CLICK_FACTOR`` times the noise, so that a click
#: filling half of it lifts it to that at most (a click of 6 us is found when 18 dB over the noise).
LOCAL_CELLS = 9
#: Samples looked at on each side of a frame (:func:`stream_frames`): a run of cells touching an
#: end of the frame is a click only when the signal just beyond that end is back at the frame's
#: median (``RING_FACTOR``); else it is a transmission stopping or starting there, kept whole.
MARGIN = 2 * 4
#: A bin standing this many times over its frame's median (the clicks zeroed) belongs to a signal
#: whose samples under a click are brought in from around it, ``FILL_ROUNDS`` rounds.
NOTCH_FACTOR = 8.0
FILL_ROUNDS = 4
#: A bin over this many times its frame's mean bin (5 % of the frame's energy at nfft 256) is
#: notched out before the click search, with ``NOTCH_LOBE`` bins on each side (the Tukey window's main
#: lobe).  A click's spectrum has random peaks too (a 5 us click: 12 random samples), but rarely 13
#: times the mean bin (noise: 3e-6 of the bins).
NOTCH_OVER_MEAN = 12.8
NOTCH_LOBE = 2
NOTCH_ROUNDS = 4
#: Rounds of alternating projections that bring a click into the bins notched out.
GAP_ROUNDS = 3
#: The noise expected in a cell never reads under this share of the centre's (see :func:`declick`).
MIN_WEIGHT = 0.1
#: Frames of flags kept per capture (7 s at 2.4 MS/s), enough for any burst closed by a block.
FLASH_RING = 1 << 16

__all__ = [
    "CELL",
    "CLICK_FACTOR",
    "CREST_LEVEL",
    "FLASH_LEVEL",
    "FLASH_SUBBANDS",
    "MARGIN",
    "FlashRing",
    "declick",
    "flash_levels",
    "stream_frames",
]


@functools.lru_cache(maxsize=8)
def _flash_noise(m: int) -> float:
    """Median of the smallest of FLASH_SUBBANDS means of ``m`` exponential values (noise power over
    its mean): the lift of a noise-only frame (0.676 for 16 bins per sub-band)."""
    from scipy.stats import gamma

    return float(gamma.isf(0.5 ** (1.0 / FLASH_SUBBANDS), m) / m)


def flash_levels(power: NDArray[np.float32], floor_db: NDArray[np.float64] | None) -> NDArray[np.float32]:
    """Per frame: its lift, the smallest mean over ``FLASH_SUBBANDS`` sub-bands of its power over the
    floor, over that of noise (1 for noise; a signal narrower than the capture leaves at least one
    sub-band at the noise; a click's flash lifts them all).  Each bin weighs the same, so an always-on
    signal in a sub-band (in the floor) does not hide the flash there.

    Parameters
    ----------
    power : ndarray of float32, shape (frames, nfft)
        Power rows of one block (fftshifted).
    floor_db : ndarray or None
        The running noise floor per bin (dB); None before it exists (the first block: its own per-bin
        20 % quantile stands for it, which a flash or a burst in fewer than 80 % of the frames does
        not move).

    Returns
    -------
    ndarray of float32, shape (frames,)
    """
    rows, n = power.shape
    if n % (2 * FLASH_SUBBANDS) or (floor_db is None and rows < 32) or rows == 0:
        return np.ones(rows, np.float32)
    if floor_db is None:
        k = rows // 5
        floor = np.partition(power[:, ::2], k, axis=0)[k].astype(np.float64) / -np.log1p(-(k + 0.5) / rows)
    else:
        floor = 10.0 ** (floor_db[::2] / 10.0)
    m = n // 2 // FLASH_SUBBANDS  # bins looked at per sub-band
    inv = 1.0 / np.maximum(floor, 1e-30) / _flash_noise(m) / m
    # Sub-band means as one matrix product (every 2nd bin weighted by its inverse floor).
    weights = np.zeros((n, FLASH_SUBBANDS), np.float32)
    weights[0::2][np.arange(n // 2), np.arange(n // 2) // m] = inv
    return np.asarray((power @ weights).min(axis=1), np.float32)


def stream_frames(
    tail: NDArray[np.complex64],
    tail_start: int,
    x: NDArray[np.complex64],
    x_start: int,
    starts: NDArray[np.int64],
    nfft: int,
    margin: int = 0,
) -> NDArray[np.complex64]:
    """The samples of frames of a stream (and ``margin`` more on each side), gathered from a block and
    the samples carried before it.

    Parameters
    ----------
    tail, tail_start : ndarray of complex64, int
        Samples carried from the previous blocks (``StftState.tail`` before the block) and the
        absolute index of ``tail[0]``; used when they end where ``x`` starts.
    x, x_start : ndarray of complex64, int
        The block and the absolute index of ``x[0]``.
    starts : ndarray of int
        Absolute first sample of every frame wanted; each frame lies in ``tail ++ x``.
    nfft : int
        Frame length.
    margin : int
        Samples wanted before and after each frame; those not in ``tail ++ x`` (not read yet, or
        before the stream) read NaN.

    Returns
    -------
    ndarray of complex64, shape (len(starts), nfft + 2 * margin)

    Raises
    ------
    ValueError
        When a frame itself is not in ``tail ++ x``.
    """
    width = nfft + 2 * margin
    out = np.full((starts.size, width), np.nan, np.complex64)
    lo = starts - margin - x_start  # index in x of each row's first sample
    fast = (lo >= 0) & (lo + width <= x.size)
    if fast.any():
        out[fast] = np.lib.stride_tricks.sliding_window_view(x, width)[lo[fast]]
    joined = tail.size > 0 and x_start == tail_start + tail.size
    for i in np.flatnonzero(~fast).tolist():  # rows at the block's two ends: a few per block
        s = int(starts[i]) - margin
        a, b = max(s, x_start), min(s + width, x_start + x.size)
        if b > a:
            out[i, a - s : b - s] = x[a - x_start : b - x_start]
        if joined and s < x_start:
            a, b = max(s, tail_start), min(s + width, x_start)
            if b > a:
                out[i, a - s : b - s] = tail[a - tail_start : b - tail_start]
        if np.isnan(out[i, margin : margin + nfft]).any():
            raise ValueError(f"frame at sample {int(starts[i])} is not in the samples given")
    return out


@functools.lru_cache(maxsize=8)
def _cell_weights(config: StftConfig) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Window energy per cell of ``CELL`` samples, over its peak, and the central cells (at least half
    of the peak), whose median stands for the noise."""
    w = config.window_array.astype(np.float64)
    cells = (w * w).reshape(-1, CELL).sum(axis=1)
    cells /= cells.max()
    return cells, cells >= 0.5


def declick(
    frames: NDArray[np.complex64], config: StftConfig, margin: int = 0
) -> tuple[NDArray[np.float32], NDArray[np.bool_], int]:
    """Find the clicks in frames of samples and take them out of the frames' power.

    Parameters
    ----------
    frames : ndarray of complex64, shape (k, nfft + 2 * margin)
        Samples of the frames (not windowed), with ``margin`` samples on each side
        (:func:`stream_frames`; NaN where not known).  Without margins a run of cells touching an
        end of the frame is taken for a transmission starting or stopping there, never a click.
    margin : int
        Samples before and after each frame (a multiple of ``CELL``).
    config : StftConfig
        The STFT the power rows come from (window, calibration); ``nfft`` a multiple of ``CELL``.

    Returns
    -------
    power : ndarray of float32, shape (k, nfft)
        Power rows, fftshifted and calibrated like :func:`rfscan.dsp.stft.stft_block`'s, with the
        clicks taken out (rows without a click are as they were).
    clicked : ndarray of bool, shape (k,)
        Frames in which a click was found and taken out.
    cells : int
        Cells taken out, all frames together.
    """
    k, n = frames.shape[0], config.nfft
    if k == 0 or n % CELL or margin % CELL:
        return np.zeros((k, n), np.float32), np.zeros(k, bool), 0
    core = np.ascontiguousarray(frames[:, margin : margin + n])
    w = config.shifted_window_iq
    fr = (core.view(np.float32) * w).view(np.complex64)
    spec = sfft.fft(fr, axis=1, workers=1)
    power = (spec.real * spec.real + spec.imag * spec.imag).astype(np.float32)
    # A bin over NOTCH_OVER_MEAN times the mean bin (a strong tone) is notched out, with the window's
    # main lobe around it: it would hide a click's peak in the samples.  A click's own spectrum is
    # spread over the whole capture; none of its bins holds that much.  Then again over what is left:
    # a tone 40 dB over the noise still stands out of it in its sidelobes.  (Notching every signal
    # standing over the noise, where the neighbouring frames have it too, was tried: the click brought
    # into gaps as wide as a few RBs is not known well enough, and what was left of it cut a 2-RB
    # LTE-M train in a PWM click train apart.)
    notch = np.zeros(power.shape, bool)
    for _ in range(NOTCH_ROUNDS):  # a loop over a few rounds, not over bins
        rest = np.where(notch, 0.0, power)
        new = (rest > NOTCH_OVER_MEAN / n * rest.sum(axis=1, keepdims=True)) & ~notch
        if not new.any():
            break
        for _ in range(NOTCH_LOBE):  # the lobe's half width (2 bins)
            new = _widen(new)
        notch |= new
    y = sfft.ifft(np.where(notch, 0, spec), axis=1, workers=1)
    sq = y.real * y.real + y.imag * y.imag
    weight, central = _cell_weights(config)
    cells = sq.reshape(k, n // CELL, CELL).sum(axis=2)
    # Noise in a cell: the median over the central cells (power over the window's energy there), times
    # the cell's window energy, but never under MIN_WEIGHT of the centre's: near the frame's ends the
    # window weighs a click down (it lifts the frame little), and what a notched strong tone leaves
    # behind (its sidelobes) gathers there.
    ref = np.median(cells[:, central] / weight[central], axis=1, keepdims=True)
    expect = ref * np.maximum(weight, MIN_WEIGHT)
    # Hits: cells over CLICK_FACTOR times the local level (the running median of LOCAL_CELLS cells capped
    # at CLICK_FACTOR, at least the noise: a click inside a burst stands out of the burst, and a long
    # click does not lift the median over CLICK_FACTOR), and within
    # CLICK_SPREAD of the frame's strongest (what a notched strong tone leaves near the frame's ends
    # is far under a click that matters).
    ratio = cells / expect
    h = LOCAL_CELLS // 2
    padded = np.pad(np.minimum(ratio, CLICK_FACTOR), ((0, 0), (h, h)), mode="edge")
    window = np.lib.stride_tricks.sliding_window_view(padded, LOCAL_CELLS, axis=1)
    local = np.maximum(np.median(window, axis=2), 1.0)
    hit = (ratio > CLICK_FACTOR * local) & (ratio * CLICK_SPREAD > ratio.max(axis=1, keepdims=True))
    if not hit.any():
        return power, np.zeros(k, bool), 0
    ring = ratio > RING_FACTOR * local
    grown = hit
    for _ in range(RING_REACH):  # a loop over the reach (3 steps), not over cells
        grown = _widen(grown) & (ring | hit)
    keep = _short_runs(grown, ratio, weight >= MIN_WEIGHT, *_beyond(frames, core, margin, central))
    clicked: NDArray[np.bool_] = np.asarray(keep.any(axis=1))
    if not clicked.any():
        return power, clicked, 0
    rows = np.flatnonzero(clicked)
    gate = np.repeat(keep[rows], CELL, axis=1)
    click = sfft.fft(_click_samples(y[rows], gate), axis=1, workers=1)
    # In the notched bins the click is not known: it is brought in from the bins around them
    # (alternating projections: the click lasts only its cells, and it is known outside the notches).
    gap = notch[rows]
    has_gap = np.flatnonzero(gap.any(axis=1))
    if has_gap.size:
        g, known = gate[has_gap], ~gap[has_gap]
        c = click[has_gap]
        s_known = c.copy()  # the click's spectrum as measured in its cells, outside the notches
        for _ in range(GAP_ROUNDS):  # a loop over a few rounds, not over samples or bins
            c = np.where(known, s_known, c)
            c = sfft.fft(np.where(g, sfft.ifft(c, axis=1, workers=1), 0), axis=1, workers=1)
        click[has_gap] = c
    fixed = spec[rows] - click
    power[rows] = (fixed.real * fixed.real + fixed.imag * fixed.imag).astype(np.float32)
    return power, clicked, int(np.count_nonzero(keep))


def _click_samples(y: NDArray[np.complex128], gate: NDArray[np.bool_]) -> NDArray[np.complex128]:
    """The clicks' samples: ``y`` in the gate, less what a signal standing over the noise (a GSM burst,
    a few RBs) would have been there.  That signal is brought into the gate from the samples around
    it (alternating projections on its band, the bins ``NOTCH_FACTOR`` over the median once the clicks
    are zeroed): taken out with the click, a strong signal's piece would splatter over the capture."""
    known = np.where(gate, 0, y)
    spec = sfft.fft(known, axis=1, workers=1)
    p = spec.real * spec.real + spec.imag * spec.imag
    band = _widen(p > NOTCH_FACTOR * np.median(p, axis=1, keepdims=True))
    rows = np.flatnonzero(band.any(axis=1))
    out = np.where(gate, y, 0)
    if rows.size == 0:
        return out
    g, b, fill = gate[rows], band[rows], known[rows]
    for _ in range(FILL_ROUNDS):  # a loop over a few rounds, not over samples
        limited = sfft.ifft(np.where(b, sfft.fft(fill, axis=1, workers=1), 0), axis=1, workers=1)
        fill = np.where(g, limited, known[rows])
    out[rows] = np.where(g, y[rows] - fill, 0)
    return out


def _widen(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """``mask`` widened by one cell (or bin) on each side, along its rows (a new array)."""
    out = mask.copy()
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    return out


def _beyond(
    frames: NDArray[np.complex64], core: NDArray[np.complex64], margin: int, central: NDArray[np.bool_]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per frame: whether the signal goes on before its start, and after its end (the mean power of
    the margin's samples over ``RING_FACTOR`` times the frame's median cell, plain samples; unknown
    margins go on)."""
    k = core.shape[0]
    if margin == 0:
        return np.ones(k, bool), np.ones(k, bool)
    p = core.real * core.real + core.imag * core.imag
    cells = p.reshape(k, -1, CELL).mean(axis=2)
    ref = np.median(cells[:, central], axis=1)
    pm = np.abs(frames[:, :margin]) ** 2, np.abs(frames[:, -margin:]) ** 2
    with np.errstate(invalid="ignore"):
        before = ~(pm[0].mean(axis=1) <= RING_FACTOR * ref)  # NaN (not known) goes on
        after = ~(pm[1].mean(axis=1) <= RING_FACTOR * ref)
    return before, after


def _short_runs(
    mask: NDArray[np.bool_],
    ratio: NDArray[np.float64],
    weighed: NDArray[np.bool_],
    open_start: NDArray[np.bool_],
    open_end: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """The runs of ``mask`` (per row) that are clicks: no longer than ``MAX_CLICK_CELLS``, their peak
    ``SIDE_FACTOR`` over the mean ``ratio`` of the ``QUIET_CELLS`` cells on either side, or those
    back at the noise (``RING_FACTOR``, or the peak over ``CLICK_SPREAD``; a noise-like
    transmission's envelope dips and peaks, cutting it into runs with more of it around; a
    transmission's first cells have more of it after them), and not touching the row's start
    where ``open_start`` (the signal goes on before it) nor its end where ``open_end``.  Cells the
    window weighs down to almost nothing (not ``weighed``) count as the row's ends: a transmission
    stopping in them reads as a run starting just after them."""
    k, m = mask.shape
    padded = np.zeros((k, m + 2), np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded.ravel())
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)  # one past each run, in the flattened padded array
    row = starts // (m + 2)
    a = starts - row * (m + 2)  # run start, in cells of its row
    b = ends - row * (m + 2)  # one past its end
    # Side means leave out the cells of other runs (two clicks of an arcing contact a few us apart).
    cs = np.zeros((k, m + 1))
    np.cumsum(np.where(mask, 0.0, ratio), axis=1, out=cs[:, 1:])
    cn = np.zeros((k, m + 1))
    np.cumsum(~mask, axis=1, out=cn[:, 1:])
    a0, b1 = np.maximum(a - QUIET_CELLS, 0), np.minimum(b + QUIET_CELLS, m)
    left = (cs[row, a] - cs[row, a0]) / np.maximum(cn[row, a] - cn[row, a0], 1)
    right = (cs[row, b1] - cs[row, b]) / np.maximum(cn[row, b1] - cn[row, b], 1)
    # Each run's peak (the max over its cells: a reduce over the run bounds, interleaved) stands
    # SIDE_FACTOR over both sides: a click does, out of noise or out of a burst; the first cells of a
    # transmission do not (the transmission goes on beside them), nor the peaks of a noise-like one.
    flat = np.append(ratio.ravel(), 0.0)
    bounds = np.column_stack([row * m + a, row * m + b]).ravel()
    peak = np.maximum.reduceat(flat, bounds)[::2] if bounds.size else np.zeros(0)
    lead = int(np.argmax(weighed))  # cells weighed down at the row's start (and end: symmetric)
    at_start, at_end = a <= lead, b >= m - lead
    quiet = np.maximum(RING_FACTOR, peak / CLICK_SPREAD)  # or back at the noise, near enough
    good = (
        (b - a <= MAX_CLICK_CELLS)
        & ((peak > SIDE_FACTOR * left) | (left <= quiet) | at_start)
        & ((peak > SIDE_FACTOR * right) | (right <= quiet) | at_end)
        & ~(at_start & open_start[row])
        & ~(at_end & open_end[row])
    )
    marks = np.zeros(k * (m + 1) + 1, np.int32)
    np.add.at(marks, row[good] * (m + 1) + a[good], 1)
    np.add.at(marks, row[good] * (m + 1) + b[good], -1)
    out = np.cumsum(marks[:-1]).reshape(k, m + 1)[:, :m] > 0
    return np.asarray(out)


class FlashRing:
    """Flags (frames in which clicks were taken out) of the last ``FLASH_RING`` frames of a capture,
    by absolute frame index."""

    def __init__(self) -> None:
        self.flags = np.zeros(FLASH_RING, bool)
        self.end = 0  # one past the last frame written

    def write(self, frame_start: int, flags: NDArray[np.bool_]) -> None:
        """Set the flags of frames ``frame_start ..``."""
        idx = (frame_start + np.arange(flags.size)) % FLASH_RING
        self.flags[idx] = flags
        self.end = max(self.end, frame_start + flags.size)

    def fraction(self, first: int, last: int) -> float:
        """Share of frames ``first..last`` flagged (those still in the ring)."""
        first = max(first, self.end - FLASH_RING, 0)
        last = min(last, self.end - 1)
        if last < first:
            return 0.0
        return float(self.flags[np.arange(first, last + 1) % FLASH_RING].mean())


#: A cell of a declicked frame keeps at most this many times the largest of the bins within
#: SUPPORT_BINS in the frames before and after it, relative to each bin's noise floor
#: (:class:`NeighbourHold`): over noise alone, the largest of 34 cells is ~4x their mean.
SUPPORT_FACTOR = 1.0
SUPPORT_BINS = 8


class NeighbourHold:
    """Hold the cells of declicked frames to the frames around them, in a stream of power rows.

    What taking a click out leaves (a few % of a strong click, spread over the band next to a
    notched tone, or near the capture edges where the click's ring in the tuner's filter outlasts
    the cells taken out) lasts one frame; a transmission lasts two or more (the shortest, a GSM
    access burst, 0.33 ms), so its cells in a declicked frame are backed by a neighbour, within a
    few bins when it sweeps (a PRACH of a low Zadoff-Chu root moves ~15 bins a frame, a LoRa chirp
    less).  Left alone, the leftovers widen a spur's burst into a "carrier" of cellular width.

    Every cell of a declicked row is held to ``SUPPORT_FACTOR`` times the largest, within
    ``SUPPORT_BINS`` bins, of the rows before and after it, each relative to the bin's floor. A
    neighbour that is declicked too, with a row beyond it that is not, backs it only as far as that row
    does (clicks in two consecutive frames leave leftovers in the same bins, which would back each
    other); so a declicked row waits for up to two rows after it, kept back across a block edge, and the
    result does not depend on how the stream is cut. At the ends of a dwell the one side there is
    decides (a declicked neighbour with nothing beyond it backs in full). Limits: in runs of three or
    more declicked frames (dense click trains) the inner ones back each other, leftovers and all, so
    that a transmission under such a train keeps its support; a signal of exactly three declicked frames
    with none of it around loses its middle frame.
    """

    def __init__(self) -> None:
        self._next_frame: int | None = None  # frame index after the last row taken
        self._reset(0)

    def _reset(self, width: int) -> None:
        """Forget the stream: no rows before, none pending (rows of ``width`` bins)."""
        self._ctx = np.zeros((0, width), np.float32)  # <= 2 released rows before the pending ones
        self._ctx_flags = np.zeros(0, bool)
        self._pend = np.zeros((0, width), np.float32)  # rows not released yet
        self._pend_flags = np.zeros(0, bool)

    def release(
        self,
        power: NDArray[np.float32],
        frame_start: int,
        flags: NDArray[np.bool_],
        floor: NDArray[np.float64] | None,
    ) -> list[tuple[NDArray[np.float32], int]]:
        """Take a block's power rows (``flags``: declicked) and return the rows ready, held, as
        ``(rows, first frame index)`` in time order.  ``power`` is modified in place and may be
        returned as a view."""
        flags = np.asarray(flags, bool)
        n = power.shape[0]
        if power.dtype != np.float32 or flags.shape != (n,):
            raise ValueError("NeighbourHold.release takes float32 rows and one bool flag per row")
        out: list[tuple[NDArray[np.float32], int]] = []
        if self._next_frame is not None and frame_start != self._next_frame:
            out += self.finish(floor)  # a gap in the stream: the pending rows go with what is known
        if n == 0:
            return out
        if self._next_frame is None:
            self._reset(power.shape[1])
        self._next_frame = frame_start + n
        return out + self._run(power, frame_start, flags, floor, final=False)

    def finish(self, floor: NDArray[np.float64] | None) -> list[tuple[NDArray[np.float32], int]]:
        """The rows still pending (end of the stream or of a dwell), held to what is known."""
        if self._next_frame is None:
            return []
        width = self._pend.shape[1]
        out = self._run(
            np.zeros((0, width), np.float32), self._next_frame, np.zeros(0, bool), floor, final=True
        )
        self._next_frame = None
        self._reset(width)
        return out

    def _run(
        self,
        power: NDArray[np.float32],
        frame_start: int,
        flags: NDArray[np.bool_],
        floor: NDArray[np.float64] | None,
        *,
        final: bool,
    ) -> list[tuple[NDArray[np.float32], int]]:
        # A virtual stream: context rows (released, as they were), pending rows, the block.
        small = np.concatenate([self._ctx, self._pend]) if self._pend.shape[0] else self._ctx
        m, k, n = self._ctx.shape[0], small.shape[0], power.shape[0]
        total = k + n
        fl = np.concatenate([self._ctx_flags, self._pend_flags, flags])
        first_frame = frame_start - k  # frame index of virtual row 0
        if total == m:
            return []
        cand = np.flatnonzero(fl[m:]) + m
        if final:
            stop = total
        else:
            # a declicked row needs the row after it, and the one after that when that one is declicked
            nxt = np.minimum(cand + 1, total - 1)
            ready = (cand + 1 < total) & (~fl[nxt] | (cand + 2 < total))
            stop = int(cand[~ready][0]) if (~ready).any() else total

        def rows_at(idx: NDArray[np.intp]) -> NDArray[np.float32]:
            a = power[np.clip(idx - k, 0, max(n - 1, 0))] if n else small[np.clip(idx, 0, k - 1)]
            if k and n:
                a = np.where((idx < k)[:, None], small[np.clip(idx, 0, k - 1)], a)
            return np.asarray(a, np.float32)

        rows = cand[cand < stop]
        held = None
        if rows.size:
            support = SUPPORT_FACTOR * self._support(rows, fl, total, rows_at, floor)
            held = np.minimum(rows_at(rows), support).astype(np.float32)
        # Pre-hold copies of what the next call needs: the last two released rows and the rest.
        keep_ctx = np.arange(max(stop - 2, 0), stop)
        new_ctx, new_ctx_flags = rows_at(keep_ctx).copy(), fl[keep_ctx].copy()
        rest = np.arange(stop, total)
        new_pend, new_pend_flags = rows_at(rest).copy(), fl[rest].copy()
        out: list[tuple[NDArray[np.float32], int]] = []
        if k > m and stop > m:  # pending rows released
            part = small[m : min(k, stop)].copy()
            if held is not None:
                sel = rows < k
                part[rows[sel] - m] = held[sel]
            out.append((part, first_frame + m))
        if stop > k:  # rows of the block released
            if held is not None:
                sel = rows >= k
                power[rows[sel] - k] = held[sel]
            out.append((power[: stop - k], frame_start))
        self._ctx, self._ctx_flags = new_ctx, new_ctx_flags
        self._pend, self._pend_flags = new_pend, new_pend_flags
        return out

    @staticmethod
    def _support(
        rows: NDArray[np.intp],
        fl: NDArray[np.bool_],
        total: int,
        rows_at: Callable[[NDArray[np.intp]], NDArray[np.float32]],
        floor: NDArray[np.float64] | None,
    ) -> NDArray[np.floating[Any]]:
        """Per declicked row, the level the rows around it back (see the class docstring)."""

        def side(step: int) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
            one, two = rows + step, rows + 2 * step
            has = (one >= 0) & (one < total)
            level = rows_at(np.clip(one, 0, total - 1))
            inside = (two >= 0) & (two < total)
            beyond = has & fl[np.clip(one, 0, total - 1)] & inside & ~fl[np.clip(two, 0, total - 1)]
            if beyond.any():
                level = np.where(
                    beyond[:, None], np.minimum(level, rows_at(np.clip(two, 0, total - 1))), level
                )
            return level, has

        before, has_b = side(-1)
        after, has_a = side(1)
        near = np.where(has_b[:, None], before, after)
        np.maximum(near, np.where(has_a[:, None], after, before), out=near)
        none = ~(has_b | has_a)
        if none.any():  # a dwell of one row: nothing to hold it to
            near[none] = np.inf
        # relative to the floor, in float64: a cell backed by itself stays whole
        inv = None if floor is None else 1.0 / np.maximum(floor, 1e-30)
        wide = maximum_filter1d(
            near if inv is None else near * inv, 2 * SUPPORT_BINS + 1, axis=1, mode="nearest"
        )
        return np.asarray(wide if inv is None else wide / inv)
