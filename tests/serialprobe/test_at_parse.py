"""AT reply parsers against the reply shapes real modules produce (3GPP TS 27.007, vendor manuals)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serialprobe.at import parse

# --------------------------------------------------------------------------- check digits


def _luhn_digit(body: str) -> str:
    """Independent Luhn check digit computation (doubling from the right of the body)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def test_luhn_known_values() -> None:
    # The example IMEI of 3GPP TS 23.003 Annex B: 49015420323751 -> check digit 8
    assert parse.luhn_valid("490154203237518")
    assert not parse.luhn_valid("490154203237519")
    assert not parse.luhn_valid("49015420323751x")
    assert not parse.luhn_valid("")


@given(st.text(alphabet="0123456789", min_size=13, max_size=19))
def test_luhn_agrees_with_independent_digit(body: str) -> None:
    good = body + _luhn_digit(body)
    assert parse.luhn_valid(good)
    bad = body + str((int(_luhn_digit(body)) + 1) % 10)
    assert not parse.luhn_valid(bad)


# --------------------------------------------------------------------------- identity


def test_identity_prefix_and_quotes_removed() -> None:
    assert parse.parse_identity(['+CGMI: "Sierra Wireless, Incorporated"'], "+CGMI:") == (
        "Sierra Wireless, Incorporated"
    )
    assert parse.parse_identity(["Quectel"], "+CGMI:") == "Quectel"
    assert parse.parse_identity(["", '+CGMM: "MC7455"'], "+CGMM:") == "MC7455"
    assert parse.parse_identity(["+CGMR: LE20B04SIM7600M22"], "+CGMR:") == "LE20B04SIM7600M22"
    assert parse.parse_identity([], "+CGMI:") is None


def test_identity_fields_are_sanitized() -> None:
    out = parse.parse_identity(["\x1b[31mEvil\u202eCorp\x07"], "+CGMI:")
    assert out is not None
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "\x07" not in out


def test_ati_quectel_layout() -> None:
    got = parse.parse_ati(["Quectel", "EC25", "Revision: EC25EFAR06A03M4G"])
    assert got == {"manufacturer": "Quectel", "model": "EC25", "revision": "EC25EFAR06A03M4G"}


def test_ati_key_value_layout() -> None:
    got = parse.parse_ati(
        [
            "Manufacturer: Sierra Wireless, Incorporated",
            "Model: MC7455",
            "Revision: SWI9X30C_02.24.05.06 r7040",
            "MEID: 35100000654321",
            "IMEI: 351000006543214",
            "IMEI SV: 9",
            "+GCAP: +CGSM",
        ]
    )
    assert got["manufacturer"] == "Sierra Wireless, Incorporated"
    assert got["model"] == "MC7455"
    assert got["revision"] == "SWI9X30C_02.24.05.06 r7040"
    assert got["imei"] == "351000006543214"


def test_ati_single_line_is_the_model() -> None:
    assert parse.parse_ati(["SARA-R410M-02B"]) == {"model": "SARA-R410M-02B"}


@pytest.mark.parametrize(
    ("texts", "maker"),
    [
        (("Quectel",), "quectel"),
        (("Sierra Wireless, Incorporated",), "sierra"),
        (("Telit",), "telit"),
        (("SIMCOM INCORPORATED",), "simcom"),
        (("u-blox",), "ublox"),
        (("huawei",), "huawei"),
        ((None, "Huawei Technologies Co., Ltd."), "huawei"),
        (("Acme Modems",), None),
    ],
)
def test_detect_maker(texts: tuple[str | None, ...], maker: str | None) -> None:
    assert parse.detect_maker(*texts) == maker


# --------------------------------------------------------------------------- IMEI / IMSI / ICCID


def test_imei_forms() -> None:
    assert parse.parse_imei(["490154203237518"]) == ("490154203237518", True)
    assert parse.parse_imei(['+CGSN: "490154203237518"']) == ("490154203237518", True)
    assert parse.parse_imei(["490154203237519"]) == ("490154203237519", False)
    assert parse.parse_imei(["49015420323751"]) == ("49015420323751", False)  # no check digit
    assert parse.parse_imei(["ERROR-ish", "12345"]) == (None, False)


