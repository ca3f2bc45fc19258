"""Turn untrusted device bytes into text that is safe to show, store and log.

Every string a serial device returns is hostile until proven otherwise: it may carry terminal
escape sequences (CWE-150: OSC 52 clipboard writes, OSC 8 hyperlinks, CSI screen clears), bidi
overrides that reorder what a reader sees, NUL floods, invalid UTF-8 or megabyte-long lines.

Functions
---------
terminal_safe
    Text for a terminal or a log: escape sequences removed whole, every remaining control
    character rendered visibly (``\\x1b``, ``\\u009b``, ``\\u202e``), bounded length.
escape_bytes
    Lossless printable form of raw bytes for transcripts (``\\r``, ``\\n``, ``\\xNN``, ``\\\\``).
field_text
    ``terminal_safe`` for one parsed field, surrounding whitespace stripped.
html_safe
    HTML escaping for reports (apply to text already passed through ``terminal_safe``).
"""

from __future__ import annotations

import html
import re

__all__ = [
    "MAX_FIELD_CHARS",
    "escape_bytes",
    "field_text",
    "html_safe",
    "strip_escape_sequences",
    "terminal_safe",
    "unescape_bytes",
]

#: Default bound on the characters a single device-provided field may occupy.
MAX_FIELD_CHARS = 256

