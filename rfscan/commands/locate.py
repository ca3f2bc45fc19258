"""``rfscan locate``: a live strength readout of one emitter, for walking toward it.

Prints one line per interval on stderr (peak and mean of recent bursts in dBFS, a trend arrow, a
bar, and a bell / ``STRONGER`` cue when the level beats the best so far); ``--json OUT`` writes the
readings as JSON lines (``-``: stdout).  Runs until Ctrl-C or ``--duration``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any, TextIO

from rfscan.survey.session import add_source_arguments, add_waterfall_arguments, duration_arg
from rfscan.units import hz_arg


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``locate`` subcommand."""
    p = sub.add_parser(
        "locate",
        parents=[common],
        help="live strength readout of one emitter (walk toward it)",
        description="Show the level of one emitter's bursts as it changes, with a trend and a cue when it "
        "gets stronger.",
    )
    add_source_arguments(p, many=False)
    p.add_argument("--freq", type=hz_arg, required=True, metavar="HZ", help="the emitter's frequency")
    p.add_argument(
        "--bandwidth", type=hz_arg, default=200e3, metavar="HZ", help="its bandwidth (default 200k)"
    )
    p.add_argument(
        "--interval", type=float, default=0.25, metavar="S", help="time per reading (default 0.25)"
    )
    p.add_argument("--window", type=float, default=2.0, metavar="S", help="recent-burst window (default 2)")
    p.add_argument("--duration", type=duration_arg, metavar="T", help="stop after T (default: Ctrl-C)")
    p.add_argument("--json", metavar="OUT", help="readings as JSON lines to OUT ('-' for stdout)")
    add_waterfall_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the readout."""
    from rfscan.dsp import analyze_blocks
    from rfscan.errors import InputError
    from rfscan.report.jsonout import to_jsonable
    from rfscan.survey.events import LiveView
    from rfscan.survey.locate import LevelMeter, format_reading, locate_centre
    from rfscan.survey.session import open_sources, stop_on_signals

    if not 0.01 <= args.interval <= 60:
        raise InputError(f"--interval must be 0.01-60 s, got {args.interval}")
    view = LiveView(interval_s=0.0)
    src = open_sources([args.source], rate_hz=args.rate, gain_db=args.gain, ppm=args.ppm)[0]
    out: TextIO | None = None
    stop = threading.Event()
    waterfall: Any = None
    try:
        rate = src.sample_rate_hz
        if abs(args.bandwidth) > 0.8 * rate:
            raise InputError(f"--bandwidth must be below {0.8 * rate / 1e3:.0f} kHz at this rate")
        centre_hz = locate_centre(args.freq, rate)
        src.tune(centre_hz)
        waterfall = _open_waterfall(args, centre_hz, rate, view)
        meter = LevelMeter(args.freq, args.bandwidth, args.window)
        n = max(256, int(args.interval * rate) // 256 * 256)
        if args.json and args.json != "-":
            out = open(args.json, "a", encoding="utf-8")  # noqa: SIM115 - append as we go
        elif args.json == "-":
            out = sys.stdout
        t_read = 0.0
        readings = 0
        with stop_on_signals(stop, view):
            while not stop.is_set():
                if args.duration is not None and t_read >= args.duration:
                    break
                blk = src.read(n)
                t_read += n / rate
                analysis = analyze_blocks([blk], rate)
                end_s = (blk.sample_start + n) / rate
                reading = meter.update(end_s, blk.t_utc, list(analysis.bursts))
                if waterfall is not None:
                    waterfall.add(
                        blk.center_hz, readings, blk.sample_start / rate, analysis.spectra, analysis.bursts
                    )
                    waterfall.tick()
                readings += 1
                view.notice(format_reading(reading, bell=view.tty))
                if out is not None:
                    out.write(json.dumps(to_jsonable(reading.to_dict()), allow_nan=False) + "\n")
                    out.flush()
        if waterfall is not None:
            waterfall.finish()
    finally:
        src.close()
        if out is not None and out is not sys.stdout:
            out.close()
        if waterfall is not None:
            waterfall.close()
    return 130 if stop.is_set() and (args.duration is None or t_read < args.duration) else 0


def _open_waterfall(args: argparse.Namespace, centre_hz: float, rate_hz: float, view: Any) -> Any:
    """A waterfall over the tuned window (one row per reading), the emitter's channel marked;
    None without ``--waterfall`` / ``--waterfall-png``."""
    if not args.waterfall and not args.waterfall_png:
        return None
    from rfscan.dsp.stft import StftConfig
    from rfscan.survey.plan import DEFAULT_USABLE_FRACTION
    from rfscan.survey.waterfall import BandMark, LiveWaterfall, WaterfallBuffer

    half = DEFAULT_USABLE_FRACTION * rate_hz / 2
    buf = WaterfallBuffer(
        [(centre_hz - half, centre_hz + half)],
        bin_hz=rate_hz / StftConfig.for_rate(rate_hz).nfft,
        bands=[BandMark("emitter", args.freq - args.bandwidth / 2, args.freq + args.bandwidth / 2)],
    )
    return LiveWaterfall(buf, mode="locate", window=args.waterfall, png=args.waterfall_png, view=view)
