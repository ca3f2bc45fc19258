"""Is it a modem? Verdicts for USB devices and serial ports, with the reason in words.

Kinds
-----
``modem``
    The VID:PID is in the modem database (or is a usb_modeswitch pre-switch ID: a modem still
    showing its virtual CD-ROM).
``possible-modem``
    A modem vendor's unknown product, or an interface layout typical of modems: vendor-specific
    serial interfaces plus a QMI/MBIM/ECM/NCM/RNDIS network interface, or a CDC-ACM port that
    declares AT commands (protocol 01-06) next to a sibling port or network interface
    (ModemManager's strict filter).
``not-modem``
    Everything else, with the reason (a USB-serial bridge says the modem could be behind it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from serialprobe.enumerate.modemdb import NET_ROLES, SERIAL_ROLES, ModemDB, Role, load_modem_db
from serialprobe.enumerate.usb import UsbDevice, UsbInterface, interface_role

if TYPE_CHECKING:
    from serialprobe.enumerate.ports import PortInfo

__all__ = ["ROLE_TEXT", "Verdict", "VerdictKind", "port_verdict", "verdict"]

VerdictKind = Literal["modem", "possible-modem", "not-modem"]

#: How a role reads in a sentence ("AT port of a Quectel EC25").
ROLE_TEXT: Mapping[Role, str] = {
    Role.AT: "AT port",
    Role.MODEM: "AT/PPP data port",
    Role.DIAG: "DIAG/QCDM port",
    Role.NMEA: "NMEA/GNSS port",
    Role.QMI: "QMI network interface",
    Role.MBIM: "MBIM interface",
    Role.ECM: "CDC-ECM network interface",
    Role.NCM: "CDC-NCM network interface",
    Role.RNDIS: "RNDIS network interface",
    Role.ADB: "ADB debug interface",
    Role.AUDIO: "audio port",
    Role.QDL: "download (QDL) port",
    Role.CDC_ACM: "CDC-ACM serial port",
    Role.CDC_DATA: "CDC data interface",
    Role.MASS_STORAGE: "mass storage",
    Role.MODESWITCH_CDROM: "virtual CD-ROM (before usb_modeswitch)",
    Role.HUB: "hub",
    Role.HID: "HID interface",
    Role.VENDOR: "vendor-specific port",
    Role.RESERVED: "reserved port",
    Role.UNKNOWN: "port of unknown role",
    Role.OTHER: "interface",
}


@dataclass(frozen=True)
class Verdict:
    """A modem verdict.

    Attributes
    ----------
    kind : {"modem", "possible-modem", "not-modem"}
        The verdict.
    reason : str
        One sentence saying why.
    model : str or None
        Model from the database, when known.
    roles : dict
        Interface number -> role.
    source : tuple of str
        Citations of the database entry used, if any.
    """

    kind: VerdictKind
    reason: str
    model: str | None = None
    roles: Mapping[int, Role] = field(default_factory=dict)
    source: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "kind": self.kind,
            "reason": self.reason,
            "model": self.model,
            "roles": {str(k): str(v) for k, v in sorted(self.roles.items())},
            "source": list(self.source),
        }


def _label(model: str | None, vendor: str) -> str:
    """Human label: the model, prefixed by the vendor label unless it already names a maker."""
    if not model:
        return vendor
    brand = vendor.split("/")[0].split(" ")[0].lower()
    if brand in model.lower() or vendor in ("Qualcomm", "unknown"):
        return model
    return f"{vendor} {model}"


def _roles(device: UsbDevice, db: ModemDB) -> dict[int, Role]:
    roles: dict[int, Role] = {}
    for intf in device.interfaces():
        role = intf.role
        if role is Role.UNKNOWN:
            role = _role_of(intf, device, db)
        roles[intf.number] = role
    return roles


def _role_of(intf: UsbInterface, device: UsbDevice, db: ModemDB) -> Role:
    return interface_role(
        intf.cls,
        intf.subclass,
        intf.protocol,
        device.vid,
        device.pid,
        intf.number,
        db,
        num_endpoints=intf.num_endpoints,
        has_interrupt=intf.has_interrupt_in,
    )


def _count(roles: Mapping[int, Role], wanted: frozenset[Role]) -> int:
    return sum(1 for r in roles.values() if r in wanted)


def verdict(device: UsbDevice, db: ModemDB | None = None) -> Verdict:
    """Decide whether a USB device is a modem.

    Parameters
    ----------
    device : UsbDevice
        The device (interface roles are computed when not assigned yet).
    db : ModemDB, optional
        Modem database; default :func:`load_modem_db`.

    Returns
    -------
    Verdict
        Kind, reason, model and interface roles.
    """
    db = db if db is not None else load_modem_db()
    key = (device.vid, device.pid)
    roles = _roles(device, db)
    ident = device.id

    not_modem = db.not_modems.get(key)
    if not_modem is not None:
        return Verdict("not-modem", f"{ident}: {not_modem.reason}", not_modem.model, roles, not_modem.source)

    entry = db.lookup(*key)
    if entry is not None:
        if not roles:
            roles = dict(entry.interfaces)
        label = _label(entry.model, entry.vendor)
        reason = f"{ident} is a known modem ({label}) in the modem database"
        if Role.QDL in roles.values() or (entry.notes and "download" in entry.notes.lower()):
            reason += "; it is in download (QDL/Sahara/Firehose) mode"
        return Verdict("modem", reason, entry.model, roles, entry.source)

    switch = db.modeswitch.get(key)
    if switch is not None:
        targets = ", ".join(f"{v:04x}:{p:04x}" for v, p in switch.targets[:4])
        reason = f"{ident} is a modem in CD-ROM mode (usb_modeswitch pre-switch ID"
        reason += f", switches to {targets})" if targets else ")"
        return Verdict("modem", reason, switch.model, roles, switch.source)

    origin = db.switched_from(*key)
    if origin is not None:
        reason = (
            f"{ident} is a modem in its switched (modem) mode: usb_modeswitch target of "
            f"{origin.vid:04x}:{origin.pid:04x}" + (f" ({origin.model})" if origin.model else "")
        )
        return Verdict("modem", reason, origin.model, roles, origin.source)

    vendor = db.vendors.get(device.vid)
    serial = _count(roles, SERIAL_ROLES - {Role.CDC_ACM, Role.AT})
    vendor_serial = sum(
        1
        for i in device.interfaces()
        if i.cls == 0xFF and roles.get(i.number) in (SERIAL_ROLES | {Role.RESERVED})
    )
    net = sorted({str(r) for r in roles.values() if r in NET_ROLES})
    at_acm = [
        n
        for n, r in roles.items()
        if r is Role.AT and any(i.number == n and i.cls == 0x02 for i in device.interfaces())
    ]
    acm_like = _count(roles, frozenset({Role.AT, Role.CDC_ACM})) + serial
    storage = [n for n, r in roles.items() if r in (Role.MASS_STORAGE, Role.MODESWITCH_CDROM)]

    layout: str | None = None
    if vendor_serial and net:
        layout = (
            f"interface layout typical of a modem: {vendor_serial} vendor-specific serial "
            f"interface(s) plus {'/'.join(net).upper()}"
        )
    elif at_acm and (acm_like > 1 or net):
        sibling = f"{'/'.join(net).upper()} network interface" if net else "sibling serial port"
        layout = f"CDC-ACM port declaring AT commands with a {sibling} (ModemManager's strict filter)"

    if vendor is not None:
        reason = f"{ident}: unknown product of modem vendor {vendor.vendor}"
        if layout:
            reason += f"; {layout}"
        elif storage and device.vid == 0x12D1:
            reason += "; mass storage on a Huawei device: likely a modem in CD-ROM mode (usb_modeswitch)"
        return Verdict("possible-modem", reason, None, roles, vendor.source)
    if layout:
        return Verdict("possible-modem", f"{ident}: {layout}", None, roles)

    bridge = db.serial_bridge(*key)
    if bridge is not None:
        return Verdict(
            "not-modem",
            f"{ident}: USB-serial bridge ({bridge.chip}): the modem could be behind it; probe the port",
            None,
            roles,
            bridge.source,
        )
    if at_acm:
        return Verdict(
            "not-modem",
            f"{ident}: a lone CDC-ACM port declaring AT commands (boards like Arduinos do); "
            "ModemManager's strict filter skips it; probe the port to be sure",
            None,
            roles,
        )
    kinds = set(roles.values())
    if device.device_class == 0x09 or kinds == {Role.HUB}:
        what = "USB hub"
    elif kinds and kinds <= {Role.HID}:
        what = "HID device (keyboard, mouse or similar)"
    elif storage and kinds <= {Role.MASS_STORAGE, Role.OTHER}:
        what = "mass storage device (not a known modem CD-ROM)"
    elif not roles:
        what = "device without interfaces listed"
    else:
        what = "no modem identity and no modem interface layout"
    return Verdict("not-modem", f"{ident}: {what}", None, roles)


def port_verdict(port: PortInfo, db: ModemDB | None = None) -> Verdict | None:
    """Verdict for a serial port: its USB identity joined with the database's interface roles.

    Parameters
    ----------
    port : PortInfo
        The port (``vid``/``pid``/``usb_interface_number``/``driver``).
    db : ModemDB, optional
        Modem database.

    Returns
    -------
    Verdict or None
        ``None`` for a port that is not on USB (a UART such as ``ttyS0``: probe it to know).
    """
    if port.vid is None or port.pid is None:
        return None
    db = db if db is not None else load_modem_db()
    key = (port.vid, port.pid)
    ident = f"{port.vid:04x}:{port.pid:04x}"
    number = port.usb_interface_number
    entry = db.lookup(*key)
    if entry is not None:
        label = _label(entry.model, entry.vendor)
        role = entry.interfaces.get(number) if number is not None else None
        roles = {number: role} if (number is not None and role is not None) else {}
        if role is not None:
            reason = f"{ROLE_TEXT[role]} of a {label} (interface {number})"
        elif number is not None:
            reason = f"interface {number} of a {label} (role not in the database)"
        else:
            reason = f"port of a {label}"
        return Verdict("modem", reason, entry.model, roles, entry.source)
    if key in db.not_modems:
        nm = db.not_modems[key]
        return Verdict("not-modem", f"{ident}: {nm.reason}", nm.model, {}, nm.source)
    if port.driver in db.modem_drivers:
        return Verdict(
            "possible-modem",
            f"{ident}: bound to the {port.driver} driver, which only serves modems",
        )
    vendor = db.vendors.get(port.vid)
    if vendor is not None:
        return Verdict(
            "possible-modem",
            f"{ident}: unknown product of modem vendor {vendor.vendor}",
            None,
            {},
            vendor.source,
        )
    bridge = db.serial_bridge(*key)
    if bridge is not None:
        return Verdict(
            "not-modem",
            f"{ident}: USB-serial bridge ({bridge.chip}): the modem could be behind it; probe the port",
            None,
            {},
            bridge.source,
        )
    return Verdict("not-modem", f"{ident}: no modem identity; probe the port to be sure")
