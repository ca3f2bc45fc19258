"""Which link, band and channel an emitter sits in; coverage of a sweep span; unreachable bands.

:func:`classify_link` refuses to guess: when the candidate bands disagree on the link (an
uplink in one region is a downlink in another) and no region is given, it returns ``link=None``
with every candidate and a reason, instead of picking one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rfscan.bands.channels import channel_for
from rfscan.bands.plan import Band, BandPlan, LinkPart, Region, load_band_plan
from rfscan.errors import InputError

__all__ = [
    "CELLULAR_TECHS",
    "TECHNOLOGIES",
    "BandCoverage",
    "Candidate",
    "LinkAnswer",
    "bands_in_span",
    "classify_link",
    "region_from_geolocation",
    "tuner_coverage",
    "unreachable_bands",
]

#: Technology guesses the detector may hand over.
TECHNOLOGIES: tuple[str, ...] = ("gsm", "lte", "nbiot", "ltem", "umts", "nr", "cw", "noncellular", "unknown")
#: Those that make an emitter a cellular device (the rest: cw, noncellular, unknown).
CELLULAR_TECHS = frozenset({"gsm", "lte", "nbiot", "ltem", "umts", "nr"})

#: Default frequency tolerance: a generic dongle is off by 30 +/- 20 ppm (rf.md).
DEFAULT_TOLERANCE_PPM = 50.0
#: Default slack on the occupied edges as a fraction of the measured bandwidth (estimates are rough).
DEFAULT_EDGE_FRACTION = 0.05


@dataclass(frozen=True)
class Candidate:
    """One band part that contains the emitter.

    Attributes
    ----------
    band : str
        Band name (``"B20"``, ``"E-GSM900"``, ``"n28"``, ``"ISM-902-928"``).
    link : {"uplink", "downlink", "tdd", "allocation"}
        ``"tdd"``: the frequency alone cannot tell the direction; ``"allocation"``: non-cellular.
    regions : tuple of str
        Region profiles that use this band part at this frequency (empty: none of the profiles).
    channel : int or None
        ARFCN / EARFCN / NR-ARFCN of the nearest raster point in this band and link.
    kind : {"cellular", "ism", "other"}
    low_hz, high_hz : float
        Edges of the band part (the region's subset when a region was given).
    """

    band: str
    link: LinkPart
    regions: tuple[str, ...]
    channel: int | None
    kind: str = "cellular"
    low_hz: float = 0.0
    high_hz: float = 0.0

    def describe(self) -> str:
        """Short text such as ``"B20 uplink (eu)"``."""
        where = ", ".join(self.regions) if self.regions else "no profile"
        return f"{self.band} {self.link} ({where})"


@dataclass(frozen=True)
class LinkAnswer:
    """Answer of :func:`classify_link`.

    ``link`` is ``"uplink"``/``"downlink"`` only when every remaining candidate agrees; ``band`` and
    ``channel`` are those of the most specific candidate (narrowest band part, then the region
    profile's order). ``candidates`` lists every band part considered after the region filter (or
    before it, when the region filter removed all of them). ``kind`` is ``"cellular"``, ``"ism"``,
    ``"other"`` or ``None`` (ambiguous / outside the plan).
    """

    link: Literal["uplink", "downlink"] | None
    band: str | None
    channel: int | None
    candidates: tuple[Candidate, ...]
    reason: str
    region: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class BandCoverage:
    """How much of one band part lies inside a span (a sweep range or a tuner's range).

    ``status`` is ``"full"``, ``"partial"`` or ``"none"``; ``fraction`` is the covered share of the
    part's width in [0, 1]; ``covered_low_hz``/``covered_high_hz`` are ``None`` when nothing is covered.
    """

    band: str
    link: LinkPart
    kind: str
    low_hz: float
    high_hz: float
    covered_low_hz: float | None
    covered_high_hz: float | None
    fraction: float
    status: Literal["full", "partial", "none"]


# ----------------------------------------------------------------------------------------------
# classify_link


def _compatible(band: Band, tech: str) -> bool:
    if tech == "gsm":
        return band.tech_family == "gsm"
    if tech in ("lte", "nbiot", "ltem"):
        return band.tech_family == "lte"
    if tech == "umts":
        return band.tech_family == "lte" and band.utra
    if tech == "nr":
        return band.tech_family == "nr"
    if tech == "noncellular":
        return band.kind != "cellular"
    return True  # cw, unknown: anything


def _fits(
    freq_hz: float, bandwidth_hz: float, low: float, high: float, ppm_hz: float, edge_hz: float
) -> bool:
    if not low - ppm_hz <= freq_hz <= high + ppm_hz:
        return False
    half = bandwidth_hz / 2.0
    tol = ppm_hz + edge_hz
    return freq_hz - half >= low - tol and freq_hz + half <= high + tol


def _regions_using(
    plan: BandPlan, band: Band, link: LinkPart, fits: Callable[[float, float], bool]
) -> tuple[str, ...]:
    names = []
    for reg in plan.regions.values():
        if link in ("allocation", "tdd"):
            part = band.parts()[0][1:] if band.name in reg.bands else None
        else:
            part = reg.part(band, link)
        if part is not None and fits(part[0], part[1]):
            names.append(reg.name)
    return tuple(sorted(names))


def _mhz(freq_hz: float) -> str:
    return f"{freq_hz / 1e6:.3f} MHz"


def _group_text(cands: tuple[Candidate, ...] | list[Candidate]) -> str:
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for c in cands:
        groups.setdefault((c.link, c.regions), []).append(c.band)
    texts = []
    for (link, regs), names in groups.items():
        where = ", ".join(regs) if regs else "no profile"
        link_word = {"allocation": "non-cellular allocation", "tdd": "TDD (either direction)"}.get(link, link)
        texts.append(f"{'/'.join(names)} {link_word} ({where})")
    return " or ".join(texts)


def _straddle_text(parts: list[tuple[str, str]], bandwidth_hz: float) -> str:
    names = ", ".join(f"{name} {link}" for name, link in parts)
    return f"its {bandwidth_hz / 1e3:.0f} kHz straddles the edge of {names}"


def _rank(region: Region | None, cand: Candidate) -> tuple[float, int, str]:
    order = region.bands.index(cand.band) if region is not None and cand.band in region.bands else 10**6
    return (cand.high_hz - cand.low_hz, order, cand.band)


def classify_link(
    freq_hz: float,
    bandwidth_hz: float,
    tech: str,
    region: str | None,
    *,
    tolerance_ppm: float = DEFAULT_TOLERANCE_PPM,
    edge_fraction: float = DEFAULT_EDGE_FRACTION,
) -> LinkAnswer:
    """Say whether an emitter is in an uplink or a downlink, which band, and its channel number.

    Parameters
    ----------
    freq_hz : float
        Emitter centre frequency in Hz (RF, after any ppm correction the caller knows of).
    bandwidth_hz : float
        Occupied bandwidth in Hz (0 if unknown: only the centre is then checked).
    tech : str
        The detector's technology guess, one of :data:`TECHNOLOGIES`. ``gsm`` only matches GSM
        bands, ``lte``/``nbiot``/``ltem`` E-UTRA bands, ``umts`` E-UTRA bands that are also UTRA
        bands, ``nr`` NR bands, ``noncellular`` ISM/other allocations; ``cw``/``unknown`` match all.
    region : str or None
        Region profile (see :func:`rfscan.bands.regions`); ``None`` = unknown.
    tolerance_ppm : float, optional
        Frequency error allowed on the centre and the edges (default 50 ppm, ~45 kHz at 900 MHz).
    edge_fraction : float, optional
        Extra slack on the occupied edges as a fraction of ``bandwidth_hz`` (default 5 %).

    Returns
    -------
    LinkAnswer
        ``link=None`` when the candidates disagree (reason lists them), when the emitter lies in a
        TDD band or a non-cellular allocation, or when it is outside the band plan.

    Raises
    ------
    InputError
        Non-finite/non-positive frequency, negative bandwidth or unknown technology.
    BandPlanError
        Unknown region name.
    """
    for value, what in ((freq_hz, "freq_hz"), (bandwidth_hz, "bandwidth_hz")):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InputError(f"{what} must be a finite number, got {value!r}")
    if freq_hz <= 0 or bandwidth_hz < 0:
        raise InputError(f"need freq_hz > 0 and bandwidth_hz >= 0, got {freq_hz} / {bandwidth_hz}")
    if tech not in TECHNOLOGIES:
        raise InputError(f"unknown technology {tech!r}; use one of {', '.join(TECHNOLOGIES)}")
    plan = load_band_plan()
    reg = plan.region(region) if region is not None else None
    f = float(freq_hz)
    bw = float(bandwidth_hz)
    ppm_hz = abs(tolerance_ppm) * 1e-6 * f
    edge_hz = abs(edge_fraction) * bw

    def fits(low: float, high: float) -> bool:
        return _fits(f, bw, low, high, ppm_hz, edge_hz)

    all_cands: list[Candidate] = []
    straddled: list[tuple[str, str]] = []
    other_tech: list[str] = []
    for band in plan.bands:
        for link, low, high in band.parts():
            if not low - ppm_hz <= f <= high + ppm_hz:
                continue
            if not _compatible(band, tech):
                other_tech.append(f"{band.name} {link}")
                continue
            if not fits(low, high):
                straddled.append((band.name, link))
                continue
            all_cands.append(
                Candidate(
                    band=band.name,
                    link=link,
                    regions=_regions_using(plan, band, link, fits),
                    channel=channel_for(band, link, f, tech),
                    kind=band.kind,
                    low_hz=low,
                    high_hz=high,
                )
            )

    if not all_cands:
        reason = f"{_mhz(f)} is outside the cellular band plan"
        if straddled:
            reason += f" ({_straddle_text(straddled, bw)})"
        elif other_tech:
            reason += f" for technology {tech!r} (bands of other technologies here: {', '.join(other_tech)})"
        return LinkAnswer(None, None, None, (), reason, region)

    if reg is not None:
        in_region: list[Candidate] = []
        for c in all_cands:
            if reg.name not in c.regions:
                continue
            band = plan.band(c.band)
            sub = reg.part(band, c.link) if c.link in ("uplink", "downlink") else (c.low_hz, c.high_hz)
            assert sub is not None
            in_region.append(Candidate(c.band, c.link, c.regions, c.channel, c.kind, sub[0], sub[1]))
        if not in_region:
            reason = f"{_mhz(f)} is in no band the {reg.name} profile uses"
            local = [(name, link) for name, link in straddled if name in reg.bands]
            if local:
                reason += f" ({_straddle_text(local, bw)})"
            reason += f"; elsewhere it would be {_group_text(all_cands)}"
            return LinkAnswer(None, None, None, tuple(all_cands), reason, reg.name)
        chosen = in_region
    else:
        chosen = all_cands

    chosen.sort(key=lambda c: (c.link, *_rank(reg, c)))
    links = {c.link for c in chosen}
    where = reg.name if reg is not None else "region unknown"
    if len(links) > 1:
        if reg is None:
            reason = f"{_mhz(f)} is {_group_text(chosen)}; region unknown, give a region to decide"
        else:
            reason = f"{_mhz(f)} is ambiguous even within {reg.name}: {_group_text(chosen)}"
        return LinkAnswer(None, None, None, tuple(chosen), reason, region)

    best = min(chosen, key=lambda c: _rank(reg, c))
    others = [c.band for c in chosen if c.band != best.band]
    also = f"; also fits {', '.join(others)}" if others else ""
    if reg is not None:
        elsewhere = [c for c in all_cands if reg.name not in c.regions and c.link != best.link]
        if elsewhere:
            also += f"; outside {reg.name} it could be {_group_text(elsewhere)}"
    link = best.link
    if link in ("uplink", "downlink"):
        reason = f"{_mhz(f)} is {best.band} {link} ({where}){also}"
        return LinkAnswer(link, best.band, best.channel, tuple(chosen), reason, region, best.kind)
    if link == "tdd":
        reason = (
            f"{_mhz(f)} is in TDD band {best.band} ({where}): uplink and downlink share the frequency{also}"
        )
        return LinkAnswer(None, best.band, best.channel, tuple(chosen), reason, region, best.kind)
    note = plan.band(best.band).note
    reason = f"{_mhz(f)} is the non-cellular allocation {best.band} ({where}){also}" + (
        f": {note}" if note else ""
    )
    return LinkAnswer(None, best.band, None, tuple(chosen), reason, region, best.kind)


# ----------------------------------------------------------------------------------------------
# coverage


def _cover(
    band: Band, link: LinkPart, low: float, high: float, ranges: tuple[tuple[float, float], ...]
) -> BandCoverage:
    seen = 0.0
    c_low: float | None = None
    c_high: float | None = None
    for r_low, r_high in ranges:
        lo, hi = max(low, r_low), min(high, r_high)
        if hi > lo:
            seen += hi - lo
            c_low = lo if c_low is None else min(c_low, lo)
            c_high = hi if c_high is None else max(c_high, hi)
    fraction = min(1.0, seen / (high - low))
    status: Literal["full", "partial", "none"] = (
        "full" if fraction >= 1.0 - 1e-12 else ("partial" if fraction > 0 else "none")
    )
    return BandCoverage(band.name, link, band.kind, low, high, c_low, c_high, fraction, status)


def _region_parts(plan: BandPlan, region: str | None) -> list[tuple[Band, LinkPart, float, float]]:
    reg = plan.region(region) if region is not None else None
    out: list[tuple[Band, LinkPart, float, float]] = []
    for band in plan.bands_of(region):
        for link, low, high in band.parts():
            if reg is not None and link in ("uplink", "downlink"):
                part = reg.part(band, link)
                assert part is not None
                low, high = part
            out.append((band, link, low, high))
    return out


def bands_in_span(
    low_hz: float, high_hz: float, region: str | None, *, include_uncovered: bool = True
) -> list[BandCoverage]:
    """How much of each band part of the plan (or of a region's profile) lies in ``[low_hz, high_hz]``.

    Parameters
    ----------
    low_hz, high_hz : float
        The watched span (e.g. a sweep's first and last frequency).
    region : str or None
        Region profile (its band subsets are used), or ``None`` for every band of the plan.
    include_uncovered : bool, optional
        Also list band parts with no overlap (``status="none"``); default True.

    Returns
    -------
    list of BandCoverage
        Sorted by the part's lower edge, then band name.

    Raises
    ------
    InputError
        If the span is empty or not finite.
    BandPlanError
        Unknown region.
    """
    if not (math.isfinite(low_hz) and math.isfinite(high_hz)) or not low_hz < high_hz:
        raise InputError(f"span needs finite low_hz < high_hz, got {low_hz} / {high_hz}")
    plan = load_band_plan()
    out = [_cover(b, link, lo, hi, ((low_hz, high_hz),)) for b, link, lo, hi in _region_parts(plan, region)]
    if not include_uncovered:
        out = [c for c in out if c.status != "none"]
    return sorted(out, key=lambda c: (c.low_hz, c.band, c.link))


def tuner_coverage(region: str | None, tuner: str = "R820T") -> list[BandCoverage]:
    """Coverage of every band part of ``region`` by a tuner's tuning range(s).

    Raises
    ------
    BandPlanError
        Unknown region or tuner.
    """
    plan = load_band_plan()
    ranges = plan.tuner_ranges(tuner)
    out = [_cover(b, link, lo, hi, ranges) for b, link, lo, hi in _region_parts(plan, region)]
    return sorted(out, key=lambda c: (c.low_hz, c.band, c.link))


def unreachable_bands(region: str | None, tuner: str = "R820T") -> list[Band]:
    """The region's bands the tuner cannot fully see (some link part lies partly or wholly outside).

    A survey must state these: an emitter there would be missed. Use :func:`tuner_coverage` for the
    per-link fractions (e.g. B3: uplink 1710-1785 MHz seen up to 1766 MHz, downlink not at all).

    Parameters
    ----------
    region : str or None
        Region profile, or ``None`` for all bands of the plan.
    tuner : str, optional
        ``"R820T"`` (default, 24-1766 MHz), ``"R820T2"``, ``"R828D"``, ``"R860"`` or ``"E4000"``
        (52-2200 MHz with the 1100-1250 MHz gap).

    Raises
    ------
    BandPlanError
        Unknown region or tuner.
    """
    plan = load_band_plan()
    names = {c.band for c in tuner_coverage(region, tuner) if c.status != "full"}
    return [b for b in plan.bands_of(region) if b.name in names]


# ----------------------------------------------------------------------------------------------
# region from a SigMF geolocation


def region_from_geolocation(geojson: Mapping[str, Any] | None) -> str | None:
    """Guess the region profile from a SigMF ``core:geolocation`` GeoJSON Point.

    The mapping is COARSE: a few latitude/longitude rectangles per profile (``regions.toml``
    ``geo_boxes``): Europe/CEPT (with Iceland, Azores, Canaries, Turkey; it also clips North Africa
    and the Levant), North America (US/Canada/Mexico, ITU Region 2, plus parts of Central America
    and the Caribbean) and Australia. Everything else, including all of Asia (too diverse for one
    profile), returns ``None``, which keeps :func:`classify_link` from guessing. Near borders and at
    sea the answer may be wrong: let the user override it.

    Parameters
    ----------
    geojson : Mapping or None
        ``{"type": "Point", "coordinates": [lon, lat(, alt)]}``; a whole SigMF ``global`` object
        holding ``core:geolocation`` is accepted too.

    Returns
    -------
    str or None
        Region name or ``None`` (no geolocation, or no box matches).

    Raises
    ------
    InputError
        If the object is not a GeoJSON Point with valid coordinates.
    """
    if geojson is None:
        return None
    if not isinstance(geojson, Mapping):
        raise InputError("core:geolocation must be a GeoJSON object")
    if "core:geolocation" in geojson:
        inner = geojson["core:geolocation"]
        return region_from_geolocation(inner) if inner is not None else None
    if geojson.get("type") != "Point":
        raise InputError(f"core:geolocation must be a GeoJSON Point, got type {geojson.get('type')!r}")
    coords = geojson.get("coordinates")
    if (
        not isinstance(coords, list | tuple)
        or len(coords) < 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in coords[:2])
    ):
        raise InputError(f"core:geolocation coordinates must be [lon, lat, ...], got {coords!r}")
    lon, lat = float(coords[0]), float(coords[1])
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError(f"core:geolocation has invalid lon/lat {lon}, {lat}")
    for reg in load_band_plan().regions.values():
        if any(box.contains(lat, lon) for box in reg.geo_boxes):
            return reg.name
    return None
