"""``rfscan sweep``: hop RTL-SDR dongles across the cellular uplink bands and catch every burst.

Ctrl-C or SIGTERM stops the sweep after the current dwell: the JSON report is written with
``"complete": false`` and the event log (JSONL, one line per burst as it was found) stays intact.
A source that fails mid-run (dongle unplugged, rtl_tcp dropped) is reconnected with back-off
(rtl_tcp) or ends the run with a partial report and a one-line error (exit status 4).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rfscan.survey.session import add_source_arguments, add_waterfall_arguments


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``sweep`` subcommand."""
    p = sub.add_parser(
        "sweep",
        parents=[common],
        help="hop across the cellular uplink bands and report every burst",
        description=(
            "Sweep RTL-SDR dongles over the uplink bands of a region (or a range): hop plan with "
            "cropped roll-off and DC between GSM carriers, every dwell through the detector, emitters "
            "with tech/link/band/channel, and the revisit time and probability of intercept per band."
        ),
    )
    add_source_arguments(p, many=True)
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--bands",
        metavar="LIST",
        help="uplink-eu, uplink-us, or band names (B20,GSM900,...); default uplink-<region>",
    )
    what.add_argument("--range", dest="span", metavar="LOW:HIGH", help="a frequency range, e.g. 700M:960M")
    p.add_argument("--region", metavar="NAME", help="band-plan region (eu, us, au, apac); default eu")
    how_long = p.add_mutually_exclusive_group()
    how_long.add_argument("--passes", type=int, metavar="N", help="passes over the plan (default 1)")
    how_long.add_argument("--duration", type=float, metavar="S", help="sweep for S seconds")
    p.add_argument("--dwell", type=float, metavar="S", help="dwell per hop (default: automatic, 10-50 ms)")
    p.add_argument("--json", metavar="OUT", help="write the report to OUT ('-' for stdout)")
    p.add_argument("--html", metavar="OUT", help="write a readable page to OUT")
    p.add_argument("--record", metavar="DIR", help="write every dwell to a SigMF recording in DIR")
    p.add_argument("--events", metavar="OUT.jsonl", help="append-only burst log (default: next to --json)")
    p.add_argument("--snapshot", type=float, default=30.0, metavar="S", help="rewrite --json every S s")
    p.add_argument("-q", "--quiet", action="store_true", help="no live status on stderr")
    add_waterfall_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the sweep and write the outputs."""
    from rfscan.errors import SourceError
    from rfscan.survey.engine import source_hop_quantum_s, source_overhead_s
    from rfscan.survey.events import LiveView
    from rfscan.survey.plan import RequestedSpan, parse_range, plan_hops, resolve_spans
    from rfscan.survey.session import check_positive, open_sources, run_survey

    check_positive(args.passes, "--passes")
    check_positive(args.duration, "--duration")
    check_positive(args.dwell, "--dwell")
    region: str | None
    if args.span:
        low, high = parse_range(args.span)
        spans = [RequestedSpan("range", "any", low, high)]
        region = args.region or "eu"
    else:
        spans, region = resolve_spans(args.bands, args.region)
        region = region or "eu"
    view = LiveView(quiet=args.quiet)
    sources = open_sources(args.source, rate_hz=args.rate, gain_db=args.gain, ppm=args.ppm)
    try:
        tuner = sources[0].tuner
        plan = plan_hops(
            spans,
            sources[0].sample_rate_hz,
            tuner_ranges_hz=tuner.ranges_hz,
            tuner=tuner.name,
            settle_s=max(source_overhead_s(s) for s in sources),
            hop_quantum_s=max(source_hop_quantum_s(s) for s in sources),
            dwell_s=args.dwell,
            sources=len(sources),
        )
        for u in plan.unreachable:
            view.notice(f"sweep: not reachable: {u.describe()}")
        for note in plan.notes:
            view.notice(f"sweep: {note}")
        view.notice(
            f"sweep: {len(plan.hops)} hops of {1e3 * plan.dwell_s:.1f} ms (+{1e3 * plan.settle_s:.0f} ms "
            f"settle) on {len(sources)} source(s); estimated revisit {plan.revisit_s(len(sources)):.2f} s"
        )
        passes = args.passes if args.passes is not None else (None if args.duration else 1)
        engine, doc = run_survey(
            args, sources, plan, mode="sweep", region=region, view=view, passes=passes, record_dir=args.record
        )
    finally:
        for s in sources:
            s.close()
    _summary(doc, to_stderr=args.json == "-")
    if engine.error is not None:
        raise SourceError(f"sweep stopped: {engine.error} (partial report written)")
    return 130 if engine.interrupted else 0


def _summary(doc: dict[str, Any], *, to_stderr: bool) -> None:
    from rfscan.survey.report import verdict

    _, lines = verdict(doc)
    s = doc["summary"]
    head = f"{s['emitters']} emitters ({s['uplink_emitters']} uplink), {s['bursts']} bursts"
    if not doc["complete"]:
        head += " (INCOMPLETE: partial)"
    out = sys.stderr if to_stderr else sys.stdout
    print("\n".join([head, *lines]), file=out)
