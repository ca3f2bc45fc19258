"""Qualcomm DIAG recogniser: CRC-16/X-25, HDLC escaping, corruption, random bytes."""

from __future__ import annotations

import random

from serialprobe.recognize import Capture, recognize, recognize_diag
from serialprobe.recognize.crc import crc16_x25
from serialprobe.recognize.diag import hdlc_encode, hdlc_unescape

PAYLOADS = [
    bytes.fromhex("600e00ac010000000000002104000000"),
    bytes.fromhex("79000000102700000000000002") + b"LTE RRC state\x00",
    bytes.fromhex("10001a001a00c0b0") + bytes(range(0x70, 0x90)),  # contains 0x7d and 0x7e
    bytes.fromhex("00"),  # version info request
]


def test_crc_check_value() -> None:
    assert crc16_x25(b"123456789") == 0x906E  # CRC-16/X-25 (IBM-SDLC) check value


def test_escaping_round_trip() -> None:
    for p in PAYLOADS:
        framed = hdlc_encode(p)
        assert framed.endswith(b"\x7e")
        body = framed[:-1]
        assert b"\x7e" not in body
        raw = hdlc_unescape(body)
        assert raw is not None
        assert raw[:-2] == p


def test_valid_frames() -> None:
    data = b"".join(hdlc_encode(p) for p in PAYLOADS * 3)
    rec = recognize_diag(Capture.from_bytes(data, baud=115200))
    assert rec.details["valid_frames"] == len(PAYLOADS) * 3
    assert rec.details["command_codes"] == [0x00, 0x10, 0x60, 0x79]
    assert rec.score > 0.9
    assert "ModemManager" in rec.evidence[0]
    assert recognize(Capture.from_bytes(data, baud=115200))[0].protocol == "diag"


def test_corrupted_crc_scores_zero() -> None:
    frames = []
    for p in PAYLOADS * 3:
        f = bytearray(hdlc_encode(p))
        f[0] ^= 0x01  # first payload byte (never an escape here)
        frames.append(bytes(f))
    rec = recognize_diag(Capture.from_bytes(b"".join(frames), baud=115200))
    assert rec.details["valid_frames"] == 0
    assert rec.score == 0.0


def test_random_bytes_score_low() -> None:
    rec = recognize_diag(Capture.from_bytes(random.Random(3).randbytes(30_000), baud=115200))
    assert rec.score < 0.05
