"""Serve a persona on a pseudo-terminal so real serial code can talk to a simulated device.

:class:`PersonaServer` opens a pty pair, puts the slave in raw mode and runs the persona in a
background thread on the master side. Clients open :attr:`PersonaServer.path` (``/dev/pts/N``)
with pyserial exactly like a USB serial adapter.

* *Connect*: the slave starts at a sentinel speed (50 baud); when a client configures the port
  (pyserial sets termios on open) the speed changes, the server counts that as the connect time and
  schedules boot lines, URCs, floods, streams and ``disappear_after_s`` from it.
* *Baud emulation*: the slave's configured speed is read with ``termios.tcgetattr`` on every read
  and write; when it differs from the persona's ``baud`` the device cannot understand the input and
  everything it sends arrives as deterministic byte noise (0x80-0xFF: a mismatched UART never
  produces a clean ``OK``).
* *Recording*: every byte the client wrote is kept in :attr:`PersonaServer.received` with its time,
  so tests can prove what was (and was not) written.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import termios
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from serialprobe.sim.persona import Persona, load_persona

__all__ = ["PersonaServer", "Received"]

_SENTINEL_SPEED = termios.B50
_SPEEDS: dict[int, int] = {
    getattr(termios, f"B{rate}"): rate
    for rate in (50, 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
    if hasattr(termios, f"B{rate}")
}
_TICK_S = 0.003
_MAX_PENDING = 64 * 1024
_LINE_MAX = 1024
_ECHO_FOREVER_RATE = 20_000


@dataclass(frozen=True)
class Received:
    """A chunk of bytes the client wrote, ``t_s`` seconds after the server started."""

    t_s: float
    data: bytes


class PersonaServer:
    """Serve a persona on a pty from a background thread (context manager).

    Parameters
    ----------
    persona : Persona or str or Path
        A loaded persona, a shipped persona name or a persona file path.

    Attributes
    ----------
    persona : Persona
        The persona served.
    path : str
        Slave device path for clients (e.g. ``/dev/pts/5``); valid after :meth:`start`.
    connected : threading.Event
        Set when a client configured the port.
    vanished : threading.Event
        Set when the server closed the pty because of ``disappear_after_s``.
    """

    def __init__(self, persona: Persona | str | Path) -> None:
        self.persona = persona if isinstance(persona, Persona) else load_persona(persona)
        self.path = ""
        self.connected = threading.Event()
        self.vanished = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._events: list[tuple[float, str]] = []
        self._thread: threading.Thread | None = None
        self._master = -1
        self._slave = -1
        self._t0 = 0.0
        self._connect_t = 0.0
        self._queue: list[tuple[float, bytes]] = []
        self._pending = 0
        self._echo = self.persona.echo
        self._line = bytearray()
        self._echo_loop = b""
        self._noise = random.Random(f"noise:{self.persona.name}")
        self._binary = random.Random(f"binary:{self.persona.name}")
        self._flood_pos = 0
        self._last_gen = 0.0
        self._urc_next: list[float] = []
        self._stream_next = 0.0
        self._stream_index = 0
        self._stream_done = False
        self._sent = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> PersonaServer:
        """Open the pty pair and start serving; returns ``self``."""
        if self._thread is not None:
            return self
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        attrs = termios.tcgetattr(self._slave)
        attrs[4] = attrs[5] = _SENTINEL_SPEED
        termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"persona-{self.persona.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the pty (safe to call more than once)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self._close_fds()

    def __enter__(self) -> PersonaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _close_fds(self) -> None:
        with self._lock:
            for attr in ("_master", "_slave"):
                fd = getattr(self, attr)
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
                    setattr(self, attr, -1)

    # ------------------------------------------------------------------ observation
    @property
    def received(self) -> list[Received]:
        """Every chunk the client wrote, in order (a copy)."""
        with self._lock:
            return list(self._received)

    @property
    def received_bytes(self) -> bytes:
        """All bytes the client wrote, concatenated."""
        with self._lock:
            return b"".join(r.data for r in self._received)

    @property
    def events(self) -> list[tuple[float, str]]:
        """What the server did (connect, commands, vanish), with times (a copy)."""
        with self._lock:
            return list(self._events)

    @property
    def sent_bytes_count(self) -> int:
        """How many bytes the device has written so far."""
        return self._sent

    def _event(self, text: str) -> None:
        with self._lock:
            self._events.append((time.monotonic() - self._t0, text))

    # ------------------------------------------------------------------ helpers
    def _speed(self) -> int:
        """Baud rate the client configured on the slave (-1 unknown, 50 = not yet configured)."""
        try:
            attrs = termios.tcgetattr(self._slave)
        except (termios.error, OSError):
            return -1
        return _SPEEDS.get(int(attrs[5]), -1)

    def _rate_ok(self) -> bool:
        return self.persona.baud == 0 or self._speed() == self.persona.baud

    def _garble(self, data: bytes) -> bytes:
        """What a UART at another rate makes of ``data``: noise in 0x80-0xFF, deterministic."""
        return bytes(0x80 | self._noise.randrange(128) for _ in data)

    def _schedule(self, data: bytes, delay_s: float = 0.0) -> None:
        """Queue ``data`` for output after ``delay_s`` (FIFO; slow mode trickles byte by byte)."""
        if not data:
            return
        now = time.monotonic()
        due = max(now + delay_s, self._queue[-1][0] if self._queue else now)
        step = self.persona.hostile.slow_byte_delay_ms / 1000.0
        if step > 0:
            for i in range(len(data)):
                self._queue.append((due + i * step, data[i : i + 1]))
        else:
            self._queue.append((due, data))
        self._pending += len(data)

    def _frame(self, lines: tuple[str, ...] | list[str]) -> bytes:
        term = self.persona.terminator
        if self.persona.hostile.no_newline:
            term = ""
            lines = [ln.replace("\r", "").replace("\n", "") for ln in lines]
        return (term + term.join(lines) + term).encode("utf-8")

    # ------------------------------------------------------------------ main loop
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if not self.connected.is_set() and self._speed() != 50:
                    self._on_connect(now)
                if self.connected.is_set() and self._tick(now):
                    return
                timeout = _TICK_S
                if self._queue:
                    timeout = min(timeout, max(0.0, self._queue[0][0] - now))
                try:
                    readable, _, _ = select.select([self._master], [], [], timeout)
                except (OSError, ValueError):
                    return
                if readable:
                    try:
                        data = os.read(self._master, 4096)
                    except BlockingIOError:
                        data = b""
                    except OSError:
                        data = b""  # EIO: no client has the slave open right now
                    if data:
                        self._on_input(data)
                self._flush()
        finally:
            self._stop.set()

    def _on_connect(self, now: float) -> None:
        self._connect_t = now
        self._last_gen = now
        self.connected.set()
        self._event(f"connect at {self._speed()} baud")
        p = self.persona
        if p.boot_lines:
            self._schedule(self._frame(p.boot_lines), p.boot_delay_ms / 1000.0)
        self._urc_next = [now + u.at_s for u in p.urcs]
        self._stream_next = now + p.stream_gap_ms / 1000.0

    def _tick(self, now: float) -> bool:
        """Time-driven output; returns True when the device vanished."""
        p = self.persona
        h = p.hostile
        if h.disappear_after_s and now - self._connect_t >= h.disappear_after_s:
            self._event("vanish: pty closed")
            self.vanished.set()
            self._close_fds()
            return True
        for i, u in enumerate(p.urcs):
            if self._urc_next[i] and now >= self._urc_next[i]:
                self._schedule(self._frame([u.text]))
                self._urc_next[i] = self._urc_next[i] + u.every_s if u.every_s > 0 else 0.0
        elapsed = now - self._last_gen
        self._last_gen = now
        if self._pending < _MAX_PENDING:
            if h.flood_bytes_per_s and h.flood_text and not h.echo_forever:
                self._schedule(self._cycle(h.flood_text.encode("utf-8"), h.flood_bytes_per_s * elapsed))
            if h.binary_bytes_per_s:
                n = int(h.binary_bytes_per_s * elapsed + 0.5)
                self._schedule(self._binary.randbytes(n) if n else b"")
            if h.echo_forever and self._echo_loop:
                self._schedule(
                    self._cycle(self._echo_loop, (h.flood_bytes_per_s or _ECHO_FOREVER_RATE) * elapsed)
                )
        if p.kind == "stream" and not self._stream_done and now >= self._stream_next:
            self._emit_frame(now)
        return False

    def _cycle(self, pattern: bytes, count: float) -> bytes:
        n = int(count + 0.5)
        if n <= 0 or not pattern:
            return b""
        start = self._flood_pos % len(pattern)
        reps = (start + n) // len(pattern) + 1
        out = (pattern * reps)[start : start + n]
        self._flood_pos = start + n
        return out

    def _emit_frame(self, now: float) -> None:
        p = self.persona
        frame = p.stream_frames[self._stream_index]
        byte_gap_s = p.stream_byte_gap_ms / 1000.0
        if byte_gap_s > 0:
            for i in range(len(frame.data)):
                self._queue.append((now + i * byte_gap_s, frame.data[i : i + 1]))
            self._pending += len(frame.data)
            frame_end = now + (len(frame.data) - 1) * byte_gap_s
        else:
            self._schedule(frame.data)
            frame_end = now
        gap_ms = frame.gap_ms if frame.gap_ms is not None else p.stream_gap_ms
        self._stream_next = frame_end + gap_ms / 1000.0
        self._stream_index += 1
        if self._stream_index >= len(p.stream_frames):
            self._stream_index = 0
            self._stream_done = not p.stream_repeat

    def _flush(self) -> None:
        """Write every due chunk the pty accepts (non-blocking)."""
        now = time.monotonic()
        while self._queue and self._queue[0][0] <= now and self._master >= 0:
            due, chunk = self._queue[0]
            out = chunk if self._rate_ok() else self._garble(chunk)
            try:
                written = os.write(self._master, out)
            except BlockingIOError:
                return
            except OSError:
                return
            self._sent += written
            self._pending -= written
            if written < len(chunk):
                self._queue[0] = (due, chunk[written:])
                return
            self._queue.pop(0)

    # ------------------------------------------------------------------ input
    def _on_input(self, data: bytes) -> None:
        with self._lock:
            self._received.append(Received(time.monotonic() - self._t0, data))
        if not self.connected.is_set():
            self._on_connect(time.monotonic())
        if self.persona.kind == "stream":
            return
        if not self._rate_ok():
            # The device's UART sees framing errors; its echo and answers arrive as noise.
            self._schedule(self._garble(data))
            return
        for byte in data:
            if self._echo:
                self._schedule(bytes([byte]))
            if byte == 0x0D:
                command = self._line.decode("latin-1").strip()
                self._line.clear()
                if command:
                    self._answer(command)
            elif byte == 0x0A:
                continue
            elif len(self._line) < _LINE_MAX:
                self._line.append(byte)

    def _answer(self, command: str) -> None:
        p = self.persona
        self._event(f"command {command!r}")
        if p.hostile.echo_forever:
            self._echo_loop = (command + "\r").encode("latin-1")
            return
        key = command.upper()
        entry = p.dialogue.get(key)
        if entry is not None:
            delay_s = entry.delay_ms / 1000.0
            if entry.reply_bytes:
                self._schedule(entry.reply_bytes, delay_s)
                return
            out = self._frame(entry.reply) if entry.reply else b""
            if entry.result:
                out += self._frame([entry.result])
            self._schedule(out, delay_s)
            if key == "ATE0":
                self._echo = False
            elif key in ("ATE1", "ATE"):
                self._echo = True
            return
        if key in ("ATE0", "ATE1", "ATE", "AT"):
            if key == "ATE0":
                self._echo = False
            elif key != "AT":
                self._echo = True
            self._schedule(self._frame(["OK"]), 0.002)
            return
        if p.error_reply:
            self._schedule(self._frame([p.error_reply]), 0.002)
