"""``rtltcp://HOST:PORT``: a client of osmocom's rtl_tcp (not pyrtlsdr's own TCP protocol).

Protocol (osmocom src/rtl_tcp.c): the server first sends 12 bytes ``RTL0`` + tuner type (u32 BE) +
gain count (u32 BE), then raw cu8 I/Q without any framing.  Commands are 5 bytes,
``struct.pack(">BI", cmd, param)``: 0x01 frequency (Hz), 0x02 sample rate (Hz), 0x03 gain mode
(0 auto, 1 manual), 0x04 gain (tenths of dB), 0x05 ppm, 0x06 IF gain (stage << 16 | gain),
0x07 test mode, 0x08 RTL AGC, 0x09 direct sampling, 0x0a offset tuning, 0x0d gain by index,
0x0e bias tee.  The bias tee is never touched unless asked: it powers an antenna amplifier and a
user may have started ``rtl_tcp -T`` on purpose.

Retune backlog
--------------
The stream says nothing about when a command took effect, and everything already on its way
belongs to the old setting:

1. bytes already in this host's socket receive buffer (and the server's send buffer): after the
   command the client waits ``command_latency_s`` and *drains* the socket until it would block,
   i.e. until it reaches the live edge of the stream;
2. what the server holds: librtlsdr delivers samples in USB transfers of 262144 bytes
   (DEFAULT_BUF_LENGTH = 16 * 32 * 512 in src/librtlsdr.c) and a retune lands anywhere inside the
   transfer being filled, so up to one transfer of old samples follows the live edge: the client
   discards ``backlog_bytes`` (default 262144) more;
3. tuner settling: ``settle_s`` (default 20 ms: the 5-10 ms PLL lock plus the network latency of
   the command) worth of samples more.

At 2.4 MS/s that is ~75 ms per hop after the drain (262144 bytes = 54.6 ms + 20 ms).  A rate
change (and connecting, since the server's previous rate is unknown) adds ``rate_settle_s``
(100 ms: changing rate and frequency together takes that long, steve-m/librtlsdr#44).  Every
discarded sample still advances ``sample_start``.

Failures: connection refused/reset/closed, no header within ``timeout_s``, a bad magic, and no
samples for ``timeout_s`` raise :class:`~rfscan.errors.SourceError`.  With ``reconnect=True`` a
failed read reconnects (back-off ``reconnect_backoff_s * 2**k``, ``reconnect_tries`` times),
re-sends every setting, counts the outage as ``dropped_samples`` and discards the backlog again.
"""

from __future__ import annotations

import contextlib
import logging
import math
import select
import socket
import struct
import time
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

import numpy as np

from rfscan.errors import SourceError
from rfscan.sources.base import Source, SourceBlock, TunerSpec, parse_bool, tuner_by_code

__all__ = [
    "CMD_AGC",
    "CMD_BIAS_TEE",
    "CMD_DIRECT_SAMPLING",
    "CMD_FREQ",
    "CMD_GAIN",
    "CMD_GAIN_BY_INDEX",
    "CMD_GAIN_MODE",
    "CMD_IF_GAIN",
    "CMD_OFFSET_TUNING",
    "CMD_PPM",
    "CMD_SAMPLE_RATE",
    "CMD_TEST_MODE",
    "DEFAULT_BACKLOG_BYTES",
    "DEFAULT_PORT",
    "HEADER_MAGIC",
    "RtlTcpSource",
    "command_bytes",
    "parse_header",
]

log = logging.getLogger(__name__)

DEFAULT_PORT = 1234
HEADER_MAGIC = b"RTL0"
HEADER_LEN = 12
CMD_FREQ = 0x01
CMD_SAMPLE_RATE = 0x02
CMD_GAIN_MODE = 0x03
CMD_GAIN = 0x04
CMD_PPM = 0x05
CMD_IF_GAIN = 0x06
CMD_TEST_MODE = 0x07
CMD_AGC = 0x08
CMD_DIRECT_SAMPLING = 0x09
CMD_OFFSET_TUNING = 0x0A
CMD_GAIN_BY_INDEX = 0x0D
CMD_BIAS_TEE = 0x0E

