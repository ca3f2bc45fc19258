"""The modem database: every entry sourced, IDs valid, no duplicates, known layouts right."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from serialprobe.enumerate.modemdb import Role, load_modem_db, parse_modem_db
from serialprobe.errors import DataError

HEX4 = re.compile(r"^[0-9a-f]{4}$")


@pytest.fixture(scope="module")
def raw() -> dict:
    text = resources.files("serialprobe.enumerate").joinpath("data", "modems.json").read_text("utf-8")
    return json.loads(text)


def test_every_entry_has_source_and_valid_hex_ids(raw):
    for section in ("modems", "modeswitch", "not_modems"):
        for entry in raw[section]:
            assert HEX4.match(entry["vid"]), entry
            assert HEX4.match(entry["pid"]), entry
            assert entry["source"], entry
            assert all(isinstance(s, str) and len(s) > 10 for s in entry["source"]), entry
    for entry in raw["vendors"]:
        assert HEX4.match(entry["vid"])
        assert entry["source"]
    for entry in raw["serial_bridges"]:
        assert HEX4.match(entry["vid"])
        assert entry["source"]


def test_no_duplicates(raw):
    for section in ("modems", "modeswitch", "not_modems"):
        keys = [(e["vid"], e["pid"]) for e in raw[section]]
        assert len(keys) == len(set(keys)), section
    assert not {(e["vid"], e["pid"]) for e in raw["modems"]} & {
        (e["vid"], e["pid"]) for e in raw["not_modems"]
    }


def test_breadth_and_vendor_coverage():
    db = load_modem_db()
    assert len(db.modems) >= 150
    vids = {vid for vid, _ in db.modems}
    for vid in (
        0x2C7C,
        0x1199,
        0x1BC7,
        0x1546,
        0x12D1,
        0x19D2,
        0x1E0E,
        0x2CB7,
        0x1508,
        0x1E2D,
        0x1410,
        0x05C6,
    ):
        assert vid in vids, f"{vid:04x}"
    for vid in (0x2C7C, 0x1199, 0x1BC7, 0x1546, 0x12D1, 0x19D2, 0x1E0E, 0x2CB7, 0x1508, 0x1E2D, 0x0681):
        assert db.is_modem_vendor(vid), f"{vid:04x}"
    for vid in (0x1410, 0x0846, 0x258D, 0x1915):
        assert db.is_modem_vendor(vid), f"{vid:04x}"
    assert (0x12D1, 0x1446) in db.modeswitch  # Huawei pre-switch CD-ROM


@pytest.mark.parametrize(
    ("vid", "pid", "model", "layout"),
    [
        # qcserial.c EC20 layout + ModemManager quectel rules + qmi_wwan (EC25)
        (0x2C7C, 0x0125, "EC25", {0: Role.DIAG, 1: Role.NMEA, 2: Role.AT, 3: Role.AT, 4: Role.QMI}),
        (0x2C7C, 0x0296, "BG96", {0: Role.DIAG, 1: Role.NMEA, 2: Role.AT, 4: Role.QMI}),
        (0x2C7C, 0x0800, "RM500", {2: Role.AT, 4: Role.QMI}),
        # qcserial.c Sierra layout: 0 DM, 2 NMEA, 3 AT, 8 QMI
        (0x1199, 0x9071, "MC74", {0: Role.DIAG, 2: Role.NMEA, 3: Role.AT, 8: Role.QMI}),
        (0x1199, 0x9079, None, {0: Role.DIAG, 2: Role.NMEA, 3: Role.AT, 8: Role.QMI}),
        # SIMCom SIM7600: MM simtech rules + qmi_wwan interface 5
        (0x1E0E, 0x9001, "SIM7600", {0: Role.DIAG, 1: Role.NMEA, 2: Role.AT, 5: Role.QMI}),
        (0x1BC7, 0x1201, "LE910", {0: Role.DIAG, 2: Role.QMI, 4: Role.AT}),
        (0x05C6, 0x90B2, "SARA-R410M", {3: Role.QMI}),
        (0x1546, 0x1141, "TOBY", {}),
        (0x12D1, 0x15C1, "ME909", {}),
    ],
)
def test_known_layouts(vid, pid, model, layout):
    entry = load_modem_db().lookup(vid, pid)
    assert entry is not None
    if model:
        assert entry.model is not None
        assert model in entry.model
    for number, role in layout.items():
        assert entry.interfaces[number] is role


def test_gnss_receivers_of_ublox_are_not_modems():
    db = load_modem_db()
    assert (0x1546, 0x01A7) in db.not_modems


def test_loader_is_cached():
    assert load_modem_db() is load_modem_db()


def _minimal(**modem):
    entry = {"vid": "2c7c", "pid": "0125", "vendor": "Quectel", "source": ["x/y.c@abc"], "interfaces": {}}
    entry.update(modem)
    return {"modems": [entry]}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_minimal(vid="2C7C"), "hex"),
        (_minimal(pid="125"), "hex"),
        (_minimal(source=[]), "source"),
        (_minimal(interfaces={"2": "teleport"}), "unknown role"),
        (_minimal(interfaces={"x": "at"}), "interface number"),
        ({"modems": [_minimal()["modems"][0], _minimal()["modems"][0]]}, "duplicate"),
        ([], "top level"),
    ],
)
def test_bad_data_raises_data_error(doc, message):
    with pytest.raises(DataError, match=message):
        parse_modem_db(doc)


def test_bad_file_raises_data_error(tmp_path):
    bad = tmp_path / "modems.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON"):
        load_modem_db(bad)
    with pytest.raises(DataError, match="cannot be read"):
        load_modem_db(tmp_path / "missing.json")
