"""The analysis every mode shares: blocks of IQ in, spectra + bursts + emitters out.

Memory stays flat in the recording length: per capture centre a fixed-size spectra accumulator, a
detector holding only its open bursts, and the closed bursts as small records.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from rfscan.dsp.artefacts import iq_image_flags, remove_dc
from rfscan.dsp.classify import WEAK_SNR_DB
from rfscan.dsp.detect import (
    Burst,
    BurstDetector,
    DetectConfig,
    false_cells_per_s,
    merge_simultaneous,
    occupied_span,
)
from rfscan.dsp.emitters import Emitter, Watch, build_emitters
from rfscan.dsp.impulses import (
    CREST_LEVEL,
    FLASH_LEVEL,
    MARGIN,
    FlashRing,
    NeighbourHold,
    declick,
    flash_levels,
    stream_frames,
)
from rfscan.dsp.spectra import (
    FLOOR_QUANTILE,
    N_LEVELS,
    LogHistogram,
    Spectra,
    SpectraAccumulator,
    floor_from_quantile,
    occupied_runs,
    tracked_floor,
)
from rfscan.dsp.stft import StftConfig, StftState, stft_block
from rfscan.errors import InputError

#: Histogram rows (per bin) pooled before a floor estimate enters the running average.
MIN_FLOOR_ROWS = 1024
#: The detection floor follows each bin's own typical level down to this many dB below it, so always-on
#: signals are background for burst detection (and reported from the spectra).
TRACK_DB = 1.5

__all__ = ["Analysis", "BlockLike", "Coverage", "PipelineConfig", "Stats", "analyze_blocks"]


class BlockLike(Protocol):
    """What the pipeline needs from a block (``rfscan.iq.Block`` fits)."""

    @property
    def samples(self) -> NDArray[np.complex64]: ...

    @property
    def sample_start(self) -> int: ...

    @property
    def center_hz(self) -> float: ...

    @property
    def sample_rate_hz(self) -> float: ...


@dataclass(frozen=True)
class PipelineConfig:
    """Analysis parameters.

    Attributes
    ----------
    stft : StftConfig or None
        None: :meth:`StftConfig.for_rate`.
    detect : DetectConfig
        Detection parameters.
    max_spectrogram_rows : int
        Bound of the spectrogram rows per capture centre.
    hist_stride : int
        Every n-th frame enters the percentile histogram (and the noise floor).
    hist_stride_late : int or None
        The stride once the floor has settled (after ``MIN_FLOOR_ROWS`` histogram rows); a multiple
        of ``hist_stride``.  None: ``hist_stride`` throughout.
    floor_tau_s : float
        Time constant of the running noise floor (exponential average in dB).
    image_min_db : float
        Minimum power difference for an IQ image.
    remove_dc : bool
        Subtract each block's mean before the STFT.
    declick : bool
        Impulsive noise (on by default): clicks (motor-drive switching edges, arcing contacts) are
        found in the samples of the frames they lift, and taken out of those frames' spectra before
        the spectra and the detector see them (:mod:`rfscan.dsp.impulses`).  A transmission wider
        than the capture is no click (its samples are noise-like, not a few far over the rest), nor
        is a strong tone (notched out of the search).  In a capture where clicks were taken out of
        ``IMPULSIVE_CAPTURE`` of the frames, weak bursts made where they were are set aside
        (``Stats.impulse_frames``, ``Stats.impulsive_bursts``).
    blank_factor : float
        Impulse blanker threshold (:func:`rfscan.dsp.stft.blank_impulses`): 4-sample cells over this
        many times the local median cell power are zeroed before the FFT; 0 (the default) turns it
        off.  30 removes motor-drive and arcing clicks; not yet the default: its effect on narrowband
        bursts next to dense clicks is still being measured.
    """

    stft: StftConfig | None = None
    detect: DetectConfig = field(default_factory=DetectConfig)
    max_spectrogram_rows: int = 2000
    hist_stride: int = 4
    hist_stride_late: int | None = 8
    floor_tau_s: float = 1.0
    image_min_db: float = 20.0
    remove_dc: bool = False
    declick: bool = True
    blank_factor: float = 0.0


@dataclass(frozen=True)
class Coverage:
    """Time a capture centre was watched.

    Attributes
    ----------
    declicked_s : float
        Time of the frames clicks of impulsive noise were taken out of.
    weak_blind_s : float
        In a capture full of clicks (``IMPULSIVE_CAPTURE``), where bursts under ``WEAK_SNR_DB`` made
        where clicks were taken out are set aside: the time in which a weak burst of
        ``WEAK_BURST_S`` starting then would have touched a declicked frame (not reported).  The
        analyze document gives ``watched_s`` less this as ``weak_watched_s``.
    """

    center_hz: float
    span_hz: float
    watched_s: float
    samples: int
    declicked_s: float = 0.0
    weak_blind_s: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "center_hz": self.center_hz,
            "span_hz": self.span_hz,
            "watched_s": self.watched_s,
            "samples": self.samples,
            "declicked_s": self.declicked_s,
            "weak_blind_s": self.weak_blind_s,
        }


@dataclass(frozen=True)
class Stats:
    """Work done."""

    blocks: int
    samples: int
    frames: int
    elapsed_s: float
    samples_per_s: float
    cells: int
    exceedances: int
    expected_false_cells_per_s: float
    #: IQ images set aside: pieces (set aside before bursts merge) and merged bursts (after).
    images_rejected: int
    samples_blanked: int = 0
    impulse_frames: int = 0
    impulsive_bursts: int = 0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Analysis:
    """Result of :func:`analyze_blocks`."""

    spectra: tuple[Spectra, ...]
    bursts: tuple[Burst, ...]
    emitters: tuple[Emitter, ...]
    coverage: tuple[Coverage, ...]
    stats: Stats
    #: The IQ images set aside (see :attr:`Stats.images_rejected`), in time order.
    images: tuple[Burst, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (spectra as per-bin lists, no spectrogram)."""
        return {
            "spectra": [s.to_dict() for s in self.spectra],
            "bursts": [b.to_dict() for b in self.bursts],
            "emitters": [e.to_dict() for e in self.emitters],
            "coverage": [c.to_dict() for c in self.coverage],
            "stats": self.stats.to_dict(),
        }


