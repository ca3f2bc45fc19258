"""file:// source: a recording replayed as if live, captures respected, tune() jumps between them."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from rfscan.errors import SourceError
from rfscan.iq import Capture, from_complex64, open_recording, write_sigmf
from rfscan.sim import Scene, SceneRenderer, quantize
from rfscan.sources import open_source
from rfscan.sources.file import FileSource

FS = 1.024e6
F1, F2 = 850.0e6, 855.0e6
N1, N2 = 30000, 20000


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two captures: N1 samples at F1 (spur at +100 kHz), then N2 at F2 (spur at -200 kHz)."""
    scene = Scene.from_dict(
        {
            "scene": {
                "name": "rec",
                "center_hz": F1,
                "duration_s": 1.0,
                "sample_rate_hz": FS,
                "noise_dbfs": -50,
            },
            "emitter": [
                {"kind": "cw", "id": "a", "freq_hz": F1 + 100e3, "power_dbfs": -25.0},
                {"kind": "cw", "id": "b", "freq_hz": F2 - 200e3, "power_dbfs": -25.0},
            ],
        }
    )
    x1 = quantize(SceneRenderer(scene, center_hz=F1, sample_rate_hz=FS).render(0, N1))
    x2 = quantize(SceneRenderer(scene, center_hz=F2, sample_rate_hz=FS).render(N1, N2))
    base = tmp_path_factory.mktemp("rec") / "two"
    write_sigmf(
        base,
        np.concatenate([x1, x2]),
        sample_rate_hz=FS,
        captures=[Capture(0, F1), Capture(N1, F2)],
        datatype="cu8",
    )
    return base.with_suffix(".sigmf-meta")


def peak_offset_hz(x: np.ndarray, fs: float) -> float:
    p = np.abs(np.fft.fftshift(np.fft.fft(x * np.hanning(x.size)))) ** 2
    f = np.fft.fftshift(np.fft.fftfreq(x.size, 1.0 / fs))
    p[np.abs(f) < 1e3] = 0
    return float(f[int(np.argmax(p))])


def test_replay_follows_the_captures(recording: Path) -> None:
    with open_source(f"file://{recording}") as src, open_recording(recording) as rec:
        assert isinstance(src, FileSource)
        assert src.sample_rate_hz == FS
        assert src.center_hz == F1
        blocks = [src.read(8192) for _ in range(7)]
        with pytest.raises(SourceError, match="end of the recording"):
            src.read(8192)
        # Blocks never straddle the capture boundary: the last block of capture 1 is short.
        assert [b.sample_count for b in blocks] == [
            8192,
            8192,
            8192,
            N1 - 3 * 8192,
            8192,
            8192,
            N2 - 2 * 8192,
        ]
        assert src.short_reads == 2
        assert [b.center_hz for b in blocks] == [F1] * 4 + [F2] * 3
        assert np.array_equal(np.concatenate([b.samples for b in blocks]), rec.read(0, N1 + N2))
        assert [b.sample_start for b in blocks] == list(
            np.cumsum([0] + [b.sample_count for b in blocks[:-1]])
        )
        assert abs(peak_offset_hz(blocks[0].samples, FS) - 100e3) <= 2 * FS / 8192
        assert abs(peak_offset_hz(blocks[4].samples, FS) + 200e3) <= 2 * FS / 8192


def test_tune_jumps_to_the_capture_at_that_frequency(recording: Path) -> None:
    with open_source(f"file://{recording}") as src, open_recording(recording) as rec:
        assert isinstance(src, FileSource)
        first = src.read(1000)
        src.tune(F2)
        b = src.read(5000)
        assert b.center_hz == F2
        assert src.file_position == N1 + 5000
        assert np.array_equal(b.samples, rec.read(N1, 5000))
        assert b.sample_start == first.sample_count  # counts samples replayed since open
        with pytest.raises(SourceError, match=r"no capture at 900 MHz.*850 MHz, 855 MHz"):
            src.tune(900e6)
        assert src.center_hz == F2  # unchanged by the refused tune


def test_locked_replay_loops_within_its_frequency(recording: Path) -> None:
    with (
        open_source(f"file://{recording}?loop=1", center_hz=None) as src,
        open_recording(recording) as rec,
    ):
        src.tune(F2)
        got = [src.read(N2).samples, src.read(N2).samples]
        assert np.array_equal(got[0], rec.read(N1, N2))
        assert np.array_equal(got[1], rec.read(N1, N2))
    with open_source(f"file://{recording}?loop=1") as src:
        total = sum(src.read(8192).sample_count for _ in range(12))
        assert total > N1 + N2  # went round


def test_rate_cannot_change_but_settings_are_accepted(recording: Path) -> None:
    with open_source(f"file://{recording}") as src:
        src.set_sample_rate(FS)
        with pytest.raises(SourceError, match="cannot change its sample rate"):
            src.set_sample_rate(2.4e6)
        src.set_gain(20.0)
        src.set_ppm(3)
        src.set_agc(True)
        assert src.read(10).sample_count == 10


def test_realtime_replay_is_paced(recording: Path) -> None:
    with open_source(f"file://{recording}?realtime=1") as src:
        t0 = time.monotonic()
        for _ in range(5):
            src.read(10240)  # 50 ms total
        assert time.monotonic() - t0 >= 0.045


def test_raw_file_with_options_in_the_query(tmp_path: Path) -> None:
    x = (0.5 * np.exp(2j * np.pi * 0.125 * np.arange(4096))).astype(np.complex64)
    path = tmp_path / "capture.bin"
    from_complex64(x, "cu8").tofile(path)
    with open_source(f"file://{path}?format=cu8&rate=1.024M&center=433.92M") as src:
        b = src.read(4096)
        assert b.center_hz == 433.92e6
        assert b.sample_rate_hz == 1.024e6
        assert abs(peak_offset_hz(b.samples, FS) - 0.125 * FS) <= 2 * FS / 4096


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        open_source(f"file://{tmp_path / 'nope.sigmf-meta'}")
    src = FileSource(tmp_path / "nope.cu8")
    src.close()  # never opened: fine