def test_imsi_mcc_mnc_split() -> None:
    assert parse.parse_imsi(["001010000000001"]) == ("001010000000001", "001", "01")
    assert parse.parse_imsi(["262011234567890"]) == ("262011234567890", "262", "01")
    # North America uses 3-digit MNCs (E.212): 310 410 is AT&T
    assert parse.parse_imsi(["310410123456789"]) == ("310410123456789", "310", "410")
    assert parse.parse_imsi(["hello"]) == (None, None, None)


def test_iccid_vendor_forms() -> None:
    iccid = "8999900000000000014"
    assert parse.parse_iccid([f"+CCID: {iccid}"]) == (iccid, True)
    assert parse.parse_iccid([f"+QCCID: {iccid}"]) == (iccid, True)
    assert parse.parse_iccid([f'+ICCID: "{iccid}"']) == (iccid, True)
    assert parse.parse_iccid([f"!ICCID: {iccid}"]) == (iccid, True)
    assert parse.parse_iccid([f"{iccid}F"]) == (iccid, True)  # padded to 20 nibbles
    assert parse.parse_iccid(["89999000000000000064"]) == ("89999000000000000064", True)


def test_iccid_swapped_nibbles() -> None:
    iccid = "8999900000000000055"
    padded = iccid + "F"
    swapped = "".join(padded[i + 1] + padded[i] for i in range(0, 20, 2))
    assert swapped.startswith("98")
    assert parse.parse_iccid([f"^ICCID: {swapped}"]) == (iccid, True)


def test_iccid_bad_check_digit_and_garbage() -> None:
    assert parse.parse_iccid(["+CCID: 8999900000000000015"]) == ("8999900000000000015", False)
    assert parse.parse_iccid(["+CCID: NOT A SIM"]) == (None, False)


def test_masks_keep_only_the_public_prefixes() -> None:
    assert parse.mask_imei("490154203237518") == "49015420*******"
    assert parse.mask_imsi("310410123456789", "410") == "310410*********"
    assert parse.mask_imsi("262011234567890", "01") == "26201**********"
    assert parse.mask_iccid("8999900000000000014") == "8999900************"


def test_cpin() -> None:
    assert parse.parse_cpin(["+CPIN: READY"]) == "READY"
    assert parse.parse_cpin(["+CPIN: SIM PIN"]) == "SIM PIN"
    assert parse.parse_cpin(["nothing"]) is None


# --------------------------------------------------------------------------- registration


@pytest.mark.parametrize(
    ("line", "solicited", "expect"),
    [
        ("+CREG: 0,1", True, ("CREG", False, 0, 1, None, None, None)),
        ('+CREG: 2,5,"1A9","0000FE16"', True, ("CREG", False, 2, 5, "1A9", "0000FE16", None)),
        ('+CREG: 2,1,"07D3","0000FE16",2', True, ("CREG", False, 2, 1, "07D3", "0000FE16", 2)),
        ("+CREG: 2,1, 2DF9, 0A35A417,7", True, ("CREG", False, 2, 1, "2DF9", "0A35A417", 7)),
        ("+CREG: 2,1,2df9,a35a417", True, ("CREG", False, 2, 1, "2DF9", "A35A417", None)),
        ('+CEREG: 2,1,"2DF9","01A2D001",7', True, ("CEREG", False, 2, 1, "2DF9", "01A2D001", 7)),
        ('+CGREG: 2,1,"2F03","0005E36C",2,"13"', True, ("CGREG", False, 2, 1, "2F03", "0005E36C", 2)),
        ("+CREG: 10,1", True, ("CREG", False, 10, 1, None, None, None)),
        # unsolicited forms: no <n>
        ("+CREG: 5", False, ("CREG", True, None, 5, None, None, None)),
        ('+CEREG: 1,"2DF9","01A2D001",7', False, ("CEREG", True, None, 1, "2DF9", "01A2D001", 7)),
    ],
)
def test_registration_given_context(line: str, solicited: bool, expect: tuple[object, ...]) -> None:
    reg = parse.parse_registration(line, solicited=solicited)
    assert reg is not None
    assert (reg.domain, reg.unsolicited, reg.n, reg.stat, reg.lac, reg.ci, reg.act) == expect