class _Capture:
    """Streaming state of one capture centre."""

    def __init__(self, center_hz: float, fs: float, stft: StftConfig, cfg: PipelineConfig) -> None:
        self.stft_state = StftState(stft)
        self.dc_keep = max(cfg.detect.dc_halfwidth_bins, 0)
        self.spectra = SpectraAccumulator(
            stft,
            center_hz,
            fs,
            max_rows=cfg.max_spectrogram_rows,
            hist_stride=cfg.hist_stride,
            hist_stride_late=cfg.hist_stride_late,
            hist_late_rows=MIN_FLOOR_ROWS,
            dc_keep_bins=self.dc_keep,
        )
        self.detector = BurstDetector(stft, center_hz, fs, cfg.detect)
        self.floor_db: NDArray[np.float64] | None = None
        self.tau_frames = max(1.0, cfg.floor_tau_s * fs / stft.hop)
        self.floor_frames = MIN_FLOOR_ROWS * max(cfg.hist_stride, 1)  # frames per settled estimate
        self.samples = 0
        self.pending = np.zeros((stft.nfft, N_LEVELS), np.int64)  # histogram since the last estimate
        self.pending_frames = 0
        self.settled = False
        self.background: NDArray[np.bool_] | None = None
        self.impulse_frames = 0
        self.flashes = FlashRing()
        # The stream's last samples before the current block (frames straddling the block start and
        # the margins of the click search reach into them), and the absolute index of the first.
        self.history = np.zeros(0, np.complex64)
        self.history_start = -1
        self.hold = NeighbourHold()  # declicked rows held to the rows around them
        # Start times (in frames) in which a weak burst of WEAK_BURST_S would touch a declicked
        # frame (Coverage.weak_blind_s): frames f - window < start < f + 1 for each declicked f.
        self.weak_window = WEAK_BURST_S * fs / stft.hop + 1.0
        self.weak_blind_frames = 0.0
        self.last_declicked = 0
        self.next_frame: int | None = None

    def note_declicked(self, frame_start: int, n_frames: int, flags: NDArray[np.bool_]) -> None:
        """Add the start times in which a weak burst would touch the declicked frames of a block
        (``flags``), each once over the stream and never before the dwell began."""
        if frame_start != self.next_frame:  # a new dwell: nothing before it was watched
            self.last_declicked = frame_start - 1
        self.next_frame = frame_start + n_frames
        frames = frame_start + np.flatnonzero(flags)
        if frames.size == 0:
            return
        gaps = np.diff(frames, prepend=self.last_declicked)
        self.weak_blind_frames += float(np.minimum(gaps, self.weak_window).sum())
        self.last_declicked = int(frames[-1])

    def remember(self, x: NDArray[np.complex64], x_start: int) -> None:
        """Keep the last ``2 * nfft + MARGIN`` samples of the stream, ``x`` being its latest block."""
        keep = 2 * self.stft_state.config.nfft + MARGIN
        if self.history.size and self.history_start + self.history.size == x_start and x.size < keep:
            joined = np.concatenate([self.history, x])
        else:
            joined = x
        end = x_start + x.size
        self.history = joined[-keep:].copy()
        self.history_start = end - self.history.size

    def floor(self) -> NDArray[np.float64] | None:
        """The detection floor (linear), None before the first estimate."""
        return None if self.floor_db is None else np.asarray(10.0 ** (self.floor_db / 10.0))

    def update_floor(self, counts: NDArray[np.int64], lo: int, frames: int) -> NDArray[np.float64]:
        """Running floor: histogram rows are pooled until ``MIN_FLOOR_ROWS`` are available (the floor
        has settled), then the estimate of every ``MIN_FLOOR_ROWS * hist_stride`` frames enters an
        exponential average in dB (time constant ``floor_tau_s``).  Both are counted in frames, so
        the floor follows changes at the same pace whatever the late histogram stride.

        ``counts`` and ``lo`` are a block's histogram as :meth:`SpectraAccumulator.update` returns it,
        taken from ``frames`` frames."""
        self.pending[:, lo : lo + counts.shape[1]] += counts
        self.pending_frames += frames
        rows = float(self.pending[0].sum())
        due = self.pending_frames >= self.floor_frames if self.settled else True
        if rows > 0 and due:
            quant = LogHistogram.quantile_of(self.pending, FLOOR_QUANTILE)
            plain = floor_from_quantile(quant, dc_keep_bins=self.dc_keep)
            tracked = tracked_floor(plain, quant, TRACK_DB)
            # Bins where the detection floor follows an always-on signal (or the DC spike) rather than
            # the noise: the integrating narrow test is too sensitive to that floor's bias to run there.
            self.background = np.asarray(tracked <= 1.05 * plain)
            est = 10.0 * np.log10(np.maximum(tracked, 1e-30))
            if self.floor_db is None or not self.settled:
                self.floor_db = est  # the first batch: use everything seen so far
            else:
                a = self.pending_frames / (self.pending_frames + self.tau_frames)
                self.floor_db = self.floor_db + a * (est - self.floor_db)
            if self.settled or rows >= MIN_FLOOR_ROWS:
                self.settled = True
                self.pending.fill(0)
                self.pending_frames = 0
        if self.floor_db is None:
            return np.full(self.stft_state.config.nfft, np.inf)
        return np.asarray(10.0 ** (self.floor_db / 10.0))


