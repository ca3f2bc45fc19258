"""``listen``: identify protocol and baud rate without writing, over real ptys and a UART model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import serial

from serialprobe import cli
from serialprobe import listen as listen_mod
from serialprobe.errors import PortError
from serialprobe.listen import DEFAULT_BAUDS, PROTOCOLS, listen
from serialprobe.recognize.capture import bits_per_char
from serialprobe.recognize.modbus import modbus_frame
from serialprobe.recognize.uart import Received, receive, transmit
from serialprobe.sim.server import PersonaServer

LISTEN_S = 2.5

#: An AT modem that boots with URCs and keeps reporting (an incoming call rings every 0.25 s).
AT_PERSONA = """
schema = 1
name = "at-urc-modem"
kind = "at"
description = "test modem: boot URCs, then RING every 0.25 s"
sources = ["ITU-T V.250 (RING), Quectel AT manual (RDY, +QIND)"]
fake_identity = true

[serial]
baud = 115200
terminator = "\\r\\n"
echo = true

[boot]
lines = ["RDY"]
delay_ms = 20

[[urc]]
text = "+CPIN: READY"
at_s = 0.05

[[urc]]
text = "RING"
at_s = 0.1
every_s = 0.25

[[urc]]
text = "+CREG: 1"
at_s = 0.15
every_s = 0.5

[[dialogue]]
command = "ATI"
reply = ["Quectel", "EC25", "Revision: EC25EFAR06A03M4G"]
result = "OK"
"""


@pytest.fixture
def at_persona(tmp_path: Path) -> Path:
    path = tmp_path / "at-urc-modem.toml"
    path.write_text(AT_PERSONA, encoding="utf-8")
    return path


def _listen_to(persona: str | Path, **kwargs: Any) -> tuple[Any, PersonaServer]:
    with PersonaServer(persona) as server:
        result = listen(server.path, duration_s=LISTEN_S, **kwargs)
        received = server.received_bytes
    assert received == b"", "listen wrote to the port"
    return result, server


@pytest.mark.parametrize(
    ("persona", "protocol", "baud"),
    [
        ("modbus-rtu-slave", "modbus", 19200),
        ("nmea-gps", "nmea", 4800),
        ("console-linux", "text", 115200),
        ("quectel-diag", "diag", None),  # USB DIAG port: any rate decodes, none is observable
        ("silent", "silent", None),
    ],
)
def test_listen_identifies_persona_without_writing(persona: str, protocol: str, baud: int | None) -> None:
    result, _ = _listen_to(persona)
    assert result.protocol == protocol, result.evidence
    if baud is not None:
        assert result.baud == baud
        assert result.framing == "8N1"  # a pty has no UART: parity is not observable
    if protocol == "silent":
        assert result.bytes_seen == 0
        assert result.baud is None
    else:
        assert result.confidence > 0.5
        assert result.evidence
    assert not result.error_reporting  # pseudo-terminal: no UART errors to report


def test_listen_identifies_at_modem_from_urcs(at_persona: Path) -> None:
    result, _ = _listen_to(at_persona)
    assert result.protocol == "at"
    assert result.baud == 115200
    assert any("RING" in e for e in result.evidence)
    assert result.writes_allowed


def test_listen_result_json_and_sample_are_safe() -> None:
    result, _ = _listen_to("console-linux", bauds=[115200])
    doc = json.loads(json.dumps(result.to_dict()))
    assert doc["protocol"] == "text"
    assert doc["protocol"] in PROTOCOLS
    assert doc["settings"][0]["baud"] == 115200
    assert "\r" not in doc["sample"]
    assert "\x1b" not in doc["sample"]
    assert "login" in doc["sample"] or "Linux" in doc["sample"]


def test_listen_missing_port() -> None:
    with pytest.raises(PortError):
        listen("/dev/nonexistent-serialprobe-port", duration_s=0.2)


def test_cli_listen_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "listen.json"
    with PersonaServer("modbus-rtu-slave") as server:
        code = cli.main(["listen", server.path, "--duration", "1.0", "--baud", "19200", "--json", str(out)])
        assert server.received_bytes == b""
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["protocol"] == "modbus"
    assert doc["baud"] == 19200
    assert "modbus" in capsys.readouterr().out


# --------------------------------------------------------------------------- UART-level model
class FakeClock:
    """Virtual time: reads advance it, so a long listen costs no wall time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ModelPort:
    """A serial port fed by the bit-level UART model of a line (serialprobe.recognize.uart).

    Behaves like a Linux tty: what arrives depends on the configured rate and framing; with
    ``parmrk`` set (as listen's termios call does) errored characters come marked ``ff 00 c``.
    """

    def __init__(self, bursts: list[tuple[float, bytes]], *, baud: int, framing: str, clock: FakeClock):
        self.signal = transmit(bursts, baud=baud, framing=framing, tail_s=0.05)
        self.clock = clock
        self.baudrate = 9600
        self.parity = serial.PARITY_NONE
        self.stopbits = serial.STOPBITS_ONE
        self.timeout = 0.02
        self.parmrk = False
        self.written = bytearray()
        self.poll_s = 0.002
        self._cache: dict[tuple[int, str], Received] = {}
        self._consumed = 0.0
        self.closed = False

    def _rx(self) -> Received:
        framing = f"8{self.parity}{2 if self.stopbits == serial.STOPBITS_TWO else 1}"
        key = (self.baudrate, framing)
        if key not in self._cache:
            self._cache[key] = receive(self.signal, baud=self.baudrate, framing=framing)
        return self._cache[key]

    def _encoded(self, t0: float, t1: float) -> bytes:
        rx = self._rx()
        out = bytearray()
        for i in ((rx.end_times_s > t0) & (rx.end_times_s <= t1)).nonzero()[0]:
            c = rx.data[i]
            err = bool(rx.framing_errors[i] or rx.parity_errors[i])
            if self.parmrk and err:
                out += bytes((0xFF, 0x00, c))
            elif self.parmrk and c == 0xFF:
                out += b"\xff\xff"
            else:
                out.append(c)
        return bytes(out)

    @property
    def in_waiting(self) -> int:
        return len(self._encoded(self._consumed, self.clock.now))

    def read(self, size: int = 1) -> bytes:
        data = self._encoded(self._consumed, self.clock.now)
        if not data:
            rx = self._rx()
            later = rx.end_times_s[rx.end_times_s > self.clock.now]
            step = self.timeout if later.size == 0 else min(self.timeout, float(later[0]) - self.clock.now)
            self.clock.now += max(step, self.poll_s)
            data = self._encoded(self._consumed, self.clock.now)
        self._consumed = self.clock.now
        return data  # whole reads: a marker is never split here

    def reset_input_buffer(self) -> None:
        self._consumed = self.clock.now

    def write(self, data: bytes) -> int:
        self.written += data
        raise AssertionError("listen must not write")

    def close(self) -> None:
        self.closed = True


