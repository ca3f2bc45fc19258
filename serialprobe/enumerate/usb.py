"""USB devices: descriptors through pyusb, strings and drivers through Linux sysfs, interface roles.

Every string a device provides (manufacturer, product, serial, interface names) is untrusted: it is
read with a bounded length and a timeout and passed through :func:`serialprobe.sanitize.field_text`.

pyusb and libusb are imported inside :func:`list_usb`; importing this module needs neither.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from serialprobe.enumerate.modemdb import ModemDB, Role, load_modem_db
from serialprobe.enumerate.usbids import product_name, vendor_name
from serialprobe.errors import UsbError
from serialprobe.sanitize import field_text

__all__ = [
    "MAX_STRING_CHARS",
    "STRING_TIMEOUT_MS",
    "UsbConfiguration",
    "UsbDevice",
    "UsbEndpoint",
    "UsbInterface",
    "assign_roles",
    "device_from_fixture",
    "fixture_number",
    "get_backend",
    "interface_role",
    "list_usb",
    "list_usb_sysfs",
    "parse_lsusb_verbose",
    "parse_usb_devices",
]

#: Bound on the characters kept of one device-provided string.
MAX_STRING_CHARS = 128
#: Timeout of one string-descriptor request.
STRING_TIMEOUT_MS = 500
#: Bound on the bytes read from one sysfs attribute file.
_SYSFS_MAX_BYTES = 4096

_TRANSFER = ("control", "isochronous", "bulk", "interrupt")


def _clean(value: bytes | str | None) -> str | None:
    """Sanitize one device-provided string; empty results become ``None``."""
    if value is None:
        return None
    text = field_text(value, max_chars=MAX_STRING_CHARS)
    return text or None


@dataclass(frozen=True)
class UsbEndpoint:
    """One endpoint descriptor."""

    address: int
    attributes: int
    max_packet_size: int
    interval: int = 0

    @property
    def direction_in(self) -> bool:
        """Whether the endpoint is device-to-host."""
        return bool(self.address & 0x80)

    @property
    def transfer_type(self) -> str:
        """``control``, ``isochronous``, ``bulk`` or ``interrupt``."""
        return _TRANSFER[self.attributes & 0x03]


@dataclass(frozen=True)
class UsbInterface:
    """One interface (alternate setting) descriptor, its kernel driver and its role for a modem."""

    number: int
    alternate: int
    cls: int
    subclass: int
    protocol: int
    num_endpoints: int
    endpoints: tuple[UsbEndpoint, ...] = ()
    name: str | None = None
    driver: str | None = None
    role: Role = Role.UNKNOWN

    @property
    def triple(self) -> str:
        """Class/subclass/protocol as ``ff/ff/ff``."""
        return f"{self.cls:02x}/{self.subclass:02x}/{self.protocol:02x}"

    @property
    def has_interrupt_in(self) -> bool:
        """Whether one endpoint is an interrupt IN endpoint."""
        return any(ep.transfer_type == "interrupt" and ep.direction_in for ep in self.endpoints)


@dataclass(frozen=True)
class UsbConfiguration:
    """One configuration and its interfaces (all alternate settings)."""

    value: int
    interfaces: tuple[UsbInterface, ...] = ()


@dataclass(frozen=True)
class UsbDevice:
    """One USB device: identity, sanitized strings, usb.ids names, configurations.

    Attributes
    ----------
    vid, pid : int
        Vendor and product IDs.
    bus, address : int or None
        Bus number and device address.
    port_path : str or None
        Port chain such as ``1-1.4`` (sysfs name).
    manufacturer, product, serial_number : str or None
        Sanitized string descriptors (``None`` when unreadable, e.g. without permission).
    vendor_name, product_name : str or None
        Names from usb.ids.
    """

    vid: int
    pid: int
    bus: int | None = None
    address: int | None = None
    port_path: str | None = None
    device_class: int = 0
    device_subclass: int = 0
    device_protocol: int = 0
    bcd_usb: int = 0
    bcd_device: int = 0
    manufacturer: str | None = None
    product: str | None = None
    serial_number: str | None = None
    vendor_name: str | None = None
    product_name: str | None = None
    configurations: tuple[UsbConfiguration, ...] = ()
    active_configuration: int | None = None
    sysfs_path: str | None = None

    @property
    def id(self) -> str:
        """``vvvv:pppp``."""
        return f"{self.vid:04x}:{self.pid:04x}"

    def interfaces(self) -> tuple[UsbInterface, ...]:
        """Interfaces (alternate setting 0, or the only one listed) of the active/first configuration."""
        if not self.configurations:
            return ()
        config = self.configurations[0]
        if self.active_configuration is not None:
            for c in self.configurations:
                if c.value == self.active_configuration:
                    config = c
        chosen: dict[int, UsbInterface] = {}
        for intf in config.interfaces:
            if intf.number not in chosen or intf.alternate < chosen[intf.number].alternate:
                chosen[intf.number] = intf
        # MBIM/NCM data interfaces carry their endpoints in alternate setting 1: keep the richer one
        for intf in config.interfaces:
            base = chosen[intf.number]
            if intf.alternate != base.alternate and not base.endpoints and intf.endpoints:
                chosen[intf.number] = replace(
                    base, endpoints=intf.endpoints, num_endpoints=intf.num_endpoints
                )
        return tuple(chosen[n] for n in sorted(chosen))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (IDs as 4-digit hex strings, roles as strings)."""
        d = asdict(self)
        d["vid"] = f"{self.vid:04x}"
        d["pid"] = f"{self.pid:04x}"
        d["id"] = self.id
        for c in d["configurations"]:
            for i in c["interfaces"]:
                i["role"] = str(i["role"])
                i["class"] = f"{i.pop('cls'):02x}"
                i["subclass"] = f"{i['subclass']:02x}"
                i["protocol"] = f"{i['protocol']:02x}"
        return d


