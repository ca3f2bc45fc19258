"""PersonaServer: a persona answers over a real pty, records input, emulates baud and misbehaviour."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import serial

from serialprobe.errors import DataError
from serialprobe.sim.persona import list_personas, load_persona
from serialprobe.sim.server import PersonaServer
from serialprobe.transport import open_port

Start = Callable[[str], PersonaServer]


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _read_until(port: serial.SerialBase, marker: bytes, timeout_s: float = 1.0) -> bytes:
    buf = b""
    deadline = time.monotonic() + timeout_s
    while marker not in buf and time.monotonic() < deadline:
        buf += port.read(256)
    return buf


def test_every_shipped_persona_loads_with_sources() -> None:
    names = list_personas()
    assert {"quectel-ec25", "sierra-mc7455", "telit-le910", "simcom-sim7600"} <= set(names)
    assert {"ublox-sara-r410m", "huawei-me909", "hostile-escape", "hostile-flood"} <= set(names)
    for name in names:
        persona = load_persona(name)
        assert persona.sources
        assert persona.fake_identity


@pytest.mark.parametrize("name", [n for n in list_personas() if not n.startswith("hostile-flood")])
def test_fake_identities_have_valid_check_digits(name: str) -> None:
    props = load_persona(name).properties
    if "imei" in props:
        assert len(props["imei"]) == 15
        assert _luhn_ok(props["imei"])
    if "iccid" in props:
        assert len(props["iccid"]) in (19, 20)
        assert _luhn_ok(props["iccid"])
    if "imsi" in props:
        assert props["imsi"].startswith("00101")  # 3GPP test network


def test_dialogue_echo_and_boot(persona_server: Start) -> None:
    server = persona_server("quectel-ec25")
    props = server.persona.properties
    port = open_port(server.path, baudrate=115200, timeout_s=0.05)
    try:
        assert b"RDY" in _read_until(port, b"RDY\r\n")
        port.write(b"AT+CGSN\r")
        reply = _read_until(port, b"OK\r\n")
        assert reply.startswith(b"AT+CGSN\r")  # echo first
        assert f"\r\n{props['imei']}\r\n\r\nOK\r\n".encode() in reply
        port.write(b"ATE0\r")
        assert b"OK" in _read_until(port, b"OK\r\n")
        port.write(b"AT+CGMM\r")
        reply = _read_until(port, b"OK\r\n")
        assert not reply.startswith(b"AT")  # echo off now
        assert props["model"].encode() in reply
        port.write(b"AT+CFUN=0\r")
        assert b"ERROR" in _read_until(port, b"ERROR\r\n")
    finally:
        port.close()
    assert server.received_bytes == b"AT+CGSN\rATE0\rAT+CGMM\rAT+CFUN=0\r"
    assert all(r.t_s >= 0 for r in server.received)


def test_wrong_baud_gives_noise_never_ok(persona_server: Start) -> None:
    server = persona_server("quectel-ec25")  # 115200 only
    port = open_port(server.path, baudrate=9600, timeout_s=0.05)
    try:
        time.sleep(0.05)
        port.write(b"AT\r")
        got = _read_until(port, b"OK", timeout_s=0.4)
    finally:
        port.close()
    assert got  # something came back
    assert b"OK" not in got
    assert all(b >= 0x80 for b in got)


def _read_for(port: serial.SerialBase, duration_s: float) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < duration_s:
        port.read(64)


def test_vanish_closes_the_port(persona_server: Start) -> None:
    server = persona_server("hostile-vanish")
    port = open_port(server.path, baudrate=115200, timeout_s=0.05)
    try:
        with pytest.raises(serial.SerialException):
            _read_for(port, 2.0)
        assert server.vanished.is_set()
    finally:
        port.close()
    assert not os.path.exists(server.path)


def test_flood_rate_is_roughly_the_configured_one(persona_server: Start) -> None:
    server = persona_server("hostile-flood")
    rate = server.persona.hostile.flood_bytes_per_s
    port = open_port(server.path, baudrate=115200, timeout_s=0.02)
    try:
        t0 = time.monotonic()
        total = 0
        while time.monotonic() - t0 < 0.5:
            total += len(port.read(65536))
        elapsed = time.monotonic() - t0
    finally:
        port.close()
    # The server paces by elapsed time, so the rate holds on average; the bounds are wide because
    # a shared machine can stall either thread (the upper one: a backlog cap of 64 kB, see server).
    assert 0.2 * rate * elapsed < total < 2.0 * rate * elapsed + 64 * 1024


def test_stop_twice_and_context_manager() -> None:
    with PersonaServer("sierra-mc7455") as server:
        assert server.path.startswith("/dev/pts/")
    server.stop()
    server.stop()


def test_stream_persona(tmp_path: Path) -> None:
    path = tmp_path / "bus.toml"
    path.write_text(
        'schema = 1\nname = "bus"\nkind = "stream"\nsources = ["test"]\n'
        "[serial]\nbaud = 19200\n[stream]\ngap_ms = 20\n"
        'frames = [{hex = "01 03 00 00 00 0a c5 cd"}, {text = "$GPTXT*00\\r\\n"}]\n'
    )
    with PersonaServer(path) as server:
        port = open_port(server.path, baudrate=19200, timeout_s=0.05)
        try:
            got = _read_until(port, b"$GPTXT*00\r\n", timeout_s=1.0)
        finally:
            port.close()
    assert bytes.fromhex("0103 0000 000a c5cd") in got


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("schema = 2\nsources=['x']\n", "schema must be 1"),
        ("schema = 1\n", "sources"),
        ("schema = 1\nsources=['x']\n[serial]\nbaud = 12345\n", "serial.baud"),
        ("schema = 1\nsources=['x']\n[[dialogue]]\ncommand='ATI'\nreply='{nope}'\n", "placeholder {nope}"),
        ("schema = 1\nsources=['x']\n[hostile]\nexplode = true\n", "unknown [hostile] keys"),
        ("schema = 1\nsources=['x']\nkind = 'stream'\n", "needs stream.frames"),
        ("schema = 1\nsources=['x']\nbogus = 1\n", "unknown top-level keys"),
        ("schema = [1\n", "cannot read"),
    ],
)
def test_invalid_personas_raise_data_error(tmp_path: Path, body: str, needle: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(DataError, match=needle.replace("[", r"\[").replace("{", r"\{")):
        load_persona(path)


def test_unknown_persona_name() -> None:
    with pytest.raises(DataError, match="unknown persona"):
        load_persona("no-such-modem")


def test_slow_persona_trickles_bytes(tmp_path: Path) -> None:
    path = tmp_path / "slow.toml"
    path.write_text(
        'schema = 1\nsources = ["test"]\n[hostile]\nslow_byte_delay_ms = 10\n'
        '[[dialogue]]\ncommand = "ATI"\nreply = "SLOWMODEM"\ndelay_ms = 0\n'
        "[serial]\necho = false\n"
    )
    with PersonaServer(path) as server:
        port = open_port(server.path, baudrate=115200, timeout_s=0.02)
        try:
            port.write(b"ATI\r")
            t0 = time.monotonic()
            got = _read_until(port, b"OK\r\n", timeout_s=2.0)
            elapsed = time.monotonic() - t0
        finally:
            port.close()
    expected = b"\r\nSLOWMODEM\r\n\r\nOK\r\n"
    assert got == expected
    # every byte after the first waits 10 ms
    assert elapsed >= (len(expected) - 1) * 0.010 * 0.9


def test_periodic_urc(persona_server: Start) -> None:
    server = persona_server("huawei-me909")
    urc = server.persona.urcs[0]
    port = open_port(server.path, baudrate=115200, timeout_s=0.02)
    try:
        t0 = time.monotonic()
        buf = b""
        while time.monotonic() - t0 < 0.5:
            buf += port.read(256)
    finally:
        port.close()
    count = buf.count(urc.text.encode())
    expected = (0.5 - urc.at_s) / urc.every_s + 1
    assert expected - 2 <= count <= expected + 1
    assert b"^SYSSTART" in buf


def test_cli_sim_list_and_serve(capsys: pytest.CaptureFixture[str]) -> None:
    from serialprobe import cli

    assert cli.main(["sim", "--list"]) == 0
    out = capsys.readouterr().out
    assert "quectel-ec25" in out
    assert "hostile-escape" in out
    assert cli.main(["sim", "sierra-mc7455", "--duration", "0.2"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().startswith("/dev/pts/")
    assert cli.main(["sim", "no-such-persona"]) == 3
