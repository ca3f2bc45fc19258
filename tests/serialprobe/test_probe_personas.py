"""probe_port against every persona over a real pty: right fields, bounded time, clean output."""

from __future__ import annotations

import io
import json
import re
import time
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from serialprobe import cli
from serialprobe.at.parse import luhn_valid
from serialprobe.at.probe import probe_port, summary_lines
from serialprobe.errors import RefusedError
from serialprobe.sim.persona import list_personas, load_persona
from serialprobe.sim.server import PersonaServer

MODEMS = [
    n
    for n in list_personas()
    if not n.startswith("hostile-") and load_persona(n).kind == "at" and "imei" in load_persona(n).properties
]
HOSTILE = [n for n in list_personas() if n.startswith("hostile-")]
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _walk_strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _walk_strings(v)] + [k for k in obj if isinstance(k, str)]
    if isinstance(obj, list | tuple):
        return [s for v in obj for s in _walk_strings(v)]
    return []


def test_modem_personas_present() -> None:
    assert len(MODEMS) >= 6
    assert len(HOSTILE) >= 7


@pytest.mark.parametrize("name", MODEMS)
def test_probe_modem_persona(name: str) -> None:
    persona = load_persona(name)
    props = persona.properties
    with PersonaServer(persona) as server:
        result = probe_port(server.path, baud="auto", reveal=True, timeout_s=5.0)
    ident, net = result.identity, result.network
    assert result.protocol == "at"
    assert result.complete, result.events
    assert result.baud == (persona.baud or 115200)
    assert ident.manufacturer == props.get("cgmi", props["manufacturer"])
    assert ident.model == props["model"]
    assert ident.revision == props["revision"]
    assert ident.imei == props["imei"]
    assert ident.imei_valid is luhn_valid(props["imei"])
    assert ident.imsi == props["imsi"]
    assert ident.mcc == props["imsi"][:3]
    assert ident.iccid == props["iccid"]
    assert ident.iccid_valid is True
    assert result.sim.state == props["sim_state"]
    assert net.operator == props["operator"]
    assert net.registration_stat == int(props["reg_stat"])
    assert net.roaming is (int(props["reg_stat"]) == 5)
    assert net.signal_dbm == -113 + 2 * int(props["rssi"])
    assert net.act == int(props["act"])
    expected_rat = {"LTE": "E-UTRAN"}.get(props["rat"], props["rat"])
    assert net.rat == expected_rat
    if "rsrp_idx" in props:
        assert net.rsrp_dbm == int(props["rsrp_idx"]) - 141
    if ident.maker in ("quectel", "simcom", "telit", "sierra"):
        assert result.vendor_status, "vendor status read expected"


def test_quectel_vendor_status_fields() -> None:
    with PersonaServer("quectel-ec25") as server:
        result = probe_port(server.path, baud=115200, reveal=False, timeout_s=5.0)
    assert result.vendor_status["rat"] == "LTE"
    assert result.vendor_status["band"] == "3"
    assert "+QIND: SMS DONE" in result.urcs or "+CPIN: READY" in result.urcs or "RDY" in result.urcs


def test_masking_hides_identities_everywhere() -> None:
    persona = load_persona("sierra-mc7455")
    props = persona.properties
    with PersonaServer(persona) as server:
        result = probe_port(server.path, baud="auto", reveal=False, timeout_s=5.0)
    ident = result.identity
    assert ident.masked
    assert ident.imei == props["imei"][:8] + "*" * 7
    assert ident.imsi == props["imsi"][:5] + "*" * 10
    assert ident.iccid == props["iccid"][:7] + "*" * (len(props["iccid"]) - 7)
    assert ident.imei_valid is True  # computed before masking
    assert ident.iccid_valid is True
    dumped = json.dumps(result.to_dict())
    for key in ("imei", "imsi", "iccid"):
        assert props[key] not in dumped
    assert props["imei"][8:] not in dumped  # ATI's IMEI line in the transcript is redacted too


def test_huawei_swapped_iccid_and_urcs() -> None:
    with PersonaServer("huawei-me909") as server:
        result = probe_port(server.path, baud="auto", reveal=True, timeout_s=5.0)
    assert result.identity.iccid == load_persona("huawei-me909").properties["iccid"]
    assert any(u.startswith("^RSSI:") for u in result.urcs)


def test_telit_needs_the_baud_search() -> None:
    with PersonaServer("telit-le910") as server:
        result = probe_port(server.path, baud="auto", reveal=False, timeout_s=5.0)
        sent = server.received_bytes
    assert result.baud == 9600
    assert any("115200" in e for e in result.events)
    first_ok = sent.index(b"AT\r")
    assert sent[: first_ok + 3] == b"AT\r"  # the search sends only AT


