"""The append-only JSONL event log and the live terminal view shared by the survey modes."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from rfscan.errors import RfscanError

__all__ = ["EventLog", "LiveView", "clean_text", "utc_from_epoch", "utc_to_epoch"]


def utc_from_epoch(epoch_s: float) -> str:
    """ISO-8601 UTC with microseconds and a ``Z``."""
    text = dt.datetime.fromtimestamp(epoch_s, tz=dt.UTC).isoformat(timespec="microseconds")
    return text.replace("+00:00", "Z")


def utc_to_epoch(text: str) -> float:
    """Seconds since the epoch of an ISO-8601 UTC stamp (``...Z`` accepted)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def clean_text(text: object, limit: int = 200) -> str:
    """Printable, single-line, bounded text (device strings are untrusted)."""
    s = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return s if len(s) <= limit else s[: limit - 3] + "..."


class EventLog:
    """Append-only JSON lines, one event per line, flushed as written (a crash loses nothing written).

    Parameters
    ----------
    path : str or path-like or None
        The log file (appended to; created if missing).  None: events are counted and dropped.
    """

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = None if path is None else Path(path)
        self.count = 0
        self._lock = threading.Lock()
        self._fh: TextIO | None = None
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run
            except OSError as err:
                raise RfscanError(f"cannot open the event log {self.path}: {err.strerror or err}") from err

    def write(self, event: str, **fields: Any) -> None:
        """Append one event (``{"event": ..., "logged_utc": ..., **fields}``) and flush it."""
        from rfscan.report.jsonout import to_jsonable

        doc = {"event": event, "logged_utc": utc_from_epoch(time.time()), **fields}
        line = json.dumps(to_jsonable(doc), ensure_ascii=False, allow_nan=False)
        with self._lock:
            self.count += 1
            if self._fh is None:
                return
            try:
                self._fh.write(line + "\n")
                self._fh.flush()
            except OSError as err:
                raise RfscanError(f"cannot write the event log {self.path}: {err.strerror or err}") from err

    def close(self) -> None:
        """Close the file (safe twice)."""
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


class LiveView:
    """A one-line live status on stderr (rewritten in place on a TTY, plain lines every few seconds
    otherwise) plus permanent notice lines.

    Parameters
    ----------
    stream : TextIO or None
        Where to write (default ``sys.stderr``).
    interval_s : float
        Minimum time between two status lines when the stream is not a terminal.
    quiet : bool
        Print notices only.
    """

    def __init__(self, stream: TextIO | None = None, *, interval_s: float = 5.0, quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.tty = bool(self.stream.isatty())
        except (AttributeError, ValueError):
            self.tty = False
        self.interval_s = interval_s if not self.tty else 0.2
        self.quiet = quiet
        self._last = 0.0
        self._width = 0
        self._lock = threading.Lock()

    def status(self, text: str, *, force: bool = False) -> None:
        """Show the current status (rate-limited unless ``force``)."""
        if self.quiet:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval_s:
            return
        self._last = now
        line = clean_text(text, 160)
        with self._lock:
            if self.tty:
                pad = max(0, self._width - len(line))
                self.stream.write("\r" + line + " " * pad)
                self._width = len(line)
            else:
                self.stream.write(line + "\n")
            self.stream.flush()

    def notice(self, text: str) -> None:
        """A permanent line (a new emitter, a fault, a warning)."""
        with self._lock:
            if self.tty and self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self._width = 0
            self.stream.write(clean_text(text, 300) + "\n")
            self.stream.flush()

    def done(self) -> None:
        """End the status line."""
        with self._lock:
            if self.tty and self._width:
                self.stream.write("\n")
                self._width = 0
                self.stream.flush()
