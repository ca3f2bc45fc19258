"""``serialprobe list``: serial ports with their USB identity, driver and modem verdict."""

from __future__ import annotations

import argparse


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Register the ``list`` subcommand."""
    p = sub.add_parser(
        "list",
        parents=[common],
        help="list serial ports and which ones belong to modems",
        description=(
            "List serial ports (pyserial) with USB vendor/product, kernel driver, USB interface "
            "number and, for USB ports, the modem verdict joined from the modem database "
            "(e.g. 'AT port of a Quectel EC25'). Nothing is opened or written."
        ),
    )
    p.add_argument("--json", metavar="OUT", help="write JSON to OUT ('-' = stdout, replaces the table)")
    p.add_argument("--links", action="store_true", help="also list /dev/serial/by-id style symlinks")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``serialprobe list``."""
    from serialprobe.enumerate.modemdb import load_modem_db
    from serialprobe.enumerate.ports import list_ports
    from serialprobe.enumerate.verdict import port_verdict
    from serialprobe.jsonout import check_writable, write_json
    from serialprobe.sanitize import terminal_safe as safe

    if args.json:
        check_writable(args.json)
    db = load_modem_db()
    ports = list_ports(include_links=args.links)
    rows = []
    for port in ports:
        v = port_verdict(port, db)
        rows.append((port, v))
    if args.json:
        doc = {"ports": [{**p.to_dict(), "verdict": None if v is None else v.to_dict()} for p, v in rows]}
        write_json(doc, args.json)
        if args.json == "-":
            return 0
    if not rows:
        print("no serial ports found")
        return 0
    header = f"{'DEVICE':22s} {'USB ID':9s} {'DRIVER':12s} {'IF':>2s}  {'VERDICT':14s} DETAIL"
    print(header)
    for port, v in rows:
        usb_id = f"{port.vid:04x}:{port.pid:04x}" if port.is_usb else "-"
        ifnum = "-" if port.usb_interface_number is None else str(port.usb_interface_number)
        kind = v.kind if v is not None else "-"
        detail = v.reason if v is not None else "not on USB: a modem may be wired to this UART; probe it"
        # Device names (udev by-id links carry USB strings), drivers and reasons are device-derived.
        device = safe(port.device, max_chars=200)
        driver = safe(port.driver or "-", max_chars=32)
        print(f"{device:22s} {usb_id:9s} {driver:12s} {ifnum:>2s}  {kind:14s} {safe(detail, max_chars=400)}")
    return 0
