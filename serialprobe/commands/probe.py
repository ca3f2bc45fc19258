"""``serialprobe probe``: read-only AT identification of one port."""

from __future__ import annotations

import argparse
from typing import Any


def _baud_arg(text: str) -> int | str:
    if text == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"baud must be a number or 'auto', got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"baud must be positive, got {value}")
    return value


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Register the ``probe`` subcommand."""
    p = sub.add_parser(
        "probe",
        parents=[common],
        help="identify a modem with read-only AT commands",
        description=(
            "Listen first (--listen-s, default 3 s, longer when bytes are heard but not identified); a "
            "line carrying Modbus, NMEA, DIAG, console text or bytes nobody could identify is refused "
            "unless --force (unidentified bytes are accepted on a port the USB enumeration knows as a "
            "modem's AT interface). A line silent for the whole listen is probed: a bus quieter than "
            "the listen looks silent, so raise --listen-s on slow buses. Then open PORT with DTR/RTS "
            "low, find the baud rate with AT only and send allowlisted read commands (identity, SIM, "
            "registration, operator, signal, vendor status). IMEI, IMSI and ICCID are masked unless "
            "--reveal. Every device string is sanitized."
        ),
    )
    p.add_argument("port", metavar="PORT", help="device path (/dev/ttyUSB2) or pyserial URL (socket://h:p)")
    p.add_argument(
        "--baud", type=_baud_arg, default="auto", metavar="B", help="baud rate or 'auto' (default)"
    )
    p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT ('-' = stdout)")
    p.add_argument("--reveal", action="store_true", help="show IMEI, IMSI and ICCID in full")
    p.add_argument("--force", action="store_true", help="probe even if the listen heard another protocol")
    p.add_argument(
        "--timeout", type=float, default=20.0, metavar="S", help="bound on the whole probe in seconds (20)"
    )
    p.add_argument(
        "--listen-s", type=float, default=3.0, metavar="S", help="seconds to listen before writing (3)"
    )
    p.add_argument(
        "--no-listen",
        action="store_true",
        help="skip the passive listen before probing (writes blind: needs --force)",
    )
    p.set_defaults(func=run)


def enumeration_at_port(device: str) -> str | None:
    """Why the USB enumeration says ``device`` is a known modem's AT interface, or None.

    Only local device paths are looked up (pyserial URLs have no enumeration). The port is matched
    by its resolved path, so ``/dev/serial/by-id/...`` links work.
    """
    import os

    from serialprobe.transport import is_url

    if is_url(device) or not os.path.exists(device):
        return None
    from serialprobe.enumerate.modemdb import load_modem_db
    from serialprobe.enumerate.ports import list_ports
    from serialprobe.enumerate.verdict import port_verdict

    real = os.path.realpath(device)
    db = load_modem_db()
    for port in list_ports():
        if os.path.realpath(port.device) != real:
            continue
        v = port_verdict(port, db)
        if v is None or port.usb_interface_number is None:
            return None
        role = v.roles.get(port.usb_interface_number)
        return v.reason if is_modem_at_interface(v.kind, None if role is None else str(role)) else None
    return None


def is_modem_at_interface(verdict_kind: str | None, role: str | None) -> bool:
    """Whether an enumeration verdict says: a known modem, and this interface is its AT port."""
    return verdict_kind == "modem" and role in ("at", "modem")


def run(args: argparse.Namespace) -> int:
    """Run ``serialprobe probe``."""
    from serialprobe.at.probe import probe_port, summary_lines
    from serialprobe.errors import PortError, RefusedError, SerialprobeError
    from serialprobe.jsonout import check_writable, write_json

    if args.timeout <= 0:
        raise PortError(f"--timeout must be positive, got {args.timeout}")
    if args.no_listen and not args.force:
        raise RefusedError(
            "--no-listen writes without checking what the line carries: add --force to confirm"
        )
    if args.json:
        check_writable(args.json)  # before the port is opened
    listen_first = None
    at_port_reason = None
    if not args.no_listen:
        from serialprobe.listen import listen

        duration_s = max(0.1, float(args.listen_s))

        def listen_first(url: str) -> Any:
            return listen(url, duration_s=duration_s)

        at_port_reason = enumeration_at_port(args.port)

    result = probe_port(
        args.port,
        baud=args.baud,
        reveal=args.reveal,
        timeout_s=args.timeout,
        force=args.force,
        listen_first=listen_first,
        at_port_reason=at_port_reason,
    )
    if args.json:
        try:
            write_json(result.to_dict(), args.json)
        except SerialprobeError:
            print("\n".join(summary_lines(result)))  # the finished probe is not lost
            raise
        if args.json == "-":
            return 0
    print("\n".join(summary_lines(result)))
    return 0
