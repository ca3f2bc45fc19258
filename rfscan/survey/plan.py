"""The hop plan of a sweep: which centres to tune, how long to dwell, what cannot be seen.

Pure functions (no radio, no clock), unit-tested in ``tests/rfscan/test_survey_plan.py``.

Tiling
------
An RTL-SDR at rate ``fs`` delivers ``fs`` of complex bandwidth, but the RTL2832's decimation filter
rolls off near the edges, so only the central ``usable_fraction * fs`` (default 80 %, 1.92 MHz at
2.4 MS/s) is used.  Hop centres are spaced by ``step_hz``: the usable width minus an overlap of at
least ``min_overlap_hz``, rounded down to a whole number of 200 kHz, so that every centre sits on
the same grid ``k * 200 kHz + 100 kHz``.

DC spike
--------
The dongle's DC offset puts a spike at the centre.  With every centre on ``k * 200 kHz + 100 kHz``
the spike lies exactly between two GSM carriers (GSM ARFCNs are on a 200 kHz raster starting at a
whole MHz, TS 45.005 section 2), i.e. outside the GSM channels of interest; the detector masks
``+-dc_notch_hz`` around it (``DetectConfig.dc_halfwidth_bins``) and rejoins a wider burst that
straddles the notch (LTE allocations are >= 180 kHz, wider than the notch).

Each hop *owns* the part of the span between the midpoints to its neighbours: a burst is kept only
by the hop that owns its centre, so the overlap never counts a burst twice.

Dwell
-----
A GSM TDMA frame lasts 4.615 ms and an LTE subframe 1 ms (radio frame 10 ms, PUCCH/SR periods
5-10 ms): a dwell of at least :data:`MIN_DWELL_S` (10 ms: two GSM frames, one LTE radio frame)
sees at least two bursts of a GSM call on one timeslot and every subframe of an LTE frame.  Longer
dwells (up to :data:`MAX_DWELL_S`, 50 ms = ten GSM frames) give the per-dwell noise floor more
frames and the period estimate more bursts; the automatic dwell is the longest that keeps the
revisit time of the plan within ``target_revisit_s`` (2 s), never below the minimum.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rfscan.errors import InputError
from rfscan.units import format_hz

__all__ = [
    "DC_GRID_HZ",
    "DC_OFFSET_HZ",
    "DEFAULT_USABLE_FRACTION",
    "MAX_DWELL_S",
    "MIN_DWELL_S",
    "TARGET_REVISIT_S",
    "Hop",
    "HopPlan",
    "RequestedSpan",
    "Unreachable",
    "choose_dwell_s",
    "parse_range",
    "plan_hops",
    "resolve_spans",
]

#: Fraction of the sample rate used per hop (the rest is the decimation filter's roll-off).
DEFAULT_USABLE_FRACTION = 0.80
#: Grid of hop centres (GSM channel raster, TS 45.005) and the offset that puts DC between carriers.
DC_GRID_HZ = 200e3
DC_OFFSET_HZ = 100e3
#: Shortest dwell: two GSM TDMA frames (2 x 4.615 ms) and one LTE radio frame (10 ms).
MIN_DWELL_S = 0.010
#: Longest automatic dwell: ten GSM frames.
MAX_DWELL_S = 0.050
#: Revisit target for every band of a plan.
TARGET_REVISIT_S = 2.0
#: Default minimum overlap between neighbouring usable windows.
DEFAULT_MIN_OVERLAP_HZ = 50e3
#: Detector DC notch half width at 2.4 MS/s (5 bins of 9.375 kHz, DetectConfig.dc_halfwidth_bins).
DEFAULT_DC_NOTCH_HZ = 5 * 2.4e6 / 256


@dataclass(frozen=True)
class RequestedSpan:
    """A span the user asked for: a band's link part, or a plain frequency range."""

    name: str
    link: str
    low_hz: float
    high_hz: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"band": self.name, "link": self.link, "low_hz": self.low_hz, "high_hz": self.high_hz}


@dataclass(frozen=True)
class Unreachable:
    """A requested span (or the part of it) that the tuner cannot tune to."""

    name: str
    link: str
    low_hz: float
    high_hz: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "band": self.name,
            "link": self.link,
            "low_hz": self.low_hz,
            "high_hz": self.high_hz,
            "reason": self.reason,
        }

    def describe(self) -> str:
        """One line for stderr."""
        return f"{self.name} {self.link} {format_hz(self.low_hz)}-{format_hz(self.high_hz)}: {self.reason}"


