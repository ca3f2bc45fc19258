"""The live waterfall: its pure buffer (placement, bursts, bounded memory) and the CLI paths
(``--waterfall-png`` image, ``--waterfall`` without a display), all headless."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from rfscan.cli import main
from rfscan.survey.waterfall import (
    NO_DISPLAY_NOTICE,
    PNG_SIZE_PX,
    WATERFALL_RECT,
    LiveWaterfall,
    WaterfallBuffer,
    display_available,
)

os.environ.setdefault("MPLBACKEND", "Agg")

RATE_HZ = 2.4e6
BIN_HZ = RATE_HZ / 256


def _tone_dwell(
    center_hz: float, tone_hz: float, tone_db: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A dwell's bins over the capture (noise max-hold ~ -50 dBFS, floor -60 dBFS, one tone)."""
    rng = np.random.default_rng(seed)
    freqs = center_hz + (np.arange(256) - 128) * BIN_HZ
    power = -50.0 + rng.normal(0.0, 1.0, freqs.size)
    power[np.argmin(np.abs(freqs - tone_hz))] = -60.0 + tone_db
    return freqs, power, np.full(freqs.size, -60.0)


def test_windows_merge_into_segments_and_columns_invert() -> None:
    buf = WaterfallBuffer([(880e6, 882e6), (881.5e6, 884e6), (900e6, 901e6)], bin_hz=10e3, max_cols=500)
    assert buf.segments_hz.tolist() == [[880e6, 884e6], [900e6, 901e6]]
    # 5 MHz watched in 500 columns of 10 kHz; the 16 MHz gap gets none
    assert buf.n_cols == 500
    assert buf.col_hz == pytest.approx(10e3)
    assert buf.column_of([880e6 + 5e3, 884e6 - 5e3, 900e6 + 5e3, 890e6]).tolist() == [0, 399, 400, -1]
    pos = np.array([0.5, 123.25, 399.9, 400.1, 499.5])
    assert np.allclose(buf.position_of(buf.freq_of_position(pos)), pos)


def test_a_tone_lands_in_its_column_and_row() -> None:
    lo, hi = 896.14e6, 898.06e6
    buf = WaterfallBuffer([(lo, hi)], bin_hz=BIN_HZ, max_rows=10)
    tone_hz = 897.4e6
    for k in range(3):
        f, p, floor = _tone_dwell(897.1e6, tone_hz if k == 1 else 0.0, 30.0, seed=k)
        buf.add_dwell(897.1e6, f, p, t_s=0.1 * k, key=k, floor_dbfs=floor)
    img = buf.image()
    assert img.shape == (3, buf.n_cols)
    assert buf.row_keys() == [2, 1, 0]  # newest first
    col = int(buf.column_of(tone_hz)[0])
    # row of key 1 is image row 1: the tone is 30 dB over the floor there, and only there
    assert int(np.nanargmax(img[1])) == col
    assert img[1, col] == pytest.approx(30.0, abs=1e-4)
    assert np.nanmax(img[[0, 2]]) < 20.0
    # noise cells: 10 dB over the floor (max-hold -50 vs floor -60), every column filled
    assert np.all(np.isfinite(img))
    assert np.nanmedian(img) == pytest.approx(10.0, abs=0.5)
    assert buf.last_center_hz == 897.1e6
    assert buf.last_key == 2


def test_a_hop_fills_only_its_own_window() -> None:
    """Two neighbouring hops of one pass share a row; each writes only its owned window."""
    own = [(831.94e6, 833.8e6), (833.8e6, 835.6e6)]
    buf = WaterfallBuffer(own, bin_hz=BIN_HZ)
    f0, p0, fl0 = _tone_dwell(832.9e6, 0.0, 0.0, seed=1)
    p0[:] = -40.0  # hop 0 reads 20 dB over the floor everywhere, roll-off included
    buf.add_dwell(832.9e6, f0, p0, 0.0, key=0, floor_dbfs=fl0, keep_hz=own[0])
    row = buf.image()[0]
    edge = int(buf.column_of(833.8e6)[0])
    assert np.all(row[: edge - 1] == pytest.approx(20.0))
    assert np.all(np.isnan(row[edge + 1 :]))  # hop 1's window is untouched
    f1, p1, fl1 = _tone_dwell(834.7e6, 0.0, 0.0, seed=2)
    buf.add_dwell(834.7e6, f1, p1, 0.05, key=0, floor_dbfs=fl1)  # keep: the window holding its centre
    row = buf.image()[0]
    assert buf.image().shape[0] == 1
    assert np.all(np.isfinite(row))
    assert np.nanmedian(row[edge + 1 :]) == pytest.approx(10.0, abs=0.5)


