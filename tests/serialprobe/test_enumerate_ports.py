"""list_ports through pyserial's comports (monkeypatched with real ListPortInfo objects)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from serial.tools import list_ports, list_ports_common

from serialprobe.enumerate.ports import PortInfo
from serialprobe.enumerate.ports import list_ports as serialprobe_list_ports
from serialprobe.enumerate.verdict import port_verdict


def _port(device, **attrs):
    info = list_ports_common.ListPortInfo(device, skip_link_detection=True)
    for key, value in attrs.items():
        setattr(info, key, value)
    if info.vid is not None:
        info.apply_usb_info()
    return info


@pytest.fixture
def fake_ports(monkeypatch, tmp_path) -> Path:
    """Quectel EC25 AT port, an FTDI adapter and a plain UART; a fake /sys/class/tty for drivers."""
    tty = tmp_path / "tty"
    drivers = tmp_path / "drivers"
    for name, driver in (("ttyUSB2", "option"), ("ttyUSB0", "ftdi_sio"), ("ttyS0", "serial8250")):
        (drivers / driver).mkdir(parents=True, exist_ok=True)
        (tty / name / "device").mkdir(parents=True)
        os.symlink(drivers / driver, tty / name / "device" / "driver")
    # the FTDI port has no interface number in its location: sysfs gives it
    (tty / "ttyUSB0" / "bInterfaceNumber").write_text("00\n")
    ports = [
        _port(
            "/dev/ttyUSB2",
            vid=0x2C7C,
            pid=0x0125,
            serial_number=None,
            location="1-1.2:1.2",
            manufacturer="Quectel",
            product="EC25",
            interface=None,
        ),
        _port(
            "/dev/ttyUSB0",
            vid=0x0403,
            pid=0x6001,
            serial_number="A50285BI",
            location="1-1.3",
            manufacturer="FTDI",
            product="FT232R USB UART\x1b]52;c;aGk=\x07",
        ),
        _port("/dev/ttyS0"),
    ]
    calls = []

    def comports(include_links=False):
        calls.append(include_links)
        return list(ports)

    monkeypatch.setattr(list_ports, "comports", comports)
    return tty


def test_list_ports_fields_and_order(fake_ports):
    ports = serialprobe_list_ports(tty_root=fake_ports)
    assert [p.device for p in ports] == ["/dev/ttyS0", "/dev/ttyUSB0", "/dev/ttyUSB2"]
    uart, ftdi, quectel = ports
    assert uart.vid is None
    assert not uart.is_usb
    assert uart.driver == "serial8250"
    assert (quectel.vid, quectel.pid, quectel.usb_interface_number, quectel.driver) == (
        0x2C7C,
        0x0125,
        2,
        "option",
    )
    assert quectel.location == "1-1.2:1.2"
    assert quectel.hwid.startswith("USB VID:PID=2C7C:0125")
    assert ftdi.usb_interface_number == 0
    assert ftdi.driver == "ftdi_sio"
    assert "\x1b" not in ftdi.product
    assert "\x07" not in ftdi.product
    assert ftdi.product.startswith("FT232R USB UART")
    d = quectel.to_dict()
    assert d["vid"] == "2c7c"
    assert d["pid"] == "0125"
    assert d["usb_interface_number"] == 2


def test_port_verdicts_from_the_listing(fake_ports):
    uart, ftdi, quectel = serialprobe_list_ports(tty_root=fake_ports)
    assert port_verdict(uart) is None
    assert port_verdict(ftdi).kind == "not-modem"
    v = port_verdict(quectel)
    assert v.kind == "modem"
    assert v.reason.startswith("AT port of a Quectel EC25")


def test_portinfo_sorting_is_by_device_first():
    a = PortInfo("/dev/ttyACM0", vid=0xFFFF)
    b = PortInfo("/dev/ttyACM1", vid=0x0001)
    c = PortInfo("/dev/ttyUSB0")
    assert sorted([c, b, a]) == [a, b, c]
    with pytest.raises(AttributeError):
        a.device = "x"  # type: ignore[misc]
