"""Ground truth of a scene: every transmitted burst and a summary per emitter."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rfscan.sim.emitters import make_model
from rfscan.sim.render import emitter_power_dbfs
from rfscan.sim.scene import Scene, nominal_bandwidth_hz

__all__ = ["TruthBurst", "TruthEmitter", "ground_truth", "merge_sessions", "truth_emitters"]


@dataclass(frozen=True)
class TruthBurst:
    """One transmission (or, after :func:`merge_sessions`, one run of ``burst_count`` of them).

    Times are absolute scene seconds; frequencies are TRUE RF edges (no ppm error).
    ``snr_db`` is the power over the noise in the emitter's nominal bandwidth.
    """

    emitter: str
    label: str
    kind: str
    tech: str
    link: str
    detail: str
    start_s: float
    duration_s: float
    freq_lower_hz: float
    freq_upper_hz: float
    power_dbfs: float
    snr_db: float
    burst_count: int = 1

    @property
    def end_s(self) -> float:
        """End time (s)."""
        return self.start_s + self.duration_s

    @property
    def center_hz(self) -> float:
        """Centre of the occupied span (Hz)."""
        return 0.5 * (self.freq_lower_hz + self.freq_upper_hz)

    @property
    def bandwidth_hz(self) -> float:
        """Width of the occupied span (Hz)."""
        return self.freq_upper_hz - self.freq_lower_hz


@dataclass(frozen=True)
class TruthEmitter:
    """Summary of one emitter as seen by one tuning."""

    id: str
    label: str
    kind: str
    tech: str
    link: str
    freq_hz: float
    freq_lower_hz: float
    freq_upper_hz: float
    power_dbfs: float
    snr_db: float
    burst_count: int
    first_s: float | None
    last_s: float | None
    in_band: bool


def _snr(scene: Scene, index: int) -> float:
    e = scene.emitters[index]
    if e.snr_db is not None:
        return e.snr_db
    density = 10.0 ** (scene.noise_dbfs / 10.0) / scene.sample_rate_hz
    return emitter_power_dbfs(scene, index) - 10.0 * math.log10(
        density * nominal_bandwidth_hz(e, scene.sample_rate_hz)
    )


def _in_band(lo: float, hi: float, center_hz: float, sample_rate_hz: float, ppm: float) -> bool:
    lo_hz = center_hz * (1.0 + ppm * 1e-6)
    return hi - lo_hz > -sample_rate_hz / 2 and lo - lo_hz < sample_rate_hz / 2


def ground_truth(
    scene: Scene,
    *,
    center_hz: float | None = None,
    sample_rate_hz: float | None = None,
    t_from: float = 0.0,
    t_to: float | None = None,
) -> list[TruthBurst]:
    """Every burst of the emitters visible at this tuning, within ``[t_from, t_to)``.

    An emitter is visible when its true band overlaps the tuned band ``+-rate/2`` around the
    dongle's (ppm-shifted) LO.  ``t_to`` defaults to the scene duration; continuous carriers are
    clipped to the window.  Sorted by start time.
    """
    fc = scene.center_hz if center_hz is None else center_hz
    fs = scene.sample_rate_hz if sample_rate_hz is None else sample_rate_hz
    end = scene.duration_s if t_to is None else t_to
    out: list[TruthBurst] = []
    for i, spec in enumerate(scene.emitters):
        model = make_model(spec, scene.seed)
        lo, hi = model.span_hz()
        if not _in_band(lo, hi, fc, fs, scene.dongle.ppm):
            continue
        power = emitter_power_dbfs(scene, i)
        snr = _snr(scene, i)
        for b in model.bursts(t_from, end):
            if not _in_band(b.freq_lower_hz, b.freq_upper_hz, fc, fs, scene.dongle.ppm):
                continue  # e.g. the PUCCH slot on the carrier edge outside the tuned band
            out.append(
                TruthBurst(
                    emitter=spec.id,
                    label=spec.label or spec.id,
                    kind=spec.kind,
                    tech=spec.tech,
                    link=spec.link,
                    detail=b.detail,
                    start_s=b.start_s,
                    duration_s=b.duration_s,
                    freq_lower_hz=b.freq_lower_hz,
                    freq_upper_hz=b.freq_upper_hz,
                    power_dbfs=power,
                    snr_db=snr,
                )
            )
    out.sort(key=lambda b: (b.start_s, b.emitter))
    return out


def truth_emitters(
    scene: Scene,
    *,
    center_hz: float | None = None,
    sample_rate_hz: float | None = None,
    t_from: float = 0.0,
    t_to: float | None = None,
) -> list[TruthEmitter]:
    """One summary per emitter of the scene (``in_band`` says whether this tuning sees it)."""
    fc = scene.center_hz if center_hz is None else center_hz
    fs = scene.sample_rate_hz if sample_rate_hz is None else sample_rate_hz
    bursts = ground_truth(scene, center_hz=fc, sample_rate_hz=fs, t_from=t_from, t_to=t_to)
    out = []
    for i, spec in enumerate(scene.emitters):
        model = make_model(spec, scene.seed)
        lo, hi = model.span_hz()
        mine = [b for b in bursts if b.emitter == spec.id]
        out.append(
            TruthEmitter(
                id=spec.id,
                label=spec.label or spec.id,
                kind=spec.kind,
                tech=spec.tech,
                link=spec.link,
                freq_hz=spec.freq_hz,
                freq_lower_hz=lo,
                freq_upper_hz=hi,
                power_dbfs=emitter_power_dbfs(scene, i),
                snr_db=_snr(scene, i),
                burst_count=len(mine),
                first_s=min((b.start_s for b in mine), default=None),
                last_s=max((b.end_s for b in mine), default=None),
                in_band=_in_band(lo, hi, fc, fs, scene.dongle.ppm),
            )
        )
    return out


def merge_sessions(
    bursts: list[TruthBurst], *, max_bursts: int = 200, gap_s: float = 0.05
) -> list[TruthBurst]:
    """Keep one entry per burst for emitters with at most ``max_bursts`` bursts; otherwise merge.

    For an emitter with more bursts, consecutive bursts on the same frequency span separated by at
    most ``gap_s`` become one entry spanning the run, with ``burst_count`` set and ``detail``
    suffixed by `` session``.
    """
    by_emitter: dict[str, list[TruthBurst]] = {}
    for b in bursts:
        by_emitter.setdefault(b.emitter, []).append(b)
    out: list[TruthBurst] = []
    for items in by_emitter.values():
        if len(items) <= max_bursts:
            out.extend(items)
            continue
        run: list[TruthBurst] = []
        for b in sorted(items, key=lambda x: x.start_s):
            if run and (b.start_s - max(r.end_s for r in run) > gap_s):
                out.append(_merge(run))
                run = []
            run.append(b)
        if run:
            out.append(_merge(run))
    out.sort(key=lambda b: (b.start_s, b.emitter))
    return out


def _merge(run: list[TruthBurst]) -> TruthBurst:
    from dataclasses import replace

    first = run[0]
    end = max(r.end_s for r in run)
    return replace(
        first,
        detail=f"{first.detail} session",
        duration_s=end - first.start_s,
        freq_lower_hz=min(r.freq_lower_hz for r in run),
        freq_upper_hz=max(r.freq_upper_hz for r in run),
        burst_count=sum(r.burst_count for r in run),
    )
