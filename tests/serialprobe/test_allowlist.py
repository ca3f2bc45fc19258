"""The writer refuses everything that is not an allowlisted read command, byte for byte."""

from __future__ import annotations

import ast
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import serialprobe.at
from serialprobe.at.allowlist import load_allowlist
from serialprobe.at.engine import AtEngine
from serialprobe.at.probe import probe_port
from serialprobe.errors import DataError, RefusedError
from serialprobe.sim.persona import list_personas
from serialprobe.sim.server import PersonaServer

ALLOW = load_allowlist()

EXPECTED = {
    "AT",
    "ATI",
    "AT+CGMI",
    "AT+CGMM",
    "AT+CGMR",
    "AT+CGSN",
    "AT+CIMI",
    "AT+CCID",
    "AT+ICCID",
    "AT+QCCID",
    "AT+CICCID",
    "AT^ICCID?",
    "AT!ICCID?",
    "AT+CREG?",
    "AT+CEREG?",
    "AT+CGREG?",
    "AT+COPS?",
    "AT+CSQ",
    "AT+CESQ",
    "AT+CPIN?",
    'AT+QENG="servingcell"',
    "AT+CPSI?",
    "AT#SERVINFO",
    "AT!GSTATUS?",
}


def _engine(cls: Any) -> tuple[AtEngine, Any]:
    port = cls(lambda data: b"\r\nOK\r\n")
    return AtEngine(port, deadline=time.monotonic() + 5.0), port


def test_allowlist_is_exactly_the_documented_set() -> None:
    assert set(ALLOW.allowed) == EXPECTED


def test_every_entry_has_reason_and_source() -> None:
    for entry in ALLOW.allowed.values():
        assert entry.reason.strip()
        assert entry.source.strip()
    for denied in ALLOW.denied:
        assert denied.reason.strip()
        assert denied.source.strip()


def test_no_denied_command_is_allowed() -> None:
    denied = {d.command for d in ALLOW.denied}
    assert {
        "ATZ",
        "AT&W",
        "ATD",
        "ATA",
        "ATH",
        "AT+CFUN=",
        "AT+COPS=",
        "AT+CPIN=",
        "AT+CRSM",
        "AT+CSIM",
        "ATE",
    } <= denied
    assert "ATE0" not in ALLOW
    assert "ATE1" not in ALLOW
    for command in ALLOW.allowed:
        for d in denied:
            assert not command.upper().startswith(d.upper()), (command, d)


def test_vendor_reads_are_tagged() -> None:
    assert [c.command for c in ALLOW.for_vendor("quectel", "status")] == ['AT+QENG="servingcell"']
    assert [c.command for c in ALLOW.for_vendor("simcom", "status")] == ["AT+CPSI?"]
    assert [c.command for c in ALLOW.for_vendor("telit", "status")] == ["AT#SERVINFO"]
    assert [c.command for c in ALLOW.for_vendor("sierra", "status")] == ["AT!GSTATUS?"]
    assert [c.command for c in ALLOW.for_vendor("huawei", "iccid")] == ["AT^ICCID?"]


@pytest.mark.parametrize("command", sorted(EXPECTED))
def test_allowed_commands_are_written_byte_exact(command: str, fake_port_cls: Any) -> None:
    engine, port = _engine(fake_port_cls)
    engine.send(command)
    assert port.written == [command.encode("ascii") + b"\r"]


