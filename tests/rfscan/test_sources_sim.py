"""sim:// source: the scene at whatever the simulated dongle is tuned to, with retune settling."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from rfscan.errors import SourceError
from rfscan.sim import Scene
from rfscan.sources import SourceBlock, open_source
from rfscan.sources.sim import SimSource

FS = 1.024e6
F1 = 850.0e6
F2 = 855.0e6
SPUR_A = 850.1e6  # +100 kHz when tuned to F1
SPUR_B = 854.8e6  # -200 kHz when tuned to F2


def two_spur_scene(*, ppm: float = 0.0, tuner: str = "R820T", power_dbfs: float = -25.0) -> Scene:
    return Scene.from_dict(
        {
            "scene": {
                "name": "two-spurs",
                "center_hz": F1,
                "duration_s": 10.0,
                "sample_rate_hz": FS,
                "noise_dbfs": -50.0,
                "seed": 7,
            },
            "dongle": {"ppm": ppm, "tuner": tuner, "gain_db": 30.0},
            "emitter": [
                {"kind": "cw", "id": "a", "freq_hz": SPUR_A, "power_dbfs": power_dbfs},
                {"kind": "cw", "id": "b", "freq_hz": SPUR_B, "power_dbfs": power_dbfs},
            ],
        }
    )


#: A tone counts as absent below this peak-to-median ratio: noise alone exceeds 10 dB in ~1% of
#: 7-bin windows (exponential bins) but stays far below 20 dB, while even 100 samples of a -25 dBFS
#: carrier leaking into a block stand > 20 dB above the noise floor.
ABSENT_DB = 20.0


def spectrum(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    win = np.hanning(x.size)
    p = np.abs(np.fft.fftshift(np.fft.fft(x * win))) ** 2
    f = np.fft.fftshift(np.fft.fftfreq(x.size, 1.0 / fs))
    return f, p


def tone_db(x: np.ndarray, fs: float, offset_hz: float) -> float:
    """Peak power within +-3 bins of ``offset_hz`` over the median bin power (dB)."""
    f, p = spectrum(x, fs)
    k = int(np.argmin(np.abs(f - offset_hz)))
    return float(10 * np.log10(p[max(0, k - 3) : k + 4].max() / np.median(p)))


def peak_offset_hz(x: np.ndarray, fs: float) -> float:
    f, p = spectrum(x, fs)
    p[np.abs(f) < 1e3] = 0  # ignore DC
    return float(f[int(np.argmax(p))])


def test_blocks_show_the_emitter_at_the_tuned_offset() -> None:
    with SimSource(two_spur_scene(), sample_rate_hz=FS, center_hz=F1) as src:
        b = src.read(32768)
        assert isinstance(b, SourceBlock)
        assert b.center_hz == F1
        assert b.sample_rate_hz == FS
        assert b.samples.dtype == np.complex64
        assert abs(peak_offset_hz(b.samples, FS) - (SPUR_A - F1)) <= FS / 32768 * 2
        assert tone_db(b.samples, FS, SPUR_B - F1) < ABSENT_DB  # 4.8 MHz away: out of band
        src.tune(F2)
        for _ in range(3):
            b = src.read(32768)
            assert b.center_hz == F2
            assert b.settled
            assert abs(peak_offset_hz(b.samples, FS) - (SPUR_B - F2)) <= FS / 32768 * 2
            # The old tuning's spur must not leak into any block after the retune.
            assert tone_db(b.samples, FS, SPUR_A - F1) < ABSENT_DB


def test_without_settling_the_pll_transient_shows_the_old_tuning() -> None:
    """Control: with settle_s=0 the first block after a tune still holds the old LO's spur."""
    with SimSource(
        two_spur_scene(), sample_rate_hz=FS, center_hz=F1, settle_s=0.0, pll_settle_s=0.005
    ) as src:
        src.read(8192)
        src.tune(F2)
        first = src.read(8192)
        assert not first.settled
        assert tone_db(first.samples, FS, SPUR_A - F1) > 20  # transient: old tuning
        pll = math.ceil(0.005 * FS)
        src.read(pll)  # past the transient
        later = src.read(8192)
        assert later.settled
        assert tone_db(later.samples, FS, SPUR_A - F1) < ABSENT_DB
        assert tone_db(later.samples, FS, SPUR_B - F2) > 30


def test_sample_start_counts_discarded_settle_samples() -> None:
    with SimSource(two_spur_scene(), sample_rate_hz=FS, settle_s=0.01) as src:
        a = src.read(1000)
        assert a.sample_start == 0
        src.tune(F2)
        b = src.read(1000)
        skip = math.ceil(0.01 * FS)
        assert b.sample_start == 1000 + skip
        assert src.discarded_samples == skip
        assert src.dropped_samples == 0
        assert src.short_reads == 0
        # Unpaced: the virtual clock advances by exactly the samples produced.
        assert b.t_monotonic_s - a.t_monotonic_s == pytest.approx((1000 + skip) / FS, abs=1e-9)
        assert b.t_utc.endswith("Z")
        assert "T" in b.t_utc


