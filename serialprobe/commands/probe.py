"""``serialprobe probe``: read-only AT identification of one port."""

from __future__ import annotations

import argparse
import json
import sys
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
            "Listen first (a line carrying Modbus, NMEA, DIAG or console text is refused unless --force), "
            "open PORT with DTR/RTS low, find the baud rate with AT only, then send allowlisted read "
            "commands (identity, SIM, registration, operator, signal, vendor status). IMEI, IMSI and "
            "ICCID are masked unless --reveal. Every device string is sanitized."
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
    p.add_argument("--no-listen", action="store_true", help="skip the passive listen before probing")
    p.set_defaults(func=run)


def _write_json(doc: Any, out: str) -> None:
    text = json.dumps(doc, indent=2)
    if out == "-":
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    else:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")


def run(args: argparse.Namespace) -> int:
    """Run ``serialprobe probe``."""
    from serialprobe.at.probe import probe_port, summary_lines
    from serialprobe.errors import PortError

    if args.timeout <= 0:
        raise PortError(f"--timeout must be positive, got {args.timeout}")
    listen_first = None
    if not args.no_listen:
        from serialprobe.listen import listen

        duration_s = max(0.1, float(args.listen_s))

        def listen_first(url: str) -> Any:
            return listen(url, duration_s=duration_s)

    result = probe_port(
        args.port,
        baud=args.baud,
        reveal=args.reveal,
        timeout_s=args.timeout,
        force=args.force,
        listen_first=listen_first,
    )
    if args.json:
        _write_json(result.to_dict(), args.json)
        if args.json == "-":
            return 0
    print("\n".join(summary_lines(result)))
    return 0
