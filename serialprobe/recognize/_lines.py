"""Split captured bytes into CR/LF-delimited lines (bounded)."""

from __future__ import annotations

import re

__all__ = ["MAX_LINE_BYTES", "split_lines"]

#: Lines longer than this are cut (a hostile or garbage stream cannot make one huge line).
MAX_LINE_BYTES = 512
_LINE_SPLIT = re.compile(rb"[\r\n]+")


def split_lines(data: bytes) -> list[bytes]:
    """Return the non-empty CR/LF-delimited lines of ``data`` (each at most MAX_LINE_BYTES)."""
    return [line[:MAX_LINE_BYTES] for line in _LINE_SPLIT.split(data) if line]
