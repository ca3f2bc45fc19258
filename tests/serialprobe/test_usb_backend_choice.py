"""Backend selection: system libusb-1.0 first, libusb-package second, UsbError when neither."""

from __future__ import annotations

import libusb_package
import pytest
import usb.backend.libusb1

from serialprobe.enumerate.usb import get_backend, list_usb
from serialprobe.enumerate.verdict import verdict


def test_falls_back_to_libusb_package(monkeypatch):
    sentinel = object()
    monkeypatch.setattr(usb.backend.libusb1, "get_backend", lambda *a, **k: None)
    monkeypatch.setattr(libusb_package, "get_libusb1_backend", lambda *a, **k: sentinel)
    assert get_backend() is sentinel


def test_system_libusb_preferred(monkeypatch):
    system = object()
    monkeypatch.setattr(usb.backend.libusb1, "get_backend", lambda *a, **k: system)
    monkeypatch.setattr(libusb_package, "get_libusb1_backend", lambda *a, **k: pytest.fail("not needed"))
    assert get_backend() is system


@pytest.mark.hardware("usb")
def test_real_bus_lists_devices_with_verdicts():
    for device in list_usb():
        assert verdict(device).kind in ("modem", "possible-modem", "not-modem")