def _modbus_bursts(duration_s: float, *, baud: int, framing: str) -> list[tuple[float, bytes]]:
    char_s = bits_per_char(framing) / baud
    req = modbus_frame(1, 3, bytes([0, 0, 0, 10]))
    bursts = []
    t = 0.003
    k = 0
    while t < duration_s:
        resp = modbus_frame(1, 3, bytes([20]) + bytes((k + i) & 0xFF for i in range(20)))
        bursts.append((t, req))
        t += len(req) * char_s + 0.008
        bursts.append((t, resp))
        t += len(resp) * char_s + 0.05
        k += 1
    return bursts


@pytest.fixture
def model_port(monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[ModelPort, FakeClock]]:
    def make(bursts: list[tuple[float, bytes]], *, baud: int, framing: str) -> tuple[ModelPort, FakeClock]:
        clock = FakeClock()
        port = ModelPort(bursts, baud=baud, framing=framing, clock=clock)

        def enable(p: Any) -> bool:  # the termios INPCK|PARMRK call, applied to the model
            p.parmrk = True
            return True

        monkeypatch.setattr(listen_mod, "_enable_error_marking", enable)
        return port, clock

    return make


@pytest.mark.parametrize(("baud", "framing"), [(19200, "8E1"), (9600, "8N1"), (38400, "8O1")])
def test_listen_finds_modbus_rate_and_framing_from_uart_errors(
    model_port: Callable[..., tuple[ModelPort, FakeClock]], baud: int, framing: str
) -> None:
    duration = 6.0
    port, clock = model_port(
        _modbus_bursts(duration + 1, baud=baud, framing=framing), baud=baud, framing=framing
    )
    result = listen("model://", duration_s=duration, open_port=lambda *a, **k: port, clock=clock)
    assert port.written == b""
    assert port.closed
    assert result.protocol == "modbus"
    assert (result.baud, result.framing) == (baud, framing)
    assert result.error_reporting
    tried = {(s.baud, s.framing) for s in result.settings}
    assert {(b, "8N1") for b in DEFAULT_BAUDS} <= tried
    assert {(baud, "8E1"), (baud, "8O1")} <= tried


def test_listen_text_console_rate(model_port: Callable[..., tuple[ModelPort, FakeClock]]) -> None:
    line = b"[    1.734002] EXT4-fs (mmcblk0p2): mounted filesystem with ordered data mode\r\n"
    bursts = [(0.1 * i, line) for i in range(80)] + [(8.0, b"\r\ncrane-plc login: ")]
    port, clock = model_port(bursts, baud=57600, framing="8N1")
    result = listen("model://", duration_s=5.0, open_port=lambda *a, **k: port, clock=clock)
    assert (result.protocol, result.baud, result.framing) == ("text", 57600, "8N1")