def test_ppm_correction_cancels_the_scene_crystal_error() -> None:
    """A dongle 40 ppm fast sees a signal 40e-6 * f lower; set_ppm(40) moves it back."""
    n = 1 << 16
    resolution = FS / n
    with SimSource(two_spur_scene(ppm=40.0), sample_rate_hz=FS, center_hz=F1) as src:
        raw = peak_offset_hz(src.read(n).samples, FS)
        assert raw == pytest.approx((SPUR_A - F1) - 40e-6 * F1, abs=2 * resolution)
        src.set_ppm(40)
        fixed = peak_offset_hz(src.read(n).samples, FS)
        assert fixed == pytest.approx(SPUR_A - F1, abs=2 * resolution)


def test_gain_changes_the_received_power() -> None:
    with SimSource(two_spur_scene(power_dbfs=-35.0), sample_rate_hz=FS, center_hz=F1, gain_db=None) as src:
        n = 1 << 15
        base = src.read(n).samples
        src.set_gain(40.2)  # R820T step closest to 40 dB; scene gain is 30 dB
        assert src.gain_db == pytest.approx(40.2)
        louder = src.read(n).samples
        f, p0 = spectrum(base, FS)
        _, p1 = spectrum(louder, FS)
        k = int(np.argmin(np.abs(f - (SPUR_A - F1))))
        gain = 10 * np.log10(p1[k - 3 : k + 4].sum() / p0[k - 3 : k + 4].sum())
        assert gain == pytest.approx(10.2, abs=0.5)


def test_impossible_requests_raise() -> None:
    src = SimSource(two_spur_scene(), sample_rate_hz=FS)
    with src:
        for rate in (200e3, 500e3, 3.3e6):
            with pytest.raises(SourceError, match="sample rate"):
                src.set_sample_rate(rate)
        with pytest.raises(SourceError, match="cannot tune"):
            src.tune(3.0e9)
        with pytest.raises(SourceError, match="num_samples"):
            src.read(0)
    e4k = SimSource(two_spur_scene(tuner="E4000"), sample_rate_hz=FS)
    with e4k, pytest.raises(SourceError, match="E4000"):
        e4k.tune(1.2e9)  # inside the E4000's L-band gap


def test_rate_change_keeps_scene_time_running() -> None:
    with SimSource(two_spur_scene(), sample_rate_hz=FS, center_hz=F1, settle_s=0.0, pll_settle_s=0.0) as src:
        src.read(1024)
        src.set_sample_rate(2.4e6)
        b = src.read(1 << 15)
        assert b.sample_rate_hz == 2.4e6
        assert abs(peak_offset_hz(b.samples, 2.4e6) - (SPUR_A - F1)) <= 2 * 2.4e6 / (1 << 15)


def test_reads_do_not_depend_on_chunking() -> None:
    def grab(sizes: list[int]) -> np.ndarray:
        with SimSource(two_spur_scene(), sample_rate_hz=FS, seed=3) as src:
            return np.concatenate([src.read(n).samples for n in sizes])

    a = grab([40000, 40000])
    b = grab([10000, 30000, 25000, 15000])
    # cu8 levels: equal except where float rounding of the anti-alias path flips a level.
    assert np.mean(a == b) > 0.999


def test_realtime_paces_and_drops_when_the_reader_lags() -> None:
    with SimSource(two_spur_scene(), sample_rate_hz=250e3, realtime=True, buffer_samples=5000) as src:
        t0 = time.monotonic()
        src.read(25000)  # 0.1 s of samples
        assert time.monotonic() - t0 >= 0.09
        time.sleep(0.2)  # 50000 samples go by; only 5000 fit the buffer
        before = src.sample_position
        b = src.read(1000)
        assert src.dropped_samples > 30000
        assert b.sample_start == before + src.dropped_samples


def test_open_close_twice_and_url_options() -> None:
    src = open_source("sim://quiet-uplink?seed=5&rate=1.024M", settle_s=0.002)
    assert isinstance(src, SimSource)
    assert src.seed == 5
    assert src.sample_rate_hz == 1.024e6
    assert src.settle_s == 0.002
    src.open()
    src.read(100)
    src.close()
    src.close()
    with pytest.raises(SourceError, match="not open"):
        src.read(10)
    with pytest.raises(SourceError, match="no such scene"):
        open_source("sim://no-such-scene-here")
