"""AtEngine: echo, final codes, URCs, bounds (line length, flood, NUL runs, deadline, vanish)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import serial

from serialprobe.at.engine import MAX_LINE_BYTES, AtEngine, is_final, is_urc
from serialprobe.sanitize import unescape_bytes


def _engine(port: Any, seconds: float = 2.0) -> AtEngine:
    return AtEngine(port, deadline=time.monotonic() + seconds)


@pytest.mark.parametrize(
    "line", ["OK", "ERROR", "+CME ERROR: 10", "+CME ERROR: SIM not inserted", "+CMS ERROR: 500", "NO CARRIER"]
)
def test_final_codes(line: str) -> None:
    assert is_final(line)


@pytest.mark.parametrize("line", ["OKAY", "+CSQ: 1,2", "Quectel", "ERRORS", "+CPIN: READY"])
def test_not_final(line: str) -> None:
    assert not is_final(line)


@pytest.mark.parametrize(
    "line",
    ["RDY", "^SYSSTART", "+CREG: 1", "+CEREG: 5", "RING", '+CMTI: "SM",3', "+QIND: SMS DONE", "^RSSI: 20"],
)
def test_urcs(line: str) -> None:
    assert is_urc(line)


def test_echo_info_urc_and_final_told_apart(fake_port_cls: Any) -> None:
    def respond(data: bytes) -> bytes:
        assert data == b"AT+CGSN\r"
        return b"AT+CGSN\r\r\nRDY\r\n\r\n490154203237518\r\n+CREG: 1\r\n\r\nOK\r\n"

    port = fake_port_cls(respond)
    engine = _engine(port)
    reply = engine.command("AT+CGSN", timeout_s=1.0)
    assert reply.status == "ok"
    assert reply.final == "OK"
    assert reply.echoes == 1
    assert reply.lines == ["490154203237518"]
    assert reply.urcs == ["RDY", "+CREG: 1"]


def test_reply_prefix_wins_over_urc_pattern(fake_port_cls: Any) -> None:
    port = fake_port_cls(lambda d: b"\r\n+CPIN: READY\r\n\r\nOK\r\n")
    reply = _engine(port).command("AT+CPIN?", timeout_s=1.0)
    assert reply.lines == ["+CPIN: READY"]
    assert reply.urcs == []
    port2 = fake_port_cls(lambda d: b"\r\n+CREG: 0,1\r\n\r\nOK\r\n")
    assert _engine(port2).command("AT+CREG?", timeout_s=1.0).lines == ["+CREG: 0,1"]


def test_cme_error_is_an_answer(fake_port_cls: Any) -> None:
    port = fake_port_cls(lambda d: b"\r\n+CME ERROR: operation not supported\r\n")
    reply = _engine(port).command("AT+CCID", timeout_s=1.0)
    assert reply.status == "error"
    assert reply.answered
    assert reply.final == "+CME ERROR: operation not supported"


def test_escape_wrapped_ok_still_counts_and_lines_lose_escapes(fake_port_cls: Any) -> None:
    port = fake_port_cls(lambda d: b"\r\n\x1b[31mQuectel\x1b[0m\r\n\x1b]52;c;eA==\x07OK\r\n")
    reply = _engine(port).command("AT+CGMI", timeout_s=1.0)
    assert reply.status == "ok"
    assert reply.lines == ["Quectel"]


def test_timeout_is_bounded(fake_port_cls: Any) -> None:
    engine = _engine(fake_port_cls(lambda d: b""))
    t0 = time.monotonic()
    reply = engine.command("AT", timeout_s=0.2)
    elapsed = time.monotonic() - t0
    assert reply.status == "timeout"
    assert elapsed >= 0.2  # the timeout is honoured...
    assert elapsed < 2.0  # ...and bounded (generous: a shared 2-core machine stalls threads)
    assert any("timeout" in e for e in engine.events)


def test_deadline_beats_command_timeout(fake_port_cls: Any) -> None:
    engine = _engine(fake_port_cls(lambda d: b""), seconds=0.15)
    t0 = time.monotonic()
    reply = engine.command("AT", timeout_s=5.0)
    assert reply.status == "deadline"
    assert time.monotonic() - t0 < 1.6  # the 0.15 s deadline beats the 5 s timeout (generous bound)
    assert engine.command("ATI", timeout_s=5.0).status == "deadline"


def test_flood_is_cut(fake_port_cls: Any) -> None:
    class Flood(fake_port_cls):  # type: ignore[misc, valid-type]
        def read(self, size: int = 1) -> bytes:
            return b"FLOOD FLOOD FLOOD\r\n" * 64

        @property
        def in_waiting(self) -> int:
            return 4096

    port = Flood()
    engine = _engine(port)
    reply = engine.command("AT", timeout_s=1.0)
    assert reply.status == "flood"
    assert reply.bytes_read <= engine.max_reply_bytes + 4096
    assert any("flood cut" in e for e in engine.events)


def test_overlong_line_is_cut(fake_port_cls: Any) -> None:
    port = fake_port_cls(lambda d: b"A" * (3 * MAX_LINE_BYTES) + b"\r\nOK\r\n")
    engine = _engine(port)
    reply = engine.command("ATI", timeout_s=1.0)
    assert reply.status == "ok"
    assert all(len(line) <= MAX_LINE_BYTES for line in reply.lines)
    assert any("longer than" in e for e in engine.events)


def test_nul_run_means_binary(fake_port_cls: Any) -> None:
    port = fake_port_cls(lambda d: b"\x00" * 20 + b"\x00" * 20 + b"\r\nOK\r\n")
    engine = _engine(port)
    reply = engine.command("AT", timeout_s=1.0)
    assert reply.status == "binary"


def test_non_utf8_is_reported_once(fake_port_cls: Any) -> None:
    port = fake_port_cls(lambda d: b"\r\n\xff\xfeabc\r\n\xc3(\r\nOK\r\n")
    engine = _engine(port)
    reply = engine.command("ATI", timeout_s=1.0)
    assert reply.status == "ok"
    assert engine.non_utf8
    assert sum("non-UTF-8" in e for e in engine.events) == 1


def test_vanished_port(fake_port_cls: Any) -> None:
    class Gone(fake_port_cls):  # type: ignore[misc, valid-type]
        def read(self, size: int = 1) -> bytes:
            raise serial.SerialException("device reports readiness to read but returned no data")

    engine = _engine(Gone())
    reply = engine.command("AT", timeout_s=1.0)
    assert reply.status == "vanished"
    assert engine.vanished
    assert engine.command("ATI", timeout_s=1.0).status == "vanished"
    assert any("port vanished" in e for e in engine.events)


def test_transcript_is_lossless_and_ordered(fake_port_cls: Any) -> None:
    port = fake_port_cls(lambda d: b"AT\r\r\nOK\r\n")
    engine = _engine(port)
    engine.command("AT", timeout_s=1.0)
    entries = engine.finish()
    assert [e.dir for e in entries] == ["tx", "rx"]
    assert unescape_bytes(entries[0].data) == b"AT\r"
    assert unescape_bytes(entries[1].data) == b"AT\r\r\nOK\r\n"
    assert entries[0].t_s <= entries[1].t_s
