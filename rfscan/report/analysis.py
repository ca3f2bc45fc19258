"""The ``rfscan analyze`` result: the JSON document (the contract other tools read) and its page.

JSON names kept stable (tests and other tools read them):

``input``
    path, sha256, sample_rate_hz, center_hz, duration_s, datatype (+ captures, num_samples).
``emitters``
    freq_hz, bandwidth_hz, tech, link ("uplink", "downlink" or null), band, channel, burst_count,
    first_s, last_s, duty_cycle, period_s, peak_dbfs, snr_db (+ id; confidence, reason and
    tech_alternatives of the tech; link_reason, link_candidates, allocation: cellular/ism/other or null).
``bursts``
    start_s, duration_s, freq_hz, bandwidth_hz, peak_dbfs, snr_db, emitter.
``spectra``
    per capture centre: center_hz, sample_rate_hz, freqs_hz, mean_dbfs, max_dbfs, noise_floor_dbfs.
``coverage``
    spans (each capture centre: low_hz, high_hz, watched_s, fraction_of_run, bands in it fully
    or in part), the probability of intercept for typical idle-modem behaviours, and the bands
    of the region the tuner cannot see.  Every span also says how long clicks of impulsive noise
    were taken out (declicked_s) and how long a 1 ms burst under 8 dB was watched
    (weak_watched_s: in a capture full of clicks, a weak burst touching a frame clicks were taken
    out of is set aside), and so the chance that one such burst, sent while the span was watched,
    was reported (weak_burst_seen; 1 without impulsive noise).  The intercept table is for bursts
    clearly over the noise; a connection sends many bursts, so the clicks' gaps cost it less.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rfscan import __version__
from rfscan.bands.classify import CELLULAR_TECHS
from rfscan.coverage import intercept_table

if TYPE_CHECKING:
    from rfscan.dsp import Analysis, Emitter
    from rfscan.iq import Recording

#: Format version of the analyze document.
SCHEMA_VERSION = 1


def is_cellular_uplink(emitter: Mapping[str, Any]) -> bool:
    """Whether an emitter document is a cellular transmitter in an uplink band (a modem)."""
    return emitter.get("link") == "uplink" and emitter.get("tech") in CELLULAR_TECHS


@dataclass(frozen=True)
class RegionChoice:
    """The region profile used to decide links, and where it came from."""

    profile: str | None
    source: str  # "--region", "core:geolocation", "modemhunt:region" or "unknown"


def choose_region(
    requested: str | None, geolocation: Mapping[str, Any] | None, hint: object = None
) -> RegionChoice:
    """Pick the region profile.

    In order: the user's ``--region``; the one the recording's ``core:geolocation`` implies; the
    ``modemhunt:region`` hint a recording made by modemhunt (simulator, sweep) may carry; else none,
    and links that depend on the region stay undecided.
    """
    from rfscan.bands import region_from_geolocation, regions

    if requested:
        if requested not in regions():
            from rfscan.errors import BandPlanError

            raise BandPlanError(f"unknown region {requested!r}: choose one of {', '.join(regions())}")
        return RegionChoice(requested, "--region")
    guessed = region_from_geolocation(geolocation) if geolocation else None
    if guessed:
        return RegionChoice(guessed, "core:geolocation")
    if isinstance(hint, str) and hint in regions():
        return RegionChoice(hint, "modemhunt:region")
    return RegionChoice(None, "unknown")


def _emitter_doc(index: int, emitter: Emitter, region: str | None) -> dict[str, Any]:
    from dataclasses import replace

    from rfscan.bands import classify_link

    width = max(emitter.bandwidth_hz, 1.0)
    answer = classify_link(emitter.freq_hz, width, emitter.tech, region)
    if answer.link == "uplink" and emitter.continuous and emitter.tech == "gsm":
        # A GSM-width carrier always on is a BCCH carrier, which a phone never sends: a GSM phone
        # transmits in at most a few of the 8 slots of each TDMA frame (TS 45.002 Annex B multislot
        # classes; GSM modem modules are typically class 12, 4 uplink slots: e.g. Quectel M26 hardware
        # design, appendix C).  In an uplink band (still one for a signal of no known technology) it
        # is something else (two spurs side by side, a repeater, a jammer): shown, but no GSM uplink.
        other = classify_link(emitter.freq_hz, width, "unknown", region)
        if other.link == "uplink":
            emitter = replace(
                emitter,
                tech="unknown",
                confidence=0.2,
                reason=f"{emitter.reason}, in an uplink band, where no GSM phone transmits all the time "
                "(at most a few of the 8 slots of each frame): not a GSM uplink",
                tech_alternatives=(),
            )
            answer = other
    doc = emitter.to_dict()
    doc.update(
        {
            "id": index,
            "link": answer.link,
            "band": answer.band,
            "channel": answer.channel,
            "link_reason": answer.reason,
            "link_candidates": [
                {"band": c.band, "link": c.link, "regions": list(c.regions), "channel": c.channel}
                for c in answer.candidates
            ],
            "allocation": answer.kind,
        }
    )
    return doc


def emitter_document(index: int, emitter: Emitter, region: str | None) -> dict[str, Any]:
    """The JSON document of one emitter (link, band, channel added), as ``analyze`` writes it."""
    return _emitter_doc(index, emitter, region)


def _coverage_doc(analysis: Analysis, run_s: float, region: str | None) -> dict[str, Any]:
    from rfscan.bands import bands_in_span, unreachable_bands

    spans = []
    for cov in analysis.coverage:
        low, high = cov.center_hz - cov.span_hz / 2, cov.center_hz + cov.span_hz / 2
        bands = [
            {
                "band": b.band,
                "link": b.link,
                "status": b.status,
                "fraction": round(b.fraction, 4),
                "low_hz": b.low_hz,
                "high_hz": b.high_hz,
            }
            for b in bands_in_span(low, high, region, include_uncovered=False)
        ]
        weak_s = max(cov.watched_s - cov.weak_blind_s, 0.0)
        spans.append(
            {
                "center_hz": cov.center_hz,
                "low_hz": low,
                "high_hz": high,
                "watched_s": cov.watched_s,
                "fraction_of_run": (cov.watched_s / run_s) if run_s > 0 else 0.0,
                "bands": bands,
                "intercept": intercept_table(cov.watched_s),
                "declicked_s": cov.declicked_s,
                "weak_watched_s": weak_s,
                "weak_burst_seen": (weak_s / cov.watched_s) if cov.watched_s > 0 else 1.0,
            }
        )
    return {
        "run_s": run_s,
        "spans": spans,
        "unreachable_bands": [b.name for b in unreachable_bands(region)],
        "method": "continuous watch of each span for watched_s; see rfscan.coverage",
    }


def receiver_info(global_info: Mapping[str, Any]) -> dict[str, Any]:
    """The receiver that made a recording (tuner, gain, ppm, serial), as far as its metadata says.

    SigMF has only the free-text ``core:hw``; modemhunt's own recordings add ``modemhunt:source``
    (live sweeps) or ``modemhunt:impairments`` (the simulator's dongle model).
    """
    info: dict[str, Any] = {"hw": global_info.get("core:hw")}
    for key in ("modemhunt:impairments", "modemhunt:source"):
        extra = global_info.get(key)
        if isinstance(extra, Mapping):
            for name in ("tuner", "gain_db", "ppm", "serial"):
                if extra.get(name) is not None:
                    info[name] = extra[name]
    return {k: v for k, v in info.items() if v is not None}


#: Spectrum fields kept in the JSON document (per-bin lists; the spectrogram stays out: it is for plots).
SPECTRUM_FIELDS = ("freqs_hz", "mean_dbfs", "max_dbfs", "noise_floor_dbfs")


def _spectrum_doc(spectra: Any) -> dict[str, Any]:
    """A compact per-capture spectrum (mean, max-hold and noise floor per bin) for later reports."""
    full = spectra.to_dict()
    return {"center_hz": spectra.center_hz, "sample_rate_hz": spectra.sample_rate_hz} | {
        k: full[k] for k in SPECTRUM_FIELDS
    }


def truth_summary(recording: Recording, emitters: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Compare with the simulator's ground truth when the recording carries it (training and CI).

    A truth emitter counts as found when a detected emitter's centre lies within its occupied
    band (or within 100 kHz of its centre for narrow signals).
    """
    truths: dict[str, dict[str, Any]] = {}
    for ann in recording.annotations:
        extra = ann.extra
        if not extra.get("modemhunt:truth"):
            continue
        ident = str(extra.get("modemhunt:emitter", ann.label))
        lo, hi = ann.freq_lower_edge_hz, ann.freq_upper_edge_hz
        entry = truths.setdefault(
            ident,
            {
                "emitter": ident,
                "tech": extra.get("modemhunt:tech"),
                "link": extra.get("modemhunt:link"),
                "low_hz": lo,
                "high_hz": hi,
                "bursts": 0,
            },
        )
        entry["bursts"] += int(extra.get("modemhunt:burst_count", 1))
        if lo is not None and (entry["low_hz"] is None or lo < entry["low_hz"]):
            entry["low_hz"] = lo
        if hi is not None and (entry["high_hz"] is None or hi > entry["high_hz"]):
            entry["high_hz"] = hi
    if not truths:
        return None
    rows = []
    for t in truths.values():
        lo, hi = t["low_hz"], t["high_hz"]
        if lo is None or hi is None:
            continue
        centre, half = (lo + hi) / 2, max((hi - lo) / 2, 100e3)
        matches = [e["id"] for e in emitters if abs(float(e["freq_hz"]) - centre) <= half]
        rows.append({**t, "found": bool(matches), "matched_emitters": matches})
    return {
        "emitters": rows,
        "found": sum(r["found"] for r in rows),
        "total": len(rows),
        "uplink_found": sum(r["found"] for r in rows if r["link"] == "uplink"),
        "uplink_total": sum(1 for r in rows if r["link"] == "uplink"),
    }


def build_document(
    recording: Recording,
    analysis: Analysis,
    *,
    region: RegionChoice,
    sha256: str | None,
    complete: bool = True,
    note: str | None = None,
) -> dict[str, Any]:
    """Assemble the analyze JSON document."""
    run_s = recording.duration_s
    emitters = [_emitter_doc(i, e, region.profile) for i, e in enumerate(analysis.emitters)]
    bursts = [b.to_dict() for b in analysis.bursts]
    uplinks = [e for e in emitters if is_cellular_uplink(e)]
    doc: dict[str, Any] = {
        "schema": f"modemhunt.analyze/{SCHEMA_VERSION}",
        "tool": {"name": "rfscan", "version": __version__, "command": "analyze"},
        "generated_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "complete": complete,
        "input": {
            "path": str(recording.path),
            "sha256": sha256,
            "sample_rate_hz": recording.sample_rate_hz,
            "center_hz": recording.center_hz,
            "duration_s": run_s,
            "datatype": recording.datatype,
            "num_samples": recording.num_samples,
            "captures": [
                {"sample_start": c.sample_start, "center_hz": c.center_hz, "datetime": c.datetime}
                for c in recording.captures
            ],
            "hw": recording.global_info.get("core:hw"),
            "recorder": recording.global_info.get("core:recorder"),
            "source": receiver_info(recording.global_info),
        },
        "region": {"profile": region.profile, "source": region.source},
        "summary": {
            "emitters": len(emitters),
            "uplink_emitters": len(uplinks),
            "bursts": len(bursts),
            "techs": sorted({e["tech"] for e in uplinks}),
        },
        "emitters": emitters,
        "bursts": bursts,
        "coverage": _coverage_doc(analysis, run_s, region.profile),
        "spectra": [_spectrum_doc(sp) for sp in analysis.spectra],
        "stats": analysis.stats.to_dict(),
    }
    if note:
        doc["note"] = note
    truth = truth_summary(recording, emitters)
    if truth is not None:
        doc["truth"] = truth
    return doc


def verdict_lines(doc: Mapping[str, Any]) -> tuple[str, list[str]]:
    """A plain-words verdict and its level (bad, warn, ok) from an analyze document."""
    from rfscan.units import format_hz, format_offset_s

    uplinks = [e for e in doc["emitters"] if is_cellular_uplink(e)]
    unknown = [e for e in doc["emitters"] if e["link"] is None and e["tech"] in CELLULAR_TECHS]
    lines = []
    for e in uplinks:
        band = f"band {e['band']}" if e.get("band") else "band ?"
        lines.append(
            f"{e['tech'].upper()} uplink emitter, {band}, {format_hz(e['freq_hz'])}, "
            f"{e['burst_count']} burst{'s' if e['burst_count'] != 1 else ''} "
            f"between {format_offset_s(e['first_s'])} and {format_offset_s(e['last_s'])}, "
            f"SNR {e['snr_db']:.1f} dB"
        )
    for e in unknown:
        lines.append(
            f"{e['tech'].upper()} emitter at {format_hz(e['freq_hz'])}: link undecided ({e['link_reason']})"
        )
    watched = ", ".join(
        f"{format_hz(s['low_hz'])}-{format_hz(s['high_hz'])} for {s['watched_s']:.2f} s"
        for s in doc["coverage"]["spans"]
    )
    clicks = impulse_line(doc)
    extra = [clicks] if clicks else []
    if uplinks:
        return "bad", [*lines, f"Watched: {watched}.", *extra]
    level = "warn" if unknown else "ok"
    pois = doc["coverage"]["spans"][0]["intercept"] if doc["coverage"]["spans"] else []
    poi = "; ".join(f"{p['behaviour']}: {100 * p['probability']:.1f}%" for p in pois)
    return level, [
        *lines,
        "No cellular uplink seen.",
        f"Watched: {watched}.",
        f"Chance of intercept per span: {poi}.",
        *extra,
    ]


def impulse_line(doc: Mapping[str, Any]) -> str | None:
    """What impulsive noise did to the watch (from the document's stats), or None when the capture
    held next to none: the share of frames clicks were taken out of, and the weak bursts set aside."""
    from rfscan.dsp.classify import WEAK_SNR_DB
    from rfscan.dsp.pipeline import IMPULSIVE_CAPTURE, WEAK_BURST_S
    from rfscan.units import format_hz

    st = doc.get("stats") or {}
    share = st.get("impulse_frames", 0) / max(st.get("frames", 1), 1)
    spans = (doc.get("coverage") or {}).get("spans") or []
    blind = [s for s in spans if s.get("weak_burst_seen", 1.0) < 1.0]
    if share < IMPULSIVE_CAPTURE and not st.get("impulsive_bursts") and not blind:
        return None
    per_span = "; ".join(
        f"{s['weak_watched_s']:.2f} s of {s['watched_s']:.2f} s in "
        f"{format_hz(s['low_hz'])}-{format_hz(s['high_hz'])}"
        for s in blind
    )
    return (
        f"Impulsive noise (motor drives, arcing): clicks taken out of {share:.1%} of the frames; "
        f"{st.get('impulsive_bursts', 0)} weak bursts made where they were set aside"
        + (
            f" (a {WEAK_BURST_S * 1e3:g} ms burst under {WEAK_SNR_DB:g} dB was watched for {per_span})."
            if blind
            else "."
        )
    )


def emitter_table(page: Any, emitters: Sequence[Mapping[str, Any]], *, utc: bool) -> None:
    """The emitter table of the analyze and survey pages (times in seconds, or UTC for live runs)."""
    from rfscan.report.page import Num
    from rfscan.units import format_hz

    when = ["first (UTC)", "last (UTC)"] if utc else ["first (s)", "last (s)"]
    headers = ["#", "frequency", "band", "channel", "tech", "link", "bursts", *when, "duty", "period (ms)"]
    rows = []
    for e in emitters:
        times: list[Any]
        if utc:
            times = [e.get("first_utc"), e.get("last_utc")]
        else:
            # (clamped as format_offset_s does: a burst edge just before the first sample)
            times = [Num(max(e["first_s"], 0.0), "{:.3f}"), Num(max(e["last_s"], 0.0), "{:.3f}")]
        period = e.get("period_s")
        rows.append(
            [
                e["id"],
                format_hz(e["freq_hz"]),
                e["band"],
                e["channel"],
                " or ".join([e["tech"], *e.get("tech_alternatives", [])]),
                e["link"] or "undecided",
                Num(e["burst_count"], "{:d}"),
                *times,
                Num(e["duty_cycle"], "{:.3f}"),
                Num(None if period is None else 1e3 * period, "{:.3f}"),
                Num(e["bandwidth_hz"] / 1e3, "{:.0f}"),
                Num(e["peak_dbfs"]),
                Num(e["snr_db"]),
            ]
        )
    page.table([*headers, "BW (kHz)", "peak (dBFS)", "SNR (dB)"], rows)


def render_html(doc: Mapping[str, Any], analysis: Analysis | None) -> str:
    """A readable page: verdict, spectrum, spectrogram with bursts boxed, emitter and coverage tables."""
    from rfscan.dsp.classify import WEAK_SNR_DB
    from rfscan.dsp.pipeline import WEAK_BURST_S
    from rfscan.report.page import Num, Page
    from rfscan.report.plots import Box, Span, spectrogram_png, spectrum_png
    from rfscan.units import format_hz

    inp = doc["input"]
    page = Page(
        title="rfscan analyze: cellular emitters in a recording",
        subtitle=(
            f"{inp['path']} \u00b7 sha256 {inp['sha256'] or 'not computed'} \u00b7 "
            f"{format_hz(inp['sample_rate_hz'])}/s \u00b7 {inp['duration_s']:.3f} s \u00b7 "
            f"region {doc['region']['profile'] or 'unknown'} ({doc['region']['source']}) \u00b7 "
            f"rfscan {doc['tool']['version']} \u00b7 {doc['generated_utc']}"
        ),
    )
    level, lines = verdict_lines(doc)
    if not doc.get("complete", True):
        lines.append("Analysis interrupted: this report covers only the part read.")
    page.verdict(lines, level=level)

    page.heading("Emitters")
    emitter_table(page, doc["emitters"], utc=False)
    if analysis is not None:
        from rfscan.bands import bands_in_span

        for spectra in analysis.spectra:
            f = spectra.freqs_hz
            spans = [
                Span(b.low_hz, b.high_hz, f"{b.band} {'UL' if b.link == 'uplink' else 'DL'}", b.link)
                for b in bands_in_span(
                    float(f[0]), float(f[-1]), doc["region"]["profile"], include_uncovered=False
                )
                if b.link in ("uplink", "downlink")
            ]
            page.heading(f"Capture at {format_hz(spectra.center_hz)}")
            page.image_png(
                spectrum_png(
                    f,
                    [
                        ("max-hold", spectra.max_dbfs),
                        ("mean", spectra.mean_dbfs),
                        ("noise floor", spectra.noise_floor_dbfs),
                    ],
                    spans=spans,
                    title=f"Spectrum around {format_hz(spectra.center_hz)} (uplink red, downlink blue)",
                ),
                alt="spectrum",
                caption="Max-hold over mean: short bursts show in max-hold only.",
            )
            times = spectra.spectrogram_times_s
            if spectra.spectrogram_dbfs.size and times.size:
                step = float(np.median(np.diff(times))) if times.size > 1 else 0.0
                in_capture = [b for b in analysis.bursts if b.center_hz == spectra.center_hz]
                page.image_png(
                    spectrogram_png(
                        spectra.spectrogram_dbfs,
                        t0_s=float(times[0]),
                        t1_s=float(times[-1]) + step,
                        f0_hz=float(f[0]),
                        f1_hz=float(f[-1]),
                        boxes=[
                            Box(
                                b.start_s,
                                b.duration_s,
                                b.freq_hz - b.bandwidth_hz / 2,
                                b.freq_hz + b.bandwidth_hz / 2,
                            )
                            for b in in_capture[:2000]
                        ],
                        title="Spectrogram (max-pooled), detected bursts boxed",
                    ),
                    alt="spectrogram",
                )

    page.heading("Coverage and probability of intercept")
    cov = doc["coverage"]
    for span in cov["spans"]:
        page.paragraph(
            f"{format_hz(span['low_hz'])} to {format_hz(span['high_hz'])}: watched {span['watched_s']:.3f} s "
            f"({100 * span['fraction_of_run']:.0f}% of the run). Bands: "
            + (", ".join(f"{b['band']} {b['link']} ({b['status']})" for b in span["bands"]) or "none")
        )
        if span.get("weak_burst_seen", 1.0) < 1.0:
            page.paragraph(
                f"Impulsive noise: clicks were taken out of {span['declicked_s']:.3f} s of it. A single "
                f"{WEAK_BURST_S * 1e3:g} ms burst under {WEAK_SNR_DB:g} dB was reported only if it "
                f"touched none of those frames: {span['weak_watched_s']:.3f} s of the watch, a "
                f"{100 * span['weak_burst_seen']:.1f}% chance for one such burst (the table below is "
                "for bursts clearly over the noise)."
            )
        page.table(
            ["a modem that transmits like this", "chance it was seen"],
            [[p["behaviour"], Num(100 * p["probability"], "{:.1f}%")] for p in span["intercept"]],
        )
    page.paragraph(
        "Bands the tuner cannot see at all or only in part: "
        + (", ".join(cov["unreachable_bands"]) or "none")
    )
    if "truth" in doc:
        t = doc["truth"]
        page.heading("Ground truth (simulated recording)")
        page.paragraph(f"{t['found']} of {t['total']} simulated emitters found.")
        page.table(
            ["emitter", "tech", "link", "bursts", "found", "matched"],
            [
                [
                    r["emitter"],
                    r["tech"],
                    r["link"],
                    r["bursts"],
                    "yes" if r["found"] else "NO",
                    str(r["matched_emitters"]),
                ]
                for r in t["emitters"]
            ],
        )
    return page.render()
