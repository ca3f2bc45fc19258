"""A live waterfall of the survey (``--waterfall``) and its final image (``--waterfall-png``).

Two parts, kept apart so the data model is testable without a display:

* :class:`WaterfallBuffer` - pure numpy.  Columns are frequency over the plan's watched windows
  only: the hops' owned windows are merged into segments and the gaps between segments (between
  bands) are left out, so a sweep of B20 and GSM900 does not spend half its width on 862-880 MHz.
  Rows are keyed by the caller: one row per pass of a sweep (each hop fills its own window of the
  row), one per round of a monitor (one per dwell with a single centre), one per reading of
  ``locate``.  Cells hold the dwell's max-hold power in dB above its noise floor.  Memory is fixed:
  ``max_rows x columns`` float32 cells and at most ``max_bursts`` burst markers.
* :class:`LiveWaterfall` - the engine's dwell observer plus the drawing (matplotlib, imported
  lazily).

Threads: the survey engine analyses every dwell on the thread that called ``SurveyEngine.run``
(the main thread for the CLI) while reader threads tune and read.  The engine calls
:meth:`LiveWaterfall.dwell` from ``_process`` (cheap: vectorized writes into the buffer) and
:meth:`LiveWaterfall.tick` from its wait loop (after each dwell and at least every 0.2 s while
waiting); ``tick`` redraws at most every :data:`REDRAW_S` seconds, and never more often than
keeps drawing under ~20 % of that thread's time.  So the GUI only runs on the main thread, and
a slow draw only delays analysis, which the engine's dwell queue absorbs (readers never wait on
it until the queue is full).  Closing the window stops the drawing, never the survey.  Any
failure of the window disables the window and nothing else.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from rfscan.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rfscan.survey.events import LiveView
    from rfscan.survey.plan import HopPlan

__all__ = [
    "NO_DISPLAY_NOTICE",
    "BandMark",
    "LiveWaterfall",
    "WaterfallBuffer",
    "display_available",
    "render_png",
]

#: The one line printed on stderr when ``--waterfall`` cannot open a window.
NO_DISPLAY_NOTICE = "rfscan: no display for --waterfall; continuing without it"
#: Rows kept (oldest dropped first).
DEFAULT_MAX_ROWS = 200
#: Most frequency columns (wider plans get columns wider than one FFT bin): the waterfall's width
#: in pixels in the final image, so that every column is one pixel (none skipped by resampling).
DEFAULT_MAX_COLS = 960
#: Burst markers kept.
DEFAULT_MAX_BURSTS = 4000
#: Shortest time between two redraws of the window.
REDRAW_S = 0.2
#: Largest fraction of the analysis thread's time spent drawing (the redraw interval stretches).
DRAW_SHARE = 0.2
#: Colour scale: dB above the noise floor (a dwell's max-hold of pure noise sits ~8-10 dB above it).
LEVEL_MIN_DB = 5.0
LEVEL_MAX_DB = 40.0
CMAP = "viridis"
#: Final image: size in pixels and dots per inch.
PNG_SIZE_PX = (1200, 720)
PNG_DPI = 100
#: Figure layout as (left, bottom, width, height) fractions: the waterfall, the band strip above
#: it and the colour bar.  The waterfall image fills its axes exactly (pixel columns map linearly
#: to buffer columns).
WATERFALL_RECT = (0.08, 0.10, 0.80, 0.72)
BAND_STRIP_RECT = (0.08, 0.83, 0.80, 0.04)
COLORBAR_RECT = (0.90, 0.10, 0.018, 0.72)


@dataclass(frozen=True)
class BandMark:
    """A span to mark above the waterfall (a requested band's uplink, or the located emitter)."""

    name: str
    low_hz: float
    high_hz: float


class WaterfallBuffer:
    """Bounded waterfall rows over the watched frequency windows (pure numpy, no display).

    Parameters
    ----------
    windows_hz : sequence of (float, float)
        The frequency windows that are watched (a hop's owned part of its usable window).
        Overlapping or touching windows are merged into segments; gaps between segments get no
        columns.
    bin_hz : float
        Native frequency resolution of the spectra (a column is never narrower).
    max_rows : int
        Rows kept; the row with the smallest key is dropped when a new one is needed.
    max_cols : int
        Most columns.
    max_bursts : int
        Burst markers kept (oldest dropped).
    bands : sequence of BandMark
        Spans to mark (drawing only).

    Raises
    ------
    InputError
        No window, an empty window, or non-positive sizes.
    """

    def __init__(
        self,
        windows_hz: Sequence[tuple[float, float]],
        *,
        bin_hz: float,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_cols: int = DEFAULT_MAX_COLS,
        max_bursts: int = DEFAULT_MAX_BURSTS,
        bands: Sequence[BandMark] = (),
    ) -> None:
        if not windows_hz:
            raise InputError("waterfall: no frequency window to show")
        if max_rows < 1 or max_cols < 1 or not bin_hz > 0:
            raise InputError("waterfall: rows, columns and bin width must be positive")
        win = np.asarray(sorted((float(lo), float(hi)) for lo, hi in windows_hz), dtype=np.float64)
        if np.any(win[:, 1] <= win[:, 0]):
            raise InputError("waterfall: a frequency window is empty (high <= low)")
        self.windows_hz = win
        self.segments_hz = _merge(win)
        widths = self.segments_hz[:, 1] - self.segments_hz[:, 0]
        self._seg_off_hz = np.concatenate(([0.0], np.cumsum(widths)))
        total_hz = float(self._seg_off_hz[-1])
        self.n_cols = int(max(1, min(max_cols, math.ceil(total_hz / bin_hz - 1e-9))))
        self.col_hz = total_hz / self.n_cols
        self.max_rows = int(max_rows)
        self.bands = tuple(bands)
        self.column_freqs_hz = self.freq_of_position(np.arange(self.n_cols, dtype=np.float64) + 0.5)
        self._grid = np.full((self.max_rows, self.n_cols), np.nan, dtype=np.float32)
        self._slot_of: dict[int, int] = {}
        self._key_of_slot = np.full(self.max_rows, -1, dtype=np.int64)
        self._t_of_slot = np.full(self.max_rows, np.nan)
        self._free = list(range(self.max_rows - 1, -1, -1))
        self._auto_key = 0
        self._bursts: deque[tuple[int, int, float]] = deque(maxlen=int(max_bursts))
        self.last_center_hz: float | None = None
        self.last_key: int | None = None
        self.dwells = 0
        self.version = 0

    @classmethod
    def from_plan(
        cls,
        plan: HopPlan,
        *,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_cols: int = DEFAULT_MAX_COLS,
        max_bursts: int = DEFAULT_MAX_BURSTS,
    ) -> WaterfallBuffer:
        """Columns over the plan's hops (each hop's owned part of its usable window), the
        requested spans as band marks, and one bin of the pipeline's STFT as the finest column."""
        from rfscan.dsp.stft import StftConfig

        windows = [_own_window(h) for h in plan.hops]
        bands = [
            BandMark(f"{s.name} {s.link}" if s.link != "any" else s.name, s.low_hz, s.high_hz)
            for s in plan.spans
        ]
        return cls(
            windows,
            bin_hz=plan.sample_rate_hz / StftConfig.for_rate(plan.sample_rate_hz).nfft,
            max_rows=max_rows,
            max_cols=max_cols,
            max_bursts=max_bursts,
            bands=bands,
        )

    # -- frequency <-> column --------------------------------------------------------------
    def position_of(self, freqs_hz: NDArray[np.float64] | Sequence[float] | float) -> NDArray[np.float64]:
        """Continuous column position (column ``c`` spans ``[c, c + 1)``) of each frequency;
        NaN outside the watched segments."""
        f = np.atleast_1d(np.asarray(freqs_hz, dtype=np.float64))
        seg = self.segments_hz
        i = np.searchsorted(seg[:, 0], f, side="right") - 1
        ic = np.clip(i, 0, len(seg) - 1)
        inside = (i >= 0) & (f <= seg[ic, 1])
        pos = (self._seg_off_hz[ic] + f - seg[ic, 0]) / self.col_hz
        return np.where(inside, pos, np.nan)

    def column_of(self, freqs_hz: NDArray[np.float64] | Sequence[float] | float) -> NDArray[np.int64]:
        """Column index of each frequency (-1 outside the watched segments)."""
        pos = self.position_of(freqs_hz)
        ok = np.isfinite(pos)
        col = np.clip(np.floor(np.where(ok, pos, 0.0)), 0, self.n_cols - 1).astype(np.int64)
        return np.where(ok, col, -1)

    def freq_of_position(self, pos: NDArray[np.float64] | Sequence[float] | float) -> NDArray[np.float64]:
        """Frequency at continuous column positions (inverse of :meth:`position_of`)."""
        p = np.atleast_1d(np.asarray(pos, dtype=np.float64)) * self.col_hz
        i = np.clip(np.searchsorted(self._seg_off_hz, p, side="right") - 1, 0, len(self.segments_hz) - 1)
        return np.asarray(self.segments_hz[i, 0] + p - self._seg_off_hz[i], dtype=np.float64)

    # -- rows ------------------------------------------------------------------------------
    def _slot(self, key: int, t_s: float) -> int | None:
        slot = self._slot_of.get(key)
        if slot is not None:
            return slot
        if not self._free:
            oldest = min(self._slot_of)
            if key < oldest:
                return None  # older than everything kept: dropped
            slot = self._slot_of.pop(oldest)
            self._grid[slot] = np.nan
        else:
            slot = self._free.pop()
        self._slot_of[key] = slot
        self._key_of_slot[slot] = key
        self._t_of_slot[slot] = t_s
        return slot

    def add_dwell(
        self,
        center_hz: float,
        freqs_hz: NDArray[np.float64] | Sequence[float],
        power_dbfs: NDArray[np.float64] | Sequence[float],
        t_s: float,
        *,
        key: int | None = None,
        floor_dbfs: NDArray[np.float64] | Sequence[float] | float | None = None,
        keep_hz: tuple[float, float] | None = None,
    ) -> int | None:
        """Put one dwell's spectrum into a row.

        Parameters
        ----------
        center_hz : float
            Tuner centre of the dwell (the title shows it).
        freqs_hz, power_dbfs : array_like
            Bin frequencies and power (dBFS), e.g. a :class:`rfscan.dsp.spectra.Spectra`'s
            ``freqs_hz`` and ``max_dbfs``.
        t_s : float
            Stream time of the dwell (kept per row).
        key : int or None
            Row key (a pass index); dwells with the same key share a row.  None: a new row.
        floor_dbfs : array_like or float or None
            Noise floor per bin (or one value); cells hold ``power - floor``.  None: the median
            power of the kept bins.
        keep_hz : (float, float) or None
            Only bins in this window are used (a hop's owned window).  None: the watched window
            that contains ``center_hz`` (all bins if none does).

        Returns
        -------
        int or None
            The row key used, or None if the row was older than every row kept.
        """
        f = np.asarray(freqs_hz, dtype=np.float64).ravel()
        p = np.asarray(power_dbfs, dtype=np.float64).ravel()
        if f.shape != p.shape:
            raise InputError("waterfall: frequencies and powers differ in length")
        if key is None:
            key = max(self._auto_key, (max(self._slot_of) + 1) if self._slot_of else 0)
        self._auto_key = max(self._auto_key, key + 1)
        self.last_center_hz = float(center_hz)
        self.last_key = key
        self.dwells += 1
        self.version += 1
        slot = self._slot(key, t_s)
        if slot is None:
            return None
        if floor_dbfs is None:
            fl: NDArray[np.float64] | float = float(np.nanmedian(p)) if p.size else 0.0
        else:
            fl = np.broadcast_to(np.asarray(floor_dbfs, dtype=np.float64).ravel(), p.shape)
        level = p - fl
        if keep_hz is None:
            w = self.windows_hz
            inside = np.flatnonzero((w[:, 0] <= center_hz) & (center_hz <= w[:, 1]))
            keep_hz = (
                (float(w[inside[0], 0]), float(w[inside[0], 1])) if inside.size else (-math.inf, math.inf)
            )
        keep = (f >= keep_hz[0]) & (f <= keep_hz[1]) & np.isfinite(level)
        pos = self.position_of(f[keep])
        ok = np.isfinite(pos)
        if not np.any(ok):
            return key
        fk = f[keep][ok]
        lk = level[keep][ok]
        cols = np.clip(np.floor(pos[ok]), 0, self.n_cols - 1).astype(np.int64)
        row = self._grid[slot]
        # columns narrower than a bin would get no bin: interpolate their centres first, then
        # max-pool the bins that fall in each column
        order = np.argsort(fk)
        c0, c1 = int(cols.min()), int(cols.max())
        span = np.arange(c0, c1 + 1)
        interp = np.interp(self.column_freqs_hz[span], fk[order], lk[order])
        row[span] = np.fmax(row[span], interp.astype(np.float32))
        np.fmax.at(row, cols, lk.astype(np.float32))
        return key

    def add_burst(self, freq_hz: float, *, key: int | None = None, snr_db: float = math.nan) -> bool:
        """Mark a burst at ``freq_hz`` in the row ``key`` (None: the latest row).

        Returns
        -------
        bool
            True if the burst is in a watched column (else it is not kept).
        """
        k = self.last_key if key is None else key
        if k is None:
            return False
        col = int(self.column_of(freq_hz)[0])
        if col < 0:
            return False
        self._bursts.append((int(k), col, float(snr_db)))
        self.version += 1
        return True

    # -- views -----------------------------------------------------------------------------
    def row_keys(self) -> list[int]:
        """Keys of the rows kept, newest (largest) first: the image's row order."""
        return sorted(self._slot_of, reverse=True)

    def image(self) -> NDArray[np.float32]:
        """The waterfall, shape ``(rows kept (at least 1), n_cols)``, row 0 the newest; NaN where
        nothing was seen (columns not yet visited in that row)."""
        keys = self.row_keys()
        if not keys:
            return np.full((1, self.n_cols), np.nan, dtype=np.float32)
        return self._grid[[self._slot_of[k] for k in keys]]

    def burst_cells(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Image (row, column) of every kept burst whose row is still shown."""
        rank = {k: r for r, k in enumerate(self.row_keys())}
        cells = [(rank[k], c) for k, c, _ in self._bursts if k in rank]
        if not cells:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        a = np.asarray(cells, dtype=np.int64)
        return a[:, 0], a[:, 1]

    @property
    def nbytes(self) -> int:
        """Memory held by the cells."""
        return int(self._grid.nbytes + self._key_of_slot.nbytes + self._t_of_slot.nbytes)


def _merge(win: NDArray[np.float64]) -> NDArray[np.float64]:
    """Union of sorted windows as disjoint segments."""
    out: list[list[float]] = []
    for lo, hi in win:
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], float(hi))
        else:
            out.append([float(lo), float(hi)])
    return np.asarray(out, dtype=np.float64)


def _own_window(hop: Any) -> tuple[float, float]:
    """A hop's owned part of its usable window."""
    return (
        max(float(hop.low_hz), float(hop.usable_low_hz)),
        min(float(hop.high_hz), float(hop.usable_high_hz)),
    )


# ----------------------------------------------------------------------------------------------
# drawing


def display_available() -> bool:
    """True unless on Linux/BSD without ``$DISPLAY`` and ``$WAYLAND_DISPLAY`` (no window possible)."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


#: matplotlib's built-in backends that only write files (matplotlib docs, "Backends").
_FILE_BACKENDS = frozenset({"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"})


def _interactive(backend: str) -> bool:
    """True if a matplotlib backend opens windows (a file-only or inline backend does not)."""
    name = backend.lower()
    if name in _FILE_BACKENDS or "inline" in name:
        return False
    try:
        from matplotlib.backends.registry import BackendFilter, backend_registry

        known: list[str] = list(backend_registry.list_builtin(BackendFilter.INTERACTIVE))  # type: ignore[no-untyped-call]
    except ImportError:  # pragma: no cover - matplotlib < 3.9: trust the name
        return True
    return name in known or name.startswith("module://")


@dataclass
class _Artists:
    image: Any
    markers: Any
    title: Any


def _layout(fig: Figure, buf: WaterfallBuffer, row_label: str) -> _Artists:
    """Draw the static parts (axes, band strip, colour bar) and return the live artists."""
    import matplotlib as mpl

    cmap = mpl.colormaps[CMAP].with_extremes(bad="#202020")
    ax = fig.add_axes(WATERFALL_RECT)
    strip = fig.add_axes(BAND_STRIP_RECT, sharex=ax)
    cax = fig.add_axes(COLORBAR_RECT)
    im = ax.imshow(
        buf.image(),
        aspect="auto",
        interpolation="nearest",
        origin="upper",
        cmap=cmap,
        vmin=LEVEL_MIN_DB,
        vmax=LEVEL_MAX_DB,
        extent=(0.0, float(buf.n_cols), 1.0, 0.0),
    )
    fig.colorbar(im, cax=cax, label="dB above the noise floor (max-hold per dwell)")
    markers = ax.scatter(
        [], [], s=14, marker="o", facecolors="none", edgecolors="#ff3030", linewidths=0.8, label="burst"
    )
    ax.set_xlim(0.0, float(buf.n_cols))
    ax.set_ylim(1.0, 0.0)
    ax.set_ylabel(f"{row_label} (newest at top)")
    # x ticks: every segment's edges plus round frequencies inside the segments
    ticks, labels = _freq_ticks(buf)
    ax.set_xticks(ticks, labels, fontsize=8)
    gaps = "; gaps between watched segments left out (black lines above)" if len(buf.segments_hz) > 1 else ""
    ax.set_xlabel(f"frequency (MHz){gaps}")
    for k in range(1, len(buf.segments_hz)):
        x = buf._seg_off_hz[k] / buf.col_hz
        strip.axvline(x, color="black", linewidth=1.5)
    # band strip: each requested band's span with its edges
    strip.set_ylim(0.0, 1.0)
    strip.set_yticks([])
    strip.tick_params(axis="x", labelbottom=False)
    for i, b in enumerate(buf.bands):
        lo, hi = _clip_to_segments(buf, b.low_hz, b.high_hz)
        if lo is None or hi is None:
            continue
        x0 = float(buf.position_of(lo)[0])
        x1 = float(buf.position_of(hi)[0])
        colour = ("#d62728", "#ff7f0e")[i % 2]
        strip.axvspan(x0, x1, color=colour, alpha=0.35)
        for x in (x0, x1):
            strip.axvline(x, color=colour, linewidth=1.0)
        strip.text((x0 + x1) / 2, 0.5, b.name, ha="center", va="center", fontsize=8, clip_on=True)
    title = fig.suptitle("", fontsize=11)
    return _Artists(im, markers, title)


def _clip_to_segments(buf: WaterfallBuffer, lo: float, hi: float) -> tuple[float | None, float | None]:
    seg = buf.segments_hz
    lo_c = [max(lo, a) for a, b in seg if b > lo and a < hi]
    hi_c = [min(hi, b) for a, b in seg if b > lo and a < hi]
    if not lo_c:
        return None, None
    return min(lo_c), max(hi_c)


def _freq_ticks(buf: WaterfallBuffer, max_ticks: int = 12) -> tuple[list[float], list[str]]:
    total_hz = buf.col_hz * buf.n_cols
    step = 10 ** math.floor(math.log10(max(total_hz / max_ticks, 1.0)))
    for m in (1, 2, 5, 10):
        if total_hz / (m * step) <= max_ticks:
            step *= m
            break
    freqs: list[float] = []
    for lo, hi in buf.segments_hz:
        freqs.extend(np.arange(math.ceil(lo / step) * step, hi + 1e-6, step).tolist())
    pos = buf.position_of(np.asarray(freqs)) if freqs else np.zeros(0)
    out = [(float(p), f"{f / 1e6:.6g}") for p, f in zip(pos, freqs, strict=True) if np.isfinite(p)]
    return [p for p, _ in out], [t for _, t in out]


def _refresh(art: _Artists, buf: WaterfallBuffer, title: str) -> None:
    img = buf.image()
    art.image.set_data(img)
    rows_shown = float(img.shape[0])
    art.image.set_extent((0.0, float(buf.n_cols), rows_shown, 0.0))
    ax = art.image.axes
    ax.set_ylim(rows_shown, 0.0)
    keys = buf.row_keys()
    shown = sorted({round(r) for r in np.linspace(0, len(keys) - 1, min(len(keys), 8))}) if keys else []
    ax.set_yticks([r + 0.5 for r in shown], [str(keys[r] + 1) for r in shown])
    rows, cols = buf.burst_cells()
    art.markers.set_offsets(np.column_stack((cols + 0.5, rows + 0.5)) if rows.size else np.zeros((0, 2)))
    art.title.set_text(title)


def render_png(
    buf: WaterfallBuffer, path: str | os.PathLike[str], *, title: str = "", row_label: str = "row"
) -> None:
    """Write the waterfall as a PNG of :data:`PNG_SIZE_PX` (Agg canvas, no pyplot, no display).

    Raises
    ------
    InputError
        The file cannot be written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    w, h = PNG_SIZE_PX
    fig = Figure(figsize=(w / PNG_DPI, h / PNG_DPI), dpi=PNG_DPI)
    FigureCanvasAgg(fig)
    art = _layout(fig, buf, row_label)
    _refresh(art, buf, title)
    out = Path(path)
    tmp = out.with_name(out.name + ".tmp")
    try:
        fig.savefig(tmp, format="png", dpi=PNG_DPI)
        os.replace(tmp, out)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write the waterfall image {out}: {err.strerror or err}") from err


class LiveWaterfall:
    """The survey's dwell observer: fills a :class:`WaterfallBuffer` and, with a display, keeps a
    window up to date from the main thread (see the module notes on threads).

    Parameters
    ----------
    buffer : WaterfallBuffer
        Where the dwells go.
    mode : str
        ``sweep``, ``monitor`` or ``locate`` (title, row label).
    passes : int or None
        Planned passes (the title shows ``pass i/N``).
    window : bool
        Try to open a window (``--waterfall``).
    png : str or None
        Final image path (``--waterfall-png``), written by :meth:`finish`.
    view : LiveView or None
        Where the no-display notice goes (default: stderr).
    """

    def __init__(
        self,
        buffer: WaterfallBuffer,
        *,
        mode: str,
        passes: int | None = None,
        window: bool = False,
        png: str | None = None,
        view: LiveView | None = None,
    ) -> None:
        self.buffer = buffer
        self.mode = mode
        self.passes = passes
        self.png = png
        self.view = view
        self.row_label = {"sweep": "pass", "monitor": "round", "locate": "reading"}.get(mode, "row")
        self._fig: Any = None
        self._art: _Artists | None = None
        self._plt: Any = None
        self._next_draw = 0.0
        self._drawn_version = -1
        self.draws = 0
        self.closed = False
        if window:
            self._open()

    @property
    def showing(self) -> bool:
        """True while the window is open."""
        return self._fig is not None and not self.closed

    def _notice(self, text: str) -> None:
        if self.view is not None:
            self.view.notice(text)
        else:
            print(text, file=sys.stderr)

    def _open(self) -> None:
        if not display_available():
            self._notice(NO_DISPLAY_NOTICE)
            return
        try:
            import matplotlib.pyplot as plt

            if not _interactive(str(plt.get_backend())):
                self._notice(NO_DISPLAY_NOTICE)
                return
            w, h = PNG_SIZE_PX
            fig = plt.figure(figsize=(w / PNG_DPI, h / PNG_DPI), dpi=PNG_DPI)
            fig.canvas.manager.set_window_title(f"rfscan {self.mode} waterfall")  # type: ignore[union-attr]
            self._art = _layout(fig, self.buffer, self.row_label)
            fig.canvas.mpl_connect("close_event", self._on_close)
            plt.show(block=False)
            fig.canvas.flush_events()
        except Exception as err:  # any GUI failure only loses the window
            self._notice(f"{NO_DISPLAY_NOTICE} ({type(err).__name__})")
            self._fig = None
            return
        self._plt = plt
        self._fig = fig

    def _on_close(self, _event: object) -> None:
        self.closed = True

    def title(self) -> str:
        """Current frequency and pass (or round / reading)."""
        from rfscan.units import format_hz

        b = self.buffer
        if b.last_center_hz is None or b.last_key is None:
            return f"rfscan {self.mode}: waiting for the first dwell"
        total = f"/{self.passes}" if self.passes is not None and self.row_label == "pass" else ""
        return (
            f"rfscan {self.mode}: at {format_hz(b.last_center_hz)}, {self.row_label} {b.last_key + 1}{total}"
        )

    # -- the engine's observer -------------------------------------------------------------
    def dwell(
        self, hop: Any, pass_index: int, t_s: float, spectra: Sequence[Any], bursts: Sequence[Any]
    ) -> None:
        """A dwell was analysed (``bursts``: the :class:`BurstRecord` s kept by the hop).
        Only fills the buffer."""
        self.add(hop.center_hz, pass_index, t_s, spectra, [r.burst for r in bursts], keep_hz=_own_window(hop))

    def add(
        self,
        center_hz: float,
        key: int | None,
        t_s: float,
        spectra: Sequence[Any],
        bursts: Sequence[Any],
        *,
        keep_hz: tuple[float, float] | None = None,
    ) -> None:
        """Put the spectra (max-hold over their noise floor) and bursts of one dwell in row ``key``."""
        used: int | None = key
        for sp in spectra:
            used = self.buffer.add_dwell(
                center_hz,
                sp.freqs_hz,
                sp.max_dbfs,
                t_s,
                key=key,
                floor_dbfs=sp.noise_floor_dbfs,
                keep_hz=keep_hz,
            )
        if used is None:
            return
        for b in bursts:
            self.buffer.add_burst(float(b.freq_hz), key=used, snr_db=float(b.snr_db))

    def tick(self) -> None:
        """Redraw if the window is open, something changed and the last draw is old enough.
        Call from the main thread only."""
        if not self.showing or self._art is None:
            return
        if self._plt is not None and not self._plt.fignum_exists(self._fig.number):
            self.closed = True  # closed by the user: stop drawing, the survey goes on
            self._fig = None
            return
        now = time.monotonic()
        if now < self._next_draw or self.buffer.version == self._drawn_version:
            if self._fig is not None:
                self._pump()
            return
        t0 = time.perf_counter()
        try:
            _refresh(self._art, self.buffer, self.title())
            self._fig.canvas.draw_idle()
            self._fig.canvas.flush_events()
        except Exception:  # a broken window must not break the survey
            self._drop_window()
            return
        spent = time.perf_counter() - t0
        self._drawn_version = self.buffer.version
        self.draws += 1
        self._next_draw = time.monotonic() + max(REDRAW_S, spent / DRAW_SHARE)

    def _pump(self) -> None:
        """Let the GUI handle its events (resize, close) between redraws."""
        try:
            self._fig.canvas.flush_events()
        except Exception:  # see tick
            self._drop_window()

    def _drop_window(self) -> None:
        self.closed = True
        fig, self._fig = self._fig, None
        if fig is not None and self._plt is not None:
            with contextlib.suppress(Exception):  # already gone
                self._plt.close(fig)

    def finish(self) -> None:
        """Final redraw, write ``png`` (if given) and close the window.

        Raises
        ------
        InputError
            The image cannot be written.
        """
        try:
            if self.showing:
                self._next_draw = 0.0
                self._drawn_version = -1
                self.tick()
        finally:
            self.close()
        if self.png:
            render_png(self.buffer, self.png, title=self.title(), row_label=self.row_label)

    def close(self) -> None:
        """Close the window (safe twice)."""
        self._drop_window()
