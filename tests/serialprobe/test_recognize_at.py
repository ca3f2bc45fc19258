"""AT recogniser: URCs, echoed commands from another host, result codes, hostile text."""

from __future__ import annotations

from serialprobe.recognize import Capture, recognize, recognize_at
from serialprobe.recognize.at import load_markers


def _cap(text: bytes) -> Capture:
    return Capture.from_bytes(text, baud=115200)


def test_marker_file_has_sources() -> None:
    markers = load_markers()
    assert {m.text for m in markers} >= {"RDY", "+CREG:", "+CEREG:", "^SYSSTART", "+QIND:", "PB DONE", "OK"}
    assert all(m.source for m in markers)


def test_boot_urcs() -> None:
    rec = recognize_at(
        _cap(b"\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n\r\nPB DONE\r\n")
    )
    assert rec.details["urc_lines"] == 5
    assert rec.score >= 0.9
    assert any("RDY" in e for e in rec.evidence)


def test_single_urc_is_enough_but_weaker() -> None:
    one = recognize_at(_cap(b'\r\n+CEREG: 1,"1A2B","01A2D101",7\r\n'))
    assert 0.5 <= one.score < 0.9


def test_other_host_talking_at() -> None:
    rec = recognize_at(_cap(b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\nAT+CREG?\r\r\n+CREG: 0,1\r\n\r\nOK\r\n"))
    assert rec.details["command_lines"] == 2
    assert rec.score >= 0.7
    assert any("AT+CSQ" in e for e in rec.evidence)


def test_result_codes_alone_are_weak() -> None:
    rec = recognize_at(_cap(b"\r\nOK\r\n\r\nOK\r\n"))
    assert 0 < rec.score <= 0.4


def test_console_text_is_not_at() -> None:
    log = b"ata1: SATA link up 1.5 Gbps\r\nATTENTION: disk full\r\nAtmel AT91 boot\r\nlogin: "
    assert recognize_at(_cap(log)).score == 0.0
    assert recognize(_cap(log))[0].protocol == "text"


def test_garbage_is_not_at() -> None:
    assert recognize_at(_cap(bytes(range(128, 256)) * 10)).score == 0.0


def test_hostile_urc_text_is_sanitized() -> None:
    rec = recognize_at(_cap(b"AT+CGMI\x1b]52;c;ZWNobyBwd25lZA==\x07\r\n+CREG: 1\r\n"))
    for e in rec.evidence:
        assert "\x1b" not in e
        assert "\x07" not in e
