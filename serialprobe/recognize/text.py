"""Recognise printable console text: boot logs, shell prompts, login prompts, menus.

A line that is mostly printable ASCII with regular CR/LF is human-oriented text. Known console
markers (``login:``, ``Password:``, U-Boot and Linux kernel banners, kernel log timestamps, shell
prompts) raise the score. The score is capped below the structured recognisers so that AT or NMEA
text with valid structure wins over plain "text".
"""

from __future__ import annotations

import re

from serialprobe.recognize._lines import split_lines
from serialprobe.recognize.capture import Capture
from serialprobe.recognize.result import Recognition
from serialprobe.recognize.stats import byte_stats

__all__ = ["TEXT_SCORE_CAP", "recognize_text"]

#: Highest score plain text can reach.
TEXT_SCORE_CAP = 0.8

_MARKERS: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    ("login prompt", re.compile(rb"(?im)\blogin:\s*$")),
    ("password prompt", re.compile(rb"(?im)\bpassword:\s*$")),
    ("U-Boot banner", re.compile(rb"U-Boot \d{4}\.\d{2}")),
    ("Linux kernel banner", re.compile(rb"Linux version \d+\.\d+")),
    ("kernel log timestamps", re.compile(rb"\[\s*\d+\.\d{6}\]")),
    ("BusyBox", re.compile(rb"BusyBox v\d")),
    ("systemd", re.compile(rb"systemd\[\d+\]|Started [A-Z]|Reached target")),
    ("shell prompt", re.compile(rb"(?m)^[\w.@:~/-]*[$#>] ?$")),
    ("bootloader", re.compile(rb"(?i)starting kernel|hit any key to stop autoboot")),
)


def recognize_text(capture: Capture) -> Recognition:
    """Score how much a capture looks like human-readable console text.

    Parameters
    ----------
    capture : Capture
        Bytes captured without writing.

    Returns
    -------
    Recognition
        ``protocol="text"``; 0 below 90 % printable bytes or without line structure, up to
        ``TEXT_SCORE_CAP`` with console markers.
    """
    stats = byte_stats(capture)
    data = capture.data
    if stats.n_bytes < 8:
        return Recognition("text", 0.0, (), {"printable_ratio": round(stats.printable_ratio, 3)})
    lines = split_lines(data)
    found = [name for name, rx in _MARKERS if rx.search(data)]
    p = stats.printable_ratio
    has_lines = stats.line_breaks > 0 or stats.n_bytes < 80
    score = 0.0
    if p >= 0.9 and has_lines:
        score = min(TEXT_SCORE_CAP, 0.4 + 0.4 * (p - 0.9) / 0.1 * 0.5 + 0.15 * len(found))
    if stats.error_ratio is not None:
        score *= max(0.0, 1.0 - 3.0 * stats.error_ratio)
    evidence: list[str] = []
    if score > 0:
        evidence.append(f"{p:.0%} printable bytes in {len(lines)} line(s)")
        if found:
            evidence.append("console markers: " + ", ".join(found))
    return Recognition(
        protocol="text",
        score=score,
        evidence=tuple(evidence),
        details={"printable_ratio": round(p, 3), "lines": len(lines), "markers": found},
    )
