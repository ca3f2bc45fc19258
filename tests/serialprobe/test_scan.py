"""``serialprobe scan``: listen first, probe only likely modems, JSON valid even after Ctrl-C."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from serialprobe import cli
from serialprobe.at import probe_port
from serialprobe.commands import scan as scan_mod
from serialprobe.commands.scan import decide_probe
from serialprobe.sim.server import PersonaServer

#: Test personas (not shipped): Modbus buses polled slowly, from the code review.
PERSONAS = Path(__file__).parent / "personas"

#: An AT modem that reports by itself (boot URCs, RING every 0.25 s) and answers the probe.
AT_PERSONA = """
schema = 1
name = "at-urc-modem"
kind = "at"
description = "test modem: boot URCs, then RING every 0.25 s"
sources = ["ITU-T V.250 (RING), Quectel AT manual (RDY)"]
fake_identity = true

[serial]
baud = 115200

[boot]
lines = ["RDY"]

[[urc]]
text = "RING"
at_s = 0.1
every_s = 0.25

[[dialogue]]
command = "ATI"
reply = ["Quectel", "EC25", "Revision: EC25EFAR06A03M4G"]
result = "OK"
"""

LISTEN_S = "2.0"


@pytest.fixture
def at_persona(tmp_path: Path) -> Path:
    path = tmp_path / "at-urc-modem.toml"
    path.write_text(AT_PERSONA, encoding="utf-8")
    return path


def test_decide_probe_rules() -> None:
    for foreign in ("modbus", "nmea", "diag", "text"):
        assert decide_probe(foreign, "modem", None, force=False) is not None
        assert decide_probe(foreign, "modem", None, force=True) is None
    assert decide_probe("at", None, None, force=False) is None
    assert decide_probe("silent", "possible-modem", None, force=False) is None
    assert decide_probe("silent", None, None, force=False) is None  # an idle modem's AT port is silent
    assert decide_probe("silent", "not-modem", None, force=False) is not None
    assert decide_probe("silent", "modem", "diag", force=False) is not None
    assert decide_probe(None, "modem", None, force=True) is not None  # could not even listen


@pytest.mark.parametrize(
    ("kind", "role"),
    [(None, None), ("possible-modem", None), ("not-modem", None), ("modem", None), ("modem", "nmea")],
)
def test_unknown_line_is_not_written_without_force(kind: str | None, role: str | None) -> None:
    reason = decide_probe("unknown", kind, role, force=False)
    assert reason is not None
    assert "--force" in reason
    assert decide_probe("unknown", kind, role, force=True) is None


@pytest.mark.parametrize("role", ["at", "modem"])
def test_unknown_line_on_a_known_modem_at_interface_is_probed(role: str) -> None:
    assert decide_probe("unknown", "modem", role, force=False) is None


def test_default_probe_is_the_at_probe() -> None:
    assert scan_mod._default_probe() is probe_port


def test_default_scan_never_writes_to_slow_buses_or_binary_lines(tmp_path: Path) -> None:
    """Review finding: a bus polled every 1.5 s was heard only at wrong rates -> AT written."""
    out = tmp_path / "scan.json"
    with (
        PersonaServer(PERSONAS / "modbus-slow-poll.toml") as slow,
        PersonaServer("hostile-binary") as binary,
    ):
        code = cli.main(["scan", "--no-list", "--json", str(out), slow.path, binary.path])  # default listen
        slow_rx, binary_rx = slow.received_bytes, binary.received_bytes
    assert code == 0
    assert slow_rx == b""
    assert binary_rx == b""
    by_dev = {p["device"]: p for p in json.loads(out.read_text())["ports"]}
    assert by_dev[slow.path]["listen"]["protocol"] == "modbus"
    assert by_dev[slow.path]["listen"]["baud"] == 19200
    assert "modbus" in by_dev[slow.path]["skipped_reason"]
    assert by_dev[binary.path]["listen"]["protocol"] == "unknown"
    assert by_dev[binary.path]["probe"] is None
    assert "could not identify" in by_dev[binary.path]["skipped_reason"]


def test_scan_json_to_a_directory_fails_before_opening_ports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with PersonaServer("quectel-ec25") as modem:
        code = cli.main(["scan", "--no-list", "--listen-s", "0.5", "--json", str(tmp_path), modem.path])
        assert not modem.connected.is_set()  # the port was never even opened
        assert modem.received_bytes == b""
    err = capsys.readouterr().err
    assert code != 0
    assert "is a directory" in err
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_scan_probes_only_the_modem(tmp_path: Path, at_persona: Path) -> None:
    out = tmp_path / "scan.json"
    with (
        PersonaServer("modbus-rtu-slave") as modbus,
        PersonaServer("nmea-gps") as nmea,
        PersonaServer(at_persona) as modem,
    ):
        code = cli.main(
            [
                *("scan", "--no-list", "--listen-s", LISTEN_S, "--probe-timeout", "8"),
                *("--json", str(out), modbus.path, nmea.path, modem.path),
            ]
        )
        modbus_rx, nmea_rx, modem_rx = modbus.received_bytes, nmea.received_bytes, modem.received_bytes
    assert code == 0
    assert modbus_rx == b""
    assert nmea_rx == b""
    assert modem_rx.startswith(b"AT")
    doc = json.loads(out.read_text())
    assert doc["tool"] == "serialprobe"
    assert doc["complete"] is True
    assert doc["started_utc"].endswith("Z")
    by_dev = {p["device"]: p for p in doc["ports"]}
    assert by_dev[modbus.path]["listen"]["protocol"] == "modbus"
    assert by_dev[modbus.path]["probe"] is None
    assert "modbus" in by_dev[modbus.path]["skipped_reason"]
    assert by_dev[nmea.path]["listen"]["protocol"] == "nmea"
    assert by_dev[nmea.path]["probe"] is None
    assert by_dev[modem.path]["listen"]["protocol"] == "at"
    assert by_dev[modem.path]["probe"] is not None


def test_scan_force_writes_to_foreign_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def probe(url: str, **kwargs: Any) -> dict[str, Any]:
        from serialprobe.transport import open_port

        calls.append(url)
        port = open_port(url, baudrate=19200, timeout_s=0.1)
        try:
            port.write(b"AT\r")
            return {"device": url, "reply": port.read(64).hex()}
        finally:
            port.close()

    monkeypatch.setattr(scan_mod, "_default_probe", lambda: probe)
    out = tmp_path / "scan.json"
    with PersonaServer("modbus-rtu-slave") as modbus:
        code = cli.main(
            ["scan", "--no-list", "--listen-s", "1.0", "--force", "--json", str(out), modbus.path]
        )
        received = modbus.received_bytes
    assert code == 0
    assert calls == [modbus.path]
    assert received == b"AT\r"
    doc = json.loads(out.read_text())
    assert doc["ports"][0]["listen"]["protocol"] == "modbus"
    assert doc["options"]["force"] is True


def test_ctrl_c_mid_scan_leaves_valid_json(
    tmp_path: Path, at_persona: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def probe(url: str, **kwargs: Any) -> dict[str, Any]:
        raise KeyboardInterrupt

    monkeypatch.setattr(scan_mod, "_default_probe", lambda: probe)
    out = tmp_path / "scan.json"
    with PersonaServer("nmea-gps") as nmea, PersonaServer(at_persona) as modem:
        code = cli.main(
            ["scan", "--no-list", "--listen-s", LISTEN_S, "--json", str(out), nmea.path, modem.path]
        )
        assert nmea.received_bytes == b""
    assert code == 130
    doc = json.loads(out.read_text())
    assert doc["complete"] is False
    assert doc["interrupted"] is True
    assert [p["device"] for p in doc["ports"]] == [nmea.path]  # the port finished before Ctrl-C
    assert doc["ports"][0]["listen"]["protocol"] == "nmea"
    assert doc["ports_total"] == 2