def test_bursts_map_to_their_cells() -> None:
    buf = WaterfallBuffer([(880e6, 885e6), (900e6, 905e6)], bin_hz=BIN_HZ, max_rows=4)
    f, p, fl = _tone_dwell(882.5e6, 0.0, 0.0, seed=3)
    for k in range(3):
        buf.add_dwell(882.5e6, f, p, 0.1 * k, key=k, floor_dbfs=fl)
    assert buf.add_burst(881.0e6, key=0)
    assert buf.add_burst(902.3e6, key=2)
    assert buf.add_burst(883.0e6)  # the latest row (key 2)
    assert not buf.add_burst(890e6, key=1)  # between the segments: not watched
    rows, cols = buf.burst_cells()
    cells = sorted(zip(rows.tolist(), cols.tolist(), strict=True))
    expected = sorted(
        [
            (2, int(buf.column_of(881.0e6)[0])),  # key 0 is the oldest of three rows
            (0, int(buf.column_of(902.3e6)[0])),
            (0, int(buf.column_of(883.0e6)[0])),
        ]
    )
    assert cells == expected
    assert buf.freq_of_position(cols[rows == 2] + 0.5)[0] == pytest.approx(881.0e6, abs=buf.col_hz)


def test_memory_is_bounded_and_old_rows_drop() -> None:
    buf = WaterfallBuffer([(896.14e6, 898.06e6)], bin_hz=BIN_HZ, max_rows=16, max_bursts=50)
    f, p, fl = _tone_dwell(897.1e6, 897.4e6, 25.0, seed=4)
    nbytes = buf.nbytes
    for k in range(500):
        buf.add_dwell(897.1e6, f, p, 0.01 * k, key=k, floor_dbfs=fl)
        buf.add_burst(897.4e6, key=k)
    assert buf.nbytes == nbytes
    assert buf.image().shape == (16, buf.n_cols)
    assert buf.row_keys() == list(range(499, 483, -1))
    rows, _ = buf.burst_cells()
    assert rows.size == 16  # one per kept row (50 markers kept, 34 of them on dropped rows)
    # a straggler older than every kept row is dropped, not written over a newer row
    assert buf.add_dwell(897.1e6, f, p, 0.0, key=3, floor_dbfs=fl) is None
    assert buf.row_keys()[-1] == 484
    # automatic keys continue after the newest row
    assert buf.add_dwell(897.1e6, f, p, 5.1, floor_dbfs=fl) == 500


