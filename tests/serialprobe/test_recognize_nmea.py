"""NMEA 0183 recogniser: checksums, corruption, wrong-rate garbage."""

from __future__ import annotations

from functools import reduce
from operator import xor

from serialprobe.recognize import Capture, recognize, recognize_nmea
from serialprobe.recognize.nmea import nmea_checksum
from serialprobe.recognize.uart import receive, transmit

# The classic GGA example sentence with its published checksum 0x47.
GGA = b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"


def _sentence(body: str) -> bytes:
    return f"${body}*{reduce(xor, body.encode(), 0):02X}\r\n".encode()


def _stream(n: int) -> bytes:
    out = b""
    for k in range(n):
        out += _sentence(f"GNRMC,1200{k:02d}.00,A,5154.5120,N,00425.7460,E,0.02,0.00,271126,,,A")
        out += _sentence("GNGSA,A,3,02,05,12,15,,,,,,,,,1.6,0.9,1.3")
    return out + b"!AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0*26\r\n"


def test_published_checksum() -> None:
    assert nmea_checksum(GGA[1 : GGA.index(b"*")]) == 0x47


def test_valid_sentences() -> None:
    data = GGA + _stream(5)
    rec = recognize_nmea(Capture.from_bytes(data, baud=4800))
    assert rec.details["bad_checksums"] == 0
    assert rec.details["valid_sentences"] >= 11
    assert {"GPGGA", "GNRMC", "GNGSA"} <= set(rec.details["addresses"])
    assert rec.score > 0.9
    assert recognize(Capture.from_bytes(data, baud=4800))[0].protocol == "nmea"


def test_ais_encapsulated_sentence() -> None:
    body = "AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0"
    line = f"!{body}*{reduce(xor, body.encode(), 0):02X}\r\n".encode()
    rec = recognize_nmea(Capture.from_bytes(line * 3, baud=38400))
    assert rec.details["valid_sentences"] == 3
    assert rec.details["addresses"] == ["AIVDM"]


def test_corrupted_checksums_score_low() -> None:
    data = bytearray(_stream(5))
    for i in range(len(data)):
        if data[i : i + 1] == b"*":
            data[i + 1] = ord("0") if data[i + 1] != ord("0") else ord("1")
    rec = recognize_nmea(Capture.from_bytes(bytes(data), baud=4800))
    assert rec.details["valid_sentences"] == 0
    assert rec.details["bad_checksums"] >= 10
    assert rec.score == 0.0


def test_wrong_rate_garbage_scores_low() -> None:
    signal = transmit([(0.0, _stream(6))], baud=4800, framing="8N1", tail_s=0.01)
    right = receive(signal, baud=4800).to_capture(baud=4800, framing="8N1")
    assert recognize_nmea(right).score > 0.9
    for rx in (9600, 2400, 38400):
        wrong = receive(signal, baud=rx).to_capture(baud=rx, framing="8N1")
        assert recognize_nmea(wrong).score < 0.1, rx
