"""The modem database: USB identities of cellular modems and their interface layouts, as data.

The data file ``data/modems.json`` holds facts read from public sources, each entry with its
source (Linux ``option.c``, ``qcserial.c``, ``qmi_wwan.c``; ModemManager's udev port-type rules
and plugin vendor lists; usb_modeswitch's pre-switch IDs). Vendor names in the file are labels
for humans only; displayed names come from usb.ids (:mod:`serialprobe.enumerate.usbids`).

Sections of the file
--------------------
modems
    ``vid``, ``pid``, ``vendor``, ``model``, ``family``, ``interfaces`` ({number: role}),
    ``source`` (list of citations), ``notes``.
modeswitch
    Pre-switch IDs (a modem showing a virtual CD-ROM until usb_modeswitch switches it), with
    the IDs it switches to.
not_modems
    Products of modem vendors that are not modems (e.g. u-blox GNSS receivers).
vendors
    Vendor IDs whose unknown products are "possible modems".
serial_bridges
    USB-serial bridge chips (FTDI, WCH, Prolific, Silicon Labs): not modems themselves, but a
    modem may sit behind one.
modem_drivers
    Linux serial drivers that only bind modems (ModemManager's strict filter).
vendor_interface_rules
    Roles given by a vendor's class/subclass/protocol triples (Huawei).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from serialprobe.errors import DataError

__all__ = [
    "ModemDB",
    "ModemEntry",
    "ModeswitchEntry",
    "NotModemEntry",
    "Role",
    "SerialBridge",
    "VendorEntry",
    "VendorInterfaceRule",
    "load_modem_db",
]

_HEX4 = re.compile(r"^[0-9a-f]{4}$")
_HEX2 = re.compile(r"^[0-9a-f]{2}$")


class Role(StrEnum):
    """What one USB interface is for, seen from a modem hunter."""

    AT = "at"  #: AT command port
    MODEM = "modem"  #: AT/PPP data port
    DIAG = "diag"  #: Qualcomm DM/QCDM/DIAG
    NMEA = "nmea"  #: GNSS NMEA stream
    QMI = "qmi"  #: QMI/rmnet network control
    MBIM = "mbim"  #: MBIM control or data
    ECM = "ecm"  #: CDC Ethernet
    NCM = "ncm"  #: CDC NCM
    RNDIS = "rndis"  #: Microsoft RNDIS
    ADB = "adb"  #: Android debug bridge
    AUDIO = "audio"  #: voice/PCM port
    QDL = "qdl"  #: Qualcomm download (firmware flashing) mode
    CDC_ACM = "cdc-acm"  #: CDC-ACM serial port without an AT declaration
    CDC_DATA = "cdc-data"  #: CDC data interface
    MASS_STORAGE = "mass-storage"
    MODESWITCH_CDROM = "modeswitch-cdrom"  #: virtual CD-ROM of a modem before usb_modeswitch
    HUB = "hub"
    HID = "hid"
    VENDOR = "vendor-specific"  #: vendor-specific interface of unknown purpose
    RESERVED = "reserved"  #: listed by ModemManager as a port to ignore
    UNKNOWN = "unknown"
    OTHER = "other"


#: Roles a modem exposes as serial (tty) ports.
SERIAL_ROLES: frozenset[Role] = frozenset(
    {Role.AT, Role.MODEM, Role.DIAG, Role.NMEA, Role.AUDIO, Role.CDC_ACM, Role.VENDOR, Role.QDL}
)
#: Roles of network interfaces a modem exposes.
NET_ROLES: frozenset[Role] = frozenset({Role.QMI, Role.MBIM, Role.ECM, Role.NCM, Role.RNDIS})


@dataclass(frozen=True)
class ModemEntry:
    """One known modem product."""

    vid: int
    pid: int
    vendor: str
    model: str | None
    family: str | None
    interfaces: Mapping[int, Role]
    source: tuple[str, ...]
    notes: str | None = None


@dataclass(frozen=True)
class ModeswitchEntry:
    """A pre-switch ID: a modem showing its virtual CD-ROM before usb_modeswitch."""

    vid: int
    pid: int
    vendor: str
    model: str | None
    targets: tuple[tuple[int, int], ...]
    source: tuple[str, ...]


@dataclass(frozen=True)
class NotModemEntry:
    """A product of a modem vendor that is known not to be a modem."""

    vid: int
    pid: int
    vendor: str
    model: str | None
    reason: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class VendorEntry:
    """A vendor ID whose unknown products are possible modems."""

    vid: int
    vendor: str
    source: tuple[str, ...]
    notes: str | None = None


@dataclass(frozen=True)
class VendorInterfaceRule:
    """A role given by a vendor's interface class triple (``subclass`` None = any)."""

    vid: int
    cls: int
    subclass: int | None
    protocol: int
    role: Role
    source: tuple[str, ...]


