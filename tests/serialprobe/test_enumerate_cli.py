"""``serialprobe list`` and ``serialprobe usb`` through ``serialprobe.cli.main``."""

from __future__ import annotations

import json
import sys

import pytest
import usb.backend.libusb1
from serial.tools import list_ports, list_ports_common
from usb_backend import FIXTURE_DIR, fixture_paths

from serialprobe.cli import main
from serialprobe.enumerate.usb import list_usb
from serialprobe.enumerate.usbids import USB_IDS_ENV
from serialprobe.errors import UsbError


@pytest.fixture
def fixture_backend_env(monkeypatch):
    monkeypatch.setenv("SERIALPROBE_USB_BACKEND", "usb_backend:backend_from_env")
    monkeypatch.setenv("SERIALPROBE_USB_FIXTURES", str(FIXTURE_DIR))
    monkeypatch.setenv(USB_IDS_ENV, str(FIXTURE_DIR / "usb.ids"))


def test_usb_json_to_stdout(fixture_backend_env, capsys):
    assert main(["usb", "--json", "-"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["usb_ids"].endswith("usb.ids")
    assert len(doc["devices"]) == len(fixture_paths())
    by_id = {d["id"]: d for d in doc["devices"]}
    ec25 = by_id["2c7c:0125"]
    assert ec25["verdict"]["kind"] == "modem"
    assert ec25["vendor_name"] == "Quectel Wireless Solutions Co., Ltd."
    assert ec25["product_name"] == "EC25 LTE modem"
    assert ec25["verdict"]["roles"] == {"0": "diag", "1": "nmea", "2": "at", "3": "at", "4": "qmi"}
    assert by_id["0403:6001"]["verdict"]["kind"] == "not-modem"
    assert "\x1b" not in captured.out
    assert "usb.ids not found" not in captured.err


def test_usb_table_and_missing_usb_ids_said_once(fixture_backend_env, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(USB_IDS_ENV, str(tmp_path / "none.ids"))
    assert main(["usb"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("usb.ids not found") == 1
    assert "2c7c:0125  modem" in captured.out
    assert "AT" not in captured.err
    assert "    if2  ff/00/00" in captured.out
    assert "\x1b" not in captured.out
    assert "\x07" not in captured.out


def test_usb_json_file(fixture_backend_env, tmp_path, capsys):
    out = tmp_path / "usb.json"
    assert main(["usb", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["devices"]
    assert "2c7c:0125" in capsys.readouterr().out  # table still printed


def test_usb_error_when_no_backend(monkeypatch, capsys):
    monkeypatch.delenv("SERIALPROBE_USB_BACKEND", raising=False)
    monkeypatch.setattr(usb.backend.libusb1, "get_backend", lambda *a, **k: None)
    import libusb_package

    monkeypatch.setattr(libusb_package, "get_libusb1_backend", lambda *a, **k: None)
    with pytest.raises(UsbError, match="libusb"):
        list_usb()
    assert main(["usb"]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("serialprobe: error: no libusb-1.0")


def test_usb_error_when_pyusb_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "usb.core", None)
    with pytest.raises(UsbError, match="pyusb is not installed"):
        list_usb()


def test_bad_backend_hook(monkeypatch, capsys):
    monkeypatch.setenv("SERIALPROBE_USB_BACKEND", "no_such_module:factory")
    assert main(["usb"]) == 4
    assert "SERIALPROBE_USB_BACKEND" in capsys.readouterr().err


def test_list_json_to_stdout(monkeypatch, capsys):
    quectel = list_ports_common.ListPortInfo("/dev/ttyUSB2", skip_link_detection=True)
    quectel.vid, quectel.pid, quectel.location = 0x2C7C, 0x0125, "1-1.2:1.2"
    quectel.apply_usb_info()
    uart = list_ports_common.ListPortInfo("/dev/ttyS0", skip_link_detection=True)
    monkeypatch.setattr(list_ports, "comports", lambda include_links=False: [quectel, uart])
    assert main(["list", "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    ports = {p["device"]: p for p in doc["ports"]}
    assert ports["/dev/ttyS0"]["verdict"] is None
    v = ports["/dev/ttyUSB2"]["verdict"]
    assert v["kind"] == "modem"
    assert v["reason"].startswith("AT port of a Quectel EC25")
    assert v["roles"] == {"2": "at"}
    assert main(["list"]) == 0
    table = capsys.readouterr().out
    assert "/dev/ttyUSB2" in table
    assert "AT port of a Quectel EC25" in table
    assert "probe it" in table