def test_fixed_wrong_baud_finds_nothing() -> None:
    with PersonaServer("quectel-ec25") as server:
        result = probe_port(server.path, baud=9600, reveal=False, timeout_s=1.5, command_timeout_s=0.3)
        sent = set(server.received_bytes.split(b"\r")) - {b""}
    assert result.protocol != "at"
    assert sent == {b"AT"}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_persona_is_bounded_and_clean(name: str) -> None:
    timeout_s = 2.0
    with PersonaServer(name) as server:
        t0 = time.monotonic()
        result = probe_port(
            server.path, baud="auto", reveal=False, timeout_s=timeout_s, command_timeout_s=0.5
        )
        elapsed = time.monotonic() - t0
    assert elapsed < timeout_s + 1.0
    data = result.to_dict()
    for text in _walk_strings(data):
        assert _CONTROL.search(text) is None, (name, text)
        assert "\x1b" not in text
    for line in summary_lines(result):
        assert _CONTROL.search(line) is None, (name, line)
    assert len(json.dumps(data)) < 200_000
    expected_event = {
        "hostile-flood": "flood cut",
        "hostile-noline": "longer than",
        "hostile-binary": "non-UTF-8",
        "hostile-echo-forever": "echo of AT repeated",
        "hostile-vanish": "port vanished",
    }
    if name in expected_event:
        assert any(expected_event[name] in e for e in result.events), result.events
    if name in ("hostile-flood", "hostile-noline", "hostile-binary", "hostile-echo-forever"):
        assert result.protocol in ("text", "unknown")
        assert not result.complete
    if name == "hostile-vanish":
        assert not result.complete
        assert result.identity.model == "EC25"  # what came before the port vanished is kept
    if name == "hostile-escape":
        assert result.identity.manufacturer == "EvilCorp"
        assert result.network.operator == "TEST NET"
        assert result.identity.iccid_valid is True
    if name == "hostile-html":
        assert (
            result.identity.manufacturer == "<script>alert(1)</script>"
        )  # HTML escaping is the report's job


def test_listen_refusal_and_force() -> None:
    heard = SimpleNamespace(
        protocol="modbus", writes_allowed=False, baud=19200, to_dict=lambda: {"protocol": "modbus"}
    )
    with PersonaServer("quectel-ec25") as server:
        with pytest.raises(RefusedError, match="modbus"):
            probe_port(server.path, listen_first=lambda url: heard, timeout_s=2.0)
        assert server.received_bytes == b""
        result = probe_port(server.path, listen_first=lambda url: heard, force=True, timeout_s=3.0)
    assert result.protocol == "at"
    assert result.listen == {"protocol": "modbus"}
    assert any("forced" in e for e in result.events)


def test_listen_silent_allows_probe() -> None:
    heard = SimpleNamespace(protocol="silent", baud=None)
    with PersonaServer("simcom-sim7600") as server:
        result = probe_port(server.path, listen_first=lambda url: heard, timeout_s=3.0)
    assert result.protocol == "at"


def test_cli_probe_json_and_summary(tmp_path: Any) -> None:
    out = tmp_path / "probe.json"
    with PersonaServer("hostile-escape") as server:
        buf = io.StringIO()
        with redirect_stdout(buf):
            code = cli.main(
                ["probe", server.path, "--no-listen", "--force", "--timeout", "3", "--json", str(out)]
            )
    assert code == 0
    text = buf.getvalue()
    assert "EvilCorp" in text
    assert _CONTROL.search(text.replace("\n", "")) is None
    doc = json.loads(out.read_text())
    assert doc["protocol"] == "at"
    assert doc["identity"]["manufacturer"] == "EvilCorp"


def test_cli_probe_missing_port_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["probe", "/dev/ttyNOPE42", "--no-listen", "--force"])
    err = capsys.readouterr().err
    assert code == 4
    assert "no such port /dev/ttyNOPE42" in err
    assert err.count("\n") == 1


# --------------------------------------------------------------------------- review findings
PERSONAS = Path(__file__).parent / "personas"


def test_unknown_line_is_refused_unless_forced_or_a_known_at_port() -> None:
    heard = SimpleNamespace(protocol="unknown", baud=9600)
    with PersonaServer("quectel-ec25") as server:
        with pytest.raises(RefusedError, match="--force"):
            probe_port(server.path, listen_first=lambda url: heard, timeout_s=2.0)
        assert server.received_bytes == b""
        result = probe_port(
            server.path,
            listen_first=lambda url: heard,
            timeout_s=3.0,
            at_port_reason="AT port of a Quectel EC25 (interface 2)",
        )
    assert result.protocol == "at"
    assert any("enumeration says" in e for e in result.events)


