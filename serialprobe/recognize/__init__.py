"""Passive line identification: pure functions from captured bytes to protocol scores.

Each recogniser takes a :class:`Capture` (timestamped reads at one line setting, plus UART error
counts when known) and returns a :class:`Recognition` (score 0..1 and printable evidence):

========  ===================================================================================
at        URCs a modem prints by itself (``RDY``, ``+CREG:``...), AT commands from another host
modbus    CRC-valid Modbus RTU frames split on silent gaps, request/response pairs
nmea      checksum-valid NMEA 0183 sentences
diag      CRC-valid Qualcomm DIAG (HDLC-like) frames
text      printable console text (boot logs, login and shell prompts)
========  ===================================================================================

:func:`recognize` runs them all; :func:`setting_score` rates how well a capture fits the line
setting it was taken at (used by :mod:`serialprobe.listen` to pick a baud rate and framing).
"""

from __future__ import annotations

from collections.abc import Callable

from serialprobe.recognize.at import recognize_at
from serialprobe.recognize.capture import Capture, Chunk, bits_per_char, concat_captures, decode_parmrk
from serialprobe.recognize.diag import recognize_diag
from serialprobe.recognize.modbus import recognize_modbus
from serialprobe.recognize.nmea import recognize_nmea
from serialprobe.recognize.result import Recognition
from serialprobe.recognize.stats import ByteStats, byte_stats
from serialprobe.recognize.text import recognize_text

__all__ = [
    "RECOGNISERS",
    "ByteStats",
    "Capture",
    "Chunk",
    "Recognition",
    "bits_per_char",
    "byte_stats",
    "concat_captures",
    "decode_parmrk",
    "recognize",
    "recognize_at",
    "recognize_diag",
    "recognize_modbus",
    "recognize_nmea",
    "recognize_text",
    "setting_score",
]

#: Recognisers in order of specificity (ties go to the earlier one).
RECOGNISERS: tuple[Callable[[Capture], Recognition], ...] = (
    recognize_modbus,
    recognize_nmea,
    recognize_diag,
    recognize_at,
    recognize_text,
)


def recognize(capture: Capture) -> list[Recognition]:
    """Run every recogniser on ``capture``; best score first (ties keep specificity order)."""
    results = [r(capture) for r in RECOGNISERS]
    order = {r.protocol: i for i, r in enumerate(results)}
    return sorted(results, key=lambda r: (-r.score, order[r.protocol]))


def setting_score(capture: Capture, recognitions: list[Recognition] | None = None) -> float:
    """Rate how well a capture fits the baud rate and framing it was taken at (0..1).

    The best recogniser score dominates; UART-flagged errors per byte (when known) scale it
    down by up to half, and a small term for "few wrong-rate artifact bytes" separates captures no recogniser
    understood. A capture with no bytes scores 0.

    Parameters
    ----------
    capture : Capture
        The capture.
    recognitions : list of Recognition, optional
        Output of :func:`recognize` if already computed.

    Returns
    -------
    float
        Higher is better.
    """
    stats = byte_stats(capture)
    if stats.n_bytes == 0:
        return 0.0
    recs = recognitions if recognitions is not None else recognize(capture)
    best = max((r.score for r in recs), default=0.0)
    # Mild: at the right rate but the wrong parity most bytes are flagged while the structure is
    # intact; the framing is chosen among settings of one rate by error rate (serialprobe.listen).
    error_factor = 1.0 if stats.error_ratio is None else 1.0 - 0.5 * min(1.0, stats.error_ratio)
    return (0.9 * best + 0.1 * (1.0 - stats.artifact_ratio)) * error_factor
