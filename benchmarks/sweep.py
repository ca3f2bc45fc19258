"""Speed of a sweep: per-hop overhead, revisit time per band, and whether processing keeps up.

Run: ``python benchmarks/sweep.py [--minutes M] [--passes 2]``

1. Per-hop overhead (time per hop minus dwell) over ``sim://`` unpaced and over a paced local
   ``RtlTcpSimServer`` (rtl_tcp protocol at 2.4 MS/s real time), against a baseline measured in the
   same run: the bare read of the same number of samples without retuning; over rtl_tcp also with
   ``read_and_tune`` (the next frequency sent while the dwell's transfer is still filling), against
   the physical floor of one librtlsdr transfer (262144 bytes = 54.6 ms at 2.4 MS/s) per hop.
2. Revisit time of every band of ``uplink-eu`` and ``uplink-us`` (plan estimate and measured over
   ``--passes`` passes: stream time with ``sim://``; wall time over paced rtl_tcp for uplink-eu through
   the sweep engine, which reads with ``read_and_tune``), the number of hops and the dongles needed
   for <= 2 s.
3. Keep-up: processing time per dwell over dwell length, and a continuous real-time watch
   (``sim://...?realtime=1``, which drops samples like a dongle whose USB buffers overflow when the
   reader falls behind) of ``--minutes`` (default 0.25) with detection, against the same watch with
   bare reads: dropped samples and short reads of both.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from rfscan.sources import DEFAULT_SETTLE_S, open_source
from rfscan.sources.rtltcp import DEFAULT_TRANSFER_BYTES
from rfscan.sources.rtltcp_server import RtlTcpSimServer
from rfscan.survey.engine import SurveyEngine, source_hop_quantum_s, source_overhead_s
from rfscan.survey.plan import plan_hops, resolve_spans

FS = 2.4e6
#: One librtlsdr transfer at 2.4 MS/s: rtl_tcp delivers nothing of a transfer before it is full, so
#: one hop can never take less (54.6 ms).
TRANSFER_S = DEFAULT_TRANSFER_BYTES / 2 / FS
SCENE = """
[scene]
name = "bench-sweep"
seed = 1
duration_s = 3600.0
center_hz = 840e6
sample_rate_hz = 2.4e6
noise_dbfs = -45.0
region = "eu"

[[emitter]]
kind = "gsm_uplink"
freq_hz = 897.4e6
snr_db = 20.0
timeslots = [3]
start_s = 0.0
duration_s = 3600.0

[[emitter]]
kind = "lte_pusch"
freq_hz = 847.0e6
bandwidth_mhz = 10
rb_start = 10
n_rb = 6
snr_db = 15.0
start_s = 0.0
duration_s = 3600.0
subframe_period = 5
"""


def _plan(spec: str, src: Any) -> Any:
    spans, _ = resolve_spans(spec, None)
    return plan_hops(
        spans,
        FS,
        tuner_ranges_hz=src.tuner.ranges_hz,
        settle_s=source_overhead_s(src),
        hop_quantum_s=source_hop_quantum_s(src),
    )


def _sweep(src: Any, spec: str, passes: int) -> tuple[Any, float]:
    plan = _plan(spec, src)
    engine = SurveyEngine([src], plan, region=spec.split("-")[1], passes=passes)
    t0 = time.perf_counter()
    engine.run()
    return engine, time.perf_counter() - t0


def _bare_read_s(src: Any, n: int, reps: int) -> float:
    src.tune(897.1e6)
    src.read(n)
    t0 = time.perf_counter()
    for _ in range(reps):
        src.read(n)
    return (time.perf_counter() - t0) / reps


def _pipelined_hops_s(src: Any, centres: list[float], n: int) -> list[float]:
    """Wall time per hop when each dwell's read also sends the next frequency (``read_and_tune``)."""
    src.tune(centres[0])
    out = []
    for c in centres[1:]:
        t0 = time.perf_counter()
        src.read_and_tune(n, c)
        out.append(time.perf_counter() - t0)
    return out


