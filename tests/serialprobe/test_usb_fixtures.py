"""Every USB fixture goes through the real pyusb code paths and gets the verdict its sources give."""

from __future__ import annotations

import pytest
import usb.core
import usb.util
from usb_backend import FIXTURE_DIR, FixtureBackend, fixture_paths, load_fixture

from serialprobe.enumerate.usb import device_from_fixture, list_usb
from serialprobe.enumerate.verdict import verdict

PATHS = fixture_paths()
MODEM_FIXTURES = {"quectel_ec25", "sierra_em7455", "huawei_e3372_cdrom", "simcom_sim7600", "telit_le910c1"}


def test_fixture_set_covers_the_brief():
    names = {p.name.split(".")[0] for p in PATHS}
    assert MODEM_FIXTURES | {"huawei_e3372_hilink", "ublox_sara_r410m"} <= names
    assert {"ftdi_ft232r", "wch_ch340", "linux_ehci_root_hub", "razer_keyboard", "hostile_strings"} <= names


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_fixture_cites_its_source(path):
    doc = load_fixture(path)
    assert doc["source"]
    assert all(len(s) > 10 for s in doc["source"])
    assert doc.get("provenance")
    assert doc["expected"]["kind"] in ("modem", "possible-modem", "not-modem")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_fixture_verdict_and_roles_through_pyusb(path):
    doc = load_fixture(path)
    backend = FixtureBackend.from_paths([path])
    devices = list_usb(backend=backend)
    assert len(devices) == 1
    device = devices[0]
    assert device.id == (
        f"{int(str(doc['device']['idVendor']), 0):04x}:{int(str(doc['device']['idProduct']), 0):04x}"
    )
    v = verdict(device)
    expected = doc["expected"]
    assert v.kind == expected["kind"], v.reason
    got = {str(k): str(r) for k, r in v.roles.items()}
    for number, role in expected["roles"].items():
        assert got.get(number) == role, (number, got)
    if "model_contains" in expected:
        assert v.model is not None
        assert expected["model_contains"] in v.model
    if "reason_contains" in expected:
        assert expected["reason_contains"] in v.reason
    # every handle pyusb opened was closed again
    assert backend.opened == backend.closed


def test_pyusb_find_sees_every_fixture_with_descriptors():
    backend = FixtureBackend.from_dir()
    found = list(usb.core.find(find_all=True, backend=backend))
    assert len(found) == len(PATHS)
    ec25 = usb.core.find(backend=backend, idVendor=0x2C7C, idProduct=0x0125)
    assert ec25 is not None
    cfg = ec25[0]
    assert cfg.bNumInterfaces == 5
    qmi = cfg[(4, 0)]
    assert (qmi.bInterfaceClass, qmi.bInterfaceSubClass, qmi.bInterfaceProtocol) == (0xFF, 0xFF, 0xFF)
    assert [usb.util.endpoint_type(ep.bmAttributes) for ep in qmi] == [
        usb.util.ENDPOINT_TYPE_INTR,
        usb.util.ENDPOINT_TYPE_BULK,
        usb.util.ENDPOINT_TYPE_BULK,
    ]
    sierra = usb.core.find(backend=backend, idVendor=0x1199)
    assert usb.util.get_string(sierra, sierra.iProduct) == "EM7455"
    usb.util.dispose_resources(sierra)


def test_pyusb_path_equals_direct_fixture_reading():
    """Descriptors read through pyusb equal the fixture content read directly.

    (The hostile fixture is left out: a USB string descriptor cannot carry its 10 KB string.)
    """
    for path in PATHS:
        if path.name == "hostile_strings.json":
            continue
        via_pyusb = list_usb(backend=FixtureBackend.from_paths([path]))[0]
        direct = device_from_fixture(load_fixture(path)["device"])
        assert via_pyusb.vid == direct.vid
        assert via_pyusb.pid == direct.pid
        assert via_pyusb.manufacturer == direct.manufacturer
        assert via_pyusb.product == direct.product
        assert via_pyusb.serial_number == direct.serial_number
        strip = [
            [(i.number, i.alternate, i.triple, i.endpoints) for i in c.interfaces]
            for c in direct.configurations
        ]
        got = [
            [(i.number, i.alternate, i.triple, i.endpoints) for i in c.interfaces]
            for c in via_pyusb.configurations
        ]
        assert got == strip, path.name


def test_unreadable_strings_are_none():
    # the EC25 declares string indices 1 and 2 but they cannot be read (stall), like the EC21 dump
    device = list_usb(backend=FixtureBackend.from_paths([FIXTURE_DIR / "quectel_ec25.json"]))[0]
    assert device.manufacturer is None
    assert device.product is None
    assert device.serial_number is None


def test_access_denied_keeps_descriptors_and_drops_strings():
    backend = FixtureBackend.from_paths([FIXTURE_DIR / "sierra_em7455.json"], deny_open=True)
    device = list_usb(backend=backend)[0]
    assert device.product is None
    assert device.manufacturer is None
    assert verdict(device).kind == "modem"
    assert [i.number for i in device.interfaces()] == [0, 2, 3, 8]


def test_mbim_data_interface_keeps_alternate_setting_endpoints():
    device = list_usb(backend=FixtureBackend.from_paths([FIXTURE_DIR / "fibocom_l850gl.usbdevices.txt"]))[0]
    data = {i.number: i for i in device.interfaces()}[1]
    assert data.alternate == 0
    assert len(data.endpoints) == 2
    assert device.to_dict()["configurations"][0]["interfaces"][1]["class"] == "0a"
