"""Channel numbers: E-UTRA EARFCN, GSM ARFCN and NR-ARFCN, both directions.

Formulas (frequencies in MHz in the specs, Hz here):

* EARFCN (TS 36.101 section 5.7.3): ``F = F_low + 0.1 (N - N_offs)`` on a 100 kHz raster, separately
  for uplink and downlink; TDD bands use one number for both directions.
* GSM ARFCN (TS 45.005 section 2): ``F_UL(n)`` from per-band linear formulas on a 200 kHz raster,
  ``F_DL(n) = F_UL(n) + duplex spacing``.
* NR-ARFCN (TS 38.101-1 section 5.4.2.1): global raster ``F = 5 kHz * N`` below 3 GHz and
  ``3000 MHz + 15 kHz * (N - 600000)`` from 3 GHz to 24.25 GHz; a band's channel raster
  (100 kHz for the FDD bands here) selects every 20th global point.

Frequency -> number functions round to the nearest raster point of the band and clamp to the
band's channel range, which is what an NB-IoT / LTE-M carrier (not centred on the LTE raster)
or a dongle with a ppm offset needs.
"""

from __future__ import annotations

import math

from rfscan.bands.plan import Band, load_band_plan
from rfscan.errors import BandPlanError, InputError

__all__ = [
    "channel_for",
    "earfcn_dl",
    "earfcn_ul",
    "freq_from_arfcn",
    "freq_from_earfcn",
    "freq_from_nr_arfcn",
    "gsm_arfcn",
    "nr_arfcn",
]

_EARFCN_RASTER_HZ = 100e3
_GSM_RASTER_HZ = 200e3
_NR_GLOBAL_LOW_STEP_HZ = 5e3
_NR_GLOBAL_HIGH_STEP_HZ = 15e3
_NR_HIGH_START_HZ = 3000e6
_NR_HIGH_START_N = 600000
_NR_MAX_HZ = 24250e6
#: slack (Hz) allowed beyond a band edge when mapping a frequency to a channel number
_EDGE_SLACK_HZ = 100e3


def _as_band(band: Band | str) -> Band:
    return load_band_plan().band(band)


def _check_freq(freq_hz: float) -> float:
    if isinstance(freq_hz, bool) or not isinstance(freq_hz, int | float) or not math.isfinite(freq_hz):
        raise InputError(f"frequency must be a finite number of Hz, got {freq_hz!r}")
    if freq_hz <= 0:
        raise InputError(f"frequency must be positive, got {freq_hz} Hz")
    return float(freq_hz)


def _link_range(band: Band, link: str, freq_hz: float) -> tuple[float, float]:
    if link not in ("uplink", "downlink"):
        raise InputError(f"link must be 'uplink' or 'downlink', got {link!r}")
    part = band.part(link)
    if part is None:
        raise InputError(f"band {band.name} has no {link}")
    low, high = part
    if not low - _EDGE_SLACK_HZ <= freq_hz <= high + _EDGE_SLACK_HZ:
        raise InputError(
            f"{freq_hz / 1e6:.4f} MHz is outside {band.name} {link} ({low / 1e6:g}-{high / 1e6:g} MHz)"
        )
    return part


def _earfcn(freq_hz: float, band: Band | str, link: str) -> int:
    b = _as_band(band)
    f = _check_freq(freq_hz)
    if b.tech_family != "lte":
        raise InputError(f"band {b.name} is not an E-UTRA band; EARFCNs exist only for B-bands")
    low, high = _link_range(b, link, f)
    offset = b.earfcn_offset_ul if (link == "uplink" and b.duplex == "FDD") else b.earfcn_offset_dl
    assert offset is not None
    count = round((high - low) / _EARFCN_RASTER_HZ)
    steps = min(max(round((f - low) / _EARFCN_RASTER_HZ), 0), count - 1)
    return offset + steps


