"""Verdicts and interface roles from IDs, class codes and layouts (USB devices and serial ports)."""

from __future__ import annotations

import pytest

from serialprobe.enumerate.modemdb import Role, load_modem_db
from serialprobe.enumerate.ports import PortInfo
from serialprobe.enumerate.usb import UsbConfiguration, UsbDevice, UsbEndpoint, UsbInterface, interface_role
from serialprobe.enumerate.verdict import port_verdict, verdict

BULK_IN, BULK_OUT, INT_IN = UsbEndpoint(0x81, 2, 512), UsbEndpoint(0x01, 2, 512), UsbEndpoint(0x82, 3, 8)


def intf(number, cls, sub, proto, eps=(BULK_IN, BULK_OUT)):
    return UsbInterface(number, 0, cls, sub, proto, len(eps), tuple(eps))


def device(vid, pid, *intfs, device_class=0):
    return UsbDevice(
        vid=vid, pid=pid, device_class=device_class, configurations=(UsbConfiguration(1, intfs),)
    )


QMI = (INT_IN, BULK_IN, BULK_OUT)


@pytest.mark.parametrize(
    ("triple", "eps", "role"),
    [
        ((0x02, 0x02, 0x01), (INT_IN,), Role.AT),  # CDC-ACM, AT commands (V.250)
        ((0x02, 0x02, 0x06), (INT_IN,), Role.AT),
        ((0x02, 0x02, 0x00), (INT_IN,), Role.CDC_ACM),  # no AT declaration
        ((0x0A, 0x00, 0x00), (BULK_IN, BULK_OUT), Role.CDC_DATA),
        ((0x02, 0x0E, 0x00), (INT_IN,), Role.MBIM),
        ((0x0A, 0x00, 0x02), (BULK_IN, BULK_OUT), Role.MBIM),
        ((0x02, 0x06, 0x00), (INT_IN,), Role.ECM),
        ((0x02, 0x0D, 0x00), (INT_IN,), Role.NCM),
        ((0xE0, 0x01, 0x03), (INT_IN,), Role.RNDIS),
        ((0xEF, 0x04, 0x01), (INT_IN,), Role.RNDIS),
        ((0x02, 0x02, 0xFF), (INT_IN,), Role.RNDIS),  # Microsoft's RNDIS on the ACM class
        ((0x08, 0x06, 0x50), (BULK_IN, BULK_OUT), Role.MASS_STORAGE),
        ((0x09, 0x00, 0x00), (INT_IN,), Role.HUB),
        ((0x03, 0x01, 0x01), (INT_IN,), Role.HID),
        ((0xFF, 0x42, 0x01), (BULK_IN, BULK_OUT), Role.ADB),
        ((0xFF, 0xFF, 0xFF), QMI, Role.QMI),  # Qualcomm rmnet shape
        ((0xFF, 0xFF, 0xFF), (BULK_IN, BULK_OUT), Role.VENDOR),
        ((0xFF, 0x00, 0x00), QMI, Role.VENDOR),
    ],
)
def test_class_roles_for_an_unknown_device(triple, eps, role):
    cls, sub, proto = triple
    got = interface_role(
        cls,
        sub,
        proto,
        0xABCD,
        0x0001,
        0,
        num_endpoints=len(eps),
        has_interrupt=any(e is INT_IN for e in eps),
    )
    assert got is role


def test_database_layout_wins_over_class():
    # EC25 interface 2 is ff/00/00 (a generic vendor serial function) but the DB knows it is AT
    assert interface_role(0xFF, 0x00, 0x00, 0x2C7C, 0x0125, 2, num_endpoints=3, has_interrupt=True) is Role.AT
    assert (
        interface_role(0xFF, 0xFF, 0xFF, 0x2C7C, 0x0125, 0, num_endpoints=2, has_interrupt=False) is Role.DIAG
    )


def test_modeswitch_mass_storage_is_a_cdrom():
    assert interface_role(0x08, 0x06, 0x50, 0x12D1, 0x1446, 0) is Role.MODESWITCH_CDROM


@pytest.mark.parametrize(
    ("sub", "proto", "role"),
    [
        (0x01, 0x02, Role.AT),
        (0x02, 0x01, Role.MODEM),
        (0x01, 0x05, Role.NMEA),
        (0x06, 0x08, Role.QMI),
        (0x01, 0x16, Role.NCM),
    ],
)
def test_huawei_class_triples(sub, proto, role):
    # unknown Huawei product: roles by subclass/protocol (ModemManager huawei rules, qcserial Huawei layout)
    assert interface_role(0xFF, sub, proto, 0x12D1, 0xFFFE, 3, num_endpoints=2, has_interrupt=False) is role


