"""The AT allowlist: the exact commands serialprobe may write, loaded from ``allowlist.toml``.

Only exact strings are allowed (no patterns): a command is sendable when its bytes plus one CR
are byte-identical to an allowlisted entry. The deny list in the same file documents why the
usual dangerous commands are never sent; it is not needed for refusing (anything not allowed is
refused) but tests check that no denied command is allowed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from serialprobe.errors import DataError

__all__ = ["AllowedCommand", "Allowlist", "DeniedCommand", "load_allowlist"]

_PURPOSES = frozenset({"handshake", "identity", "sim", "iccid", "network", "status"})


@dataclass(frozen=True)
class AllowedCommand:
    """One allowlisted command with why it is read-only."""

    command: str
    purpose: str
    vendor: str
    reason: str
    source: str
    reply_prefixes: tuple[str, ...]

    @property
    def wire(self) -> bytes:
        """The exact bytes written for this command (ASCII + CR)."""
        return self.command.encode("ascii") + b"\r"


@dataclass(frozen=True)
class DeniedCommand:
    """A command (prefix) that is never sent, with the reason."""

    command: str
    reason: str
    source: str


@dataclass(frozen=True)
class Allowlist:
    """Allowed commands by exact text, plus the documented deny list."""

    allowed: dict[str, AllowedCommand]
    denied: tuple[DeniedCommand, ...]
    path: str

    def __contains__(self, command: object) -> bool:
        return isinstance(command, str) and command in self.allowed

    @property
    def wire_forms(self) -> frozenset[bytes]:
        """Every byte string the engine may write."""
        return frozenset(c.wire for c in self.allowed.values())

    def for_vendor(self, vendor: str, purpose: str) -> list[AllowedCommand]:
        """Commands of ``vendor`` with ``purpose``, in file order."""
        return [c for c in self.allowed.values() if c.vendor == vendor and c.purpose == purpose]

    def by_purpose(self, purpose: str) -> list[AllowedCommand]:
        """All commands with ``purpose``, in file order."""
        return [c for c in self.allowed.values() if c.purpose == purpose]


def _req_str(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str):
        raise DataError(f"allowlist {where}: {key} must be a string")
    return value


def _parse(doc: dict[str, Any], where: str) -> Allowlist:
    if doc.get("schema") != 1:
        raise DataError(f"allowlist {where}: schema must be 1")
    allowed: dict[str, AllowedCommand] = {}
    for i, entry in enumerate(doc.get("allow", [])):
        w = f"{where} allow[{i}]"
        if not isinstance(entry, dict):
            raise DataError(f"allowlist {w}: must be a table")
        command = _req_str(entry, "command", w)
        if not command.isascii() or not command.isprintable() or command != command.strip():
            raise DataError(f"allowlist {w}: command must be printable ASCII without spaces around it")
        if not command.upper().startswith("AT") or ";" in command:
            raise DataError(f"allowlist {w}: command must start with AT and hold one command (no ';')")
        if command in allowed:
            raise DataError(f"allowlist {w}: duplicate command {command!r}")
        purpose = _req_str(entry, "purpose", w)
        if purpose not in _PURPOSES:
            raise DataError(f"allowlist {w}: purpose must be one of {sorted(_PURPOSES)}")
        prefixes = entry.get("reply_prefixes", [])
        if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
            raise DataError(f"allowlist {w}: reply_prefixes must be a list of strings")
        reason = _req_str(entry, "reason", w)
        source = _req_str(entry, "source", w)
        if not reason or not source:
            raise DataError(f"allowlist {w}: reason and source must not be empty")
        allowed[command] = AllowedCommand(
            command=command,
            purpose=purpose,
            vendor=_req_str(entry, "vendor", w),
            reason=reason,
            source=source,
            reply_prefixes=tuple(prefixes),
        )
    denied = tuple(
        DeniedCommand(
            _req_str(d, "command", f"{where} deny[{i}]"),
            _req_str(d, "reason", f"{where} deny[{i}]"),
            _req_str(d, "source", f"{where} deny[{i}]"),
        )
        for i, d in enumerate(doc.get("deny", []))
    )
    for d in denied:
        for c in allowed:
            if c.upper().startswith(d.command.upper()):
                raise DataError(f"allowlist {where}: {c!r} is allowed but matches denied {d.command!r}")
    return Allowlist(allowed=allowed, denied=denied, path=where)


@lru_cache(maxsize=4)
def _load_cached(path: str) -> Allowlist:
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise DataError(f"allowlist {path}: cannot read ({err})") from err
    return _parse(doc, path)


def load_allowlist(path: str | Path | None = None) -> Allowlist:
    """Load the allowlist (the shipped ``serialprobe/at/allowlist.toml`` by default).

    Raises
    ------
    DataError
        Unreadable file or invalid entry.
    """
    if path is None:
        path = Path(str(resources.files("serialprobe.at") / "allowlist.toml"))
    return _load_cached(str(path))
