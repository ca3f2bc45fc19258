"""Listen before speaking: identify what a serial line carries without sending a single byte.

:func:`listen` opens the port through :func:`serialprobe.transport.open_port` (DTR and RTS low,
exclusive) and only ever reads. It cannot change what arrives at a given setting, so it tries line
settings in turn and scores each capture:

1. **Sweep.** About half of ``duration_s`` is split evenly over the candidate baud rates (default
   115200, 9600, 19200, 38400, 57600, 4800, 2400, 230400, 460800, 921600) at 8N1. The input buffer
   is flushed after every change so a capture only holds bytes received at its own setting.
2. **Refine.** The rest of the time goes to the best one or two rates of the sweep, plus their
   8E1 and 8O1 variants when the platform reports UART errors (see below). Captures at the same
   setting are joined.
3. **Score.** Every capture runs through the recognisers (:mod:`serialprobe.recognize`: AT URCs,
   Modbus RTU, NMEA 0183, Qualcomm DIAG, console text); a setting's score is its best recogniser
   score scaled down by the UART error rate, with a small term for the absence of wrong-rate
   artifacts (0x00, 0x80, 0xf0, 0xff ... bytes). The best setting wins; ties go to the setting tried
   first. No bytes at all means ``silent``; bytes that no recogniser explains mean ``unknown``.
4. **Extend for slow talkers.** A short slice per rate misses a bus that talks in rare bursts (a
   Modbus master polling every 1.5 s is heard, if at all, at wrong rates: garbage). So when bytes
   were heard but nothing identified them, listening goes on (``extend_s``, default twice
   ``duration_s``) one whole burst at a time: at rates whose capture showed some structure, then
   the common bus rates (:data:`BUS_BAUDS`), then the other rates that heard bytes, waiting at each
   for one bus period (measured from the bursts heard, 1-4 s) until a burst arrives; a burst of
   garbage moves on to the next rate. This replaces step 2 for such lines; once a protocol is found
   and UART errors are observable, each framing of its rate gets one burst too.

UART errors. pyserial has no API for framing or parity errors and configures POSIX ttys with
``INPCK`` and ``PARMRK`` off, so the kernel delivers errored characters like good ones. On POSIX,
:func:`listen` therefore sets ``INPCK`` and ``PARMRK`` on the open descriptor (termios input flags
only: nothing is sent, no control line moves) and decodes the ``0xff 0x00 c`` markers the tty
layer then inserts (:func:`serialprobe.recognize.decode_parmrk`). That is what separates 8N1 from
8E1/8O1 at the right baud rate: their data bytes are the same, only the stop/parity bit checks
differ. The termios attributes the device had before it was opened (rate, parity, these flags) are
put back before the port is closed (:func:`serialprobe.transport.restore_tty_attrs`): drivers such
as the 8250 UART keep them across opens.

Limits
------
* A line that is silent while we listen is reported ``silent`` even if it talks later: a bus
  quieter than the whole listen looks silent (and :attr:`ListenResult.writes_allowed` is true, as
  for an idle modem). Give such lines a longer ``duration_s``.
* The extension waits about one bus period per rate, so within its bound it reaches only a few
  rates of a very slow bus: a bus polled every 1.5 s at 19200 or 9600 baud is found by a 3 s listen,
  one polled every 2.5 s at 38400 may stay ``unknown``. ``unknown`` is not writable.
* Without error reporting (Windows, pyserial URLs such as ``socket://``, pseudo-terminals, which
  never flag errors) the framing is not observable and 8N1 is reported.
* Where the configured rate changes nothing (USB CDC-ACM and vendor modem ports, plain
  pseudo-terminals) every rate decodes the same traffic: the first rate tried wins the tie and the
  evidence says the rate is not observable. (serialprobe's persona simulator does emulate
  wrong-rate noise on its pseudo-terminal, so tests can exercise the rate search.)
* Rates that are multiples of each other can both decode some bytes; the structure checks (CRC,
  checksums, line syntax) and error counts decide.
* Opening the port may still pulse DTR/RTS for a few ms on Linux/macOS (kernel behaviour, see
  :mod:`serialprobe.transport`).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from serialprobe import transport
from serialprobe.errors import PortError
from serialprobe.recognize import (
    Capture,
    Chunk,
    Recognition,
    byte_stats,
    concat_captures,
    decode_parmrk,
    recognize,
    setting_score,
)
from serialprobe.sanitize import escape_bytes

__all__ = [
    "BUS_BAUDS",
    "DEFAULT_BAUDS",
    "DEFAULT_FRAMINGS",
    "MAX_CAPTURE_BYTES",
    "PROTOCOLS",
    "WRITABLE_PROTOCOLS",
    "ListenResult",
    "SettingResult",
    "default_extend_s",
    "listen",
]

log = logging.getLogger(__name__)

#: Candidate rates in the order they are tried: 115200 first (the usual AT modem rate: whatever a
#: modem says right after the port is opened, e.g. boot URCs, is heard at its most likely rate;
#: USB modem ports ignore the rate and report it), then the common industrial rates.
DEFAULT_BAUDS: tuple[int, ...] = (115200, 9600, 19200, 38400, 57600, 4800, 2400, 230400, 460800, 921600)
#: Framings tried at the best rates when UART errors are observable.
DEFAULT_FRAMINGS: tuple[str, ...] = ("8N1", "8E1", "8O1")
#: Bytes kept per setting (more are counted, not stored).
MAX_CAPTURE_BYTES = 64 * 1024
#: Bytes of the best capture shown in ``sample``.
SAMPLE_BYTES = 256
#: Possible values of :attr:`ListenResult.protocol`.
PROTOCOLS: tuple[str, ...] = ("at", "modbus", "nmea", "diag", "text", "silent", "unknown")
#: Listen verdicts after which an AT probe may write without ``--force``.
WRITABLE_PROTOCOLS: tuple[str, ...] = ("at", "silent")
#: Rates the extension tries first: Modbus RTU 19200 (the spec's default) and 9600 (Modbus over
#: Serial Line V1.02, 2.5.1), NMEA 0183 4800 (standard) and 38400 (high-speed, AIS).
BUS_BAUDS: tuple[int, ...] = (19200, 9600, 4800, 38400)
#: A recogniser must reach this score for its protocol to be reported.
MIN_SCORE = 0.3
#: Fewer bytes than this over the whole listen counts as silence (a DTR glitch can make one).
MIN_BYTES = 4

_READ_TIMEOUT_S = 0.02
#: A setting scoring at least this has found structure: stop sweeping, refine.
_GOOD_SETTING = 0.3
#: A slice with this many bytes and a score below _GARBAGE_SCORE ends early.
_GARBAGE_CHECK_BYTES = 48
_GARBAGE_SCORE = 0.15
_MIN_SLICE_S = 0.1
_QUIET_SLICE_S = 0.3
#: In the extension, a burst is over after this much silence (Modbus polls, NMEA fixes and URC
#: bursts are much denser inside; slave turnaround is typically well below it).
_BURST_GAP_S = 0.2
#: Bounds of the per-rate dwell in the extension (it must outlast one poll period of the bus).
_DWELL_MIN_S = 1.0
_DWELL_MAX_S = 4.0

OpenPort = Callable[..., Any]


@dataclass(frozen=True)
class SettingResult:
    """Summary of the capture at one line setting."""

    baud: int
    framing: str
    listened_s: float
    bytes_seen: int
    errors: int | None
    score: float
    best: str
    best_score: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form."""
        return {
            "baud": self.baud,
            "framing": self.framing,
            "listened_s": round(self.listened_s, 3),
            "bytes_seen": self.bytes_seen,
            "uart_errors": self.errors,
            "score": round(self.score, 3),
            "best_recogniser": self.best,
            "best_recogniser_score": round(self.best_score, 3),
        }