#: One librtlsdr USB transfer (src/librtlsdr.c DEFAULT_BUF_LENGTH), the old-tuning data that can
#: follow the live edge of the stream after a retune.
DEFAULT_BACKLOG_BYTES = 16 * 32 * 512
#: Default settle time for rtl_tcp: PLL lock (5-10 ms) plus the command's trip to the server.
DEFAULT_RTLTCP_SETTLE_S = 0.020
#: Extra time discarded after a sample-rate change (and on connecting, when the server's previous
#: rate is unknown): changing rate and frequency together takes ~100 ms (steve-m/librtlsdr#44).
RATE_CHANGE_SETTLE_S = 0.100
_SCRATCH = 1 << 16


def command_bytes(cmd: int, param: int) -> bytes:
    """One rtl_tcp command: u8 code + u32 big-endian parameter (negative values two's complement)."""
    return struct.pack(">BI", cmd, param & 0xFFFFFFFF)


def parse_header(data: bytes, where: str) -> tuple[int, int]:
    """Check a 12-byte ``dongle_info_t`` and return ``(tuner_type, gain_count)``.

    Raises
    ------
    SourceError
        If the magic is not ``RTL0``.
    """
    if len(data) != HEADER_LEN or data[:4] != HEADER_MAGIC:
        shown = data[:4].decode("ascii", "backslashreplace")
        shown = "".join(ch if ch.isprintable() else "?" for ch in shown)
        raise SourceError(
            f"{where}: not an rtl_tcp server (bad magic {shown!r}, expected 'RTL0'): check the host and port"
        )
    tuner_type, gain_count = struct.unpack(">II", data[4:12])
    return int(tuner_type), int(gain_count)


class _LostError(Exception):
    """The connection failed during a read (internal: turned into SourceError or a reconnect).

    ``got`` is the number of bytes that had arrived for the interrupted read.
    """

    def __init__(self, message: str, got: int = 0) -> None:
        super().__init__(message)
        self.got = got


