"""What the survey commands share: opening sources, stop signals, writing reports."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from rfscan.errors import InputError, SourceError
from rfscan.survey.events import LiveView

__all__ = [
    "add_source_arguments",
    "add_waterfall_arguments",
    "default_events_path",
    "open_sources",
    "open_waterfall",
    "parse_gain",
    "run_survey",
    "stop_on_signals",
    "write_survey",
]


def parse_gain(text: str) -> float | None:
    """``--gain 40`` or ``--gain auto``."""
    if text.strip().lower() == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"gain {text!r}: a number of dB or 'auto'") from None


def add_source_arguments(p: argparse.ArgumentParser, *, many: bool) -> None:
    """``--source URL`` (repeatable when ``many``), ``--rate``, ``--gain``, ``--ppm``."""
    from rfscan.units import hz_arg

    p.add_argument(
        "--source",
        metavar="URL",
        action="append" if many else "store",
        required=True,
        help="rtlsdr://0, rtltcp://HOST:PORT, sim://SCENE?seed=N or file://PATH"
        + (" (repeat: several dongles share the plan)" if many else ""),
    )
    p.add_argument("--rate", type=hz_arg, default=2.4e6, metavar="HZ", help="sample rate (default 2.4M)")
    p.add_argument(
        "--gain", type=parse_gain, default=None, metavar="DB|auto", help="tuner gain (default auto)"
    )
    p.add_argument("--ppm", type=int, default=0, metavar="N", help="frequency correction in ppm")
    p.add_argument(
        "--max-reconnects",
        type=int,
        default=3,
        metavar="N",
        help="reconnections to an rtl_tcp server allowed before giving up (default 3)",
    )


def add_waterfall_arguments(p: argparse.ArgumentParser) -> None:
    """``--waterfall`` (a live window) and ``--waterfall-png OUT.png`` (the final image)."""
    p.add_argument(
        "--waterfall",
        action="store_true",
        help="show a live waterfall window (needs a display; the survey goes on without one)",
    )
    p.add_argument("--waterfall-png", metavar="OUT.png", help="write the final waterfall image to OUT.png")


def open_waterfall(
    args: argparse.Namespace, plan: Any, *, mode: str, passes: int | None, view: LiveView
) -> Any:
    """The :class:`rfscan.survey.waterfall.LiveWaterfall` asked for by ``--waterfall`` /
    ``--waterfall-png`` over the plan's windows, or None when neither is given."""
    window = bool(getattr(args, "waterfall", False))
    png = getattr(args, "waterfall_png", None)
    if not window and not png:
        return None
    from rfscan.survey.waterfall import LiveWaterfall, WaterfallBuffer

    return LiveWaterfall(
        WaterfallBuffer.from_plan(plan), mode=mode, passes=passes, window=window, png=png, view=view
    )


def open_sources(urls: Sequence[str], *, rate_hz: float, gain_db: float | None, ppm: int) -> list[Any]:
    """Open every source (rtl_tcp ones reconnect with back-off); close the opened ones on failure.

    Raises
    ------
    SourceError
        A source cannot be opened.
    """
    from rfscan.sources import open_source

    out: list[Any] = []
    try:
        for url in urls:
            kw: dict[str, Any] = {"sample_rate_hz": rate_hz, "gain_db": gain_db, "ppm": ppm}
            # rtl_tcp: reconnect by default.  The client drops old-tuning samples on transfer
            # boundaries itself (see rfscan.sources.rtltcp): no extra discard is needed here.
            if url.lower().startswith("rtltcp://") and "reconnect=" not in url:
                kw["reconnect"] = True
            out.append(open_source(url, **kw))
    except BaseException:
        for s in out:
            with contextlib.suppress(Exception):
                s.close()
        raise
    if len({s.url for s in out}) != len(out):
        for s in out:
            s.close()
        raise SourceError("the same source is given twice: each --source must be a different dongle")
    return out


