"""``rfscan monitor``: watch one or a few channels for hours and log every burst as it happens.

Every burst goes to the append-only JSONL event log at once (with its UTC time); a new emitter is
announced on stderr as soon as its first burst is seen; the JSON report is rewritten atomically
every ``--snapshot`` seconds, so a crash leaves the last snapshot.  Ctrl-C / SIGTERM end the watch
with a final report marked ``"complete": false``.
"""

from __future__ import annotations

import argparse
import sys

from rfscan.survey.session import add_source_arguments, add_waterfall_arguments, duration_arg
from rfscan.units import hz_arg

#: More centres than this and a monitor is really a sweep.
MAX_MONITOR_CENTRES = 8


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``monitor`` subcommand."""
    p = sub.add_parser(
        "monitor",
        parents=[common],
        help="watch chosen bands or channels for hours, logging every burst",
        description=(
            "Dwell on one or a few centres (round-robin) for a long time: every burst is appended to a "
            "JSONL log with its UTC time as it happens, new emitters are announced on stderr, and a JSON "
            "snapshot is rewritten atomically at intervals."
        ),
    )
    add_source_arguments(p, many=False)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--bands", metavar="LIST", help="band names (B20,GSM900) or uplink-eu")
    what.add_argument("--freq", type=hz_arg, action="append", metavar="HZ", help="a channel (repeatable)")
    p.add_argument("--bandwidth", type=hz_arg, default=200e3, metavar="HZ", help="width of --freq channels")
    p.add_argument("--region", metavar="NAME", help="band-plan region (default eu)")
    p.add_argument("--duration", type=duration_arg, default=8 * 3600.0, metavar="T", help="e.g. 90s, 15m, 8h")
    p.add_argument("--dwell", type=float, default=1.0, metavar="S", help="time per centre before moving on")
    p.add_argument("--json", metavar="OUT", help="report / snapshot file")
    p.add_argument("--events", metavar="OUT.jsonl", help="append-only burst log (default: next to --json)")
    p.add_argument("--snapshot", type=float, default=60.0, metavar="S", help="rewrite --json every S s")
    p.add_argument("-q", "--quiet", action="store_true", help="no live status on stderr")
    add_waterfall_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the watch."""
    from rfscan.errors import InputError, SourceError
    from rfscan.survey.engine import source_hop_quantum_s, source_overhead_s
    from rfscan.survey.events import LiveView
    from rfscan.survey.plan import RequestedSpan, plan_hops, resolve_spans
    from rfscan.survey.session import check_positive, open_sources, run_survey
    from rfscan.units import format_hz

    check_positive(args.dwell, "--dwell")
    check_positive(args.snapshot, "--snapshot")
    region = args.region or "eu"
    if args.freq:
        spans = [
            RequestedSpan(f"{format_hz(f)}", "any", f - args.bandwidth / 2, f + args.bandwidth / 2)
            for f in args.freq
        ]
    else:
        spans, reg = resolve_spans(args.bands, args.region)
        region = reg or region
    view = LiveView(quiet=args.quiet)
    sources = open_sources([args.source], rate_hz=args.rate, gain_db=args.gain, ppm=args.ppm)
    try:
        src = sources[0]
        plan = plan_hops(
            spans,
            src.sample_rate_hz,
            tuner_ranges_hz=src.tuner.ranges_hz,
            tuner=src.tuner.name,
            settle_s=source_overhead_s(src),
            hop_quantum_s=source_hop_quantum_s(src),
            dwell_s=args.dwell,
        )
        if len(plan.hops) > MAX_MONITOR_CENTRES:
            raise InputError(
                f"monitor: {len(plan.hops)} centres are needed for that; watch at most "
                f"{MAX_MONITOR_CENTRES} (name fewer bands or channels) or use 'rfscan sweep'"
            )
        for u in plan.unreachable:
            view.notice(f"monitor: not reachable: {u.describe()}")
        view.notice(
            "monitor: watching "
            + ", ".join(f"{format_hz(h.usable_low_hz)}-{format_hz(h.usable_high_hz)}" for h in plan.hops)
            + f" for {args.duration:.0f} s"
        )
        engine, doc = run_survey(args, sources, plan, mode="monitor", region=region, view=view, passes=None)
    finally:
        for s in sources:
            s.close()
    s = doc["summary"]
    out = sys.stderr if args.json == "-" else sys.stdout
    print(
        f"{s['emitters']} emitters ({s['uplink_emitters']} uplink), {s['bursts']} bursts in "
        f"{doc['coverage']['run_s']:.1f} s" + ("" if doc["complete"] else " (INCOMPLETE: partial)"),
        file=out,
    )
    if engine.error is not None:
        raise SourceError(f"monitor stopped: {engine.error} (partial report written)")
    return 130 if engine.interrupted else 0