@pytest.mark.parametrize(
    "command",
    [
        "ATZ",
        "AT&W",
        "ATD+15551234567;",
        "ATA",
        "ATH",
        "AT+CFUN=0",
        "AT+CFUN=1,1",
        "AT+COPS=2",
        "AT+CPIN=1234",
        'AT+CGDCONT=1,"IP","evil"',
        'AT+CRSM=214,28539,0,0,12,"FFFFFFFFFFFFFFFFFFFFFFFF"',
        "AT+CGSN;+CFUN=0",
        "AT+CGSN\rAT+CFUN=0",
        "AT+CGSN\r",
        "AT+CGSN\n",
        "at+cgsn",
        "AT+CGSN ",
        " AT+CGSN",
        "AT+CGSN\x00",
        "AT+CGSN=1",
        'AT+QENG="neighbourcell"',
        "AT+CREG=2",
        "ATE1",
        "ATE0",
        "",
        "AT+ÇGSN",
        "AT\u202e",
    ],
)
def test_writer_refuses(command: str, fake_port_cls: Any) -> None:
    engine, port = _engine(fake_port_cls)
    with pytest.raises(RefusedError):
        engine.send(command)
    with pytest.raises(RefusedError):
        engine.command(command, timeout_s=0.1)
    assert port.written == []


def test_raw_writer_refuses_near_misses(fake_port_cls: Any) -> None:
    engine, port = _engine(fake_port_cls)
    for data in (b"AT+CGSN", b"AT+CGSN\r\r", b"AT+CGSN\r\n", b"AT+CGSN\rATZ\r", b"\rAT\r"):
        with pytest.raises(RefusedError):
            engine._write_exact(data)
    assert port.written == []


_NEAR_MISSES = st.tuples(st.sampled_from(sorted(EXPECTED)), st.text(min_size=1, max_size=12)).map(
    lambda pair: pair[0] + pair[1]
)


@settings(max_examples=300, deadline=None)
@given(command=st.text(max_size=40) | st.sampled_from(sorted(EXPECTED)) | _NEAR_MISSES)
def test_writer_refuses_every_other_string(command: str, fake_port_cls: Any) -> None:
    engine, port = _engine(fake_port_cls)
    if command in EXPECTED:
        engine.send(command)
        assert port.written == [command.encode("ascii") + b"\r"]
    else:
        with pytest.raises(RefusedError):
            engine.send(command)
        assert port.written == []


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=40) | st.sampled_from(sorted(ALLOW.wire_forms)))
def test_raw_writer_accepts_only_wire_forms(data: bytes, fake_port_cls: Any) -> None:
    engine, port = _engine(fake_port_cls)
    if data in ALLOW.wire_forms:
        engine._write_exact(data)
        assert port.written == [data]
    else:
        with pytest.raises(RefusedError):
            engine._write_exact(data)
        assert port.written == []


def test_only_one_write_call_in_the_at_package() -> None:
    """The engine's _write_exact is the only place in serialprobe.at that calls .write()."""
    package = Path(serialprobe.at.__file__).parent
    sources = sorted(package.glob("*.py"))
    found: list[tuple[str, str]] = []
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            for node in ast.walk(func):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("write", "writelines", "send_break")
                ):
                    found.append((path.name, func.name))
    assert found == [("engine.py", "_write_exact")]


def test_invalid_allowlist_file(tmp_path: Path) -> None:
    bad = tmp_path / "a.toml"
    bad.write_text(
        'schema = 1\n[[allow]]\ncommand = "AT+CFUN=0"\npurpose = "status"\nvendor = ""\n'
        'reason = "x"\nsource = "y"\n[[deny]]\ncommand = "AT+CFUN="\nreason = "r"\nsource = "s"\n'
    )
    with pytest.raises(DataError, match="matches denied"):
        load_allowlist(bad)
    bad.write_text('schema = 1\n[[allow]]\ncommand = "AT+CGSN;+CFUN=0"\npurpose = "identity"\n')
    with pytest.raises(DataError, match="one command"):
        load_allowlist(bad)


@pytest.mark.parametrize("name", list_personas())
def test_probe_writes_only_allowlisted_commands(name: str) -> None:
    with PersonaServer(name) as server:
        probe_port(server.path, baud="auto", timeout_s=1.0, command_timeout_s=0.5)
        sent = server.received_bytes
    assert sent.endswith(b"\r")
    commands = sent.split(b"\r")[:-1]
    assert commands
    assert {c.decode("ascii") for c in commands} <= EXPECTED
