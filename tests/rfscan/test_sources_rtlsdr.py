"""rtlsdr:// backend against a fake ``rtlsdr`` module that behaves like pyrtlsdr.

The fake mimics pyrtlsdr's ``RtlSdr`` (pyrtlsdr/pyrtlsdr rtlsdr/rtlsdr.py): ``LibUSBError`` is an
IOError subclass carrying the negative libusb code, ``rtlsdr_open`` fails with -1 when no dongle
is at the index, -6 (LIBUSB_ERROR_BUSY) when another program or the kernel driver holds it,
``get_device_index_by_serial`` gives -2 (no dongles) / -3 (no such serial), reads fail with -4
(LIBUSB_ERROR_NO_DEVICE) when unplugged or ``IOError('Short read, requested N bytes, received M')``,
and setting ``freq_correction`` to its current value fails (librtlsdr returns -2).  The fake
dongle "receives" one carrier at a true RF frequency, so tuning is checked by physics.
"""

from __future__ import annotations

import math
import sys
import types
from typing import Any

import numpy as np
import pytest

from rfscan.errors import SourceError
from rfscan.sources import open_source
from rfscan.sources.rtlsdr_local import DUMP_BYTES, RtlSdrSource

CARRIER_HZ = 100.25e6
R82XX_GAINS = [0, 9, 14, 27, 37, 77, 87, 125, 144, 157, 166, 197, 207, 229, 254, 280, 297, 328, 338, 364, 372]
R82XX_GAINS += [386, 402, 421, 434, 439, 445, 480, 496]


class LibUSBError(OSError):
    """Like pyrtlsdr's: errno is the (negative) libusb/librtlsdr code."""

    def __init__(self, errno: int, msg: str = "") -> None:
        self.errno = errno
        self.msg = msg

    def __str__(self) -> str:
        return f"Error code {self.errno}: {self.msg}"


class FakeDongle:
    def __init__(self, serial: str = "00000001", *, busy: bool = False, access: bool = False) -> None:
        self.serial = serial
        self.busy = busy
        self.access = access
        self.unplug_after_reads: int | None = None
        self.short_read_after: int | None = None


