"""Recognise Qualcomm DIAG / QCDM traffic (also on Quectel, Sierra, Telit... diagnostic ports).

DIAG uses HDLC-like asynchronous framing (RFC 1662 style, without address/control fields): each
frame is the payload followed by its CRC-16/X-25 (low byte first) and a closing flag ``0x7e``; a
``0x7e`` or ``0x7d`` inside is sent as ``0x7d`` followed by the byte XOR 0x20. The first payload
byte is the command code (0x00 version info, 0x0c status, 0x1d timestamp, 0x4b subsystem
dispatch, 0x60 event report, 0x79/0x7d extended messages, 0x10 log...).

A port emitting this is a modem's diagnostic port, not an AT port: ModemManager itself stops AT
probing when it sees DIAG markers and probes the port as QCDM instead (mm-port-probe.c). Writing
AT text to it is pointless at best.
"""

from __future__ import annotations

from serialprobe.recognize.capture import Capture
from serialprobe.recognize.crc import crc16_x25
from serialprobe.recognize.result import Recognition

__all__ = ["hdlc_encode", "hdlc_unescape", "recognize_diag"]

_FLAG = 0x7E
_ESC = 0x7D

#: Command codes named in evidence (Qualcomm DIAG command IDs as used by libqcdm / ModemManager).
_COMMAND_NAMES = {
    0x00: "version info",
    0x0C: "status",
    0x10: "log",
    0x1D: "timestamp",
    0x4B: "subsystem dispatch",
    0x60: "event report",
    0x73: "log config",
    0x79: "extended message",
    0x7D: "extended message config",
}


def hdlc_unescape(frame: bytes) -> bytes | None:
    """Undo ``0x7d`` escaping; return None for a dangling escape at the end."""
    if _ESC not in frame:
        return frame
    out = bytearray()
    it = iter(frame)
    for b in it:
        if b == _ESC:
            nxt = next(it, None)
            if nxt is None:
                return None
            out.append(nxt ^ 0x20)
        else:
            out.append(b)
    return bytes(out)


def hdlc_encode(payload: bytes) -> bytes:
    """Frame a DIAG payload: append CRC-16/X-25 (low byte first), escape, close with ``0x7e``."""
    crc = crc16_x25(payload)
    raw = payload + bytes((crc & 0xFF, crc >> 8))
    out = bytearray()
    for b in raw:
        if b in (_FLAG, _ESC):
            out += bytes((_ESC, b ^ 0x20))
        else:
            out.append(b)
    out.append(_FLAG)
    return bytes(out)


def recognize_diag(capture: Capture) -> Recognition:
    """Score how much a capture looks like Qualcomm DIAG (CRC-valid HDLC frames).

    Parameters
    ----------
    capture : Capture
        Bytes captured without writing.

    Returns
    -------
    Recognition
        ``protocol="diag"``; score from the share of bytes inside CRC-valid frames and their count.
    """
    data = capture.data
    # the part after the last flag of each continuous segment is incomplete
    pieces = [p for seg in capture.segments() for p in seg.split(bytes((_FLAG,)))[:-1]]
    valid = 0
    covered = 0
    codes: dict[int, int] = {}
    for piece in pieces:
        if len(piece) < 3:
            continue
        raw = hdlc_unescape(piece)
        if raw is None or len(raw) < 3:
            continue
        payload, fcs = raw[:-2], raw[-2:]
        if crc16_x25(payload) == fcs[0] | (fcs[1] << 8):
            valid += 1
            covered += len(piece) + 1
            codes[payload[0]] = codes.get(payload[0], 0) + 1
    n = len(data)
    score = 0.0
    if n and valid:
        coverage = covered / n
        score = min(1.0, coverage * 1.1) * (0.6 + 0.4 * min(valid, 4) / 4)
    evidence: list[str] = []
    if valid:
        named = ", ".join(
            f"0x{c:02x}" + (f" ({_COMMAND_NAMES[c]})" if c in _COMMAND_NAMES else "") + f" x{k}"
            for c, k in sorted(codes.items())[:10]
        )
        evidence.append(
            f"{valid} CRC-valid DIAG/HDLC frame(s) covering {covered}/{n} bytes, command codes {named}; "
            "a Qualcomm-style diagnostic port (ModemManager stops AT probing on these)"
        )
    return Recognition(
        protocol="diag",
        score=score,
        evidence=tuple(evidence),
        details={"valid_frames": valid, "command_codes": sorted(codes)},
    )
