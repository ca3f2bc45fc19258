"""A pyusb backend that serves USB descriptor fixtures (``fixtures/usb``) to the real pyusb code.

``usb.core.find(find_all=True, backend=FixtureBackend.from_dir(...))`` builds real
``usb.core.Device`` objects; descriptors come from the fixture dicts, string descriptors are
answered to GET_DESCRIPTOR control requests exactly as a device would (bLength byte, UTF-16LE,
truncated to the requested wLength). A string index missing from the fixture stalls (USBError).

CLI hook: ``SERIALPROBE_USB_BACKEND=usb_backend:backend_from_env`` with
``SERIALPROBE_USB_FIXTURES`` naming the fixture directory (or files, ``os.pathsep``-separated).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import usb.backend
import usb.core

from serialprobe.enumerate.usb import fixture_number, parse_usb_devices

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "usb"

_GET_DESCRIPTOR = 0x06
_DT_STRING = 0x03
_LANGID_EN_US = 0x0409


def load_fixture(path: Path) -> dict[str, Any]:
    """Load one fixture file: ``{title, source, provenance, expected, device}``."""
    if path.suffix == ".json":
        doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        doc["path"] = str(path)
        return doc
    text = path.read_text(encoding="utf-8")
    meta: dict[str, Any] = {"source": [], "path": str(path)}
    for line in text.splitlines():
        m = re.match(r"^#\s*(title|source|provenance|expected):\s*(.*)$", line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if key == "source":
            meta["source"].append(value)
        elif key == "expected":
            meta["expected"] = json.loads(value)
        else:
            meta[key] = value
    devices = parse_usb_devices(text)
    if len(devices) != 1:
        raise ValueError(f"{path}: expected one device, got {len(devices)}")
    meta["device"] = devices[0]
    return meta


def fixture_paths(directory: Path = FIXTURE_DIR) -> list[Path]:
    """Every device fixture of ``directory`` (JSON and usb-devices text)."""
    return sorted([*directory.glob("*.json"), *directory.glob("*.usbdevices.txt")])


class FixtureDevice:
    """The backend's device handle: one fixture's ``device`` dict."""

    def __init__(self, device: dict[str, Any], name: str = "") -> None:
        self.device = device
        self.name = name
        self.configs: list[list[list[dict[str, Any]]]] = []
        for cfg in device.get("configurations", []):
            by_number: dict[int, list[dict[str, Any]]] = {}
            for intf in cfg.get("interfaces", []):
                by_number.setdefault(fixture_number(intf["bInterfaceNumber"]), []).append(intf)
            self.configs.append(
                [
                    sorted(alts, key=lambda i: fixture_number(i.get("bAlternateSetting", 0)))
                    for _, alts in sorted(by_number.items())
                ]
            )

    def __repr__(self) -> str:
        return f"<FixtureDevice {self.name}>"


class FixtureBackend(usb.backend.IBackend):  # type: ignore[misc]
    """pyusb backend over fixture dicts; counts opens and closes for the tests."""

    def __init__(self, devices: Sequence[dict[str, Any]], *, deny_open: bool = False) -> None:
        self.devices = [FixtureDevice(d, str(d.get("idVendor"))) for d in devices]
        self.deny_open = deny_open
        self.opened = 0
        self.closed = 0
        self.string_requests: list[tuple[int, int]] = []

    @classmethod
    def from_paths(cls, paths: Sequence[Path], **kwargs: Any) -> FixtureBackend:
        """Backend serving the fixture files ``paths``."""
        return cls([load_fixture(p)["device"] for p in paths], **kwargs)

    @classmethod
    def from_dir(cls, directory: Path = FIXTURE_DIR, **kwargs: Any) -> FixtureBackend:
        """Backend serving every fixture of ``directory``."""
        return cls.from_paths(fixture_paths(directory), **kwargs)

    # -- enumeration and descriptors
    def enumerate_devices(self) -> Iterator[FixtureDevice]:
        yield from self.devices

    def get_parent(self, dev: FixtureDevice) -> None:
        return None

    def get_device_descriptor(self, dev: FixtureDevice) -> SimpleNamespace:
        d = dev.device
        ports = tuple(d.get("port_numbers", ()))
        return SimpleNamespace(
            bLength=18,
            bDescriptorType=1,
            bcdUSB=fixture_number(d.get("bcdUSB", 0x0200)),
            bDeviceClass=fixture_number(d.get("bDeviceClass", 0)),
            bDeviceSubClass=fixture_number(d.get("bDeviceSubClass", 0)),
            bDeviceProtocol=fixture_number(d.get("bDeviceProtocol", 0)),
            bMaxPacketSize0=fixture_number(d.get("bMaxPacketSize0", 64)),
            idVendor=fixture_number(d["idVendor"]),
            idProduct=fixture_number(d["idProduct"]),
            bcdDevice=fixture_number(d.get("bcdDevice", 0)),
            iManufacturer=fixture_number(d.get("iManufacturer", 0)),
            iProduct=fixture_number(d.get("iProduct", 0)),
            iSerialNumber=fixture_number(d.get("iSerialNumber", 0)),
            bNumConfigurations=len(dev.configs),
            address=d.get("address"),
            bus=d.get("bus"),
            port_number=ports[-1] if ports else None,
            port_numbers=ports or None,
            speed=None,
        )

    def get_configuration_descriptor(self, dev: FixtureDevice, config: int) -> SimpleNamespace:
        if config >= len(dev.configs):
            raise IndexError("no such configuration")
        cfg = dev.device["configurations"][config]
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=2,
            wTotalLength=9 + 9 * sum(len(a) for a in dev.configs[config]),
            bNumInterfaces=len(dev.configs[config]),
            bConfigurationValue=fixture_number(cfg.get("bConfigurationValue", config + 1)),
            iConfiguration=0,
            bmAttributes=fixture_number(cfg.get("bmAttributes", 0x80)),
            bMaxPower=fixture_number(cfg.get("bMaxPower", 250)),
            extra_descriptors=[],
        )

    def _intf(self, dev: FixtureDevice, intf: int, alt: int, config: int) -> dict[str, Any]:
        try:
            return dev.configs[config][intf][alt]
        except IndexError:
            raise IndexError("no such interface/alternate setting") from None

    def get_interface_descriptor(
        self, dev: FixtureDevice, intf: int, alt: int, config: int
    ) -> SimpleNamespace:
        i = self._intf(dev, intf, alt, config)
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=4,
            bInterfaceNumber=fixture_number(i["bInterfaceNumber"]),
            bAlternateSetting=fixture_number(i.get("bAlternateSetting", 0)),
            bNumEndpoints=len(i.get("endpoints", [])),
            bInterfaceClass=fixture_number(i["bInterfaceClass"]),
            bInterfaceSubClass=fixture_number(i.get("bInterfaceSubClass", 0)),
            bInterfaceProtocol=fixture_number(i.get("bInterfaceProtocol", 0)),
            iInterface=fixture_number(i.get("iInterface", 0)),
            extra_descriptors=[],
        )

    def get_endpoint_descriptor(
        self, dev: FixtureDevice, ep: int, intf: int, alt: int, config: int
    ) -> SimpleNamespace:
        eps = self._intf(dev, intf, alt, config).get("endpoints", [])
        if ep >= len(eps):
            raise IndexError("no such endpoint")
        e = eps[ep]
        return SimpleNamespace(
            bLength=7,
            bDescriptorType=5,
            bEndpointAddress=fixture_number(e["bEndpointAddress"]),
            bmAttributes=fixture_number(e["bmAttributes"]),
            wMaxPacketSize=fixture_number(e.get("wMaxPacketSize", 64)),
            bInterval=fixture_number(e.get("bInterval", 0)),
            bRefresh=0,
            bSynchAddress=0,
            extra_descriptors=[],
        )

    # -- handles and control transfers
    def open_device(self, dev: FixtureDevice) -> FixtureDevice:
        if self.deny_open:
            raise usb.core.USBError("Access denied (insufficient permissions)", errno=13)
        self.opened += 1
        return dev

    def close_device(self, dev_handle: FixtureDevice) -> None:
        self.closed += 1

    def get_configuration(self, dev_handle: FixtureDevice) -> int:
        return 1

    def ctrl_transfer(
        self,
        dev_handle: FixtureDevice,
        request_type: int,
        request: int,
        value: int,
        index: int,
        data: Any,
        timeout: int,
    ) -> int:
        if request_type != 0x80 or request != _GET_DESCRIPTOR or (value >> 8) != _DT_STRING:
            raise usb.core.USBError("Pipe error (request not supported by the fixture)", errno=32)
        string_index = value & 0xFF
        self.string_requests.append((string_index, len(data)))
        if string_index == 0:
            payload = _LANGID_EN_US.to_bytes(2, "little")
        else:
            text = dev_handle.device.get("strings", {}).get(str(string_index))
            if text is None:
                raise usb.core.USBError("Pipe error (string index not readable)", errno=32)
            payload = text.encode("utf-16-le", errors="surrogatepass")
        descriptor = bytes([min(255, 2 + len(payload)), _DT_STRING]) + payload
        n = min(len(data), len(descriptor))
        for k in range(n):
            data[k] = descriptor[k]
        return n


def backend_from_env() -> FixtureBackend:
    """Backend for the CLI hook: fixtures from ``$SERIALPROBE_USB_FIXTURES`` (dir or files)."""
    spec = os.environ.get("SERIALPROBE_USB_FIXTURES", str(FIXTURE_DIR))
    paths: list[Path] = []
    for part in spec.split(os.pathsep):
        p = Path(part)
        paths.extend(fixture_paths(p) if p.is_dir() else [p])
    return FixtureBackend.from_paths(paths)
