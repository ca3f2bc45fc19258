"""``rtltcp://HOST:PORT``: a client of osmocom's rtl_tcp (not pyrtlsdr's own TCP protocol).

Protocol (osmocom src/rtl_tcp.c): the server first sends 12 bytes ``RTL0`` + tuner type (u32 BE) +
gain count (u32 BE), then raw cu8 I/Q without any framing.  Commands are 5 bytes,
``struct.pack(">BI", cmd, param)``: 0x01 frequency (Hz), 0x02 sample rate (Hz), 0x03 gain mode
(0 auto, 1 manual), 0x04 gain (tenths of dB), 0x05 ppm, 0x06 IF gain (stage << 16 | gain),
0x07 test mode, 0x08 RTL AGC, 0x09 direct sampling, 0x0a offset tuning, 0x0d gain by index,
0x0e bias tee.  The bias tee is never touched unless asked: it powers an antenna amplifier and a
user may have started ``rtl_tcp -T`` on purpose.

Retune: which samples are clean
-------------------------------
The stream carries no marker of when a command took effect, so the client reasons on *transfer
boundaries*.  osmocom's rtl_tcp calls ``rtlsdr_read_async(dev, rtlsdr_callback, NULL, buf_num, 0)``
(src/rtl_tcp.c): a buffer length of 0 selects DEFAULT_BUF_LENGTH = 16 * 32 * 512 = 262144 bytes
(src/librtlsdr.c); the callback copies each filled USB transfer whole into a linked list and the
TCP worker sends every list entry whole, in order (it drops whole entries when the list overflows).
After the 12-byte header, stream byte ``p`` therefore lies in transfer ``p // transfer_bytes``, and
transfer ``k`` is filled (captured) from the moment transfer ``k - 1`` is complete.  A command takes
effect at the capture position at the moment the server applies it; the tuner's PLL then needs
``settle_s`` to lock.

The rule, for the last command sent at client time ``T`` (``settle_s`` plus ``rate_settle_s`` after
a rate change or a (re)connection, margin ``latency_margin_s``):

1. read and drop whatever arrives until the first moment ``W >= T + settle + margin`` at which the
   socket is *empty* (``select`` says nothing is readable); ``q`` is then the stream position;
2. drop up to the first transfer boundary ``b > q``; samples from ``b`` on are delivered.

Why no old or unsettled sample gets through: the socket was empty at ``W``, so the last byte of the
transfer holding byte ``q`` (byte ``b - 1``) reached this host after ``W``.  It was captured at most
``margin_data`` before arriving (USB completion, the server's list, the network), so transfer
``b`` began filling after ``W - margin_data >= T + margin_cmd + settle``; the command reached the
server by ``T + margin_cmd`` and the tuner was settled ``settle`` later.  ``latency_margin_s`` must
cover ``margin_cmd + margin_data``: the command's one-way trip plus the data's (capture to
arrival).  The default (20 ms) suits the same host or a wired LAN; on Wi-Fi (a Pi: a few ms to
tens of ms each way, more when the link retransmits) give ``?latency_margin_s=0.05`` or more.
A larger margin costs a whole transfer only when the retune comes less than ``settle + margin``
before the end of the transfer being filled.

The argument needs the server's buffer list to be empty, i.e. the client to keep reading: a
client that stops reading for longer than the margin lets rtl_tcp queue transfers (up to 500), and
while that queue drains over a slow link the socket can look empty in the middle of it, so ``W``
would not be the live edge.  The sweep engine therefore never makes an rtl_tcp reader wait for the
analysis (a dwell it cannot queue is dropped and counted as ``dwells_unanalysed``), and the
retune happens inside the read that precedes it (:meth:`RtlTcpSource.read_and_tune`).  A short stall
(the interpreter, the scheduler: a few ms) drains long before ``W`` on a LAN.

Cost: a retune right after a read lands early in a transfer; that transfer is dropped, the next
one is clean, and its samples arrive when it is complete: two transfer times (2 x 54.6 ms at
2.4 MS/s) from one retune to the next dwell's samples, of which one transfer (plus what was left
unread of the previous one) is discarded.  The physical floor, one transfer per hop, needs the next
frequency sent while the current dwell's transfer is still being filled:
:meth:`RtlTcpSource.read_and_tune` sends it once the dwell's last sample has surely been captured
(the transfer before it arrived by time ``t``, so the dwell's transfer began filling before ``t``;
samples are captured at the sample rate from there), and applies the same rule from that moment.

``transfer_bytes`` (262144 by default) must equal the server's transfer length or a multiple of it
(rtl_tcp forks and bridges may use other sizes: ``?transfer_bytes=N``; a multiple only costs more
discarded samples); ``extra_discard_bytes`` drops more after the boundary.  Every discarded
sample still advances ``sample_start``.

Failures: connection refused/reset/closed, no header within ``timeout_s``, a bad magic, and no
samples for ``timeout_s`` raise :class:`~rfscan.errors.SourceError`.  With ``reconnect=True`` a
failed read reconnects (back-off ``reconnect_backoff_s * 2**k``, ``reconnect_tries`` times),
re-sends every setting, counts the outage as ``dropped_samples`` and discards the backlog again.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import select
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

import numpy as np

from rfscan.errors import SourceError
from rfscan.sources.base import (
    DEFAULT_SETTLE_S,
    Source,
    SourceBlock,
    TunerSpec,
    parse_bool,
    tuner_by_code,
)

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
    "DEFAULT_LATENCY_MARGIN_S",
    "DEFAULT_PORT",
    "DEFAULT_TRANSFER_BYTES",
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

#: One librtlsdr USB transfer: DEFAULT_BUF_LENGTH = 16 * 32 * 512 bytes (src/librtlsdr.c), the unit
#: rtl_tcp sends (src/rtl_tcp.c passes a buffer length of 0, i.e. the default).
DEFAULT_TRANSFER_BYTES = 16 * 32 * 512
#: Default time for the retune command to reach the server plus the data's trip back (see the
#: module notes): the same host or a wired LAN; raise it for Wi-Fi.
DEFAULT_LATENCY_MARGIN_S = 0.020
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
        See :class:`~rfscan.sources.base.Source` (``settle_s``: PLL lock time, 10 ms by default).
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
    transfer_bytes : int
        The server's transfer length in bytes, or a multiple of it (even; see module notes).
    latency_margin_s : float
        Bound on the command's trip to the server plus the data's trip back (see module notes).
    extra_discard_bytes : int
        Bytes dropped after the first clean transfer boundary on every change (default 0).
    rate_settle_s : float
        Extra settle time after a rate change and on (re)connecting (default 100 ms).
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
    default_settle_s = DEFAULT_SETTLE_S
    query_keys: ClassVar[dict[str, Callable[[str], Any]]] = {
        "reconnect": parse_bool,
        "reconnect_tries": int,
        "reconnect_backoff_s": float,
        "timeout_s": float,
        "connect_timeout_s": float,
        "transfer_bytes": int,
        "latency_margin_s": float,
        "extra_discard_bytes": int,
        "agc": parse_bool,
        "bias_tee": parse_bool,
        "direct_sampling": int,
        "offset_tuning": parse_bool,
        "test_mode": parse_bool,
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
        transfer_bytes: int = DEFAULT_TRANSFER_BYTES,
        latency_margin_s: float = DEFAULT_LATENCY_MARGIN_S,
        extra_discard_bytes: int = 0,
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
        if transfer_bytes < 2 or transfer_bytes % 2:
            raise SourceError(
                f"{url}: transfer_bytes must be an even number >= 2 (rtl_tcp: {DEFAULT_TRANSFER_BYTES})"
            )
        self.transfer_bytes = int(transfer_bytes)
        if not (math.isfinite(latency_margin_s) and 0.0 <= latency_margin_s <= 10.0):
            raise SourceError(f"{url}: latency_margin_s must be 0..10 s, got {latency_margin_s!r}")
        self.latency_margin_s = float(latency_margin_s)
        if extra_discard_bytes < 0:
            raise SourceError(f"{url}: extra_discard_bytes must be >= 0")
        self.extra_discard_bytes = int(extra_discard_bytes) & ~1
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
        self._t_cmd = time.monotonic()
        self._stream_bytes = 0
        #: Latest transfer boundary crossed (stream byte) and when its bytes were received.
        self._boundary: tuple[int, float] | None = None
        #: The last few (boundary, arrival time) pairs, to time-stamp blocks (see _read_block).
        self._boundaries: deque[tuple[int, float]] = deque(maxlen=4)
        #: When the socket was seen empty after the last command, and the stream position then.
        self._quiet: tuple[float, int] | None = None
        self._scratch = bytearray(_SCRATCH)
        #: Number of successful reconnections.
        self.reconnects = 0
        #: Number of retunes (and other changes) whose old samples were discarded.
        self.changes = 0
        #: Changes for which the socket never went quiet (the server outran this client) and the
        #: boundary rule fell back to the position reached (see :meth:`_discard_until_clean`).
        self.unsafe_changes = 0

    @classmethod
    def from_url(cls, url: str, **kw: Any) -> RtlTcpSource:
        """``rtltcp://HOST:PORT?reconnect=1&latency_margin_s=0.05`` (keyword arguments win)."""
        options = {**cls.parse_query(url), **kw}
        return cls(url.split("?", 1)[0], **options)

    @property
    def stream_sample_position(self) -> int:
        """Samples received (delivered or discarded) on the current connection since its header."""
        return self._stream_bytes // 2

    @property
    def backlog_bytes(self) -> int:
        """Stream lost per retune beyond ``settle_s``, on average, for plan estimates (bytes).

        A retune right after a read drops the transfer being filled and delivers the next one once
        it is complete: ``settle_s + backlog_bytes / 2 / rate`` is two transfer times.
        """
        settle_bytes = 2 * math.ceil(self.settle_s * self._rate_hz)
        return max(0, 2 * self.transfer_bytes - settle_bytes) + self.extra_discard_bytes

    def _info_extra(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "gain_count": self._gain_count,
            "transfer_bytes": self.transfer_bytes,
            "latency_margin_s": self.latency_margin_s,
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
        self._stream_bytes = 0
        self._boundary = None
        self._boundaries.clear()
        self._quiet = None
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
        # Taken after sending: the command left at or before this time (the safe side for the rule).
        self._t_cmd = time.monotonic()
        self._quiet = None

    # -- stream reading -------------------------------------------------------------------
    def _recv_some(self, view: memoryview) -> int:
        """One ``recv_into`` (blocking up to ``timeout_s``); counts the stream position."""
        sock = self._sock
        assert sock is not None
        try:
            k = sock.recv_into(view, len(view))
        except TimeoutError:
            raise _LostError(f"no samples for {self.timeout_s:.1f} s (server stalled?)") from None
        except OSError as err:
            raise _LostError(f"connection lost: {err.strerror or err}") from err
        if k == 0:
            raise _LostError("server closed the connection (rtl_tcp stopped, or it was killed?)")
        before = self._stream_bytes
        self._stream_bytes += k
        self._last_rx = time.monotonic()
        if self._stream_bytes // self.transfer_bytes > before // self.transfer_bytes:
            # The transfer ending at this boundary was complete (captured) by now at the latest.
            self._boundary = (self._stream_bytes // self.transfer_bytes * self.transfer_bytes, self._last_rx)
            self._boundaries.append(self._boundary)
        return k

    def _recv_exact(
        self, view: memoryview, send_at: tuple[Callable[[], float], Callable[[], None]] | None = None
    ) -> None:
        """Fill ``view`` from the socket (any piece sizes, odd ones included).

        ``send_at = (due, action)`` calls ``action`` (sending a command) once, as soon as the clock
        passes ``due()`` (asked again after every piece) or at the end; after it, the first moment
        the socket is seen empty once the command's settle time and margin are over is recorded for
        :meth:`_discard_until_clean` (step 1 of the rule, observed while reading).
        """
        got = 0
        total = len(view)
        watch = send_at is not None
        while got < total:
            try:
                now = time.monotonic()
                if send_at is not None:
                    due = send_at[0]()
                    if now >= due:
                        send_at[1]()
                        send_at = None
                        continue
                    if not self._wait_readable(min(due - now, self.timeout_s)):
                        self._check_stall()
                        continue
                elif watch and self._quiet is None:
                    ready_at = self._t_cmd + self.settle_s + self.latency_margin_s
                    if now < ready_at:
                        if not self._wait_readable(min(ready_at - now, self.timeout_s)):
                            self._check_stall()
                            continue
                    elif not self._wait_readable(0.0):
                        self._quiet = (now, self._stream_bytes)
                got += self._recv_some(view[got:])
            except _LostError as lost:
                raise _LostError(str(lost), got) from None
        if send_at is not None:
            send_at[1]()

    def _check_stall(self) -> None:
        if time.monotonic() - self._last_rx > self.timeout_s:
            raise _LostError(f"no samples for {self.timeout_s:.1f} s (server stalled?)")

    def _wait_readable(self, wait_s: float) -> bool:
        """Wait up to ``wait_s`` for data; True if readable."""
        sock = self._sock
        assert sock is not None
        try:
            readable, _, _ = select.select([sock], [], [], max(0.0, wait_s))
        except (OSError, ValueError) as err:
            raise _LostError(f"connection lost: {err}") from err
        return bool(readable)

    def _discard_bytes(self, nbytes: int) -> None:
        """Read and drop ``nbytes``; every whole sample passed advances the positions."""
        view = memoryview(self._scratch)
        left = nbytes
        while left > 0:
            before = self._stream_bytes
            try:
                k = self._recv_some(view[: min(left, len(view))])
            finally:
                self._count_discarded(before)
            left -= k

    def _count_discarded(self, before: int) -> None:
        n = self._stream_bytes // 2 - before // 2
        self._position += n
        self._discarded += n

    def _discard_until_clean(self, settle_s: float) -> None:
        """Drop everything up to the first transfer boundary proven clean (module notes, steps 1-2)."""
        sock = self._sock
        assert sock is not None
        ready_at = self._t_cmd + settle_s + self.latency_margin_s
        # A server that outruns this client never leaves the socket empty: give up after this much.
        limit = max(8 << 20, int(8 * self._rate_hz))
        dropped = 0
        view = memoryview(self._scratch)
        quiet = self._quiet
        while quiet is None or quiet[0] < ready_at:
            now = time.monotonic()
            wait = max(0.0, ready_at - now)
            try:
                readable, _, _ = select.select([sock], [], [], min(wait, self.timeout_s))
            except (OSError, ValueError) as err:
                raise _LostError(f"connection lost: {err}") from err
            if not readable:
                if now >= ready_at:
                    quiet = (now, self._stream_bytes)  # every byte not yet read arrives after `now`
                    break
                self._check_stall()
                continue
            before = self._stream_bytes
            try:
                dropped += self._recv_some(view)
            finally:
                self._count_discarded(before)
            if dropped >= limit and now >= ready_at:
                self.unsafe_changes += 1
                log.warning(
                    "%s: the stream never paused after a retune (server faster than this client?): "
                    "old samples may be delivered",
                    self.url,
                )
                quiet = (now, self._stream_bytes)
                break
        self._quiet = None
        q = quiet[1]
        tb = self.transfer_bytes
        boundary = max((q // tb + 1) * tb, -(-self._stream_bytes // tb) * tb)
        self._discard_bytes(boundary - self._stream_bytes + self.extra_discard_bytes)
        self.changes += 1

    def _discard_backlog(self, rate_change: bool = False) -> None:
        """Throw away what precedes the settled new setting (see the module notes)."""
        self._discard_until_clean(self.settle_s + (self.rate_settle_s if rate_change else 0.0))

    def _after_change(self, rate_change: bool = False) -> None:
        """Discard the old-setting samples; a connection loss on the way reconnects or raises."""
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
        return self._read_block(num_samples, None)

    def _read_block(self, num_samples: int, then: tuple[int, int] | None) -> SourceBlock:
        """Read ``num_samples``; send command ``then`` as soon as their capture is over."""
        from rfscan.iq import to_complex64

        raw = np.empty(2 * num_samples, dtype=np.uint8)
        view = memoryview(raw.data).cast("B")
        while True:
            start = self._position
            start_byte = self._stream_bytes
            send_at = None
            if then is not None:
                end = self._stream_bytes + 2 * num_samples
                send_at = (functools.partial(self._captured_by, end), functools.partial(self._command, *then))
            try:
                self._recv_exact(view, send_at)
            except _LostError as lost:
                # The samples before the outage cannot join the ones after it: drop them.  The
                # reconnection re-sends the current settings, so ``then`` is sent again.
                self._short += 1
                partial = lost.got // 2
                self._dropped += partial
                self._position += partial
                self._recover(str(lost))
                continue
            break
        t_end = time.monotonic()
        self._position = start + num_samples
        # When the first sample was captured: the transfer holding it began filling when the one
        # before it was complete, i.e. (less the network latency) when that one's last byte arrived.
        # Without that boundary, the arrival of the last sample (late by up to a transfer).
        t_first = t_end - num_samples / self._rate_hz
        tb = self.transfer_bytes
        for b, t_rx in self._boundaries:
            if b <= start_byte < b + tb:
                t_first = t_rx + (start_byte - b) / 2 / self._rate_hz
        return self._block(to_complex64(raw, "cu8"), start, t_first)

    def _captured_by(self, end: int) -> float:
        """A time by which stream bytes up to ``end`` have surely been captured (inf: unknown yet).

        The transfer ending at the latest boundary crossed was complete when its bytes arrived, so
        the next transfer began filling before then and fills at the sample rate (allowing for a
        clock 1000 ppm slow; a 1 ms guard covers the clocks' resolution).  Only within that
        transfer: samples lost between transfers (USB overflow, rtl_tcp dropping list entries) would
        delay the following ones, so a later ``end`` waits for the next boundary.
        """
        if self._boundary is None:
            return math.inf
        boundary, t_rx = self._boundary
        if end - boundary > self.transfer_bytes:
            return math.inf
        return t_rx + (end - boundary) / 2 / (self._rate_hz * (1 - 1e-3)) + 0.001

    # -- pipelined sweeping -----------------------------------------------------------------
    def read_and_tune(self, num_samples: int, next_center_hz: float) -> SourceBlock:
        """Read ``num_samples`` at the current tuning, retuning to ``next_center_hz`` meanwhile.

        The frequency command leaves as soon as the last of these samples has surely been captured
        (see :meth:`_captured_by`), before the transfer holding them has arrived, so the next dwell
        can start one transfer later instead of two: ``tune(f1); read(n); tune(f2); read(n)`` becomes
        ``tune(f1); read_and_tune(n, f2); read(n)``.  Same guarantees as :meth:`tune` (see the
        module notes); afterwards :attr:`center_hz` is ``next_center_hz``.

        Raises
        ------
        SourceError
            Not open, nothing tuned, a bad count or frequency, or the server failed.
        """
        f = self.check_frequency(next_center_hz)
        n = self._readable_count(num_samples)
        block = self._read_block(n, (CMD_FREQ, round(f)))
        self._tune_position = self._position
        self._center_hz = f
        self._after_change()
        return block
