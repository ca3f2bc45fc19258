"""``rfscan analyze``: find, classify and report cellular emitters in a recording.

Ctrl-C or SIGTERM stops reading at the next block; what was read is analysed and written as a
valid report marked ``"complete": false``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

from rfscan.commands._input import add_recording_arguments

if TYPE_CHECKING:
    from rfscan.iq import Block, Recording

log = logging.getLogger("rfscan.analyze")

#: Label prefix of the annotations ``--annotate`` writes (earlier ones are replaced).
ANNOTATION_PREFIX = "rfscan:"


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``analyze`` subcommand."""
    p = sub.add_parser(
        "analyze",
        parents=[common],
        help="find and classify cellular emitters in a recording",
        description=(
            "Run the detector on a recording: spectra, bursts, emitters with tech, link (uplink/downlink), "
            "band and channel, and how long each span was watched (probability of intercept)."
        ),
    )
    add_recording_arguments(p)
    p.add_argument(
        "--region",
        metavar="NAME",
        help="band-plan region (eu, us, au, apac) deciding overlapping bands; default: from the "
        "recording's core:geolocation, else undecided links are reported as such",
    )
    p.add_argument("--json", metavar="OUT", help="write the result document to OUT ('-' for stdout)")
    p.add_argument("--html", metavar="OUT", help="write a readable page with plots to OUT")
    p.add_argument(
        "--annotate", action="store_true", help="write the detected bursts back into the SigMF recording"
    )
    p.add_argument(
        "--keep-clicks",
        action="store_true",
        help="leave impulsive noise (motor-drive and arcing clicks) in the frames: by default the clicks "
        "are found in the samples and taken out, and in a capture full of them the weak bursts made "
        "where they were are set aside (compare the two runs when in doubt)",
    )
    p.add_argument("--no-hash", action="store_true", help="do not compute the input's SHA-256")
    p.add_argument("--block-size", type=int, default=1 << 19, metavar="N", help="samples per block")
    p.set_defaults(func=run)


class _StopFlag:
    """Set by SIGINT/SIGTERM while reading, so the analysis ends cleanly at a block boundary."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def handler(self, signum: int, frame: FrameType | None) -> None:
        if self.signal is not None:  # second Ctrl-C: give up at once
            raise KeyboardInterrupt
        self.signal = signum
        print("rfscan: stopping after this block; writing a partial report", file=sys.stderr)


#: Seconds of signal between two progress lines (``-v``).
PROGRESS_EVERY_S = 5.0


def _blocks(rec: Recording, block_size: int, stop: _StopFlag) -> Iterator[Block]:
    next_report = 0.0
    for block in rec.blocks(block_size):
        if stop.signal is not None:
            return
        if block.time_s >= next_report:
            log.info("read %.1f s of %.1f s", block.time_s, rec.duration_s)
            next_report = block.time_s + PROGRESS_EVERY_S
        yield block


def _annotate(rec: Recording, doc: dict[str, Any]) -> int:
    from rfscan.errors import InputError
    from rfscan.iq import Annotation, add_annotations

    if rec.kind != "sigmf":
        raise InputError(f"{rec.path}: --annotate needs a SigMF recording (.sigmf-meta), not {rec.kind}")
    rate = rec.sample_rate_hz
    emitters = {e["id"]: e for e in doc["emitters"]}
    notes = []
    for b in doc["bursts"]:
        e = emitters.get(b["emitter"], {})
        notes.append(
            Annotation(
                sample_start=round(b["start_s"] * rate),
                sample_count=max(1, round(b["duration_s"] * rate)),
                freq_lower_edge_hz=b["freq_hz"] - b["bandwidth_hz"] / 2,
                freq_upper_edge_hz=b["freq_hz"] + b["bandwidth_hz"] / 2,
                label=f"{ANNOTATION_PREFIX}{e.get('tech', 'unknown')} {e.get('link') or 'link?'}",
                comment=f"emitter {b['emitter']} band {e.get('band')} snr {b['snr_db']:.1f} dB",
                extra={"modemhunt:emitter": b["emitter"], "modemhunt:snr_db": round(b["snr_db"], 2)},
            )
        )
    add_annotations(rec.path, notes, replace_label_prefix=ANNOTATION_PREFIX)
    return len(notes)


def _summary(doc: dict[str, Any]) -> str:
    from rfscan.report.analysis import verdict_lines

    _, lines = verdict_lines(doc)
    s = doc["summary"]
    head = f"{s['emitters']} emitters ({s['uplink_emitters']} uplink), {s['bursts']} bursts"
    if not doc["complete"]:
        head += " (INTERRUPTED: partial)"
    out = [head, *lines]
    if "truth" in doc:
        t = doc["truth"]
        out.append(f"ground truth: {t['found']} of {t['total']} simulated emitters found")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    """Analyse ``args.path`` and write the requested outputs."""
    from rfscan.atomic import write_text_atomic
    from rfscan.dsp import PipelineConfig, analyze_blocks
    from rfscan.iq import open_recording
    from rfscan.report.analysis import build_document, choose_region, render_html
    from rfscan.report.jsonout import write_json

    if args.block_size < 4096:
        from rfscan.errors import InputError

        raise InputError(f"--block-size {args.block_size} is too small (at least 4096)")
    stop = _StopFlag()
    with open_recording(args.path, fmt=args.fmt, sample_rate_hz=args.rate, center_hz=args.center) as rec:
        region = choose_region(args.region, rec.geolocation, rec.global_info.get("modemhunt:region"))
        previous = {s: signal.signal(s, stop.handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            config = PipelineConfig(declick=not args.keep_clicks)
            analysis = analyze_blocks(_blocks(rec, args.block_size, stop), rec.sample_rate_hz, config=config)
        finally:
            for s, h in previous.items():
                signal.signal(s, h)
        sha = None if args.no_hash else rec.sha256()
        doc = build_document(
            rec,
            analysis,
            region=region,
            sha256=sha,
            complete=stop.signal is None,
            note=None if stop.signal is None else f"interrupted by signal {stop.signal}",
        )
        if args.annotate:
            n = _annotate(rec, doc)
            print(f"rfscan: wrote {n} annotations into {rec.path}", file=sys.stderr)
    if args.json:
        write_json(doc, args.json)
    if args.html:
        write_text_atomic(render_html(doc, analysis), args.html)
    if args.json != "-":
        print(_summary(doc))
    return 130 if stop.signal is not None else 0
