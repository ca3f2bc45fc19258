"""Recognise NMEA 0183 sentences (GNSS receivers, AIS transponders, marine instruments).

A sentence is ``$`` (or ``!`` for encapsulated data such as AIS ``!AIVDM``), an address field
(talker + sentence type, e.g. ``GPGGA``, ``GNRMC``, ``AIVDM``), comma-separated fields, ``*``, two
hex digits and CR LF, at most 82 characters (NMEA 0183 v4.x, section 5.3). The checksum is the XOR
of every character between the start delimiter and ``*``. Default rate 4800 baud (NMEA 0183),
38400 for AIS (NMEA 0183-HS); GNSS modules often use 9600 or 115200.
"""

from __future__ import annotations

import re
from functools import reduce
from operator import xor

from serialprobe.recognize.capture import Capture
from serialprobe.recognize.result import Recognition

__all__ = ["nmea_checksum", "recognize_nmea"]

# Address: 1..6 upper-case letters/digits (proprietary "$PUBX" etc. included); body printable
# except the delimiters; whole sentence <= 82 chars, so body <= 79.
_SENTENCE = re.compile(rb"([$!])([A-Z0-9]{1,6}),([\x20-\x7e]{0,79}?)\*([0-9A-Fa-f]{2})\r?\n")


def nmea_checksum(body: bytes) -> int:
    """Return the NMEA checksum (XOR of all bytes) of the text between ``$``/``!`` and ``*``."""
    return reduce(xor, body, 0)


def recognize_nmea(capture: Capture) -> Recognition:
    """Score how much a capture looks like NMEA 0183 (checksum-valid sentences).

    Parameters
    ----------
    capture : Capture
        Bytes captured without writing.

    Returns
    -------
    Recognition
        ``protocol="nmea"``; 0 without a checksum-valid sentence, else at least about 0.6,
        growing with the share of bytes inside valid sentences and their number, scaled by the
        fraction of sentences whose checksum agrees.
    """
    data = capture.data
    valid = 0
    bad = 0
    covered = 0
    addresses: dict[str, int] = {}
    matches = [m for seg in capture.segments() for m in _SENTENCE.finditer(seg)]
    for m in matches:
        address = m.group(2)
        body = address + b"," + m.group(3)
        if nmea_checksum(body) == int(m.group(4), 16):
            valid += 1
            covered += m.end() - m.start()
            key = address.decode("ascii")
            addresses[key] = addresses.get(key, 0) + 1
        else:
            bad += 1
    n = len(data)
    if n == 0 or valid == 0:
        score = 0.0
    else:
        # Captures start and end mid-sentence, so coverage counts only softly: one checksum-valid
        # sentence is already strong evidence (a random match needs the whole syntax and an
        # 8-bit checksum to agree).
        coverage = covered / n
        agreement = valid / (valid + bad)
        score = agreement * (0.55 + 0.25 * min(1.0, coverage * 1.5) + 0.2 * min(valid, 4) / 4)
    evidence: list[str] = []
    if valid or bad:
        kinds = ", ".join(f"{k} x{v}" for k, v in sorted(addresses.items())[:12])
        evidence.append(
            f"{valid} checksum-valid NMEA 0183 sentence(s) covering {covered}/{n} bytes"
            + (f": {kinds}" if kinds else "")
            + f"; {bad} with a bad checksum"
        )
    return Recognition(
        protocol="nmea",
        score=score,
        evidence=tuple(evidence),
        details={"valid_sentences": valid, "bad_checksums": bad, "addresses": sorted(addresses)},
    )
