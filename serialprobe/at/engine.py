"""The AT engine: the only code that writes to a port, and a bounded, hostile-proof reply reader.

Writing
-------
:meth:`AtEngine.send` is the single write path of serialprobe's AT probing. It encodes the
command as ASCII, appends one CR and writes the bytes only if they are byte-identical to an entry
of the allowlist (``serialprobe/at/allowlist.toml``); anything else raises
:class:`~serialprobe.errors.RefusedError` before a byte leaves.

Reading
-------
Replies are read in chunks and split into lines at CR or LF with a bound on the line length
(``max_line_bytes``), a bound on the bytes accepted per command (``max_reply_bytes``: a flood is
cut), a per-command timeout and an absolute deadline for the whole session. Each line is
classified as the command's echo, a final result code (``OK``, ``ERROR``, ``+CME ERROR: ...``,
``NO CARRIER`` ...), an unsolicited result code (``RDY``, ``+CREG: 1``, ``^SYSSTART``, ...) or an
information line. A transcript keeps every byte sent and received in escaped form, bounded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import serial

from serialprobe.at.allowlist import Allowlist, load_allowlist
from serialprobe.errors import RefusedError
from serialprobe.sanitize import escape_bytes, field_text, strip_escape_sequences, terminal_safe

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_REPLY_BYTES",
    "AtEngine",
    "AtReply",
    "TranscriptEntry",
    "is_final",
    "is_urc",
]

#: Longest line kept; longer runs without CR/LF are cut into pieces of this size.
MAX_LINE_BYTES = 512
#: Bytes accepted in reply to one command before the reply is cut as a flood.
MAX_REPLY_BYTES = 16 * 1024
#: Escaped characters kept in the transcript over a whole session.
MAX_TRANSCRIPT_CHARS = 64 * 1024
#: Unsolicited lines kept over a session.
MAX_URCS = 256
#: Received bytes gathered into one transcript entry at most.
_RX_ENTRY_BYTES = 4096
_EOL_RE = re.compile(rb"[\r\n]")
#: Bytes counted as printable in received data.
_PRINTABLE_BYTES = bytes(range(0x20, 0x7F)) + b"\t\r\n"

#: A run of NUL bytes this long means binary data, not AT (ModemManager stops AT probing at 32).
NUL_RUN = 32

_FINAL_EXACT = frozenset(
    {
        "OK",
        "ERROR",
        "NO CARRIER",
        "BUSY",
        "NO ANSWER",
        "NO DIALTONE",
        "COMMAND NOT SUPPORT",
        "TOO MANY PARAMETERS",
        "ABORTED",
    }
)
_FINAL_PREFIXES = ("+CME ERROR:", "+CMS ERROR:", "+CME ERROR ", "+EXT ERROR:")

# Unsolicited result codes seen on real modules (3GPP TS 27.007/27.005, vendor manuals,
# ModemManager plugins). A line matching one of these is unsolicited unless it carries the
# reply prefix of the command being answered.
_URC_EXACT = frozenset(
    {
        "RDY",
        "RING",
        "SMS DONE",
        "PB DONE",
        "SMS READY",
        "CALL READY",
        "^SYSSTART",
        "POWERED DOWN",
        "NORMAL POWER DOWN",
        "+PACSP1",
        "+PACSP0",
        "+CPIN: READY",
        "+CPIN: NOT READY",
        "+CPIN: NOT INSERTED",
        "START",
    }
)
_URC_PREFIXES = (
    "+CREG:",
    "+CGREG:",
    "+CEREG:",
    "+C5GREG:",
    "+CMTI:",
    "+CMT:",
    "+CDS:",
    "+CDSI:",
    "+CBM:",
    "+CUSD:",
    "+CGEV:",
    "+CRING:",
    "+CIEV:",
    "+CTZV:",
    "+CTZE:",
    "+CTZEU:",
    "+QIND:",
    "+QUSIM:",
    "+QSTAT",
    "+STIN:",
    "+UUPSDA:",
    "+UUSORD:",
    "+KSUP:",
    "^RSSI:",
    "^HCSQ:",
    "^MODE:",
    "^BOOT:",
    "^SRVST:",
    "^SIMST:",
    "^NDISSTAT:",
    "^DSFLOWRPT:",
    "^CEND:",
    "^ORIG:",
    "^CONF:",
    "^CONN:",
    "#QSS:",
    "+SIM ",
    "*PSNWID:",
    "*PSUTTZ:",
    "DST:",
)


def is_final(line: str) -> bool:
    """Whether ``line`` is a final result code (ends a command's reply)."""
    text = line.strip().upper()
    return text in _FINAL_EXACT or text.startswith(_FINAL_PREFIXES)


def is_urc(line: str) -> bool:
    """Whether ``line`` looks like an unsolicited result code."""
    text = line.strip()
    upper = text.upper()
    return upper in _URC_EXACT or upper.startswith(_URC_PREFIXES)


@dataclass(frozen=True)
class TranscriptEntry:
    """One chunk on the wire: ``t_s`` since the session started, ``dir`` tx/rx, escaped data."""

    t_s: float
    dir: str
    data: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"t_s": round(self.t_s, 4), "dir": self.dir, "data": self.data}


