"""``rfscan report``: the inspection report of one asset from radio and serial/USB JSON documents."""

from __future__ import annotations

import argparse
import sys


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``report`` subcommand."""
    p = sub.add_parser(
        "report",
        parents=[common],
        help="join radio and serial/USB results into one inspection report",
        description=(
            "Read the --json documents of rfscan analyze/sweep/monitor and serialprobe "
            "scan/probe/list/usb and write one page per asset: the verdict first (modem found, "
            "possible, or nothing seen with the coverage and chance of intercept), plots, tables of "
            "emitters, ports, USB devices and modem identities (masked as the inputs hold them), and "
            "the evidence (SHA-256 of every input, recordings, tool versions, who and where)."
        ),
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT.json", help="result documents to join")
    p.add_argument("-o", "--output", required=True, metavar="REPORT.html", help="write the page here")
    p.add_argument(
        "--json", metavar="OUT", help="also write the machine form (modemhunt.inspection/1); '-' = stdout"
    )
    p.add_argument(
        "--pdf", metavar="OUT", help="also write a PDF (headless Chromium if present, else matplotlib)"
    )
    p.add_argument("--asset", metavar="NAME", help="what was inspected, e.g. 'STS crane 7, main cabinet'")
    p.add_argument("--operator", metavar="NAME", help="who made the inspection")
    p.add_argument("--site", metavar="NAME", help="where the asset is")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the report and write the requested files."""
    from rfscan.atomic import write_text_atomic
    from rfscan.report.inspection import (
        build_report,
        load_input,
        make_figures,
        render_html,
        render_pdf,
        verdict_text,
    )
    from rfscan.report.jsonout import write_json

    inputs = [load_input(path) for path in args.inputs]
    report = build_report(inputs, asset=args.asset, operator=args.operator, site=args.site)
    figures = make_figures(inputs, report)
    write_text_atomic(render_html(report, figures), args.output)
    if args.json:
        write_json(report, args.json)
    out = sys.stderr if args.json == "-" else sys.stdout
    print("\n".join(verdict_text(report)), file=out)
    print(f"rfscan: wrote {args.output}", file=sys.stderr)
    if args.pdf:
        how = render_pdf(report, figures, args.pdf, html_path=args.output)
        method = "headless Chromium" if how == "chromium" else "matplotlib (no Chromium)"
        print(f"rfscan: wrote {args.pdf} via {method}", file=sys.stderr)
    return 0