def test_unknown_product_of_modem_vendor_is_possible_modem():
    v = verdict(device(0x2C7C, 0xFFF0, intf(0, 0xFF, 0xFF, 0xFF)))
    assert v.kind == "possible-modem"
    assert "Quectel" in v.reason


def test_modem_layout_on_unknown_vendor_is_possible_modem():
    d = device(
        0xABCD,
        0x1234,
        intf(0, 0xFF, 0xFF, 0xFF),
        intf(1, 0xFF, 0x00, 0x00, QMI),
        intf(2, 0xFF, 0xFF, 0xFF, QMI),
    )
    v = verdict(d)
    assert v.kind == "possible-modem"
    assert "QMI" in v.reason
    assert v.roles[2] is Role.QMI


def test_cdc_acm_at_with_net_sibling_is_possible_modem():
    d = device(
        0xABCD,
        0x2,
        intf(0, 0x02, 0x02, 0x01, (INT_IN,)),
        intf(1, 0x0A, 0, 0),
        intf(2, 0x02, 0x0D, 0, (INT_IN,)),
        intf(3, 0x0A, 0, 1),
    )
    v = verdict(d)
    assert v.kind == "possible-modem"
    assert "strict filter" in v.reason


def test_lone_cdc_acm_at_port_is_not_a_modem():
    # an Arduino Uno (2341:0043) declares AT commands (02/02/01) on its single ACM port
    v = verdict(device(0x2341, 0x0043, intf(0, 0x02, 0x02, 0x01, (INT_IN,)), intf(1, 0x0A, 0, 0)))
    assert v.kind == "not-modem"
    assert "lone CDC-ACM" in v.reason
    assert "probe" in v.reason


def test_gnss_receiver_of_modem_vendor_is_not_a_modem():
    v = verdict(device(0x1546, 0x01A7, intf(0, 0x02, 0x02, 0x00, (INT_IN,)), intf(1, 0x0A, 0, 0)))
    assert v.kind == "not-modem"
    assert "ModemManager ignores" in v.reason


def test_qdl_download_mode_is_a_modem_in_download_mode():
    v = verdict(device(0x05C6, 0x9008, intf(0, 0xFF, 0xFF, 0xFF)))
    assert v.kind == "modem"
    assert "download" in v.reason


def test_device_without_interfaces_uses_database_layout():
    v = verdict(UsbDevice(vid=0x1199, pid=0x9071))
    assert v.kind == "modem"
    assert v.roles[3] is Role.AT
    assert v.roles[8] is Role.QMI


def test_verdict_to_dict():
    d = verdict(UsbDevice(vid=0x2C7C, pid=0x0125)).to_dict()
    assert d["kind"] == "modem"
    assert d["roles"]["2"] == "at"
    assert d["source"]


def port(**kw):
    base = {"device": "/dev/ttyUSB2", "name": "ttyUSB2"}
    base.update(kw)
    return PortInfo(**base)


def test_port_verdict_names_the_role():
    v = port_verdict(port(vid=0x2C7C, pid=0x0125, usb_interface_number=2, driver="option"))
    assert v is not None
    assert v.kind == "modem"
    assert v.reason.startswith("AT port of a Quectel EC25")
    assert port_verdict(port(vid=0x2C7C, pid=0x0125, usb_interface_number=0)).reason.startswith(
        "DIAG/QCDM port"
    )
    assert "NMEA" in port_verdict(port(vid=0x1199, pid=0x9071, usb_interface_number=2)).reason


def test_port_verdict_other_cases():
    assert port_verdict(port(device="/dev/ttyS0", name="ttyS0")) is None
    bridge = port_verdict(port(vid=0x0403, pid=0x6001, usb_interface_number=0, driver="ftdi_sio"))
    assert bridge.kind == "not-modem"
    assert "USB-serial bridge" in bridge.reason
    assert "behind it" in bridge.reason
    by_driver = port_verdict(port(vid=0xABCD, pid=0x0001, usb_interface_number=3, driver="option"))
    assert by_driver.kind == "possible-modem"
    assert "option" in by_driver.reason
    vendor = port_verdict(port(vid=0x1E0E, pid=0xFFFF, usb_interface_number=1, driver="cdc_acm"))
    assert vendor.kind == "possible-modem"
    unknown = port_verdict(port(vid=0xABCD, pid=0x0001, usb_interface_number=0, driver="cdc_acm"))
    assert unknown.kind == "not-modem"


def test_database_is_the_default_everywhere():
    db = load_modem_db()
    assert (
        verdict(UsbDevice(vid=0x2C7C, pid=0x0125), db).kind == verdict(UsbDevice(vid=0x2C7C, pid=0x0125)).kind
    )
