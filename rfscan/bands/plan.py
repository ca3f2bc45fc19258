"""The band plan as data: loading, validation and look-up of bands, region profiles and tuners.

The numbers live in TOML files under ``rfscan/bands/data`` (one entry per band, each with its
``source``); this module turns them into frozen dataclasses and checks them on load, so a typo in
the data (swapped edges, an EARFCN range that does not match the band width, an ARFCN that falls
outside its band) fails loudly with :class:`~rfscan.errors.BandPlanError` instead of producing a
wrong answer later.
"""

from __future__ import annotations

import functools
import itertools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from rfscan.errors import BandPlanError

__all__ = [
    "R820T_RANGE_HZ",
    "ArfcnRange",
    "Band",
    "BandPlan",
    "GeoBox",
    "LinkPart",
    "Region",
    "Subset",
    "load_band_plan",
    "regions",
]

#: Link of a band part: FDD/SDL uplink or downlink, a TDD range (both directions), or a
#: non-cellular allocation (no up/down direction).
LinkPart = Literal["uplink", "downlink", "tdd", "allocation"]

#: Nominal R820T/R820T2 tuning range (Hz), used for :attr:`Band.tunable_by_r820t`.
R820T_RANGE_HZ: tuple[float, float] = (24.0e6, 1766.0e6)

_EARFCN_RASTER_HZ = 100e3
_GSM_RASTER_HZ = 200e3
_KINDS = ("cellular", "ism", "other")
_FAMILIES = ("gsm", "lte", "nr", "ism", "other")


@dataclass(frozen=True)
class ArfcnRange:
    """A run of GSM ARFCNs: ``F_UL(n) = ul_first_hz + 200 kHz * (n - first)`` for first <= n <= last."""

    first: int
    last: int
    ul_first_hz: float

    def ul_freq_hz(self, n: int) -> float:
        """Uplink carrier of ARFCN ``n`` (which must lie in this range)."""
        return self.ul_first_hz + _GSM_RASTER_HZ * (n - self.first)


@dataclass(frozen=True)
class Band:
    """One band of the plan: a 3GPP operating band or a non-cellular allocation.

    Cellular bands carry uplink/downlink edges (both equal to the shared range for TDD, uplink
    ``None`` for supplemental-downlink bands); non-cellular allocations carry ``alloc_low_hz`` /
    ``alloc_high_hz`` instead. All frequencies are in Hz.
    """

    name: str
    kind: str
    tech_family: str
    duplex: str
    ul_low_hz: float | None
    ul_high_hz: float | None
    dl_low_hz: float | None
    dl_high_hz: float | None
    source: str
    tunable_by_r820t: bool
    r820t_coverage: str
    alloc_low_hz: float | None = None
    alloc_high_hz: float | None = None
    duplex_spacing_hz: float | None = None
    reverse_duplex: bool = False
    asymmetric: bool = False
    utra: bool = False
    earfcn_offset_dl: int | None = None
    earfcn_offset_ul: int | None = None
    nr_raster_hz: float | None = None
    arfcn_ranges: tuple[ArfcnRange, ...] = ()
    note: str = ""
    verified: str = ""

    def parts(self) -> tuple[tuple[LinkPart, float, float], ...]:
        """The band's frequency ranges as ``(link, low_hz, high_hz)`` tuples."""
        if self.kind != "cellular":
            assert self.alloc_low_hz is not None
            assert self.alloc_high_hz is not None
            return (("allocation", self.alloc_low_hz, self.alloc_high_hz),)
        if self.duplex == "TDD":
            assert self.dl_low_hz is not None
            assert self.dl_high_hz is not None
            return (("tdd", self.dl_low_hz, self.dl_high_hz),)
        out: list[tuple[LinkPart, float, float]] = []
        if self.ul_low_hz is not None and self.ul_high_hz is not None:
            out.append(("uplink", self.ul_low_hz, self.ul_high_hz))
        if self.dl_low_hz is not None and self.dl_high_hz is not None:
            out.append(("downlink", self.dl_low_hz, self.dl_high_hz))
        return tuple(out)

    def part(self, link: str) -> tuple[float, float] | None:
        """``(low_hz, high_hz)`` of the given link, or ``None`` if the band has no such part.

        For a TDD band both ``"uplink"`` and ``"downlink"`` return the shared range.
        """
        for name, low, high in self.parts():
            if name == link or (name == "tdd" and link in ("uplink", "downlink")):
                return (low, high)
        return None


