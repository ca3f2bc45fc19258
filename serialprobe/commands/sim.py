"""``serialprobe sim``: serve a simulated device (persona) on a pseudo-terminal."""

from __future__ import annotations

import argparse
import sys
import time


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Register the ``sim`` subcommand."""
    p = sub.add_parser(
        "sim",
        parents=[common],
        help="serve a simulated modem or bus device on a pty",
        description=(
            "Serve a persona (simulated device described in TOML) on a pseudo-terminal. "
            "Prints the pty path (e.g. /dev/pts/5) on stdout and serves until Ctrl-C; point "
            "`serialprobe probe` or `serialprobe listen` at that path."
        ),
    )
    p.add_argument("persona", nargs="?", help="shipped persona name or path to a persona .toml")
    p.add_argument("--list", action="store_true", help="list the shipped personas and exit")
    p.add_argument(
        "--duration",
        type=float,
        default=0.0,
        metavar="S",
        help="stop after S seconds (default: until Ctrl-C)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``serialprobe sim``."""
    from serialprobe.errors import DataError
    from serialprobe.sanitize import terminal_safe
    from serialprobe.sim.persona import list_personas, load_persona
    from serialprobe.sim.server import PersonaServer

    if args.list:
        for name in list_personas():
            persona = load_persona(name)
            print(f"{name:24s} {terminal_safe(persona.description)}")
        return 0
    if not args.persona:
        raise DataError("give a persona name (see `serialprobe sim --list`) or a persona .toml path")
    persona = load_persona(args.persona)
    with PersonaServer(persona) as server:
        print(server.path, flush=True)
        baud = f"{persona.baud} baud" if persona.baud else "any baud"
        print(
            f"serialprobe: serving {persona.name} ({baud}) on {server.path}; Ctrl-C to stop", file=sys.stderr
        )
        deadline = time.monotonic() + args.duration if args.duration > 0 else None
        while deadline is None or time.monotonic() < deadline:
            if server.vanished.is_set():
                print("serialprobe: persona closed its port (disappear_after_s)", file=sys.stderr)
                break
            time.sleep(0.1)
    return 0
