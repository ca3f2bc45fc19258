"""The sweep / monitor JSON documents and the sweep page.

``schema``: ``modemhunt.sweep/1`` or ``modemhunt.monitor/1``.  Names shared with ``analyze``:
``emitters`` (freq_hz, bandwidth_hz, tech, link, band, channel, burst_count, first_s, last_s,
duty_cycle, period_s, peak_dbfs, snr_db, + first_utc, last_utc) and ``bursts`` (start_s,
duration_s, freq_hz, bandwidth_hz, peak_dbfs, snr_db, emitter, + utc, source, hop).  Plus
``source`` (one per dongle: url, driver, tuner, serial, gain, ppm, rate), ``plan`` (hops, dwell_s,
settle_s, unreachable...), ``coverage`` (bands: band, link, watched_s, fraction_of_run, dwell_s,
revisit_s, visits, intercept), ``faults``, ``timing`` and ``complete``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rfscan import __version__
from rfscan.survey.engine import MAX_JSON_BURSTS, SurveyEngine
from rfscan.survey.events import clean_text, utc_from_epoch

__all__ = ["build_document", "render_html", "source_doc", "verdict"]


def source_doc(src: Any) -> dict[str, Any]:
    """What a source is and how it was set."""
    info = src.info
    return {
        "url": clean_text(src.url, 300),
        "driver": info.driver,
        "tuner": clean_text(info.tuner, 40),
        "serial": None if info.serial is None else clean_text(info.serial, 64),
        "gain_db": src.gain_db,
        "gain": "auto" if src.gain_db is None else src.gain_db,
        "ppm": src.ppm,
        "rate_hz": src.sample_rate_hz,
        "settle_s": getattr(src, "settle_s", None),
        "backlog_bytes": getattr(src, "backlog_bytes", None),
        "transfer_bytes": getattr(src, "transfer_bytes", None),
        "latency_margin_s": getattr(src, "latency_margin_s", None),
    }


def build_document(engine: SurveyEngine, *, mode: str = "sweep", note: str | None = None) -> dict[str, Any]:
    """Assemble the sweep (or monitor) document from an engine (running or finished)."""
    from rfscan.report.analysis import is_cellular_uplink

    emitters, assignment = engine.emitters()
    bursts = []
    for rec, k in zip(engine.bursts[:MAX_JSON_BURSTS], assignment[:MAX_JSON_BURSTS], strict=False):
        d = rec.burst.to_dict()
        d["emitter"] = k
        d["utc"] = utc_from_epoch(rec.utc_epoch_s)
        d["source"] = rec.source
        d["hop"] = rec.hop
        d["pass_index"] = rec.pass_index
        bursts.append(d)
    uplinks = [e for e in emitters if is_cellular_uplink(e)]
    doc: dict[str, Any] = {
        "schema": f"modemhunt.{mode}/1",
        "tool": {"name": "rfscan", "version": __version__, "command": mode},
        "generated_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "started_utc": engine.started_utc,
        "complete": engine.complete,
        "interrupted": engine.interrupted,
        "error": engine.error,
        "region": engine.region,
        "source": [source_doc(s) for s in engine.sources],
        "plan": engine.plan.to_dict(len(engine.sources))
        | {
            "passes_requested": engine.passes,
            "duration_s_requested": engine.duration_s,
            "passes_done": min(engine.pass_done) if engine.pass_done else 0,
            "hops_per_source": [[h.index for h in share] for share in engine.shares],
        },
        "summary": {
            "emitters": len(emitters),
            "uplink_emitters": len(uplinks),
            "bursts": len(engine.bursts),
            "bursts_in_json": len(bursts),
            "techs": sorted({e["tech"] for e in uplinks}),
        },
        "emitters": emitters,
        "bursts": bursts,
        "coverage": engine.coverage(),
        "spectrum": engine.stitched_spectrum(),
        "faults": engine.fault_doc(),
        "timing": engine.timing_doc(),
        "events": {
            "path": None if engine.events.path is None else str(engine.events.path),
            "count": engine.events.count,
        },
    }
    if note:
        doc["note"] = note
    return doc


def verdict(doc: Mapping[str, Any]) -> tuple[str, list[str]]:
    """Plain-words verdict and level; never says "nothing found" without the coverage."""
    from rfscan.bands.classify import CELLULAR_TECHS
    from rfscan.report.analysis import is_cellular_uplink
    from rfscan.units import format_hz

    uplinks = [e for e in doc["emitters"] if is_cellular_uplink(e)]
    unknown = [e for e in doc["emitters"] if e["link"] is None and e["tech"] in CELLULAR_TECHS]
    lines = []
    for e in uplinks:
        lines.append(
            f"{e['tech'].upper()} uplink emitter, band {e.get('band') or '?'}, {format_hz(e['freq_hz'])}, "
            f"{e['burst_count']} bursts, first {e.get('first_utc', '?')}, last {e.get('last_utc', '?')}, "
            f"SNR {e['snr_db']:.1f} dB"
        )
    for e in unknown:
        lines.append(f"{e['tech'].upper()} emitter at {format_hz(e['freq_hz'])}: link undecided")
    cov = doc["coverage"]
    watched = "; ".join(
        f"{b['band']} {b['link']}: watched {b['watched_s']:.2f} s in {b['visits']} visits, revisit "
        + ("-" if b["revisit_s"] is None else f"{b['revisit_s']:.2f} s")
        for b in cov["bands"]
    )
    unreachable = ", ".join(sorted({u["band"] for u in cov["unreachable"]})) or "none"
    tail = [f"Run {cov['run_s']:.2f} s. {watched}.", f"Not reachable by the tuner: {unreachable}."]
    if not doc.get("complete", True):
        tail.append("The survey did not complete: " + (doc.get("error") or "interrupted") + ".")
    if uplinks:
        return "bad", [*lines, *tail]
    return ("warn" if unknown else "ok"), [*lines, "No cellular uplink seen in the coverage below.", *tail]


def render_html(doc: Mapping[str, Any]) -> str:
    """A readable page: verdict, emitters, stitched spectrum, burst timeline, coverage, faults."""
    import numpy as np

    from rfscan.bands import bands_in_span
    from rfscan.report.analysis import emitter_table
    from rfscan.report.page import Num, Page
    from rfscan.report.plots import Span, spectrum_png, timeline_png
    from rfscan.units import format_hz

    srcs = ", ".join(f"{s['url']} ({s['tuner']}, gain {s['gain']})" for s in doc["source"])
    page = Page(
        title=f"rfscan {doc['tool']['command']}: cellular uplink survey",
        subtitle=f"{srcs} \u00b7 region {doc['region'] or 'unknown'} \u00b7 started {doc['started_utc']} "
        f"\u00b7 rfscan {doc['tool']['version']}",
    )
    level, lines = verdict(doc)
    page.verdict(lines, level=level)
    page.heading("Emitters")
    emitter_table(page, doc["emitters"], utc=True)
    spec = doc["spectrum"]
    f = np.asarray(spec["freqs_hz"], dtype=np.float64)
    if f.size:
        order = np.argsort(f)
        f = f[order]
        gaps = np.flatnonzero(np.diff(f) > 4 * max(float(np.median(np.diff(f))), 1.0))
        traces = []
        for name in ("max_dbfs", "mean_dbfs", "noise_floor_dbfs"):
            v = np.asarray(spec[name], dtype=np.float64)[order]
            traces.append((name.replace("_dbfs", "").replace("_", " "), np.insert(v, gaps + 1, np.nan)))
        f_plot = np.insert(f, gaps + 1, f[gaps] + 1.0)
        spans = [
            Span(b.low_hz, b.high_hz, f"{b.band} {'UL' if b.link == 'uplink' else 'DL'}", b.link)
            for b in bands_in_span(float(f[0]), float(f[-1]), doc["region"], include_uncovered=False)
            if b.link in ("uplink", "downlink")
        ]
        for seg_lo, seg_hi in _segments(f):
            sel = (f_plot >= seg_lo) & (f_plot <= seg_hi)
            page.image_png(
                spectrum_png(
                    f_plot[sel],
                    [(n, v[sel]) for n, v in traces],
                    spans=[s for s in spans if s.high_hz > seg_lo and s.low_hz < seg_hi],
                    title=f"Stitched max-hold {format_hz(seg_lo)}-{format_hz(seg_hi)} "
                    "(uplink red, downlink blue)",
                ),
                alt="stitched spectrum",
                caption="Max-hold over all dwells of all passes: short bursts show in max-hold only.",
            )
    if doc["bursts"]:
        rows: dict[int, list[tuple[float, float]]] = {}
        for b in doc["bursts"]:
            if b["emitter"] is not None and b["emitter"] >= 0:
                rows.setdefault(int(b["emitter"]), []).append((b["start_s"], b["duration_s"]))
        t0 = min(b["start_s"] for b in doc["bursts"])
        t1 = max(b["start_s"] + b["duration_s"] for b in doc["bursts"])
        names = {e["id"]: f"#{e['id']} {format_hz(e['freq_hz'])} {e['tech']}" for e in doc["emitters"]}
        page.image_png(
            timeline_png(
                [(names.get(k, str(k)), v) for k, v in sorted(rows.items())][:40],
                t0_s=t0,
                t1_s=max(t1, t0 + 1e-3),
            ),
            alt="burst timeline",
        )
    page.heading("Coverage and probability of intercept")
    cov = doc["coverage"]
    page.paragraph(f"Run {cov['run_s']:.2f} s; revisit target {cov['target_revisit_s']:.1f} s.")
    page.table(
        ["band", "link", "hops", "watched (s)", "of run", "dwell (ms)", "revisit (s)", "visits"],
        [
            [
                b["band"],
                b["link"],
                Num(b["hops"], "{:d}"),
                Num(b["watched_s"], "{:.3f}"),
                Num(100 * b["fraction_of_run"], "{:.1f}%"),
                Num(1e3 * b["dwell_s"], "{:.1f}"),
                Num(b["revisit_s"], "{:.2f}"),
                Num(b["visits"], "{:d}"),
            ]
            for b in cov["bands"]
        ],
    )
    if cov["bands"] and cov["bands"][0]["intercept"]:
        page.table(
            ["a modem that transmits like this", *[b["band"] for b in cov["bands"]]],
            [
                [
                    row["behaviour"],
                    *[Num(100 * b["intercept"][i]["probability"], "{:.1f}%") for b in cov["bands"]],
                ]
                for i, row in enumerate(cov["bands"][0]["intercept"])
            ],
        )
    page.paragraph(
        "Not reachable by the tuner: "
        + (
            ", ".join(
                f"{u['band']} {u['link']} {format_hz(u['low_hz'])}-{format_hz(u['high_hz'])}"
                for u in cov["unreachable"]
            )
            or "none"
        )
    )
    fl = doc["faults"]
    page.heading("Faults and timing")
    page.paragraph(
        f"Dropped samples {fl['dropped_samples']}, short reads {fl['short_reads']}, reconnects "
        f"{fl['reconnects']}, dwells not analysed (analysis behind) {fl.get('dwells_unanalysed', 0)}, "
        f"errors: {'; '.join(fl['errors']) or 'none'}."
    )
    tm = doc["timing"]
    page.paragraph(
        f"{tm['dwells']} dwells of {1e3 * tm['mean_dwell_s']:.1f} ms; "
        f"{1e3 * tm['mean_hop_wall_s']:.1f} ms per hop; "
        f"processing {1e3 * tm['mean_processing_s_per_dwell']:.1f} ms per dwell."
    )
    return page.render()


def _segments(f: Any) -> list[tuple[float, float]]:
    """Split a sorted frequency axis at gaps wider than 20 MHz (one plot per group of bands)."""
    import numpy as np

    cuts = np.flatnonzero(np.diff(f) > 20e6)
    starts = [float(f[0]), *[float(f[i + 1]) for i in cuts]]
    ends = [*[float(f[i]) for i in cuts], float(f[-1])]
    return list(zip(starts, ends, strict=True))