# --------------------------------------------------------------------------- interface roles
_RNDIS_TRIPLES = {(0xE0, 0x01, 0x03), (0xEF, 0x04, 0x01), (0x02, 0x02, 0xFF)}


def interface_role(
    cls: int,
    sub: int,
    proto: int,
    vid: int,
    pid: int,
    number: int,
    db: ModemDB | None = None,
    *,
    num_endpoints: int | None = None,
    has_interrupt: bool | None = None,
) -> Role:
    """Return what one interface means for a modem.

    The database layout of ``vid:pid`` wins (ModemManager's port types, the Linux drivers'
    interface maps); then a vendor's class-triple rules (Huawei); then the USB class codes:
    CDC-ACM 02/02 (protocols 01-06 declare AT commands), CDC-ECM 02/06, CDC-NCM 02/0d,
    MBIM 02/0e and 0a/00/02, RNDIS e0/01/03, ef/04/01 and 02/02/ff, mass storage 08 (a modem's
    virtual CD-ROM when the ID is a usb_modeswitch pre-switch ID), hub 09, HID 03, ADB ff/42/01,
    and vendor-specific ff/ff/ff with three endpoints including an interrupt IN (the QMI/rmnet
    shape of Qualcomm layouts).

    Parameters
    ----------
    cls, sub, proto : int
        Interface class, subclass, protocol.
    vid, pid : int
        Device IDs.
    number : int
        bInterfaceNumber.
    db : ModemDB, optional
        Modem database; default :func:`load_modem_db`.
    num_endpoints : int, optional
        bNumEndpoints (used for the QMI shape).
    has_interrupt : bool, optional
        Whether the interface has an interrupt IN endpoint.

    Returns
    -------
    Role
        The role.
    """
    db = db if db is not None else load_modem_db()
    entry = db.lookup(vid, pid)
    from_db = entry.interfaces.get(number) if entry is not None else None
    if from_db is not None and from_db is not Role.RESERVED:
        return from_db
    by_vendor = db.vendor_rule(vid, cls, sub, proto)
    if by_vendor is not None:
        return by_vendor
    by_class = _class_role(cls, sub, proto, vid, pid, db, num_endpoints, has_interrupt)
    if from_db is Role.RESERVED and by_class in (Role.VENDOR, Role.UNKNOWN, Role.OTHER):
        return Role.RESERVED
    return by_class


