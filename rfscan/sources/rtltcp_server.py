"""An rtl_tcp server that serves a simulated scene over the real osmocom protocol.

Protocol (osmocom src/rtl_tcp.c): on connect the server sends the 12-byte ``dongle_info_t``
(``RTL0``, tuner type u32 BE, gain count u32 BE), then raw cu8 I/Q forever; the client sends
5-byte commands ``struct.pack(">BI", cmd, param)`` which the server applies.  One client at a time,
like rtl_tcp (the next client is served when the previous one disconnects).

Realism that matters to clients:

* Samples leave in chunks of ``chunk_samples`` (default 131072 = one librtlsdr USB transfer of
  262144 bytes, DEFAULT_BUF_LENGTH), paced at the sample rate times ``speed`` (None: as fast as
  the client reads), each chunk sent once its last sample would have been captured.
* There is no marker in the stream for when a command took effect.  A command received while the
  chunk at stream position ``[r, r + n)`` is being captured takes effect at the capture position
  at that moment, plus ``backlog_s`` (samples the real server already holds in its buffer list),
  plus ``pll_settle_s`` (the tuner keeps delivering the old tuning until its PLL locks).  Add what
  sits in the socket buffers and a client sees old-frequency samples well after its command.

Fault injection for tests: ``stall_after_s`` (stop sending, keep the connection open),
``close_after_s`` (drop the connection), ``garbage_header`` (not ``RTL0``), ``odd_chunks``
(send in odd-sized pieces), all limited to the first ``fault_connections`` connections.
"""

from __future__ import annotations

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

from rfscan.errors import SourceError
from rfscan.sources.base import TunerSpec, tuner_by_name
from rfscan.sources.sim import SceneStream, TunerSettings, load_scene_for

__all__ = [
    "CMD_NAMES",
    "DEFAULT_CHUNK_SAMPLES",
    "DEFAULT_SERVER_BACKLOG_S",
    "RtlTcpSimServer",
    "ServerState",
]

log = logging.getLogger(__name__)

#: One librtlsdr async transfer: 16 * 32 * 512 bytes = 131072 samples (src/librtlsdr.c).
DEFAULT_CHUNK_SAMPLES = 131072
#: Samples already in the server's buffer list when a command arrives (a few ms; the real
#: rtl_tcp's list is near-empty while the client keeps up).
DEFAULT_SERVER_BACKLOG_S = 0.005
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
    backlog_s, pll_settle_s : float
        Delay, in stream time, between a command's arrival and its effect (see module notes).
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
        self.backlog_s = float(backlog_s)
        self.pll_settle_s = float(pll_settle_s)
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
        if not self._send(conn, header):
            return
        now = time.monotonic()
        with self._lock:
            t0 = self._scene_t + (now - self._scene_wall) * (self.speed or 1.0)
            self._stream = SceneStream(self.scene, self._settings(self.state), seed=self.seed, t0_s=t0)
            self._render_pos = 0
            self._pace = (now, 0, float(self.state.rate_hz))
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

    def _stream_samples(self, conn: _Connection, t_conn: float) -> None:
        stream = self._stream
        assert stream is not None
        while not (self._stop.is_set() or conn.gone.is_set()):
            elapsed = time.monotonic() - t_conn
            if conn.faulty and self.close_after_s is not None and elapsed >= self.close_after_s:
                log.info("rtltcp-sim: fault: closing connection %d", conn.number)
                return
            if conn.faulty and self.stall_after_s is not None and elapsed >= self.stall_after_s:
                log.info("rtltcp-sim: fault: stalling connection %d", conn.number)
                while not (self._stop.is_set() or conn.gone.wait(0.05)):
                    pass
                return
            with self._lock:
                pos = self._render_pos
                change = stream.next_change_after(pos)
                n = self.chunk_samples if change is None else min(self.chunk_samples, change - pos)
                pace_t, pace_pos, pace_rate = self._pace
            if self.speed is not None:
                due = pace_t + (pos + n - pace_pos) / (pace_rate * self.speed)
                if not self._wait_until(conn, due, t_conn):
                    continue
            with self._lock:
                # Commands that arrived while waiting may have scheduled a change inside this chunk.
                change = stream.next_change_after(pos)
                if change is not None and change < pos + n:
                    n = change - pos
                # Claim the chunk: commands arriving from now on act after it (the USB transfer
                # being filled), and rendering runs outside the lock so commands are never delayed.
                self._render_pos = pos + n
                stream.prune(pos)
                new_rate = stream.settings_at(pos + n).sample_rate_hz
                if new_rate != pace_rate:
                    self._pace = (time.monotonic(), pos + n, new_rate)
            data = stream.render_cu8(pos, n).tobytes()
            if not self._send(conn, data):
                return
            self.bytes_sent[-1] += len(data)

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

    def _send(self, conn: _Connection, data: bytes) -> bool:
        """Send all of ``data`` (in odd pieces if asked); False once the client is gone."""
        view = memoryview(data)
        piece = 4095 if self.odd_chunks else len(data)
        off = 0
        while off < len(view):
            if self._stop.is_set() or conn.gone.is_set():
                return False
            try:
                _, writable, _ = select.select([], [conn.sock], [], 0.05)
                if not writable:
                    continue
                off += conn.sock.send(view[off : off + piece])
            except (OSError, ValueError):
                conn.gone.set()
                return False
        return True

    def _read_commands(self, conn: _Connection) -> None:
        sock = conn.sock
        buf = b""
        while not (self._stop.is_set() or conn.gone.is_set()):
            try:
                readable, _, _ = select.select([sock], [], [], 0.05)
                if not readable:
                    continue
                data = sock.recv(4096)
            except (OSError, ValueError):
                break
            if not data:
                break
            buf += data
            while len(buf) >= 5:
                cmd, param = struct.unpack(">BI", buf[:5])
                buf = buf[5:]
                self._apply(conn, cmd, param)
        conn.gone.set()

    def _apply(self, conn: _Connection, cmd: int, param: int) -> None:
        """Apply one command; the stream switches after the capture position + backlog + PLL."""
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
            pos = self._render_pos
            if self.speed is not None:
                pace_t, pace_pos, pace_rate = self._pace
                captured = pace_pos + (time.monotonic() - pace_t) * pace_rate * self.speed
                pos = int(min(max(captured, pos), pos + self.chunk_samples))
            delay = math.ceil((self.backlog_s + self.pll_settle_s) * rate)
            stream.schedule(pos + delay, settings)


def _hard_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
