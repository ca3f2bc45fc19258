"""Simulated serial devices described as data: persona files and their validation.

A persona is a TOML file (``schema = 1``) in ``serialprobe/sim/personas/`` or anywhere on disk.
See ``serialprobe/sim/README.md`` for the full schema with examples. In short::

    schema = 1
    name = "quectel-ec25"
    kind = "at"                 # "at": answers commands; "stream": emits frames, ignores input
    description = "..."
    sources = ["vendor manual ...", "ModemManager ..."]
    fake_identity = true        # identities are invented (valid check digits, test ranges)

    [serial]
    baud = 115200               # the only rate the device understands (0 = any rate)
    terminator = "\\r\\n"         # framing of replies (V.250 verbose: CR LF)
    echo = true                 # command echo; ATE0 / ATE1 switch it

    [properties]                # substituted into replies as {name}
    manufacturer = "Quectel"

    [boot]                      # sent once when a client configures the port
    lines = ["RDY"]
    delay_ms = 20

    [[urc]]                     # unsolicited lines
    text = "+CREG: 1"
    at_s = 0.5                  # first emission after the client connects
    every_s = 0.0               # 0 = once

    [[dialogue]]                # command -> reply
    command = "ATI"
    reply = ["Quectel", "EC25", "Revision: {revision}"]
    result = "OK"
    delay_ms = 5

    [error]
    reply = "ERROR"             # for commands not in the dialogue

    [hostile]                   # optional misbehaviour
    flood_bytes_per_s = 0
    ...

    [stream]                    # kind = "stream" only
    frames = [{hex = "01 03 00 00 00 0a c5 cd"}, {text = "$GPGGA,..."}]
    gap_ms = 100
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from serialprobe.errors import DataError

__all__ = [
    "SCHEMA_VERSION",
    "DialogueEntry",
    "Hostile",
    "Persona",
    "StreamFrame",
    "Urc",
    "list_personas",
    "load_persona",
]

#: The persona schema this code reads.
SCHEMA_VERSION = 1

_PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_STANDARD_BAUDS = (
    300,
    600,
    1200,
    2400,
    4800,
    9600,
    19200,
    38400,
    57600,
    115200,
    230400,
    460800,
    921600,
)


@dataclass(frozen=True)
class DialogueEntry:
    """One command the simulated device answers.

    Attributes
    ----------
    command : str
        The command line as received, without the CR (matched case-insensitively).
    reply : tuple of str
        Information lines (properties already substituted), each framed by the terminator.
    result : str
        Final result code line (``OK``, ``ERROR``, ``+CME ERROR: 10``); empty for none.
    reply_bytes : bytes
        Raw bytes sent instead of ``reply``/``result`` when not empty (from ``reply_hex``).
    delay_ms : float
        Delay before the reply starts.
    """

    command: str
    reply: tuple[str, ...]
    result: str
    reply_bytes: bytes
    delay_ms: float


@dataclass(frozen=True)
class Urc:
    """An unsolicited line emitted at ``at_s`` after connect and then every ``every_s`` (0 = once)."""

    text: str
    at_s: float
    every_s: float


@dataclass(frozen=True)
class StreamFrame:
    """One raw frame of a ``stream`` persona."""

    data: bytes
    gap_ms: float | None


@dataclass(frozen=True)
class Hostile:
    """Misbehaviour switches (all off by default).

    Attributes
    ----------
    flood_bytes_per_s : int
        After connect, emit ``flood_text`` repeatedly at this rate forever.
    flood_text : str
        Pattern of the flood (may hold escape sequences).
    no_newline : bool
        Never send CR or LF: replies run together on one endless line.
    binary_bytes_per_s : int
        After connect, emit deterministic pseudo-random bytes (0x00-0xFF) at this rate.
    echo_forever : bool
        After the first command, repeat its echo forever (at ``flood_bytes_per_s`` or 20 kB/s).
    disappear_after_s : float
        Close the pty master this long after connect: the port vanishes (0 = never).
    slow_byte_delay_ms : float
        Delay between output bytes (byte-by-byte trickle).
    """

    flood_bytes_per_s: int = 0
    flood_text: str = ""
    no_newline: bool = False
    binary_bytes_per_s: int = 0
    echo_forever: bool = False
    disappear_after_s: float = 0.0
    slow_byte_delay_ms: float = 0.0


@dataclass(frozen=True)
class Persona:
    """A simulated device loaded from a persona file.

    Attributes
    ----------
    name : str
        Short name (the file stem for shipped personas).
    kind : str
        ``"at"`` or ``"stream"``.
    description : str
        One line.
    sources : tuple of str
        Where the reply formats come from.
    fake_identity : bool
        True when identities are invented.
    baud : int
        The only baud rate the device understands; 0 means any.
    terminator : str
        Line framing of replies.
    echo : bool
        Initial echo state.
    properties : dict
        Property values (strings) as written in the file.
    boot_lines : tuple of str
        Lines sent once when a client configures the port.
    boot_delay_ms : float
        Delay of the boot lines after connect.
    urcs : tuple of Urc
        Unsolicited lines.
    dialogue : dict
        Upper-cased command -> entry.
    error_reply : str
        Final result for unknown commands.
    hostile : Hostile
        Misbehaviour switches.
    stream_frames : tuple of StreamFrame
        Frames of a ``stream`` persona.
    stream_gap_ms : float
        Default silence between stream frames.
    stream_byte_gap_ms : float
        Silence between bytes inside a frame (0 = frame written at once).
    stream_repeat : bool
        Loop the frames forever (else send them once).
    path : str
        File the persona came from.
    """

    name: str
    kind: str
    description: str
    sources: tuple[str, ...]
    fake_identity: bool
    baud: int
    terminator: str
    echo: bool
    properties: dict[str, str]
    boot_lines: tuple[str, ...]
    boot_delay_ms: float
    urcs: tuple[Urc, ...]
    dialogue: dict[str, DialogueEntry]
    error_reply: str
    hostile: Hostile = field(default_factory=Hostile)
    stream_frames: tuple[StreamFrame, ...] = ()
    stream_gap_ms: float = 100.0
    stream_byte_gap_ms: float = 0.0
    stream_repeat: bool = True
    path: str = ""


def _personas_dir() -> Path:
    return Path(str(resources.files("serialprobe.sim") / "personas"))


def list_personas() -> list[str]:
    """Return the names of the personas shipped with serialprobe, sorted."""
    return sorted(p.stem for p in _personas_dir().glob("*.toml"))


def _resolve(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists() or "/" in str(name_or_path):
        if not candidate.is_file():
            raise DataError(f"persona file {candidate} not found: give a shipped name or a .toml path")
        return candidate
    shipped = _personas_dir() / f"{name_or_path}.toml"
    if not shipped.is_file():
        names = ", ".join(list_personas())
        raise DataError(f"unknown persona {name_or_path!r}: choose one of {names} or give a .toml path")
    return shipped


def _expect(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise DataError(f"persona {where}: {what}")


def _num(table: dict[str, Any], key: str, default: float, where: str) -> float:
    value = table.get(key, default)
    _expect(
        isinstance(value, int | float) and not isinstance(value, bool) and value >= 0,
        where,
        f"{key} must be a number >= 0, got {value!r}",
    )
    return float(value)


def _bool(table: dict[str, Any], key: str, default: bool, where: str) -> bool:
    value = table.get(key, default)
    _expect(isinstance(value, bool), where, f"{key} must be true or false, got {value!r}")
    return bool(value)


def _str(table: dict[str, Any], key: str, default: str, where: str) -> str:
    value = table.get(key, default)
    _expect(isinstance(value, str), where, f"{key} must be a string, got {value!r}")
    return str(value)


def _lines(value: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    _expect(
        isinstance(value, list) and all(isinstance(v, str) for v in value),
        where,
        f"{key} must be a string or a list of strings",
    )
    return tuple(value)


def _hex(value: Any, where: str, key: str) -> bytes:
    _expect(isinstance(value, str), where, f"{key} must be a hex string")
    try:
        return bytes.fromhex(str(value).replace(":", " "))
    except ValueError as err:
        raise DataError(f"persona {where}: {key} is not valid hex ({err})") from err


def _substitute(text: str, props: dict[str, str], where: str) -> str:
    def repl(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in props:
            raise DataError(f"persona {where}: placeholder {{{key}}} names no property")
        return props[key]

    return _PLACEHOLDER_RE.sub(repl, text)


def load_persona(name_or_path: str | Path) -> Persona:
    """Load and validate a persona by shipped name (``quectel-ec25``) or TOML path.

    Parameters
    ----------
    name_or_path : str or Path
        Shipped persona name or path to a persona file.

    Returns
    -------
    Persona
        The validated persona, properties substituted into every reply.

    Raises
    ------
    DataError
        Unknown name, unreadable TOML, wrong schema version or invalid field.
    """
    path = _resolve(name_or_path)
    where = path.name
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise DataError(f"persona {where}: cannot read ({err})") from err
    _expect(
        doc.get("schema") == SCHEMA_VERSION,
        where,
        f"schema must be {SCHEMA_VERSION}, got {doc.get('schema')!r}",
    )
    known = {
        "schema",
        "name",
        "kind",
        "description",
        "sources",
        "fake_identity",
        "serial",
        "properties",
        "boot",
        "urc",
        "dialogue",
        "error",
        "hostile",
        "stream",
    }
    unknown = sorted(set(doc) - known)
    _expect(not unknown, where, f"unknown top-level keys {unknown}")
    name = _str(doc, "name", path.stem, where)
    kind = _str(doc, "kind", "at", where)
    _expect(kind in ("at", "stream"), where, f"kind must be 'at' or 'stream', got {kind!r}")
    sources = _lines(doc.get("sources", []), where, "sources")
    _expect(bool(sources), where, "sources must name where the reply formats come from")

    serial_t = doc.get("serial", {})
    _expect(isinstance(serial_t, dict), where, "[serial] must be a table")
    baud = serial_t.get("baud", 0)
    _expect(
        isinstance(baud, int) and (baud == 0 or baud in _STANDARD_BAUDS),
        where,
        f"serial.baud must be 0 or a standard rate {_STANDARD_BAUDS}, got {baud!r}",
    )
    terminator = _str(serial_t, "terminator", "\r\n", where)
    echo = _bool(serial_t, "echo", True, where)

    props_t = doc.get("properties", {})
    _expect(isinstance(props_t, dict), where, "[properties] must be a table")
    props: dict[str, str] = {}
    for key, value in props_t.items():
        _expect(
            isinstance(value, str | int | float) and not isinstance(value, bool),
            where,
            f"property {key} must be a string or number",
        )
        props[key] = str(value)

    boot_t = doc.get("boot", {})
    _expect(isinstance(boot_t, dict), where, "[boot] must be a table")
    boot_lines = tuple(
        _substitute(s, props, where) for s in _lines(boot_t.get("lines", []), where, "boot.lines")
    )
    boot_delay_ms = _num(boot_t, "delay_ms", 20.0, where)

    urcs: list[Urc] = []
    urc_list = doc.get("urc", [])
    _expect(isinstance(urc_list, list), where, "[[urc]] must be an array of tables")
    for i, u in enumerate(urc_list):
        uw = f"{where} urc[{i}]"
        _expect(isinstance(u, dict) and "text" in u, uw, "needs text")
        every_s = _num(u, "every_s", 0.0, uw)
        urcs.append(
            Urc(
                text=_substitute(_str(u, "text", "", uw), props, uw),
                at_s=_num(u, "at_s", every_s, uw),
                every_s=every_s,
            )
        )

    dialogue: dict[str, DialogueEntry] = {}
    dlg_list = doc.get("dialogue", [])
    _expect(isinstance(dlg_list, list), where, "[[dialogue]] must be an array of tables")
    for i, d in enumerate(dlg_list):
        dw = f"{where} dialogue[{i}]"
        _expect(isinstance(d, dict) and isinstance(d.get("command"), str), dw, "needs a command string")
        command = str(d["command"])
        _expect(command == command.strip() and "\r" not in command, dw, "command must have no CR/spaces")
        key = command.upper()
        _expect(key not in dialogue, dw, f"duplicate command {command!r}")
        reply = tuple(_substitute(s, props, dw) for s in _lines(d.get("reply", []), dw, "reply"))
        dialogue[key] = DialogueEntry(
            command=command,
            reply=reply,
            result=_substitute(_str(d, "result", "OK", dw), props, dw),
            reply_bytes=_hex(d["reply_hex"], dw, "reply_hex") if "reply_hex" in d else b"",
            delay_ms=_num(d, "delay_ms", 5.0, dw),
        )

    error_t = doc.get("error", {})
    _expect(isinstance(error_t, dict), where, "[error] must be a table")
    error_reply = _str(error_t, "reply", "ERROR", where)

    hostile_t = doc.get("hostile", {})
    _expect(isinstance(hostile_t, dict), where, "[hostile] must be a table")
    hostile_known = set(Hostile.__dataclass_fields__)
    bad = sorted(set(hostile_t) - hostile_known)
    _expect(not bad, where, f"unknown [hostile] keys {bad}")
    hostile = Hostile(
        flood_bytes_per_s=int(_num(hostile_t, "flood_bytes_per_s", 0, where)),
        flood_text=_str(hostile_t, "flood_text", "", where),
        no_newline=_bool(hostile_t, "no_newline", False, where),
        binary_bytes_per_s=int(_num(hostile_t, "binary_bytes_per_s", 0, where)),
        echo_forever=_bool(hostile_t, "echo_forever", False, where),
        disappear_after_s=_num(hostile_t, "disappear_after_s", 0.0, where),
        slow_byte_delay_ms=_num(hostile_t, "slow_byte_delay_ms", 0.0, where),
    )
    _expect(
        hostile.flood_bytes_per_s == 0 or bool(hostile.flood_text) or hostile.echo_forever,
        where,
        "hostile.flood_bytes_per_s needs flood_text",
    )

    stream_t = doc.get("stream", {})
    _expect(isinstance(stream_t, dict), where, "[stream] must be a table")
    frames: list[StreamFrame] = []
    frame_list = stream_t.get("frames", [])
    _expect(isinstance(frame_list, list), where, "stream.frames must be an array")
    for i, f in enumerate(frame_list):
        fw = f"{where} stream.frames[{i}]"
        _expect(isinstance(f, dict) and (("hex" in f) != ("text" in f)), fw, "needs exactly one of hex, text")
        data = _hex(f["hex"], fw, "hex") if "hex" in f else _substitute(str(f["text"]), props, fw).encode()
        _expect(bool(data), fw, "frame is empty")
        frames.append(StreamFrame(data=data, gap_ms=_num(f, "gap_ms", 0, fw) if "gap_ms" in f else None))
    if kind == "stream":
        _expect(bool(frames), where, "a stream persona needs stream.frames")
    else:
        _expect(not frames, where, "stream.frames only makes sense with kind = 'stream'")

    return Persona(
        name=name,
        kind=kind,
        description=_str(doc, "description", "", where),
        sources=sources,
        fake_identity=_bool(doc, "fake_identity", True, where),
        baud=int(baud),
        terminator=terminator,
        echo=echo,
        properties=props,
        boot_lines=boot_lines,
        boot_delay_ms=boot_delay_ms,
        urcs=tuple(urcs),
        dialogue=dialogue,
        error_reply=error_reply,
        hostile=hostile,
        stream_frames=tuple(frames),
        stream_gap_ms=_num(stream_t, "gap_ms", 100.0, where),
        stream_byte_gap_ms=_num(stream_t, "byte_gap_ms", 0.0, where),
        stream_repeat=_bool(stream_t, "repeat", True, where),
        path=str(path),
    )
