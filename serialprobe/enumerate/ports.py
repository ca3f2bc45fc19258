"""Serial ports through pyserial, with the USB identity, kernel driver and USB interface number."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from serialprobe.sanitize import field_text

__all__ = ["PortInfo", "list_ports"]

_MAX_CHARS = 128
_LOCATION_RE = re.compile(r":(\d+)\.(\d+)$")


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = field_text(str(value), max_chars=_MAX_CHARS)
    return text or None


@dataclass(frozen=True, order=True)
class PortInfo:
    """One serial port (sorted by device path first).

    Attributes
    ----------
    device : str
        Device path, e.g. ``/dev/ttyUSB2``.
    name : str or None
        Short name (``ttyUSB2``).
    description, hwid : str or None
        pyserial's description and hardware ID text.
    vid, pid : int or None
        USB IDs (None for non-USB ports).
    serial_number, manufacturer, product, interface : str or None
        USB strings (sanitized).
    location : str or None
        USB location such as ``1-1.4:1.2``.
    driver : str or None
        Kernel driver (Linux sysfs), e.g. ``option``, ``cdc_acm``, ``ftdi_sio``, ``serial8250``.
    usb_interface_number : int or None
        bInterfaceNumber of the USB interface the port belongs to.
    """

    device: str
    name: str | None = field(default=None, compare=True)
    description: str | None = None
    hwid: str | None = None
    vid: int | None = None
    pid: int | None = None
    serial_number: str | None = None
    manufacturer: str | None = None
    product: str | None = None
    interface: str | None = None
    location: str | None = None
    driver: str | None = None
    usb_interface_number: int | None = None

    @property
    def is_usb(self) -> bool:
        """Whether the port has a USB identity."""
        return self.vid is not None and self.pid is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (IDs as 4-digit hex strings)."""
        d = asdict(self)
        d["vid"] = None if self.vid is None else f"{self.vid:04x}"
        d["pid"] = None if self.pid is None else f"{self.pid:04x}"
        return d


def _sysfs_driver(name: str, tty_root: Path) -> str | None:
    try:
        return os.path.basename(os.readlink(tty_root / name / "device" / "driver"))
    except OSError:
        return None


def _sysfs_interface_number(name: str, tty_root: Path) -> int | None:
    device = tty_root / name / "device"
    for candidate in (device / "bInterfaceNumber", device.parent / "bInterfaceNumber"):
        try:
            return int(candidate.read_text(encoding="ascii")[:8].strip(), 16)
        except (OSError, ValueError):
            continue
    # ttyUSB: device -> .../1-1:1.2/ttyUSB0; the interface is the resolved parent
    try:
        resolved = device.resolve(strict=True)
        return int((resolved.parent / "bInterfaceNumber").read_text(encoding="ascii")[:8].strip(), 16)
    except (OSError, ValueError):
        return None


def _interface_from_location(location: str | None) -> int | None:
    if not location:
        return None
    m = _LOCATION_RE.search(location)
    return int(m.group(2)) if m else None


def list_ports(
    *, include_links: bool = False, tty_root: str | os.PathLike[str] = "/sys/class/tty"
) -> list[PortInfo]:
    """List serial ports through ``serial.tools.list_ports.comports``.

    Parameters
    ----------
    include_links : bool
        Also list symlinks (``/dev/serial/by-id/...``).
    tty_root : str or path-like
        sysfs tty class directory used for the driver and interface number (Linux, best effort).

    Returns
    -------
    list of PortInfo
        Sorted by device path.
    """
    from serial.tools import list_ports as serial_list_ports

    root = Path(tty_root)
    ports = []
    for p in serial_list_ports.comports(include_links=include_links):
        name = p.name or os.path.basename(p.device)
        location = _clean(p.location)
        number = _interface_from_location(p.location)
        if number is None and p.vid is not None:
            number = _sysfs_interface_number(name, root)
        ports.append(
            PortInfo(
                device=str(p.device),
                name=_clean(name),
                description=_clean(p.description),
                hwid=_clean(p.hwid),
                vid=p.vid,
                pid=p.pid,
                serial_number=_clean(p.serial_number),
                manufacturer=_clean(p.manufacturer),
                product=_clean(p.product),
                interface=_clean(p.interface),
                location=location,
                driver=_sysfs_driver(name, root),
                usb_interface_number=number,
            )
        )
    return sorted(ports)
