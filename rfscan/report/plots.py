"""Plots for the reports, rendered with matplotlib's Agg canvas to PNG bytes.

No pyplot global state is used, so plotting is safe in threads and tests.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Colours for shaded band-plan spans, by link.
_LINK_COLOURS = {"uplink": "#d62728", "downlink": "#1f77b4", "ism": "#9467bd"}


@dataclass(frozen=True)
class Span:
    """A labelled frequency span to shade on a spectrum (a band's uplink or downlink)."""

    low_hz: float
    high_hz: float
    label: str
    link: str


@dataclass(frozen=True)
class Box:
    """A burst to outline on a spectrogram."""

    start_s: float
    duration_s: float
    low_hz: float
    high_hz: float
    label: str | None = None


def figure_canvas(width_in: float, height_in: float) -> tuple[Figure, Axes]:
    """A figure on an Agg canvas (no pyplot state) and its one axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(1, 1, 1)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def spectrum_png(
    freq_hz: NDArray[np.floating],
    traces: Sequence[tuple[str, NDArray[np.floating]]],
    *,
    spans: Sequence[Span] = (),
    title: str = "Spectrum",
    ylabel: str = "power per bin (dBFS)",
) -> bytes:
    """Plot named traces (mean, max-hold, noise floor...) against frequency, bands shaded.

    Parameters
    ----------
    freq_hz
        Absolute RF frequency of each bin, ascending; gaps between hops may be NaN traces.
    traces
        ``(name, values_db)`` pairs of the same length as ``freq_hz``.
    spans
        Band-plan spans to shade and label.
    """
    fig, ax = figure_canvas(11.0, 3.6)
    f_mhz = np.asarray(freq_hz, dtype=np.float64) / 1e6
    for name, values in traces:
        ax.plot(f_mhz, values, linewidth=0.8, label=name)
    lo, hi = float(np.nanmin(f_mhz)), float(np.nanmax(f_mhz))
    for span in spans:
        a, b = max(span.low_hz / 1e6, lo), min(span.high_hz / 1e6, hi)
        if b <= a:
            continue
        colour = _LINK_COLOURS.get(span.link, "#7f7f7f")
        ax.axvspan(a, b, color=colour, alpha=0.08, linewidth=0)
        ax.text(
            (a + b) / 2,
            0.98,
            span.label,
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="top",
            fontsize=7,
            color=colour,
            clip_on=True,
        )
    ax.set_xlim(lo, hi)
    ax.set_xlabel("frequency (MHz)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return png_bytes(fig)


def spectrogram_png(
    power_db: NDArray[np.floating],
    *,
    t0_s: float,
    t1_s: float,
    f0_hz: float,
    f1_hz: float,
    boxes: Sequence[Box] = (),
    title: str = "Spectrogram",
    vmin_db: float | None = None,
    vmax_db: float | None = None,
) -> bytes:
    """Plot a (time x frequency) power image with bursts outlined.

    ``power_db`` has one row per time step (oldest first) and one column per bin
    from ``f0_hz`` to ``f1_hz``.
    """
    from matplotlib.patches import Rectangle

    fig, ax = figure_canvas(11.0, 4.2)
    finite = power_db[np.isfinite(power_db)]
    lo = vmin_db if vmin_db is not None else (float(np.percentile(finite, 5)) if finite.size else -100.0)
    hi = vmax_db if vmax_db is not None else (float(np.max(finite)) if finite.size else 0.0)
    img = ax.imshow(
        power_db,
        aspect="auto",
        origin="lower",
        interpolation="nearest",
        cmap="viridis",
        extent=(f0_hz / 1e6, f1_hz / 1e6, t0_s, t1_s),
        vmin=lo,
        vmax=max(hi, lo + 1.0),
    )
    for box in boxes:
        ax.add_patch(
            Rectangle(
                (box.low_hz / 1e6, box.start_s),
                (box.high_hz - box.low_hz) / 1e6,
                max(box.duration_s, (t1_s - t0_s) / 400),
                fill=False,
                edgecolor="#ff3b30",
                linewidth=0.9,
            )
        )
    ax.set_xlabel("frequency (MHz)")
    ax.set_ylabel("time (s)")
    ax.set_title(title)
    fig.colorbar(img, ax=ax, label="dBFS per bin", shrink=0.9)
    return png_bytes(fig)


def timeline_png(
    rows: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    *,
    t0_s: float,
    t1_s: float,
    title: str = "Bursts per emitter",
) -> bytes:
    """A burst timeline: one row per emitter, one bar per burst ``(start_s, duration_s)``."""
    fig, ax = figure_canvas(11.0, 0.6 + 0.35 * max(len(rows), 1))
    min_w = (t1_s - t0_s) / 2000 if t1_s > t0_s else 1e-3
    for i, (_, bursts) in enumerate(rows):
        bars = [(s, max(d, min_w)) for s, d in bursts]
        ax.broken_barh(bars, (i - 0.35, 0.7), color="#d62728")
    ax.set_yticks(range(len(rows)), [name for name, _ in rows], fontsize=8)
    ax.set_xlim(t0_s, t1_s)
    ax.set_xlabel("time (s)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return png_bytes(fig)
