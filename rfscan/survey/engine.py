"""The survey engine: hop sources through a plan, detect bursts in every dwell, account for coverage.

Threads: one *reader* per source tunes its share of the hops and reads one dwell per hop, back to
back, into a bounded queue; the calling thread *analyses* each dwell as it arrives (so slow
processing never lengthens the revisit time until the queue is full), writes every burst to the
event log at once, and keeps max-hold spectra, visits and faults.

Each dwell is analysed on its own with :func:`rfscan.dsp.analyze_blocks`: its noise floor comes from
its own frames (``hist_stride=1``: every frame enters the floor histogram), and a burst can never
merge across two dwells that are not contiguous in time.  Emitters are built from all bursts of the
run (:func:`rfscan.dsp.build_emitters`) when a report or snapshot is written.

Times: a burst's ``start_s`` is on its source's stream clock (``sample_start / rate`` since the
source was opened, discarded settle samples included), like ``analyze``; ``utc`` comes from the
block's UTC stamp.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from rfscan.errors import RfscanError, SourceError
from rfscan.survey.events import EventLog, LiveView, clean_text, utc_from_epoch, utc_to_epoch
from rfscan.survey.plan import TARGET_REVISIT_S, Hop, HopPlan
from rfscan.units import format_hz

__all__ = [
    "BurstRecord",
    "DwellObserver",
    "HopState",
    "SurveyEngine",
    "source_hop_quantum_s",
    "source_overhead_s",
]

log = logging.getLogger(__name__)

#: Bursts kept in a JSON document (all of them are in the event log).
MAX_JSON_BURSTS = 20000


#: Slack (s) kept between the end of an rtl_tcp dwell's retune window and the end of its transfer:
#: the 1 ms guard of ``read_and_tune`` plus 5 ms for the transfer's arrival jitter.
RTLTCP_SLACK_S = 0.006


def _pipelined(src: Any) -> bool:
    return bool(getattr(src, "transfer_bytes", None)) and hasattr(src, "read_and_tune")


def source_overhead_s(src: Any) -> float:
    """Time a source loses per retune, for the plan's dwell choice and revisit estimate.

    A local or simulated dongle loses its settle time.  An rtl_tcp source delivers whole USB
    transfers and the sweep reads each dwell with ``read_and_tune`` (the next frequency leaves as
    soon as the dwell's last sample is captured): the next dwell starts at the first transfer
    boundary after the settle time and the latency margin, so a hop takes whole transfers
    (:func:`source_hop_quantum_s`) and loses ``settle_s + latency_margin_s`` plus a slack of each.
    Without ``read_and_tune`` a hop costs ``settle_s`` plus the discarded ``backlog_bytes``.
    """
    settle = float(getattr(src, "settle_s", 0.0))
    rate = float(getattr(src, "sample_rate_hz", 2.4e6))
    if _pipelined(src):
        return settle + float(getattr(src, "latency_margin_s", 0.0)) + RTLTCP_SLACK_S
    backlog = float(getattr(src, "backlog_bytes", 0)) / 2.0 / rate
    return settle + backlog


def source_hop_quantum_s(src: Any) -> float:
    """Unit a hop's time is rounded up to: one rtl_tcp transfer (0 for other sources)."""
    if _pipelined(src):
        return float(src.transfer_bytes) / 2.0 / float(src.sample_rate_hz)
    return 0.0


@dataclass(frozen=True)
class BurstRecord:
    """A burst with where and when it was seen."""

    burst: Any  # rfscan.dsp.Burst
    source: int
    hop: int
    pass_index: int
    utc_epoch_s: float


class DwellObserver(Protocol):
    """Watches the survey from the analysis thread (e.g. the live waterfall).

    ``dwell`` is called after each dwell is analysed and must only record (cheap); ``tick`` is
    called from the engine's wait loop after every dwell and at least every 0.2 s while waiting
    (on the thread that called :meth:`SurveyEngine.run`), for work such as redrawing a window.
    An observer that raises is dropped (logged); the survey goes on.
    """

    def dwell(
        self, hop: Hop, pass_index: int, t_s: float, spectra: Sequence[Any], bursts: Sequence[BurstRecord]
    ) -> None:
        """One dwell analysed: its hop, pass, start (stream s), spectra and the bursts it kept."""

    def tick(self) -> None:
        """Time for periodic work."""


@dataclass
class HopState:
    """What happened on one hop: visits and max-hold/mean spectra over the usable window."""

    hop: Hop
    source: int
    visit_starts_s: list[float] = field(default_factory=list)
    dwell_total_s: float = 0.0
    freqs_hz: NDArray[np.float64] | None = None
    max_dbfs: NDArray[np.float64] | None = None
    mean_lin: NDArray[np.float64] | None = None
    floor_lin: NDArray[np.float64] | None = None
    spectra_count: int = 0

    @property
    def visits(self) -> int:
        """Number of dwells."""
        return len(self.visit_starts_s)

    @property
    def revisit_s(self) -> float | None:
        """Mean time between the starts of consecutive visits (None with fewer than two)."""
        v = self.visit_starts_s
        if len(v) < 2:
            return None
        return float((v[-1] - v[0]) / (len(v) - 1))

    @property
    def max_revisit_s(self) -> float | None:
        """Longest gap between consecutive visit starts."""
        v = self.visit_starts_s
        if len(v) < 2:
            return None
        return float(np.max(np.diff(v)))


@dataclass
class _Dwell:
    source: int
    hop: Hop
    pass_index: int
    block: Any  # SourceBlock
    hop_wall_s: float


@dataclass
class _Done:
    source: int


@dataclass
class SourceFaults:
    """Faults of one source."""

    url: str
    errors: list[str] = field(default_factory=list)
    dropped_samples: int = 0
    short_reads: int = 0
    discarded_samples: int = 0
    reconnects: int = 0
    #: Dwells read but not analysed because the analysis was behind (rtl_tcp readers never wait).
    dwells_unanalysed: int = 0


class SurveyEngine:
    """Run a hop plan on one or more opened sources.

    Parameters
    ----------
    sources : sequence of Source
        Opened sources (same sample rate); the plan's hops are split between them.
    plan : HopPlan
        The hops, dwell and settle.
    region : str or None
        Region profile for link/band decisions.
    passes : int or None
        Number of passes over the plan (None: until ``duration_s`` or stopped).
    duration_s : float or None
        Stop after this much stream time per source.
    events : EventLog
        Where bursts and notices go as they happen.
    view : LiveView or None
        Live terminal status.
    record_dir : str or None
        Write each source's dwells to a SigMF recording there (one capture per dwell).
    max_reconnects : int
        Reconnections allowed per source before giving up.
    stop : threading.Event or None
        Set to stop early (Ctrl-C, SIGTERM).
    mode : str
        ``sweep`` or ``monitor`` (names in messages and events).
    on_snapshot : callable or None
        Called with the engine every ``snapshot_s`` seconds of wall time.
    snapshot_s : float
        Interval of ``on_snapshot``.
    observer : DwellObserver or None
        Told about every analysed dwell and ticked from the wait loop (the live waterfall).
    """

    def __init__(
        self,
        sources: Sequence[Any],
        plan: HopPlan,
        *,
        region: str | None,
        passes: int | None = 1,
        duration_s: float | None = None,
        events: EventLog | None = None,
        view: LiveView | None = None,
        record_dir: str | None = None,
        max_reconnects: int = 3,
        stop: threading.Event | None = None,
        mode: str = "sweep",
        on_snapshot: Callable[[SurveyEngine], None] | None = None,
        snapshot_s: float = 60.0,
        observer: DwellObserver | None = None,
    ) -> None:
        if not sources:
            raise SourceError("no source to survey with")
        rates = {float(s.sample_rate_hz) for s in sources}
        if len(rates) != 1:
            raise SourceError("all sources must run at the same sample rate")
        self.sources = list(sources)
        self.plan = plan
        self.rate_hz = rates.pop()
        self.region = region
        self.passes = passes
        self.duration_s = duration_s
        self.events = events or EventLog(None)
        self.view = view or LiveView(quiet=True)
        self.record_dir = record_dir
        self.max_reconnects = int(max_reconnects)
        self.stop = stop or threading.Event()
        self.mode = mode
        self.on_snapshot = on_snapshot
        self.snapshot_s = float(snapshot_s)
        self.observer = observer
        self.shares = plan.split(len(self.sources))
        self.hops: dict[int, HopState] = {}
        for k, share in enumerate(self.shares):
            for h in share:
                self.hops[h.index] = HopState(h, k)
        self.bursts: list[BurstRecord] = []
        self.faults = [SourceFaults(s.url) for s in self.sources]
        self.error: str | None = None
        self.interrupted = False
        self.started_utc = utc_from_epoch(time.time())
        self.wall_start = time.monotonic()
        self.wall_s = 0.0
        self.process_s = 0.0
        self.dwell_s_total = 0.0
        self.hop_wall_total_s = 0.0
        self.dwells = 0
        self.pass_done = [0] * len(self.sources)
        self.stream_start_s = [math.nan] * len(self.sources)
        self.stream_end_s = [0.0] * len(self.sources)
        self._known: list[tuple[float, float]] = []  # provisional emitters: (freq, bandwidth)
        self._queue: queue.Queue[_Dwell | _Done] = queue.Queue(maxsize=max(8, 4 * len(self.sources)))
        self._writers: dict[int, Any] = {}
        if record_dir is not None:
            from pathlib import Path

            try:
                Path(record_dir).mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise RfscanError(f"cannot create {record_dir}: {err.strerror or err}") from err
        self._current: dict[int, float] = {}

    # -- readers ---------------------------------------------------------------------------
    def _reader(self, k: int) -> None:
        src = self.sources[k]
        hops = self.shares[k]
        n = self.plan.dwell_samples
        p = 0
        start_pos = src.sample_position
        tuned: float | None = None
        try:
            while not self.stop.is_set():
                if self.passes is not None and p >= self.passes:
                    break
                for i, hop in enumerate(hops):
                    if self.stop.is_set():
                        break
                    if (
                        self.duration_s is not None
                        and (src.sample_position - start_pos) / self.rate_hz >= self.duration_s
                    ):
                        self.pass_done[k] = p
                        return
                    t0 = time.perf_counter()
                    if tuned != hop.center_hz:
                        src.tune(hop.center_hz)
                        tuned = hop.center_hz
                    self._current[k] = hop.center_hz
                    # rtl_tcp: send the next frequency while this dwell's transfer is still being
                    # filled (one transfer per hop instead of two; see RtlTcpSource.read_and_tune).
                    nxt = self._next_center(hops, i, p)
                    if nxt is not None and nxt != tuned and _pipelined(src):
                        block = src.read_and_tune(n, nxt)
                        tuned = nxt
                    else:
                        block = src.read(n)
                    self._check_reconnects(k)
                    item = _Dwell(k, hop, p, block, time.perf_counter() - t0)
                    if _pipelined(src):
                        # An rtl_tcp reader must keep reading: one that waits lets the server queue
                        # transfers, and then no quiet moment of the socket marks the live edge (the
                        # retune rule of RtlTcpSource).  When the analysis is behind, the dwell is
                        # dropped (and not counted as watched) instead.
                        try:
                            self._queue.put_nowait(item)
                        except queue.Full:
                            self.faults[k].dwells_unanalysed += 1
                            if self.faults[k].dwells_unanalysed == 1:
                                self.events.write(
                                    "fault", source=k, url=src.url, what="analysis behind: dwells dropped"
                                )
                    else:
                        while not self.stop.is_set():
                            try:
                                self._queue.put(item, timeout=0.2)
                                break
                            except queue.Full:
                                continue
                p += 1
                self.pass_done[k] = p
        except RfscanError as err:
            self.faults[k].errors.append(clean_text(err, 300))
            if self.error is None:
                self.error = clean_text(err, 300)
            self.stop.set()
        except Exception as err:  # pragma: no cover - a bug must still leave a report
            log.exception("reader %d failed", k)
            self.faults[k].errors.append(clean_text(f"internal error: {err!r}", 300))
            if self.error is None:
                self.error = f"internal error in the reader of {src.url}: {err!r}"
            self.stop.set()
        finally:
            # The analysis may just be slow (give it time to take the queued dwells); after that it
            # is gone: make room, counting any dwell thrown away.
            give_up = time.monotonic() + 10.0
            while True:
                try:
                    self._queue.put(_Done(k), timeout=0.2)
                    break
                except queue.Full:
                    if time.monotonic() < give_up and not self.stop.is_set():
                        continue
                    with contextlib.suppress(queue.Empty):
                        lost = self._queue.get_nowait()
                        if isinstance(lost, _Dwell):
                            self.faults[lost.source].dwells_unanalysed += 1

    def _next_center(self, hops: Sequence[Hop], i: int, p: int) -> float | None:
        """Centre of the hop read after ``hops[i]`` in pass ``p`` (None: none is planned)."""
        if i + 1 < len(hops):
            return hops[i + 1].center_hz
        if self.passes is None or p + 1 < self.passes:
            return hops[0].center_hz
        return None

    def _check_reconnects(self, k: int) -> None:
        src = self.sources[k]
        got = int(getattr(src, "reconnects", 0))
        if got > self.faults[k].reconnects:
            self.faults[k].reconnects = got
            self.events.write("fault", source=k, url=src.url, what="reconnected", reconnects=got)
        if got >= self.max_reconnects and getattr(src, "reconnect", False):
            # The next failure raises instead of reconnecting (a server that keeps stalling).
            src.reconnect = False

    def _watch_reconnects(self) -> None:
        for src in self.sources:
            if int(getattr(src, "reconnects", 0)) >= self.max_reconnects and getattr(src, "reconnect", False):
                src.reconnect = False

    # -- analysis --------------------------------------------------------------------------
    def run(self) -> None:
        """Sweep until done, stopped or failed (errors end up in :attr:`error`, never raised)."""
        self.events.write(
            "start",
            mode=self.mode,
            sources=[s.url for s in self.sources],
            hops=len(self.plan.hops),
            dwell_s=self.plan.dwell_s,
            region=self.region,
        )
        threads = [
            threading.Thread(target=self._reader, args=(k,), name=f"survey-reader-{k}", daemon=True)
            for k in range(len(self.sources))
        ]
        for t in threads:
            t.start()
        alive = len(threads)
        next_snapshot = time.monotonic() + self.snapshot_s
        try:
            while alive:
                try:
                    item = self._queue.get(timeout=0.2)
                except queue.Empty:
                    self._watch_reconnects()
                    self._status()
                    self._tick()
                    if not any(t.is_alive() for t in threads):
                        break  # every reader ended (a sentinel lost while making room)
                    continue
                if isinstance(item, _Done):
                    alive -= 1
                    continue
                self._process(item)
                self._status()
                self._tick()
                if self.on_snapshot is not None and time.monotonic() >= next_snapshot:
                    next_snapshot = time.monotonic() + self.snapshot_s
                    self.on_snapshot(self)
        except KeyboardInterrupt:
            self.interrupted = True
            self.stop.set()
        except RfscanError as err:  # e.g. the recording or the event log cannot be written
            if self.error is None:
                self.error = clean_text(err, 300)
            self.stop.set()
        finally:
            self.stop.set()
            for t in threads:
                t.join(timeout=10.0)
            # analyse what was read before the stop
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, _Dwell):
                    try:
                        self._process(item)
                    except (KeyboardInterrupt, RfscanError):  # pragma: no cover - second Ctrl-C
                        break
            self._finish()

    def _finish(self) -> None:
        self.wall_s = time.monotonic() - self.wall_start
        for k, src in enumerate(self.sources):
            f = self.faults[k]
            f.dropped_samples = int(src.dropped_samples)
            f.short_reads = int(src.short_reads)
            f.discarded_samples = int(src.discarded_samples)
            f.reconnects = int(getattr(src, "reconnects", 0))
        for w in self._writers.values():
            with contextlib.suppress(ValueError):
                w.close()
        self._writers.clear()
        self.events.write(
            "end",
            complete=self.complete,
            error=self.error,
            interrupted=self.interrupted,
            bursts=len(self.bursts),
            dwells=self.dwells,
        )
        self.view.done()

    @property
    def complete(self) -> bool:
        """True if the run ended as planned (not interrupted, no source error)."""
        return self.error is None and not self.interrupted

    def _status(self) -> None:
        cur = ", ".join(format_hz(f) for f in self._current.values()) or "-"
        passes = min(self.pass_done) if self.pass_done else 0
        total = f"/{self.passes}" if self.passes is not None else ""
        dropped = sum(int(s.dropped_samples) for s in self.sources)
        self.view.status(
            f"{self.mode}: pass {passes}{total}, {self.dwells} dwells, at {cur}, "
            f"{len(self._known)} emitters, {len(self.bursts)} bursts, dropped {dropped} samples"
        )

    def _process(self, d: _Dwell) -> None:
        from rfscan.dsp import PipelineConfig, analyze_blocks

        t0 = time.perf_counter()
        blk = d.block
        rate = float(blk.sample_rate_hz)
        start_s = blk.sample_start / rate
        dwell_s = blk.samples.shape[0] / rate
        if math.isnan(self.stream_start_s[d.source]):
            self.stream_start_s[d.source] = start_s
        self.stream_end_s[d.source] = max(self.stream_end_s[d.source], start_s + dwell_s)
        state = self.hops[d.hop.index]
        state.visit_starts_s.append(start_s)
        state.dwell_total_s += dwell_s
        self.dwells += 1
        self.dwell_s_total += dwell_s
        self.hop_wall_total_s += d.hop_wall_s
        self._record(d)
        analysis = analyze_blocks([blk], rate, config=PipelineConfig(hist_stride=1, hist_stride_late=1))
        epoch0 = utc_to_epoch(blk.t_utc)
        kept: list[BurstRecord] = []
        for b in analysis.bursts:
            if not d.hop.owns(b.freq_hz):
                continue
            utc = epoch0 + (b.start_s - start_s)
            rec = BurstRecord(b, d.source, d.hop.index, d.pass_index, utc)
            self.bursts.append(rec)
            kept.append(rec)
            self.events.write(
                "burst",
                utc=utc_from_epoch(utc),
                start_s=b.start_s,
                duration_s=b.duration_s,
                freq_hz=b.freq_hz,
                bandwidth_hz=b.bandwidth_hz,
                peak_dbfs=b.peak_dbfs,
                snr_db=b.snr_db,
                center_hz=b.center_hz,
                hop=d.hop.index,
                pass_index=d.pass_index,
                source=d.source,
            )
            self._provisional(b, utc)
        for sp in analysis.spectra:
            self._spectrum(state, sp)
        if self.observer is not None:
            self._observe(lambda o: o.dwell(d.hop, d.pass_index, start_s, analysis.spectra, kept))
        self.process_s += time.perf_counter() - t0

    def _tick(self) -> None:
        if self.observer is not None:
            self._observe(lambda o: o.tick())

    def _observe(self, call: Callable[[DwellObserver], None]) -> None:
        """Call the observer; one that raises is dropped (a window must never break the survey)."""
        assert self.observer is not None
        try:
            call(self.observer)
        except Exception:
            log.exception("dwell observer failed; dropped")
            self.observer = None

    def _provisional(self, b: Any, utc: float) -> None:
        """Announce a burst on a frequency not seen before (a new emitter, provisionally)."""
        for f, bw in self._known:
            if abs(b.freq_hz - f) <= max(20e3, 0.25 * max(bw, b.bandwidth_hz)):
                return
        self._known.append((float(b.freq_hz), float(b.bandwidth_hz)))
        link = _link_text(b.freq_hz, b.bandwidth_hz, self.region)
        self.events.write(
            "emitter",
            utc=utc_from_epoch(utc),
            freq_hz=b.freq_hz,
            bandwidth_hz=b.bandwidth_hz,
            peak_dbfs=b.peak_dbfs,
            snr_db=b.snr_db,
            where=link,
        )
        self.view.notice(
            f"{self.mode}: new emitter {format_hz(b.freq_hz)} ({b.bandwidth_hz / 1e3:.0f} kHz, "
            f"{b.peak_dbfs:.1f} dBFS, SNR {b.snr_db:.1f} dB) {link} at {utc_from_epoch(utc)}"
        )

    def _spectrum(self, state: HopState, sp: Any) -> None:
        f = np.asarray(sp.freqs_hz, dtype=np.float64)
        keep = (f >= state.hop.usable_low_hz) & (f <= state.hop.usable_high_hz)
        mx = np.asarray(sp.max_dbfs, dtype=np.float64)[keep]
        mean = 10.0 ** (np.asarray(sp.mean_dbfs, dtype=np.float64)[keep] / 10.0)
        floor = 10.0 ** (np.asarray(sp.noise_floor_dbfs, dtype=np.float64)[keep] / 10.0)
        if (
            state.freqs_hz is None
            or state.max_dbfs is None
            or state.mean_lin is None
            or state.floor_lin is None
        ):
            state.freqs_hz = f[keep]
            state.max_dbfs = mx
            state.mean_lin = mean
            state.floor_lin = floor
        elif state.max_dbfs.shape == mx.shape:
            state.max_dbfs = np.fmax(state.max_dbfs, mx)
            state.mean_lin = state.mean_lin + mean
            state.floor_lin = state.floor_lin + floor
        else:  # pragma: no cover - a rate change mid-run
            return
        state.spectra_count += 1

    def _record(self, d: _Dwell) -> None:
        if self.record_dir is None:
            return
        from pathlib import Path

        from rfscan.iq import Capture, SigMFWriter

        w = self._writers.get(d.source)
        if w is None:
            base = Path(self.record_dir) / f"{self.mode}-source{d.source}"
            w = SigMFWriter(
                base,
                sample_rate_hz=self.rate_hz,
                datatype="cu8",
                global_extra={"modemhunt:region": self.region} if self.region else None,
                description=f"rfscan {self.mode}: one capture per dwell ({self.sources[d.source].url})",
            )
            self._writers[d.source] = w
        w.add_capture(Capture(w.num_samples, float(d.block.center_hz), d.block.t_utc))
        w.write(d.block.samples)

    # -- results ---------------------------------------------------------------------------
    @property
    def run_s(self) -> float:
        """Longest stream time any source ran (from its first dwell to its last)."""
        spans = [
            e - s for s, e in zip(self.stream_start_s, self.stream_end_s, strict=True) if not math.isnan(s)
        ]
        return max(spans, default=0.0)

    def emitters(self) -> tuple[list[dict[str, Any]], list[int]]:
        """Emitter documents (as ``analyze`` writes them, plus UTC and a sweep-aware duty cycle)
        and the emitter index of every burst."""
        from rfscan.dsp import Watch, build_emitters
        from rfscan.report.analysis import emitter_document

        bursts = [r.burst for r in self.bursts]
        watches = [
            Watch(st.hop.center_hz, self.rate_hz, st.dwell_total_s) for st in self.hops.values() if st.visits
        ]
        emitters, assignment = build_emitters(bursts, watches)
        stitched = self._stitch_across_hops(emitters, assignment)
        if stitched is not None:
            bursts = stitched
            emitters, assignment = build_emitters(bursts, watches)
        docs = []
        for i, e in enumerate(emitters):
            doc = emitter_document(i, e, self.region)
            mine = [r for r, a in zip(self.bursts, assignment, strict=True) if a == i]
            if mine:
                doc["first_utc"] = utc_from_epoch(min(r.utc_epoch_s for r in mine))
                doc["last_utc"] = utc_from_epoch(max(r.utc_epoch_s + r.burst.duration_s for r in mine))
                doc["sources"] = sorted({r.source for r in mine})
                watched = self._watched_between(e.freq_hz, e.first_s, e.last_s)
                if not e.continuous and len(mine) > 1 and watched > 0:
                    on = sum(r.burst.duration_s for r in mine)
                    doc["duty_cycle"] = min(1.0, on / watched)
                    doc["duty_cycle_basis"] = "on-time over the time its frequency was watched"
            docs.append(doc)
        return docs, assignment

    def _stitch_across_hops(self, emitters: Sequence[Any], assignment: Sequence[int]) -> list[Any] | None:
        """Join emitters that are one signal seen cut by the edges of two neighbouring hops.

        A signal straddling the boundary between two hops is seen by each hop only up to the edge of
        its capture, so each reports a narrower burst with a shifted centre.  Emitters whose
        frequency extents overlap and whose bursts come from neighbouring hops are one signal: their
        bursts get the union extent and the emitters are rebuilt.  Returns the adjusted bursts, or
        None when nothing was joined.
        """
        from dataclasses import replace

        n = len(emitters)
        if n < 2:
            return None
        hops_of: list[set[int]] = [set() for _ in range(n)]
        for rec, k in zip(self.bursts, assignment, strict=True):
            if k >= 0:
                hops_of[k].add(rec.hop)
        parent = list(range(n))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        ext = [(e.freq_hz - e.bandwidth_hz / 2, e.freq_hz + e.bandwidth_hz / 2) for e in emitters]
        joined = False
        for i in range(n):
            for j in range(i + 1, n):
                if ext[j][0] >= ext[i][1]:
                    continue
                if ext[i][0] >= ext[j][1] or hops_of[i] == hops_of[j]:
                    continue
                neighbours = any(abs(a - b) == 1 for a in hops_of[i] for b in hops_of[j])
                if neighbours and not (hops_of[i] & hops_of[j]):
                    parent[find(j)] = find(i)
                    joined = True
        if not joined:
            return None
        lo: dict[int, float] = {}
        hi: dict[int, float] = {}
        for k in range(n):
            r = find(k)
            lo[r] = min(lo.get(r, math.inf), ext[k][0])
            hi[r] = max(hi.get(r, -math.inf), ext[k][1])
        out = []
        for rec, k in zip(self.bursts, assignment, strict=True):
            b = rec.burst
            r = find(k) if k >= 0 else -1
            if r >= 0 and any(find(m) == r and m != k for m in range(n)):
                b = replace(b, freq_hz=(lo[r] + hi[r]) / 2, bandwidth_hz=hi[r] - lo[r])
            out.append(b)
        return out

    def _watched_between(self, freq_hz: float, t0: float, t1: float) -> float:
        total = 0.0
        for st in self.hops.values():
            if not st.hop.owns(freq_hz) or not st.visits:
                continue
            dwell = st.dwell_total_s / st.visits
            for s in st.visit_starts_s:
                total += max(0.0, min(s + dwell, t1) - max(s, t0))
        return total

    def coverage(self) -> dict[str, Any]:
        """The ``coverage`` object: per requested band, how long it was watched and revisited."""
        from rfscan.coverage import intercept_table

        run_s = self.run_s
        rows = []
        for sp in self.plan.spans:
            states = [
                st for st in self.hops.values() if st.hop.low_hz < sp.high_hz and st.hop.high_hz > sp.low_hz
            ]
            if not states:
                continue
            visits = min(st.visits for st in states)
            watched = min(st.dwell_total_s for st in states)
            dwell = (
                sum(st.dwell_total_s for st in states) / max(1, sum(st.visits for st in states))
                if visits
                else 0.0
            )
            revs = [st.revisit_s for st in states]
            revisit = None if any(r is None for r in revs) else max(r for r in revs if r is not None)
            max_revs = [st.max_revisit_s for st in states]
            worst = None if any(r is None for r in max_revs) else max(r for r in max_revs if r is not None)
            rows.append(
                {
                    "band": sp.name,
                    "link": sp.link,
                    "low_hz": sp.low_hz,
                    "high_hz": sp.high_hz,
                    "hops": len(states),
                    "watched_s": watched,
                    "fraction_of_run": (watched / run_s) if run_s > 0 else 0.0,
                    "dwell_s": dwell,
                    "revisit_s": revisit,
                    "max_revisit_s": worst,
                    "visits": visits,
                    "revisit_ok": revisit is not None and revisit <= TARGET_REVISIT_S,
                    "intercept": intercept_table(
                        run_s,
                        dwell_s=dwell if dwell > 0 else None,
                        revisit_s=revisit if revisit is not None else max(run_s, dwell),
                    )
                    if visits
                    else [],
                }
            )
        return {
            "run_s": run_s,
            "target_revisit_s": TARGET_REVISIT_S,
            "bands": rows,
            "unreachable": [u.to_dict() for u in self.plan.unreachable],
            "method": (
                "each band: the least-watched of its hops (watched_s, visits) and the slowest mean "
                "revisit; intercept rows from rfscan.coverage.intercept_table(run_s, dwell_s, revisit_s)"
            ),
        }

    def stitched_spectrum(self) -> dict[str, Any]:
        """Max-hold, mean and floor over all hops on one frequency axis (usable windows only)."""
        parts = sorted(
            (st for st in self.hops.values() if st.freqs_hz is not None and st.spectra_count),
            key=lambda st: st.hop.center_hz,
        )
        f_all: list[NDArray[np.float64]] = []
        mx_all: list[NDArray[np.float64]] = []
        mean_all: list[NDArray[np.float64]] = []
        floor_all: list[NDArray[np.float64]] = []
        for st in parts:
            assert st.freqs_hz is not None
            assert st.max_dbfs is not None
            assert st.mean_lin is not None
            assert st.floor_lin is not None
            own = (st.freqs_hz >= st.hop.low_hz) & (st.freqs_hz < st.hop.high_hz)
            f_all.append(st.freqs_hz[own])
            mx_all.append(st.max_dbfs[own])
            mean_all.append(10 * np.log10(np.maximum(st.mean_lin[own] / st.spectra_count, 1e-30)))
            floor_all.append(10 * np.log10(np.maximum(st.floor_lin[own] / st.spectra_count, 1e-30)))
        if not f_all:
            return {"freqs_hz": [], "max_dbfs": [], "mean_dbfs": [], "noise_floor_dbfs": []}
        return {
            "freqs_hz": np.concatenate(f_all),
            "max_dbfs": np.round(np.concatenate(mx_all), 2),
            "mean_dbfs": np.round(np.concatenate(mean_all), 2),
            "noise_floor_dbfs": np.round(np.concatenate(floor_all), 2),
        }

    def fault_doc(self) -> dict[str, Any]:
        """The ``faults`` object."""
        per: list[dict[str, Any]] = []
        for k, src in enumerate(self.sources):
            f = self.faults[k]
            per.append(
                {
                    "source": k,
                    "url": f.url,
                    "dropped_samples": int(src.dropped_samples),
                    "short_reads": int(src.short_reads),
                    "discarded_samples": int(src.discarded_samples),
                    "reconnects": int(getattr(src, "reconnects", 0)),
                    "dwells_unanalysed": f.dwells_unanalysed,
                    "errors": list(f.errors),
                }
            )
        return {
            "dropped_samples": sum(p["dropped_samples"] for p in per),
            "short_reads": sum(p["short_reads"] for p in per),
            "reconnects": sum(p["reconnects"] for p in per),
            "dwells_unanalysed": sum(p["dwells_unanalysed"] for p in per),
            "errors": [e for p in per for e in p["errors"]],
            "per_source": per,
        }

    def timing_doc(self) -> dict[str, Any]:
        """Measured speed: time per hop, overhead beyond the dwell, processing per dwell."""
        n = max(self.dwells, 1)
        dwell = self.dwell_s_total / n
        hop = self.hop_wall_total_s / n
        proc = self.process_s / n
        return {
            "dwells": self.dwells,
            "wall_s": self.wall_s if self.wall_s else time.monotonic() - self.wall_start,
            "mean_dwell_s": dwell,
            "mean_hop_wall_s": hop,
            "mean_hop_overhead_wall_s": hop - dwell,
            "mean_processing_s_per_dwell": proc,
            "processing_over_dwell": (proc / dwell) if dwell > 0 else None,
            "keeps_up": bool(dwell > 0 and proc <= hop),
        }


def _link_text(freq_hz: float, bandwidth_hz: float, region: str | None) -> str:
    from rfscan.bands import classify_link

    try:
        ans = classify_link(freq_hz, max(bandwidth_hz, 1.0), "unknown", region)
    except RfscanError:
        return "(outside the band plan)"
    if ans.band is None:
        return "(outside the band plan)"
    return f"in {ans.band} {ans.link or 'link undecided'}"