@dataclass(frozen=True)
class ListenResult:
    """What a passive listen concluded about a line.

    Attributes
    ----------
    port : str
        Port path or URL.
    protocol : str
        One of :data:`PROTOCOLS`.
    baud : int or None
        Best baud rate (None when silent).
    framing : str or None
        Best framing (None when silent).
    confidence : float
        0..1.
    evidence : tuple of str
        Printable findings (device text sanitized).
    bytes_seen : int
        Bytes received over the whole listen, all settings.
    sample : str
        Start of the best capture, escaped with :func:`serialprobe.sanitize.escape_bytes`.
    duration_s : float
        Time spent listening.
    error_reporting : bool
        Whether UART framing/parity errors were observable.
    settings : tuple of SettingResult
        Per-setting summaries in the order tried.
    recognitions : tuple of Recognition
        Recogniser results at the chosen setting.
    """

    port: str
    protocol: str
    baud: int | None
    framing: str | None
    confidence: float
    evidence: tuple[str, ...]
    bytes_seen: int
    sample: str
    duration_s: float
    error_reporting: bool
    settings: tuple[SettingResult, ...] = ()
    recognitions: tuple[Recognition, ...] = field(default=())

    @property
    def writes_allowed(self) -> bool:
        """Whether an AT probe may write without ``--force``: AT heard, or nothing heard at all.

        ``unknown`` (bytes no recogniser explains) is not writable: it may be a bus we could not
        identify (a slowly polled Modbus line heard only at wrong rates, a binary protocol).
        Callers may still allow it when the enumeration says the port is a modem's AT interface.
        ``silent`` is writable because an idle modem's AT port says nothing; a bus quieter than
        the listen window looks silent too (see the module docstring, Limits).
        """
        return self.protocol in WRITABLE_PROTOCOLS

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form."""
        return {
            "port": self.port,
            "protocol": self.protocol,
            "baud": self.baud,
            "framing": self.framing,
            "confidence": round(self.confidence, 3),
            "evidence": list(self.evidence),
            "bytes_seen": self.bytes_seen,
            "sample": self.sample,
            "duration_s": round(self.duration_s, 3),
            "uart_error_reporting": self.error_reporting,
            "settings": [s.to_dict() for s in self.settings],
            "recognitions": [r.to_dict() for r in self.recognitions],
        }


def _is_pseudo_terminal(fd: int) -> bool:
    """Tell whether ``fd`` is a pseudo-terminal slave (Linux /dev/pts/N, macOS /dev/ttysNNN)."""
    import os

    try:
        name = os.ttyname(fd)
    except OSError:
        return False
    return name.startswith("/dev/pts/") or (name.startswith("/dev/ttys") and name[9:].isdigit())


def _enable_error_marking(port: Any) -> bool:
    """Set INPCK|PARMRK on a POSIX tty so framing/parity errors become visible; False if impossible."""
    fd = getattr(port, "fd", None)
    if not isinstance(fd, int):
        return False
    try:
        import termios
    except ImportError:  # pragma: no cover - Windows
        return False
    if _is_pseudo_terminal(fd):
        return False  # no UART behind it: nothing would ever be flagged
    try:
        attrs = termios.tcgetattr(fd)
        attrs[0] |= termios.INPCK | termios.PARMRK
        attrs[0] &= ~(termios.IGNPAR | termios.ISTRIP | termios.IGNBRK | termios.BRKINT)
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
    except (termios.error, OSError) as err:
        log.debug("cannot enable UART error marking: %s", err)
        return False
    return True


class _UnsupportedSettingError(PortError):
    """The port refuses a baud rate or framing (e.g. parity on a pseudo-terminal)."""


def termios_error() -> type[Exception]:
    """``termios.error`` where it exists (pyserial lets it escape from setting changes)."""
    try:
        import termios
    except ImportError:  # pragma: no cover - Windows
        return OSError
    return termios.error


def _configure(port: Any, baud: int, framing: str, want_marking: bool) -> bool:
    """Switch the open port to ``baud``/``framing``, flush input, re-arm error marking."""
    import serial

    try:
        if port.baudrate != baud:
            port.baudrate = baud
        parity = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}[framing[1]]
        if port.parity != parity:
            port.parity = parity
        stop = serial.STOPBITS_TWO if framing[2] == "2" else serial.STOPBITS_ONE
        if port.stopbits != stop:
            port.stopbits = stop
    except (ValueError, serial.SerialException, OSError, termios_error()) as err:
        raise _UnsupportedSettingError(f"cannot set {baud} baud {framing} on the port: {err}") from err
    # pyserial rewrites termios on every change (clearing PARMRK), so re-arm after it.
    marking = _enable_error_marking(port) if want_marking else False
    try:
        port.reset_input_buffer()
    except (serial.SerialException, OSError) as err:
        raise PortError(f"cannot flush the port's input buffer: {err}") from err
    return marking


def _capture(
    port: Any,
    *,
    baud: int,
    framing: str,
    slice_s: float,
    marking: bool,
    clock: Callable[[], float],
    early_exit: bool = False,
    max_bytes: int = MAX_CAPTURE_BYTES,
    burst_gap_s: float | None = None,
) -> tuple[Capture, int]:
    """Read (never write) for ``slice_s``; return the bounded capture and the total bytes seen.

    With ``early_exit``, the slice ends as soon as :data:`_GARBAGE_CHECK_BYTES` bytes are in and
    nothing recognises them (a wrong rate is obvious quickly; the time is better spent on other
    rates while the talker's burst lasts). With ``burst_gap_s``, the slice ends once at least
    :data:`MIN_BYTES` bytes arrived and the line then stayed quiet for ``burst_gap_s`` (one whole
    burst of a bursty talker).
    """
    import serial

    chunks: list[Chunk] = []
    kept = 0
    seen = 0
    errors = 0
    pending = b""
    next_check = _GARBAGE_CHECK_BYTES
    start = clock()
    end = start + slice_s
    last_rx = start
    while True:
        now = clock()
        if now >= end:
            break
        if burst_gap_s is not None and seen >= MIN_BYTES and now - last_rx >= burst_gap_s:
            break
        try:
            waiting = int(port.in_waiting)
            raw = port.read(waiting if waiting > 0 else 1)
        except (serial.SerialException, OSError) as err:
            raise PortError(f"read failed while listening: {err}; was the device unplugged?") from err
        if not raw:
            continue
        t = clock()
        last_rx = t
        if marking:
            data, n_err, _, pending = decode_parmrk(bytes(raw), pending=pending)
            errors += n_err
        else:
            data = bytes(raw)
        seen += len(data)
        if kept < max_bytes and data:
            data = data[: max_bytes - kept]
            kept += len(data)
            chunks.append((t, data))
            if early_exit and kept >= next_check:
                next_check = 2 * kept  # geometric: the checks cost O(n) in total
                probe = Capture(chunks=tuple(chunks), baud=baud, framing=framing)
                if setting_score(probe) < _GARBAGE_SCORE:
                    break
    capture = Capture(
        chunks=tuple(chunks),
        baud=baud,
        framing=framing,
        framing_errors=errors if marking else None,
        duration_s=clock() - start,
    )
    return capture, seen


def listen(
    port_url: str,
    *,
    duration_s: float = 5.0,
    bauds: Sequence[int] | None = None,
    framings: Sequence[str] | None = None,
    open_port: OpenPort = transport.open_port,
    clock: Callable[[], float] = time.monotonic,
    extend_s: float | None = None,
) -> ListenResult:
    """Identify what a serial line carries by listening only (see the module docstring).

    Parameters
    ----------
    port_url : str
        Device path or pyserial URL.
    duration_s : float
        Total listening time, all settings together.
    bauds : sequence of int, optional
        Rates to try, in order (default :data:`DEFAULT_BAUDS`). One rate skips the sweep.
    framings : sequence of str, optional
        Framings to try at the best rates (default :data:`DEFAULT_FRAMINGS`; only 8N1 is tried
        when UART errors are not observable).
    open_port : callable
        ``open_port(url, *, baudrate, timeout_s)`` returning a pyserial-like port; defaults to
        :func:`serialprobe.transport.open_port` (DTR/RTS low, exclusive).
    clock : callable
        Monotonic clock in seconds.
    extend_s : float, optional
        Extra listening allowed when bytes were heard but nothing identified them (step 4 of the
        module docstring), and to give each framing one burst on a slow line; default
        :func:`default_extend_s` (twice ``duration_s``), 0 disables.

    Returns
    -------
    ListenResult
        Protocol, setting, confidence and evidence.

    Raises
    ------
    PortError
        The port cannot be opened or read.
    """
    if duration_s <= 0:
        raise ValueError("duration_s must be positive")
    extra_s = default_extend_s(duration_s) if extend_s is None else max(0.0, float(extend_s))
    rates = tuple(bauds) if bauds else DEFAULT_BAUDS
    if any(b <= 0 for b in rates):
        raise PortError(f"invalid baud rate in {list(rates)}: give positive numbers such as 9600")
    frames = tuple(framings) if framings else DEFAULT_FRAMINGS
    t_start = clock()
    deadline = t_start + duration_s
    port = open_port(port_url, baudrate=rates[0], timeout_s=_READ_TIMEOUT_S)
    saved_attrs = transport.save_tty_attrs(port)
    captures: dict[tuple[int, str], list[Capture]] = {}
    order: list[tuple[int, str]] = []
    seen_total = 0
    marking_ok = False
    unsupported: set[tuple[int, str]] = set()
    try:
        if hasattr(port, "write"):  # belt and braces: this module must never send a byte
            port.write = _refuse_write

        def run(
            setting: tuple[int, str], slice_s: float, *, early_exit: bool, burst_gap_s: float | None = None
        ) -> None:
            nonlocal seen_total, marking_ok
            baud, framing = setting
            try:
                marking = _configure(port, baud, framing, want_marking=True)
            except _UnsupportedSettingError as err:
                log.info("%s: skipping %d %s: %s", port_url, baud, framing, err)
                unsupported.add(setting)
                _configure(port, rates[0], "8N1", want_marking=True)
                return
            marking_ok = marking_ok or marking
            cap, seen = _capture(
                port,
                baud=baud,
                framing=framing,
                slice_s=slice_s,
                marking=marking,
                clock=clock,
                early_exit=early_exit,
                max_bytes=MAX_CAPTURE_BYTES - _bytes_at(captures, setting),
                burst_gap_s=burst_gap_s,
            )
            seen_total += seen
            if setting not in captures:
                captures[setting] = []
                order.append(setting)
            captures[setting].append(cap)

        def good() -> bool:
            ranked = _rank(captures, order)
            return bool(ranked) and ranked[0][1] >= _GOOD_SETTING

        def identified() -> bool:
            """Whether the best setting so far would be reported as a protocol (not unknown)."""
            ranked = _rank(captures, order)
            if not ranked:
                return False
            recs = recognize(concat_captures(captures[ranked[0][0]]))
            return bool(recs) and recs[0].score >= MIN_SCORE

        sweep = [(b, "8N1") for b in rates]
        slice_s = max(_MIN_SLICE_S, duration_s * (0.5 if len(rates) > 1 else 1.0) / len(rates))
        # Step 1: one pass over every rate.
        for setting in sweep:
            if clock() >= deadline - 0.02:
                break
            run(setting, min(slice_s, deadline - clock()), early_exit=len(rates) > 1)
        # Until something fits: more passes, rates that saw nothing first (bursty talkers).
        while clock() < deadline - 0.02:
            if good():
                break
            quiet = [st for st in sweep if not _bytes_at(captures, st)]
            again = quiet if (quiet and seen_total) else sweep
            # A rate that heard nothing while others heard bursts gets a longer slice: a sparse
            # talker (URCs, a 1 Hz GPS) must get a chance to say something at every rate.
            again_s = max(slice_s, _QUIET_SLICE_S) if quiet and seen_total else slice_s
            for setting in again:
                if clock() >= deadline - 0.02:
                    break
                run(setting, min(again_s, deadline - clock()), early_exit=len(rates) > 1)
                if good():
                    break
        # Step 4 (instead of refining): bytes heard but nothing identified -> perhaps a slow talker
        # heard at wrong rates only. Dwell at the likely rates, one whole burst at a time.
        ext_deadline = deadline + extra_s
        burst_starts: list[float] = []
        extended_from: float | None = None

        def burst(setting: tuple[int, str], wait_s: float) -> int:
            """Capture one burst at ``setting`` (or wait ``wait_s``); return the bytes it brought."""
            before = _bytes_at(captures, setting)
            run(setting, wait_s, early_exit=True, burst_gap_s=_BURST_GAP_S)
            caps = captures.get(setting)
            if caps and caps[-1].chunks:
                burst_starts.append(caps[-1].chunks[0][0])
            return _bytes_at(captures, setting) - before

        def dwell_s() -> float:
            """How long to wait for a burst at one setting: one bus period (measured) and a margin."""
            gaps = [b - a for a, b in itertools.pairwise(burst_starts) if b - a > _BURST_GAP_S]
            if not gaps:
                return min(max(duration_s, _DWELL_MIN_S), _DWELL_MAX_S)
            return min(max(1.25 * min(gaps) + _BURST_GAP_S, _DWELL_MIN_S / 2), _DWELL_MAX_S)

        if not identified() and seen_total >= MIN_BYTES and extra_s > 0:
            extended_from = clock()
            for baud in _extension_rates(rates, captures, order):
                setting = (baud, "8N1")
                if setting in unsupported:
                    continue
                rate_start = clock()
                while clock() < min(ext_deadline, rate_start + dwell_s()) - 0.02:
                    got = burst(setting, min(ext_deadline, rate_start + dwell_s()) - clock())
                    log.debug("extension: %d baud: %d byte(s) at %.2f s", baud, got, clock() - t_start)
                    if identified():
                        break
                    cap = concat_captures(captures.get(setting, []))
                    if 0 < got and (got < MIN_BYTES or setting_score(cap) < _GARBAGE_SCORE):
                        break  # a burst of garbage (or a few stray bytes): wrong rate
                if identified() or clock() >= ext_deadline - 0.02:
                    break
            deadline = clock()  # the extension replaces the time-sliced refinement
        # Step 2: the rest of the time on the best setting (and a close second, and parities).
        ranked = _rank(captures, order)
        if ranked and clock() < deadline - 0.02:
            (best_baud, _), best_score = ranked[0]
            refine = [ranked[0][0]]
            refine += [st for st, sc in ranked[1:2] if sc >= 0.5 * best_score and sc >= _GOOD_SETTING]
            if marking_ok:
                refine += [(best_baud, f) for f in frames if (best_baud, f) not in refine]
            refine = [st for st in refine if st not in unsupported]
            while clock() < deadline - 0.02 and refine:
                per = max(_MIN_SLICE_S, (deadline - clock()) / len(refine))
                for setting in refine:
                    if clock() >= deadline - 0.02:
                        break
                    run(setting, min(per, deadline - clock()), early_exit=False)
        # Step 5: a slow talker identified at a rate whose framings did not each hear a burst yet
        # (UART errors decide the framing): one burst per framing, within the extension bound.
        ranked = _rank(captures, order)
        if marking_ok and ranked and identified() and extra_s > 0:
            best_baud = ranked[0][0][0]
            for setting in [(best_baud, f) for f in frames]:
                if setting in unsupported or _bytes_at(captures, setting) >= MIN_BYTES:
                    continue
                if clock() >= ext_deadline - 0.02:
                    break
                if extended_from is None:
                    extended_from = clock()
                rate_start = clock()
                while clock() < min(ext_deadline, rate_start + dwell_s()) - 0.02:
                    if burst(setting, min(ext_deadline, rate_start + dwell_s()) - clock()) >= MIN_BYTES:
                        break
    finally:
        if not transport.restore_tty_attrs(port, saved_attrs):
            log.warning("%s: could not restore the port's original termios settings", port_url)
        try:
            port.close()
        except Exception as err:  # closing must not mask the real outcome
            log.debug("closing %s failed: %s", port_url, err)
    result = _conclude(port_url, captures, order, seen_total, clock() - t_start, marking_ok)
    if extended_from is not None:
        note = (
            f"slow talker: after {extended_from - t_start:.1f} s of sliced listening, listened "
            f"{clock() - extended_from:.1f} s more, one whole burst at a time"
        )
        result = replace(result, evidence=(*result.evidence, note))
    return result


def default_extend_s(duration_s: float) -> float:
    """Extra listening :func:`listen` allows by default when bytes were heard but not identified.

    Twice the listen time: the whole listen then takes at most three times ``duration_s``.
    """
    return 2.0 * duration_s


def _extension_rates(
    rates: tuple[int, ...], captures: dict[tuple[int, str], list[Capture]], order: list[tuple[int, str]]
) -> list[int]:
    """Rates to dwell at when bytes were heard but not identified, most promising first.

    Rates whose capture showed some structure (a partial burst), then the common bus rates
    (:data:`BUS_BAUDS`), then the other rates that heard bytes.
    """
    heard = [(st[0], sc) for st, sc in _rank(captures, order) if st[1] == "8N1"]
    partial = [b for b, sc in heard if sc >= _GARBAGE_SCORE]
    out: list[int] = []
    for b in (*partial, *(b for b in BUS_BAUDS if b in rates), *(b for b, _ in heard)):
        if b not in out:
            out.append(b)
    return out


def _bytes_at(captures: dict[tuple[int, str], list[Capture]], setting: tuple[int, str]) -> int:
    return sum(len(c.data) for c in captures.get(setting, []))


def _refuse_write(*_args: object, **_kwargs: object) -> int:
    raise AssertionError("serialprobe.listen must never write to a port")


def _rank(
    captures: dict[tuple[int, str], list[Capture]], order: list[tuple[int, str]]
) -> list[tuple[tuple[int, str], float]]:
    """Settings with bytes, best score first (ties keep the order tried)."""
    scored = []
    for i, setting in enumerate(order):
        cap = concat_captures(captures[setting])
        if not cap.data:
            continue
        scored.append((setting, setting_score(cap), i))
    scored.sort(key=lambda x: (-x[1], x[2]))
    return [(s, sc) for s, sc, _ in scored]


def _conclude(
    port_url: str,
    captures: dict[tuple[int, str], list[Capture]],
    order: list[tuple[int, str]],
    seen_total: int,
    elapsed_s: float,
    marking: bool,
) -> ListenResult:
    """Score every setting and build the result."""
    summaries: list[SettingResult] = []
    best: tuple[float, int, tuple[int, str], Capture, list[Recognition]] | None = None
    for i, setting in enumerate(order):
        cap = concat_captures(captures[setting])
        recs = recognize(cap) if cap.data else []
        score = setting_score(cap, recs) if cap.data else 0.0
        top = recs[0] if recs else None
        summaries.append(
            SettingResult(
                baud=setting[0],
                framing=setting[1],
                listened_s=cap.duration_s,
                bytes_seen=len(cap.data),
                errors=cap.error_count,
                score=score,
                best=top.protocol if top and top.score > 0 else "",
                best_score=top.score if top else 0.0,
            )
        )
        if cap.data and (best is None or score > best[0]):
            best = (score, i, setting, cap, recs)
    if seen_total < MIN_BYTES or best is None:
        return ListenResult(
            port=port_url,
            protocol="silent",
            baud=None,
            framing=None,
            confidence=min(1.0, elapsed_s / 5.0),
            evidence=(f"{seen_total} byte(s) in {elapsed_s:.1f} s of listening at {len(order)} setting(s)",),
            bytes_seen=seen_total,
            sample="",
            duration_s=elapsed_s,
            error_reporting=marking,
            settings=tuple(summaries),
        )
    score, _, (baud, framing), cap, recs = best
    if marking:
        # Same data at every framing of the right rate: the framing with the fewest UART errors
        # wins, 8N1 on a tie (within half a percent of the bytes).
        alternatives = []
        for i, setting in enumerate(order):
            if setting[0] != baud:
                continue
            alt = concat_captures(captures[setting])
            if len(alt.data) < MIN_BYTES or alt.error_count is None:
                continue
            ratio = alt.error_count / len(alt.data)
            alternatives.append((ratio, 0 if setting[1] == "8N1" else 1, i, setting, alt))
        if alternatives:
            low = min(a[0] for a in alternatives)
            pick = min((a for a in alternatives if a[0] <= low + 0.005), key=lambda a: (a[1], a[2]))
            if pick[3] != (baud, framing):
                pick_recs = recognize(pick[4])
                if pick_recs[0].score >= MIN_SCORE or recs[0].score < MIN_SCORE:
                    (baud, framing), cap = pick[3], pick[4]
                    recs = pick_recs
                    score = setting_score(cap, recs)
                else:
                    # Too little at the cleaner framing to recognise on its own (a slow talker:
                    # a partial burst); the bytes are the same at every framing of the rate.
                    framing = pick[3][1]
    top = recs[0]
    stats = byte_stats(cap)
    evidence = list(top.evidence) if top.score >= MIN_SCORE else []
    if top.score >= MIN_SCORE:
        protocol = top.protocol
        confidence = score
    else:
        protocol = "unknown"
        confidence = max(0.0, 1.0 - top.score / MIN_SCORE) * min(1.0, stats.n_bytes / 64)
        evidence.append(
            f"{stats.n_bytes} byte(s) no recogniser explains ({stats.printable_ratio:.0%} printable, "
            f"entropy {stats.entropy_bits:.1f} bits/byte)"
        )
    if protocol != "unknown":
        same = {x.baud for x in summaries if x.best == protocol and x.best_score >= MIN_SCORE}
        if len(same) >= 3:
            evidence.append(
                f"{len(same)} different rates decode the same {protocol} traffic: the line rate is not "
                "observable (a USB port that ignores it, or a pseudo-terminal); the rate shown is arbitrary"
            )
    if stats.error_ratio is not None:
        evidence.append(f"{cap.error_count} UART framing/parity error(s) in {stats.n_bytes} byte(s)")
    else:
        evidence.append("UART errors not observable on this port: framing assumed 8N1")
    return ListenResult(
        port=port_url,
        protocol=protocol,
        baud=baud,
        framing=framing,
        confidence=float(min(1.0, max(0.0, confidence))),
        evidence=tuple(evidence),
        bytes_seen=seen_total,
        sample=escape_bytes(cap.data, max_bytes=SAMPLE_BYTES),
        duration_s=elapsed_s,
        error_reporting=marking,
        settings=tuple(summaries),
        recognitions=tuple(recs),
    )