@dataclass(frozen=True)
class Hop:
    """One tuning of the plan.

    Attributes
    ----------
    index : int
        Position in the plan.
    center_hz : float
        Tuner centre.
    low_hz, high_hz : float
        The part of the spectrum this hop owns (bursts centred there are kept by this hop).
    usable_low_hz, usable_high_hz : float
        The usable window around the centre (roll-off cropped).
    spans : tuple of str
        Names of the requested spans the hop looks at.
    """

    index: int
    center_hz: float
    low_hz: float
    high_hz: float
    usable_low_hz: float
    usable_high_hz: float
    spans: tuple[str, ...] = ()

    def owns(self, freq_hz: float) -> bool:
        """True if a burst centred at ``freq_hz`` belongs to this hop."""
        return self.low_hz <= freq_hz < self.high_hz

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "index": self.index,
            "center_hz": self.center_hz,
            "low_hz": self.low_hz,
            "high_hz": self.high_hz,
            "usable_low_hz": self.usable_low_hz,
            "usable_high_hz": self.usable_high_hz,
            "spans": list(self.spans),
        }


@dataclass(frozen=True)
class HopPlan:
    """A complete hop plan (see module notes).

    Attributes
    ----------
    hops : tuple of Hop
        In tuning order (ascending frequency).
    sample_rate_hz, usable_hz, step_hz, dc_notch_hz : float
        Rate, usable width per hop, centre spacing, detector DC notch half width.
    settle_s : float
        Time lost per retune (settling and discarded backlog), as estimated for the source.
    dwell_s : float
        Samples kept per hop, in seconds.
    hop_quantum_s : float
        A hop takes a whole number of these (one rtl_tcp transfer); 0: no rounding.
    spans : tuple of RequestedSpan
        What was asked for (reachable parts).
    unreachable : tuple of Unreachable
        What the tuner cannot see.
    """

    hops: tuple[Hop, ...]
    sample_rate_hz: float
    usable_hz: float
    step_hz: float
    dc_notch_hz: float
    settle_s: float
    dwell_s: float
    spans: tuple[RequestedSpan, ...]
    unreachable: tuple[Unreachable, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    hop_quantum_s: float = 0.0

    @property
    def dwell_samples(self) -> int:
        """Samples read per dwell (whole 256-sample STFT frames)."""
        return max(256, math.floor(self.dwell_s * self.sample_rate_hz / 256.0 + 1e-9) * 256)

    @property
    def hop_s(self) -> float:
        """Estimated time per hop (settle + dwell, rounded up to whole ``hop_quantum_s``)."""
        t = self.settle_s + self.dwell_s
        q = self.hop_quantum_s
        return _quanta(t, q) * q if q > 0 else t

    def revisit_s(self, sources: int = 1) -> float:
        """Estimated time between two visits of one hop with ``sources`` dongles sharing the plan."""
        per = math.ceil(len(self.hops) / max(1, sources))
        return per * self.hop_s

    def split(self, sources: int) -> list[tuple[Hop, ...]]:
        """Contiguous, nearly equal shares of the hops for ``sources`` dongles."""
        n = max(1, min(sources, len(self.hops)))
        size, extra = divmod(len(self.hops), n)
        out: list[tuple[Hop, ...]] = []
        a = 0
        for k in range(n):
            b = a + size + (1 if k < extra else 0)
            out.append(self.hops[a:b])
            a = b
        return out

    def to_dict(self, sources: int = 1) -> dict[str, Any]:
        """JSON-ready dict (the ``plan`` object of the sweep document)."""
        return {
            "hops": [h.to_dict() for h in self.hops],
            "hop_count": len(self.hops),
            "sample_rate_hz": self.sample_rate_hz,
            "usable_hz": self.usable_hz,
            "step_hz": self.step_hz,
            "overlap_hz": self.usable_hz - self.step_hz,
            "dc_notch_hz": self.dc_notch_hz,
            "dc_placement": "centres on k*200 kHz + 100 kHz: DC between GSM carriers; detector notch "
            f"+-{self.dc_notch_hz / 1e3:.0f} kHz rejoins wider bursts",
            "settle_s": self.settle_s,
            "dwell_s": self.dwell_s,
            "dwell_samples": self.dwell_samples,
            "hop_quantum_s": self.hop_quantum_s,
            "estimated_hop_s": self.hop_s,
            "estimated_revisit_s": self.revisit_s(sources),
            "requested": [s.to_dict() for s in self.spans],
            "unreachable": [u.to_dict() for u in self.unreachable],
            "notes": list(self.notes),
        }


# ----------------------------------------------------------------------------------------------
# requested spans


def parse_range(text: str) -> tuple[float, float]:
    """``700M:960M`` as ``(low_hz, high_hz)``.

    Raises
    ------
    InputError
        If it is not two frequencies with low < high.
    """
    from rfscan.units import parse_hz

    parts = text.split(":")
    if len(parts) != 2:
        raise InputError(f"--range {text!r}: write LOW:HIGH, e.g. 700M:960M")
    try:
        low, high = parse_hz(parts[0]), parse_hz(parts[1])
    except (ValueError, InputError) as err:
        raise InputError(f"--range {text!r}: {err}") from None
    if not low < high:
        raise InputError(f"--range {text!r}: the low edge must be below the high edge")
    return low, high


def resolve_spans(bands: str | None, region: str | None) -> tuple[list[RequestedSpan], str | None]:
    """Turn ``--bands`` into uplink spans of the band plan.

    Parameters
    ----------
    bands : str or None
        ``uplink-eu``, ``uplink-us`` (``uplink-<region>``: every cellular uplink part of the
        region's profile) or a comma list of band names (``B20,GSM900`` - ``GSM900`` is an alias of
        ``E-GSM900``); None means ``uplink-<region>`` (``uplink-eu`` without a region).
    region : str or None
        Region profile (its band subsets are used).

    Returns
    -------
    spans : list of RequestedSpan
        Uplink parts (TDD bands: their shared range).
    region : str or None
        The region in effect (``uplink-us`` implies ``us`` when none was given).

    Raises
    ------
    BandPlanError
        Unknown band or region.
    InputError
        A named band has no uplink part.
    """
    from rfscan.bands import load_band_plan

    plan = load_band_plan()
    spec = (bands or f"uplink-{region or 'eu'}").strip()
    if spec.lower().startswith("uplink-"):
        reg_name = spec[len("uplink-") :].lower()
        reg = plan.region(reg_name)
        region = region or reg_name
        out = []
        for band in plan.bands_of(reg_name):
            if band.kind != "cellular":
                continue
            part = reg.part(band, "uplink")
            if part is None:
                continue
            out.append(RequestedSpan(band.name, "uplink", part[0], part[1]))
        return out, region
    aliases = {"GSM900": "E-GSM900", "GSM1800": "DCS1800", "GSM1900": "PCS1900"}
    out = []
    reg_opt = plan.region(region) if region else None
    for raw in spec.split(","):
        name = raw.strip()
        if not name:
            continue
        band = plan.band(aliases.get(name.upper(), name))
        part = reg_opt.part(band, "uplink") if reg_opt is not None and band.name in reg_opt.bands else None
        part = part or band.part("uplink")
        if part is None:
            raise InputError(f"band {band.name} has no uplink (supplemental downlink or not cellular)")
        out.append(RequestedSpan(band.name, "uplink", part[0], part[1]))
    if not out:
        raise InputError(f"--bands {bands!r}: name at least one band, or uplink-eu / uplink-us")
    return out, region


# ----------------------------------------------------------------------------------------------
# planning


def _merge(spans: Iterable[tuple[float, float, str]]) -> list[tuple[float, float, list[str]]]:
    merged: list[tuple[float, float, list[str]]] = []
    for lo, hi, name in sorted(spans):
        if merged and lo <= merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], hi), [*last[2], name])
        else:
            merged.append((lo, hi, [name]))
    return merged


