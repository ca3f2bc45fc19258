"""sysfs reader on a fake /sys/bus/usb/devices tree, and its merge into the pyusb listing."""

from __future__ import annotations

import os
from pathlib import Path

from usb_backend import FIXTURE_DIR, FixtureBackend

from serialprobe.enumerate.modemdb import Role
from serialprobe.enumerate.usb import list_usb, list_usb_sysfs
from serialprobe.enumerate.verdict import verdict


def _write(path: Path, values: dict[str, str]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    for name, value in values.items():
        (path / name).write_text(value + "\n", encoding="utf-8")


def make_ec25_tree(root: Path) -> Path:
    """A fake sysfs tree: a root hub and a Quectel EC25 on bus 1, address 3, port 1-1.2."""
    drivers = root / "drivers"
    for name in ("option", "qmi_wwan", "hub"):
        (drivers / name).mkdir(parents=True)
    devices = root / "devices"
    _write(
        devices / "usb1",
        {
            "idVendor": "1d6b",
            "idProduct": "0002",
            "busnum": "1",
            "devnum": "1",
            "bDeviceClass": "09",
            "product": "EHCI Host Controller",
            "version": " 2.00",
        },
    )
    _write(
        devices / "1-0:1.0",
        {
            "bInterfaceNumber": "00",
            "bInterfaceClass": "09",
            "bInterfaceSubClass": "00",
            "bInterfaceProtocol": "00",
            "bNumEndpoints": "01",
            "bAlternateSetting": " 0",
        },
    )
    os.symlink(drivers / "hub", devices / "1-0:1.0" / "driver")
    _write(
        devices / "1-1.2",
        {
            "idVendor": "2c7c",
            "idProduct": "0125",
            "busnum": "1",
            "devnum": "3",
            "manufacturer": "Quectel",
            "product": "EC25",
            "serial": "0123456789ABCDEF",
            "bDeviceClass": "00",
            "bcdDevice": "0318",
            "version": " 2.00",
            "bConfigurationValue": "1",
        },
    )
    layout = [
        (0, "ff", "ff", "ff", 2, "option"),
        (1, "ff", "00", "00", 3, "option"),
        (2, "ff", "00", "00", 3, "option"),
        (3, "ff", "00", "00", 3, "option"),
        (4, "ff", "ff", "ff", 3, "qmi_wwan"),
    ]
    for number, cls, sub, proto, neps, driver in layout:
        intf = devices / f"1-1.2:1.{number}"
        _write(
            intf,
            {
                "bInterfaceNumber": f"{number:02x}",
                "bInterfaceClass": cls,
                "bInterfaceSubClass": sub,
                "bInterfaceProtocol": proto,
                "bNumEndpoints": f"{neps:02x}",
                "bAlternateSetting": " 0",
            },
        )
        os.symlink(drivers / driver, intf / "driver")
        eps = (
            [("83", "03"), ("82", "02"), ("02", "02")][-neps:]
            if neps == 2
            else [("83", "03"), ("82", "02"), ("02", "02")]
        )
        for addr, attr in eps:
            _write(
                intf / f"ep_{addr}",
                {"bEndpointAddress": addr, "bmAttributes": attr, "wMaxPacketSize": "0200", "bInterval": "09"},
            )
    return devices


def test_sysfs_reader_on_fake_tree(tmp_path):
    devices = list_usb_sysfs(make_ec25_tree(tmp_path))
    assert [d.id for d in devices] == ["1d6b:0002", "2c7c:0125"]
    hub, ec25 = devices
    assert hub.port_path == "usb1"
    assert hub.interfaces()[0].driver == "hub"
    assert (ec25.bus, ec25.address, ec25.port_path) == (1, 3, "1-1.2")
    assert (ec25.manufacturer, ec25.product, ec25.serial_number) == ("Quectel", "EC25", "0123456789ABCDEF")
    assert ec25.bcd_usb == 0x0200
    assert ec25.bcd_device == 0x0318
    intfs = ec25.interfaces()
    assert [i.number for i in intfs] == [0, 1, 2, 3, 4]
    assert [i.driver for i in intfs] == ["option"] * 4 + ["qmi_wwan"]
    assert intfs[4].has_interrupt_in
    assert len(intfs[4].endpoints) == 3
    assert not intfs[0].has_interrupt_in
    assert len(intfs[0].endpoints) == 2
    v = verdict(ec25)
    assert v.kind == "modem"
    assert v.roles == {0: Role.DIAG, 1: Role.NMEA, 2: Role.AT, 3: Role.AT, 4: Role.QMI}


def test_sysfs_fills_strings_and_drivers_pyusb_could_not_read(tmp_path):
    root = make_ec25_tree(tmp_path)
    backend = FixtureBackend.from_paths([FIXTURE_DIR / "quectel_ec25.json"])  # bus 1, address 3
    [device] = list_usb(backend=backend, sysfs_root=root)
    assert device.product == "EC25"
    assert device.manufacturer == "Quectel"
    assert device.port_path == "1-1.2"
    assert {i.number: i.driver for i in device.interfaces()} == {
        0: "option",
        1: "option",
        2: "option",
        3: "option",
        4: "qmi_wwan",
    }


def test_missing_sysfs_root_gives_nothing(tmp_path):
    assert list_usb_sysfs(tmp_path / "absent") == []
