"""The JSON writer (atomic, checked early), one-line safe error messages, safe ``list`` output."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from serial.tools import list_ports, list_ports_common

from serialprobe import cli, jsonout
from serialprobe.commands.probe import enumeration_at_port
from serialprobe.errors import SerialprobeError

_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def umask_022() -> Any:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_write_json_replaces_whole_file_with_a_normal_mode(tmp_path: Path, umask_022: Any) -> None:
    out = tmp_path / "scan.json"
    jsonout.write_json({"a": 1}, str(out))
    jsonout.write_json({"a": 2, "ports": ["é"]}, str(out))
    assert json.loads(out.read_text(encoding="utf-8")) == {"a": 2, "ports": ["é"]}
    assert [p.name for p in tmp_path.iterdir()] == ["scan.json"]  # no temp file left
    assert out.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600


def test_write_json_honours_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        jsonout.write_json({}, str(tmp_path / "private.json"))
    finally:
        os.umask(old)
    assert (tmp_path / "private.json").stat().st_mode & 0o777 == 0o600


def test_write_json_failure_is_one_error_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "scan.json"
    jsonout.write_json({"old": True}, str(out))

    def fsync_fails(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(jsonout.os, "fsync", fsync_fails)
    with pytest.raises(SerialprobeError, match="Input/output error"):
        jsonout.write_json({"new": True}, str(out))
    assert json.loads(out.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["scan.json"]


def test_write_json_into_a_directory_is_a_serialprobe_error(tmp_path: Path) -> None:
    with pytest.raises(SerialprobeError):
        jsonout.write_json({}, str(tmp_path))
    with pytest.raises(SerialprobeError):
        jsonout.write_json({}, str(tmp_path / "missing" / "x.json"))


def test_check_writable(tmp_path: Path) -> None:
    jsonout.check_writable("-")
    jsonout.check_writable(str(tmp_path / "ok.json"))
    assert list(tmp_path.iterdir()) == []  # the check leaves nothing behind
    with pytest.raises(SerialprobeError, match="is a directory"):
        jsonout.check_writable(str(tmp_path))
    with pytest.raises(SerialprobeError, match="does not exist"):
        jsonout.check_writable(str(tmp_path / "missing" / "x.json"))


@pytest.mark.parametrize("command", ["list", "usb"])
def test_list_and_usb_json_to_a_directory_is_one_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main([command, "--json", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert "is a directory" in err


def test_listen_json_to_a_missing_folder_fails_before_opening(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from serialprobe.sim.server import PersonaServer

    with PersonaServer("nmea-gps") as server:
        code = cli.main(["listen", server.path, "--json", str(tmp_path / "no" / "l.json")])
        assert not server.connected.is_set()
    assert code == 1
    assert "does not exist" in capsys.readouterr().err


# --------------------------------------------------------------------------- terminal safety
def test_error_line_shows_no_escape_sequence(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["probe", "/dev/\x1b[31mtty\x1b]52;c;ZXZpbA==\x07\nx", "--no-listen", "--force"])
    err = capsys.readouterr().err
    assert code == 4
    assert "\x1b" not in err
    assert "\x07" not in err
    assert err.count("\n") == 1
    assert _CONTROL.search(err.rstrip("\n")) is None
    assert "/dev/\\x1b[31mtty" in err  # what was typed, visibly (not another device "/dev/tty")


def test_error_line_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["probe", "/dev/" + "x" * 5000, "--no-listen", "--force"])
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert len(err) < cli.MAX_ERROR_CHARS + 100


def _fake_port(device: str, *, usb: bool = True) -> list_ports_common.ListPortInfo:
    info = list_ports_common.ListPortInfo(device, skip_link_detection=True)
    if usb:
        info.vid, info.pid, info.location = 0x2C7C, 0x0125, "1-1.2:1.2"  # Quectel EC25, interface 2
        info.apply_usb_info()
    return info


def test_list_text_output_is_terminal_safe(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = "/dev/serial/by-id/usb-Evil\x1b]52;c;ZXZpbA==\x07\x1b[2J\u202eCorp-if00"
    monkeypatch.setattr(list_ports, "comports", lambda include_links=False: [_fake_port(evil)])
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert all(_CONTROL.search(line) is None for line in out.splitlines())
    assert "usb-Evil" in out


def test_probe_finds_the_enumeration_verdict_of_a_local_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = tmp_path / "ttyUSB2"
    device.touch()
    link = tmp_path / "usb-Quectel_EC25-if02-port0"
    link.symlink_to(device)
    uart = tmp_path / "ttyS0"
    uart.touch()
    ports = [_fake_port(str(device)), _fake_port(str(uart), usb=False)]
    monkeypatch.setattr(list_ports, "comports", lambda include_links=False: ports)
    reason = enumeration_at_port(str(device))
    assert reason is not None
    assert reason.startswith("AT port of a Quectel EC25")
    assert enumeration_at_port(str(link)) == reason
    assert enumeration_at_port(str(uart)) is None  # not on USB: no exception for unknown lines
    assert enumeration_at_port("socket://127.0.0.1:1") is None
    assert enumeration_at_port(str(tmp_path / "absent")) is None
