"""Streaming short-time Fourier transform calibrated in dBFS.

Power convention
----------------
Every STFT cell is ``|X[m, k]|**2`` computed with the window normalised to ``sum(w) == 1``.  With that
normalisation a complex sine ``A * exp(2j*pi*f*n/fs)`` centred on a bin reads ``|A|**2`` in that bin: a
full-scale complex sine (``|A| == 1``, i.e. cu8 samples spanning the whole 0..255 range on both I and Q)
reads **0 dBFS**.  The numbers are therefore *tone-calibrated*: a narrow signal reads its power.

Noise spreads over the bins: white noise of total power ``sigma2`` (dBFS) reads, in every bin, the mean
``sigma2 * enbw_bins / nfft``, that is its density times the window's equivalent noise bandwidth
``enbw_hz = enbw_bins * sample_rate_hz / nfft``.  Hence

* noise density in dBFS/Hz  = bin reading (dB) - 10*log10(enbw_hz)     (:func:`density_dbfs_per_hz`),
* power of a signal spread over several bins = sum of its bin readings / ``enbw_bins``
  (:func:`band_power`), which is exact for noise-like signals and, by Parseval, for tones anywhere.

For the default window (Tukey, alpha 0.5) ``enbw_bins`` = 1.22 (1.5 for Hann); a tone half-way
between two bins loses up to ~2 dB (scalloping) in its peak bin, but :func:`band_power` over its main
lobe still reads its true power.

Frame size and hop
------------------
``StftConfig.for_rate`` picks the smallest power-of-two ``nfft`` whose bin is at most 10 kHz: at
2.4 MS/s that is ``nfft = 256`` (9.375 kHz bins, 106.7 us frames).  A 180 kHz LTE resource block then
spans 19 bins, a 200 kHz GSM channel 21 bins, and a 577 us GSM slot 5.4 frames, a 325 us access burst
3 frames (two of them complete), so both the frequency and time structure needed for classification
are resolved.  The default hop is ``nfft`` (no overlap): every cell is then statistically independent
of its neighbours in time (exact false-alarm arithmetic, see :mod:`rfscan.dsp.detect`) and the FFT work
per sample equals a bare FFT, which is what makes >40x real time possible on one core (50% overlap
doubles the FFT work).  Without overlap a window that tapers over the whole frame (Hann) would
weight samples near frame edges almost to zero and blur burst edges (timing errors ~20 us); the
default Tukey window (alpha 0.5: flat over the middle half, cosine tapers) keeps every sample's
weight high, so edge frames carry a known, nearly linear fraction of a burst's energy (start error
~14 us rms on a 10 dB access burst), while its leakage is below -50 dB from ~8 bins (75 kHz) out,
which matches the ~45-50 dB dynamic range of an 8-bit dongle.  Overlap (``hop < nfft``) and any scipy
window (``"hann"``, ``"tukey:0.3"``...) are supported and continuous across blocks.

Frame timing is absolute: frame ``m`` covers samples ``[m*hop, m*hop + nfft)`` of the stream whose
first sample has index 0, so frame times do not depend on how the stream was cut into blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.fft as sfft
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from scipy.signal import get_window

from rfscan.errors import InputError

__all__ = [
    "StftConfig",
    "StftFrames",
    "StftState",
    "band_power",
    "blank_impulses",
    "db",
    "density_dbfs_per_hz",
    "stft_block",
    "undb",
]

FloatArray = NDArray[np.float32]
ComplexArray = NDArray[np.complex64]

#: Widest bin :meth:`StftConfig.for_rate` accepts (Hz): resolves a 180 kHz RB into ~19 bins.
MAX_BIN_HZ = 10_000.0


def db(x: NDArray[np.floating] | float) -> NDArray[np.float64]:
    """Convert linear power to dB, mapping zero to a very low finite value (-300 dB)."""
    return 10.0 * np.log10(np.maximum(np.asarray(x, dtype=np.float64), 1e-30))


def undb(x: NDArray[np.floating] | float) -> NDArray[np.float64]:
    """Convert dB to linear power."""
    return np.power(10.0, np.asarray(x, dtype=np.float64) / 10.0)


@dataclass(frozen=True)
class StftConfig:
    """Frame size, hop and window of the STFT.

    Parameters
    ----------
    nfft : int
        FFT size (samples per frame); a power of two is fastest.
    hop : int
        Samples between frame starts; ``hop == nfft`` means no overlap.
    window : str
        Window name understood by :func:`scipy.signal.get_window` (periodic form); a parameter
        follows a colon, e.g. ``"tukey:0.5"`` (default) or ``"kaiser:8"``.
    """

    nfft: int = 256
    hop: int = 256
    window: str = "tukey:0.5"

    def __post_init__(self) -> None:
        if self.nfft < 16 or self.nfft % 2 or self.hop < 1 or self.hop > self.nfft:
            raise InputError(
                f"invalid STFT config nfft={self.nfft} hop={self.hop}: "
                "need an even nfft >= 16 and 1 <= hop <= nfft"
            )

    @classmethod
    def for_rate(
        cls, sample_rate_hz: float, *, overlap: float = 0.0, window: str = "tukey:0.5"
    ) -> StftConfig:
        """Choose the STFT for a sample rate: the smallest power-of-two nfft with bins <= 10 kHz.

        Parameters
        ----------
        sample_rate_hz : float
            Complex sample rate.
        overlap : float
            Fraction of frame overlap in ``[0, 1)``; 0 (default) gives independent frames.
        window : str
            Window name.

        Returns
        -------
        StftConfig
        """
        if not sample_rate_hz > 0:
            raise InputError(f"sample rate must be positive, got {sample_rate_hz}")
        if not 0.0 <= overlap < 1.0:
            raise InputError(f"overlap must be in [0, 1), got {overlap}")
        nfft = 16
        while sample_rate_hz / nfft > MAX_BIN_HZ:
            nfft *= 2
        hop = max(1, round(nfft * (1.0 - overlap)))
        return cls(nfft=nfft, hop=hop, window=window)

    @cached_property
    def window_array(self) -> FloatArray:
        """Periodic window normalised to unit sum (tone-calibrated power)."""
        name, _, param = self.window.partition(":")
        spec: str | tuple[str, float] = (name, float(param)) if param else name
        try:
            w = np.asarray(get_window(spec, self.nfft, fftbins=True), dtype=np.float64)
        except ValueError as err:
            raise InputError(f"unknown STFT window {self.window!r}: use a scipy window name") from err
        out: FloatArray = (w / w.sum()).astype(np.float32)
        return out

    @cached_property
    def shifted_window(self) -> FloatArray:
        """Window times ``(-1)**n``: the FFT of a frame then comes out fftshifted at no cost."""
        sign = np.where(np.arange(self.nfft) % 2 == 0, 1.0, -1.0)
        out: FloatArray = (self.window_array * sign).astype(np.float32)
        return out

    @cached_property
    def shifted_window_iq(self) -> FloatArray:
        """:attr:`shifted_window` repeated for interleaved I/Q float32 samples."""
        return np.repeat(self.shifted_window, 2)

    @cached_property
    def enbw_bins(self) -> float:
        """Equivalent noise bandwidth of the window, in bins (1.22 for Tukey 0.5, 1.5 for Hann)."""
        w = self.window_array.astype(np.float64)
        return float(self.nfft * np.sum(w * w) / np.sum(w) ** 2)

    def bin_hz(self, sample_rate_hz: float) -> float:
        """Bin spacing in Hz."""
        return sample_rate_hz / self.nfft

    def frame_s(self, sample_rate_hz: float) -> float:
        """Frame hop in seconds."""
        return self.hop / sample_rate_hz

    def offsets_hz(self, sample_rate_hz: float) -> NDArray[np.float64]:
        """Frequency offset of every (fftshifted) bin from the capture centre, Hz."""
        out = (np.arange(self.nfft, dtype=np.float64) - self.nfft // 2) * (sample_rate_hz / self.nfft)
        return np.asarray(out, dtype=np.float64)


def density_dbfs_per_hz(
    bin_dbfs: NDArray[np.floating] | float, config: StftConfig, sample_rate_hz: float
) -> NDArray[np.float64]:
    """Convert a noise bin reading (dBFS, tone-calibrated) to a density in dBFS/Hz."""
    out: NDArray[np.float64] = np.asarray(bin_dbfs, dtype=np.float64) - 10.0 * math.log10(
        config.enbw_bins * config.bin_hz(sample_rate_hz)
    )
    return out


def band_power(power: NDArray[np.floating], config: StftConfig, axis: int = -1) -> NDArray[np.float64]:
    """Total power (linear, full scale = 1) of the bins summed along ``axis``: ``sum / enbw_bins``."""
    return np.asarray(np.sum(power, axis=axis, dtype=np.float64) / config.enbw_bins)


@dataclass(frozen=True)
class StftFrames:
    """Power of consecutive STFT frames of one block.

    Attributes
    ----------
    power : ndarray of float32, shape (frames, nfft)
        Tone-calibrated power per cell (linear, full scale = 1), fftshifted: column ``k`` is the
        offset ``(k - nfft//2) * fs / nfft`` from the capture centre.
    frame_start : int
        Absolute index of the first row (frame ``m`` starts at sample ``m * hop``).
    blanked : int
        Samples the impulse blanker zeroed in these frames (see :func:`blank_impulses`).
    crest : ndarray of float32, shape (frames,), or None
        When asked for: each windowed frame's largest power in 4 consecutive samples over its mean
        (see :func:`frame_crest`; ~3-5 for noise, tens for a frame holding a click).
    """

    power: FloatArray
    frame_start: int
    blanked: int = 0
    crest: FloatArray | None = None

    @property
    def n_frames(self) -> int:
        """Number of frames (rows)."""
        return int(self.power.shape[0])


@dataclass
class StftState:
    """Carry-over between blocks of one continuous stream (one capture centre).

    Attributes
    ----------
    config : StftConfig
        Frame parameters.
    tail : ndarray of complex64
        Samples received but not yet fully used by a frame.
    tail_start : int
        Absolute sample index of ``tail[0]`` (``-1`` before the first block).
    """

    config: StftConfig
    tail: ComplexArray = field(default_factory=lambda: np.zeros(0, np.complex64))
    tail_start: int = -1
    _frames_buf: ComplexArray | None = field(default=None, repr=False)
    _power_buf: FloatArray | None = field(default=None, repr=False)

    def reset(self) -> None:
        """Forget the carried samples (after a gap or a retune)."""
        self.tail = np.zeros(0, np.complex64)
        self.tail_start = -1

    @property
    def next_sample(self) -> int:
        """Absolute index of the sample the next contiguous block must start with."""
        return self.tail_start + self.tail.size if self.tail_start >= 0 else -1

    def buffers(self, n_frames: int) -> tuple[ComplexArray, FloatArray]:
        """Work buffers of at least ``n_frames`` rows (reused between blocks of equal size)."""
        nfft = self.config.nfft
        if self._frames_buf is None or self._frames_buf.shape[0] < n_frames:
            self._frames_buf = np.empty((n_frames, nfft), np.complex64)
            self._power_buf = np.empty((n_frames, nfft), np.float32)
        assert self._power_buf is not None
        return self._frames_buf[:n_frames], self._power_buf[:n_frames]


def stft_block(
    state: StftState,
    samples: ComplexArray,
    sample_start: int,
    *,
    blank_factor: float = 0.0,
    crest: float | None = None,
) -> StftFrames:
    """Compute the power of every complete frame made available by one more block.

    The block continues the stream when ``sample_start`` equals ``state.next_sample``; otherwise
    (first block, gap, retune) the carried samples are dropped and framing restarts at the first
    frame boundary ``m * hop >= sample_start``.  Results are identical however the stream is cut.

    Parameters
    ----------
    state : StftState
        Streaming state, updated in place.
    samples : ndarray of complex64
        The block's samples.
    sample_start : int
        Absolute index of ``samples[0]``.
    blank_factor : float
        When > 0, impulsive noise is blanked in the windowed frames before the FFT
        (:func:`blank_impulses` with this factor).
    crest : float or None
        When given, also measure the frames' crest (:func:`frame_crest` with this level), before
        any blanking.  Which frames it measures depends on the block (all of them in a block where
        enough of every ``CREST_EVERY``-th read over the level); the power does not.

    Returns
    -------
    StftFrames
        Power rows (a view on a buffer reused by the next call: copy it to keep it) and the absolute
        index of the first frame.
    """
    cfg = state.config
    nfft, hop = cfg.nfft, cfg.hop
    x = np.asarray(samples)
    if x.dtype != np.complex64:
        x = x.astype(np.complex64)
    if sample_start != state.next_sample:
        state.reset()
        first_frame = -(-sample_start // hop)
        skip = first_frame * hop - sample_start
        x = x[skip:]
        state.tail_start = first_frame * hop
    tail = state.tail
    base = state.tail_start  # absolute index of the virtual stream tail ++ x
    total = tail.size + x.size
    n_frames = (total - nfft) // hop + 1 if total >= nfft else 0
    first = base // hop
    if n_frames <= 0:
        state.tail = np.concatenate([tail, x]) if tail.size else x.copy()
        return StftFrames(np.zeros((0, nfft), np.float32), first)
    frames, power = state.buffers(n_frames)
    w = cfg.shifted_window_iq
    fr = frames.view(np.float32)  # (frames, 2 * nfft): I and Q interleaved, real multiplies only
    # Frames that straddle the carried tail are built from a small joined array; the rest are views.
    n_straddle = 0 if tail.size == 0 else min(n_frames, (tail.size - 1) // hop + 1)
    if n_straddle:
        joined = np.concatenate([tail, x[: n_straddle * hop + nfft - hop - tail.size + hop]])
        joined = joined[: (n_straddle - 1) * hop + nfft]
        np.multiply(_frames_iq(joined, nfft, hop), w, out=fr[:n_straddle])
    if n_frames > n_straddle:
        off = n_straddle * hop - tail.size  # index in x of the first bulk frame
        bulk = x[off : off + (n_frames - n_straddle - 1) * hop + nfft]
        np.multiply(_frames_iq(bulk, nfft, hop), w, out=fr[n_straddle:])
    crest_arr = frame_crest(fr, crest, first) if crest is not None else None
    blanked = blank_impulses(fr, blank_factor) if blank_factor > 0 else 0
    spec = sfft.fft(frames, axis=1, overwrite_x=True, workers=1)
    _power_shifted(spec, power)
    consumed = n_frames * hop
    if consumed >= tail.size:
        state.tail = x[consumed - tail.size :].copy()
    else:
        state.tail = np.concatenate([tail[consumed:], x])
    state.tail_start = base + consumed
    return StftFrames(power, first, blanked, crest_arr)


#: :func:`frame_crest` looks at every CREST_EVERY-th frame first, and at all of them when at least
#: CREST_HITS of those read over the level asked for (a click train dense enough to need the crest,
#: see :data:`rfscan.dsp.impulses.CREST_LEVEL`, is in most frames; sparse clicks stand out of the
#: floor instead).
CREST_EVERY = 8
CREST_HITS = 2


def frame_crest(
    frames_iq: NDArray[np.float32], level: float | None = None, frame_start: int = 0
) -> FloatArray | None:
    """Per frame: the largest power in 4 consecutive samples over the mean of such cells.

    Complex Gaussian noise reads ~3-5 (in the windowed frame, whose tapered ends lower the mean), a
    constant envelope ~1.5; a click of a few samples holding a tenth of the frame's energy reads
    over 6.  A strong tone (its power in every sample) hides a weak click from it.

    Parameters
    ----------
    frames_iq : ndarray of float32, shape (frames, 2 * nfft)
        Windowed frames, I and Q interleaved.
    level : float or None
        When given, only the frames whose absolute index is a multiple of ``CREST_EVERY`` are
        measured unless ``CREST_HITS`` of them read over ``level`` (the others read 0).
    frame_start : int
        Absolute index of the first frame.

    Returns
    -------
    ndarray of float32, shape (frames,), or None when nfft is no multiple of 4
    """
    if frames_iq.shape[1] % (2 * BLANK_CELL):
        return None
    if level is not None and frames_iq.shape[0] > CREST_EVERY * CREST_HITS:
        first = -frame_start % CREST_EVERY
        some = _crest(frames_iq[first::CREST_EVERY])
        if np.count_nonzero(some > level) < CREST_HITS:
            out = np.zeros(frames_iq.shape[0], np.float32)
            out[first::CREST_EVERY] = some
            return out
    return _crest(frames_iq)


def _crest(frames_iq: NDArray[np.float32]) -> FloatArray:
    cells = _cell_power(frames_iq)
    mean = cells.mean(axis=1)
    return np.asarray(cells.max(axis=1) / np.maximum(mean, np.finfo(np.float32).tiny), np.float32)


#: Samples per cell of the impulse blanker (4 samples = 1.7 us at 2.4 MS/s: a click's length).
BLANK_CELL = 4
#: Cells on either side of a click that are zeroed too when over ``BLANK_RING`` times the reference:
#: the dongle's filters ring a click out over tens of samples.
BLANK_REACH = 8
BLANK_RING = 2.0


def blank_impulses(frames_iq: NDArray[np.float32], factor: float) -> int:
    """Zero impulsive noise in windowed frames (a noise blanker), in place; returns samples zeroed.

    Switching edges of motor drives and arcing relays reach the dongle as clicks of a few us that
    fill the whole capture.  Left in, a click adds a broadband flash to its frame, and a train of them
    is cut by the detector into bursts of random width and length (false emitters).  Each frame is
    cut into cells of ``BLANK_CELL`` samples.  A cell is a click when its power exceeds ``factor``
    times a reference: the largest median cell power of its frame and the two neighbouring frames
    (a median, which clicks filling less than half a frame do not move).  The neighbours keep a
    strong burst that starts or ends inside a frame from being blanked: the frame next to it lies in
    the burst.
    Around a click, cells within ``BLANK_REACH`` over ``BLANK_RING`` times the reference (the
    filters' ring-down) are zeroed too.  A narrowband noise-like signal (its samples correlated over a
    cell, so its cell power is exponential) exceeds 30 times its median (21 times its mean) with
    probability ~1e-9; constant-envelope signals never do.

    Parameters
    ----------
    frames_iq : ndarray of float32, shape (frames, 2 * nfft)
        Windowed frames, I and Q interleaved (modified in place).
    factor : float
        Threshold over the reference (30 is a good default).

    Returns
    -------
    int
        Number of samples zeroed.
    """
    rows, width = frames_iq.shape
    per = 2 * BLANK_CELL
    if rows < 3 or width % per:
        return 0
    n_cells = width // per
    # Each frame's reference: the largest median cell power of the frame and its two neighbours (the
    # median from every other cell: a click train of 20 kHz fills fewer than a third of the cells).
    cells = _cell_power(frames_iq)
    half = cells[:, ::2]
    med = np.partition(half, half.shape[1] // 2, axis=1)[:, half.shape[1] // 2]
    ref = med.copy()
    np.maximum(ref[1:], med[:-1], out=ref[1:])
    np.maximum(ref[:-1], med[1:], out=ref[:-1])
    hit_rows = np.flatnonzero(cells.max(axis=1) > factor * ref)
    if hit_rows.size == 0:
        return 0
    c = cells[hit_rows]
    r = ref[hit_rows, None]
    hit = c > factor * r
    # Cells within BLANK_REACH of a click (a running count of hits over the window).
    cs = np.zeros((hit_rows.size, n_cells + 2 * BLANK_REACH + 1), np.int32)
    np.cumsum(np.pad(hit, ((0, 0), (BLANK_REACH + 1, BLANK_REACH))), axis=1, out=cs)
    near = (cs[:, 2 * BLANK_REACH + 1 :] - cs[:, :n_cells]) > 0
    zero = hit | (near & (c > BLANK_RING * r))
    sub = frames_iq[hit_rows].reshape(hit_rows.size, n_cells, per)
    sub[zero] = 0.0
    frames_iq[hit_rows] = sub.reshape(hit_rows.size, width)
    return int(np.count_nonzero(zero)) * BLANK_CELL


def _cell_power(frames_iq: NDArray[np.float32]) -> NDArray[np.float32]:
    """Power of every ``BLANK_CELL``-sample cell of frames of interleaved I/Q, shape (frames,
    nfft // BLANK_CELL) (strided adds: several times cheaper than a sum over a reshaped axis)."""
    sq = np.square(frames_iq)
    s = sq[:, 0::2] + sq[:, 1::2]
    cells = s[:, 0::BLANK_CELL] + s[:, 1::BLANK_CELL]
    for j in range(2, BLANK_CELL):  # a loop over the cell's samples (4)
        cells += s[:, j::BLANK_CELL]
    return np.asarray(cells, np.float32)


def _frames_iq(x: ComplexArray, nfft: int, hop: int) -> NDArray[np.float32]:
    """Frames of ``x`` as float32 rows of interleaved I/Q (views, no copy)."""
    xf = np.ascontiguousarray(x).view(np.float32)
    if hop == nfft:
        return xf.reshape(-1, 2 * nfft)
    return sliding_window_view(xf, 2 * nfft)[:: 2 * hop]


def _power_shifted(spec: ComplexArray, out: FloatArray) -> None:
    """``out = |spec|**2`` (``spec`` is already fftshifted by the alternating-sign window)."""
    sf = spec.view(np.float32)
    np.multiply(sf, sf, out=sf)
    np.add(sf[:, 0::2], sf[:, 1::2], out=out)
