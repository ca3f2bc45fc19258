"""Recognise a line where a cellular modem talks AT without us writing anything.

Two kinds of evidence, both on CR/LF-delimited printable lines:

* unsolicited result codes and boot banners a modem prints by itself (``RDY``, ``+CREG:``,
  ``+CPIN: READY``, ``^SYSSTART``, ``+QIND:`` ...; list with sources in ``at_markers.toml``);
* another host already talking AT on the line: echoed commands (``AT+CSQ``) and final result codes
  (``OK``, ``ERROR``, ``+CME ERROR:``). A lone ``OK`` is weak evidence; commands and URCs are strong.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from serialprobe.errors import DataError
from serialprobe.recognize._lines import split_lines
from serialprobe.recognize.capture import Capture
from serialprobe.recognize.result import Recognition
from serialprobe.recognize.stats import byte_stats
from serialprobe.sanitize import field_text

__all__ = ["Marker", "load_markers", "recognize_at"]

#: An AT command line as a host types it: ``AT`` alone, basic commands (``ATI``, ``ATE0``,
#: ``AT&F``) or extended ones (``AT+CSQ``, ``AT^SYSINFO``, ``AT#SERVINFO``, ``AT!GSTATUS?``).
_AT_BASIC = rb"(?:&[A-Za-z][0-9]*|[ADEHILMOPQTVXZadehilmopqtvxz][0-9]*|[Ss][0-9]+(?:=[0-9]*|\?)?)"
_AT_EXTENDED = rb"(?:[+^#$!%*][A-Za-z][A-Za-z0-9_]*(?:=\?|\?|=[\x20-\x7e]*)?)"
_AT_COMMAND = re.compile(
    rb"^(?:AT|at)(?:" + _AT_BASIC + rb")*(?:" + _AT_EXTENDED + rb"(?:;" + _AT_EXTENDED + rb")*)?;?$"
)
_PRINTABLE_LINE = re.compile(rb"^[\x20-\x7e\t]+$")


@dataclass(frozen=True)
class Marker:
    """One known AT line: its text, how it matches, whether it is a URC or a reply, its source."""

    text: str
    match: str
    kind: str
    source: str

    def matches(self, line: str) -> bool:
        """Tell whether a stripped line matches this marker."""
        return line == self.text if self.match == "exact" else line.startswith(self.text)


@lru_cache(maxsize=1)
def load_markers() -> tuple[Marker, ...]:
    """Load the URC and final-result markers shipped in ``at_markers.toml``."""
    try:
        text = resources.files("serialprobe.recognize").joinpath("at_markers.toml").read_text("utf-8")
        doc = tomllib.loads(text)
        markers = []
        for kind in ("urc", "response"):
            for entry in doc.get(kind, []):
                if entry["match"] not in ("exact", "prefix"):
                    raise ValueError(f"bad match {entry['match']!r}")
                markers.append(Marker(str(entry["text"]), entry["match"], kind, str(entry["source"])))
    except (OSError, tomllib.TOMLDecodeError, KeyError, ValueError) as err:
        raise DataError(f"invalid AT marker file at_markers.toml: {err}; reinstall serialprobe") from err
    return tuple(markers)


def recognize_at(capture: Capture) -> Recognition:
    """Score how much a capture looks like AT traffic (URCs, echoed commands, result codes).

    Parameters
    ----------
    capture : Capture
        Bytes captured without writing.

    Returns
    -------
    Recognition
        ``protocol="at"``; score >= 0.6 once a URC or echoed command is seen on otherwise clean
        text, up to 1 for several; at most 0.4 with result codes alone.
    """
    markers = load_markers()
    urcs: dict[str, int] = {}
    commands: list[str] = []
    responses: dict[str, int] = {}
    lines = [line for seg in capture.segments() for line in split_lines(seg)]
    for raw in lines:
        if not _PRINTABLE_LINE.match(raw):
            continue
        line = raw.decode("ascii").strip()
        if not line:
            continue
        if _AT_COMMAND.match(line.encode("ascii")):
            commands.append(line)
            continue
        for marker in markers:
            if marker.matches(line):
                bucket = urcs if marker.kind == "urc" else responses
                bucket[marker.text] = bucket.get(marker.text, 0) + 1
                break
    n_urc = sum(urcs.values())
    n_resp = sum(responses.values())
    strong = n_urc + len(commands)
    stats = byte_stats(capture)
    quality = stats.printable_ratio
    if stats.error_ratio is not None:
        quality *= max(0.0, 1.0 - 3.0 * stats.error_ratio)
    if strong:
        score = min(1.0, 0.6 + 0.1 * (strong - 1) + 0.05 * n_resp) * quality
    elif n_resp:
        score = min(0.4, 0.2 + 0.1 * n_resp) * quality
    else:
        score = 0.0
    evidence: list[str] = []
    if urcs:
        listed = ", ".join(f"{field_text(k, max_chars=24)} x{v}" for k, v in sorted(urcs.items()))
        evidence.append(f"{n_urc} unsolicited result code line(s) from a modem: {listed}")
    if commands:
        shown = ", ".join(field_text(c, max_chars=32) for c in commands[:5])
        more = f" (+{len(commands) - 5} more)" if len(commands) > 5 else ""
        evidence.append(f"{len(commands)} AT command line(s) from another host: {shown}{more}")
    if responses:
        listed = ", ".join(f"{field_text(k, max_chars=24)} x{v}" for k, v in sorted(responses.items()))
        evidence.append(f"{n_resp} AT result code line(s): {listed}")
    return Recognition(
        protocol="at",
        score=score,
        evidence=tuple(evidence),
        details={
            "urc_lines": n_urc,
            "command_lines": len(commands),
            "result_lines": n_resp,
            "lines": len(lines),
        },
    )
