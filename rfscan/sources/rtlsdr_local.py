"""``rtlsdr://0`` / ``rtlsdr://SERIAL``: a local dongle through pyrtlsdr (imported lazily).

pyrtlsdr facts this backend relies on (pyrtlsdr/pyrtlsdr ``rtlsdr/rtlsdr.py``, ``librtlsdr.py``):

* ``from rtlsdr import RtlSdr`` raises ImportError if the module is missing, or (from its loader)
  ``Error loading librtlsdr...`` if the C library is not found;
* driver failures raise ``LibUSBError`` (a subclass of IOError/OSError) whose ``errno`` is the
  negative libusb/librtlsdr code: -3 LIBUSB_ERROR_ACCESS, -4 LIBUSB_ERROR_NO_DEVICE,
  -6 LIBUSB_ERROR_BUSY (``usb_claim_interface error -6``: another program or the
  dvb_usb_rtl28xxu kernel driver holds the dongle)...; ``rtlsdr_open`` returns -1 when no dongle
  exists at the index; ``rtlsdr_get_index_by_serial`` returns -2 (no dongles) or -3 (no such
  serial);
* ``read_bytes`` raises ``IOError('Short read, requested N bytes, received M')`` on a short read
  and closes the device on any read error;
* setting ``freq_correction`` to its current value fails (librtlsdr returns -2) and closes the
  device: only changes are sent.

Reads use ``read_bytes`` in multiples of 512 bytes (USB bulk packets; odd sizes risk
LIBUSB_ERROR_OVERFLOW) and keep the leftover for the next read.  After a retune the backend
discards ``settle_s`` of samples plus rtl_power's 4096-byte dump.  Sync reads cannot tell when the
dongle's buffer overflowed between reads: ``dropped_samples`` stays 0 for this backend.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from rfscan.errors import SourceError
from rfscan.sources.base import Source, SourceBlock, SourceInfo, tuner_by_code

__all__ = ["DUMP_BYTES", "RtlSdrSource", "explain_driver_error"]

log = logging.getLogger(__name__)

#: rtl_power discards this many bytes after each retune (osmocom src/rtl_power.c BUFFER_DUMP).
DUMP_BYTES = 4096
#: USB bulk packet size: reads are rounded up to a multiple of this.
USB_PACKET_BYTES = 512

_INSTALL_HINT = "install modemhunt[rtlsdr] (pip install 'modemhunt[rtlsdr]'; it bundles librtlsdr)"


def explain_driver_error(err: BaseException, where: str, doing: str) -> SourceError:
    """Turn a pyrtlsdr exception into a one-line :class:`SourceError` saying what to do.

    Parameters
    ----------
    err : BaseException
        The exception pyrtlsdr raised.
    where : str
        The source URL.
    doing : str
        What was attempted (``opening``, ``reading``...).
    """
    code = getattr(err, "errno", None)
    text = " ".join(str(err).split())[:160]
    if isinstance(err, ImportError):
        if "librtlsdr" in text:
            return SourceError(f"{where}: librtlsdr not found: {_INSTALL_HINT} or your system's librtlsdr")
        return SourceError(f"{where}: pyrtlsdr is not installed: {_INSTALL_HINT}")
    if code == -6:
        return SourceError(
            f"{where}: device busy: another program (rtl_tcp? rtl_sdr? gqrx?) holds the dongle, "
            f"or the dvb_usb_rtl28xxu kernel driver does (blacklist it and replug)"
        )
    if code == -3:
        return SourceError(
            f"{where}: permission denied opening the dongle: install the rtl-sdr udev rules "
            f"(rtl-sdr.rules) or join the plugdev group, then replug"
        )
    if code == -4:
        return SourceError(
            f"{where}: dongle unplugged while {doing} (LIBUSB_ERROR_NO_DEVICE): replug it and retry"
        )
    if "short read" in text.lower():
        return SourceError(
            f"{where}: short read from the dongle ({text}): unplugged or USB overloaded; "
            f"replug it, use a powered hub or a lower sample rate"
        )
    if doing == "opening" and code == -1:
        return SourceError(
            f"{where}: no RTL-SDR dongle found (plugged in? `lsusb` should list 0bda:2838; "
            f"use rtlsdr://INDEX or rtlsdr://SERIAL)"
        )
    return SourceError(f"{where}: driver error while {doing}: {text}")


class RtlSdrSource(Source):
    """A USB RTL-SDR dongle read through pyrtlsdr.

    Parameters
    ----------
    url : str
        ``rtlsdr://`` (index 0), ``rtlsdr://INDEX``, ``rtlsdr://SERIAL`` or ``rtlsdr://?serial=S``.
        A number without leading zeros below 256 is an index; anything else (``00000001``) a serial.
    center_hz, sample_rate_hz, gain_db, ppm, settle_s
        See :class:`~rfscan.sources.base.Source`.
    agc : bool or None
        RTL2832 digital AGC (None: leave off).
    """

    scheme = "rtlsdr"
    query_keys: ClassVar[dict[str, Callable[[str], Any]]] = {"serial": str, "index": int}

    def __init__(
        self,
        url: str = "rtlsdr://",
        *,
        index: int | None = None,
        serial: str | None = None,
        center_hz: float | None = None,
        sample_rate_hz: float | None = None,
        gain_db: float | None = None,
        ppm: int = 0,
        settle_s: float | None = None,
        agc: bool | None = None,
    ) -> None:
        parts = urlsplit(url)
        target = (parts.netloc + parts.path).strip("/")
        if index is None and serial is None:
            if target == "":
                index = 0
            elif target.isdigit() and str(int(target)) == target and int(target) < 256:
                index = int(target)
            else:
                serial = target
        super().__init__(
            url.split("?", 1)[0],
            center_hz=center_hz,
            sample_rate_hz=sample_rate_hz,
            gain_db=gain_db,
            ppm=ppm,
            settle_s=settle_s,
        )
        self.index = index
        self.serial = serial
        self._agc = agc
        self._sdr: Any = None
        self._leftover = np.empty(0, dtype=np.uint8)
        self._driver_ppm = 0

    @classmethod
    def from_url(cls, url: str, **kw: Any) -> RtlSdrSource:
        """``rtlsdr://0``, ``rtlsdr://SERIAL``, ``rtlsdr://?serial=S&rate=2.4M``."""
        options = {**cls.parse_query(url), **kw}
        return cls(url, **options)

    @property
    def info(self) -> SourceInfo:
        """Driver, tuner (as the dongle reports it), serial number and gain steps."""
        base = super().info
        gains = base.gains_db
        if self._sdr is not None:
            with contextlib.suppress(OSError):
                gains = tuple(g / 10.0 for g in self._sdr.get_gains())
        return SourceInfo(
            driver="rtlsdr",
            tuner=base.tuner,
            serial=self.serial,
            gains_db=gains,
            url=self.url,
            extra={"index": self.index},
        )

    def _call(self, doing: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except (OSError, ImportError) as err:
            if doing.startswith("reading") or getattr(err, "errno", None) in (-4, -1):
                self._forget()
            raise explain_driver_error(err, self.url, doing) from err

    def _forget(self) -> None:
        """pyrtlsdr closes the device itself after read errors: drop our handle."""
        sdr = self._sdr
        self._sdr = None
        self._opened = False
        if sdr is not None:
            with contextlib.suppress(OSError):
                sdr.close()

    def _set(self, name: str, value: Any, doing: str) -> None:
        sdr = self._sdr
        self._call(doing, setattr, sdr, name, value)

    # -- hooks ----------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            from rtlsdr import RtlSdr
        except ImportError as err:
            raise explain_driver_error(err, self.url, "opening") from err
        where = self.url
        index = self.index
        if self.serial is not None:
            try:
                index = RtlSdr.get_device_index_by_serial(self.serial)
            except OSError as err:
                code = getattr(err, "errno", None)
                if code == -2:
                    raise SourceError(
                        f"{where}: no RTL-SDR dongle plugged in (looking for serial {self.serial})"
                    ) from err
                if code == -3:
                    raise SourceError(
                        f"{where}: no dongle with serial {self.serial!r} (list them: rtl_test; "
                        f"set one with rtl_eeprom -s)"
                    ) from err
                raise explain_driver_error(err, where, "opening") from err
        try:
            sdr = RtlSdr(device_index=int(index or 0))
        except (OSError, ImportError) as err:
            raise explain_driver_error(err, where, "opening") from err
        self._sdr = sdr
        self.index = int(index or 0)
        try:
            self._tuner = tuner_by_code(int(self._call("opening", sdr.get_tuner_type)))
            self._driver_ppm = int(self._call("opening", sdr.get_freq_correction))
            self._call("opening", setattr, sdr, "sample_rate", self._rate_hz)
            self._rate_hz = float(sdr.sample_rate)
            if self._center_hz is not None:
                self.check_frequency(self._center_hz)
                self._call("opening", setattr, sdr, "center_freq", round(self._center_hz))
            self._apply_gain(self._gain_db)
            if self._ppm != self._driver_ppm:
                self._call("opening", setattr, sdr, "freq_correction", self._ppm)
                self._driver_ppm = self._ppm
            if self._agc is not None:
                self._call("opening", sdr.set_agc_mode, bool(self._agc))
        except BaseException:
            self._forget()
            raise
        self._leftover = np.empty(0, dtype=np.uint8)
        if self._center_hz is not None:
            self._settle()

    def _close(self) -> None:
        sdr = self._sdr
        self._sdr = None
        if sdr is not None:
            try:
                sdr.close()
            except OSError as err:
                log.debug("%s: close: %s", self.url, err)

    def _apply_gain(self, gain_db: float | None) -> None:
        self._call("setting the gain", setattr, self._sdr, "gain", "auto" if gain_db is None else gain_db)

    def _settle(self) -> None:
        """Discard the samples of the old setting and the tuner transient (rtl_power style)."""
        n = math.ceil(self.settle_s * self._rate_hz) + DUMP_BYTES // 2
        self._read_raw(n, "settling")
        self._position += n
        self._discarded += n

    def _tune(self, freq_hz: float) -> None:
        self._call("tuning", setattr, self._sdr, "center_freq", round(freq_hz))
        self._center_hz = freq_hz
        self._settle()

    def _set_sample_rate(self, rate_hz: float) -> None:
        self._call("setting the sample rate", setattr, self._sdr, "sample_rate", rate_hz)
        self._rate_hz = float(self._sdr.sample_rate)
        self._settle()

    def _set_gain(self, gain_db: float | None) -> None:
        self._apply_gain(gain_db)
        self._settle()

    def _set_ppm(self, ppm: int) -> None:
        if ppm != self._driver_ppm:
            self._call("setting the ppm correction", setattr, self._sdr, "freq_correction", ppm)
            self._driver_ppm = ppm
        self._settle()

    def _set_agc(self, enabled: bool) -> None:
        self._call("setting the AGC", self._sdr.set_agc_mode, enabled)
        self._settle()

    def _read_raw(self, num_samples: int, doing: str) -> NDArray[np.uint8]:
        """``2 * num_samples`` bytes, read in whole USB packets (the rest kept for later)."""
        need = 2 * num_samples - self._leftover.size
        parts = [self._leftover]
        if need > 0:
            ask = USB_PACKET_BYTES * math.ceil(need / USB_PACKET_BYTES)
            if self._sdr is None:
                raise SourceError(f"{self.url}: the dongle was closed after an earlier error: reopen it")
            buf = self._call(doing, self._sdr.read_bytes, ask)
            data = np.frombuffer(buf, dtype=np.uint8, count=ask).copy()
            parts.append(data)
        raw = np.concatenate(parts)
        self._leftover = raw[2 * num_samples :]
        return raw[: 2 * num_samples]

    def _read(self, num_samples: int) -> SourceBlock:
        from rfscan.iq import to_complex64

        start = self._position
        raw = self._read_raw(num_samples, "reading")
        t_end = time.monotonic()
        self._position = start + num_samples
        return self._block(to_complex64(raw, "cu8"), start, t_end - num_samples / self._rate_hz)