def test_listen_memory_is_bounded_under_a_flood() -> None:
    with PersonaServer("hostile-flood") as server:
        result = listen(server.path, duration_s=1.5, bauds=[115200, 9600])
        assert server.received_bytes == b""
    assert result.bytes_seen > listen_mod.MAX_CAPTURE_BYTES  # 100 kB/s for 1.5 s
    assert all(s.bytes_seen <= listen_mod.MAX_CAPTURE_BYTES for s in result.settings)
    assert len(result.sample) < 4 * listen_mod.SAMPLE_BYTES + 32


def test_listen_port_vanishing_is_a_port_error() -> None:
    with PersonaServer("hostile-vanish") as server, pytest.raises(PortError):
        listen(server.path, duration_s=2.0)


# --------------------------------------------------------------------------- slow talkers (review)
PERSONAS = Path(__file__).parent / "personas"


def _default_listen_s(command: str) -> float:
    """The listen time ``serialprobe <command>`` uses by default (from its parser)."""
    return float(cli.build_parser().parse_args([command, "/dev/null"]).listen_s)


@pytest.mark.parametrize("persona", ["modbus-600ms-poll.toml"])
def test_default_probe_listen_identifies_a_slowly_polled_bus(persona: str) -> None:
    """A 3 s listen over 10 rates gives each ~0.15 s: a bus polled every 1.5 s was heard only at
    wrong rates (unknown -> AT written). The extension must dwell a whole poll period per rate.
    (The 1.5 s bus runs through ``probe`` and ``scan`` in test_probe_personas and test_scan.)"""
    duration_s = _default_listen_s("probe")
    with PersonaServer(PERSONAS / persona) as server:
        result = listen(server.path, duration_s=duration_s)
        received = server.received_bytes
    assert received == b""
    assert (result.protocol, result.baud) == ("modbus", 19200), result.evidence
    assert not result.writes_allowed
    assert result.duration_s <= 3 * duration_s + 0.5  # the extension is bounded


def test_unknown_bytes_are_not_writable_and_the_extension_is_bounded() -> None:
    duration_s = 1.0
    with PersonaServer("hostile-binary") as server:
        result = listen(server.path, duration_s=duration_s)
        assert server.received_bytes == b""
    assert result.protocol == "unknown"
    assert not result.writes_allowed
    assert result.duration_s <= duration_s + listen_mod.default_extend_s(duration_s) + 0.5
    silent = listen_mod.ListenResult(
        port="x", protocol="silent", baud=None, framing=None, confidence=1.0, evidence=(), bytes_seen=0,
        sample="", duration_s=1.0, error_reporting=False,
    )  # fmt: skip
    assert silent.writes_allowed  # an idle modem's AT port says nothing


def test_slow_modbus_found_at_its_rate_and_framing_over_a_uart(
    model_port: Callable[..., tuple[ModelPort, FakeClock]],
) -> None:
    """Bit-level model: 19200 8E1 bus polled every 1.2 s, a 3 s listen (virtual time)."""
    baud, framing = 19200, "8E1"
    char_s = bits_per_char(framing) / baud
    req = modbus_frame(1, 3, bytes([0, 0, 0, 10]))
    bursts = []
    t = 0.05
    for k in range(12):
        resp = modbus_frame(1, 3, bytes([20]) + bytes((k + i) & 0xFF for i in range(20)))
        bursts += [(t, req), (t + len(req) * char_s + 0.008, resp)]
        t += 1.2
    port, clock = model_port(bursts, baud=baud, framing=framing)
    without = listen("model://", duration_s=3.0, open_port=lambda *a, **k: port, clock=clock, extend_s=0)
    assert without.protocol != "modbus"  # the short listen alone misses it (the review's finding)
    port, clock = model_port(bursts, baud=baud, framing=framing)
    result = listen("model://", duration_s=3.0, open_port=lambda *a, **k: port, clock=clock)
    assert port.written == b""
    assert (result.protocol, result.baud, result.framing) == ("modbus", baud, framing), result.evidence
    assert result.duration_s <= 9.0 + 0.1
    assert any("listened" in e and "more" in e for e in result.evidence)


# --------------------------------------------------------------------------- termios left as found
def test_listen_restores_the_ttys_termios(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drivers that keep termios across opens (8250) must get back what they had, PARMRK included."""
    import os
    import termios

    monkeypatch.setattr(listen_mod, "_is_pseudo_terminal", lambda fd: False)  # let INPCK|PARMRK be set
    master, slave = os.openpty()
    try:
        attrs = termios.tcgetattr(slave)
        attrs[4] = attrs[5] = termios.B2400
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        before = termios.tcgetattr(slave)
        seen: list[list[Any]] = []
        real_capture = listen_mod._capture

        def spy(port: Any, **kwargs: Any) -> Any:
            seen.append(termios.tcgetattr(port.fd))
            return real_capture(port, **kwargs)

        monkeypatch.setattr(listen_mod, "_capture", spy)
        listen(os.ttyname(slave), duration_s=0.4, bauds=[9600, 19200])
        after = termios.tcgetattr(slave)
    finally:
        os.close(master)
        os.close(slave)
    assert any(a[0] & termios.PARMRK and a[5] != before[5] for a in seen)  # it did reconfigure
    assert after == before
