"""open_port: URLs work, control lines low before open, OS errors become PortError with advice."""

from __future__ import annotations

import errno
import os
from typing import Any

import pytest
import serial

from serialprobe import transport
from serialprobe.errors import PortError
from serialprobe.transport import open_port


def test_loop_url_round_trip() -> None:
    port = open_port("loop://", baudrate=115200, timeout_s=0.2)
    try:
        port.write(b"AT\r")
        assert port.read(3) == b"AT\r"
        assert port.dtr is False
        assert port.rts is False
    finally:
        port.close()


def test_pty_opens_with_baud_and_lines_low() -> None:
    master, slave = os.openpty()
    try:
        path = os.ttyname(slave)
        port = open_port(path, baudrate=9600, timeout_s=0.1)
        try:
            assert port.is_open
            assert port.baudrate == 9600
            os.write(master, b"OK\r\n")
            assert port.read(4) == b"OK\r\n"
        finally:
            port.close()
    finally:
        os.close(master)
        os.close(slave)


class _Recorder:
    """Stands in for a pyserial port; records the order of attribute sets and open()."""

    def __init__(self, exc: BaseException | None = None) -> None:
        self.log: list[tuple[str, Any]] = []
        self.exc = exc
        self.exclusive = None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in ("log", "exc") and hasattr(self, "log"):
            self.log.append((name, value))
        object.__setattr__(self, name, value)

    def open(self) -> None:
        self.log.append(("open", None))
        if self.exc is not None:
            raise self.exc


def _fake(monkeypatch: pytest.MonkeyPatch, exc: BaseException | None) -> _Recorder:
    rec = _Recorder(exc)

    def fake_for_url(url: str, *args: Any, **kwargs: Any) -> _Recorder:
        assert kwargs.get("do_not_open") is True
        return rec

    monkeypatch.setattr(transport.serial, "serial_for_url", fake_for_url)
    return rec


def test_dtr_rts_low_and_exclusive_set_before_open(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = _fake(monkeypatch, None)
    open_port("/dev/ttyUSB7", baudrate=115200, timeout_s=1.0)
    names = [n for n, _ in rec.log]
    opened_at = names.index("open")
    assert ("dtr", False) in rec.log[:opened_at]
    assert ("rts", False) in rec.log[:opened_at]
    assert ("exclusive", True) in rec.log[:opened_at]
    assert ("rtscts", False) in rec.log[:opened_at]


def _serial_error(code: int, path: str) -> serial.SerialException:
    # pyserial wraps the OSError like this in serialposix.Serial.open
    err = OSError(code, os.strerror(code))
    return serial.SerialException(code, f"could not open port {path}: {err}")


def test_permission_denied_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, _serial_error(errno.EACCES, "/dev/ttyUSB0"))
    with pytest.raises(PortError) as info:
        open_port("/dev/ttyUSB0", baudrate=115200, timeout_s=1.0)
    msg = str(info.value)
    assert "permission denied on /dev/ttyUSB0" in msg
    assert "dialout" in msg
    assert "usermod -aG dialout" in msg
    assert "\n" not in msg


def test_busy_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, _serial_error(errno.EBUSY, "/dev/ttyUSB0"))
    with pytest.raises(PortError) as info:
        open_port("/dev/ttyUSB0", baudrate=115200, timeout_s=1.0)
    assert "in use by another process" in str(info.value)
    assert "ModemManager" in str(info.value)
    assert "lsof /dev/ttyUSB0" in str(info.value)


def test_exclusive_lock_held_is_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    # pyserial's own message when flock() fails
    exc = serial.SerialException(
        "Could not exclusively lock port /dev/ttyUSB0: [Errno 11] Resource temporarily unavailable"
    )
    _fake(monkeypatch, exc)
    with pytest.raises(PortError, match="in use by another process"):
        open_port("/dev/ttyUSB0", baudrate=115200, timeout_s=1.0)


def test_missing_port_real() -> None:
    with pytest.raises(PortError, match="no such port /dev/ttyNOPE9"):
        open_port("/dev/ttyNOPE9", baudrate=115200, timeout_s=0.1)


def test_second_exclusive_open_of_real_pty_is_busy() -> None:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    first = open_port(path, baudrate=115200, timeout_s=0.1)
    try:
        with pytest.raises(PortError, match="in use by another process"):
            open_port(path, baudrate=115200, timeout_s=0.1)
    finally:
        first.close()
        os.close(master)
        os.close(slave)


def test_bad_url_and_bad_baud() -> None:
    with pytest.raises(PortError):
        open_port("nosuchscheme://x", baudrate=115200, timeout_s=0.1)
    with pytest.raises(PortError, match="invalid baud"):
        open_port("loop://", baudrate=0, timeout_s=0.1)


@pytest.mark.parametrize(
    ("code", "needle"),
    [
        (errno.EACCES, "permission denied on /dev/ttyACM3: add your user to the dialout group"),
        (errno.EBUSY, "/dev/ttyACM3 is in use by another process"),
        (errno.ENOENT, "no such port /dev/ttyACM3"),
        (errno.ENODEV, "no such port /dev/ttyACM3"),
    ],
)
def test_raw_oserror_mapping(monkeypatch: pytest.MonkeyPatch, code: int, needle: str) -> None:
    _fake(monkeypatch, OSError(code, os.strerror(code)))
    with pytest.raises(PortError, match=needle) as info:
        open_port("/dev/ttyACM3", baudrate=115200, timeout_s=1.0)
    assert isinstance(info.value.__cause__, OSError)