def _revisits(engine: Any) -> str:
    rows = engine.coverage()["bands"]
    if any(r["revisit_s"] is None for r in rows):  # a band seen once has no revisit yet
        return f"revisit not measured over {len(rows)} bands (a band seen once; use --passes 2 or more)"
    worst = max(r["revisit_s"] for r in rows)
    ok = all(r["revisit_ok"] for r in rows)
    verdict = "all <= 2 s" if ok else "NOT all <= 2 s"
    return f"worst band revisit {worst:.3f} s over {len(rows)} bands ({verdict})"


def _watch(url: str, seconds: float, detect: bool) -> tuple[int, int, float]:
    """Continuous real-time watch of one centre; returns dropped samples, short reads, processing s/s."""
    from rfscan.dsp import PipelineConfig, analyze_blocks

    n = 1 << 18
    proc = 0.0
    with open_source(url) as src:
        src.tune(898.1e6)
        t_end = time.monotonic() + seconds
        while time.monotonic() < t_end:
            blk = src.read(n)
            if detect:
                t0 = time.perf_counter()
                analyze_blocks([blk], FS, config=PipelineConfig(hist_stride=1, hist_stride_late=1))
                proc += time.perf_counter() - t0
        read_s = src.sample_position / FS
        return int(src.dropped_samples), int(src.short_reads), proc / max(read_s, 1e-9)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=0.25, help="real-time keep-up run (default 0.25)")
    ap.add_argument("--passes", type=int, default=2, help="passes for measured revisit (default 2)")
    ap.add_argument("--skip-tcp-sweep", action="store_true", help="skip the paced rtl_tcp uplink-eu sweep")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        scene = Path(tmp) / "scene.toml"
        scene.write_text(SCENE)
        sim_url = f"sim://{scene}"

        print("== 1. per-hop overhead (time per hop - dwell)")
        with open_source(sim_url, sample_rate_hz=FS) as src:
            eng, wall = _sweep(src, "uplink-eu", 1)
            tm = eng.timing_doc()
            n = eng.plan.dwell_samples
            bare = _bare_read_s(src, n, 20)
        print(
            f"sim:// unpaced: {len(eng.plan.hops)} hops, dwell {1e3 * tm['mean_dwell_s']:.2f} ms; "
            "wall per hop "
            f"{1e3 * tm['mean_hop_wall_s']:.2f} ms (tune+read) vs bare read of the same samples "
            f"{1e3 * bare:.2f} ms: ratio {tm['mean_hop_wall_s'] / bare:.2f}; stream-time overhead per hop "
            f"{1e3 * DEFAULT_SETTLE_S:.1f} ms (settle)"
        )
        with (
            RtlTcpSimServer(scene, speed=1.0, sample_rate_hz=FS) as srv,
            open_source(srv.url) as tsrc,
        ):
            n = _plan("uplink-eu", tsrc).dwell_samples
            centres = [h.center_hz for h in _plan("B20,GSM900", tsrc).hops][:20]
            hop_s = []
            for c in centres:
                t0 = time.perf_counter()
                tsrc.tune(c)
                tsrc.read(n)
                hop_s.append(time.perf_counter() - t0)
            bare_tcp = _bare_read_s(tsrc, n, 10)
            over = statistics.median(hop_s) - n / FS
            print(
                f"rtl_tcp paced 2.4 MS/s: dwell {1e3 * n / FS:.2f} ms; median wall per hop "
                f"{1e3 * statistics.median(hop_s):.1f} ms -> overhead {1e3 * over:.1f} ms "
                f"(tune then read: the rest of the transfer being filled at the retune, then the next "
                f"{DEFAULT_TRANSFER_BYTES}-byte transfer must be complete); "
                f"bare read {1e3 * bare_tcp:.1f} ms: ratio {statistics.median(hop_s) / bare_tcp:.2f}; "
                f"physical floor {1e3 * TRANSFER_S:.1f} ms per hop (one transfer)"
            )
            pipe_s = _pipelined_hops_s(tsrc, centres, n)
            print(
                f"rtl_tcp paced, pipelined (read_and_tune: next frequency sent while the dwell's transfer "
                f"fills, as the sweep reads): median wall per hop {1e3 * statistics.median(pipe_s):.1f} ms "
                f"({statistics.median(pipe_s) / TRANSFER_S:.2f} transfers; plan estimate "
                f"{1e3 * _plan('uplink-eu', tsrc).hop_s:.1f} ms)"
            )

        print(f"== 2. revisit per band ({args.passes} passes)")
        for spec in ("uplink-eu", "uplink-us"):
            with open_source(sim_url, sample_rate_hz=FS) as src:
                plan = _plan(spec, src)
                eng, wall = _sweep(src, spec, args.passes)
            tm = eng.timing_doc()
            print(
                f"sim:// {spec}: {len(plan.hops)} hops x ({1e3 * plan.settle_s:.0f} ms settle + "
                f"{1e3 * plan.dwell_samples / FS:.2f} ms dwell), estimate {plan.revisit_s():.3f} s; measured "
                f"(stream time) {_revisits(eng)}; wall {wall:.1f} s; processing/dwell "
                f"{tm['processing_over_dwell']:.2f}"
            )
        with (
            RtlTcpSimServer(scene, speed=1.0, sample_rate_hz=FS) as srv,
            open_source(srv.url, reconnect=True) as tsrc,
        ):
            for spec in ("uplink-eu", "uplink-us"):
                plan = _plan(spec, tsrc)
                need = math.ceil(plan.revisit_s() / 2.0)
                floor_s = len(plan.hops) * TRANSFER_S
                print(
                    f"rtl_tcp {spec}: {len(plan.hops)} hops x {1e3 * plan.hop_s:.1f} ms "
                    f"({1e3 * plan.dwell_s:.1f} ms dwell, {1e3 * plan.settle_s:.0f} ms settle + margin, "
                    f"whole transfers): estimate {plan.revisit_s():.2f} s per dongle "
                    f"(~{need} dongles for <= 2 s); physical floor {len(plan.hops)} x "
                    f"{1e3 * TRANSFER_S:.1f} ms = {floor_s:.2f} s ({math.ceil(floor_s / 2.0)} dongles)"
                )
            if not args.skip_tcp_sweep:
                eng, wall = _sweep(tsrc, "uplink-eu", args.passes)
                tm = eng.timing_doc()
                hops = len(eng.plan.hops)
                worst = max((r["revisit_s"] or 0.0) for r in eng.coverage()["bands"])
                print(
                    f"rtl_tcp paced uplink-eu measured (the sweep engine, read_and_tune): {hops} hops, "
                    f"{_revisits(eng)}; wall {wall:.1f} s; "
                    f"{1e3 * tm['mean_hop_wall_s']:.1f} ms per hop ({tm['mean_hop_wall_s'] / TRANSFER_S:.2f} "
                    f"transfers); dropped {eng.fault_doc()['dropped_samples']} samples, short reads "
                    f"{eng.fault_doc()['short_reads']}; -> {math.ceil(worst / 2.0)} dongles for <= 2 s at "
                    f"this pace, {math.ceil(hops * TRANSFER_S / 2.0)} at the floor"
                )

        seconds = 60.0 * args.minutes
        print(f"== 3. keep-up: continuous real-time watch of {seconds:.0f} s at 2.4 MS/s")
        rt = f"{sim_url}?realtime=1"
        d0, s0, _ = _watch(rt, seconds, detect=False)
        d1, s1, ratio = _watch(rt, seconds, detect=True)
        total = seconds * FS
        print(
            f"baseline (bare reads): dropped {d0} samples ({100 * d0 / total:.2f}%), short reads {s0}; with "
            f"detection: dropped {d1} ({100 * d1 / total:.2f}%), short reads {s1}; processing "
            f"{ratio:.2f} s per s of signal"
        )
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    sys.exit(main())
