"""``rfscan simulate``: write a simulated RTL-SDR recording of a scene, with ground truth."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

_DESCRIPTION = """\
Render a scene (built-in name or TOML/JSON file) to a SigMF recording as an RTL-SDR would capture
it: noise, DC spike, IQ image, ppm error, 8-bit quantization.  Every transmitted burst is written
as a 'truth ...' annotation (true RF edges, tech, link, emitter, SNR).  Same seed -> same file.
"""


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``simulate`` subcommand."""
    p = sub.add_parser(
        "simulate",
        parents=[common],
        help="write a simulated recording of a scene (with ground-truth annotations)",
        description=_DESCRIPTION,
    )
    p.add_argument("scene", nargs="?", help="built-in scene name (see --list) or a .toml/.json file")
    p.add_argument("-o", "--output", metavar="OUT", help="output base name (writes OUT.sigmf-data/-meta)")
    p.add_argument("--seed", type=int, default=None, help="override the scene seed")
    p.add_argument("--duration", type=float, default=None, metavar="S", help="total length in seconds")
    p.add_argument(
        "--datatype",
        choices=("cu8", "ci8", "ci16_le", "cf32_le"),
        default=None,
        help="sample format (default: the scene's, normally cu8 like rtl_sdr)",
    )
    p.add_argument("--list", action="store_true", help="list the built-in scenes and exit")
    p.add_argument("--json", metavar="OUT", default=None, help="write a JSON summary to OUT ('-' = stdout)")
    p.set_defaults(func=run)


def _emit_json(doc: dict[str, Any], dest: str) -> None:
    text = json.dumps(doc, indent=2, sort_keys=True)
    if dest == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(dest).write_text(text + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    """Write the recording and print what was written."""
    from rfscan.errors import InputError
    from rfscan.sim import builtin_scenes, load_scene, simulate_recording

    if args.list:
        rows = []
        for name in builtin_scenes():
            sc = load_scene(name)
            rows.append({"name": name, "duration_s": sc.duration_s, "description": sc.description})
        if args.json:
            _emit_json({"scenes": rows}, args.json)
        if args.json != "-":
            for r in rows:
                print(f"{r['name']:<16} {r['duration_s']:5.1f} s  {r['description']}")
        return 0
    if not args.scene:
        raise InputError("simulate: give a scene name or file (see 'rfscan simulate --list')")
    if not args.output:
        raise InputError("simulate: give the output base name with -o OUT")
    scene = load_scene(args.scene)
    res = simulate_recording(
        scene, args.output, duration_s=args.duration, seed=args.seed, datatype=args.datatype
    )
    labels = {e.id: e.label or e.id for e in scene.emitters}
    doc = {
        "scene": scene.name,
        "meta_path": str(res.meta_path),
        "data_path": str(res.meta_path.with_name(res.meta_path.name[: -len(".sigmf-meta")] + ".sigmf-data")),
        "sample_rate_hz": res.sample_rate_hz,
        "datatype": res.datatype,
        "num_samples": res.num_samples,
        "duration_s": res.duration_s,
        "captures": [{"sample_start": s, "center_hz": f, "label": lab} for s, f, lab in res.captures],
        "truth_annotations": len(res.truth),
        "bursts_per_emitter": res.burst_counts,
    }
    if args.json:
        _emit_json(doc, args.json)
    if args.json != "-":
        print(
            f"wrote {res.meta_path} ({res.datatype}, {res.sample_rate_hz / 1e6:g} MS/s, {res.duration_s:g} s)"
        )
        for s, f, lab in res.captures:
            print(f"  capture at {s / res.sample_rate_hz:6.3f} s: {f / 1e6:10.4f} MHz  {lab}")
        print(f"  {len(res.truth)} truth annotations")
        for ident, n in sorted(res.burst_counts.items()):
            print(f"  {ident:<22} {n:6d} burst(s)  {labels.get(ident, '')}")
        silent = [e.id for e in scene.emitters if e.id not in res.burst_counts]
        if silent:
            print(f"  not in any capture: {', '.join(silent)}")
    return 0
