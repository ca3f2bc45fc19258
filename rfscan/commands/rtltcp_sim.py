"""``rfscan rtltcp-sim``: serve a simulated scene over the rtl_tcp protocol.

Any rtl_tcp client (gqrx, SDR++, rtl_tcp clients, ``rfscan`` with ``rtltcp://``) can connect and
tune around the scene as if a dongle were there.
"""

from __future__ import annotations

import argparse
import sys
import time

_DESCRIPTION = """\
Serve a scene (built-in name or TOML/JSON file) like `rtl_tcp` serves a dongle: the 12-byte RTL0
header (tuner R820T by default), then cu8 I/Q paced at the sample rate the client sets, for the
frequency and gain it sets.  One client at a time.  Binds to 127.0.0.1 unless --host says otherwise.
Stop with Ctrl-C.
"""


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``rtltcp-sim`` subcommand."""
    p = sub.add_parser(
        "rtltcp-sim",
        parents=[common],
        help="serve a simulated scene over the rtl_tcp protocol",
        description=_DESCRIPTION,
    )
    p.add_argument("--scene", required=True, help="built-in scene name or a .toml/.json scene file")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=1234, help="TCP port (default 1234, like rtl_tcp; 0 = any)")
    p.add_argument("--seed", type=int, default=None, help="override the scene seed")
    p.add_argument(
        "--tuner",
        default="r820t",
        type=str.lower,
        choices=("r820t", "r828d", "e4000", "fc0012", "fc0013", "fc2580"),
        help="tuner reported to clients (gain table and tuning range; default r820t)",
    )
    p.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="pace at SPEED x real time (default 1; 0 = as fast as the client reads)",
    )
    p.add_argument(
        "--backlog-ms",
        type=float,
        default=None,
        help="time a filled transfer waits in the server's buffer list before it is sent (default 5 ms)",
    )
    p.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="one-way network delay added to commands and data, like a Pi on Wi-Fi (default 0)",
    )
    p.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C (or ``--duration``)."""
    from rfscan.errors import SourceError
    from rfscan.sources.rtltcp_server import DEFAULT_SERVER_BACKLOG_S, RtlTcpSimServer

    if args.speed < 0:
        raise SourceError(f"--speed must be >= 0, got {args.speed}")
    if not 0 <= args.port <= 65535:
        raise SourceError(f"--port must be 0..65535, got {args.port}")
    backlog_s = DEFAULT_SERVER_BACKLOG_S if args.backlog_ms is None else args.backlog_ms / 1000.0
    if backlog_s < 0:
        raise SourceError("--backlog-ms must be >= 0")
    if not 0 <= args.latency_ms <= 10_000:
        raise SourceError(f"--latency-ms must be 0..10000, got {args.latency_ms}")
    server = RtlTcpSimServer(
        args.scene,
        host=args.host,
        port=args.port,
        seed=args.seed,
        tuner=args.tuner,
        speed=args.speed or None,
        backlog_s=backlog_s,
        latency_s=args.latency_ms / 1000.0,
    )
    with server:
        print(server.url, flush=True)
        print(
            f"rfscan: serving scene {server.scene.name!r} as an rtl_tcp {server.tuner.name} dongle; "
            "Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic())))
        except KeyboardInterrupt:
            print("rfscan: stopped", file=sys.stderr)
    return 0