# Whole escape sequences, 7-bit (ESC-introduced) and 8-bit (C1) forms (ECMA-48 / VT100):
#  - CSI: ESC [ or U+009B, parameter bytes 0x30-0x3F, intermediates 0x20-0x2F, final 0x40-0x7E
#  - OSC: ESC ] or U+009D ... terminated by BEL, ESC \ (ST) or U+009C (8-bit ST); an unterminated
#    string runs to the end of the text (a terminal would swallow it too)
#  - DCS (ESC P, U+0090), SOS (ESC X, U+0098), PM (ESC ^, U+009E), APC (ESC _, U+009F): strings
#    terminated by ST (or BEL, which xterm accepts for some)
#  - other two-character escapes, e.g. ESC c (full reset), ESC ( B (charset), ESC 7 / ESC 8
_ESCAPE_RE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f]) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c|(?=\x1b)|$)
    | \x1b [\x20-\x2f]* [\x30-\x7e]
    """,
    re.VERBOSE,
)

# Code points rendered visibly instead of passed through: C0, DEL, C1, bidi embeddings/overrides
# and isolates (Trojan Source, CVE-2021-42574), line/paragraph separators, BOM / zero-width no-break.
_VISIBLE: dict[int, str] = {}
for _cp in [*range(0x00, 0x20), 0x7F]:
    _VISIBLE[_cp] = f"\\x{_cp:02x}"
for _cp in [*range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F]:
    _VISIBLE[_cp] = f"\\u{_cp:04x}"
for _cp in (0x061C, 0x2028, 0x2029, 0xFEFF):
    _VISIBLE[_cp] = f"\\u{_cp:04x}"
del _cp

# Work bound: text beyond this many characters is never examined (counted as truncated).
_SCAN_FACTOR = 8
_SCAN_MIN = 4096

_BYTE_TABLE: tuple[str, ...] = tuple(
    "\\\\"
    if b == 0x5C
    else "\\r"
    if b == 0x0D
    else "\\n"
    if b == 0x0A
    else chr(b)
    if 0x20 <= b <= 0x7E
    else f"\\x{b:02x}"
    for b in range(256)
)


def _render(ch: str) -> str:
    """Visible form of one character (itself when harmless)."""
    cp = ord(ch)
    if cp in _VISIBLE:
        return _VISIBLE[cp]
    if 0xD800 <= cp <= 0xDFFF:
        return f"\\u{cp:04x}"
    return ch


def strip_escape_sequences(text: str) -> str:
    """Remove whole ANSI/VT escape sequences (CSI, OSC, DCS, SOS, PM, APC, two-character escapes).

    Other control characters are left in place: use :func:`terminal_safe` for display. This is
    for parsing, e.g. finding an ``OK`` or an ICCID a hostile device wrapped in colour codes.
    """
    return _ESCAPE_RE.sub("", text)


def terminal_safe(data: bytes | str, *, max_chars: int = MAX_FIELD_CHARS) -> str:
    """Return device output as text that cannot drive a terminal.

    Parameters
    ----------
    data : bytes or str
        Untrusted device output; bytes are decoded as UTF-8 with invalid sequences replaced
        by U+FFFD.
    max_chars : int
        Bound on the rendered text (before the truncation marker). Longer input is cut and
        ``…[+N chars]`` appended, N counting the source characters left out.

    Returns
    -------
    str
        Text where whole escape sequences (CSI, OSC incl. OSC 52/OSC 8, DCS, SOS, PM, APC, and
        two-character escapes) are removed, and every other control character, bidi control,
        line separator and lone surrogate is rendered visibly as ``\\xNN`` or ``\\uNNNN``.
    """
    if max_chars < 0:
        raise ValueError("max_chars must be >= 0")
    scan_limit = max(_SCAN_MIN, max_chars * _SCAN_FACTOR)
    if isinstance(data, bytes | bytearray | memoryview):
        text = bytes(data).decode("utf-8", errors="replace")
    else:
        text = str(data)
    unscanned = 0
    if len(text) > scan_limit:
        unscanned = len(text) - scan_limit
        text = text[:scan_limit]
    text = _ESCAPE_RE.sub("", text)
    out: list[str] = []
    used = 0
    consumed = 0
    for ch in text:
        piece = _render(ch)
        if used + len(piece) > max_chars:
            break
        out.append(piece)
        used += len(piece)
        consumed += 1
    left = len(text) - consumed + unscanned
    if left > 0:
        out.append(f"…[+{left} chars]")
    return "".join(out)


def escape_bytes(data: bytes, *, max_bytes: int) -> str:
    """Return a lossless printable rendering of raw bytes for transcripts.

    Printable ASCII stays as is except the backslash (``\\\\``); CR and LF become ``\\r`` and
    ``\\n``; every other byte becomes ``\\xNN``. The mapping is reversible up to ``max_bytes``;
    bytes beyond it are dropped and counted in a ``…[+N bytes]`` marker.

    Parameters
    ----------
    data : bytes
        Raw bytes as read from or written to the port.
    max_bytes : int
        How many bytes to render at most.

    Returns
    -------
    str
        Printable ASCII text (plus the marker's ellipsis when truncated).
    """
    if max_bytes < 0:
        raise ValueError("max_bytes must be >= 0")
    shown = bytes(data[:max_bytes])
    text = "".join(map(_BYTE_TABLE.__getitem__, shown))
    if len(data) > max_bytes:
        text += f"…[+{len(data) - max_bytes} bytes]"
    return text


def unescape_bytes(text: str) -> bytes:
    """Invert :func:`escape_bytes` (for an untruncated rendering).

    Parameters
    ----------
    text : str
        Output of ``escape_bytes`` without a truncation marker.

    Returns
    -------
    bytes
        The original bytes.
    """
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out.append(ord(ch))
            i += 1
            continue
        nxt = text[i + 1 : i + 2]
        if nxt == "\\":
            out.append(0x5C)
            i += 2
        elif nxt == "r":
            out.append(0x0D)
            i += 2
        elif nxt == "n":
            out.append(0x0A)
            i += 2
        elif nxt == "x":
            out.append(int(text[i + 2 : i + 4], 16))
            i += 4
        else:
            raise ValueError(f"bad escape at offset {i}")
    return bytes(out)


def field_text(data: bytes | str, *, max_chars: int = MAX_FIELD_CHARS) -> str:
    """Return one parsed field as safe text with surrounding whitespace removed.

    Parameters
    ----------
    data : bytes or str
        Untrusted field content (e.g. a model name from ``AT+CGMM``).
    max_chars : int
        Length bound, see :func:`terminal_safe`.

    Returns
    -------
    str
        ``terminal_safe`` text, stripped.
    """
    data = bytes(data).strip() if isinstance(data, bytes | bytearray | memoryview) else str(data).strip()
    return terminal_safe(data, max_chars=max_chars).strip()


def html_safe(s: str) -> str:
    """Escape text for HTML element content and attribute values (``html.escape`` with quotes).

    Parameters
    ----------
    s : str
        Text, normally already passed through :func:`terminal_safe`.

    Returns
    -------
    str
        Text with ``& < > " '`` escaped.
    """
    return html.escape(s, quote=True)