def _class_role(
    cls: int,
    sub: int,
    proto: int,
    vid: int,
    pid: int,
    db: ModemDB,
    num_endpoints: int | None,
    has_interrupt: bool | None,
) -> Role:
    triple = (cls, sub, proto)
    if triple in _RNDIS_TRIPLES:
        return Role.RNDIS
    if cls == 0x02:
        if sub == 0x02:
            return Role.AT if 0x01 <= proto <= 0x06 else Role.CDC_ACM
        if sub == 0x06:
            return Role.ECM
        if sub == 0x0D:
            return Role.NCM
        if sub == 0x0E:
            return Role.MBIM
        return Role.OTHER
    if cls == 0x0A:
        return Role.MBIM if proto == 0x02 else Role.CDC_DATA
    if cls == 0x08:
        return Role.MODESWITCH_CDROM if (vid, pid) in db.modeswitch else Role.MASS_STORAGE
    if cls == 0x09:
        return Role.HUB
    if cls == 0x03:
        return Role.HID
    if cls == 0x01:
        return Role.OTHER
    if cls == 0xFF:
        if sub == 0x42 and proto == 0x01:
            return Role.ADB
        if sub == 0xFF and proto == 0xFF and num_endpoints == 3 and has_interrupt:
            return Role.QMI
        return Role.VENDOR
    return Role.OTHER


def assign_roles(device: UsbDevice, db: ModemDB | None = None) -> UsbDevice:
    """Return ``device`` with every interface's :attr:`UsbInterface.role` filled in."""
    db = db if db is not None else load_modem_db()
    configs = []
    for config in device.configurations:
        intfs = tuple(
            replace(
                i,
                role=interface_role(
                    i.cls,
                    i.subclass,
                    i.protocol,
                    device.vid,
                    device.pid,
                    i.number,
                    db,
                    num_endpoints=i.num_endpoints,
                    has_interrupt=i.has_interrupt_in,
                ),
            )
            for i in config.interfaces
        )
        configs.append(replace(config, interfaces=intfs))
    return replace(device, configurations=tuple(configs))


def _with_names(device: UsbDevice) -> UsbDevice:
    return replace(
        device,
        vendor_name=vendor_name(device.vid),
        product_name=product_name(device.vid, device.pid),
    )


