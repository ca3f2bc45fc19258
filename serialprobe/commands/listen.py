"""``serialprobe listen``: identify what a serial line carries without sending anything."""

from __future__ import annotations

import argparse


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Register the ``listen`` subcommand."""
    p = sub.add_parser(
        "listen",
        parents=[common],
        help="identify a line's protocol and baud rate by listening only (sends nothing)",
        description=(
            "Open PORT with DTR/RTS low and only read: try baud rates and framings in turn and "
            "recognise AT modem URCs, Modbus RTU, NMEA 0183, Qualcomm DIAG, console text or "
            "silence. When bytes are heard but not identified (a slowly polled bus heard at wrong "
            "rates), listening goes on one whole burst at a time for up to twice --duration more. "
            "Nothing is ever written. Note: on Linux/macOS the kernel may still pulse DTR/RTS for a "
            "few ms when the port is opened (see README)."
        ),
    )
    p.add_argument("port", metavar="PORT", help="device path (/dev/ttyUSB0) or pyserial URL")
    p.add_argument(
        "--duration",
        metavar="S",
        type=float,
        default=5.0,
        help="total listening time in seconds, all rates together (default 5)",
    )
    p.add_argument(
        "--baud",
        metavar="B",
        type=int,
        action="append",
        help="try only this baud rate (repeat for several; default: 10 common rates)",
    )
    p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT ('-' = stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``serialprobe listen``."""
    from serialprobe.errors import PortError, SerialprobeError
    from serialprobe.jsonout import check_writable, write_json
    from serialprobe.listen import listen

    if args.duration <= 0:
        raise PortError(f"--duration must be positive, got {args.duration}")
    if args.json:
        check_writable(args.json)
    result = listen(args.port, duration_s=args.duration, bauds=args.baud)
    if args.json:
        try:
            write_json(result.to_dict(), args.json)
        except SerialprobeError:
            print(format_result(result))  # the finished listen is not lost
            raise
        if args.json == "-":
            return 0
    print(format_result(result))
    return 0


def format_result(result: object) -> str:
    """Render a :class:`serialprobe.listen.ListenResult` for the terminal."""
    from serialprobe.listen import ListenResult
    from serialprobe.sanitize import terminal_safe

    assert isinstance(result, ListenResult)
    setting = "-" if result.baud is None else f"{result.baud} {result.framing}"
    lines = [
        f"{terminal_safe(result.port)}: {result.protocol} at {setting} "
        f"(confidence {result.confidence:.2f}, {result.bytes_seen} bytes in {result.duration_s:.1f} s)"
    ]
    lines += [f"  - {terminal_safe(e, max_chars=400)}" for e in result.evidence]
    if result.sample:
        lines.append(f"  sample: {terminal_safe(result.sample[:160], max_chars=200)}")
    if not result.writes_allowed:
        lines.append("  serialprobe will not write to this port (use --force with probe/scan to override)")
    return "\n".join(lines)
