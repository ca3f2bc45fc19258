"""``rfscan info``: describe an IQ recording (format, rate, duration, captures, hashes)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from rfscan.commands._input import add_recording_arguments
from rfscan.units import format_hz

if TYPE_CHECKING:
    from rfscan.iq import Recording

#: Longest metadata string printed (labels, descriptions come from untrusted files).
_MAX_TEXT = 200


def _clean(value: Any) -> str:
    """Printable one-line version of an untrusted metadata string (control characters made visible)."""
    from serialprobe.sanitize import terminal_safe

    return terminal_safe(str(value), max_chars=_MAX_TEXT)


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``info`` subcommand."""
    p = sub.add_parser(
        "info",
        parents=[common],
        help="describe an IQ recording (SigMF or raw)",
        description=(
            "Print the format, sample rate, duration, captures (centre frequencies), annotations and "
            "SHA-256 of a SigMF recording (.sigmf-meta, .sigmf-data, base name, .sigmf archive) or a raw "
            "IQ file (.cu8, .cs8, .cs16, .cf32, rtl_433 and gqrx names, .bin with --format). "
            "A stored core:sha512 is checked."
        ),
    )
    add_recording_arguments(p)
    p.add_argument("--no-hash", action="store_true", help="skip reading the whole data file for hashes")
    p.add_argument("--json", metavar="OUT", help="write the description as JSON to OUT ('-' for stdout)")
    p.set_defaults(func=run)


def describe(rec: Recording, *, hashes: bool = True) -> dict[str, Any]:
    """Machine-readable description of an opened recording (what ``--json`` writes)."""
    info: dict[str, Any] = {
        "path": str(rec.path),
        "kind": rec.kind,
        "data_path": str(rec.data_path),
        "data_bytes": rec.data_size,
        "datatype": rec.datatype,
        "source": rec.source,
        "sample_rate_hz": rec.sample_rate_hz,
        "num_samples": rec.num_samples,
        "duration_s": rec.duration_s,
        "center_hz": rec.center_hz,
        "captures": [
            {
                "sample_start": c.sample_start,
                "time_s": c.sample_start / rec.sample_rate_hz,
                "center_hz": c.center_hz,
                "datetime": c.datetime,
            }
            for c in rec.captures
        ],
        "annotations": len(rec.annotations),
        "annotation_labels": sorted({a.label for a in rec.annotations if a.label}),
        "description": rec.global_info.get("core:description"),
        "recorder": rec.global_info.get("core:recorder"),
        "hw": rec.global_info.get("core:hw"),
        "geolocation": rec.geolocation,
        "warnings": list(rec.warnings),
        "sha256": None,
        "sha512_check": None,
    }
    if hashes:
        digests = rec.hashes(("sha256", "sha512"))
        info["sha256"] = digests["sha256"]
        checked = rec.check_sha512(digests["sha512"])  # raises InputError on mismatch
        info["sha512_check"] = "match" if checked else "absent"
    return info


def _text(info: dict[str, Any]) -> str:
    lines = [
        f"file:         {_clean(info['path'])}",
        f"kind:         {info['kind']} ({_clean(info['source'])})",
        f"format:       {info['datatype']}",
        f"sample rate:  {format_hz(info['sample_rate_hz'], 'S/s')} ({info['sample_rate_hz']:.10g} S/s)",
        f"samples:      {info['num_samples']} ({info['duration_s']:.6g} s, {info['data_bytes']} bytes)",
        f"captures:     {len(info['captures'])}",
    ]
    for i, cap in enumerate(info["captures"]):
        when = f"  {_clean(cap['datetime'])}" if cap["datetime"] else ""
        lines.append(
            f"  #{i}: sample {cap['sample_start']} ({cap['time_s']:.6g} s) "
            f"at {format_hz(cap['center_hz'])}{when}"
        )
    labels = ", ".join(_clean(label) for label in info["annotation_labels"][:20])
    lines.append(f"annotations:  {info['annotations']}" + (f" ({labels})" if labels else ""))
    for key in ("description", "recorder", "hw"):
        if info[key]:
            lines.append(f"{key + ':':<13} {_clean(info[key])}")
    if info["geolocation"]:
        lines.append(f"geolocation:  {_clean(json.dumps(info['geolocation']))}")
    if info["sha256"]:
        lines.append(f"sha256:       {info['sha256']}")
        check = "matches core:sha512" if info["sha512_check"] == "match" else "not in metadata"
        lines.append(f"sha512:       {check}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Describe ``args.path``; returns 0 (errors are raised as RfscanError)."""
    from rfscan.iq import open_recording

    with open_recording(
        args.path, fmt=args.fmt, sample_rate_hz=args.rate, center_hz=args.center, verify=False
    ) as rec:
        info = describe(rec, hashes=not args.no_hash)
    if args.json:
        from rfscan.report.jsonout import write_json

        write_json(info, args.json)
    if args.json != "-":
        print(_text(info))
    return 0