@dataclass(frozen=True)
class SerialBridge:
    """A USB-serial bridge chip (``pid`` None: any product of the vendor)."""

    vid: int
    pid: int | None
    chip: str
    driver: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class ModemDB:
    """The loaded, validated modem database."""

    path: str
    modems: Mapping[tuple[int, int], ModemEntry]
    modeswitch: Mapping[tuple[int, int], ModeswitchEntry]
    not_modems: Mapping[tuple[int, int], NotModemEntry]
    vendors: Mapping[int, VendorEntry]
    vendor_rules: tuple[VendorInterfaceRule, ...] = field(default=())
    serial_bridges: tuple[SerialBridge, ...] = field(default=())
    modem_drivers: frozenset[str] = field(default=frozenset())

    def serial_bridge(self, vid: int, pid: int) -> SerialBridge | None:
        """Return the USB-serial bridge entry of ``vid:pid`` (exact, else vendor-wide) or ``None``."""
        vendor_wide = None
        for bridge in self.serial_bridges:
            if bridge.vid == vid and bridge.pid == pid:
                return bridge
            if bridge.vid == vid and bridge.pid is None:
                vendor_wide = bridge
        return vendor_wide

    def switched_from(self, vid: int, pid: int) -> ModeswitchEntry | None:
        """Return the pre-switch entry whose usb_modeswitch targets include ``vid:pid``, or ``None``."""
        for entry in self.modeswitch.values():
            if (vid, pid) in entry.targets:
                return entry
        return None

    def lookup(self, vid: int, pid: int) -> ModemEntry | None:
        """Return the modem entry of ``vid:pid`` or ``None``."""
        return self.modems.get((vid, pid))

    def is_modem_vendor(self, vid: int) -> bool:
        """Whether ``vid`` is a modem vendor (vendor list, or any product of it in ``modems``)."""
        return vid in self.vendors

    def vendor_rule(self, vid: int, cls: int, subclass: int, protocol: int) -> Role | None:
        """Return the role a vendor's class triple gives, or ``None``."""
        for rule in self.vendor_rules:
            if (
                rule.vid == vid
                and rule.cls == cls
                and rule.protocol == protocol
                and (rule.subclass is None or rule.subclass == subclass)
            ):
                return rule.role
        return None


def _hex4(value: Any, where: str) -> int:
    if not isinstance(value, str) or not _HEX4.match(value):
        raise DataError(f"modem database: {where}: {value!r} is not a 4-digit lowercase hex ID")
    return int(value, 16)


def _hex2(value: Any, where: str) -> int:
    if not isinstance(value, str) or not _HEX2.match(value):
        raise DataError(f"modem database: {where}: {value!r} is not a 2-digit lowercase hex value")
    return int(value, 16)


def _sources(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(s, str) and s.strip() for s in value):
        raise DataError(f"modem database: {where}: every entry needs a non-empty 'source' list")
    return tuple(value)