def _clip(
    span: RequestedSpan, ranges: Sequence[tuple[float, float]], tuner: str
) -> tuple[list[tuple[float, float]], list[Unreachable]]:
    """Reachable pieces of a span and the unreachable rest."""
    reach: list[tuple[float, float]] = []
    for r_lo, r_hi in ranges:
        lo, hi = max(span.low_hz, r_lo), min(span.high_hz, r_hi)
        if hi > lo:
            reach.append((lo, hi))
    missing: list[Unreachable] = []
    cursor = span.low_hz
    for lo, hi in [*reach, (span.high_hz, span.high_hz)]:
        if lo > cursor:
            where = "outside" if not reach else "beyond"
            missing.append(
                Unreachable(
                    span.name,
                    span.link,
                    cursor,
                    lo,
                    f"{where} the {tuner} tuning range "
                    + ", ".join(f"{format_hz(a)}-{format_hz(b)}" for a, b in ranges),
                )
            )
        cursor = max(cursor, hi)
    return reach, missing


def _quanta(t_s: float, quantum_s: float) -> int:
    """Whole quanta a time takes (rounded up; a rounding error under 1e-9 of one is not one more)."""
    return math.ceil(t_s / quantum_s - 1e-9)


def choose_dwell_s(
    hop_count: int,
    settle_s: float,
    *,
    sources: int = 1,
    target_revisit_s: float = TARGET_REVISIT_S,
    min_dwell_s: float = MIN_DWELL_S,
    max_dwell_s: float = MAX_DWELL_S,
) -> float:
    """The longest dwell in ``[min_dwell_s, max_dwell_s]`` keeping the revisit within the target."""
    per = math.ceil(max(hop_count, 1) / max(sources, 1))
    fit = target_revisit_s / per - settle_s
    return float(min(max_dwell_s, max(min_dwell_s, fit)))


