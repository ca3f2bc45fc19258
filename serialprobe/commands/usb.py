"""``serialprobe usb``: USB devices, their interfaces' roles and the modem verdict.

Test hook: the environment variable ``SERIALPROBE_USB_BACKEND`` names a Python callable
``module:attribute`` returning a pyusb backend (e.g. the fixture backend of the test suite,
``usb_backend:backend_from_env``). With it, sysfs is not merged. Normal runs use libusb-1.0
(the system's, else ``libusb-package``) and merge strings and drivers from
``/sys/bus/usb/devices``.
"""

from __future__ import annotations

import argparse
import json
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


def write_json(doc: Any, out: str) -> None:
    """Write ``doc`` as JSON to ``out`` (``-`` = stdout)."""
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    if out == "-":
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    else:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")


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
        names = " / ".join(x for x in (d.vendor_name, d.product_name) if x) or "-"
        strings = " / ".join(x for x in (d.manufacturer, d.product) if x) or "-"
        print(f"{where} {d.id}  {v.kind:14s} {names}  [{strings}]")
        print(f"    {v.reason}")
        for intf in d.interfaces():
            role = v.roles.get(intf.number, intf.role)
            name = f"  {intf.name}" if intf.name else ""
            print(f"    if{intf.number:<2d} {intf.triple}  {intf.driver or '-':12s} {role}{name}")
    return 0