def earfcn_ul(freq_hz: float, band: Band | str) -> int:
    """Uplink EARFCN of the 100 kHz raster point nearest ``freq_hz`` in ``band``.

    Parameters
    ----------
    freq_hz : float
        Carrier (or NB-IoT/LTE-M narrowband) centre frequency in Hz.
    band : Band or str
        E-UTRA band, e.g. ``"B20"``.

    Returns
    -------
    int
        ``N_UL = N_Offs-UL + round((F - F_UL_low) / 100 kHz)``, clamped to the band's range.

    Raises
    ------
    InputError
        If the band is not an E-UTRA band, has no uplink, or the frequency is outside it.
    """
    return _earfcn(freq_hz, band, "uplink")


def earfcn_dl(freq_hz: float, band: Band | str) -> int:
    """Downlink EARFCN of the 100 kHz raster point nearest ``freq_hz`` in ``band``.

    See :func:`earfcn_ul`; uses ``F_DL_low`` and ``N_Offs-DL`` (TDD bands: the single EARFCN).
    """
    return _earfcn(freq_hz, band, "downlink")


def _earfcn_matches(n: int) -> list[tuple[Band, str, float]]:
    hits: list[tuple[Band, str, float]] = []
    for b in load_band_plan().bands:
        if b.tech_family != "lte":
            continue
        links = ("downlink",) if b.duplex in ("TDD", "SDL") else ("downlink", "uplink")
        for link in links:
            part = b.part(link)
            offset = b.earfcn_offset_ul if link == "uplink" else b.earfcn_offset_dl
            assert part is not None
            assert offset is not None
            count = round((part[1] - part[0]) / _EARFCN_RASTER_HZ)
            if offset <= n < offset + count:
                hits.append((b, link, part[0] + _EARFCN_RASTER_HZ * (n - offset)))
    return hits


