"""Tests of rfscan.bands: band plan data, channel numbers, link classification, coverage, regions.

Expected values come from the specifications' formulas and tables (TS 36.101 Table 5.5-1/5.7.3-1,
TS 45.005 section 2, TS 38.101-1 section 5.4.2.1) and from /work/shared/reference/rf.md, computed in
the test from those formulas, never copied from a run.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfscan.bands import (
    R820T_RANGE_HZ,
    Band,
    LinkAnswer,
    bands_in_span,
    classify_link,
    earfcn_dl,
    earfcn_ul,
    freq_from_arfcn,
    freq_from_earfcn,
    freq_from_nr_arfcn,
    gsm_arfcn,
    load_band_plan,
    nr_arfcn,
    region_from_geolocation,
    regions,
    tuner_coverage,
    unreachable_bands,
)
from rfscan.errors import BandPlanError, InputError

MHZ = 1e6
PLAN = load_band_plan()


def _earfcn(f_mhz: float, f_low_mhz: float, n_offs: int) -> int:
    """TS 36.101 5.7.3 solved for N: N = N_offs + (F - F_low) / 0.1 MHz."""
    return n_offs + round((f_mhz - f_low_mhz) / 0.1)


# ---------------------------------------------------------------------------- data


def test_plan_loads_once_and_lists_regions() -> None:
    assert load_band_plan() is PLAN  # cached
    assert regions() == ["apac", "au", "eu", "us"]
    names = {b.name for b in PLAN.bands}
    required = {
        *(f"B{n}" for n in (3, 4, 5, 8, 12, 13, 14, 17, 18, 19, 20, 26, 27, 28, 31, 66, 71, 72, 73, 85, 87)),
        *(f"B{n}" for n in (88, 103, 106, 1, 2, 7, 25, 38, 40, 41)),
        "GSM450", "GSM480", "GSM850", "P-GSM900", "E-GSM900", "R-GSM900", "DCS1800", "PCS1900",
        "n5", "n8", "n12", "n14", "n20", "n28", "n71", "n3",
        "SRD-863-870", "ISM-902-928", "RFID-865-868", "ISM-433", "ADS-B-1090", "GPS-L1", "DECT-1880-1900",
    }  # fmt: skip
    assert required <= names


@pytest.mark.parametrize("band", PLAN.bands, ids=lambda b: b.name)
def test_every_band_is_consistent(band: Band) -> None:
    assert band.source.strip()
    assert band.kind in ("cellular", "ism", "other")
    for _, low, high in band.parts():
        assert 0 < low < high
    if band.duplex == "FDD":
        ul = band.part("uplink")
        dl = band.part("downlink")
        assert ul is not None
        assert dl is not None
        (ul_low, ul_high), (dl_low, dl_high) = ul, dl
        assert band.duplex_spacing_hz == dl_low - ul_low
        if not band.asymmetric:
            assert dl_high - ul_high == band.duplex_spacing_hz
        # UL and DL do not overlap and are not swapped relative to the declared duplex direction
        if band.reverse_duplex:
            assert dl_high <= ul_low
        else:
            assert ul_high <= dl_low
    if band.duplex == "SDL":
        assert band.ul_low_hz is None
        assert band.dl_low_hz is not None
    # tunable flag agrees with the edges
    inside = any(low < R820T_RANGE_HZ[1] and high > R820T_RANGE_HZ[0] for _, low, high in band.parts())
    assert band.tunable_by_r820t == inside


# Edges from rf.md's table (TS 36.101 Table 5.5-1 / TS 45.005), MHz.
RF_MD_EDGES = {
    "B5": ((824, 849), (869, 894)),
    "B8": ((880, 915), (925, 960)),
    "P-GSM900": ((890, 915), (935, 960)),
    "E-GSM900": ((880, 915), (925, 960)),
    "DCS1800": ((1710, 1785), (1805, 1880)),
    "B3": ((1710, 1785), (1805, 1880)),
    "B4": ((1710, 1755), (2110, 2155)),
    "B66": ((1710, 1780), (2110, 2200)),
    "B12": ((699, 716), (729, 746)),
    "B13": ((777, 787), (746, 756)),
    "B14": ((788, 798), (758, 768)),
    "B17": ((704, 716), (734, 746)),
    "B20": ((832, 862), (791, 821)),
    "B26": ((814, 849), (859, 894)),
    "B28": ((703, 748), (758, 803)),
    "B71": ((663, 698), (617, 652)),
    "B106": ((896, 901), (935, 940)),
    "B31": ((452.5, 457.5), (462.5, 467.5)),
    "B72": ((451, 456), (461, 466)),
    "B87": ((410, 415), (420, 425)),
    "B88": ((412, 417), (422, 427)),
}


@pytest.mark.parametrize("name", sorted(RF_MD_EDGES))
def test_edges_match_reference(name: str) -> None:
    (ul_lo, ul_hi), (dl_lo, dl_hi) = RF_MD_EDGES[name]
    band = PLAN.band(name)
    assert band.part("uplink") == (ul_lo * MHZ, ul_hi * MHZ)
    assert band.part("downlink") == (dl_lo * MHZ, dl_hi * MHZ)


@pytest.mark.parametrize("band", [b for b in PLAN.bands if b.tech_family == "lte"], ids=lambda b: b.name)
def test_earfcn_range_matches_band_width(band: Band) -> None:
    # first channel = N_offs at the lower edge, last = N_offs + width/100 kHz - 1, and back again
    links = ["downlink"] if band.duplex in ("TDD", "SDL") else ["downlink", "uplink"]
    for link in links:
        part = band.part(link)
        offset = band.earfcn_offset_ul if link == "uplink" else band.earfcn_offset_dl
        assert part is not None
        assert offset is not None
        low, high = part
        count = round((high - low) / 100e3)
        func = earfcn_ul if link == "uplink" else earfcn_dl
        assert func(low, band) == offset
        assert func(high - 100e3, band) == offset + count - 1
        assert freq_from_earfcn(offset, band) == pytest.approx(low)
        assert freq_from_earfcn(offset + count - 1, band) == pytest.approx(high - 100e3)


def test_gsm_arfcns_fall_inside_their_bands() -> None:
    for band in (b for b in PLAN.bands if b.tech_family == "gsm"):
        for r in band.arfcn_ranges:
            for n in range(r.first, r.last + 1):
                ul = freq_from_arfcn(n, band, "uplink")
                dl = freq_from_arfcn(n, band, "downlink")
                assert band.ul_low_hz is not None
                assert band.ul_high_hz is not None
                assert band.ul_low_hz + 100e3 <= ul + 1
                assert ul - 1 <= band.ul_high_hz - 100e3
                assert dl - ul == pytest.approx(band.duplex_spacing_hz)
                assert gsm_arfcn(ul, band, "uplink") == n
                assert gsm_arfcn(dl, band, "downlink") == n


def test_region_profiles_reference_known_bands_and_subsets() -> None:
    eu = PLAN.region("eu")
    assert eu.part(PLAN.band("B28"), "uplink") == (703 * MHZ, 733 * MHZ)
    assert eu.part(PLAN.band("B28"), "downlink") == (758 * MHZ, 788 * MHZ)
    assert eu.part(PLAN.band("B12"), "downlink") is None
    us = PLAN.region("us")
    for name in ("GSM850", "B5", "B12", "B17", "B13", "B14", "B26", "B71", "B66", "B4", "PCS1900", "B2"):
        assert name in us.bands
    assert "ISM-902-928" in us.bands
    assert "SRD-863-870" in eu.bands
    with pytest.raises(BandPlanError):
        PLAN.region("atlantis")
    with pytest.raises(BandPlanError):
        PLAN.band("B999")


# ---------------------------------------------------------------------------- channel numbers


def test_known_earfcn_pairs() -> None:
    # B20: F_DL_low 791, N_Offs-DL 6150; F_UL_low 832, N_Offs-UL 24150 (TS 36.101 Table 5.7.3-1)
    assert freq_from_earfcn(6300) == pytest.approx(791 * MHZ + 0.1 * MHZ * (6300 - 6150))
    assert freq_from_earfcn(6300) == pytest.approx(806.0 * MHZ)
    assert earfcn_dl(806.0 * MHZ, "B20") == 6300
    assert freq_from_earfcn(24300) == pytest.approx(847.0 * MHZ)
    assert earfcn_ul(847.0 * MHZ, "B20") == 24300
    # band starts: B1 DL 0 = 2110 MHz, B1 UL 18000 = 1920 MHz, B8 DL 3450 = 925 MHz, B3 DL 1300 = 1815 MHz
    assert freq_from_earfcn(0) == pytest.approx(2110 * MHZ)
    assert freq_from_earfcn(18000) == pytest.approx(1920 * MHZ)
    assert freq_from_earfcn(3450) == pytest.approx(925 * MHZ)
    assert freq_from_earfcn(1300) == pytest.approx(1815 * MHZ)
    # B71 (reverse duplex): DL 68586 = 617 MHz, UL 133122 = 663 MHz
    assert freq_from_earfcn(68586) == pytest.approx(617 * MHZ)
    assert freq_from_earfcn(133122) == pytest.approx(663 * MHZ)
    with pytest.raises(InputError):
        freq_from_earfcn(17999)  # gap between the DL and UL number ranges
    with pytest.raises(InputError):
        earfcn_ul(900 * MHZ, "B20")


def test_nbiot_off_raster_gets_nearest_earfcn() -> None:
    # NB-IoT UL 847.3 MHz + 32.5 kHz offset: nearest 100 kHz raster point is 847.3 MHz
    f_mhz = 847.3325
    assert earfcn_ul(f_mhz * MHZ, "B20") == _earfcn(847.3, 832, 24150) == 24303
    # clamped to the band: the top edge maps to the last channel, not one past it
    assert earfcn_ul(862 * MHZ, "B20") == 24150 + 300 - 1


def test_known_gsm_arfcn_pairs() -> None:
    # TS 45.005: P-GSM Fl(n) = 890 + 0.2 n, Fu = Fl + 45
    assert freq_from_arfcn(1, "P-GSM900", "uplink") == pytest.approx(890.2 * MHZ)
    assert freq_from_arfcn(1, "P-GSM900", "downlink") == pytest.approx(935.2 * MHZ)
    # E-GSM 975..1023: Fl(n) = 890 + 0.2 (n - 1024)
    assert freq_from_arfcn(975, "E-GSM900", "uplink") == pytest.approx(880.2 * MHZ)
    assert freq_from_arfcn(0, "E-GSM900", "uplink") == pytest.approx(890.0 * MHZ)
    assert gsm_arfcn(880.2 * MHZ, "E-GSM900", "uplink") == 975
    # DCS 1800: 1710.2 + 0.2 (n - 512), +95 MHz; PCS 1900 reuses 512..810 at 1850.2, +80 MHz
    assert freq_from_arfcn(512, "DCS1800", "uplink") == pytest.approx(1710.2 * MHZ)
    assert freq_from_arfcn(512, "DCS1800", "downlink") == pytest.approx(1805.2 * MHZ)
    assert freq_from_arfcn(600, "DCS1800", "uplink") == pytest.approx((1710.2 + 0.2 * 88) * MHZ)
    assert freq_from_arfcn(600, "PCS1900", "uplink") == pytest.approx((1850.2 + 0.2 * 88) * MHZ)
    # GSM 850: 824.2 + 0.2 (n - 128), +45 MHz
    assert freq_from_arfcn(128, "GSM850", "uplink") == pytest.approx(824.2 * MHZ)
    assert freq_from_arfcn(128, "GSM850", "downlink") == pytest.approx(869.2 * MHZ)
    # GSM 450: 450.6 + 0.2 (n - 259), +10 MHz
    assert freq_from_arfcn(259, "GSM450", "downlink") == pytest.approx(460.6 * MHZ)
    with pytest.raises(InputError):
        freq_from_arfcn(0, "P-GSM900", "uplink")  # ARFCN 0 exists only in E-GSM/R-GSM
    with pytest.raises(InputError):
        freq_from_arfcn(1, "B8", "uplink")


def test_nr_arfcn_global_raster() -> None:
    # TS 38.101-1 5.4.2.1: 5 kHz steps below 3 GHz, 3000 MHz + 15 kHz (N - 600000) above
    assert freq_from_nr_arfcn(158200) == pytest.approx(791 * MHZ)
    assert freq_from_nr_arfcn(600000) == pytest.approx(3000 * MHZ)
    assert freq_from_nr_arfcn(620000) == pytest.approx(3300 * MHZ)
    assert nr_arfcn(791 * MHZ) == 158200
    # n20 uses a 100 kHz channel raster: 806.03 MHz snaps to 806.0 MHz = 161200
    assert nr_arfcn(806.03 * MHZ, "n20", "downlink") == 806_000 // 5
    assert nr_arfcn(847.0 * MHZ, "n20", "uplink") == 847_000 // 5


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_earfcn_roundtrip_property(data: st.DataObject) -> None:
    band = data.draw(st.sampled_from([b for b in PLAN.bands if b.tech_family == "lte"]))
    link = "downlink" if band.duplex in ("TDD", "SDL") else data.draw(st.sampled_from(["uplink", "downlink"]))
    part = band.part(link)
    assert part is not None
    low, high = part
    k = data.draw(st.integers(0, round((high - low) / 100e3) - 1))
    offset = band.earfcn_offset_ul if link == "uplink" else band.earfcn_offset_dl
    assert offset is not None
    f = freq_from_earfcn(offset + k, band)
    assert f == pytest.approx(low + k * 100e3)
    # a ppm-offset measurement (+/- 40 kHz) still maps back to the same channel
    jitter = data.draw(st.floats(-40e3, 40e3))
    func = earfcn_ul if link == "uplink" else earfcn_dl
    assert func(f + jitter, band) == offset + k


# ---------------------------------------------------------------------------- classify_link


def _cands(answer: LinkAnswer) -> set[tuple[str, str]]:
    return {(c.band, c.link) for c in answer.candidates}


def test_b28_uplink_vs_b12_downlink() -> None:
    # 731 MHz LTE-M (1.4 MHz): inside B28 UL (EU subset 703-733) and inside B12/B85 DL (729-746)
    eu = classify_link(731 * MHZ, 1.4 * MHZ, "ltem", "eu")
    assert (eu.link, eu.band) == ("uplink", "B28")
    assert eu.channel == _earfcn(731, 703, 27210)
    us = classify_link(731 * MHZ, 1.4 * MHZ, "ltem", "us")
    assert us.link == "downlink"
    assert us.band == "B12"  # B12 DL (17 MHz) is more specific than B85 DL (18 MHz)
    assert us.channel == _earfcn(731, 729, 5010)
    unknown = classify_link(731 * MHZ, 1.4 * MHZ, "ltem", None)
    assert unknown.link is None
    assert unknown.band is None
    assert unknown.channel is None
    assert {("B28", "uplink"), ("B12", "downlink")} <= _cands(unknown)
    assert "region" in unknown.reason
    # 740 MHz is in B17 DL (734-746), the narrowest US downlink there
    us740 = classify_link(740 * MHZ, 5 * MHZ, "lte", "us")
    assert (us740.link, us740.band, us740.channel) == ("downlink", "B17", _earfcn(740, 734, 5730))
    none740 = classify_link(740 * MHZ, 5 * MHZ, "lte", None)
    assert none740.link is None
    assert {("B28", "uplink"), ("B17", "downlink")} <= _cands(none740)


def test_b14_uplink_vs_b20_downlink() -> None:
    eu = classify_link(795 * MHZ, 5 * MHZ, "lte", "eu")
    assert (eu.link, eu.band, eu.channel) == ("downlink", "B20", _earfcn(795, 791, 6150))
    assert "B14 uplink (us)" in eu.reason  # the other regions' reading is still reported
    us = classify_link(795 * MHZ, 5 * MHZ, "lte", "us")
    assert (us.link, us.band, us.channel) == ("uplink", "B14", _earfcn(795, 788, 23280))
    unknown = classify_link(795 * MHZ, 5 * MHZ, "lte", None)
    assert unknown.link is None
    assert {("B14", "uplink"), ("B20", "downlink")} <= _cands(unknown)


def test_egsm_uplink_vs_gsm850_downlink() -> None:
    eu = classify_link(885 * MHZ, 200e3, "gsm", "eu")
    assert (eu.link, eu.band) == ("uplink", "E-GSM900")  # 885 MHz is below P-GSM
    assert eu.channel == 1024 + round((885 - 890) / 0.2)  # Fl(n) = 890 + 0.2 (n - 1024)
    us = classify_link(885 * MHZ, 200e3, "gsm", "us")
    assert (us.link, us.band) == ("downlink", "GSM850")
    assert us.channel == 128 + round((885 - 45 - 824.2) / 0.2)  # Fu = 824.2 + 0.2 (n - 128) + 45
    unknown = classify_link(885 * MHZ, 200e3, "gsm", None)
    assert unknown.link is None
    assert {("E-GSM900", "uplink"), ("GSM850", "downlink")} <= _cands(unknown)
    # the same frequency seen as LTE: B8 uplink (EU) vs B5/B26 downlink (US)
    eu_lte = classify_link(885 * MHZ, 5 * MHZ, "lte", "eu")
    assert (eu_lte.link, eu_lte.band, eu_lte.channel) == ("uplink", "B8", _earfcn(885, 880, 21450))
    us_lte = classify_link(885 * MHZ, 5 * MHZ, "lte", "us")
    assert (us_lte.link, us_lte.band, us_lte.channel) == ("downlink", "B5", _earfcn(885, 869, 2400))
    assert classify_link(885 * MHZ, 5 * MHZ, "lte", None).link is None


def test_egsm_uplink_vs_us_ism() -> None:
    us = classify_link(905 * MHZ, 500e3, "unknown", "us")
    assert us.link is None
    assert us.band == "ISM-902-928"
    assert us.kind == "ism"
    eu = classify_link(905 * MHZ, 500e3, "unknown", "eu")
    assert eu.link == "uplink"
    assert eu.kind == "cellular"
    unknown = classify_link(905 * MHZ, 500e3, "unknown", None)
    assert unknown.link is None
    assert unknown.band is None
    links = {c.link for c in unknown.candidates}
    assert {"uplink", "allocation"} <= links
    # a GSM guess excludes the ISM allocation: every remaining candidate is an uplink
    gsm = classify_link(905 * MHZ, 200e3, "gsm", None)
    assert gsm.link == "uplink"
    assert gsm.band == "P-GSM900"
    assert gsm.channel == round((905 - 890) / 0.2)


def test_emitter_in_quiet_gap_has_no_band() -> None:
    for f_mhz in (300.0, 1000.0):
        ans = classify_link(f_mhz * MHZ, 200e3, "unknown", None)
        assert ans.link is None
        assert ans.band is None
        assert ans.channel is None
        assert ans.candidates == ()
        assert "outside the cellular band plan" in ans.reason
    # in a band only used elsewhere: not silently assigned
    ans = classify_link(850 * MHZ, 5 * MHZ, "lte", "us")  # B20 UL; the US 849-851 MHz gap
    assert ans.link is None
    assert ans.band is None
    assert ("B20", "uplink") in _cands(ans)


def test_straddling_emitter_is_not_assigned() -> None:
    # a 5 MHz LTE carrier centred 1 MHz inside B20 UL's lower edge sticks out by 1.5 MHz
    ans = classify_link(833 * MHZ, 5 * MHZ, "lte", "eu")
    assert ans.link is None
    assert "edge" in ans.reason


def test_ppm_offset_tolerated_at_band_edge() -> None:
    # GSM ARFCN 1 (890.2 MHz) seen 30 ppm high; and an NB-IoT carrier 90 kHz from B20 UL's edge
    f = 890.2 * MHZ * (1 + 30e-6)
    ans = classify_link(f, 200e3, "gsm", "eu")
    assert (ans.link, ans.channel) == ("uplink", 1)
    ans = classify_link(832.09 * MHZ * (1 - 30e-6), 180e3, "nbiot", "eu")
    assert (ans.link, ans.band, ans.channel) == ("uplink", "B20", 24151)


def test_tdd_and_noncellular_have_no_link() -> None:
    tdd = classify_link(2595 * MHZ, 5 * MHZ, "lte", None)
    assert tdd.link is None
    assert tdd.band == "B38"
    assert "TDD" in tdd.reason
    lora = classify_link(868.1 * MHZ, 125e3, "noncellular", "eu")
    assert lora.link is None
    assert lora.band == "SRD-863-870"
    assert lora.kind == "ism"


def test_bad_inputs() -> None:
    with pytest.raises(BandPlanError):
        classify_link(800 * MHZ, 1e6, "lte", "mars")
    with pytest.raises(InputError):
        classify_link(800 * MHZ, 1e6, "wifi", None)
    with pytest.raises(InputError):
        classify_link(800 * MHZ, -1.0, "lte", None)
    with pytest.raises(InputError):
        classify_link(math.nan, 1e6, "lte", None)


# ---------------------------------------------------------------------------- geolocation


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (4.48, 51.92, "eu"),  # Rotterdam
        (9.97, 53.54, "eu"),  # Hamburg
        (-118.19, 33.77, "us"),  # Long Beach
        (-118.27, 33.74, "us"),  # Los Angeles (San Pedro)
        (-123.11, 49.29, "us"),  # Vancouver (ITU Region 2 -> us-like)
        (103.85, 1.29, None),  # Singapore: Asia is not mapped
        (151.21, -33.87, "au"),  # Sydney
        (-43.2, -22.9, None),  # Rio de Janeiro: not mapped
    ],
)
def test_region_from_geolocation(lon: float, lat: float, expected: str | None) -> None:
    assert region_from_geolocation({"type": "Point", "coordinates": [lon, lat]}) == expected


def test_region_from_geolocation_edge_cases() -> None:
    assert region_from_geolocation(None) is None
    wrapped = {"core:geolocation": {"type": "Point", "coordinates": [4.48, 51.92, 5.0]}}
    assert region_from_geolocation(wrapped) == "eu"
    with pytest.raises(InputError):
        region_from_geolocation({"type": "Polygon", "coordinates": []})
    with pytest.raises(InputError):
        region_from_geolocation({"type": "Point", "coordinates": [200.0, 0.0]})


# ---------------------------------------------------------------------------- coverage


def test_bands_in_span_832_862() -> None:
    eu = {(c.band, c.link): c for c in bands_in_span(832 * MHZ, 862 * MHZ, "eu")}
    assert eu[("B20", "uplink")].status == "full"
    assert eu[("B20", "uplink")].fraction == 1.0
    assert eu[("B20", "downlink")].status == "none"
    assert eu[("B20", "downlink")].covered_low_hz is None
    assert eu[("B8", "uplink")].status == "none"
    assert eu[("SRD-863-870", "allocation")].status == "none"
    assert ("B5", "uplink") not in eu  # not in the EU profile
    everything = {(c.band, c.link): c for c in bands_in_span(832 * MHZ, 862 * MHZ, None)}
    b5 = everything[("B5", "uplink")]
    assert b5.status == "partial"
    assert b5.fraction == pytest.approx((849 - 832) / (849 - 824))
    assert (b5.covered_low_hz, b5.covered_high_hz) == (832 * MHZ, 849 * MHZ)
    assert everything[("B27", "downlink")].fraction == pytest.approx((862 - 852) / (869 - 852))
    assert everything[("B18", "uplink")].status == "none"  # 815-830
    only = bands_in_span(832 * MHZ, 862 * MHZ, None, include_uncovered=False)
    assert all(c.status != "none" for c in only)
    assert len(only) < len(everything)
    with pytest.raises(InputError):
        bands_in_span(862 * MHZ, 832 * MHZ, None)


def test_unreachable_bands_eu_r820t() -> None:
    names = {b.name for b in unreachable_bands("eu")}
    assert {"B1", "B7", "B3", "DCS1800", "B38", "n78"} <= names
    assert not {"B20", "B8", "B28", "E-GSM900", "SRD-863-870"} & names
    cov = {(c.band, c.link): c for c in tuner_coverage("eu", "R820T")}
    assert cov[("B3", "uplink")].fraction == pytest.approx((1766 - 1710) / (1785 - 1710))
    assert cov[("B3", "downlink")].status == "none"
    assert not PLAN.band("B1").tunable_by_r820t
    assert PLAN.band("B3").tunable_by_r820t


def test_unreachable_bands_e4000_and_errors() -> None:
    names = {b.name for b in unreachable_bands("eu", tuner="E4000")}
    assert "B3" not in names
    assert "B1" not in names
    assert "B7" in names
    assert "n78" in names
    assert "ISM-433" not in names  # 433 MHz is above E4000's 52 MHz floor
    with pytest.raises(BandPlanError):
        unreachable_bands("eu", tuner="HackRF")
    with pytest.raises(BandPlanError):
        unreachable_bands("narnia")
