"""Vendor and product names from a usb.ids file (fixture excerpt; the system file when present)."""

from __future__ import annotations

import pytest
from usb_backend import FIXTURE_DIR

from serialprobe.enumerate import usbids
from serialprobe.enumerate.usbids import (
    USB_IDS_ENV,
    load_usb_ids,
    parse_usb_ids,
    product_name,
    usb_ids_path,
    vendor_name,
)

IDS = FIXTURE_DIR / "usb.ids"


def test_fixture_names():
    assert vendor_name(0x2C7C, path=IDS) == "Quectel Wireless Solutions Co., Ltd."
    assert product_name(0x2C7C, 0x0125, path=IDS) == "EC25 LTE modem"
    assert product_name(0x0403, 0x6001, path=IDS) == "FT232 Serial (UART) IC"
    assert vendor_name(0x1D6B, path=IDS) == "Linux Foundation"
    assert product_name(0x1E0E, 0x9001, path=IDS) is None  # vendor listed, product not
    assert vendor_name(0xDEAD, path=IDS) is None


def test_parser_skips_interfaces_comments_and_class_section():
    text = (
        "# comment\n"
        "1234  Acme\n"
        "\t0001  Widget\n"
        "\t\t00  Widget interface zero\n"
        "\t0002  Gadget  \n"
        "5678  Other\n"
        "\n"
        "C 02  Communications\n"
        "\t02  Abstract (modem)\n"
        "1111  Not a vendor (inside class section)\n"
    )
    ids = parse_usb_ids(text)
    assert ids.vendors == {0x1234: "Acme", 0x5678: "Other"}
    assert ids.products == {(0x1234, 0x0001): "Widget", (0x1234, 0x0002): "Gadget"}


def test_env_override_and_missing_database(monkeypatch, tmp_path):
    monkeypatch.setenv(USB_IDS_ENV, str(IDS))
    assert usb_ids_path() == IDS
    assert vendor_name(0x1199) == "Sierra Wireless, Inc."
    monkeypatch.setenv(USB_IDS_ENV, str(tmp_path / "absent.ids"))
    assert usb_ids_path() is None
    assert load_usb_ids() is None
    assert vendor_name(0x1199) is None
    assert product_name(0x1199, 0x9071) is None


def test_no_database_anywhere(monkeypatch):
    monkeypatch.delenv(USB_IDS_ENV, raising=False)
    monkeypatch.setattr(usbids, "USB_IDS_PATHS", ("/nonexistent/usb.ids",))
    assert usb_ids_path() is None


def test_parse_is_cached():
    assert load_usb_ids(IDS) is load_usb_ids(IDS)


@pytest.mark.skipif(
    not any(__import__("os").path.isfile(p) for p in usbids.USB_IDS_PATHS), reason="no usb.ids"
)
def test_system_database_has_the_modem_vendors(monkeypatch):
    monkeypatch.delenv(USB_IDS_ENV, raising=False)
    ids = load_usb_ids()
    assert ids is not None
    assert len(ids.vendors) > 1000
    assert "Quectel" in (vendor_name(0x2C7C) or "")
    assert "Sierra" in (vendor_name(0x1199) or "")
