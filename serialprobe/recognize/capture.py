"""What a passive listen captured: timestamped chunks at one line setting.

A :class:`Capture` is the input of every recogniser. It holds the chunks exactly as ``read()``
returned them, each with the monotonic time (seconds) at which the read returned, plus the line
setting they were captured at and, when the platform could report them, the number of framing and
parity errors the UART flagged (see :func:`decode_parmrk`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "FRAMINGS",
    "Capture",
    "Chunk",
    "bits_per_char",
    "concat_captures",
    "decode_parmrk",
]

#: One read: (time the read returned in seconds, bytes read).
Chunk = tuple[float, bytes]

#: Supported framings: data bits, parity letter, stop bits.
FRAMINGS: tuple[str, ...] = ("8N1", "8E1", "8O1", "8N2")


def bits_per_char(framing: str) -> int:
    """Return the bits one character occupies on the wire (start + data + parity + stop).

    Parameters
    ----------
    framing : str
        ``"8N1"``, ``"8E1"``, ``"8O1"`` or ``"8N2"``.

    Returns
    -------
    int
        10 for 8N1, 11 for 8E1/8O1/8N2.
    """
    if len(framing) != 3 or not framing[0].isdigit() or framing[1] not in "NEO" or framing[2] not in "12":
        raise ValueError(f"unknown framing {framing!r}: use one of {', '.join(FRAMINGS)}")
    return 1 + int(framing[0]) + (0 if framing[1] == "N" else 1) + int(framing[2])


@dataclass(frozen=True)
class Capture:
    """Bytes captured from a line at one setting, with read timestamps.

    Attributes
    ----------
    chunks : tuple of (float, bytes)
        Reads in order; the float is the monotonic time in seconds at which the read returned.
    baud : int
        Line speed the port was set to.
    framing : str
        Framing the port was set to (``"8N1"``...).
    framing_errors : int or None
        Characters the UART flagged with a framing error or break, or None when unknown.
    parity_errors : int or None
        Characters flagged with a parity error, or None when unknown.
    duration_s : float
        How long the capture listened (0 when unknown).
    breaks : tuple of int
        Byte offsets where the stream is discontinuous (captures joined by
        :func:`concat_captures`): recognisers never match a structure across them.
    """

    chunks: tuple[Chunk, ...]
    baud: int
    framing: str = "8N1"
    framing_errors: int | None = None
    parity_errors: int | None = None
    duration_s: float = 0.0
    breaks: tuple[int, ...] = ()
    _data: bytes = field(default=b"", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        bits_per_char(self.framing)
        if self.baud <= 0:
            raise ValueError("baud must be positive")
        object.__setattr__(self, "_data", b"".join(c for _, c in self.chunks))

    @property
    def data(self) -> bytes:
        """All captured bytes, concatenated."""
        return self._data

    def segments(self) -> list[bytes]:
        """The data split at :attr:`breaks` (continuous pieces, empty ones dropped)."""
        data = self._data
        cuts = [0, *sorted(b for b in self.breaks if 0 < b < len(data)), len(data)]
        return [data[a:b] for a, b in itertools.pairwise(cuts) if b > a]

    @property
    def char_time_s(self) -> float:
        """Time one character occupies on the wire at this setting."""
        return bits_per_char(self.framing) / self.baud

    @property
    def error_count(self) -> int | None:
        """Framing plus parity errors, or None when the platform could not report them."""
        if self.framing_errors is None and self.parity_errors is None:
            return None
        return (self.framing_errors or 0) + (self.parity_errors or 0)

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        *,
        baud: int,
        framing: str = "8N1",
        framing_errors: int | None = None,
        parity_errors: int | None = None,
    ) -> Capture:
        """Build a capture with one chunk and no timing (for traffic without timestamps)."""
        return cls(
            chunks=((0.0, bytes(data)),) if data else (),
            baud=baud,
            framing=framing,
            framing_errors=framing_errors,
            parity_errors=parity_errors,
        )

    @classmethod
    def from_frames(
        cls,
        frames: Iterable[bytes],
        *,
        baud: int,
        framing: str = "8N1",
        gap_s: float,
        t0_s: float = 0.0,
    ) -> Capture:
        """Build a capture where each frame arrived in its own read, ``gap_s`` of silence apart.

        The timestamp of each chunk is when its last byte arrived at ``baud``/``framing``.
        """
        char_s = bits_per_char(framing) / baud
        t = t0_s
        chunks: list[Chunk] = []
        for frame in frames:
            t += len(frame) * char_s
            chunks.append((t, bytes(frame)))
            t += gap_s
        return cls(chunks=tuple(chunks), baud=baud, framing=framing, duration_s=t - t0_s)


def decode_parmrk(raw: bytes, *, pending: bytes = b"") -> tuple[bytes, int, int, bytes]:
    """Decode a byte stream read from a Linux tty with ``PARMRK`` and ``INPCK`` set.

    With ``PARMRK`` set and ``ISTRIP`` clear, the tty layer marks a character received with a
    framing or parity error as ``0xff 0x00 c``, a break as ``0xff 0x00 0x00`` and doubles a
    genuine ``0xff`` data byte to ``0xff 0xff`` (termios(3), Linux ``n_tty.c``). The marker does
    not say which kind of error it was.

    Parameters
    ----------
    raw : bytes
        Bytes as read.
    pending : bytes
        Undecoded tail of the previous call (a marker split across reads).

    Returns
    -------
    data : bytes
        The received characters (the flagged character kept as received, a break as 0x00).
    errors : int
        Characters flagged with a framing or parity error (breaks included).
    breaks : int
        Of those, breaks (``0xff 0x00 0x00``).
    pending : bytes
        An incomplete marker at the end, to pass to the next call.
    """
    buf = pending + raw
    out = bytearray()
    errors = 0
    breaks = 0
    i = 0
    n = len(buf)
    while i < n:
        j = buf.find(b"\xff", i)
        if j < 0:
            out += buf[i:]
            i = n
            break
        out += buf[i:j]
        if j + 1 >= n:
            return bytes(out), errors, breaks, buf[j:]
        nxt = buf[j + 1]
        if nxt == 0xFF:
            out.append(0xFF)
            i = j + 2
        elif nxt == 0x00:
            if j + 2 >= n:
                return bytes(out), errors, breaks, buf[j:]
            c = buf[j + 2]
            errors += 1
            if c == 0:
                breaks += 1
            out.append(c)
            i = j + 3
        else:  # not a marker (PARMRK was not in effect): keep the byte as is
            out.append(0xFF)
            i = j + 1
    return bytes(out), errors, breaks, b""


def concat_captures(captures: Sequence[Capture]) -> Capture:
    """Join captures taken at the same setting into one (error counts add up; None if any unknown)."""
    if not captures:
        raise ValueError("no captures to join")
    first = captures[0]
    for c in captures[1:]:
        if (c.baud, c.framing) != (first.baud, first.framing):
            raise ValueError("captures at different settings cannot be joined")

    def _sum(values: list[int | None]) -> int | None:
        return None if any(v is None for v in values) else sum(v or 0 for v in values)

    breaks: list[int] = []
    offset = 0
    for c in captures:
        breaks += [offset + b for b in c.breaks]
        if offset:
            breaks.append(offset)
        offset += len(c.data)
    return Capture(
        chunks=tuple(ch for c in captures for ch in c.chunks),
        breaks=tuple(sorted(set(breaks))),
        baud=first.baud,
        framing=first.framing,
        framing_errors=_sum([c.framing_errors for c in captures]),
        parity_errors=_sum([c.parity_errors for c in captures]),
        duration_s=sum(c.duration_s for c in captures),
    )