#: A capture is full of impulsive noise when clicks were taken out of this share of its frames.
#: There, bursts under WEAK_SNR_DB made where clicks were taken out are set aside (counted in
#: ``Stats.impulsive_bursts``): what is left of a dense click train (clicks missed, the noise of
#: the cells taken out) can still be cut into weak bursts of random shape.  Stronger bursts,
#: always-on bands and bursts that no click touched are kept.  (Setting aside bursts under 15 dB
#: with a quarter of their frames declicked, as the scale-back this replaced needed, lost 4 of 77
#: modem emitters >= 10 dB in scenes with clicks, and kept out no more false ones.)
IMPULSIVE_CAPTURE = 0.005
#: The weak burst the coverage's blind time is given for (an LTE subframe, an NB-IoT unit).
WEAK_BURST_S = 1e-3


def _declick_block(
    crest: NDArray[np.float32] | None,
    power: NDArray[np.float32],
    frame_start: int,
    cap: _Capture,
    x: NDArray[np.complex64],
    blk: BlockLike,
) -> NDArray[np.bool_]:
    """Take the clicks out of a block's frames (in place, see :mod:`rfscan.dsp.impulses`) and flag
    those frames (returned).  Frames of high crest are looked at first; then the frames lifted
    as a whole over the floor (a click hidden in the samples by a strong tone), the floor being the
    block's own when the capture has none yet, taken once the crest's clicks are out (a dense click
    train in every frame would lift it)."""
    flags = np.zeros(power.shape[0], bool)
    st = cap.stft_state.config

    def clean(rows: NDArray[np.intp]) -> None:
        if rows.size == 0:
            return
        starts = (frame_start + rows).astype(np.int64) * st.hop
        seg = stream_frames(cap.history, cap.history_start, x, int(blk.sample_start), starts, st.nfft, MARGIN)
        fixed, clicked, _ = declick(seg, st, MARGIN)
        hit = rows[clicked]
        power[hit] = fixed[clicked]
        flags[hit] = True

    looked = np.zeros(power.shape[0], bool)
    if crest is not None:
        looked = crest > CREST_LEVEL
        clean(np.flatnonzero(looked))
    lifted = (flash_levels(power, cap.floor_db) > FLASH_LEVEL) & ~looked
    clean(np.flatnonzero(lifted))
    cap.flashes.write(frame_start, flags)
    return flags


