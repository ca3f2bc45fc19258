"""``file://PATH``: replay a recording as if it came from a live dongle.

Any recording :func:`rfscan.iq.open_recording` opens works (SigMF pair or archive, raw ``.cu8``
with its rate and centre in the name or in ``?rate=2.4M&center=868M&format=cu8``).

* Blocks never straddle a capture boundary: ``read(n)`` returns fewer samples at the end of a
  capture (counted in ``short_reads``); each block carries its capture's centre frequency.
* Without ``tune()`` the replay runs through the whole recording, following its captures.
* ``tune(f)`` jumps to the first capture recorded at ``f`` (within 1 Hz) and from then on replays
  only the captures at ``f``, in order; tuning to a frequency the recording never visited raises
  :class:`~rfscan.errors.SourceError` (a recording cannot be retuned).
* At the end: ``loop=1`` starts again (from the first capture at the tuned frequency), otherwise
  ``read`` raises SourceError.
* The sample rate is the recording's: ``set_sample_rate`` to another rate raises SourceError;
  gain, ppm and AGC changes are accepted and have no effect (the recording is what it is).
* ``realtime=1`` paces reads at the sample rate; otherwise blocks come as fast as they are read,
  with a virtual clock.  Replay needs no settling: ``settle_s`` is 0.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rfscan.errors import RfscanError, SourceError
from rfscan.sources.base import Source, SourceBlock, parse_bool
from rfscan.units import format_hz

__all__ = ["FileSource"]

log = logging.getLogger(__name__)

#: Two frequencies closer than this are the same capture frequency.
FREQ_TOLERANCE_HZ = 1.0


class FileSource(Source):
    """Replay of an IQ recording (``file://PATH?loop=1&realtime=1``).

    Parameters
    ----------
    path : str or Path
        The recording.
    url : str or None
        URL for messages (default ``file://PATH``).
    loop : bool
        Start again at the end instead of raising.
    realtime : bool
        Pace reads at the sample rate.
    fmt : str or None
        Sample format of a raw file (``cu8``...).
    sample_rate_hz, center_hz : float or None
        For raw files whose name does not say them.
    gain_db, ppm, settle_s
        Accepted for compatibility; they change nothing in a replay.
    """

    scheme = "file"
    default_settle_s = 0.0
    query_keys: ClassVar[dict[str, Callable[[str], Any]]] = {
        "loop": parse_bool,
        "realtime": parse_bool,
        "format": str,
        "fmt": str,
    }

    def __init__(
        self,
        path: str | Path,
        *,
        url: str | None = None,
        loop: bool = False,
        realtime: bool = False,
        fmt: str | None = None,
        format: str | None = None,
        sample_rate_hz: float | None = None,
        center_hz: float | None = None,
        gain_db: float | None = None,
        ppm: int = 0,
        settle_s: float | None = None,
    ) -> None:
        super().__init__(url or f"file://{path}", gain_db=gain_db, ppm=ppm, settle_s=settle_s)
        self.path = Path(path)
        self.loop = bool(loop)
        self.realtime = bool(realtime)
        self.fmt = fmt or format
        self._raw_rate = sample_rate_hz
        self._raw_center = center_hz
        self._rec: Any = None
        self._locked: float | None = None
        self._cap = 0
        self._file_pos = 0
        self._ref_t = 0.0
        self._ref_pos = 0

    @classmethod
    def from_url(cls, url: str, **kw: Any) -> FileSource:
        """``file:///abs/path.sigmf-meta`` or ``file://relative/path.cu8`` (query: loop, realtime, ...)."""
        rest = url.split("://", 1)[1].split("?", 1)[0]
        if not rest:
            raise SourceError(f"{url}: name a recording: file:///path/to/scan.sigmf-meta")
        options = {**cls.parse_query(url), **kw}
        return cls(rest, url=url, **options)

    # -- facts of the recording -------------------------------------------------------------
    @property
    def recording(self) -> Any:
        """The open :class:`rfscan.iq.Recording` (None when closed)."""
        return self._rec

    @property
    def file_position(self) -> int:
        """Index in the recording of the next sample to replay."""
        return self._file_pos

    def _info_extra(self) -> dict[str, Any]:
        return {"path": str(self.path), "loop": self.loop, "realtime": self.realtime}

    def check_frequency(self, freq_hz: float) -> float:
        """Any finite frequency passes here; :meth:`tune` checks the recording has it."""
        f = float(freq_hz)
        if not math.isfinite(f):
            raise SourceError(f"{self.url}: frequency must be finite, got {freq_hz!r}")
        return f

    def set_sample_rate(self, rate_hz: float) -> None:
        """Only the recording's own rate is possible.

        Raises
        ------
        SourceError
            For any other rate.
        """
        if self._rec is not None and abs(float(rate_hz) - self._rate_hz) > 1e-6 * self._rate_hz:
            raise SourceError(
                f"{self.url}: the recording was made at {format_hz(self._rate_hz, 'S/s')}: "
                f"a replay cannot change its sample rate to {format_hz(float(rate_hz), 'S/s')}"
            )

    # -- capture navigation -----------------------------------------------------------------
    def _cap_span(self, i: int) -> tuple[int, int]:
        rec = self._rec
        starts = [0] + [c.sample_start for c in rec.captures[1:]]
        end = starts[i + 1] if i + 1 < len(starts) else rec.num_samples
        return starts[i], end

    def _wanted(self, i: int) -> bool:
        if self._locked is None:
            return True
        return bool(abs(self._rec.captures[i].center_hz - self._locked) <= FREQ_TOLERANCE_HZ)

    def _next_capture(self, after: int) -> int | None:
        for i in range(after + 1, len(self._rec.captures)):
            a, b = self._cap_span(i)
            if b > a and self._wanted(i):
                return i
        return None

    def _enter(self, i: int) -> None:
        self._cap = i
        self._file_pos = self._cap_span(i)[0]
        self._center_hz = float(self._rec.captures[i].center_hz)

    # -- hooks ----------------------------------------------------------------------------
    def _open(self) -> None:
        from rfscan.iq import open_recording

        try:
            rec = open_recording(
                self.path, fmt=self.fmt, sample_rate_hz=self._raw_rate, center_hz=self._raw_center
            )
        except RfscanError as err:
            raise SourceError(f"{self.url}: {err}") from err
        if rec.num_samples == 0:
            rec.close()
            raise SourceError(f"{self.url}: the recording holds no samples")
        self._rec = rec
        self._rate_hz = float(rec.sample_rate_hz)
        self._ref_t = time.monotonic()
        self._ref_pos = 0
        wanted = self._center_hz
        self._locked = None
        self._enter(0)
        if wanted is not None:
            self._tune(wanted)

    def _close(self) -> None:
        rec = self._rec
        self._rec = None
        if rec is not None:
            rec.close()

    def _tune(self, freq_hz: float) -> None:
        if self._locked is not None and abs(freq_hz - self._locked) <= FREQ_TOLERANCE_HZ:
            return
        if (
            self._locked is None
            and abs(freq_hz - self._rec.captures[self._cap].center_hz) <= FREQ_TOLERANCE_HZ
        ):
            self._locked = freq_hz
            return
        previous = self._locked
        self._locked = freq_hz
        first = self._next_capture(-1)
        if first is None:
            self._locked = previous
            have = sorted({format_hz(c.center_hz) for c in self._rec.captures})
            raise SourceError(
                f"{self.url}: the recording has no capture at {format_hz(freq_hz)} "
                f"(it was recorded at {', '.join(have)}): a replay cannot be retuned"
            )
        self._enter(first)
        self._center_hz = float(self._rec.captures[first].center_hz)

    def tune(self, freq_hz: float) -> None:
        """Jump to the recording's capture at ``freq_hz`` (see the module notes)."""
        f = self.check_frequency(freq_hz)
        if self._opened:
            self._tune(f)
            self._tune_position = self._position
        else:
            self._center_hz = f

    def _set_sample_rate(self, rate_hz: float) -> None:  # pragma: no cover - set_sample_rate overrides
        self.set_sample_rate(rate_hz)

    def _set_gain(self, gain_db: float | None) -> None:
        log.debug("%s: gain change has no effect on a replay", self.url)

    def _set_ppm(self, ppm: int) -> None:
        log.debug("%s: ppm change has no effect on a replay", self.url)

    def _read(self, num_samples: int) -> SourceBlock:
        rec = self._rec
        _, end = self._cap_span(self._cap)
        if self._file_pos >= end:
            nxt = self._next_capture(self._cap)
            if nxt is None:
                if not self.loop:
                    where = "" if self._locked is None else f" at {format_hz(self._locked)}"
                    raise SourceError(
                        f"{self.url}: end of the recording{where} (add ?loop=1 to replay it again)"
                    )
                nxt = self._next_capture(-1)
                assert nxt is not None
            self._enter(nxt)
            _, end = self._cap_span(self._cap)
        count = min(num_samples, end - self._file_pos)
        if count < num_samples:
            self._short += 1
        samples = rec.read(self._file_pos, count)
        start = self._position
        if self.realtime:
            wake = self._ref_t + (start + count - self._ref_pos) / self._rate_hz
            now = time.monotonic()
            if wake > now:
                time.sleep(wake - now)
            t_mono = self._ref_t + (start - self._ref_pos) / self._rate_hz
        else:
            t_mono = self._mono0 + start / self._rate_hz
        self._file_pos += count
        self._position = start + count
        self._center_hz = float(rec.captures[self._cap].center_hz)
        return self._block(samples, start, t_mono, settled=True)