@dataclass(frozen=True)
class Subset:
    """The part of a band a region actually uses (``None`` = the whole link)."""

    ul_hz: tuple[float, float] | None
    dl_hz: tuple[float, float] | None
    source: str


@dataclass(frozen=True)
class GeoBox:
    """A coarse latitude/longitude rectangle (degrees) mapped to a region."""

    lat: tuple[float, float]
    lon: tuple[float, float]
    note: str = ""

    def contains(self, lat: float, lon: float) -> bool:
        """True if the point lies inside the rectangle (edges included)."""
        return self.lat[0] <= lat <= self.lat[1] and self.lon[0] <= lon <= self.lon[1]


@dataclass(frozen=True)
class Region:
    """A region profile: the bands in use there, optional band subsets and coarse geo boxes."""

    name: str
    description: str
    source: str
    bands: tuple[str, ...]
    subsets: Mapping[str, Subset] = field(default_factory=dict, hash=False)
    geo_boxes: tuple[GeoBox, ...] = ()

    def part(self, band: Band, link: str) -> tuple[float, float] | None:
        """The range of ``band``'s ``link`` used in this region, or ``None`` if the region does not use it."""
        if band.name not in self.bands:
            return None
        full = band.part(link)
        if full is None:
            return None
        sub = self.subsets.get(band.name)
        if sub is None:
            return full
        if link == "uplink" and sub.ul_hz is not None:
            return sub.ul_hz
        if link == "downlink" and sub.dl_hz is not None:
            return sub.dl_hz
        return full


@dataclass(frozen=True)
class BandPlan:
    """All bands, region profiles and tuner ranges, validated. Obtain it with :func:`load_band_plan`."""

    bands: tuple[Band, ...]
    regions: Mapping[str, Region] = field(hash=False)
    tuners: Mapping[str, tuple[tuple[float, float], ...]] = field(hash=False)
    _by_name: Mapping[str, Band] = field(repr=False, default_factory=dict, hash=False)

    def band(self, name: str | Band) -> Band:
        """Look a band up by name (``"B20"``, ``"E-GSM900"``, ``"n28"``, ``"ISM-902-928"``)."""
        if isinstance(name, Band):
            return name
        try:
            return self._by_name[name]
        except KeyError:
            raise BandPlanError(f"unknown band {name!r}; the plan has {', '.join(self._by_name)}") from None

    def region(self, name: str) -> Region:
        """Look a region profile up by name; unknown names raise :class:`BandPlanError`."""
        try:
            return self.regions[name]
        except KeyError:
            raise BandPlanError(
                f"unknown region {name!r}; choose one of {', '.join(sorted(self.regions))}"
            ) from None

    def tuner_ranges(self, tuner: str) -> tuple[tuple[float, float], ...]:
        """Tuning ranges (Hz) of a tuner chip; unknown names raise :class:`BandPlanError`."""
        try:
            return self.tuners[tuner.upper()]
        except KeyError:
            raise BandPlanError(
                f"unknown tuner {tuner!r}; choose one of {', '.join(sorted(self.tuners))}"
            ) from None

    def bands_of(self, region: str | None) -> tuple[Band, ...]:
        """The bands a region uses (all bands for ``None``), in plan order."""
        if region is None:
            return self.bands
        reg = self.region(region)
        return tuple(b for b in self.bands if b.name in reg.bands)


# ----------------------------------------------------------------------------------------------
# loading and validation


def _read_toml(name: str) -> dict[str, Any]:
    try:
        text = resources.files("rfscan.bands").joinpath("data", name).read_text(encoding="utf-8")
        return tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise BandPlanError(f"cannot read band plan file {name}: {err}") from err