def freq_from_earfcn(n: int, band: Band | str | None = None) -> float:
    """Carrier frequency (Hz) of EARFCN ``n``.

    Parameters
    ----------
    n : int
        Uplink or downlink EARFCN (the number ranges of the two directions are disjoint).
    band : Band or str, optional
        Restrict the look-up to this band (useful once ranges start to be shared, e.g. B106/B107).

    Raises
    ------
    InputError
        If no band of the plan defines ``n``.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InputError(f"EARFCN must be a non-negative integer, got {n!r}")
    hits = _earfcn_matches(n)
    if band is not None:
        wanted = _as_band(band).name
        hits = [h for h in hits if h[0].name == wanted]
    if not hits:
        where = f" in band {_as_band(band).name}" if band is not None else ""
        raise InputError(f"EARFCN {n} is not defined{where} in the band plan")
    return hits[0][2]


def _gsm_band(band: Band | str) -> Band:
    b = _as_band(band)
    if b.tech_family != "gsm":
        raise InputError(f"band {b.name} is not a GSM band; ARFCNs exist only for GSM bands")
    return b


def gsm_arfcn(freq_hz: float, band: Band | str, link: str) -> int:
    """GSM ARFCN of the 200 kHz channel nearest ``freq_hz``.

    Parameters
    ----------
    freq_hz : float
        Carrier frequency in Hz.
    band : Band or str
        GSM band (``"P-GSM900"``, ``"E-GSM900"``, ``"DCS1800"``...): needed because ARFCN
        ranges repeat (DCS 1800 and PCS 1900 both use 512..810).
    link : {"uplink", "downlink"}
        Which half of the band ``freq_hz`` lies in.

    Raises
    ------
    InputError
        If the band is not GSM or the frequency lies outside it.
    """
    b = _gsm_band(band)
    f = _check_freq(freq_hz)
    _link_range(b, link, f)
    assert b.duplex_spacing_hz is not None
    f_ul = f - b.duplex_spacing_hz if link == "downlink" else f
    best: tuple[float, int] | None = None
    for r in b.arfcn_ranges:
        n = r.first + round((f_ul - r.ul_first_hz) / _GSM_RASTER_HZ)
        n = min(max(n, r.first), r.last)
        err = abs(r.ul_freq_hz(n) - f_ul)
        if best is None or err < best[0]:
            best = (err, n)
    assert best is not None
    return best[1]


def freq_from_arfcn(n: int, band: Band | str, link: str) -> float:
    """Carrier frequency (Hz) of GSM ARFCN ``n`` in ``band`` on ``link``.

    Raises
    ------
    InputError
        If ``n`` is not an ARFCN of the band or ``link`` is not uplink/downlink.
    """
    b = _gsm_band(band)
    if link not in ("uplink", "downlink"):
        raise InputError(f"link must be 'uplink' or 'downlink', got {link!r}")
    if isinstance(n, bool) or not isinstance(n, int):
        raise InputError(f"ARFCN must be an integer, got {n!r}")
    assert b.duplex_spacing_hz is not None
    for r in b.arfcn_ranges:
        if r.first <= n <= r.last:
            f_ul = r.ul_freq_hz(n)
            return f_ul + b.duplex_spacing_hz if link == "downlink" else f_ul
    ranges = ", ".join(f"{r.first}..{r.last}" for r in b.arfcn_ranges)
    raise InputError(f"ARFCN {n} is not defined in {b.name} (valid: {ranges})")


def _nr_global(freq_hz: float) -> tuple[float, float, int]:
    """(step_hz, origin_hz, origin_n) of the NR global raster segment holding ``freq_hz``."""
    if freq_hz < _NR_HIGH_START_HZ:
        return (_NR_GLOBAL_LOW_STEP_HZ, 0.0, 0)
    if freq_hz <= _NR_MAX_HZ:
        return (_NR_GLOBAL_HIGH_STEP_HZ, _NR_HIGH_START_HZ, _NR_HIGH_START_N)
    raise InputError(f"{freq_hz / 1e6:.1f} MHz is above NR FR1/FR2 low segment (24.25 GHz)")


def nr_arfcn(freq_hz: float, band: Band | str | None = None, link: str | None = None) -> int:
    """NR-ARFCN of ``freq_hz``: nearest global raster point, or the band's channel raster.

    Parameters
    ----------
    freq_hz : float
        Frequency in Hz.
    band : Band or str, optional
        NR band (``"n28"``); snaps to the band's channel raster starting at its lower edge.
    link : {"uplink", "downlink"}, optional
        Needed with ``band`` for FDD bands (TDD bands: either).
    """
    f = _check_freq(freq_hz)
    if band is None:
        step, origin, n0 = _nr_global(f)
        return n0 + round((f - origin) / step)
    b = _as_band(band)
    if b.tech_family != "nr" or b.nr_raster_hz is None:
        raise InputError(f"band {b.name} is not an NR band")
    low, high = _link_range(b, link or ("downlink" if b.duplex == "TDD" else ""), f)
    step, origin, n0 = _nr_global(low)
    stride = max(1, round(b.nr_raster_hz / step))
    first = n0 + round((low - origin) / step)
    last = n0 + round((high - origin) / step)
    n_raw = n0 + (f - origin) / step
    n = first + stride * round((n_raw - first) / stride)
    return int(min(max(n, first), last))


def freq_from_nr_arfcn(n: int) -> float:
    """Frequency (Hz) of NR-ARFCN ``n`` on the global raster (0 <= n < 2016667)."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < 2016667:
        raise InputError(f"NR-ARFCN must be an integer in 0..2016666, got {n!r}")
    if n < _NR_HIGH_START_N:
        return _NR_GLOBAL_LOW_STEP_HZ * n
    return _NR_HIGH_START_HZ + _NR_GLOBAL_HIGH_STEP_HZ * (n - _NR_HIGH_START_N)


def channel_for(band: Band | str, link: str, freq_hz: float, tech: str | None = None) -> int | None:
    """The band's channel number for ``freq_hz`` on ``link`` (uplink/downlink/tdd), or ``None``.

    GSM bands give an ARFCN, E-UTRA bands an EARFCN (``None`` if ``tech == "umts"``: UARFCNs are not
    implemented), NR bands an NR-ARFCN, non-cellular allocations ``None``.
    """
    b = _as_band(band)
    real_link = "downlink" if link == "tdd" else link
    if real_link not in ("uplink", "downlink"):
        return None
    try:
        if b.tech_family == "gsm":
            return gsm_arfcn(freq_hz, b, real_link)
        if b.tech_family == "lte":
            return None if tech == "umts" else _earfcn(freq_hz, b, real_link)
        if b.tech_family == "nr":
            return nr_arfcn(freq_hz, b, real_link)
    except (InputError, BandPlanError):
        return None
    return None