@dataclass
class AtReply:
    """What came back for one command.

    Attributes
    ----------
    command : str
        The command sent.
    status : str
        ``ok``, ``error`` (a final error code), ``timeout``, ``flood`` (more than
        ``max_reply_bytes``), ``binary`` (NUL run), ``vanished`` (port gone) or ``deadline``
        (session deadline reached before or during the command).
    final : str or None
        The final result line (sanitized).
    lines : list of str
        Information lines, decoded but NOT sanitized (parsers sanitize each field).
    urcs : list of str
        Unsolicited lines received meanwhile (sanitized).
    echoes : int
        How many echo lines were seen.
    bytes_read : int
        Bytes received for this command.
    elapsed_s : float
        Time from send to the end of the reply.
    """

    command: str
    status: str = "timeout"
    final: str | None = None
    lines: list[str] = field(default_factory=list)
    urcs: list[str] = field(default_factory=list)
    echoes: int = 0
    bytes_read: int = 0
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the command ended with ``OK``."""
        return self.status == "ok"

    @property
    def answered(self) -> bool:
        """True when any final result code came back (OK or an error)."""
        return self.status in ("ok", "error")


class AtEngine:
    """Bounded AT conversation over an open pyserial port.

    Parameters
    ----------
    port : serial.SerialBase
        An open port with a short read timeout (e.g. 0.05 s).
    deadline : float
        Absolute ``clock()`` time after which no command is sent and reading stops.
    allowlist : Allowlist, optional
        Defaults to the shipped allowlist.
    max_line_bytes, max_reply_bytes : int
        Bounds, see module docstring.
    clock : callable
        Monotonic clock (seconds).
    """

    def __init__(
        self,
        port: serial.SerialBase,
        *,
        deadline: float,
        allowlist: Allowlist | None = None,
        max_line_bytes: int = MAX_LINE_BYTES,
        max_reply_bytes: int = MAX_REPLY_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.port = port
        self.deadline = deadline
        self.allowlist = allowlist if allowlist is not None else load_allowlist()
        self._wire = self.allowlist.wire_forms
        self.max_line_bytes = max_line_bytes
        self.max_reply_bytes = max_reply_bytes
        self.clock = clock
        self.t0 = clock()
        self.transcript: list[TranscriptEntry] = []
        self.events: list[str] = []
        self.urcs: list[str] = []
        self.vanished = False
        self.non_utf8 = False
        self.total_rx = 0
        self.rx_printable = 0
        self._buf = bytearray()
        self._transcript_chars = 0
        self._transcript_full = False
        self._rx_pending = bytearray()
        self._rx_t = 0.0
        self._lines: list[tuple[bytes, bool]] = []
        self._event_keys: set[str] = set()

    # ------------------------------------------------------------------ bookkeeping
    def event(self, text: str, *, key: str | None = None) -> None:
        """Record what happened (once per ``key`` when given)."""
        if key is not None:
            if key in self._event_keys:
                return
            self._event_keys.add(key)
        self.events.append(text)

    def _record(self, direction: str, data: bytes, t_s: float) -> None:
        if self._transcript_full or not data:
            return
        text = escape_bytes(data, max_bytes=_RX_ENTRY_BYTES)
        # 48 characters for the JSON keys and time of each entry
        if self._transcript_chars + len(text) + 48 > MAX_TRANSCRIPT_CHARS:
            self._transcript_full = True
            self.event(f"transcript truncated at {MAX_TRANSCRIPT_CHARS} characters", key="transcript")
            return
        self._transcript_chars += len(text) + 48
        self.transcript.append(TranscriptEntry(t_s, direction, text))

    def _flush_rx(self) -> None:
        """Move received bytes gathered since the last write into one transcript entry."""
        if self._rx_pending:
            self._record("rx", bytes(self._rx_pending), self._rx_t)
            self._rx_pending.clear()

    def finish(self) -> list[TranscriptEntry]:
        """Flush pending received bytes into the transcript and return it."""
        self._settle_leftovers()
        self._flush_rx()
        return self.transcript

    def _add_urc(self, text: str) -> None:
        if len(self.urcs) < MAX_URCS:
            self.urcs.append(text)
        else:
            self.event(f"more than {MAX_URCS} unsolicited lines; the rest not kept", key="urcs")

    def _settle_leftovers(self) -> None:
        """Lines received after the last final result code: keep the unsolicited ones."""
        self._lines.extend(self._pop_lines())
        while self._lines:
            raw, _ = self._lines.pop(0)
            text = field_text(strip_escape_sequences(self._decode(raw)))
            if text and is_urc(text):
                self._add_urc(text)

    def rx_printable_ratio(self) -> float:
        """Share of received bytes that are printable ASCII, TAB, CR or LF (0 when none)."""
        return self.rx_printable / self.total_rx if self.total_rx else 0.0

    def remaining_s(self) -> float:
        """Seconds left before the session deadline."""
        return self.deadline - self.clock()

    # ------------------------------------------------------------------ the only write path
    def send(self, command: str) -> None:
        """Write ``command`` + CR if and only if it is byte-identical to an allowlisted command.

        Raises
        ------
        RefusedError
            The command is not on the allowlist (nothing is written).
        PortError
            Never: a vanished port is recorded (``vanished``) and the command is dropped.
        """
        if not isinstance(command, str):
            raise RefusedError("refusing to send a non-string command")
        try:
            data = command.encode("ascii") + b"\r"
        except UnicodeEncodeError as err:
            raise RefusedError(
                f"refusing to send {terminal_safe(command, max_chars=60)!r}: not ASCII, not on the allowlist"
            ) from err
        self._write_exact(data)

    def _write_exact(self, data: bytes) -> None:
        if data not in self._wire:
            shown = escape_bytes(data, max_bytes=60)
            raise RefusedError(
                f"refusing to send {shown}: not byte-identical to a read-only command of the allowlist "
                f"({self.allowlist.path})"
            )
        if self.vanished:
            return
        self._flush_rx()
        self._record("tx", data, self.clock() - self.t0)
        try:
            self.port.write(data)
        except (serial.SerialException, OSError) as err:
            self._vanish(err)

    # ------------------------------------------------------------------ reading
    def _vanish(self, err: BaseException) -> None:
        self.vanished = True
        self.event(
            f"port vanished: {terminal_safe(' '.join(str(err).split()), max_chars=120)}", key="vanished"
        )

    def _gone(self) -> bool:
        """Whether the port vanished (a method, so type checkers do not pin the flag)."""
        return self.vanished

    def _read_chunk(self) -> bytes:
        if self.vanished:
            return b""
        try:
            waiting = getattr(self.port, "in_waiting", 0)
            data: bytes = self.port.read(max(1, min(int(waiting), 4096)))
        except (serial.SerialException, OSError) as err:
            self._vanish(err)
            return b""
        if data:
            self.total_rx += len(data)
            self.rx_printable += len(data) - len(data.translate(None, _PRINTABLE_BYTES))
            if not self._rx_pending:
                self._rx_t = self.clock() - self.t0
            self._rx_pending += data
            if len(self._rx_pending) >= _RX_ENTRY_BYTES:
                self._flush_rx()
        return data

    def _pop_lines(self) -> list[tuple[bytes, bool]]:
        """Complete lines from the buffer as (bytes, overlong) pairs."""
        out: list[tuple[bytes, bool]] = []
        while True:
            m = _EOL_RE.search(self._buf, 0, self.max_line_bytes + 1)
            if m is not None:
                cut = m.start()
                line = bytes(self._buf[:cut])
                del self._buf[: cut + 1]
                if line.strip():
                    out.append((line, False))
                continue
            if len(self._buf) > self.max_line_bytes:
                out.append((bytes(self._buf[: self.max_line_bytes]), True))
                del self._buf[: self.max_line_bytes]
                continue
            return out

    def _decode(self, line: bytes) -> str:
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            self.non_utf8 = True
            self.event("non-UTF-8 bytes received (replaced with U+FFFD)", key="non-utf8")
            return line.decode("utf-8", errors="replace")

    def command(self, command: str, *, timeout_s: float, quiet: bool = False) -> AtReply:
        """Send one allowlisted command and collect its reply until a final code or a bound.

        Parameters
        ----------
        command : str
            Exact allowlisted command (without CR).
        timeout_s : float
            Per-command timeout (also bounded by the session deadline).
        quiet : bool
            Do not record a timeout event (the caller summarises, e.g. the baud search).

        Returns
        -------
        AtReply
            The classified reply; never raises for device misbehaviour.

        Raises
        ------
        RefusedError
            ``command`` is not allowlisted.
        """
        entry = self.allowlist.allowed.get(command)
        reply = AtReply(command=command)
        if entry is None:
            # send() raises with the standard message.
            self.send(command)
        start = self.clock()
        if self.remaining_s() <= 0:
            reply.status = "deadline"
            self.event(f"deadline reached before {command}", key="deadline")
            return reply
        if self.vanished:
            reply.status = "vanished"
            return reply
        prefixes = tuple(p.upper() for p in (entry.reply_prefixes if entry else ()))
        self._settle_leftovers()
        self.send(command)
        end = min(start + timeout_s, self.deadline)
        nul_run = 0
        while True:
            now = self.clock()
            if self._gone():
                reply.status = "vanished"
                break
            if now >= end:
                if end >= self.deadline:
                    reply.status = "deadline"
                    self.event(f"deadline reached during {command}", key="deadline")
                else:
                    reply.status = "timeout"
                    if not quiet:
                        self.event(f"timeout: no final result for {command} within {timeout_s:.1f} s")
                break
            data = self._read_chunk()
            if not data:
                continue
            reply.bytes_read += len(data)
            longest, nul_run = _nul_runs(data, nul_run)
            if longest >= NUL_RUN:
                reply.status = "binary"
                self.event(f"binary data: {NUL_RUN} NUL bytes in a row in reply to {command}", key="nul")
                break
            if reply.bytes_read > self.max_reply_bytes:
                reply.status = "flood"
                self.event(
                    f"flood cut: more than {self.max_reply_bytes} bytes in reply to {command}", key="flood"
                )
                self._buf.clear()
                break
            self._buf += data
            self._lines.extend(self._pop_lines())
            done = False
            while self._lines:
                raw, overlong = self._lines.pop(0)
                if overlong:
                    self.event(
                        f"line longer than {self.max_line_bytes} bytes without CR/LF cut", key="overlong"
                    )
                text = strip_escape_sequences(self._decode(raw)).strip()
                if not text:
                    continue
                if text.upper() == command.upper():
                    reply.echoes += 1
                    if reply.echoes == 2:
                        self.event(f"echo of {command} repeated", key=f"echo-{command}")
                    continue
                if is_final(text):
                    reply.final = field_text(text)
                    reply.status = "ok" if text.upper() == "OK" else "error"
                    done = True
                    break
                if prefixes and text.upper().startswith(prefixes):
                    reply.lines.append(text)
                elif is_urc(text):
                    safe = field_text(text)
                    reply.urcs.append(safe)
                    self._add_urc(safe)
                else:
                    reply.lines.append(text)
                if len(reply.lines) > 64:
                    reply.status = "flood"
                    self.event(f"flood cut: more than 64 lines in reply to {command}", key="flood")
                    done = True
                    break
            if done:
                break
        reply.elapsed_s = self.clock() - start
        return reply


def _nul_runs(data: bytes, carried: int) -> tuple[int, int]:
    """Return (longest NUL run, trailing NUL run) of ``data``, continuing a run ``carried`` in."""
    best = 0
    run = carried
    for m in re.finditer(rb"\x00+|[^\x00]+", data):
        if m.group(0)[0] == 0:
            run += len(m.group(0))
            best = max(best, run)
        else:
            run = 0
    return best, run