def default_events_path(json_path: str | None, events: str | None, stem: str) -> str | None:
    """``--events`` if given, else ``<json>.events.jsonl`` next to ``--json`` (none for stdout)."""
    if events:
        return events
    if json_path and json_path != "-":
        p = Path(json_path)
        return str(p.with_name(p.stem + ".events.jsonl"))
    return None


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event, view: LiveView) -> Iterator[list[int]]:
    """While inside, SIGINT and SIGTERM set ``stop`` (a second one raises KeyboardInterrupt)."""
    got: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if got:
            raise KeyboardInterrupt
        got.append(signum)
        stop.set()
        view.notice("rfscan: stopping; writing a partial report")

    if threading.current_thread() is not threading.main_thread():
        yield got
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield got
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def check_positive(value: float | None, name: str) -> None:
    """Reject zero or negative durations and counts."""
    if value is not None and not value > 0:
        raise InputError(f"{name} must be > 0, got {value}")


def duration_arg(text: str) -> float:
    """``--duration 90``, ``90s``, ``15m``, ``8h`` or ``1d`` as seconds (argparse ``type=``)."""
    t = text.strip().lower()
    scale = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    factor = 1.0
    if t and t[-1] in scale:
        factor = scale[t[-1]]
        t = t[:-1]
    try:
        value = float(t) * factor
    except ValueError:
        raise argparse.ArgumentTypeError(f"duration {text!r}: write e.g. 90, 90s, 15m or 8h") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"duration {text!r} must be > 0")
    return value


def write_survey(engine: Any, args: argparse.Namespace, *, mode: str, final: bool) -> dict[str, Any]:
    """Build the sweep/monitor document; write ``--json`` (atomically) and, when final, ``--html``."""
    from rfscan.atomic import write_text_atomic
    from rfscan.report.jsonout import write_json
    from rfscan.survey.report import build_document, render_html

    doc = build_document(engine, mode=mode, note=None if final else f"snapshot of a running {mode}")
    if not final:
        doc["complete"] = False
    if args.json:
        write_json(doc, args.json)
    html = getattr(args, "html", None)
    if final and html:
        write_text_atomic(render_html(doc), html)
    return doc


def run_survey(
    args: argparse.Namespace,
    sources: Sequence[Any],
    plan: Any,
    *,
    mode: str,
    region: str,
    view: LiveView,
    passes: int | None,
    record_dir: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Run a sweep or monitor to its end, a signal or a fault; always write the final report.

    Every burst goes to the append-only event log (``--events``, default next to ``--json``) as it is
    found; ``--json`` is rewritten every ``--snapshot`` seconds while running.  ``--waterfall`` /
    ``--waterfall-png`` attach a live waterfall (drawn from this thread between dwells; its image is
    written after the report).  Returns the engine (its ``interrupted`` and ``error`` say how the run
    ended) and the final document.
    """
    from rfscan.survey.engine import SurveyEngine
    from rfscan.survey.events import EventLog

    events = EventLog(default_events_path(args.json, args.events, mode))
    waterfall = None
    try:
        waterfall = open_waterfall(args, plan, mode=mode, passes=passes, view=view)
        stop = threading.Event()

        def snapshot(engine: SurveyEngine) -> None:
            write_survey(engine, args, mode=mode, final=False)

        engine = SurveyEngine(
            sources,
            plan,
            region=region,
            passes=passes,
            duration_s=args.duration,
            events=events,
            view=view,
            record_dir=record_dir,
            max_reconnects=args.max_reconnects,
            stop=stop,
            mode=mode,
            on_snapshot=snapshot if args.json and args.json != "-" else None,
            snapshot_s=args.snapshot,
            observer=waterfall,
        )
        with stop_on_signals(stop, view) as got:
            engine.run()
        if got:
            engine.interrupted = True
        doc = write_survey(engine, args, mode=mode, final=True)
        if waterfall is not None:
            waterfall.finish()
    finally:
        events.close()
        if waterfall is not None:
            waterfall.close()
    return engine, doc