def test_no_display_gives_one_notice_and_no_window(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    buf = WaterfallBuffer([(896.14e6, 898.06e6)], bin_hz=BIN_HZ)
    if display_available():  # pragma: no cover - not Linux: the Agg backend is the no-display case
        monkeypatch.setenv("MPLBACKEND", "Agg")
    wf = LiveWaterfall(buf, mode="monitor", window=True)
    assert not wf.showing
    wf.tick()
    wf.finish()
    assert capsys.readouterr().err.strip() == NO_DISPLAY_NOTICE


def test_window_redraws_at_most_every_interval_and_closing_stops_only_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The window path with a pyplot figure on the Agg canvas (no display needed): ticks redraw
    only when something changed and the interval has passed; a closed window is left alone."""
    import warnings

    import matplotlib.pyplot as plt

    from rfscan.survey import waterfall as wfmod

    monkeypatch.setattr(wfmod, "display_available", lambda: True)
    monkeypatch.setattr(wfmod, "_interactive", lambda _name: True)
    buf = WaterfallBuffer([(896.14e6, 898.06e6)], bin_hz=BIN_HZ)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Agg "cannot be shown"
        wf = LiveWaterfall(buf, mode="monitor", window=True)
    assert wf.showing
    f, p, fl = _tone_dwell(897.1e6, 897.4e6, 25.0, seed=5)
    buf.add_dwell(897.1e6, f, p, 0.0, floor_dbfs=fl)
    wf.tick()
    assert wf.draws == 1
    assert "897.1 MHz" in wf.title()
    assert "round 1" in wf.title()
    buf.add_dwell(897.1e6, f, p, 0.1, floor_dbfs=fl)
    wf.tick()  # within REDRAW_S of the last draw: not redrawn
    assert wf.draws == 1
    plt.close("all")  # the user closes the window
    buf.add_dwell(897.1e6, f, p, 0.2, floor_dbfs=fl)
    wf.tick()
    assert wf.closed
    assert wf.draws == 1
    buf.add_dwell(897.1e6, f, p, 0.3, floor_dbfs=fl)  # the buffer keeps filling
    assert buf.row_keys()[0] == 3
    wf.finish()


def _luminance_to_level(rgb: np.ndarray) -> np.ndarray:
    """Invert the colour map: dB over the floor per pixel (NaN for markers and non-map colours)."""
    import matplotlib as mpl

    from rfscan.survey import waterfall as wfmod

    lut = mpl.colormaps[wfmod.CMAP](np.linspace(0.0, 1.0, 256))[:, :3]
    flat = rgb.reshape(-1, 3)
    d2 = ((flat[:, None, :] - lut[None, :, :]) ** 2).sum(axis=2)
    idx = d2.argmin(axis=1)
    level = wfmod.LEVEL_MIN_DB + idx / 255.0 * (wfmod.LEVEL_MAX_DB - wfmod.LEVEL_MIN_DB)
    level = np.where(d2[np.arange(idx.size), idx] < 0.003, level, np.nan)
    return level.reshape(rgb.shape[:2])


def test_sweep_writes_a_waterfall_png_with_the_emitters_bright(tmp_path: Path) -> None:
    import matplotlib.image as mpimg

    from rfscan.sim.emitters import make_model
    from rfscan.sim.scene import load_scene

    png = tmp_path / "out.png"
    out = tmp_path / "sweep.json"
    rc = main(
        [
            "sweep",
            "--source",
            "sim://crane-cabinet",
            "--bands",
            "B20,GSM900",
            "--passes",
            "2",
            "--waterfall-png",
            str(png),
            "--json",
            str(out),
            "-q",
        ]
    )
    assert rc == 0
    img = mpimg.imread(png)
    w, h = PNG_SIZE_PX
    assert img.shape[:2] == (h, w)
    # the waterfall axes: pixel columns map one-to-one to the buffer's columns over the plan's hops
    doc = json.loads(out.read_text())
    hops = doc["plan"]["hops"]
    own = [(max(x["low_hz"], x["usable_low_hz"]), min(x["high_hz"], x["usable_high_hz"])) for x in hops]
    buf = WaterfallBuffer(own, bin_hz=doc["plan"]["sample_rate_hz"] / 256)
    left, bottom, width, height = WATERFALL_RECT
    x0, x1 = round(left * w), round((left + width) * w)
    y0, y1 = round((1 - bottom - height) * h), round((1 - bottom) * h)
    assert x1 - x0 == buf.n_cols
    box = img[y0 + 3 : y1 - 3, x0:x1, :3]
    level = _luminance_to_level(box)
    level[:, [0, -1]] = 0.0  # the axes' frame
    col_level = np.nanmax(level, axis=0)
    # ground truth: the scene's emitters (true extents; the dongle's 25 ppm moves them ~22 kHz)
    scene = load_scene("crane-cabinet")
    spans = {e.id: make_model(e, scene.seed).span_hz() for e in scene.emitters}
    tol_hz = buf.col_hz + 30e3
    bright = np.flatnonzero(col_level >= 20.0)
    assert bright.size >= 3
    freqs = buf.column_freqs_hz[bright]
    near = {eid for f in freqs for eid, (lo, hi) in spans.items() if lo - tol_hz <= f <= hi + tol_hz}
    for f in freqs:  # every bright column is on an emitter of the scene
        assert any(lo - tol_hz <= f <= hi + tol_hz for lo, hi in spans.values()), f / 1e6
    # both hidden modems are among them (GSM on 897.4 MHz, the LTE modem in B20)
    assert "gsm-modem" in near or "gsm-modem-rach" in near
    assert near & {"lte-modem-pusch", "lte-modem-pucch", "lte-modem-prach"}
    # the noise between the emitters stays dark
    assert np.nanmedian(col_level) < 16.0


def test_waterfall_without_display_still_sweeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    out = tmp_path / "s.json"
    rc = main(
        [
            "sweep",
            "--source",
            "sim://crane-cabinet",
            "--bands",
            "GSM900",
            "--passes",
            "1",
            "--waterfall",
            "--json",
            str(out),
            "-q",
        ]
    )
    assert rc == 0
    err = capsys.readouterr().err
    assert err.count(NO_DISPLAY_NOTICE) == 1
    assert NO_DISPLAY_NOTICE + "\n" in err
    doc = json.loads(out.read_text())
    assert doc["complete"] is True


def test_monitor_and_locate_write_a_row_per_dwell(tmp_path: Path) -> None:
    import matplotlib.image as mpimg

    mon = tmp_path / "mon.png"
    rc = main(
        [
            "monitor",
            "--source",
            "sim://crane-cabinet",
            "--freq",
            "897.4M",
            "--duration",
            "1s",
            "--dwell",
            "0.1",
            "--waterfall-png",
            str(mon),
            "-q",
        ]
    )
    assert rc == 0
    assert mpimg.imread(mon).shape[:2] == (PNG_SIZE_PX[1], PNG_SIZE_PX[0])
    loc = tmp_path / "loc.png"
    rc = main(
        [
            "locate",
            "--source",
            "sim://crane-cabinet",
            "--freq",
            "833.4M",
            "--duration",
            "1s",
            "--waterfall-png",
            str(loc),
        ]
    )
    assert rc == 0
    assert mpimg.imread(loc).shape[:2] == (PNG_SIZE_PX[1], PNG_SIZE_PX[0])
