"""Live strength readout of one emitter, for walking toward it (``rfscan locate``).

Each interval a block is read and run through the detector; the bursts centred within
``bandwidth / 2`` of the emitter's frequency give a reading: the peak and the (power) mean of the
burst peaks of the last ``window_s`` seconds, a trend against the previous reading, and a cue when
the level beats the best so far (getting closer).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["LevelMeter", "Reading", "bar", "format_reading", "locate_centre"]

#: Trend threshold: changes smaller than this (dB) are "steady".
TREND_DB = 1.0
#: A reading this much above the best so far is announced as stronger.
STRONGER_DB = 1.0


def locate_centre(freq_hz: float, sample_rate_hz: float) -> float:
    """Tuner centre that keeps the emitter a quarter of the rate away from the DC spike
    (inside the flat part of the passband), on a 100 kHz grid."""
    return round((freq_hz + 0.25 * sample_rate_hz) / 100e3) * 100e3


@dataclass(frozen=True)
class Reading:
    """One line of the readout."""

    t_s: float
    utc: str
    freq_hz: float
    bursts: int
    peak_dbfs: float | None
    mean_dbfs: float | None
    trend: str  # "up", "down", "steady" or "none"
    stronger: bool
    best_dbfs: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


class LevelMeter:
    """Turns the bursts of each interval into :class:`Reading` s (pure; no radio, no clock).

    Parameters
    ----------
    freq_hz, bandwidth_hz : float
        The emitter.
    window_s : float
        How far back "recent bursts" reach.
    """

    def __init__(self, freq_hz: float, bandwidth_hz: float, window_s: float = 2.0) -> None:
        self.freq_hz = float(freq_hz)
        self.bandwidth_hz = float(bandwidth_hz)
        self.window_s = float(window_s)
        self._recent: deque[tuple[float, float]] = deque()
        self._last_mean: float | None = None
        self.best_dbfs: float | None = None

    def matches(self, burst: Any) -> bool:
        """True if a burst is the emitter's (centre within half the bandwidth)."""
        return abs(float(burst.freq_hz) - self.freq_hz) <= max(self.bandwidth_hz / 2, 1.0)

    def update(self, t_s: float, utc: str, bursts: list[Any]) -> Reading:
        """Add the bursts of an interval ending at ``t_s`` and return the reading."""
        mine = [b for b in bursts if self.matches(b)]
        for b in mine:
            self._recent.append((float(b.start_s), float(b.peak_dbfs)))
        while self._recent and self._recent[0][0] < t_s - self.window_s:
            self._recent.popleft()
        if not self._recent:
            return Reading(t_s, utc, self.freq_hz, 0, None, None, "none", False, self.best_dbfs)
        peaks = [p for _, p in self._recent]
        peak = max(peaks)
        mean = 10 * math.log10(sum(10 ** (p / 10) for p in peaks) / len(peaks))
        trend = "steady"
        if self._last_mean is not None:
            if mean - self._last_mean >= TREND_DB:
                trend = "up"
            elif self._last_mean - mean >= TREND_DB:
                trend = "down"
        stronger = self.best_dbfs is not None and mean >= self.best_dbfs + STRONGER_DB
        if self.best_dbfs is None or mean > self.best_dbfs:
            self.best_dbfs = mean
        self._last_mean = mean
        return Reading(t_s, utc, self.freq_hz, len(mine), peak, mean, trend, stronger, self.best_dbfs)


def bar(level_dbfs: float | None, *, low_dbfs: float = -70.0, high_dbfs: float = 0.0, width: int = 30) -> str:
    """An ASCII bar of a level between ``low_dbfs`` and ``high_dbfs``."""
    if level_dbfs is None:
        return "[" + " " * width + "]"
    frac = min(1.0, max(0.0, (level_dbfs - low_dbfs) / (high_dbfs - low_dbfs)))
    n = round(frac * width)
    return "[" + "#" * n + "." * (width - n) + "]"


def format_reading(r: Reading, *, bell: bool) -> str:
    """One device-independent text line (``bell``: ring the terminal bell when stronger)."""
    from rfscan.units import format_hz

    if r.mean_dbfs is None or r.peak_dbfs is None:
        return f"{format_hz(r.freq_hz)}  no burst in the last interval(s)  {bar(None)}"
    arrow = {"up": "^ rising ", "down": "v falling", "steady": "= steady ", "none": "         "}[r.trend]
    cue = ("  STRONGER" + ("\a" if bell else "")) if r.stronger else ""
    return (
        f"{format_hz(r.freq_hz)}  peak {r.peak_dbfs:6.1f} dBFS  mean {r.mean_dbfs:6.1f} dBFS  {arrow} "
        f"{bar(r.mean_dbfs)}  {r.bursts} bursts{cue}"
    )
