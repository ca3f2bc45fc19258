"""Detection quality over many random simulated scenes (issue: the detection core).

Every scene is written as a SigMF recording by the simulator and read back through the same path
as ``rfscan analyze`` (open_recording -> analyze_blocks -> build_document), so the numbers are
those of the real tool.  Printed:

* detection probability against SNR (in the signal's own bandwidth), for single bursts and for
  sessions, per technology;
* tech accuracy and link accuracy over the detected uplink emitters; for information also with
  shape twins credited (a 12-tone NB-IoT transmission and a one-PRB LTE-M train that does not hop
  are the same waveform, ``rfscan.sim.EmitterSpec.shape_twins``: naming either one with the other
  among ``tech_alternatives`` counts), and at >= 10 dB;
* for single cellular uplink transmissions that were detected, the share measured whole: in one
  piece, its start and length within 0.2 ms or 10 % of its length (information);
* false cellular-uplink emitters per hour of scene time on scenes that hold no uplink emitter
  (noise, CW spurs, DC spike and IQ image; ``--interference`` adds spurs fading in and out and
  impulsive noise), with the 95 % upper bound when none is seen.  With ``--interference`` half of
  the scenes with emitters get impulsive noise too, and detection and tech under it are printed
  apart; ``--keep-clicks`` leaves the clicks in (the pipeline before it took them out).

Run::

    python benchmarks/detection.py                 # 240 scenes + quiet scenes, 2 workers
    python benchmarks/detection.py --scenes 60 --quiet-s 60   # quicker look
    python benchmarks/detection.py --scenes 0 --quiet-s 3600 --interference --quiet-seed 920000
                                   # 1 h of quiet scenes never looked at while tuning the rules

Targets (issue #3): detection >= 0.99 for single bursts at >= 10 dB SNR, tech correct >= 0.95,
link correct >= 0.99, at most 1 false uplink emitter per hour.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

# Simulator tech names -> the detector's vocabulary.
TECH_MAP = {
    "gsm": "gsm",
    "lte": "lte",
    "nb-iot": "nbiot",
    "nbiot": "nbiot",
    "lte-m": "ltem",
    "ltem": "ltem",
    "lora": "noncellular",
}
CELLULAR = {"gsm", "lte", "nbiot", "ltem", "umts", "nr"}
SNR_BINS = [(0, 5), (5, 10), (10, 15), (15, 20), (20, 30.001)]
TECHS = ("gsm", "lte", "nbiot", "ltem", "lora")


def _plan(n: int, seed: int) -> list[dict[str, Any]]:
    """Scene parameters: a mix of single bursts and sessions, every tech, +-downlink, +-spurs."""
    import numpy as np

    rng = np.random.default_rng(seed)
    plan = []
    for i in range(n):
        plan.append(
            {
                "kind": "uplink",
                "seed": int(seed * 100_003 + i),
                "techs": [TECHS[i % len(TECHS)]],
                "single_burst": bool(i % 2 == 0),
                "with_downlink": bool(rng.random() < 0.4),
                "with_spurs": bool(rng.random() < 0.6),
                "duration_s": 0.3,
            }
        )
    return plan


def _interference(rng: Any, centre: float, *, fading: bool = True) -> list[dict[str, Any]]:
    """Interference of a crane electrical room, drawn at random: half of the time a spur fading in
    and out (a switching supply in burst mode, an intermittent harmonic), half of the time impulsive
    noise (a motor drive's PWM switching edges, or relays and contactors arcing: random clicks, in
    trains or throughout)."""
    out: list[dict[str, Any]] = []
    if rng.random() < 0.5 and fading:
        on_max = float(rng.uniform(2e-3, 60e-3))
        out.append(
            {
                "kind": "cw",
                "id": "fading",
                "freq_hz": centre + float(rng.uniform(-1.0e6, 1.0e6)),
                "power_dbfs": float(rng.uniform(-60, -30)),
                "on_s": [0.3e-3, on_max],
                "off_s": [0.5e-3, float(rng.uniform(5e-3, 300e-3))],
            }
        )
    if rng.random() < 0.5:
        periodic = bool(rng.random() < 0.5)
        imp: dict[str, Any] = {
            "kind": "impulse",
            "id": "impulses",
            "freq_hz": centre,
            "snr_db": float(rng.uniform(10, 35)),
            "periodic": periodic,
            "rate_hz": float(rng.uniform(2e3, 16e3) if periodic else rng.uniform(50, 3e3)),
            "click_s": float(rng.uniform(0.5e-6, 5e-6)),
        }
        if rng.random() < 0.5:
            imp["on_s"] = [2e-3, float(rng.uniform(5e-3, 50e-3))]
            imp["off_s"] = [5e-3, float(rng.uniform(20e-3, 500e-3))]
        out.append(imp)
    return out


def _with_clicks(scene: Any, seed: int) -> Any:
    """The scene with impulsive noise added half of the time (as in ``_interference``, no fading
    spur: a spur is no modem, and the scene's own spurs are drawn by the random scene)."""
    import numpy as np

    from rfscan.sim import Scene

    extra = _interference(np.random.default_rng([seed, 0xC11C]), scene.center_hz, fading=False)
    if not extra:
        return scene
    data = scene.to_dict()
    data["emitter"] = [*data.get("emitter", []), *extra]
    return Scene.from_dict(data, source=f"{scene.name}+clicks")


def _quiet_scene(seed: int, duration_s: float, interference: bool = False) -> Any:
    """An uplink-band capture with no uplink emitter: noise, 0-3 CW spurs, dongle artefacts; with
    ``interference``, half of them also a spur fading in and out, half impulsive noise."""
    import numpy as np

    from rfscan.sim import Scene

    rng = np.random.default_rng([seed, 0xF00D])
    # Uplink bands of the EU profile inside the R820T range (edges: rfscan.bands).
    bands = [(832e6, 862e6), (880e6, 915e6), (1710e6, 1766e6), (703e6, 733e6)]
    lo, hi = bands[int(rng.integers(0, len(bands)))]
    centre = round(float(rng.uniform(lo + 1.2e6, hi - 1.2e6)) / 1e3) * 1e3
    spurs = [
        {
            "kind": "cw",
            "id": f"spur{k}",
            "freq_hz": centre + float(rng.uniform(-1.0e6, 1.0e6)),
            "power_dbfs": float(rng.uniform(-60, -30)),
        }
        for k in range(int(rng.integers(0, 4)))
    ]
    if interference:
        spurs += _interference(rng, centre)
    return Scene.from_dict(
        {
            "scene": {
                "name": f"quiet-{seed}",
                "seed": seed,
                "sample_rate_hz": 2.4e6,
                "center_hz": centre,
                "duration_s": duration_s,
                "noise_dbfs": float(rng.uniform(-50, -40)),
                "region": "eu",
            },
            "dongle": {
                "ppm": float(rng.uniform(-40, 40)),
                "dc_offset": float(rng.uniform(0.002, 0.02)),
                "iq_gain_imbalance_db": float(rng.uniform(0, 0.5)),
                "iq_phase_deg": float(rng.uniform(0, 3)),
            },
            "emitter": spurs,
        },
        source=f"quiet({seed})",
    )


def _run_one(item: dict[str, Any]) -> dict[str, Any]:
    """Simulate one scene, analyse it like `rfscan analyze`, and score it against the truth."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from rfscan.dsp import PipelineConfig, analyze_blocks
    from rfscan.iq import open_recording
    from rfscan.report.analysis import RegionChoice, build_document
    from rfscan.sim import ground_truth, random_scene, simulate

    if item["kind"] == "quiet":
        scene = _quiet_scene(item["seed"], item["duration_s"], item.get("interference", False))
    else:
        scene = random_scene(
            item["seed"],
            techs=item["techs"],
            single_burst=item["single_burst"],
            with_downlink=item["with_downlink"],
            with_spurs=item["with_spurs"],
            duration_s=item["duration_s"],
        )
        if item.get("interference", False):
            scene = _with_clicks(scene, item["seed"])
    region = scene.region
    with tempfile.TemporaryDirectory() as tmp:
        meta = simulate(scene, Path(tmp) / "scene")
        with open_recording(meta) as rec:
            cfg = PipelineConfig(
                blank_factor=item.get("blank_factor", PipelineConfig.blank_factor),
                declick=not item.get("keep_clicks", False),
            )
            analysis = analyze_blocks(rec.blocks(1 << 19), rec.sample_rate_hz, config=cfg)
            doc = build_document(rec, analysis, region=RegionChoice(region, "benchmark"), sha256=None)
            duration_s = rec.duration_s
    everything = ground_truth(scene)
    truths = [t for t in everything if t.link in ("uplink", "ism")]
    by_emitter: dict[str, list[Any]] = defaultdict(list)
    for t in truths:
        by_emitter[t.emitter].append(t)
    ppm_tol = 60e-6
    # Every detected emitter belongs to the one truth emitter (of any link: spurs and downlink carriers
    # too) it is closest to, relative to that emitter's half bandwidth plus 10 kHz, among those active
    # when it was.  Without this a CW spur 30 kHz outside a weak GSM burst's channel, detected
    # as "cw", was scored as that burst's detection (and its tech as a confusion).
    spans: dict[str, list[float]] = {}
    for t in everything:
        if t.link == "noise":  # impulsive noise covers every frequency: it owns no emitter
            continue
        lo_hi = spans.setdefault(t.emitter, [math.inf, -math.inf, math.inf, -math.inf])
        lo_hi[0] = min(lo_hi[0], t.freq_lower_hz)
        lo_hi[1] = max(lo_hi[1], t.freq_upper_hz)
        lo_hi[2] = min(lo_hi[2], t.start_s)
        lo_hi[3] = max(lo_hi[3], t.start_s + t.duration_s)

    # The dongle's LO error (known here) moves every signal by -ppm: compare at the shifted frequency.
    lo_scale = 1.0 - scene.dongle.ppm * 1e-6

    def owner(e: dict[str, Any]) -> str | None:
        best_key, best = None, math.inf
        for key, (lo, hi, t0, t1) in spans.items():
            if not (e["first_s"] <= t1 + 0.002 and e["last_s"] >= t0 - 0.002):
                continue
            d = abs(e["freq_hz"] - lo_scale * (lo + hi) / 2) / ((hi - lo) / 2 + 10e3)
            if d < best:
                best_key, best = key, d
        return best_key

    owners = {e["id"]: owner(e) for e in doc["emitters"]}
    specs = {e.id: e for e in scene.emitters}
    rows = []
    matched_ids: set[int] = set()
    for ident, bursts in by_emitter.items():
        lo = min(b.freq_lower_hz for b in bursts)
        hi = max(b.freq_upper_hz for b in bursts)
        tol = ppm_tol * hi
        t0 = min(b.start_s for b in bursts)
        t1 = max(b.start_s + b.duration_s for b in bursts)
        hits = [
            e
            for e in doc["emitters"]
            if lo - tol - 10e3 <= e["freq_hz"] <= hi + tol + 10e3
            and e["first_s"] <= t1 + 0.002
            and e["last_s"] >= t0 - 0.002
        ]
        matched_ids.update(e["id"] for e in hits)
        own = [e for e in hits if owners[e["id"]] == ident]
        best = max(own, key=lambda e: (e["burst_count"], e["snr_db"])) if own else None
        truth_tech = TECH_MAP.get(bursts[0].tech, bursts[0].tech)
        # One transmission (a single burst): how the detected emitter's bursts over it measure it.
        timing = None
        if best is not None and len(bursts) == 1 and bursts[0].burst_count == 1:
            tb = bursts[0]
            over = [
                b
                for b in doc["bursts"]
                if b["emitter"] == best["id"]
                and b["start_s"] < tb.start_s + tb.duration_s
                and b["start_s"] + b["duration_s"] > tb.start_s
            ]
            if over:
                longest = max(over, key=lambda b: b["duration_s"])
                timing = {
                    "true_duration_s": tb.duration_s,
                    "pieces": len(over),
                    "start_err_s": longest["start_s"] - tb.start_s,
                    "duration_err_s": longest["duration_s"] - tb.duration_s,
                }
        twins = [TECH_MAP.get(x, x) for x in specs[ident].shape_twins]
        alternatives = [] if best is None else list(best.get("tech_alternatives", []))
        rows.append(
            {
                "emitter": ident,
                "tech": truth_tech,
                "link": bursts[0].link,
                "snr_db": bursts[0].snr_db,
                "bursts": sum(getattr(b, "burst_count", 1) for b in bursts),
                "detected": best is not None,
                "tech_ok": best is not None and best["tech"] == truth_tech,
                "link_ok": best is not None
                and best["link"] == ("uplink" if bursts[0].link == "uplink" else None),
                "got_tech": None if best is None else best["tech"],
                "got_alternatives": alternatives,
                # Named either of two technologies no spectrum tells apart, the other as an alternative.
                "tech_ok_twins": best is not None
                and (best["tech"] == truth_tech or (best["tech"] in twins and truth_tech in alternatives)),
                "got_link": None if best is None else best["link"],
                "timing": timing,
            }
        )
    false_uplinks = [
        e
        for e in doc["emitters"]
        if e["link"] == "uplink" and e["tech"] in CELLULAR and e["id"] not in matched_ids
    ]
    return {
        "kind": item["kind"],
        "seed": item["seed"],
        "single": item.get("single_burst", False),
        "clicks": any(e.kind == "impulse" for e in scene.emitters),
        "region": region,
        "duration_s": duration_s,
        "truth": rows,
        "false_uplinks": [
            {k: e[k] for k in ("freq_hz", "tech", "burst_count", "snr_db")} for e in false_uplinks
        ],
    }


def _fmt_rate(hits: int, total: int) -> str:
    return f"{hits / total:6.3f} ({hits:3d}/{total:3d})" if total else "     -        "


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenes", type=int, default=240, help="random scenes with uplink emitters")
    ap.add_argument("--quiet-s", type=float, default=600.0, help="seconds of scenes with no uplink emitter")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument(
        "--quiet-seed",
        type=int,
        default=900_000,
        help="seed of the first quiet scene (the others follow): another value gives scenes never tuned on",
    )
    ap.add_argument(
        "--interference",
        action="store_true",
        help="quiet scenes also hold spurs fading in and out and impulsive noise (motor drives, arcing)",
    )
    ap.add_argument(
        "--blank-factor", type=float, default=None, help="impulse blanker threshold (default: the pipeline's)"
    )
    ap.add_argument(
        "--keep-clicks",
        action="store_true",
        help="PipelineConfig(declick=False): leave the clicks of impulsive noise in the frames",
    )
    ap.add_argument(
        "--json", default="build/benchmarks/detection.json", help="where to write the raw results"
    )
    args = ap.parse_args(argv)

    items = _plan(args.scenes, args.seed)
    quiet_len = 5.0
    items += [
        {
            "kind": "quiet",
            "seed": args.quiet_seed + k,
            "duration_s": quiet_len,
            "interference": args.interference,
        }
        for k in range(max(0, math.ceil(args.quiet_s / quiet_len)))
    ]
    for it in items:
        if args.blank_factor is not None:
            it["blank_factor"] = args.blank_factor
        it["keep_clicks"] = args.keep_clicks
        it["interference"] = args.interference
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(_run_one, items, chunksize=2))
    elapsed = time.perf_counter() - t0

    truths = [(r, t) for r in results if r["kind"] == "uplink" for t in r["truth"]]
    print(
        f"detection benchmark: {args.scenes} scenes with emitters, {len(truths)} truth emitters, "
        f"{sum(r['kind'] == 'quiet' for r in results)} quiet scenes, {elapsed:.0f} s wall"
    )
    print("\nDetection probability against SNR (dB, in the signal's own bandwidth)")
    header = "  tech    mode     " + "".join(f"{f'{lo:g}-{min(hi, 30):g} dB':>18}" for lo, hi in SNR_BINS)
    print(header)
    summary: dict[str, Any] = {"pd": {}}
    for tech in TECHS:
        for single in (True, False):
            cells = []
            for lo, hi in SNR_BINS:
                sel = [
                    t
                    for r, t in truths
                    if t["tech"] == TECH_MAP[tech] and r["single"] == single and lo <= t["snr_db"] < hi
                ]
                hits = sum(t["detected"] for t in sel)
                cells.append(_fmt_rate(hits, len(sel)))
                summary["pd"][f"{tech}/{'single' if single else 'session'}/{lo}-{hi}"] = [hits, len(sel)]
            print(f"  {tech:<7} {'single ' if single else 'session'}  " + "".join(f"{c:>18}" for c in cells))

    def rate(sel: list[dict[str, Any]], key: str) -> tuple[int, int]:
        return sum(t[key] for t in sel), len(sel)

    single_10 = [t for r, t in truths if r["single"] and t["snr_db"] >= 10 and t["link"] == "uplink"]
    det_uplinks = [t for r, t in truths if t["detected"] and t["link"] == "uplink"]
    det_all = [t for r, t in truths if t["detected"]]
    pd_hits, pd_n = rate(single_10, "detected")
    tech_hits, tech_n = rate(det_all, "tech_ok")
    link_hits, link_n = rate(det_uplinks, "link_ok")
    quiet = [r for r in results if r["kind"] == "quiet"]
    quiet_h = sum(r["duration_s"] for r in quiet) / 3600
    false_n = sum(len(r["false_uplinks"]) for r in quiet)
    false_all = sum(len(r["false_uplinks"]) for r in results if r["kind"] == "uplink")
    # One-sided 95 % Poisson upper bound on the count (3.0 for none seen: the rule of three).
    from scipy.stats import chi2

    upper = float(chi2.ppf(0.95, 2 * false_n + 2)) / 2 / quiet_h if quiet_h else math.inf
    print("\nSummary (target)")
    print(f"  detection, single cellular uplink bursts >= 10 dB : {_fmt_rate(pd_hits, pd_n)}   (>= 0.99)")
    print(f"  tech correct, detected emitters                   : {_fmt_rate(tech_hits, tech_n)}   (>= 0.95)")
    # Two of the simulated transmissions have the same waveform and timing (a 12-tone NB-IoT NPUSCH and
    # a one-PRB LTE-M train that does not hop: EmitterSpec.shape_twins); no classifier can tell which
    # of the two it saw.  This line credits naming either one with the other among tech_alternatives.
    twin_hits, _ = rate(det_all, "tech_ok_twins")
    print(
        f"  tech correct, shape twins credited (info)         : {_fmt_rate(twin_hits, tech_n)}"
        "   (information: NB-IoT 12-tone = one-PRB LTE-M, either named)"
    )
    # Looser still: an emitter whose truth is among any shape-alike technologies the tool names (a
    # small single-subframe allocation: LTE or LTE-M) counts.
    alt_hits = sum(t["tech_ok"] or t["tech"] in t.get("got_alternatives", []) for t in det_all)
    print(
        f"  tech correct or among tech_alternatives (info)    : {_fmt_rate(alt_hits, tech_n)}"
        "   (information: shape-alike technologies named)"
    )
    det_10 = [t for t in det_all if t["snr_db"] >= 10]
    t10_hits, t10_n = rate(det_10, "tech_ok")
    t10_twins, _ = rate(det_10, "tech_ok_twins")
    print(
        f"  tech correct, detected emitters >= 10 dB (info)   : {_fmt_rate(t10_hits, t10_n)}, shape twins "
        f"credited {_fmt_rate(t10_twins, t10_n)}   (information: at the SNR of the detection target)"
    )
    weak = [t for t in det_all if t["snr_db"] < 10]
    weak_unknown = sum(t["got_tech"] == "unknown" for t in weak)
    weak_wrong = sum((not t["tech_ok"]) and t["got_tech"] != "unknown" for t in weak)
    print(
        f"  below 10 dB: {len(weak)} detected, {weak_unknown} left 'unknown', "
        f"{weak_wrong} given a wrong tech   (information)"
    )
    print(f"  link correct, detected uplink emitters            : {_fmt_rate(link_hits, link_n)}   (>= 0.99)")
    print(
        f"  false uplink emitters, quiet scenes               : {false_n} in {quiet_h * 3600:.0f} s "
        f"= {false_n / quiet_h if quiet_h else math.nan:.1f}/h (95% upper bound {upper:.1f}/h)   (<= 1/h)"
    )
    print(f"  unmatched uplink emitters in scenes with emitters : {false_all}")
    clicky = [t for r, t in truths if r.get("clicks")]
    if clicky:
        c_all = [t for t in clicky if t["link"] == "uplink"]
        c_10 = [t for t in c_all if t["snr_db"] >= 10]
        c_det = [t for t in clicky if t["detected"]]
        print(
            f"  with impulsive noise ({sum(bool(r.get('clicks')) for r in results if r['kind'] == 'uplink')} "
            f"scenes): detection >= 10 dB {_fmt_rate(*rate(c_10, 'detected'))}, all SNR "
            f"{_fmt_rate(*rate(c_all, 'detected'))}; tech correct {_fmt_rate(*rate(c_det, 'tech_ok'))}"
            "   (information)"
        )
        summary["with_clicks"] = {
            "detected_ge10db": list(rate(c_10, "detected")),
            "detected": list(rate(c_all, "detected")),
            "tech_correct": list(rate(c_det, "tech_ok")),
        }
    # Burst timing of single transmissions: measured in one piece, its start and length to within
    # 0.2 ms or 10 % of its length (the larger).
    print(
        "\nSingle cellular uplink transmissions, detected: measured whole (one piece, start and length "
        "within 0.2 ms or 10 %)"
    )
    summary["timing"] = {}
    for lo, hi in ((0, 10), (10, 99)):
        sel = [
            t["timing"]
            for _, t in truths
            if t.get("timing") and t["link"] == "uplink" and lo <= t["snr_db"] < hi
        ]
        whole = [
            x
            for x in sel
            if x["pieces"] == 1
            and max(abs(x["start_err_s"]), abs(x["duration_err_s"]))
            <= max(0.2e-3, 0.1 * x["true_duration_s"])
        ]
        med = float(np.median([abs(x["duration_err_s"]) for x in sel])) if sel else math.nan
        print(
            f"  {lo:g}-{min(hi, 30):g} dB: {_fmt_rate(len(whole), len(sel))}; in pieces "
            f"{sum(x['pieces'] > 1 for x in sel)}; median |length error| {med * 1e3:.2f} ms"
        )
        summary["timing"][f"{lo}-{hi}"] = {"whole": [len(whole), len(sel)], "median_abs_duration_err_s": med}
    confusion: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _, t in truths:
        confusion[t["tech"]][str(t["got_tech"])] += 1
    print("\nTech confusion (truth -> detected; None = missed)")
    for tech, got in sorted(confusion.items()):
        print(f"  {tech:<12} " + ", ".join(f"{k}: {v}" for k, v in sorted(got.items())))
    summary.update(
        {
            "single_uplink_ge10db": [pd_hits, pd_n],
            "tech_correct": [tech_hits, tech_n],
            "tech_correct_twins": [twin_hits, tech_n],
            "tech_correct_or_alternative": [alt_hits, tech_n],
            "tech_correct_ge10db": [t10_hits, t10_n],
            "tech_correct_twins_ge10db": [t10_twins, t10_n],
            "link_correct": [link_hits, link_n],
            "false_uplink": {"count": false_n, "hours": quiet_h, "upper95_per_h": upper},
            "elapsed_s": elapsed,
        }
    )
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "results": results}, indent=1))
    print(f"\nraw results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