# --------------------------------------------------------------------------- sysfs
def _read_attr(path: Path) -> str | None:
    """Read one sysfs attribute, bounded, or ``None``."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(_SYSFS_MAX_BYTES + 1)
    except OSError:
        return None
    return data.decode("utf-8", errors="replace").rstrip("\n")


def _read_hex(path: Path) -> int | None:
    text = _read_attr(path)
    if text is None:
        return None
    try:
        return int(text.strip(), 16)
    except ValueError:
        return None


def _read_int(path: Path) -> int | None:
    text = _read_attr(path)
    if text is None:
        return None
    try:
        return int(text.strip(), 10)
    except ValueError:
        return None


def _read_bcd(path: Path) -> int:
    text = _read_attr(path)
    if text is None:
        return 0
    text = text.strip()
    if "." in text:  # "2.00" in the `version` attribute
        major, _, minor = text.partition(".")
        try:
            return (int(major) << 8) | int(minor[:2].ljust(2, "0"), 16)
        except ValueError:
            return 0
    try:
        return int(text, 16)
    except ValueError:
        return 0


def _driver(path: Path) -> str | None:
    try:
        return os.path.basename(os.readlink(path / "driver"))
    except OSError:
        return None


def _sysfs_endpoints(intf_dir: Path) -> tuple[UsbEndpoint, ...]:
    eps = []
    for ep_dir in sorted(intf_dir.glob("ep_*")):
        addr = _read_hex(ep_dir / "bEndpointAddress")
        attrs = _read_hex(ep_dir / "bmAttributes")
        if addr is None or attrs is None:
            continue
        eps.append(
            UsbEndpoint(
                address=addr,
                attributes=attrs,
                max_packet_size=_read_hex(ep_dir / "wMaxPacketSize") or 0,
                interval=_read_hex(ep_dir / "bInterval") or 0,
            )
        )
    return tuple(eps)


_DEV_NAME_RE = re.compile(r"^\d+-\d+(\.\d+)*$")
_INTF_NAME_RE = re.compile(r"^(\d+-\d+(?:\.\d+)*):(\d+)\.(\d+)$")


def list_usb_sysfs(root: str | os.PathLike[str] = "/sys/bus/usb/devices") -> list[UsbDevice]:
    """Read USB devices from Linux sysfs (no root needed for strings).

    Parameters
    ----------
    root : str or path-like
        The ``/sys/bus/usb/devices`` directory (or a fake tree with the same layout: device
        directories ``1-1.4`` with ``idVendor``, ``idProduct``, ``manufacturer``, ``product``,
        ``serial``, ``busnum``, ``devnum``, ``bDeviceClass`` ..., interface directories
        ``1-1.4:1.0`` with ``bInterfaceNumber``, ``bInterfaceClass`` ..., ``interface``,
        ``ep_XX/`` and a ``driver`` symlink). Root hubs (``usb1``) are included.

    Returns
    -------
    list of UsbDevice
        Devices sorted by bus and address, roles not yet assigned, names from usb.ids.
    """
    base = Path(root)
    if not base.is_dir():
        return []
    entries = sorted(p.name for p in base.iterdir())
    intfs_by_dev: dict[str, list[tuple[int, Path]]] = {}
    for name in entries:
        m = _INTF_NAME_RE.match(name)
        if m:
            intfs_by_dev.setdefault(m.group(1), []).append((int(m.group(2)), base / name))
        elif name.startswith("usb") and name[3:].isdigit():
            # root hub: its interfaces are named "1-0:1.0"
            pass
    devices: list[UsbDevice] = []
    for name in entries:
        is_root = name.startswith("usb") and name[3:].isdigit()
        if not (is_root or _DEV_NAME_RE.match(name)):
            continue
        d = base / name
        vid = _read_hex(d / "idVendor")
        pid = _read_hex(d / "idProduct")
        if vid is None or pid is None:
            continue
        key = f"{name[3:]}-0" if is_root else name
        configs: dict[int, list[UsbInterface]] = {}
        for cfg_value, intf_dir in intfs_by_dev.get(key, []):
            number = _read_hex(intf_dir / "bInterfaceNumber")
            cls = _read_hex(intf_dir / "bInterfaceClass")
            if number is None or cls is None:
                continue
            configs.setdefault(cfg_value, []).append(
                UsbInterface(
                    number=number,
                    alternate=_read_int(intf_dir / "bAlternateSetting") or 0,
                    cls=cls,
                    subclass=_read_hex(intf_dir / "bInterfaceSubClass") or 0,
                    protocol=_read_hex(intf_dir / "bInterfaceProtocol") or 0,
                    num_endpoints=_read_hex(intf_dir / "bNumEndpoints") or 0,
                    endpoints=_sysfs_endpoints(intf_dir),
                    name=_clean(_read_attr(intf_dir / "interface")),
                    driver=_driver(intf_dir),
                )
            )
        device = UsbDevice(
            vid=vid,
            pid=pid,
            bus=_read_int(d / "busnum"),
            address=_read_int(d / "devnum"),
            port_path=name,
            device_class=_read_hex(d / "bDeviceClass") or 0,
            device_subclass=_read_hex(d / "bDeviceSubClass") or 0,
            device_protocol=_read_hex(d / "bDeviceProtocol") or 0,
            bcd_usb=_read_bcd(d / "version"),
            bcd_device=_read_bcd(d / "bcdDevice"),
            manufacturer=_clean(_read_attr(d / "manufacturer")),
            product=_clean(_read_attr(d / "product")),
            serial_number=_clean(_read_attr(d / "serial")),
            configurations=tuple(
                UsbConfiguration(value=v, interfaces=tuple(sorted(i, key=lambda x: (x.number, x.alternate))))
                for v, i in sorted(configs.items())
            ),
            active_configuration=_read_int(d / "bConfigurationValue"),
            sysfs_path=str(d),
        )
        devices.append(_with_names(device))
    devices.sort(key=lambda x: (x.bus or 0, x.address or 0, x.port_path or ""))
    return devices


# --------------------------------------------------------------------------- pyusb
def get_backend() -> Any:
    """Return a pyusb libusb-1.0 backend: the system libusb, else the one of ``libusb-package``.

    Raises
    ------
    UsbError
        When pyusb is missing or no libusb-1.0 library can be loaded.
    """
    try:
        import usb.backend.libusb1 as libusb1
    except ImportError as err:
        raise UsbError("pyusb is not installed: pip install pyusb") from err
    backend = libusb1.get_backend()
    if backend is None:
        try:
            import libusb_package

            backend = libusb_package.get_libusb1_backend()
        except ImportError:
            backend = None
    if backend is None:
        raise UsbError(
            "no libusb-1.0 found for pyusb: install the system library (apt install libusb-1.0-0) "
            "or pip install libusb-package"
        )
    return backend


def _read_string(dev: Any, index: int) -> str | None:
    """Read one string descriptor with a bounded length; any failure gives ``None``."""
    if not index:
        return None
    try:
        import usb.control
        import usb.util

        langids = dev.langids
        if not langids:
            return None
        buf = usb.control.get_descriptor(dev, 254, usb.util.DESC_TYPE_STRING, index, langids[0])
        blen = min(len(buf), buf[0] if len(buf) else 0) & 0xFE
        raw = bytes(buf[2:blen])
    except Exception:  # no permission, stall, timeout, broken descriptor: no string
        return None
    return _clean(raw.decode("utf-16-le", errors="replace"))


def _pyusb_device(dev: Any) -> UsbDevice:
    """Build a :class:`UsbDevice` from a ``usb.core.Device`` (descriptors and strings)."""
    import usb.core
    import usb.util

    configs: list[UsbConfiguration] = []
    try:
        for cfg in dev:
            intfs: list[UsbInterface] = []
            for intf in cfg:
                eps = tuple(
                    UsbEndpoint(
                        address=int(ep.bEndpointAddress),
                        attributes=int(ep.bmAttributes),
                        max_packet_size=int(ep.wMaxPacketSize),
                        interval=int(ep.bInterval),
                    )
                    for ep in intf
                )
                intfs.append(
                    UsbInterface(
                        number=int(intf.bInterfaceNumber),
                        alternate=int(intf.bAlternateSetting),
                        cls=int(intf.bInterfaceClass),
                        subclass=int(intf.bInterfaceSubClass),
                        protocol=int(intf.bInterfaceProtocol),
                        num_endpoints=int(intf.bNumEndpoints),
                        endpoints=eps,
                        name=_read_string(dev, int(intf.iInterface)),
                    )
                )
            configs.append(UsbConfiguration(value=int(cfg.bConfigurationValue), interfaces=tuple(intfs)))
    except (usb.core.USBError, ValueError, IndexError):
        pass  # keep what could be read
    ports = getattr(dev, "port_numbers", None)
    port_path = None
    if dev.bus is not None and ports:
        port_path = f"{dev.bus}-" + ".".join(str(p) for p in ports)
    try:
        device = UsbDevice(
            vid=int(dev.idVendor),
            pid=int(dev.idProduct),
            bus=dev.bus,
            address=dev.address,
            port_path=port_path,
            device_class=int(dev.bDeviceClass),
            device_subclass=int(dev.bDeviceSubClass),
            device_protocol=int(dev.bDeviceProtocol),
            bcd_usb=int(dev.bcdUSB),
            bcd_device=int(dev.bcdDevice),
            manufacturer=_read_string(dev, int(dev.iManufacturer)),
            product=_read_string(dev, int(dev.iProduct)),
            serial_number=_read_string(dev, int(dev.iSerialNumber)),
            configurations=tuple(configs),
        )
    finally:
        with contextlib.suppress(Exception):  # releasing the handle of a vanished device
            usb.util.dispose_resources(dev)
    return device


def _merge(devices: list[UsbDevice], sysfs: Iterable[UsbDevice]) -> list[UsbDevice]:
    """Fill strings, drivers and the port path of pyusb devices from sysfs (matched by bus/address)."""
    by_addr: Mapping[tuple[int | None, int | None], UsbDevice] = {(s.bus, s.address): s for s in sysfs}
    merged = []
    for dev in devices:
        s = by_addr.get((dev.bus, dev.address))
        if s is None or (s.vid, s.pid) != (dev.vid, dev.pid):
            merged.append(dev)
            continue
        drivers = {(i.number, i.alternate): i.driver for c in s.configurations for i in c.interfaces}
        names = {(i.number, i.alternate): i.name for c in s.configurations for i in c.interfaces}
        configs = tuple(
            replace(
                c,
                interfaces=tuple(
                    replace(
                        i,
                        driver=i.driver or drivers.get((i.number, i.alternate)),
                        name=i.name or names.get((i.number, i.alternate)),
                    )
                    for i in c.interfaces
                ),
            )
            for c in dev.configurations
        )
        merged.append(
            replace(
                dev,
                manufacturer=dev.manufacturer or s.manufacturer,
                product=dev.product or s.product,
                serial_number=dev.serial_number or s.serial_number,
                port_path=s.port_path or dev.port_path,
                active_configuration=s.active_configuration,
                sysfs_path=s.sysfs_path,
                configurations=configs or s.configurations,
            )
        )
    return merged


def list_usb(
    *,
    backend: Any = None,
    sysfs_root: str | os.PathLike[str] | None = None,
    db: ModemDB | None = None,
) -> list[UsbDevice]:
    """List USB devices through pyusb, merged with Linux sysfs, with interface roles.

    Parameters
    ----------
    backend : pyusb backend, optional
        Default :func:`get_backend` (system libusb-1.0, else ``libusb-package``).
    sysfs_root : str or path-like, optional
        sysfs device directory to merge strings and drivers from; default
        ``/sys/bus/usb/devices`` on Linux when the default backend is used, none otherwise.
    db : ModemDB, optional
        Modem database for interface roles.

    Returns
    -------
    list of UsbDevice
        Devices sorted by bus and address, interface roles assigned.

    Raises
    ------
    UsbError
        No pyusb, no libusb, or enumeration refused.
    """
    try:
        import usb.core
    except ImportError as err:
        raise UsbError("pyusb is not installed: pip install pyusb") from err
    injected = backend is not None
    if backend is None:
        backend = get_backend()
    try:
        found = list(usb.core.find(find_all=True, backend=backend))
    except usb.core.NoBackendError as err:
        raise UsbError(
            "no libusb-1.0 backend for pyusb: apt install libusb-1.0-0 or pip install libusb-package"
        ) from err
    except usb.core.USBError as err:
        raise UsbError(
            f"USB enumeration failed ({err}); try again as root or check udev permissions"
        ) from err
    devices = [_pyusb_device(d) for d in found]
    if sysfs_root is None and not injected and sys.platform.startswith("linux"):
        sysfs_root = "/sys/bus/usb/devices"
    if sysfs_root is not None:
        devices = _merge(devices, list_usb_sysfs(sysfs_root))
    database = db if db is not None else load_modem_db()
    devices = [assign_roles(_with_names(d), database) for d in devices]
    devices.sort(key=lambda x: (x.bus or 0, x.address or 0))
    return devices


# --------------------------------------------------------------------------- text parsers
def _hexnum(text: str) -> int:
    text = text.strip()
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def parse_lsusb_verbose(text: str) -> list[dict[str, Any]]:
    """Parse ``lsusb -v`` output into fixture dicts (see ``fixtures/usb/README.md``).

    Parameters
    ----------
    text : str
        Output of ``lsusb -v`` (one or more devices).

    Returns
    -------
    list of dict
        One dict per device: ``device`` (idVendor, idProduct, bDeviceClass ..., strings by
        index), ``configurations`` with ``interfaces`` with ``endpoints``.
    """
    devices: list[dict[str, Any]] = []
    dev: dict[str, Any] | None = None
    cfg: dict[str, Any] | None = None
    intf: dict[str, Any] | None = None
    ep: dict[str, Any] | None = None
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        bus = re.match(r"^Bus (\d+) Device (\d+): ID ([0-9a-fA-F]{4}):([0-9a-fA-F]{4})", line)
        if bus:
            dev = {"bus": int(bus.group(1)), "address": int(bus.group(2))}
            dev.update(strings={}, configurations=[])
            devices.append(dev)
            cfg = intf = ep = None
            section = "device"
            continue
        if dev is None:
            continue
        if line.startswith("Device Descriptor:"):
            section = "device"
            continue
        if line.startswith("Configuration Descriptor:"):
            cfg = {"interfaces": []}
            dev["configurations"].append(cfg)
            section, intf, ep = "config", None, None
            continue
        if line.startswith("Interface Descriptor:") and cfg is not None:
            intf = {"endpoints": []}
            cfg["interfaces"].append(intf)
            section, ep = "interface", None
            continue
        if line.startswith("Endpoint Descriptor:") and intf is not None:
            ep = {}
            intf["endpoints"].append(ep)
            section = "endpoint"
            continue
        if line.endswith(":"):
            section = "other"  # class-specific descriptors, device qualifier, hub/status blocks
            continue
        m = re.match(r"^(bm?[A-Z]\w*|i[A-Z]\w*|id[A-Z]\w*|w[A-Z]\w*|bcd\w+)\s+(\S+)\s*(.*)$", line)
        if not m:
            continue
        key, value, rest = m.group(1), m.group(2), m.group(3)
        try:
            if key.startswith("bcd"):
                major, _, minor = value.partition(".")
                num = (int(major, 16) << 8) | int((minor or "0")[:2].ljust(2, "0"), 16)
            else:
                num = _hexnum(value)
        except ValueError:
            continue
        target = {"device": dev, "config": cfg, "interface": intf, "endpoint": ep}.get(section or "")
        if target is None:
            continue
        target[key] = num
        if key.startswith("i") and not key.startswith("id") and num and rest.strip():
            dev["strings"][str(num)] = rest.strip()
    return devices


_USBDEV_KV = re.compile(r"([A-Za-z#]+)=\s*([^\s]+)")


def parse_usb_devices(text: str) -> list[dict[str, Any]]:
    """Parse ``/sys/kernel/debug/usb/devices`` (or ``usb-devices``) text into fixture dicts.

    Parameters
    ----------
    text : str
        Lines ``T:``, ``D:``, ``P:``, ``S:``, ``C:``, ``I:``, ``E:``.

    Returns
    -------
    list of dict
        Same shape as :func:`parse_lsusb_verbose`; interface dicts also carry ``driver``.
    """
    devices: list[dict[str, Any]] = []
    dev: dict[str, Any] | None = None
    cfg: dict[str, Any] | None = None
    intf: dict[str, Any] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) < 2 or line[1] != ":":
            continue
        tag, body = line[0], line[2:]
        kv = dict(_USBDEV_KV.findall(body))
        if tag == "T":
            dev = {
                "bus": int(kv.get("Bus", "0")),
                "address": int(kv.get("Dev#", "0")),
                "strings": {},
                "configurations": [],
            }
            devices.append(dev)
            cfg = intf = None
        elif dev is None:
            continue
        elif tag == "D":
            ver = kv.get("Ver", "0.00")
            major, _, minor = ver.partition(".")
            dev["bcdUSB"] = (int(major, 16) << 8) | int(minor[:2] or "0", 16)
            dev["bDeviceClass"] = int(kv.get("Cls", "00")[:2], 16)
            dev["bDeviceSubClass"] = int(kv.get("Sub", "00"), 16)
            dev["bDeviceProtocol"] = int(kv.get("Prot", "00"), 16)
            dev["bMaxPacketSize0"] = int(kv.get("MxPS", "64"))
        elif tag == "P":
            dev["idVendor"] = int(kv.get("Vendor", "0"), 16)
            dev["idProduct"] = int(kv.get("ProdID", "0"), 16)
            rev = kv.get("Rev", "0.00")
            major, _, minor = rev.partition(".")
            dev["bcdDevice"] = (int(major, 16) << 8) | int(minor[:2] or "0", 16)
        elif tag == "S":
            key, _, value = body.strip().partition("=")
            index = {"Manufacturer": 1, "Product": 2, "SerialNumber": 3}.get(key)
            if index is not None:
                dev["strings"][str(index)] = value
                dev[{1: "iManufacturer", 2: "iProduct", 3: "iSerialNumber"}[index]] = index
        elif tag == "C":
            cfg = {"bConfigurationValue": int(kv.get("Cfg#", "1")), "interfaces": []}
            dev["configurations"].append(cfg)
        elif tag == "I" and cfg is not None:
            driver = kv.get("Driver")
            intf = {
                "bInterfaceNumber": int(kv.get("If#", "0")),
                "bAlternateSetting": int(kv.get("Alt", "0")),
                "bNumEndpoints": int(kv.get("#EPs", "0")),
                "bInterfaceClass": int(kv.get("Cls", "00")[:2], 16),
                "bInterfaceSubClass": int(kv.get("Sub", "00"), 16),
                "bInterfaceProtocol": int(kv.get("Prot", "00"), 16),
                "driver": None if driver in (None, "(none)") else driver,
                "endpoints": [],
            }
            cfg["interfaces"].append(intf)
        elif tag == "E" and intf is not None:
            addr = kv.get("Ad", "00")[:2]
            attr = kv.get("Atr", "00")[:2]
            intf["endpoints"].append(
                {
                    "bEndpointAddress": int(addr, 16),
                    "bmAttributes": int(attr, 16),
                    "wMaxPacketSize": int(kv.get("MxPS", "0")),
                    "bInterval": 0,
                }
            )
    for d in devices:
        for c in d["configurations"]:
            c["bNumInterfaces"] = len({i["bInterfaceNumber"] for i in c["interfaces"]})
    return devices


def fixture_number(value: Any) -> int:
    """Read a fixture number: an int, or a decimal / ``0x`` hex string."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def device_from_fixture(fixture: Mapping[str, Any]) -> UsbDevice:
    """Build a :class:`UsbDevice` straight from a fixture dict (strings sanitized, no roles)."""
    strings = fixture.get("strings", {})

    def string(index: Any) -> str | None:
        if not index:
            return None
        value = strings.get(str(index))
        return _clean(value) if isinstance(value, str) else None

    configs = []
    for c in fixture.get("configurations", []):
        intfs = tuple(
            UsbInterface(
                number=fixture_number(i["bInterfaceNumber"]),
                alternate=fixture_number(i.get("bAlternateSetting", 0)),
                cls=fixture_number(i["bInterfaceClass"]),
                subclass=fixture_number(i.get("bInterfaceSubClass", 0)),
                protocol=fixture_number(i.get("bInterfaceProtocol", 0)),
                num_endpoints=fixture_number(i.get("bNumEndpoints", len(i.get("endpoints", [])))),
                endpoints=tuple(
                    UsbEndpoint(
                        address=fixture_number(e["bEndpointAddress"]),
                        attributes=fixture_number(e["bmAttributes"]),
                        max_packet_size=fixture_number(e.get("wMaxPacketSize", 0)),
                        interval=fixture_number(e.get("bInterval", 0)),
                    )
                    for e in i.get("endpoints", [])
                ),
                name=string(i.get("iInterface")),
                driver=i.get("driver"),
            )
            for i in c.get("interfaces", [])
        )
        configs.append(
            UsbConfiguration(value=fixture_number(c.get("bConfigurationValue", 1)), interfaces=intfs)
        )
    return UsbDevice(
        vid=fixture_number(fixture["idVendor"]),
        pid=fixture_number(fixture["idProduct"]),
        bus=fixture.get("bus"),
        address=fixture.get("address"),
        device_class=fixture_number(fixture.get("bDeviceClass", 0)),
        device_subclass=fixture_number(fixture.get("bDeviceSubClass", 0)),
        device_protocol=fixture_number(fixture.get("bDeviceProtocol", 0)),
        bcd_usb=fixture_number(fixture.get("bcdUSB", 0x0200)),
        bcd_device=fixture_number(fixture.get("bcdDevice", 0)),
        manufacturer=string(fixture.get("iManufacturer")),
        product=string(fixture.get("iProduct")),
        serial_number=string(fixture.get("iSerialNumber")),
        configurations=tuple(configs),
    )