def make_fake_rtlsdr(dongles: list[FakeDongle]) -> tuple[types.ModuleType, list[Any]]:
    opened: list[Any] = []

    class RtlSdr:
        CRYSTAL_FREQ = 28800000

        @staticmethod
        def get_device_index_by_serial(serial: str) -> int:
            if not dongles:
                raise LibUSBError(-2)
            for i, d in enumerate(dongles):
                if d.serial == serial:
                    return i
            raise LibUSBError(-3)

        def __init__(self, device_index: int = 0, test_mode_enabled: bool = False, serial_number: Any = None):
            if device_index >= len(dongles):
                raise LibUSBError(-1, f"Could not open SDR (device index = {device_index})")
            d = dongles[device_index]
            if d.busy:
                raise LibUSBError(-6, f"Could not open SDR (device index = {device_index})")
            if d.access:
                raise LibUSBError(-3, f"Could not open SDR (device index = {device_index})")
            self.dongle = d
            self.device_opened = True
            self._fc = 80e6
            self._rate = 1.024e6
            self._gain: Any = "auto"
            self._corr = 0
            self.agc = False
            self.reads: list[int] = []
            self.t = 0
            opened.append(self)

        def _check(self) -> None:
            if not self.device_opened:
                raise LibUSBError(-1, "device closed")

        # properties as in pyrtlsdr
        def get_center_freq(self) -> float:
            return float(round(self._fc, -3))  # pyrtlsdr rounds to kHz

        def set_center_freq(self, freq: float) -> None:
            self._check()
            self._fc = float(int(freq))

        center_freq = property(get_center_freq, set_center_freq)

        def get_sample_rate(self) -> float:
            ratio = int(self.CRYSTAL_FREQ * 2**22 // int(self._rate)) & ~3
            return self.CRYSTAL_FREQ * 2**22 / ratio

        def set_sample_rate(self, rate: float) -> None:
            self._check()
            self._rate = float(int(rate))

        sample_rate = property(get_sample_rate, set_sample_rate)

        def get_gain(self) -> float:
            return 0.0 if self._gain == "auto" else self._gain / 10

        def set_gain(self, gain: Any) -> None:
            self._check()
            if gain == "auto":
                self._gain = "auto"
                return
            self._gain = min(R82XX_GAINS, key=lambda g: abs(10 * gain - g))

        gain = property(get_gain, set_gain)

        def get_freq_correction(self) -> int:
            return self._corr

        def set_freq_correction(self, ppm: int) -> None:
            if ppm == self._corr:  # librtlsdr returns -2; pyrtlsdr closes and raises
                self.close()
                raise LibUSBError(-2, f"Could not set freq. offset to {ppm} ppm")
            self._corr = int(ppm)

        freq_correction = property(get_freq_correction, set_freq_correction)

        def get_gains(self) -> list[int]:
            return list(R82XX_GAINS)

        def get_tuner_type(self) -> int:
            return 5  # RTLSDR_TUNER_R820T

        def set_agc_mode(self, enabled: bool) -> int:
            self.agc = bool(enabled)
            return 0

        def read_bytes(self, num_bytes: int) -> Any:
            self._check()
            self.reads.append(num_bytes)
            d = self.dongle
            if d.unplug_after_reads is not None and len(self.reads) > d.unplug_after_reads:
                self.close()
                raise LibUSBError(-4, f"Could not read {num_bytes} bytes")
            if d.short_read_after is not None and len(self.reads) > d.short_read_after:
                self.close()
                raise OSError(f"Short read, requested {num_bytes} bytes, received {num_bytes // 3}")
            n = num_bytes // 2
            k = np.arange(self.t, self.t + n)
            self.t += n
            # The carrier seen through the LO: offset = carrier - tuned frequency.
            x = 0.5 * np.exp(2j * np.pi * (CARRIER_HZ - self._fc) * k / self.get_sample_rate())
            iq = np.empty(num_bytes, dtype=np.uint8)
            iq[0::2] = np.clip(np.rint(x.real * 127.5 + 127.5), 0, 255)
            iq[1::2] = np.clip(np.rint(x.imag * 127.5 + 127.5), 0, 255)
            return (np.ctypeslib.as_ctypes_type(np.uint8) * num_bytes).from_buffer_copy(iq.tobytes())

        def close(self) -> None:
            self.device_opened = False

    module = types.ModuleType("rtlsdr")
    module.RtlSdr = RtlSdr  # type: ignore[attr-defined]
    module.LibUSBError = LibUSBError  # type: ignore[attr-defined]
    return module, opened


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> tuple[list[FakeDongle], list[Any]]:
    dongles = [FakeDongle("00000001"), FakeDongle("crane-7")]
    module, opened = make_fake_rtlsdr(dongles)
    monkeypatch.setitem(sys.modules, "rtlsdr", module)
    return dongles, opened


def peak_offset_hz(x: np.ndarray, fs: float) -> float:
    p = np.abs(np.fft.fftshift(np.fft.fft(x))) ** 2
    f = np.fft.fftshift(np.fft.fftfreq(x.size, 1.0 / fs))
    return float(f[int(np.argmax(p))])


def test_open_tune_read(fake: tuple[list[FakeDongle], list[Any]]) -> None:
    _, opened = fake
    with open_source("rtlsdr://0", sample_rate_hz=2.4e6, center_hz=100e6, gain_db=40) as src:
        sdr = opened[0]
        assert src.info.tuner == "R820T"
        assert len(src.info.gains_db) == 29
        assert sdr._gain == 402
        assert src.sample_rate_hz == 2.4e6
        n = 10000
        b = src.read(n)
        assert b.center_hz == 100e6
        assert b.samples.dtype == np.complex64
        assert peak_offset_hz(b.samples, 2.4e6) == pytest.approx(CARRIER_HZ - 100e6, abs=2.4e6 / n)
        src.tune(100.5e6)
        b2 = src.read(n)
        assert peak_offset_hz(b2.samples, 2.4e6) == pytest.approx(CARRIER_HZ - 100.5e6, abs=2.4e6 / n)
        # settle: settle_s of samples plus rtl_power's 4096-byte dump, counted in sample_start
        skip = math.ceil(src.settle_s * 2.4e6) + DUMP_BYTES // 2
        assert b2.sample_start == b.sample_start + n + skip
        # reads go to the driver in whole 512-byte USB packets
        assert all(r % 512 == 0 for r in sdr.reads)
        src.set_agc(True)
        assert sdr.agc is True
        src.set_gain(None)
        assert sdr._gain == "auto"
    assert not sdr.device_opened


def test_open_by_serial(fake: tuple[list[FakeDongle], list[Any]]) -> None:
    _, _opened = fake
    src = open_source("rtlsdr://crane-7", center_hz=100e6)
    assert isinstance(src, RtlSdrSource)
    assert src.index == 1
    assert src.info.serial == "crane-7"
    src.close()
    src.close()
    src = open_source("rtlsdr://00000001", center_hz=100e6)  # leading zeros: a serial, not an index
    assert isinstance(src, RtlSdrSource)
    assert src.index == 0
    assert src.serial == "00000001"
    src.close()


def test_ppm_is_only_sent_when_it_changes(fake: tuple[list[FakeDongle], list[Any]]) -> None:
    _, opened = fake
    with open_source("rtlsdr://0", center_hz=100e6, ppm=0) as src:  # would fail with -2 if sent
        src.set_ppm(25)
        src.set_ppm(25)
        assert opened[0]._corr == 25
        assert src.ppm == 25


@pytest.mark.parametrize(
    ("setup", "url", "pattern"),
    [
        (lambda d: d.clear(), "rtlsdr://0", "no RTL-SDR dongle found"),
        (lambda d: None, "rtlsdr://5", "no RTL-SDR dongle found"),
        (lambda d: setattr(d[0], "busy", True), "rtlsdr://0", "device busy: .*dvb_usb_rtl28xxu.*blacklist"),
        (lambda d: setattr(d[0], "access", True), "rtlsdr://0", "permission denied.*udev"),
        (lambda d: None, "rtlsdr://nosuchserial", "no dongle with serial 'nosuchserial'"),
        (lambda d: d.clear(), "rtlsdr://?serial=abc", "no RTL-SDR dongle plugged in"),
    ],
)
def test_open_errors(fake: tuple[list[FakeDongle], list[Any]], setup: Any, url: str, pattern: str) -> None:
    setup(fake[0])
    with pytest.raises(SourceError, match=pattern) as info:
        open_source(url, center_hz=100e6)
    assert "\n" not in str(info.value)


def test_unplugged_mid_read(fake: tuple[list[FakeDongle], list[Any]]) -> None:
    dongles, _ = fake
    src = open_source("rtlsdr://0", center_hz=100e6)  # one read: the settle discard
    dongles[0].unplug_after_reads = 2
    src.read(4096)
    with pytest.raises(SourceError, match=r"rtlsdr://0: dongle unplugged while reading.*replug"):
        src.read(4096)
    assert not src.is_open
    src.close()  # fine after the driver closed itself


def test_short_read(fake: tuple[list[FakeDongle], list[Any]]) -> None:
    dongles, _ = fake
    dongles[0].short_read_after = 1
    src = open_source("rtlsdr://0", center_hz=100e6)  # the open's settle read is the first read
    with pytest.raises(SourceError, match="short read from the dongle"):
        src.read(4096)


def test_missing_pyrtlsdr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rtlsdr", None)  # import rtlsdr -> ImportError
    with pytest.raises(SourceError, match=r"pyrtlsdr is not installed: install modemhunt\[rtlsdr\]"):
        open_source("rtlsdr://0", center_hz=100e6)


def test_missing_librtlsdr(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("rtlsdr")

    def fail(name: str) -> Any:
        # pyrtlsdr's loader message when the C library is absent
        raise ImportError(
            "Error loading librtlsdr. Make sure librtlsdr (and all of its dependencies) are in your path"
        )

    module.__getattr__ = fail  # type: ignore[method-assign]
    monkeypatch.setitem(sys.modules, "rtlsdr", module)
    with pytest.raises(SourceError, match=r"librtlsdr not found: install modemhunt\[rtlsdr\]"):
        open_source("rtlsdr://0", center_hz=100e6)


def test_rate_and_range_limits_before_touching_the_driver(fake: tuple[list[FakeDongle], list[Any]]) -> None:
    with open_source("rtlsdr://0", center_hz=100e6) as src:
        with pytest.raises(SourceError, match="sample rate"):
            src.set_sample_rate(600e3)
        with pytest.raises(SourceError, match="cannot tune"):
            src.tune(10e6)
        src.set_sample_rate(250e3)
        assert src.sample_rate_hz == pytest.approx(250e3, rel=1e-4)


@pytest.mark.hardware("rtlsdr")
def test_real_dongle() -> None:
    with open_source("rtlsdr://0", sample_rate_hz=2.4e6, center_hz=100e6, gain_db=30) as src:
        assert src.info.tuner != "UNKNOWN"
        b = src.read(262144)
        assert b.sample_count == 262144
        assert np.all(np.isfinite(b.samples))
        assert np.max(np.abs(b.samples.real)) <= 1.0
        src.tune(900e6)
        assert src.read(65536).center_hz == 900e6