class RtlTcpSource(Source):
    """A dongle behind an rtl_tcp server.

    Parameters
    ----------
    url : str
        ``rtltcp://HOST[:PORT]`` (port 1234 by default).
    center_hz, sample_rate_hz, gain_db, ppm, settle_s
        See :class:`~rfscan.sources.base.Source` (``settle_s`` defaults to 20 ms here).
    agc : bool or None
        RTL2832 digital AGC (None: leave the server's setting).
    bias_tee : bool or None
        Switch the bias tee (None: never send the command).
    direct_sampling : int or None
        0 off, 1 I branch, 2 Q branch (None: leave as is).
    offset_tuning : bool or None
        E4000 offset tuning (None: leave as is).
    test_mode : bool
        Ask for the RTL2832's 8-bit counter instead of samples (diagnostics).
    backlog_bytes : int
        Bytes discarded after the drain on every change (see module notes).
    drain : bool
        Drain the socket to the live edge after a change (default True).
    command_latency_s : float
        Pause between a command and the drain, so the server has received it.
    rate_settle_s : float
        Extra time discarded after a rate change and on (re)connecting (default 100 ms).
    timeout_s : float
        No header/samples for this long: the server is considered stalled.
    connect_timeout_s : float
        TCP connect timeout.
    reconnect : bool
        Reconnect after a failure instead of raising.
    reconnect_tries : int
        Attempts per failure.
    reconnect_backoff_s : float
        First back-off; doubles per attempt (capped at 2 s).
    """

    scheme = "rtltcp"
    default_settle_s = DEFAULT_RTLTCP_SETTLE_S
    query_keys: ClassVar[dict[str, Callable[[str], Any]]] = {
        "reconnect": parse_bool,
        "reconnect_tries": int,
        "reconnect_backoff_s": float,
        "timeout_s": float,
        "connect_timeout_s": float,
        "backlog_bytes": int,
        "drain": parse_bool,
        "agc": parse_bool,
        "bias_tee": parse_bool,
        "direct_sampling": int,
        "offset_tuning": parse_bool,
        "test_mode": parse_bool,
        "command_latency_s": float,
        "rate_settle_s": float,
    }

    def __init__(
        self,
        url: str = f"rtltcp://127.0.0.1:{DEFAULT_PORT}",
        *,
        center_hz: float | None = None,
        sample_rate_hz: float | None = None,
        gain_db: float | None = None,
        ppm: int = 0,
        settle_s: float | None = None,
        agc: bool | None = None,
        bias_tee: bool | None = None,
        direct_sampling: int | None = None,
        offset_tuning: bool | None = None,
        test_mode: bool = False,
        backlog_bytes: int = DEFAULT_BACKLOG_BYTES,
        drain: bool = True,
        command_latency_s: float = 0.005,
        rate_settle_s: float = RATE_CHANGE_SETTLE_S,
        timeout_s: float = 2.0,
        connect_timeout_s: float = 3.0,
        reconnect: bool = False,
        reconnect_tries: int = 5,
        reconnect_backoff_s: float = 0.1,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme.lower() != "rtltcp" or not parts.hostname:
            raise SourceError(f"{url!r}: write rtltcp://HOST:PORT (e.g. rtltcp://127.0.0.1:1234)")
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise SourceError(f"{url}: bad port number") from None
        self.host: str = parts.hostname
        self.port: int = port
        base_url = f"rtltcp://{parts.netloc}"
        super().__init__(
            base_url,
            center_hz=center_hz,
            sample_rate_hz=sample_rate_hz,
            gain_db=gain_db,
            ppm=ppm,
            settle_s=settle_s,
        )
        self._agc = agc
        self.bias_tee = bias_tee
        self.direct_sampling = direct_sampling
        self.offset_tuning = offset_tuning
        self.test_mode = bool(test_mode)
        if backlog_bytes < 0:
            raise SourceError(f"{url}: backlog_bytes must be >= 0")
        self.backlog_bytes = int(backlog_bytes) & ~1
        self.drain = bool(drain)
        self.command_latency_s = max(0.0, float(command_latency_s))
        self.rate_settle_s = max(0.0, float(rate_settle_s))
        if not (timeout_s > 0 and connect_timeout_s > 0):
            raise SourceError(f"{url}: timeouts must be > 0")
        self.timeout_s = float(timeout_s)
        self.connect_timeout_s = float(connect_timeout_s)
        self.reconnect = bool(reconnect)
        self.reconnect_tries = max(1, int(reconnect_tries))
        self.reconnect_backoff_s = max(0.0, float(reconnect_backoff_s))
        self._sock: socket.socket | None = None
        self._server_tuner: TunerSpec | None = None
        self._gain_count = 0
        self._last_rx = time.monotonic()
        self._scratch = bytearray(_SCRATCH)
        #: Number of successful reconnections.
        self.reconnects = 0
        #: Bytes drained from the socket (old-tuning data) over all changes.
        self.drained_bytes = 0

    @classmethod
    def from_url(cls, url: str, **kw: Any) -> RtlTcpSource:
        """``rtltcp://HOST:PORT?reconnect=1&timeout_s=2`` (keyword arguments win over the query)."""
        options = {**cls.parse_query(url), **kw}
        return cls(url.split("?", 1)[0], **options)

    def _info_extra(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "gain_count": self._gain_count,
            "backlog_bytes": self.backlog_bytes,
            "reconnects": self.reconnects,
        }

    # -- connection -----------------------------------------------------------------------
    def _connect(self) -> socket.socket:
        where = self.url
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
        except ConnectionRefusedError as err:
            raise SourceError(
                f"{where}: connection refused: no rtl_tcp server listens there "
                f"(start one: rtl_tcp -a ADDRESS, or rfscan rtltcp-sim)"
            ) from err
        except socket.gaierror as err:
            raise SourceError(f"{where}: cannot resolve host {self.host!r}: {err.strerror}") from err
        except TimeoutError as err:
            raise SourceError(
                f"{where}: no answer within {self.connect_timeout_s:.1f} s (host down or port filtered?)"
            ) from err
        except OSError as err:
            raise SourceError(f"{where}: cannot connect: {err.strerror or err}") from err
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(self.timeout_s)
            header = bytearray()
            deadline = time.monotonic() + self.timeout_s
            while len(header) < HEADER_LEN:
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                try:
                    chunk = sock.recv(HEADER_LEN - len(header))
                except TimeoutError:
                    raise SourceError(
                        f"{where}: no rtl_tcp header within {self.timeout_s:.1f} s "
                        f"(not an rtl_tcp server, or it is busy with another client?)"
                    ) from None
                except OSError as err:
                    raise SourceError(f"{where}: connection lost while reading the header: {err}") from err
                if not chunk:
                    raise SourceError(
                        f"{where}: server closed the connection before sending the rtl_tcp header "
                        f"(another client connected? rtl_tcp serves one at a time)"
                    )
                header += chunk
            tuner_type, gain_count = parse_header(bytes(header), where)
            sock.settimeout(self.timeout_s)
        except BaseException:
            sock.close()
            raise
        self._server_tuner = tuner_by_code(tuner_type)
        self._tuner = self._server_tuner
        self._gain_count = gain_count
        if self._tuner.gains_tenth_db and gain_count != len(self._tuner.gains_tenth_db):
            log.info(
                "%s: server reports %d gains for %s, expected %d",
                where,
                gain_count,
                self._tuner.name,
                len(self._tuner.gains_tenth_db),
            )
        self._last_rx = time.monotonic()
        return sock

    def _send_settings(self) -> None:
        """Send every setting the client owns (after connecting or reconnecting)."""
        self._command(CMD_SAMPLE_RATE, round(self._rate_hz))
        if self._center_hz is not None:
            self.check_frequency(self._center_hz)
            self._command(CMD_FREQ, round(self._center_hz))
        self._send_gain(self._gain_db)
        if self._ppm:
            self._command(CMD_PPM, self._ppm)
        if self._agc is not None:
            self._command(CMD_AGC, int(self._agc))
        if self.direct_sampling is not None:
            self._command(CMD_DIRECT_SAMPLING, int(self.direct_sampling))
        if self.offset_tuning is not None:
            self._command(CMD_OFFSET_TUNING, int(self.offset_tuning))
        if self.bias_tee is not None:
            self._command(CMD_BIAS_TEE, int(self.bias_tee))
        if self.test_mode:
            self._command(CMD_TEST_MODE, 1)

    def _send_gain(self, gain_db: float | None) -> None:
        if gain_db is None:
            self._command(CMD_GAIN_MODE, 0)
        else:
            self._command(CMD_GAIN_MODE, 1)
            self._command(CMD_GAIN, self._tuner.nearest_gain_tenth_db(gain_db))

    def _command(self, cmd: int, param: int) -> None:
        sock = self._sock
        if sock is None:
            raise SourceError(f"{self.url}: not connected")
        try:
            sock.sendall(command_bytes(cmd, param))
        except OSError as err:
            raise _LostError(f"connection lost while sending a command: {err.strerror or err}") from err

    # -- stream reading -------------------------------------------------------------------
    def _recv_exact(self, view: memoryview) -> None:
        """Fill ``view`` from the socket (any piece sizes, odd ones included)."""
        sock = self._sock
        assert sock is not None
        got = 0
        total = len(view)
        while got < total:
            try:
                k = sock.recv_into(view[got:], total - got)
            except TimeoutError:
                raise _LostError(f"no samples for {self.timeout_s:.1f} s (server stalled?)", got) from None
            except OSError as err:
                raise _LostError(f"connection lost: {err.strerror or err}", got) from err
            if k == 0:
                raise _LostError("server closed the connection (rtl_tcp stopped, or it was killed?)", got)
            got += k
            self._last_rx = time.monotonic()

    def _discard(self, nbytes: int) -> None:
        view = memoryview(self._scratch)
        left = nbytes
        while left > 0:
            k = min(left, len(view))
            self._recv_exact(view[:k])
            left -= k

    def _drain(self) -> int:
        """Read and drop what is already queued (stop at the live edge); returns bytes dropped."""
        sock = self._sock
        assert sock is not None
        limit = max(8 << 20, int(4 * self._rate_hz))  # bound: a server faster than us never blocks
        dropped = 0
        view = memoryview(self._scratch)
        while dropped < limit:
            try:
                readable, _, _ = select.select([sock], [], [], 0)
            except (OSError, ValueError) as err:
                raise _LostError(f"connection lost: {err}") from err
            if not readable:
                break
            try:
                k = sock.recv_into(view, len(view))
            except OSError as err:
                raise _LostError(f"connection lost: {err.strerror or err}") from err
            if k == 0:
                raise _LostError("server closed the connection (rtl_tcp stopped, or it was killed?)")
            dropped += k
        if dropped % 2:
            self._recv_exact(view[:1])  # keep whole samples: finish the half sample
            dropped += 1
        return dropped

    def _discard_backlog(self, rate_change: bool = False) -> None:
        """Throw away the old-setting backlog after a command (drain, server buffer, settle)."""
        if self.drain and self.command_latency_s:
            time.sleep(self.command_latency_s)
        drained = self._drain() if self.drain else 0
        self.drained_bytes += drained
        settle = self.settle_s + (self.rate_settle_s if rate_change else 0.0)
        extra = self.backlog_bytes + 2 * math.ceil(settle * self._rate_hz)
        self._discard(extra)
        n = (drained + extra) // 2
        self._position += n
        self._discarded += n

    def _after_change(self, rate_change: bool = False) -> None:
        """Discard the backlog; a connection loss on the way reconnects or raises."""
        try:
            self._discard_backlog(rate_change)
        except _LostError as lost:
            self._recover(str(lost))

    def _recover(self, reason: str) -> None:
        """Reconnect (if enabled) after a failure, else raise SourceError."""
        if not self.reconnect:
            self._drop_socket()
            raise SourceError(f"{self.url}: {reason}")
        t_lost = self._last_rx
        self._drop_socket()
        log.warning("%s: %s; reconnecting", self.url, reason)
        last_err: Exception | None = None
        for attempt in range(self.reconnect_tries):
            time.sleep(min(2.0, self.reconnect_backoff_s * (2**attempt)))
            try:
                self._sock = self._connect()
                self._send_settings()
                gap = max(0, round((time.monotonic() - t_lost) * self._rate_hz))
                self._dropped += gap
                self._position += gap
                self._discard_backlog(rate_change=True)
            except (SourceError, _LostError) as err:
                last_err = err
                self._drop_socket()
                continue
            self.reconnects += 1
            log.warning("%s: reconnected (attempt %d)", self.url, attempt + 1)
            return
        raise SourceError(
            f"{self.url}: {reason}; {self.reconnect_tries} reconnect attempts failed (last: {last_err})"
        )

    def _drop_socket(self) -> None:
        sock = self._sock
        self._sock = None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    # -- hooks ----------------------------------------------------------------------------
    def _open(self) -> None:
        self._sock = self._connect()
        try:
            self._send_settings()
            self._discard_backlog(rate_change=True)
        except _LostError as lost:
            self._recover(str(lost))
        except BaseException:
            self._drop_socket()
            raise

    def _close(self) -> None:
        self._drop_socket()

    def _guarded(self, cmd: int, param: int) -> None:
        try:
            self._command(cmd, param)
        except _LostError as lost:
            self._recover(str(lost))

    def _tune(self, freq_hz: float) -> None:
        self._center_hz = freq_hz
        self._guarded(CMD_FREQ, round(freq_hz))
        self._after_change()

    def _set_sample_rate(self, rate_hz: float) -> None:
        self._rate_hz = rate_hz
        self._guarded(CMD_SAMPLE_RATE, round(rate_hz))
        self._after_change(rate_change=True)

    def _set_gain(self, gain_db: float | None) -> None:
        self._gain_db = gain_db
        try:
            self._send_gain(gain_db)
        except _LostError as lost:
            self._recover(str(lost))
        self._after_change()

    def _set_ppm(self, ppm: int) -> None:
        self._ppm = ppm
        self._guarded(CMD_PPM, ppm)
        self._after_change()

    def _set_agc(self, enabled: bool) -> None:
        self._agc = enabled
        self._guarded(CMD_AGC, int(enabled))
        self._after_change()

    def _read(self, num_samples: int) -> SourceBlock:
        from rfscan.iq import to_complex64

        raw = np.empty(2 * num_samples, dtype=np.uint8)
        view = memoryview(raw.data).cast("B")
        while True:
            start = self._position
            try:
                self._recv_exact(view)
            except _LostError as lost:
                # The samples before the outage cannot join the ones after it: drop them.
                self._short += 1
                partial = lost.got // 2
                self._dropped += partial
                self._position += partial
                self._recover(str(lost))
                continue
            break
        t_end = time.monotonic()
        self._position = start + num_samples
        t_first = t_end - num_samples / self._rate_hz
        return self._block(to_complex64(raw, "cu8"), start, t_first)