def _num(entry: Mapping[str, Any], key: str, where: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BandPlanError(f"{where}: {key} must be a finite number, got {value!r}")
    return float(value)


def _req_num(entry: Mapping[str, Any], key: str, where: str) -> float:
    value = _num(entry, key, where)
    if value is None:
        raise BandPlanError(f"{where}: missing {key}")
    return value


def _opt_int(entry: Mapping[str, Any], key: str, where: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BandPlanError(f"{where}: {key} must be an integer, got {value!r}")
    return value


def _str(entry: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise BandPlanError(f"{where}: {key} must be a non-empty string")
    return value


def _coverage(
    parts: tuple[tuple[LinkPart, float, float], ...], ranges: tuple[tuple[float, float], ...]
) -> float:
    total = sum(high - low for _, low, high in parts)
    seen = 0.0
    for _, low, high in parts:
        for r_low, r_high in ranges:
            seen += max(0.0, min(high, r_high) - max(low, r_low))
    return seen / total if total > 0 else 0.0


def _coverage_word(fraction: float) -> str:
    if fraction >= 1.0 - 1e-12:
        return "full"
    return "partial" if fraction > 0.0 else "none"


def _band_from_entry(entry: Mapping[str, Any], default_kind: str) -> Band:
    name = _str(entry, "name", "band entry")
    where = f"band {name}"
    kind = _str(entry, "kind", where, default_kind)
    family = _str(entry, "tech_family", where)
    source = _str(entry, "source", where)
    if kind not in _KINDS:
        raise BandPlanError(f"{where}: kind must be one of {_KINDS}, got {kind!r}")
    if family not in _FAMILIES:
        raise BandPlanError(f"{where}: tech_family must be one of {_FAMILIES}, got {family!r}")

    ul_low = ul_high = dl_low = dl_high = alloc_low = alloc_high = None
    if kind == "cellular":
        duplex = _str(entry, "duplex", where)
        if duplex == "FDD":
            ul_low, ul_high = _req_num(entry, "ul_low_hz", where), _req_num(entry, "ul_high_hz", where)
            dl_low, dl_high = _req_num(entry, "dl_low_hz", where), _req_num(entry, "dl_high_hz", where)
        elif duplex == "SDL":
            dl_low, dl_high = _req_num(entry, "dl_low_hz", where), _req_num(entry, "dl_high_hz", where)
        elif duplex == "TDD":
            dl_low, dl_high = _req_num(entry, "tdd_low_hz", where), _req_num(entry, "tdd_high_hz", where)
            ul_low, ul_high = dl_low, dl_high
        else:
            raise BandPlanError(f"{where}: duplex must be FDD, TDD or SDL, got {duplex!r}")
    else:
        duplex = "NONE"
        alloc_low, alloc_high = _req_num(entry, "low_hz", where), _req_num(entry, "high_hz", where)

    for low, high in ((ul_low, ul_high), (dl_low, dl_high), (alloc_low, alloc_high)):
        if low is not None and high is not None and not 0 < low < high:
            raise BandPlanError(f"{where}: band edges must satisfy 0 < low < high, got {low} / {high}")

    spacing = _num(entry, "duplex_spacing_hz", where)
    reverse = bool(entry.get("reverse_duplex", False))
    asymmetric = bool(entry.get("asymmetric", False))
    if duplex == "FDD":
        assert ul_low is not None
        assert ul_high is not None
        assert dl_low is not None
        assert dl_high is not None
        if spacing is None:
            raise BandPlanError(f"{where}: FDD band needs duplex_spacing_hz")
        if abs((dl_low - ul_low) - spacing) > 1.0:
            raise BandPlanError(f"{where}: DL low - UL low = {dl_low - ul_low} Hz, data says {spacing}")
        if not asymmetric and abs((dl_high - ul_high) - spacing) > 1.0:
            raise BandPlanError(f"{where}: UL and DL widths differ but the band is not marked asymmetric")
        if reverse != (spacing < 0):
            raise BandPlanError(f"{where}: reverse_duplex={reverse} contradicts the duplex spacing {spacing}")

    raster = _num(entry, "nr_raster_hz", where)
    off_dl = _opt_int(entry, "earfcn_offset_dl", where)
    off_ul = _opt_int(entry, "earfcn_offset_ul", where)
    if family == "lte":
        if off_dl is None:
            raise BandPlanError(f"{where}: E-UTRA band needs earfcn_offset_dl")
        if duplex == "FDD" and off_ul is None:
            raise BandPlanError(f"{where}: FDD E-UTRA band needs earfcn_offset_ul")
        for low, high in ((ul_low, ul_high), (dl_low, dl_high)):
            if low is not None and high is not None:
                count = (high - low) / _EARFCN_RASTER_HZ
                if abs(count - round(count)) > 1e-6:
                    raise BandPlanError(f"{where}: width is not a whole number of 100 kHz channels")
    if family == "nr" and raster is None:
        raise BandPlanError(f"{where}: NR band needs nr_raster_hz")

    ranges: list[ArfcnRange] = []
    for r in entry.get("arfcn_range", []):
        first, last = _opt_int(r, "first", where), _opt_int(r, "last", where)
        ul_first = _num(r, "ul_first_hz", where)
        if first is None or last is None or ul_first is None or last < first:
            raise BandPlanError(f"{where}: arfcn_range needs first <= last and ul_first_hz")
        ranges.append(ArfcnRange(first, last, ul_first))
    if family == "gsm":
        if not ranges or spacing is None:
            raise BandPlanError(f"{where}: GSM band needs arfcn_range entries and duplex_spacing_hz")
        assert ul_low is not None
        assert ul_high is not None
        assert dl_low is not None
        assert dl_high is not None
        for r in ranges:
            for n in (r.first, r.last):
                f_ul = r.ul_freq_hz(n)
                # the 200 kHz channel must sit inside both band parts
                if not (ul_low + 100e3 - 1 <= f_ul <= ul_high - 100e3 + 1):
                    raise BandPlanError(f"{where}: ARFCN {n} uplink {f_ul} Hz falls outside the band")
                if not (dl_low + 100e3 - 1 <= f_ul + spacing <= dl_high - 100e3 + 1):
                    raise BandPlanError(f"{where}: ARFCN {n} downlink falls outside the band")

    provisional = Band(
        name,
        kind,
        family,
        duplex,
        ul_low,
        ul_high,
        dl_low,
        dl_high,
        source,
        False,
        "none",
        alloc_low,
        alloc_high,
    )
    fraction = _coverage(provisional.parts(), (R820T_RANGE_HZ,))
    if bool(entry.get("outside_r820t", False)) != (fraction == 0.0):
        raise BandPlanError(
            f"{where}: outside_r820t flag disagrees with its edges (R820T sees {fraction:.0%} of it)"
        )
    return Band(
        name=name,
        kind=kind,
        tech_family=family,
        duplex=duplex,
        ul_low_hz=ul_low,
        ul_high_hz=ul_high,
        dl_low_hz=dl_low,
        dl_high_hz=dl_high,
        source=source,
        tunable_by_r820t=fraction > 0.0,
        r820t_coverage=_coverage_word(fraction),
        alloc_low_hz=alloc_low,
        alloc_high_hz=alloc_high,
        duplex_spacing_hz=spacing,
        reverse_duplex=reverse,
        asymmetric=asymmetric,
        utra=bool(entry.get("utra", False)),
        earfcn_offset_dl=off_dl,
        earfcn_offset_ul=off_ul,
        nr_raster_hz=raster,
        arfcn_ranges=tuple(ranges),
        note=str(entry.get("note", "")),
        verified=str(entry.get("verified", "")),
    )


def _earfcn_span(band: Band, link: str) -> tuple[int, int] | None:
    part = band.part(link)
    offset = band.earfcn_offset_ul if link == "uplink" and band.duplex == "FDD" else band.earfcn_offset_dl
    if part is None or offset is None:
        return None
    count = round((part[1] - part[0]) / _EARFCN_RASTER_HZ)
    return (offset, offset + count - 1)


def _check_earfcn_overlaps(bands: tuple[Band, ...]) -> None:
    spans: list[tuple[int, int, str]] = []
    for b in bands:
        if b.tech_family != "lte":
            continue
        links = ("downlink",) if b.duplex in ("TDD", "SDL") else ("downlink", "uplink")
        for link in links:
            span = _earfcn_span(b, link)
            if span is not None:
                spans.append((span[0], span[1], f"{b.name} {link}"))
    spans.sort()
    for (_, hi_a, name_a), (lo_b, _, name_b) in itertools.pairwise(spans):
        if lo_b <= hi_a:
            raise BandPlanError(f"EARFCN ranges of {name_a} and {name_b} overlap")


def _pair(value: Any, where: str) -> tuple[float, float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not value[0] < value[1]
    ):
        raise BandPlanError(f"{where}: expected [low, high] with low < high, got {value!r}")
    return (float(value[0]), float(value[1]))


def _load_regions(data: Mapping[str, Any], by_name: Mapping[str, Band]) -> dict[str, Region]:
    out: dict[str, Region] = {}
    for name, entry in data.get("regions", {}).items():
        where = f"region {name}"
        names = entry.get("bands", [])
        if not isinstance(names, list) or not names:
            raise BandPlanError(f"{where}: bands must be a non-empty list")
        for band_name in names:
            if band_name not in by_name:
                raise BandPlanError(f"{where}: unknown band {band_name!r}")
        subsets: dict[str, Subset] = {}
        for sub in entry.get("subset", []):
            band = by_name.get(sub.get("band", ""))
            if band is None or band.name not in names:
                raise BandPlanError(
                    f"{where}: subset for a band the region does not list: {sub.get('band')!r}"
                )
            ul = _pair(sub["ul_hz"], where) if "ul_hz" in sub else None
            dl = _pair(sub["dl_hz"], where) if "dl_hz" in sub else None
            for link, rng in (("uplink", ul), ("downlink", dl)):
                full = band.part(link)
                if rng is not None and (full is None or rng[0] < full[0] or rng[1] > full[1]):
                    raise BandPlanError(f"{where}: subset of {band.name} {link} lies outside the band")
            subsets[band.name] = Subset(ul, dl, _str(sub, "source", where))
        boxes = tuple(
            GeoBox(_pair(box["lat"], where), _pair(box["lon"], where), str(box.get("note", "")))
            for box in entry.get("geo_boxes", [])
        )
        out[name] = Region(
            name=name,
            description=_str(entry, "description", where),
            source=_str(entry, "source", where),
            bands=tuple(names),
            subsets=subsets,
            geo_boxes=boxes,
        )
    if not out:
        raise BandPlanError("regions.toml defines no region")
    return out


@functools.cache
def load_band_plan() -> BandPlan:
    """Load and validate the packaged band plan (cached: the files are read once per process).

    Returns
    -------
    BandPlan
        Bands from ``gsm.toml``, ``eutra.toml``, ``nr.toml`` and ``noncellular.toml``; region
        profiles from ``regions.toml``; tuner ranges from ``rfscan/sources/tuners.toml``.

    Raises
    ------
    BandPlanError
        If a file is missing or any entry is inconsistent.
    """
    bands: list[Band] = []
    for fname, kind in (
        ("gsm.toml", "cellular"),
        ("eutra.toml", "cellular"),
        ("nr.toml", "cellular"),
        ("noncellular.toml", "other"),
    ):
        for entry in _read_toml(fname).get("band", []):
            bands.append(_band_from_entry(entry, kind))
    by_name: dict[str, Band] = {}
    for b in bands:
        if b.name in by_name:
            raise BandPlanError(f"band {b.name} is defined twice")
        by_name[b.name] = b
    band_tuple = tuple(bands)
    _check_earfcn_overlaps(band_tuple)
    region_map = _load_regions(_read_toml("regions.toml"), by_name)
    return BandPlan(bands=band_tuple, regions=region_map, tuners=_tuner_ranges(), _by_name=by_name)


#: Tuner chips librtlsdr reports under another chip's code (same tuning range).
_TUNER_ALIASES = {"R820T2": "R820T", "R860": "R820T"}


def _tuner_ranges() -> dict[str, tuple[tuple[float, float], ...]]:
    """Tuning ranges (Hz) per tuner chip, from the one tuner table (``rfscan/sources/tuners.toml``)."""
    text = (resources.files("rfscan.sources") / "tuners.toml").read_text(encoding="utf-8")
    tuners: dict[str, tuple[tuple[float, float], ...]] = {}
    for entry in tomllib.loads(text).get("tuner", []):
        name = str(entry["name"]).upper()
        if name == "UNKNOWN":
            continue
        tuners[name] = tuple(
            _pair([lo * 1e6, hi * 1e6], f"tuner {name}") for lo, hi in entry.get("ranges_mhz", [])
        )
        if not tuners[name]:
            raise BandPlanError(f"tuner {name}: no ranges_mhz")
    for alias, chip in _TUNER_ALIASES.items():
        tuners[alias] = tuners[chip]
    return tuners


def regions() -> list[str]:
    """Names of the region profiles, sorted (e.g. ``["apac", "au", "eu", "us"]``)."""
    return sorted(load_band_plan().regions)
