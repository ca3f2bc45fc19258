"""``serialprobe usb``: USB devices, their interfaces' roles and the modem verdict.

Test hook: the environment variable ``SERIALPROBE_USB_BACKEND`` names a Python callable
``module:attribute`` returning a pyusb backend (e.g. the fixture backend of the test suite,
``usb_backend:backend_from_env``). With it, sysfs is not merged. Normal runs use libusb-1.0
(the system's, else ``libusb-package``) and merge strings and drivers from
``/sys/bus/usb/devices``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

#: Environment variable naming a ``module:callable`` that returns a pyusb backend (tests).
BACKEND_ENV = "SERIALPROBE_USB_BACKEND"


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Register the ``usb`` subcommand."""
    p = sub.add_parser(
        "usb",
        parents=[common],
        help="list USB devices and recognise modems by ID and interface layout",
        description=(
            "List USB devices through pyusb (libusb-1.0) merged with Linux sysfs: IDs, vendor "
            "names from usb.ids, sanitized strings, every interface with its class, driver and "
            "role for a modem (AT, DIAG, NMEA, QMI, MBIM, ...), and a verdict: modem, possible "
            "modem or not a modem, with the reason. Reads descriptors only."
        ),
    )
    p.add_argument("--json", metavar="OUT", help="write JSON to OUT ('-' = stdout, replaces the table)")
    p.set_defaults(func=run)


def _backend_from_env() -> Any:
    spec = os.environ.get(BACKEND_ENV)
    if not spec:
        return None
    import importlib

    from serialprobe.errors import UsbError

    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr or "get_backend")
    except (ImportError, AttributeError) as err:
        raise UsbError(f"{BACKEND_ENV}={spec!r} does not name an importable module:callable") from err
    return factory()


def run(args: argparse.Namespace) -> int:
    """Run ``serialprobe usb``."""
    from serialprobe.enumerate.modemdb import load_modem_db
    from serialprobe.enumerate.usb import list_usb
    from serialprobe.enumerate.usbids import usb_ids_path
    from serialprobe.enumerate.verdict import verdict
    from serialprobe.jsonout import check_writable, write_json
    from serialprobe.sanitize import terminal_safe as safe

    if args.json:
        check_writable(args.json)
    ids_path = usb_ids_path()
    if ids_path is None:
        print(
            "serialprobe: usb.ids not found: vendor names omitted (install usb.ids or hwdata)",
            file=sys.stderr,
        )
    db = load_modem_db()
    devices = list_usb(backend=_backend_from_env(), db=db)
    rows = [(d, verdict(d, db)) for d in devices]
    if args.json:
        doc = {
            "usb_ids": None if ids_path is None else str(ids_path),
            "devices": [{**d.to_dict(), "verdict": v.to_dict()} for d, v in rows],
        }
        write_json(doc, args.json)
        if args.json == "-":
            return 0
    if not rows:
        print("no USB devices found")
        return 0
    for d, v in rows:
        where = f"{d.bus or 0:03d}:{d.address or 0:03d}"
        names = safe(" / ".join(x for x in (d.vendor_name, d.product_name) if x) or "-")
        strings = safe(" / ".join(x for x in (d.manufacturer, d.product) if x) or "-")
        print(f"{where} {safe(d.id)}  {v.kind:14s} {names}  [{strings}]")
        print(f"    {safe(v.reason)}")
        for intf in d.interfaces():
            role = v.roles.get(intf.number, intf.role)
            name = f"  {safe(intf.name)}" if intf.name else ""
            driver = safe(intf.driver or "-", max_chars=32)
            print(f"    if{intf.number:<2d} {safe(intf.triple)}  {driver:12s} {role}{name}")
    return 0