def plan_hops(
    spans: Sequence[RequestedSpan],
    sample_rate_hz: float,
    *,
    tuner_ranges_hz: Sequence[tuple[float, float]] = ((24e6, 1766e6),),
    tuner: str = "R820T",
    settle_s: float = 0.010,
    dwell_s: float | None = None,
    sources: int = 1,
    usable_fraction: float = DEFAULT_USABLE_FRACTION,
    min_overlap_hz: float = DEFAULT_MIN_OVERLAP_HZ,
    dc_notch_hz: float | None = None,
    target_revisit_s: float = TARGET_REVISIT_S,
    hop_quantum_s: float = 0.0,
) -> HopPlan:
    """Plan the hops that tile ``spans`` (see module notes).

    Parameters
    ----------
    spans : sequence of RequestedSpan
        What to watch (overlapping spans are merged).
    sample_rate_hz : float
        Dongle rate.
    tuner_ranges_hz : sequence of (float, float)
        Tunable spans of the tuner (centres stay inside; the rest is stated as unreachable).
    tuner : str
        Tuner name for messages.
    settle_s : float
        Time lost per retune (the source's settle time and discarded backlog).
    dwell_s : float or None
        Dwell per hop (None: :func:`choose_dwell_s`).
    sources : int
        Dongles sharing the plan (for the automatic dwell and the revisit estimate).
    usable_fraction : float
        Part of the rate used per hop (0.5-0.95).
    min_overlap_hz : float
        Minimum overlap between neighbouring usable windows.
    dc_notch_hz : float or None
        Detector DC notch half width (None: 5 STFT bins of the default STFT at this rate).
    target_revisit_s : float
        Revisit target for the automatic dwell.
    hop_quantum_s : float
        A hop takes a whole number of these (an rtl_tcp transfer: the next dwell starts at a
        transfer boundary); the automatic dwell then fills what is left of the quantum.  0: none.

    Returns
    -------
    HopPlan

    Raises
    ------
    InputError
        Bad parameters, or nothing requested is reachable.
    """
    fs = float(sample_rate_hz)
    if not (fs > 0 and math.isfinite(fs)):
        raise InputError(f"sample rate must be positive, got {sample_rate_hz!r}")
    if not 0.5 <= usable_fraction <= 0.95:
        raise InputError(f"usable fraction must be 0.5-0.95, got {usable_fraction}")
    if dwell_s is not None and not (0 < dwell_s <= 3600):
        raise InputError(f"dwell must be > 0 s, got {dwell_s}")
    usable = usable_fraction * fs
    step = math.floor((usable - min_overlap_hz) / DC_GRID_HZ) * DC_GRID_HZ
    if step <= 0:
        raise InputError(
            f"{format_hz(fs, 'S/s')} is too slow to tile with {format_hz(DC_GRID_HZ)} hops: use >= 1 MS/s"
        )
    half = usable / 2
    if dc_notch_hz is None:
        nfft = 16
        while fs / nfft > 10e3:
            nfft *= 2
        dc_notch_hz = 5 * fs / nfft
    pieces: list[tuple[float, float, str]] = []
    unreachable: list[Unreachable] = []
    kept: list[RequestedSpan] = []
    for sp in spans:
        reach, missing = _clip(sp, tuner_ranges_hz, tuner)
        unreachable.extend(missing)
        for lo, hi in reach:
            pieces.append((lo, hi, sp.name))
        if reach:
            kept.append(sp)
    if not pieces:
        asked = ", ".join(sorted({s.name for s in spans})) or "nothing"
        raise InputError(f"none of the requested spans ({asked}) is reachable by the {tuner} tuner")

    def grid_floor(f: float) -> float:
        return math.floor((f - DC_OFFSET_HZ) / DC_GRID_HZ) * DC_GRID_HZ + DC_OFFSET_HZ

    def in_range(c: float) -> float:
        for r_lo, r_hi in tuner_ranges_hz:
            if r_lo <= c <= r_hi:
                return c
        # pull the centre back into the nearest tunable span, staying on the grid
        best = min(tuner_ranges_hz, key=lambda r: min(abs(c - r[0]), abs(c - r[1])))
        if c > best[1]:
            return grid_floor(best[1])
        return grid_floor(best[0]) + DC_GRID_HZ

    raw: list[tuple[float, list[str], float, float]] = []  # centre, span names, segment low/high
    for seg_lo, seg_hi, seg_names in _merge(pieces):
        c = grid_floor(seg_lo + half)
        while True:
            cc = in_range(c)
            raw.append((cc, seg_names, seg_lo, seg_hi))
            if cc + half >= seg_hi:
                break
            c = cc + step
    hops: list[Hop] = []
    for i, (c, names, seg_lo, _seg_hi) in enumerate(raw):
        prev = raw[i - 1] if i > 0 and raw[i - 1][2] == seg_lo else None
        nxt = raw[i + 1] if i + 1 < len(raw) and raw[i + 1][2] == seg_lo else None
        lo = (prev[0] + c) / 2 if prev is not None else c - half
        hi = (nxt[0] + c) / 2 if nxt is not None else c + half
        in_view = [n for n in dict.fromkeys(names) if _span_overlaps(spans, n, c - half, c + half)]
        hops.append(Hop(i, c, lo, hi, c - half, c + half, tuple(in_view)))
    # de-duplicate centres (two segments pulled to the same tunable edge)
    seen: set[float] = set()
    unique: list[Hop] = []
    for h in hops:
        if h.center_hz in seen:
            continue
        seen.add(h.center_hz)
        unique.append(
            Hop(len(unique), h.center_hz, h.low_hz, h.high_hz, h.usable_low_hz, h.usable_high_hz, h.spans)
        )
    dwell = (
        dwell_s
        if dwell_s is not None
        else choose_dwell_s(len(unique), settle_s, sources=sources, target_revisit_s=target_revisit_s)
    )
    if dwell_s is None and hop_quantum_s > 0:
        # A hop takes whole quanta anyway (rtl_tcp transfers): the dwell fills what is left of them,
        # with as many quanta as keep the revisit within the target (at least one).
        per = math.ceil(len(unique) / max(sources, 1))
        k = max(1, _quanta(settle_s + dwell, hop_quantum_s))
        while k > 1 and per * k * hop_quantum_s > target_revisit_s:
            k -= 1
        dwell = min(MAX_DWELL_S, max(MIN_DWELL_S, k * hop_quantum_s - settle_s))
    plan = HopPlan(
        hops=tuple(unique),
        sample_rate_hz=fs,
        usable_hz=usable,
        step_hz=step,
        dc_notch_hz=float(dc_notch_hz),
        settle_s=float(settle_s),
        dwell_s=float(dwell),
        spans=tuple(kept),
        unreachable=tuple(unreachable),
        hop_quantum_s=float(hop_quantum_s),
    )
    notes = []
    rev = plan.revisit_s(sources)
    if rev > target_revisit_s + 1e-9:
        notes.append(
            f"estimated revisit {rev:.2f} s exceeds the {target_revisit_s:g} s target "
            f"({len(unique)} hops x {1e3 * plan.hop_s:.0f} ms over {sources} source(s)): "
            "add dongles (--source again) or watch fewer bands"
        )
    return HopPlan(**{**plan.__dict__, "notes": tuple(notes)})


def _span_overlaps(spans: Sequence[RequestedSpan], name: str, lo: float, hi: float) -> bool:
    return any(s.name == name and s.low_hz < hi and s.high_hz > lo for s in spans)