@pytest.mark.parametrize("persona", ["hostile-binary", str(PERSONAS / "modbus-slow-poll.toml")])
def test_cli_probe_default_listen_writes_nothing_to_foreign_lines(
    persona: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review finding: both were probed (AT at 8 rates) after a default 3 s listen."""
    with PersonaServer(Path(persona) if persona.endswith(".toml") else persona) as server:
        code = cli.main(["probe", server.path])
        received = server.received_bytes
    err = capsys.readouterr().err
    assert code == RefusedError.exit_code
    assert received == b""
    assert "--force" in err
    assert err.count("\n") == 1


def test_cli_no_listen_needs_force(capsys: pytest.CaptureFixture[str]) -> None:
    with PersonaServer("quectel-ec25") as server:
        code = cli.main(["probe", server.path, "--no-listen"])
        assert not server.connected.is_set()  # never opened
    assert code == RefusedError.exit_code
    err = capsys.readouterr().err
    assert "--force" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("where", ["dir", "missing-parent"])
def test_cli_probe_unwritable_json_fails_before_opening(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path if where == "dir" else tmp_path / "nope" / "probe.json"
    with PersonaServer("quectel-ec25") as server:
        code = cli.main(["probe", server.path, "--no-listen", "--force", "--json", str(out)])
        assert not server.connected.is_set()
        assert server.received_bytes == b""
    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith("serialprobe: error: ")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_probe_json_write_failure_keeps_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from serialprobe import jsonout

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    out = tmp_path / "probe.json"
    with PersonaServer("quectel-ec25") as server:
        monkeypatch.setattr(jsonout.os, "replace", broken_replace)
        code = cli.main(
            ["probe", server.path, "--no-listen", "--force", "--timeout", "3", "--json", str(out)]
        )
    captured = capsys.readouterr()
    assert code == 1
    assert "No space left" in captured.err
    assert captured.err.count("\n") == 1
    assert "EC25" in captured.out  # the finished probe is printed, not lost
    assert list(tmp_path.iterdir()) == []  # no temp file left behind


def test_allowlist_error_does_not_leak_the_port(fake_port_cls: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from serialprobe.at import engine as engine_mod
    from serialprobe.errors import DataError

    def bad_allowlist() -> Any:
        raise DataError("allowlist broken")

    monkeypatch.setattr(engine_mod, "load_allowlist", bad_allowlist)
    port = fake_port_cls()
    with pytest.raises(DataError):
        probe_port("fake://", baud=115200, open_port=lambda *a, **k: port, timeout_s=1.0)
    assert port.closed


@pytest.mark.parametrize(
    ("reply", "protocol"),
    [
        (b"AB\x90" * 40, "unknown"),  # a third binary: was scored 83% printable (escapes counted 1)
        (bytes(range(0x80, 0x100)), "unknown"),
        (b"crane-plc login: " * 6, "text"),
    ],
)
def test_no_answer_is_labelled_from_raw_bytes(reply: bytes, protocol: str, fake_port_cls: Any) -> None:
    port = fake_port_cls(lambda data: reply)
    result = probe_port(
        "fake://", baud=115200, open_port=lambda *a, **k: port, timeout_s=1.0, command_timeout_s=0.1
    )
    assert result.protocol == protocol


def test_probe_restores_the_ttys_termios() -> None:
    import os
    import termios

    master, slave = os.openpty()
    try:
        attrs = termios.tcgetattr(slave)
        attrs[4] = attrs[5] = termios.B2400
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        before = termios.tcgetattr(slave)
        result = probe_port(os.ttyname(slave), baud="auto", timeout_s=0.6, command_timeout_s=0.05)
        after = termios.tcgetattr(slave)
    finally:
        os.close(master)
        os.close(slave)
    assert result.protocol != "at"
    assert after == before


@pytest.mark.parametrize("name", ["quectel-ec25", "simcom-sim7600"])
def test_cli_probe_default_listen_hears_boot_urcs_as_at(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """These personas print boot URCs as the port is opened; the listen must call that AT (not
    unknown, which is refused), so the simulator walkthrough works without --force."""
    with PersonaServer(name) as server:
        code = cli.main(["probe", server.path, "--timeout", "5", "--json", "-"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["listen"]["protocol"] == "at"
    assert doc["protocol"] == "at"
    assert doc["identity"]["model"] == load_persona(name).properties["model"]
