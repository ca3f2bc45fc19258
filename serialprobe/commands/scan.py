"""``serialprobe scan``: every serial port: enumerate, listen, then probe only likely modems.

For each port (from :func:`serialprobe.enumerate.ports.list_ports`, plus ports given as
arguments) the scan

1. joins the enumeration verdict (modem / possible-modem / not-modem, from USB IDs);
2. listens (:func:`serialprobe.listen.listen`, sends nothing);
3. runs the read-only AT probe only when the port may be a modem: listen heard AT, or heard
   nothing at all (silent: an idle modem's AT port) on a port the enumeration does not rule out,
   or heard bytes it could not identify (unknown) on a port the enumeration knows as a modem's AT
   interface. A port carrying Modbus, NMEA, DIAG, console text or unidentified bytes never
   receives a byte without ``--force``.

The JSON document is rewritten after every port through :func:`serialprobe.jsonout.write_json`
(temporary file and atomic rename), so an interrupted scan (Ctrl-C) leaves a valid document with
``"complete": false``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from serialprobe.commands.probe import is_modem_at_interface

#: Listen verdicts that mean "another protocol lives here: do not write".
FOREIGN_PROTOCOLS = frozenset({"modbus", "nmea", "diag", "text"})
#: USB interface roles that are not AT ports (writing AT text there is pointless or harmful).
_NON_AT_ROLES = frozenset({"diag", "nmea", "qdl", "audio", "adb"})


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Register the ``scan`` subcommand."""
    p = sub.add_parser(
        "scan",
        parents=[common],
        help="enumerate, listen to and (only where safe) AT-probe every serial port",
        description=(
            "For every serial port (and every PORT given): enumeration verdict, a short passive "
            "listen (--listen-s, default 4 s, longer when bytes are heard but not identified), then "
            "the read-only AT probe only on ports that may be modems. Ports where listening heard "
            "Modbus, NMEA, DIAG, console text or bytes nobody could identify are never written to "
            "unless --force (unidentified bytes are accepted on a known modem's AT interface). A "
            "line silent for the whole listen is probed: raise --listen-s on slow buses. The JSON "
            "document is rewritten after each port (Ctrl-C leaves it valid)."
        ),
    )
    p.add_argument("ports", metavar="PORT", nargs="*", help="extra ports to scan (paths or pyserial URLs)")
    p.add_argument("--json", metavar="OUT", help="write the scan as JSON to OUT ('-' = stdout at the end)")
    p.add_argument(
        "--listen-s",
        metavar="S",
        type=float,
        default=4.0,
        help="listening time per port in seconds (default 4)",
    )
    p.add_argument("--reveal", action="store_true", help="show IMEI/IMSI/ICCID in full (masked by default)")
    p.add_argument(
        "--force",
        action="store_true",
        help="probe ports even where listening heard another protocol (may disturb that traffic)",
    )
    p.add_argument(
        "--no-list",
        action="store_true",
        help="scan only the ports given on the command line, not the enumerated ones",
    )
    p.add_argument(
        "--probe-timeout",
        metavar="S",
        type=float,
        default=20.0,
        help="bound on the AT probe of one port in seconds (default 20)",
    )
    p.set_defaults(func=run)


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def decide_probe(
    protocol: str | None, verdict_kind: str | None, role: str | None, *, force: bool
) -> str | None:
    """Return why a port must NOT be probed, or None when the probe may run.

    Parameters
    ----------
    protocol : str or None
        Listen verdict (None when listening failed).
    verdict_kind : str or None
        Enumeration verdict kind (None for ports without one, e.g. built-in UARTs, ptys).
    role : str or None
        Role of the port's USB interface in the modem database, when known.
    force : bool
        ``--force``: probe regardless of what listening heard.
    """
    if protocol is None:
        return "listening failed, so the line is unknown: not written to"
    if force:
        return None
    if protocol in FOREIGN_PROTOCOLS:
        return f"listening heard {protocol} traffic: writing could disturb it (use --force to probe anyway)"
    if role in _NON_AT_ROLES:
        return f"the modem database says this interface is a {role} port, not an AT port (--force to probe)"
    if protocol == "at":
        return None
    if protocol == "unknown":
        if is_modem_at_interface(verdict_kind, role):
            return None  # e.g. boot URCs heard at a wrong rate on a known modem's AT port
        return (
            "listening heard bytes it could not identify (a bus heard only at wrong rates, a binary "
            "protocol): writing could disturb it (use --force to probe anyway)"
        )
    if verdict_kind == "not-modem":
        return f"line {protocol} and the enumeration says not a modem (--force to probe)"
    return None