def _feed(
    cap: _Capture, power: NDArray[np.float32], start: int, frame_s: float, cfg: PipelineConfig
) -> list[Burst]:
    """Rows of one capture into its spectra, floor and detector; returns the bursts that closed."""
    counts, lo = cap.spectra.update(power, start)
    floor = cap.update_floor(counts, lo, power.shape[0])
    closed = cap.detector.process(power, start, floor, narrow_ok=cap.background)
    return _mark_impulsive(closed, cap, frame_s) if cfg.declick else closed


def _mark_impulsive(bursts: list[Burst], cap: _Capture, frame_s: float) -> list[Burst]:
    """The bursts with :attr:`Burst.impulsive` set from the capture's flash flags."""
    out = []
    for b in bursts:  # a loop over the few bursts a block closes
        first = math.floor(b.start_s / frame_s + 1e-9)
        last = max(first, math.ceil(b.end_s / frame_s - 1e-9) - 1)
        f = cap.flashes.fraction(first, last)
        out.append(replace(b, impulsive=f) if f > 0 else b)
    return out


def _always_on(cap: _Capture, cfg: PipelineConfig) -> list[Burst]:
    """One burst spanning the watched time for every always-on band of a capture."""
    acc = cap.spectra
    if acc.frames == 0 or acc.origin_frame is None:
        return []
    st = acc.config
    fs = acc.sample_rate_hz
    runs, _, floor = occupied_runs(acc, dc_keep_bins=cap.dc_keep)
    mean = acc.sum / acc.frames
    bin_hz = fs / st.nfft
    hop_s = st.hop / fs
    out = []
    for lo, hi in runs:  # loop over always-on bands
        a, b = max(lo - 2, 0), min(hi + 3, st.nfft)
        excess = np.nan_to_num(mean[a:b] - floor[a:b])
        k_lo, k_hi = occupied_span(excess, cfg.detect.occupied_fraction)
        width = max(k_hi - k_lo, 1.0)
        sig = float(np.clip(excess, 0, None).sum() / st.enbw_bins)
        noise = float(np.mean(floor[lo : hi + 1])) / st.enbw_bins * width
        peak = float(np.sum(acc.max[a:b], dtype=np.float64) / st.enbw_bins)
        out.append(
            Burst(
                start_s=acc.origin_frame * hop_s,
                duration_s=acc.frames * hop_s,
                freq_hz=acc.center_hz + (a + (k_lo + k_hi) / 2.0 - st.nfft // 2) * bin_hz,
                bandwidth_hz=width * bin_hz,
                peak_dbfs=float(10 * np.log10(max(peak, 1e-30))),
                snr_db=float(10 * np.log10(max(sig, 1e-30) / max(noise, 1e-30))),
                power_dbfs=float(10 * np.log10(max(sig, 1e-30))),
                center_hz=acc.center_hz,
                cells=acc.frames * (hi - lo + 1),
                frames=acc.frames,
                bins=hi - lo + 1,
                always_on=True,
            )
        )
    return out


def analyze_blocks(
    blocks: Iterable[BlockLike], sample_rate_hz: float, *, config: PipelineConfig | None = None
) -> Analysis:
    """Analyze a stream of IQ blocks.

    Parameters
    ----------
    blocks : iterable of BlockLike
        Blocks in time order; the centre may change between blocks (one accumulator per centre).
    sample_rate_hz : float
        Sample rate of every block.
    config : PipelineConfig or None
        Parameters (defaults when None).

    Returns
    -------
    Analysis
        Spectra per centre, bursts (IQ images and DC removed), classified emitters, coverage, stats.
    """
    cfg = config or PipelineConfig()
    if not sample_rate_hz > 0:
        raise InputError(f"sample rate must be positive, got {sample_rate_hz}")
    stft = cfg.stft or StftConfig.for_rate(sample_rate_hz)
    captures: dict[float, _Capture] = {}
    bursts: list[Burst] = []
    n_blocks = n_samples = blanked = 0
    frame_s = stft.hop / sample_rate_hz
    t0 = time.perf_counter()
    for blk in blocks:  # loop over blocks
        fs = float(blk.sample_rate_hz)
        if not math.isclose(fs, sample_rate_hz, rel_tol=1e-9):
            raise InputError(
                f"block at sample {blk.sample_start} has rate {fs} Hz, expected {sample_rate_hz} Hz"
            )
        center = float(blk.center_hz)
        cap = captures.get(center)
        if cap is None:
            cap = captures[center] = _Capture(center, fs, stft, cfg)
        x = np.asarray(blk.samples)
        if cfg.remove_dc and x.size:
            x = remove_dc(x)
        x = np.asarray(x, np.complex64)  # once, for the STFT and the click search
        frames = stft_block(
            cap.stft_state,
            x,
            int(blk.sample_start),
            blank_factor=cfg.blank_factor,
            crest=CREST_LEVEL if cfg.declick else None,
        )
        blanked += frames.blanked
        chunks = [(frames.power, frames.frame_start)] if frames.n_frames else []
        if cfg.declick:
            if frames.n_frames:
                flags = _declick_block(frames.crest, frames.power, frames.frame_start, cap, x, blk)
                cap.impulse_frames += int(np.count_nonzero(flags))
                cap.note_declicked(frames.frame_start, frames.n_frames, flags)
                chunks = cap.hold.release(frames.power, frames.frame_start, flags, cap.floor())
            cap.remember(x, int(blk.sample_start))
        n_blocks += 1
        n_samples += x.size
        cap.samples += x.size
        for power, start in chunks:  # one or two chunks of rows (rows held back, released)
            bursts.extend(_feed(cap, power, start, frame_s, cfg))
    always_on: list[Burst] = []
    for cap in captures.values():
        for power, start in cap.hold.finish(cap.floor()):
            bursts.extend(_feed(cap, power, start, frame_s, cfg))
        closed = cap.detector.flush()
        bursts.extend(_mark_impulsive(closed, cap, frame_s) if cfg.declick else closed)
        always_on.extend(_always_on(cap, cfg))
    elapsed = time.perf_counter() - t0
    dc_gap = (2 * cfg.detect.dc_halfwidth_bins + 1) * sample_rate_hz / stft.nfft

    # Always-on bands are background for the bursts: a short burst next to a CW spur must not be
    # merged into the spur's always-on record (nor take its duration), so the two sets merge apart.
    # IQ images go first: a signal near the centre and its image mirror each other across the DC zone,
    # where the merge bridges a wider gap (a carrier cut by the DC zone): merged, a spur and its image
    # read as one carrier of cellular width.  (Again after the merge: pieces of an image, merged.)
    rejected: list[Burst] = []

    def without_images(bs: list[Burst]) -> list[Burst]:
        flags = iq_image_flags(bs, min_db=cfg.image_min_db)
        rejected.extend(b for b, im in zip(bs, flags, strict=True) if im)
        return [b for b, im in zip(bs, flags, strict=True) if not im]

    first = without_images(bursts + always_on)  # an image of a spur may be a burst, and the reverse
    bursts = [b for b in first if not b.always_on]
    always_on = [b for b in first if b.always_on]
    bursts = merge_simultaneous(bursts, frame_s=frame_s, dc_gap_hz=dc_gap) + merge_simultaneous(
        always_on, frame_s=frame_s, dc_gap_hz=dc_gap
    )
    bursts.sort(key=lambda b: (b.start_s, b.freq_hz))
    real = without_images(bursts)
    # In a capture full of impulsive noise, weak bursts made where clicks were taken out are set aside
    # (counted): what a dense click train leaves reads as weak bursts of random shape.
    impulsive_caps = {
        c
        for c, cap in captures.items()
        if cap.impulse_frames >= IMPULSIVE_CAPTURE * max(cap.spectra.frames, 1)
    }
    real = [replace(b, in_clicks=True) if b.center_hz in impulsive_caps else b for b in real]
    aside = [b.in_clicks and not b.always_on and b.impulsive > 0 and b.snr_db < WEAK_SNR_DB for b in real]
    real = [b for b, a in zip(real, aside, strict=True) if not a]
    watches = [Watch(c, sample_rate_hz, cap.samples / sample_rate_hz) for c, cap in captures.items()]
    emitters, assignment = build_emitters(real, watches)
    real = [replace(b, emitter=k) for b, k in zip(real, assignment, strict=True)]
    frames_total = sum(c.spectra.frames for c in captures.values())
    stats = Stats(
        blocks=n_blocks,
        samples=n_samples,
        frames=frames_total,
        elapsed_s=elapsed,
        samples_per_s=n_samples / elapsed if elapsed > 0 else math.inf,
        cells=sum(c.detector.cells_tested for c in captures.values()),
        exceedances=sum(c.detector.exceedances for c in captures.values()),
        expected_false_cells_per_s=false_cells_per_s(stft, cfg.detect, sample_rate_hz),
        images_rejected=len(rejected),
        samples_blanked=blanked,
        impulse_frames=sum(c.impulse_frames for c in captures.values()),
        impulsive_bursts=sum(aside),
    )
    return Analysis(
        spectra=tuple(c.spectra.result() for c in captures.values()),
        bursts=tuple(real),
        emitters=tuple(emitters),
        coverage=tuple(
            Coverage(
                w.center_hz,
                w.span_hz,
                w.watched_s,
                cap.samples,
                declicked_s=cap.impulse_frames * frame_s,
                weak_blind_s=min(cap.weak_blind_frames * frame_s, w.watched_s)
                if c in impulsive_caps
                else 0.0,
            )
            for (c, cap), w in zip(captures.items(), watches, strict=True)
        ),
        stats=stats,
        images=tuple(sorted(rejected, key=lambda b: (b.start_s, b.freq_hz))),
    )
