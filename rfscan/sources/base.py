"""The radio source interface: one API for a local dongle, an rtl_tcp server, a simulation or a file.

A :class:`Source` is a context manager (``open()``/``close()`` may be called twice) with
``tune(freq_hz)``, ``set_sample_rate(rate_hz)``, ``set_gain(gain_db or None)``, ``set_ppm(ppm)``,
``set_agc(enabled)`` and ``read(num_samples) -> SourceBlock``.

Retune semantics
----------------
After ``tune()`` (and after a rate, gain, ppm or AGC change) a source discards the samples taken
before the new setting took effect and while the tuner settled, so every returned block belongs to
the frequency (and settings) it claims.  The discarded samples still advance ``sample_start``
(it counts every sample the radio produced since ``open()``) and are counted in
``discarded_samples``.  The settle time defaults to :data:`DEFAULT_SETTLE_S`:

* rtl_power retunes, waits 5 ms and throws away 4096 bytes (osmocom src/rtl_power.c);
* soapy_power logs 10-17 ms per hop; changing rate and frequency together takes ~100 ms
  (steve-m/librtlsdr#44).

Hardware limits (osmocom src/librtlsdr.c ``rtlsdr_set_sample_rate``): sample rates must be in
``(225 kHz, 300 kHz]`` or ``(900 kHz, 3.2 MHz]``; 2.4 MS/s is the highest rate known to run without
drops (rtl_test).  Tuning ranges depend on the tuner chip (``tuners.toml``).  Impossible requests
raise :class:`~rfscan.errors.SourceError`.
"""

from __future__ import annotations

import abc
import datetime as _dt
import logging
import math
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import numpy as np
from numpy.typing import NDArray

from rfscan.errors import SourceError
from rfscan.units import format_hz, parse_hz

__all__ = [
    "DEFAULT_SETTLE_S",
    "HARDWARE_SETTLE_S",
    "MAX_SAFE_SAMPLE_RATE_HZ",
    "RECOMMENDED_SAMPLE_RATE_HZ",
    "SAMPLE_RATE_RANGES_HZ",
    "Source",
    "SourceBlock",
    "SourceInfo",
    "TunerSpec",
    "check_sample_rate",
    "parse_bool",
    "tuner_by_code",
    "tuner_by_name",
]

log = logging.getLogger(__name__)

#: Rates librtlsdr accepts: ``low < rate <= high`` (librtlsdr.c rejects rate <= 225000,
#: 300000 < rate <= 900000 and rate > 3200000 with -EINVAL).
SAMPLE_RATE_RANGES_HZ: tuple[tuple[float, float], ...] = ((225_000.0, 300_000.0), (900_000.0, 3_200_000.0))
#: Rate known to run without dropped samples (rtl_test(1)).
RECOMMENDED_SAMPLE_RATE_HZ = 2_400_000.0
#: Above this rate many dongles/hosts drop samples (2.56-2.88 MS/s may work, 3.2 rarely).
MAX_SAFE_SAMPLE_RATE_HZ = 2_560_000.0
#: Shortest tuner settle time seen in practice: rtl_power waits 5 ms after a retune.
HARDWARE_SETTLE_S = 0.005
#: Default time discarded after a retune (upper end of soapy_power's 10-17 ms per hop minus the
#: USB transfer time; covers the R820T PLL lock and rtl_power's 5 ms + 4096-byte dump).
DEFAULT_SETTLE_S = 0.010


# --------------------------------------------------------------------------------------------------
# tuner facts (data: tuners.toml)


@dataclass(frozen=True)
class TunerSpec:
    """One tuner chip: its librtlsdr code, tuning ranges and gain steps.

    Parameters
    ----------
    name : str
        Chip name as librtlsdr spells it (``R820T``, ``E4000``...).
    type_code : int
        ``enum rtlsdr_tuner`` value (also sent in the rtl_tcp header).
    ranges_hz : tuple of (float, float)
        Tunable spans (a gap between spans cannot be tuned).
    gains_tenth_db : tuple of int
        Gain steps in tenths of a dB, as ``rtlsdr_get_tuner_gains`` lists them.
    source : str
        Where the facts come from.
    """

    name: str
    type_code: int
    ranges_hz: tuple[tuple[float, float], ...]
    gains_tenth_db: tuple[int, ...]
    source: str = ""

    @property
    def gains_db(self) -> tuple[float, ...]:
        """Gain steps in dB."""
        return tuple(g / 10.0 for g in self.gains_tenth_db)

    @property
    def tuning_range_hz(self) -> tuple[float, float]:
        """Lowest and highest tunable frequency (gaps are listed in :attr:`ranges_hz`)."""
        return (self.ranges_hz[0][0], self.ranges_hz[-1][1])

    def can_tune(self, freq_hz: float) -> bool:
        """True if ``freq_hz`` lies inside one of the tunable spans."""
        return any(lo <= freq_hz <= hi for lo, hi in self.ranges_hz)

    def nearest_gain_tenth_db(self, gain_db: float) -> int:
        """The supported gain step closest to ``gain_db`` (in tenths of a dB)."""
        if not self.gains_tenth_db:
            return round(gain_db * 10.0)
        return min(self.gains_tenth_db, key=lambda g: abs(g - gain_db * 10.0))


