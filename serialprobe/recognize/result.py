"""The verdict of one recogniser on one capture."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Recognition"]


@dataclass(frozen=True)
class Recognition:
    """How strongly a capture looks like one protocol, and why.

    Attributes
    ----------
    protocol : str
        ``"at"``, ``"modbus"``, ``"nmea"``, ``"diag"`` or ``"text"``.
    score : float
        0 (no sign of it) .. 1 (certain).
    evidence : tuple of str
        Human-readable findings, already safe to print (device text passed through
        :func:`serialprobe.sanitize.terminal_safe`).
    details : dict
        Machine-readable counts (JSON-serialisable).
    """

    protocol: str
    score: float
    evidence: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "score", float(min(1.0, max(0.0, self.score))))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form."""
        return {
            "protocol": self.protocol,
            "score": round(self.score, 3),
            "evidence": list(self.evidence),
            "details": self.details,
        }