@pytest.mark.parametrize(
    ("line", "unsolicited", "stat", "lac"),
    [
        ("+CREG: 1", True, 1, None),
        ("+CREG: 0,1", False, 1, None),
        ('+CREG: 1,"07D3","FE16"', True, 1, "07D3"),
        ("+CREG: 1,07D3,0000FE16,7", True, 1, "07D3"),
        ('+CREG: 2,1,"07D3","FE16"', False, 1, "07D3"),
        ("+CREG: 2,1,07D3,FE16", False, 1, "07D3"),
        ('+CREG: 2,5,"07D3","FE16",7', False, 5, "07D3"),
    ],
)
def test_registration_guess_form(line: str, unsolicited: bool, stat: int, lac: str | None) -> None:
    reg = parse.parse_registration(line)
    assert reg is not None
    assert reg.unsolicited is unsolicited
    assert reg.stat == stat
    assert reg.lac == lac


def test_registration_text_and_flags() -> None:
    home = parse.parse_registration("+CREG: 0,1", solicited=True)
    roam = parse.parse_registration("+CEREG: 0,5", solicited=True)
    denied = parse.parse_registration("+CREG: 0,3", solicited=True)
    assert home is not None
    assert roam is not None
    assert denied is not None
    assert home.stat_text == "registered, home network"
    assert home.registered
    assert roam.stat_text == "registered, roaming"
    assert roam.registered
    assert not denied.registered
    assert parse.parse_registration("+COPS: 0") is None
    assert parse.parse_registration("+CREG: x,y", solicited=True) is None


# --------------------------------------------------------------------------- operator / signal


def test_cops_forms() -> None:
    cops = parse.parse_cops(['+COPS: 0,0,"Vodafone D2",7'])
    assert cops == parse.Cops(0, 0, "Vodafone D2", 7)
    assert parse.parse_cops(["+COPS: 0"]) == parse.Cops(0, None, None, None)
    assert parse.parse_cops(['+COPS: 1,2,"26202",2']) == parse.Cops(1, 2, "26202", 2)
    assert parse.parse_cops(['+COPS: 0,0,"AT&T, Inc",7']) == parse.Cops(0, 0, "AT&T, Inc", 7)


def test_act_names() -> None:
    assert parse.act_name(7) == "E-UTRAN"
    assert parse.act_name(0) == "GSM"
    assert parse.act_name(2) == "UTRAN"
    assert parse.act_name(8) == "EC-GSM-IoT"
    assert parse.act_name(8, "ublox") == "LTE Cat M1"
    assert parse.act_name(9, "ublox") == "NB-IoT"
    assert parse.act_name(None) is None


@pytest.mark.parametrize("rssi", [0, 1, 15, 22, 31])
def test_csq_dbm_formula(rssi: int) -> None:
    csq = parse.parse_csq([f"+CSQ: {rssi},99"])
    assert csq is not None
    assert csq.rssi_dbm == -113 + 2 * rssi


def test_csq_edges() -> None:
    csq = parse.parse_csq(["+CSQ: 99,99"])
    assert csq is not None
    assert csq.rssi_dbm is None
    assert parse.parse_csq(["+CSQ: 0,0"]) == parse.Csq(0, 0)
    top = parse.parse_csq(["+CSQ: 31,99"])
    assert top is not None
    assert top.rssi_dbm == -51
    assert parse.parse_csq(["+CSQ: abc"]) is None