@cache
def _tuners() -> tuple[TunerSpec, ...]:
    text = (resources.files("rfscan.sources") / "tuners.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    out = []
    for t in data["tuner"]:
        out.append(
            TunerSpec(
                name=str(t["name"]),
                type_code=int(t["type_code"]),
                ranges_hz=tuple((float(lo) * 1e6, float(hi) * 1e6) for lo, hi in t["ranges_mhz"]),
                gains_tenth_db=tuple(int(g) for g in t["gains_tenth_db"]),
                source=str(t.get("source", "")),
            )
        )
    return tuple(out)


def tuner_by_name(name: str) -> TunerSpec:
    """Look a tuner up by name (case-insensitive; ``R820T2`` counts as ``R820T``).

    Raises
    ------
    SourceError
        For an unknown name.
    """
    key = name.strip().upper()
    if key == "R820T2":
        key = "R820T"
    for t in _tuners():
        if t.name == key:
            return t
    names = ", ".join(t.name for t in _tuners() if t.type_code)
    raise SourceError(f"unknown tuner {name!r} (known: {names})")


def tuner_by_code(code: int) -> TunerSpec:
    """Look a tuner up by its librtlsdr code; unknown codes give the ``UNKNOWN`` entry."""
    for t in _tuners():
        if t.type_code == code:
            return t
    return _tuners()[0]


def check_sample_rate(rate_hz: float, where: str) -> float:
    """Validate a sample rate against what librtlsdr accepts and return it as float.

    Raises
    ------
    SourceError
        If the rate is not finite or outside ``(225 k, 300 k]`` and ``(900 k, 3.2 M]``.
    """
    rate = float(rate_hz)
    if not math.isfinite(rate) or not any(lo < rate <= hi for lo, hi in SAMPLE_RATE_RANGES_HZ):
        raise SourceError(
            f"{where}: sample rate {rate:g} S/s is impossible for an RTL-SDR: use 225.001-300 kS/s or "
            f"0.900001-3.2 MS/s (2.4 MS/s recommended)"
        )
    if rate > MAX_SAFE_SAMPLE_RATE_HZ:
        log.warning(
            "%s: %s may drop samples on many dongles; 2.4 MS/s is safe", where, format_hz(rate, "S/s")
        )
    return rate


def parse_bool(text: str | bool | int) -> bool:
    """``1/0, true/false, yes/no, on/off`` (URL query values) as bool."""
    if isinstance(text, bool):
        return text
    if isinstance(text, int):
        return text != 0
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a yes/no value: {text!r}")


def _opt_gain(text: str) -> float | None:
    return None if text.strip().lower() in ("auto", "none", "") else float(text)


#: Query keys every backend accepts and how to convert them.
COMMON_QUERY: dict[str, Callable[[str], Any]] = {
    "center_hz": parse_hz,
    "center": parse_hz,
    "sample_rate_hz": parse_hz,
    "rate": parse_hz,
    "gain_db": _opt_gain,
    "gain": _opt_gain,
    "ppm": int,
    "settle_s": float,
}
_QUERY_ALIASES = {"center": "center_hz", "rate": "sample_rate_hz", "gain": "gain_db"}


# --------------------------------------------------------------------------------------------------
# blocks and info


@dataclass(frozen=True, eq=False)
class SourceBlock:
    """Samples read from a source: consecutive, from one tuning (compared by identity).

    Compatible with :class:`rfscan.iq.Block` where the detection core needs it (``samples``,
    ``sample_start``, ``center_hz``, ``sample_rate_hz``).

    Parameters
    ----------
    samples : ndarray of complex64
        The samples (a fresh array owned by the block), full scale +-1.
    sample_start : int
        Number of samples the radio produced since the source was opened before ``samples[0]``
        (discarded settle samples and dropped samples included).
    center_hz : float
        Centre frequency the tuner was set to for every sample of the block.
    sample_rate_hz : float
        Sample rate.
    t_monotonic_s : float
        ``time.monotonic()`` estimate of when ``samples[0]`` was taken (virtual for unpaced
        simulations and file replays).
    t_utc : str
        The same instant as ISO-8601 UTC (``2026-11-27T10:35:39.123456Z``).
    settled : bool
        True if every sample was taken after the tuner settled from the last change.
    """

    samples: NDArray[np.complex64]
    sample_start: int
    center_hz: float
    sample_rate_hz: float
    t_monotonic_s: float
    t_utc: str
    settled: bool = True

    @property
    def sample_count(self) -> int:
        """Number of samples in the block."""
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        """Length of the block in seconds."""
        return self.sample_count / self.sample_rate_hz


@dataclass(frozen=True)
class SourceInfo:
    """What a source is: driver, tuner chip, serial number and gain steps.

    Parameters
    ----------
    driver : str
        ``rtlsdr`` (pyrtlsdr), ``rtltcp``, ``sim`` or ``file``.
    tuner : str
        Tuner chip name (``R820T``...), ``UNKNOWN`` if not reported.
    serial : str or None
        USB serial number of a local dongle (None if unknown).
    gains_db : tuple of float
        Supported gain steps in dB (empty if the tuner has no steps or they are unknown).
    url : str
        The source URL.
    extra : Mapping
        Backend-specific facts (server address, scene name, file path...).
    """

    driver: str
    tuner: str
    serial: str | None
    gains_db: tuple[float, ...]
    url: str
    extra: Mapping[str, Any] = field(default_factory=dict)


def utc_text(epoch_s: float) -> str:
    """ISO-8601 UTC with microseconds and a ``Z``."""
    stamp = _dt.datetime.fromtimestamp(epoch_s, tz=_dt.UTC).isoformat(timespec="microseconds")
    return stamp.replace("+00:00", "Z")


# --------------------------------------------------------------------------------------------------
# the interface


class Source(abc.ABC):
    """A radio that can be tuned and read; subclasses implement the ``_open``/``_read``/... hooks.

    Parameters
    ----------
    url : str
        The URL the source was opened with (used in every error message).
    center_hz : float or None
        Initial tuning (None: the backend's default, if it has one).
    sample_rate_hz : float or None
        Initial sample rate (None: the backend's default, normally 2.4 MS/s).
    gain_db : float or None
        Tuner gain in dB (nearest supported step) or None for automatic gain.
    ppm : int
        Frequency correction in ppm applied by the driver.
    settle_s : float or None
        Time discarded after each retune (None: :data:`DEFAULT_SETTLE_S` or the backend's default).

    Notes
    -----
    Settings given before :meth:`open` are applied when opening.  All public methods raise
    :class:`~rfscan.errors.SourceError` (one line, what to do) for driver failures and impossible
    requests.
    """

    #: URL scheme of the backend.
    scheme: ClassVar[str] = ""
    #: Backend-specific query keys and their converters (in addition to :data:`COMMON_QUERY`).
    query_keys: ClassVar[dict[str, Callable[[str], Any]]] = {}
    #: Settle time discarded by default after a retune.
    default_settle_s: ClassVar[float] = DEFAULT_SETTLE_S

    def __init__(
        self,
        url: str,
        *,
        center_hz: float | None = None,
        sample_rate_hz: float | None = None,
        gain_db: float | None = None,
        ppm: int = 0,
        settle_s: float | None = None,
    ) -> None:
        self.url = url
        settle = self.default_settle_s if settle_s is None else float(settle_s)
        if not (math.isfinite(settle) and 0.0 <= settle <= 10.0):
            raise SourceError(f"{url}: settle_s must be 0..10 s, got {settle_s!r}")
        self.settle_s = settle
        self._tuner: TunerSpec = tuner_by_name("R820T")
        self._center_hz: float | None = None if center_hz is None else float(center_hz)
        self._rate_hz = check_sample_rate(
            RECOMMENDED_SAMPLE_RATE_HZ if sample_rate_hz is None else sample_rate_hz, url
        )
        self._gain_db: float | None = None if gain_db is None else float(gain_db)
        self._ppm = int(ppm)
        self._agc: bool | None = None
        self._opened = False
        self._position = 0
        self._dropped = 0
        self._short = 0
        self._discarded = 0
        self._tune_position = 0
        self._mono0 = time.monotonic()
        self._epoch0 = time.time()

    # -- construction from a URL ------------------------------------------------------------
    @classmethod
    def parse_query(cls, url: str) -> dict[str, Any]:
        """Keyword arguments from the URL query (``?seed=3&realtime=1``), converted.

        Raises
        ------
        SourceError
            For an unknown key or a value that does not convert.
        """
        query = urlsplit(url).query
        keys = {**COMMON_QUERY, **cls.query_keys}
        out: dict[str, Any] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            conv = keys.get(key)
            if conv is None:
                raise SourceError(f"{url}: unknown option {key!r} (known: {', '.join(sorted(keys))})")
            try:
                out[_QUERY_ALIASES.get(key, key)] = conv(value)
            except (ValueError, TypeError) as err:
                raise SourceError(f"{url}: option {key}={value!r}: {err}") from None
        return out

    @classmethod
    @abc.abstractmethod
    def from_url(cls, url: str, **kw: Any) -> Source:
        """Create (not open) a source from its URL; ``kw`` override the URL's query."""

    # -- context manager --------------------------------------------------------------------
    def __enter__(self) -> Source:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "open" if self._opened else "closed"
        return f"{type(self).__name__}({self.url!r}, {state})"

    def open(self) -> Source:
        """Open the radio and apply the settings (no-op if already open).

        Returns
        -------
        Source
            ``self``, so ``with open_source(...) as src`` and ``src = X(...).open()`` both work.
        """
        if self._opened:
            return self
        self._position = 0
        self._tune_position = 0
        self._mono0 = time.monotonic()
        self._epoch0 = time.time()
        self._open()
        self._opened = True
        return self

    def close(self) -> None:
        """Release the radio (safe to call more than once)."""
        if not self._opened:
            return
        self._opened = False
        self._close()

    @property
    def is_open(self) -> bool:
        """True between :meth:`open` and :meth:`close`."""
        return self._opened

    # -- settings -------------------------------------------------------------------------
    @property
    def info(self) -> SourceInfo:
        """Driver, tuner, serial number and gain steps."""
        return SourceInfo(
            driver=self.scheme,
            tuner=self._tuner.name,
            serial=None,
            gains_db=self._tuner.gains_db,
            url=self.url,
            extra=self._info_extra(),
        )

    @property
    def tuner(self) -> TunerSpec:
        """The tuner chip (R820T until the driver reports another)."""
        return self._tuner

    @property
    def tuning_range_hz(self) -> tuple[float, float]:
        """Lowest and highest frequency the tuner can be set to."""
        return self._tuner.tuning_range_hz

    @property
    def center_hz(self) -> float:
        """Current centre frequency (NaN if never tuned)."""
        return math.nan if self._center_hz is None else self._center_hz

    @property
    def sample_rate_hz(self) -> float:
        """Current sample rate."""
        return self._rate_hz

    @property
    def gain_db(self) -> float | None:
        """Tuner gain in dB (the supported step in use) or None for automatic gain."""
        return self._gain_db

    @property
    def ppm(self) -> int:
        """Frequency correction in ppm."""
        return self._ppm

    @property
    def dropped_samples(self) -> int:
        """Samples the radio produced that were lost (overruns, reconnect gaps, interrupted reads)."""
        return self._dropped

    @property
    def short_reads(self) -> int:
        """Reads that could not deliver the samples asked for in one piece."""
        return self._short

    @property
    def discarded_samples(self) -> int:
        """Samples thrown away on purpose after retunes (backlog and settling)."""
        return self._discarded

    @property
    def sample_position(self) -> int:
        """``sample_start`` the next block will have."""
        return self._position

    def check_frequency(self, freq_hz: float) -> float:
        """Validate a centre frequency against the tuner and return it as float.

        Raises
        ------
        SourceError
            If it is not finite or outside the tuner's ranges.
        """
        f = float(freq_hz)
        if not math.isfinite(f) or not self._tuner.can_tune(f):
            spans = ", ".join(f"{format_hz(lo)}-{format_hz(hi)}" for lo, hi in self._tuner.ranges_hz)
            raise SourceError(
                f"{self.url}: cannot tune to {format_hz(f) if math.isfinite(f) else f}: "
                f"the {self._tuner.name} tuner covers {spans}"
            )
        return f

    def tune(self, freq_hz: float) -> None:
        """Set the centre frequency; later blocks hold only samples taken at it, settled.

        Raises
        ------
        SourceError
            Outside the tuner's range, or the radio failed.
        """
        f = self.check_frequency(freq_hz)
        if self._opened:
            self._tune_position = self._position
            self._tune(f)
        self._center_hz = f

    def set_sample_rate(self, rate_hz: float) -> None:
        """Set the sample rate (225-300 kS/s or 0.9-3.2 MS/s; 2.4 MS/s recommended)."""
        rate = check_sample_rate(rate_hz, self.url)
        if self._opened:
            self._tune_position = self._position
            self._set_sample_rate(rate)
        self._rate_hz = rate

    def set_gain(self, gain_db: float | None) -> None:
        """Set the tuner gain in dB (nearest supported step) or None for automatic gain."""
        if gain_db is not None:
            g = float(gain_db)
            if not math.isfinite(g) or not -20.0 <= g <= 70.0:
                raise SourceError(f"{self.url}: gain {gain_db!r} dB is impossible (RTL-SDR tuners: 0-50 dB)")
            gain_db = self._tuner.nearest_gain_tenth_db(g) / 10.0 if self._tuner.gains_tenth_db else g
        if self._opened:
            self._tune_position = self._position
            self._set_gain(gain_db)
        self._gain_db = gain_db

    def set_ppm(self, ppm: int) -> None:
        """Set the frequency correction in ppm (the driver shifts the LO and sample clock)."""
        if isinstance(ppm, bool) or int(ppm) != ppm or not -1000 <= int(ppm) <= 1000:
            raise SourceError(f"{self.url}: ppm correction must be an integer in -1000..1000, got {ppm!r}")
        ppm = int(ppm)
        if self._opened and ppm != self._ppm:
            self._tune_position = self._position
            self._set_ppm(ppm)
        self._ppm = ppm

    def set_agc(self, enabled: bool) -> None:
        """Switch the RTL2832's digital AGC (not the tuner gain; off on a fresh dongle)."""
        if self._opened:
            self._tune_position = self._position
            self._set_agc(bool(enabled))
        self._agc = bool(enabled)

    # -- reading --------------------------------------------------------------------------
    def read(self, num_samples: int) -> SourceBlock:
        """Read the next ``num_samples`` samples (fewer only where a backend documents it).

        Raises
        ------
        SourceError
            Not open, nothing tuned, or the radio failed.
        """
        return self._read(self._readable_count(num_samples))

    def _readable_count(self, num_samples: int) -> int:
        """``num_samples`` as an int once the source is open and tuned, else SourceError."""
        if not self._opened:
            raise SourceError(f"{self.url}: source is not open (call open() or use 'with')")
        n = int(num_samples)
        if n <= 0 or n != num_samples:
            raise SourceError(f"{self.url}: num_samples must be a positive integer, got {num_samples!r}")
        if self._center_hz is None:
            raise SourceError(f"{self.url}: tune(freq_hz) before reading: the centre frequency is unknown")
        return n

    # -- helpers for backends ---------------------------------------------------------------
    def _settled_at(self, start: int) -> bool:
        """True if sample ``start`` comes at least :data:`HARDWARE_SETTLE_S` after the last change."""
        return start >= self._tune_position + math.ceil(HARDWARE_SETTLE_S * self._rate_hz)

    def _block(
        self,
        samples: NDArray[np.complex64],
        start: int,
        t_mono: float,
        settled: bool | None = None,
    ) -> SourceBlock:
        assert self._center_hz is not None
        return SourceBlock(
            samples=samples,
            sample_start=start,
            center_hz=self._center_hz,
            sample_rate_hz=self._rate_hz,
            t_monotonic_s=t_mono,
            t_utc=utc_text(self._epoch0 + (t_mono - self._mono0)),
            settled=self._settled_at(start) if settled is None else settled,
        )

    def _info_extra(self) -> dict[str, Any]:
        return {}

    # -- hooks ----------------------------------------------------------------------------
    @abc.abstractmethod
    def _open(self) -> None:
        """Open the radio and apply the stored settings."""

    @abc.abstractmethod
    def _close(self) -> None:
        """Release the radio."""

    @abc.abstractmethod
    def _tune(self, freq_hz: float) -> None:
        """Retune the open radio and discard what precedes the settled new tuning."""

    @abc.abstractmethod
    def _set_sample_rate(self, rate_hz: float) -> None:
        """Change the rate of the open radio (and discard like a retune)."""

    @abc.abstractmethod
    def _set_gain(self, gain_db: float | None) -> None:
        """Change the gain of the open radio."""

    @abc.abstractmethod
    def _set_ppm(self, ppm: int) -> None:
        """Change the frequency correction of the open radio."""

    def _set_agc(self, enabled: bool) -> None:
        """Switch the RTL2832 AGC (default: accepted and ignored)."""
        log.debug("%s: AGC %s ignored by this source", self.url, "on" if enabled else "off")

    @abc.abstractmethod
    def _read(self, num_samples: int) -> SourceBlock:
        """Read samples from the open, tuned radio."""