def _opt_str(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise DataError(f"modem database: {where}: expected a string or null, got {type(value).__name__}")


def _role(value: Any, where: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise DataError(f"modem database: {where}: unknown role {value!r}") from None


def _section(raw: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    items = raw.get(name, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise DataError(f"modem database: section {name!r} must be a list of objects")
    return items


def parse_modem_db(raw: Any, *, path: str = "<data>") -> ModemDB:
    """Validate decoded JSON and build a :class:`ModemDB`.

    Parameters
    ----------
    raw : object
        Decoded JSON document.
    path : str
        Name used in the result.

    Returns
    -------
    ModemDB
        The database.

    Raises
    ------
    DataError
        On a missing field, a malformed ID, an unknown role, a missing source or a duplicate.
    """
    if not isinstance(raw, dict):
        raise DataError("modem database: the top level must be a JSON object")
    modems: dict[tuple[int, int], ModemEntry] = {}
    for i, item in enumerate(_section(raw, "modems")):
        where = f"modems[{i}]"
        vid, pid = _hex4(item.get("vid"), where), _hex4(item.get("pid"), where)
        if (vid, pid) in modems:
            raise DataError(f"modem database: {where}: duplicate entry {vid:04x}:{pid:04x}")
        interfaces_raw = item.get("interfaces", {})
        if not isinstance(interfaces_raw, dict):
            raise DataError(f"modem database: {where}: 'interfaces' must be an object")
        interfaces: dict[int, Role] = {}
        for key, role in interfaces_raw.items():
            if not (isinstance(key, str) and key.isdigit() and int(key) < 256):
                raise DataError(f"modem database: {where}: interface number {key!r} is not 0-255")
            interfaces[int(key)] = _role(role, where)
        vendor = item.get("vendor")
        if not isinstance(vendor, str) or not vendor:
            raise DataError(f"modem database: {where}: 'vendor' label missing")
        modems[(vid, pid)] = ModemEntry(
            vid=vid,
            pid=pid,
            vendor=vendor,
            model=_opt_str(item.get("model"), where),
            family=_opt_str(item.get("family"), where),
            interfaces=interfaces,
            source=_sources(item.get("source"), where),
            notes=_opt_str(item.get("notes"), where),
        )
    modeswitch: dict[tuple[int, int], ModeswitchEntry] = {}
    for i, item in enumerate(_section(raw, "modeswitch")):
        where = f"modeswitch[{i}]"
        vid, pid = _hex4(item.get("vid"), where), _hex4(item.get("pid"), where)
        if (vid, pid) in modeswitch:
            raise DataError(f"modem database: {where}: duplicate entry {vid:04x}:{pid:04x}")
        targets: list[tuple[int, int]] = []
        for t in item.get("targets", []):
            if not isinstance(t, str) or ":" not in t:
                raise DataError(f"modem database: {where}: target {t!r} is not 'vvvv:pppp'")
            tv, tp = t.split(":", 1)
            targets.append((_hex4(tv, where), _hex4(tp, where)))
        modeswitch[(vid, pid)] = ModeswitchEntry(
            vid=vid,
            pid=pid,
            vendor=str(item.get("vendor") or "unknown"),
            model=_opt_str(item.get("model"), where),
            targets=tuple(targets),
            source=_sources(item.get("source"), where),
        )
    not_modems: dict[tuple[int, int], NotModemEntry] = {}
    for i, item in enumerate(_section(raw, "not_modems")):
        where = f"not_modems[{i}]"
        vid, pid = _hex4(item.get("vid"), where), _hex4(item.get("pid"), where)
        if (vid, pid) in not_modems or (vid, pid) in modems:
            raise DataError(f"modem database: {where}: duplicate entry {vid:04x}:{pid:04x}")
        not_modems[(vid, pid)] = NotModemEntry(
            vid=vid,
            pid=pid,
            vendor=str(item.get("vendor") or "unknown"),
            model=_opt_str(item.get("model"), where),
            reason=str(item.get("reason") or "not a modem"),
            source=_sources(item.get("source"), where),
        )
    vendors: dict[int, VendorEntry] = {}
    for i, item in enumerate(_section(raw, "vendors")):
        where = f"vendors[{i}]"
        vid = _hex4(item.get("vid"), where)
        if vid in vendors:
            raise DataError(f"modem database: {where}: duplicate vendor {vid:04x}")
        vendors[vid] = VendorEntry(
            vid=vid,
            vendor=str(item.get("vendor") or "unknown"),
            source=_sources(item.get("source"), where),
            notes=_opt_str(item.get("notes"), where),
        )
    rules: list[VendorInterfaceRule] = []
    for i, item in enumerate(_section(raw, "vendor_interface_rules")):
        where = f"vendor_interface_rules[{i}]"
        sub = item.get("subclass")
        rules.append(
            VendorInterfaceRule(
                vid=_hex4(item.get("vid"), where),
                cls=_hex2(item.get("class"), where),
                subclass=None if sub is None else _hex2(sub, where),
                protocol=_hex2(item.get("protocol"), where),
                role=_role(item.get("role"), where),
                source=_sources(item.get("source"), where),
            )
        )
    bridges: list[SerialBridge] = []
    for i, item in enumerate(_section(raw, "serial_bridges")):
        where = f"serial_bridges[{i}]"
        pid_raw = item.get("pid")
        bridges.append(
            SerialBridge(
                vid=_hex4(item.get("vid"), where),
                pid=None if pid_raw is None else _hex4(pid_raw, where),
                chip=str(item.get("chip") or "USB-serial bridge"),
                driver=str(item.get("driver") or ""),
                source=_sources(item.get("source"), where),
            )
        )
    drivers_raw = raw.get("modem_drivers", {"drivers": []})
    if not isinstance(drivers_raw, dict) or not all(
        isinstance(d, str) for d in drivers_raw.get("drivers", [])
    ):
        raise DataError("modem database: 'modem_drivers' must be {drivers: [names], source: [...]}")
    if drivers_raw.get("drivers"):
        _sources(drivers_raw.get("source"), "modem_drivers")
    return ModemDB(
        path=path,
        modems=modems,
        modeswitch=modeswitch,
        not_modems=not_modems,
        vendors=vendors,
        vendor_rules=tuple(rules),
        serial_bridges=tuple(bridges),
        modem_drivers=frozenset(drivers_raw.get("drivers", [])),
    )


@functools.lru_cache(maxsize=8)
def _load(path: str | None) -> ModemDB:
    try:
        if path is None:
            ref = resources.files("serialprobe.enumerate").joinpath("data", "modems.json")
            text = ref.read_text(encoding="utf-8")
            name = "serialprobe/enumerate/data/modems.json"
        else:
            text = Path(path).read_text(encoding="utf-8")
            name = path
    except OSError as err:
        raise DataError(f"modem database {path or 'modems.json'} cannot be read: {err}") from err
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(f"modem database {name} is not valid JSON: {err}") from err
    return parse_modem_db(raw, path=name)


def load_modem_db(path: str | Path | None = None) -> ModemDB:
    """Load and validate the modem database (cached).

    Parameters
    ----------
    path : str or Path, optional
        Another JSON file of the same format; default the one shipped with serialprobe.

    Returns
    -------
    ModemDB
        The database.

    Raises
    ------
    DataError
        When the file is missing, not JSON, or fails validation.
    """
    return _load(None if path is None else str(path))
