"""Character statistics that separate clean traffic from wrong-rate garbage.

When the receiver runs at the wrong baud rate or framing, the UART samples the wrong bits: a
receiver slower than the sender sees long runs of zeros (0x00, breaks, framing errors), a faster one
sees characters made of one sender bit stretched over several (0xff, 0xfe, 0xf8, 0xf0, 0xe0, 0xc0,
0x80, 0x00). Clean traffic of any protocol rarely consists mostly of those values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from serialprobe.recognize.capture import Capture

__all__ = ["ByteStats", "byte_stats"]

#: Byte values a mismatched-rate UART produces most (one or two long runs of equal bits).
_ARTIFACT_VALUES = np.array([0x00, 0x80, 0xC0, 0xE0, 0xF0, 0xF8, 0xFC, 0xFE, 0xFF], dtype=np.uint8)
_PRINTABLE = np.zeros(256, dtype=bool)
_PRINTABLE[0x20:0x7F] = True
_PRINTABLE[[0x09, 0x0A, 0x0D]] = True
_ARTIFACT = np.zeros(256, dtype=bool)
_ARTIFACT[_ARTIFACT_VALUES] = True


@dataclass(frozen=True)
class ByteStats:
    """Statistics of the bytes in a capture.

    Attributes
    ----------
    n_bytes : int
        Bytes captured.
    printable_ratio : float
        Fraction of bytes that are printable ASCII, TAB, CR or LF.
    line_breaks : int
        CR and LF bytes.
    artifact_ratio : float
        Fraction of bytes among the typical wrong-rate values (0x00, 0x80, 0xc0 ... 0xfe, 0xff).
    high_bit_ratio : float
        Fraction of bytes with bit 7 set.
    entropy_bits : float
        Shannon entropy of the byte histogram (0..8).
    error_ratio : float or None
        UART-flagged errors per byte, when known.
    """

    n_bytes: int
    printable_ratio: float
    line_breaks: int
    artifact_ratio: float
    high_bit_ratio: float
    entropy_bits: float
    error_ratio: float | None


def byte_stats(capture: Capture) -> ByteStats:
    """Compute :class:`ByteStats` for a capture (vectorised over the bytes)."""
    arr = np.frombuffer(capture.data, dtype=np.uint8)
    n = int(arr.size)
    errors = capture.error_count
    if n == 0:
        return ByteStats(0, 0.0, 0, 0.0, 0.0, 0.0, None if errors is None else 0.0)
    hist = np.bincount(arr, minlength=256).astype(np.float64)
    p = hist[hist > 0] / n
    return ByteStats(
        n_bytes=n,
        printable_ratio=float(hist[_PRINTABLE].sum() / n),
        line_breaks=int(hist[0x0A] + hist[0x0D]),
        artifact_ratio=float(hist[_ARTIFACT].sum() / n),
        high_bit_ratio=float(hist[0x80:].sum() / n),
        entropy_bits=float(-(p * np.log2(p)).sum()),
        error_ratio=None if errors is None else errors / n,
    )