def _port_entries(args: argparse.Namespace) -> list[tuple[str, dict[str, Any], str | None, str | None]]:
    """(device, port info dict, verdict kind, interface role) for every port to scan."""
    entries: list[tuple[str, dict[str, Any], str | None, str | None]] = []
    seen: set[str] = set()
    if not args.no_list:
        from serialprobe.enumerate.modemdb import load_modem_db
        from serialprobe.enumerate.ports import list_ports
        from serialprobe.enumerate.verdict import port_verdict

        db = load_modem_db()
        for port in list_ports():
            v = port_verdict(port, db)
            info = {**port.to_dict(), "verdict": None if v is None else v.to_dict()}
            role = None
            if v is not None and port.usb_interface_number is not None:
                r = v.roles.get(port.usb_interface_number)
                role = None if r is None else str(r)
            entries.append((port.device, info, None if v is None else v.kind, role))
            seen.add(port.device)
    for device in args.ports:
        if device not in seen:
            entries.append((device, {"device": device, "verdict": None}, None, None))
            seen.add(device)
    return entries


def _default_probe() -> Callable[..., Any]:
    """The read-only AT probe, :func:`serialprobe.at.probe.probe_port`."""
    from serialprobe.at import probe_port

    return probe_port


def run(args: argparse.Namespace) -> int:
    """Run ``serialprobe scan``."""
    return scan(args)


def scan(args: argparse.Namespace, *, probe: Callable[..., Any] | None = None) -> int:
    """Scan every port (see the module docstring); ``probe`` overrides the AT probe (tests)."""
    from serialprobe import __version__
    from serialprobe.errors import PortError, SerialprobeError
    from serialprobe.jsonout import check_writable, write_json
    from serialprobe.listen import listen
    from serialprobe.sanitize import terminal_safe

    if args.listen_s <= 0:
        raise PortError(f"--listen-s must be positive, got {args.listen_s}")
    if args.json:
        check_writable(args.json)  # before any port is opened
    if probe is None:
        probe = _default_probe()
    doc: dict[str, Any] = {
        "tool": "serialprobe",
        "version": __version__,
        "started_utc": _utc_now(),
        "finished_utc": None,
        "complete": False,
        "interrupted": False,
        "options": {
            "listen_s": args.listen_s,
            "reveal": bool(args.reveal),
            "force": bool(args.force),
            "extra_ports": list(args.ports),
        },
        "ports": [],
    }
    to_file = bool(args.json) and args.json != "-"

    def save() -> None:
        if to_file:
            write_json(doc, args.json)

    save()
    try:
        entries = _port_entries(args)
        doc["ports_total"] = len(entries)
        save()
        for device, info, kind, role in entries:
            entry: dict[str, Any] = dict(info)
            t0 = time.monotonic()
            protocol: str | None = None
            try:
                result = listen(device, duration_s=args.listen_s)
                entry["listen"] = result.to_dict()
                protocol = result.protocol
                baud: int | str = result.baud if result.protocol == "at" and result.baud else "auto"
            except SerialprobeError as err:
                entry["listen"] = None
                entry["listen_error"] = str(err)
                baud = "auto"
            reason = decide_probe(protocol, kind, role, force=args.force)
            if reason is None:
                try:
                    outcome = probe(
                        device,
                        baud=baud,
                        reveal=args.reveal,
                        timeout_s=args.probe_timeout,
                        force=args.force,
                        listen_first=None,  # this scan has just listened
                    )
                    entry["probe"] = outcome.to_dict() if hasattr(outcome, "to_dict") else outcome
                except SerialprobeError as err:
                    entry["probe"] = None
                    entry["probe_error"] = str(err)
            else:
                entry["probe"] = None
                entry["skipped_reason"] = reason
            entry["elapsed_s"] = round(time.monotonic() - t0, 3)
            doc["ports"].append(entry)
            if args.json != "-":
                _print_row(entry, terminal_safe)
            save()
    except KeyboardInterrupt:
        doc["interrupted"] = True
        doc["finished_utc"] = _utc_now()
        save()
        if args.json == "-":
            sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        raise
    doc["complete"] = True
    doc["finished_utc"] = _utc_now()
    save()
    if args.json == "-":
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    elif not doc["ports"]:
        print("no serial ports found (give ports as arguments, e.g. a pty path)")
    return 0


def _print_row(entry: dict[str, Any], safe: Callable[..., str]) -> None:
    listen = entry.get("listen") or {}
    verdict = entry.get("verdict") or {}
    heard = listen.get("protocol", "error")
    if listen.get("baud"):
        heard += f"@{listen['baud']}"
    if entry.get("probe") is not None:
        action = "probed"
    elif "probe_error" in entry:
        action = f"probe failed: {entry['probe_error']}"
    else:
        action = f"skipped: {entry.get('skipped_reason', '')}"
    print(
        f"{safe(str(entry.get('device', '?'))):22s} {verdict.get('kind', '-'):14s} {heard:14s} {safe(action)}"
    )
