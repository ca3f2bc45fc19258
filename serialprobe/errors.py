"""Exceptions of serialprobe: one root, a few meaningful kinds."""

from __future__ import annotations


class SerialprobeError(Exception):
    """Root of every error serialprobe raises on purpose."""

    exit_code: int = 1


class PortError(SerialprobeError):
    """A port cannot be opened or used (missing, permission denied, busy)."""

    exit_code = 4


class UsbError(SerialprobeError):
    """USB enumeration failed (no backend, no permission)."""

    exit_code = 4


class RefusedError(SerialprobeError):
    """serialprobe refuses to write: the line carries another protocol, or a command is not allowed."""

    exit_code = 5


class DataError(SerialprobeError):
    """A data file shipped with serialprobe (modem database, persona, allowlist) is invalid."""

    exit_code = 3