def test_cesq_conversions() -> None:
    cesq = parse.parse_cesq(["+CESQ: 99,99,255,255,20,45"])
    assert cesq is not None
    assert cesq.rsrp_dbm == 45 - 141
    assert cesq.rsrq_db == -20 + 20 / 2
    assert cesq.rscp_dbm is None
    assert cesq.rxlev_dbm is None
    edges = parse.parse_cesq(["+CESQ: 63,0,96,49,34,97"])
    assert edges is not None
    assert edges.rsrp_dbm == -44
    assert edges.rsrq_db == -3.0
    assert edges.rscp_dbm == -25
    assert edges.rxlev_dbm == -48
    low = parse.parse_cesq(["+CESQ: 0,0,0,0,0,0"])
    assert low is not None
    assert low.rsrp_dbm == -141  # index 0 means below -140 dBm
    assert parse.parse_cesq(["+CESQ: 1,2"]) is None


# --------------------------------------------------------------------------- vendor status


def test_qeng_servingcell_lte() -> None:
    line = '+QENG: "servingcell","NOCONN","LTE","FDD",262,01,1A2D001,187,1650,3,5,5,5E88,-96,-10,-66,14,-'
    got = parse.parse_vendor_status('AT+QENG="servingcell"', [line])
    assert got["state"] == "NOCONN"
    assert got["rat"] == "LTE"
    assert got["mcc"] == "262"
    assert got["mnc"] == "01"
    assert got["cell_id"] == "1A2D001"
    assert got["pci"] == "187"
    assert got["band"] == "3"
    assert got["tac"] == "5E88"
    assert got["rsrp_dbm"] == "-96"
    assert got["sinr"] == "14"


def test_qeng_other_rat_keeps_fields() -> None:
    got = parse.parse_vendor_status('AT+QENG="servingcell"', ['+QENG: "servingcell","NOCONN","GSM",262,01'])
    assert got["field1"] == "GSM"


def test_cpsi_lte() -> None:
    line = "+CPSI: LTE,Online,404-45,0x21F9,322642,453,EUTRAN-BAND40,39275,4,4,-168,-1126,-773,7"
    got = parse.parse_vendor_status("AT+CPSI?", [line])
    assert got["system_mode"] == "LTE"
    assert got["mcc_mnc"] == "404-45"
    assert got["tac"] == "0x21F9"
    assert got["band"] == "EUTRAN-BAND40"
    assert got["rsrp_tenth_dbm"] == "-1126"


def test_servinfo_lte() -> None:
    got = parse.parse_vendor_status(
        "AT#SERVINFO", ['#SERVINFO: 6400,-43,"T-Mobile A","23203",00000AF,36EE,32,3,-60']
    )
    assert got["earfcn"] == "6400"
    assert got["operator"] == "T-Mobile A"
    assert got["plmn"] == "23203"
    assert got["tac"] == "36EE"
    assert got["rsrp_dbm"] == "-60"


def test_gstatus_tab_pairs() -> None:
    lines = [
        "!GSTATUS: ",
        "Current Time:  4088\t\tTemperature: 38",
        "Reset Counter: 1\t\tMode:        ONLINE         ",
        "System mode:   LTE        \tPS state:    Attached     ",
        "LTE band:      B3     \t\tLTE bw:      20 MHz  ",
        "RSRQ (dB):     -10.9\t\tCell ID:     0A35A417 (171287575)",
    ]
    got = parse.parse_vendor_status("AT!GSTATUS?", lines)
    assert got["mode"] == "ONLINE"
    assert got["system_mode"] == "LTE"
    assert got["ps_state"] == "Attached"
    assert got["lte_band"] == "B3"
    assert got["lte_bw"] == "20 MHz"
    assert got["rsrq_db"] == "-10.9"
    assert got["cell_id"] == "0A35A417 (171287575)"
    assert got["temperature"] == "38"


def test_vendor_status_values_are_sanitized() -> None:
    got = parse.parse_vendor_status("AT#SERVINFO", ['#SERVINFO: 1,2,"\x1b]52;c;eA==\x07Op\x1b[2J","x"'])
    assert got["operator"] == "Op"
    assert all("\x1b" not in v for v in got.values())


def test_split_fields_respects_quotes() -> None:
    assert parse.split_fields('0,0,"a,b",7') == ["0", "0", '"a,b"', "7"]
    assert parse.split_fields("") == [""]
