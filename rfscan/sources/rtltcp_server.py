"""An rtl_tcp server that serves a simulated scene over the real osmocom protocol.

Protocol (osmocom src/rtl_tcp.c): on connect the server sends the 12-byte ``dongle_info_t``
(``RTL0``, tuner type u32 BE, gain count u32 BE), then raw cu8 I/Q forever; the client sends
5-byte commands ``struct.pack(">BI", cmd, param)`` which the server applies.  One client at a time,
like rtl_tcp (the next client is served when the previous one disconnects).

Realism that matters to clients (osmocom src/rtl_tcp.c with librtlsdr's default buffers):

* **Whole transfers.**  The dongle fills transfers of ``chunk_samples`` samples (default 131072
  = 262144 bytes, DEFAULT_BUF_LENGTH of src/librtlsdr.c) back to back; each is sent whole once its
  last sample has been captured (paced at the sample rate times ``speed``; ``speed=None`` renders
  as fast as the client reads), after ``backlog_s`` in the server's buffer list and ``latency_s``
  on the network.  With ``odd_chunks`` a transfer goes out in odd-sized pieces with short pauses
  between them, as TCP over a busy link delivers it.
* **Commands act at the capture position.**  A command is applied ``latency_s`` after it arrives
  (the network's one-way trip); it takes effect at the sample being captured at that moment (paced;
  unpaced: the first sample not yet claimed for a transfer), and for ``pll_settle_s`` after that the
  output still holds the old tuning (the PLL has not locked).  Nothing in the stream marks it.
* **Ground truth.**  :attr:`RtlTcpSimServer.truth` logs, per connection, which tuning every stream
  sample belongs to and whether the tuner had settled (:class:`TruthSpan`); tests check every
  delivered sample against it.

Fault injection for tests: ``stall_after_s`` (stop sending, keep the connection open),
``close_after_s`` (drop the connection), ``garbage_header`` (not ``RTL0``), ``odd_chunks``
(send in odd-sized pieces), all limited to the first ``fault_connections`` connections.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import ipaddress
import logging
import math
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rfscan.errors import SourceError
from rfscan.sources.base import TunerSpec, tuner_by_name
from rfscan.sources.sim import SceneStream, TunerSettings, load_scene_for

__all__ = [
    "CMD_NAMES",
    "DEFAULT_CHUNK_SAMPLES",
    "DEFAULT_SERVER_BACKLOG_S",
    "RtlTcpSimServer",
    "ServerState",
    "TruthSpan",
]

log = logging.getLogger(__name__)

#: One librtlsdr async transfer: 16 * 32 * 512 bytes = 131072 samples (src/librtlsdr.c).
DEFAULT_CHUNK_SAMPLES = 131072
#: Time a completed transfer waits in the server's buffer list before it is sent (a few ms: USB
#: completion and the real rtl_tcp's list, near-empty while the client keeps up).
DEFAULT_SERVER_BACKLOG_S = 0.005
#: Odd piece sizes (bytes) a transfer is cut into with ``odd_chunks``, cycled.
ODD_PIECES = (4095, 1, 30001, 777, 65535, 12345, 3)
#: Pause between odd pieces: the link goes quiet in the middle of a transfer.
ODD_PAUSE_S = 0.0005
#: Paced rendering granularity: a transfer is rendered in pieces as its samples are captured, so it
#: is ready to send when its last sample is.
_RENDER_STEP = 16384
#: rtl_tcp's default sample rate (src/rtl_tcp.c DEFAULT_SAMPLE_RATE_HZ).
RTL_TCP_DEFAULT_RATE_HZ = 2_048_000.0

#: Command codes of src/rtl_tcp.c.
CMD_NAMES: dict[int, str] = {
    0x01: "frequency",
    0x02: "sample_rate",
    0x03: "gain_mode",
    0x04: "gain",
    0x05: "freq_correction",
    0x06: "if_gain",
    0x07: "test_mode",
    0x08: "agc",
    0x09: "direct_sampling",
    0x0A: "offset_tuning",
    0x0B: "rtl_xtal",
    0x0C: "tuner_xtal",
    0x0D: "gain_index",
    0x0E: "bias_tee",
}


@dataclass
class ServerState:
    """Everything the client can set (what the dongle would hold)."""

    freq_hz: int
    rate_hz: int
    gain_mode: int = 0
    gain_tenth_db: int = 0
    ppm: int = 0
    agc: int = 0
    direct_sampling: int = 0
    offset_tuning: int = 0
    bias_tee: int = 0
    test_mode: int = 0
    if_gains: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TruthSpan:
    """From stream sample ``start`` on (to the next span), the samples belong to ``settings``.

    ``settled`` is False while the PLL locks after the change (the samples still hold the previous
    tuning); positions count samples since the connection's header.
    """

    start: int
    settings: TunerSettings
    settled: bool


def _rate_ok(rate: int) -> bool:
    return 225_000 < rate <= 300_000 or 900_000 < rate <= 3_200_000


class _Connection:
    """Per-client bookkeeping shared by the sender and the command reader."""

    def __init__(self, sock: socket.socket, number: int, faulty: bool) -> None:
        self.sock = sock
        self.number = number
        self.faulty = faulty
        self.gone = threading.Event()
        self.commands: list[tuple[int, int]] = []


class RtlTcpSimServer:
    """Serve a scene over the rtl_tcp protocol (context manager; ``port=0`` picks a free port).

    Parameters
    ----------
    scene : Scene or str
        Scene object, built-in scene name or file.
    host : str
        Address to bind (loopback by default; anything else logs a warning).
    port : int
        TCP port (0: any free port; see :attr:`address`).
    seed : int or None
        Seed (None: the scene's).
    tuner : str
        Tuner reported in the header and whose gain table/ranges apply (default R820T).
    speed : float or None
        Pacing: 1.0 real time, 4.0 four times faster, None as fast as the client reads.
    chunk_samples : int
        Samples per send (one simulated USB transfer).
    backlog_s : float
        Time a completed transfer waits in the server before it is sent (see module notes).
    pll_settle_s : float
        Time after a change during which the output still holds the old tuning.
    latency_s : float
        One-way network latency, both ways: commands act this long after they arrive and
        transfers leave this much later.
    stall_after_s, close_after_s : float or None
        Faults: stop sending / drop the connection this many seconds after a client connects.
    garbage_header : bool
        Fault: send 12 bytes that are not an rtl_tcp header.
    odd_chunks : bool
        Send each chunk in odd-sized pieces (exercises half-sample reads in clients).
    fault_connections : int or None
        Faults apply to the first N connections only (None: all).
    """

    def __init__(
        self,
        scene: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        tuner: str = "R820T",
        speed: float | None = 1.0,
        chunk_samples: int = DEFAULT_CHUNK_SAMPLES,
        backlog_s: float = DEFAULT_SERVER_BACKLOG_S,
        pll_settle_s: float = 0.005,
        latency_s: float = 0.0,
        stall_after_s: float | None = None,
        close_after_s: float | None = None,
        garbage_header: bool = False,
        odd_chunks: bool = False,
        fault_connections: int | None = None,
        center_hz: float | None = None,
        sample_rate_hz: float = RTL_TCP_DEFAULT_RATE_HZ,
    ) -> None:
        self.scene = load_scene_for(scene, "rtltcp-sim")
        self.host = host
        self.port = int(port)
        self.seed = seed
        self.tuner: TunerSpec = tuner_by_name(tuner)
        if speed is not None and not (math.isfinite(speed) and speed > 0):
            raise SourceError(f"rtltcp-sim: speed must be > 0 (or None for unpaced), got {speed!r}")
        self.speed = speed
        if chunk_samples < 1:
            raise SourceError("rtltcp-sim: chunk_samples must be >= 1")
        self.chunk_samples = int(chunk_samples)
        for name, value in (
            ("backlog_s", backlog_s),
            ("pll_settle_s", pll_settle_s),
            ("latency_s", latency_s),
        ):
            if not (math.isfinite(value) and 0.0 <= value <= 10.0):
                raise SourceError(f"rtltcp-sim: {name} must be 0..10 s, got {value!r}")
        self.backlog_s = float(backlog_s)
        self.pll_settle_s = float(pll_settle_s)
        self.latency_s = float(latency_s)
        self.stall_after_s = stall_after_s
        self.close_after_s = close_after_s
        self.garbage_header = garbage_header
        self.odd_chunks = odd_chunks
        self.fault_connections = fault_connections
        freq = float(self.scene.center_hz if center_hz is None else center_hz)
        self.state = ServerState(freq_hz=round(freq), rate_hz=round(sample_rate_hz))
        #: Every command received, in order, over all connections: (code, param).
        self.commands: list[tuple[int, int]] = []
        #: Commands per connection.
        self.connection_commands: list[list[tuple[int, int]]] = []
        #: Bytes of samples sent per connection.
        self.bytes_sent: list[int] = []
        #: Ground truth per connection: which tuning each stream sample belongs to (see
        #: :meth:`spans_between`).
        self.truth: list[list[TruthSpan]] = []
        #: Per connection, for every command that changed the tuning: (stream position where it
        #: took effect, position from which the new tuning is settled).
        self.effects: list[list[tuple[int, int]]] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._conn: _Connection | None = None
        self._stream: SceneStream | None = None
        self._render_pos = 0
        self._pace: tuple[float, int, float] = (0.0, 0, 1.0)
        self._scene_t = 0.0
        self._scene_wall = time.monotonic()

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> RtlTcpSimServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> RtlTcpSimServer:
        """Bind, listen and serve in a background thread (no-op if running)."""
        if self._thread is not None:
            return self
        try:
            loopback = ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            loopback = self.host == "localhost"
        if not loopback:
            log.warning("rtltcp-sim: binding to %s: anyone who can reach this address can connect", self.host)
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
            family, _, _, _, addr = infos[0]
            listener = socket.socket(family, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(addr)
            listener.listen(1)
        except OSError as err:
            raise SourceError(
                f"rtltcp-sim: cannot listen on {self.host}:{self.port}: {err.strerror or err}"
            ) from err
        listener.settimeout(0.1)
        # Warm up (imports scipy, builds the filters) so the first client is served at once.
        warm = SceneStream(self.scene, self._settings(self.state), seed=self.seed)
        warm.render_cu8(0, 64)
        self._listener = listener
        self.port = int(listener.getsockname()[1])
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="rtltcp-sim", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, drop the client and join the threads (safe to call twice)."""
        self._stop.set()
        conn = self._conn
        if conn is not None:
            conn.gone.set()
            _hard_close(conn.sock)
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def kill_client(self) -> None:
        """Drop the current client abruptly (as if rtl_tcp were killed)."""
        conn = self._conn
        if conn is not None:
            conn.gone.set()
            _hard_close(conn.sock)

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` the server listens on."""
        return (self.host, self.port)

    @property
    def url(self) -> str:
        """``rtltcp://host:port`` for :func:`rfscan.sources.open_source`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"rtltcp://{host}:{self.port}"

    def spans_between(self, start: int, end: int, connection: int = -1) -> list[TruthSpan]:
        """Truth spans covering stream samples ``start .. end - 1`` of a connection (-1: the last).

        Returns
        -------
        list of TruthSpan
            Every span that overlaps the range, in order (the first may begin before ``start``).
        """
        with self._lock:
            spans = list(self.truth[connection])
        out = [
            sp
            for k, sp in enumerate(spans)
            if sp.start < end and (k + 1 == len(spans) or spans[k + 1].start > start)
        ]
        return out

    # -- serving --------------------------------------------------------------------------
    def _serve(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stop.is_set():
            try:
                sock, peer = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            self.connections += 1
            faulty = self.fault_connections is None or self.connections <= self.fault_connections
            conn = _Connection(sock, self.connections, faulty)
            self._conn = conn
            self.connection_commands.append(conn.commands)
            self.bytes_sent.append(0)
            log.info("rtltcp-sim: client %s connected", peer)
            try:
                self._handle(conn)
            except OSError as err:
                log.info("rtltcp-sim: client %s: %s", peer, err)
            finally:
                conn.gone.set()
                _hard_close(sock)
                self._conn = None
                log.info("rtltcp-sim: client %s gone", peer)

    def _settings(self, st: ServerState) -> TunerSettings:
        gain = float(self.scene.dongle.gain_db) if st.gain_mode == 0 else st.gain_tenth_db / 10.0
        return TunerSettings(
            center_hz=float(st.freq_hz),
            sample_rate_hz=float(st.rate_hz),
            gain_db=gain,
            ppm_correction=st.ppm,
            test_mode=bool(st.test_mode),
        )

    def _handle(self, conn: _Connection) -> None:
        sock = conn.sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.garbage_header and conn.faulty:
            header = b"HTTP/1.1 400"
        else:
            header = b"RTL0" + struct.pack(">II", self.tuner.type_code, len(self.tuner.gains_tenth_db))
        if not self._send(conn, header, odd=False):
            return
        now = time.monotonic()
        with self._lock:
            t0 = self._scene_t + (now - self._scene_wall) * (self.speed or 1.0)
            settings = self._settings(self.state)
            self._stream = SceneStream(self.scene, settings, seed=self.seed, t0_s=t0)
            self._render_pos = 0
            self._pace = (now, 0, float(self.state.rate_hz))
            self.truth.append([TruthSpan(0, settings, True)])
            self.effects.append([])
        reader = threading.Thread(
            target=self._read_commands, args=(conn,), name="rtltcp-sim-cmd", daemon=True
        )
        reader.start()
        t_conn = time.monotonic()
        try:
            self._stream_samples(conn, t_conn)
        finally:
            conn.gone.set()
            reader.join(timeout=2.0)
            with self._lock:
                if self._stream is not None:
                    self._scene_t = self._stream.time_at(self._render_pos)
                    self._scene_wall = time.monotonic()

    def _fault(self, conn: _Connection, t_conn: float) -> bool:
        """Apply the close/stall faults when due; True when the connection must end."""
        elapsed = time.monotonic() - t_conn
        if conn.faulty and self.close_after_s is not None and elapsed >= self.close_after_s:
            log.info("rtltcp-sim: fault: closing connection %d", conn.number)
            return True
        if conn.faulty and self.stall_after_s is not None and elapsed >= self.stall_after_s:
            log.info("rtltcp-sim: fault: stalling connection %d", conn.number)
            while not (self._stop.is_set() or conn.gone.wait(0.05)):
                pass
            return True
        return False

    def _claim(self, stream: SceneStream, end: int) -> NDArray[np.uint8]:
        """Render stream samples up to ``end``: commands arriving from now on act after them."""
        with self._lock:
            pos = self._render_pos
            self._render_pos = end
            stream.prune(pos)
        return stream.render_cu8(pos, end - pos)

    def _stream_samples(self, conn: _Connection, t_conn: float) -> None:
        stream = self._stream
        assert stream is not None
        n = self.chunk_samples
        delay_s = self.backlog_s + self.latency_s
        outbox: collections.deque[tuple[float, bytes]] = collections.deque()  # (send time, transfer)
        parts: list[NDArray[np.uint8]] = []
        transfer_end = n
        while not (self._stop.is_set() or conn.gone.is_set()):
            if self._fault(conn, t_conn):
                return
            if self.speed is None:
                data = self._claim(stream, transfer_end).tobytes()
                transfer_end += n
                if not self._send(conn, data, odd=self.odd_chunks):
                    return
                self.bytes_sent[-1] += len(data)
                continue
            with self._lock:
                pos = self._render_pos
                pace_t, pace_pos, pace_rate = self._pace
            step_end = min(transfer_end, pos + _RENDER_STEP)
            due = pace_t + (step_end - pace_pos) / (pace_rate * self.speed)
            if outbox and outbox[0][0] <= due:
                send_at, data = outbox[0]
                if not self._wait_until(conn, send_at, t_conn):
                    continue
                outbox.popleft()
                if not self._send(conn, data, odd=self.odd_chunks):
                    return
                self.bytes_sent[-1] += len(data)
                continue
            if not self._wait_until(conn, due, t_conn):
                continue
            parts.append(self._claim(stream, step_end))
            if step_end == transfer_end:
                outbox.append((due + delay_s, np.concatenate(parts).tobytes()))
                parts = []
                transfer_end += n

    def _wait_until(self, conn: _Connection, due: float, t_conn: float) -> bool:
        """Sleep until ``due`` (False if interrupted by a fault deadline, stop or disconnect)."""
        while True:
            now = time.monotonic()
            if now >= due:
                return True
            if self._stop.is_set() or conn.gone.is_set():
                return False
            wake = due
            for limit in (self.close_after_s, self.stall_after_s):
                if conn.faulty and limit is not None:
                    wake = min(wake, t_conn + limit)
            if wake <= now:
                return False
            conn.gone.wait(min(wake - now, 0.05))

    def _send(self, conn: _Connection, data: bytes, *, odd: bool) -> bool:
        """Send all of ``data`` (in odd pieces with pauses if asked); False once the client is gone."""
        view = memoryview(data)
        off = 0
        k = 0
        while off < len(view):
            if self._stop.is_set() or conn.gone.is_set():
                return False
            piece = ODD_PIECES[k % len(ODD_PIECES)] if odd else len(view) - off
            try:
                _, writable, _ = select.select([], [conn.sock], [], 0.05)
                if not writable:
                    continue
                off += conn.sock.send(view[off : off + piece])
            except (OSError, ValueError):
                conn.gone.set()
                return False
            if odd:
                k += 1
                time.sleep(ODD_PAUSE_S)
        return True

    def _read_commands(self, conn: _Connection) -> None:
        sock = conn.sock
        buf = b""
        pending: collections.deque[tuple[float, int, int]] = collections.deque()  # (apply at, cmd, param)
        while not (self._stop.is_set() or conn.gone.is_set()):
            while pending and pending[0][0] <= time.monotonic():
                _, cmd, param = pending.popleft()
                self._apply(conn, cmd, param)
            wait = 0.05 if not pending else min(0.05, max(0.0, pending[0][0] - time.monotonic()))
            try:
                readable, _, _ = select.select([sock], [], [], wait)
                if not readable:
                    continue
                data = sock.recv(4096)
            except (OSError, ValueError):
                break
            if not data:
                break
            t_rx = time.monotonic()
            buf += data
            while len(buf) >= 5:
                cmd, param = struct.unpack(">BI", buf[:5])
                buf = buf[5:]
                if self.latency_s > 0 or pending:
                    pending.append((t_rx + self.latency_s, cmd, param))
                else:
                    self._apply(conn, cmd, param)
        conn.gone.set()

    def _apply(self, conn: _Connection, cmd: int, param: int) -> None:
        """Apply one command: it acts at the capture position; the PLL settles ``pll_settle_s`` later."""
        with self._lock:
            conn.commands.append((cmd, param))
            self.commands.append((cmd, param))
            st = dataclasses.replace(self.state, if_gains=dict(self.state.if_gains))
            signed = param - (1 << 32) if param & 0x80000000 else param
            name = CMD_NAMES.get(cmd, f"unknown 0x{cmd:02x}")
            if cmd == 0x01:
                if self.tuner.can_tune(float(param)):
                    st.freq_hz = param
                else:
                    log.warning("rtltcp-sim: %s cannot tune to %d Hz; ignored", self.tuner.name, param)
            elif cmd == 0x02:
                if _rate_ok(param):
                    st.rate_hz = param
                else:
                    log.warning("rtltcp-sim: invalid sample rate %d Hz; ignored (like librtlsdr)", param)
            elif cmd == 0x03:
                st.gain_mode = 1 if param else 0
            elif cmd == 0x04:
                st.gain_tenth_db = signed
            elif cmd == 0x05:
                st.ppm = signed
            elif cmd == 0x06:
                low = param & 0xFFFF
                st.if_gains[(param >> 16) & 0xFFFF] = low - 0x10000 if low & 0x8000 else low
            elif cmd == 0x07:
                st.test_mode = 1 if param else 0
            elif cmd == 0x08:
                st.agc = 1 if param else 0
            elif cmd == 0x09:
                st.direct_sampling = param
            elif cmd == 0x0A:
                st.offset_tuning = 1 if param else 0
            elif cmd == 0x0D:
                gains = self.tuner.gains_tenth_db
                if param < len(gains):
                    st.gain_tenth_db = gains[param]
            elif cmd == 0x0E:
                st.bias_tee = 1 if param else 0
            elif cmd not in CMD_NAMES:
                log.warning("rtltcp-sim: unknown command 0x%02x %d ignored", cmd, param)
            log.debug("rtltcp-sim: %s %d", name, signed)
            self.state = st
            stream = self._stream
            if stream is None:
                return
            settings = self._settings(st)
            if settings == stream.last_settings:
                return
            rate = stream.last_settings.sample_rate_hz
            pos = self._render_pos  # the first sample not yet claimed for a transfer
            pace_t, pace_pos, pace_rate = self._pace
            if self.speed is not None:
                now = time.monotonic()
                pos = max(pos, int(pace_pos + (now - pace_t) * pace_rate * self.speed))
            settled_from = stream.schedule(pos + math.ceil(self.pll_settle_s * rate), settings)
            start = min(pos, settled_from)
            truth = self.truth[-1]
            while truth and truth[-1].start >= start:
                truth.pop()
            truth.append(TruthSpan(start, settings, False))
            truth.append(TruthSpan(settled_from, settings, True))
            self.effects[-1].append((start, settled_from))
            if settings.sample_rate_hz != pace_rate and self.speed is not None:
                t_switch = pace_t + (settled_from - pace_pos) / (pace_rate * self.speed)
                self._pace = (t_switch, settled_from, settings.sample_rate_hz)


def _hard_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
