"""The inspection report: one page per asset that joins radio and serial/USB evidence.

Inputs are the JSON documents the other tools write:

* radio: ``rfscan analyze --json`` (``schema: modemhunt.analyze/1``) and, with the same
  ``emitters`` / ``bursts`` / ``coverage`` sections, ``rfscan sweep`` and ``rfscan monitor``
  (``modemhunt.sweep/1``, ``modemhunt.monitor/1``); any document carrying those three sections
  is read the same way;
* serial: ``serialprobe scan --json``, ``serialprobe probe --json``, ``serialprobe list --json``;
* USB: ``serialprobe usb --json``.

:func:`load_input` reads and hashes one file and says what it is; :func:`build_report` joins the
documents into the machine form (``schema: modemhunt.inspection/1``): verdict, findings, emitters,
coverage with probability of intercept, ports, USB devices, modem identities and the evidence
(SHA-256 of every input, recordings, tool versions, who and where).  Findings come in three
levels: ``bad`` (a cellular emitter in an uplink band, an identified modem), ``warn`` (evidence
that is undecided, such as a cellular emitter whose link depends on the region) and ``info`` (one
note per radio input counting the signals in uplink bands that no technology was named for: too
weak or too short to measure, or shaped like interference, as a modem too weak to identify would
read; the verdict's level does not change for it). :func:`render_html` makes
the page (no script, nothing remote: see :mod:`rfscan.report.page`), :func:`render_pdf` a PDF.

Every string read from an input passes through :func:`serialprobe.sanitize.terminal_safe`
(bounded, control characters visible) before it reaches the report; the page then HTML-escapes
it. Identities (IMEI, IMSI, ICCID) are copied as the input holds them: masked unless the probe
ran with ``--reveal``; this module never unmasks anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import os
import platform
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rfscan import __version__
from rfscan.bands.classify import CELLULAR_TECHS
from rfscan.errors import InputError, RfscanError
from rfscan.report.analysis import is_cellular_uplink
from rfscan.report.plots import figure_canvas, png_bytes
from rfscan.units import format_offset_s

if TYPE_CHECKING:
    pass

#: Format of the machine-readable report.
SCHEMA = "modemhunt.inspection/1"
#: Schema prefixes of radio documents (analyze, sweep, monitor).
RF_SCHEMAS = ("modemhunt.analyze/", "modemhunt.sweep/", "modemhunt.monitor/")
#: rfscan commands whose documents carry emitters / bursts / coverage.
RF_COMMANDS = frozenset({"analyze", "sweep", "monitor"})
#: Largest input file read (a long monitor run is big, but not this big).
MAX_INPUT_BYTES = 512 * 1024 * 1024
#: Bound on one string taken from an input document.
MAX_TEXT = 256
#: Rows shown per table (the JSON form keeps everything).
MAX_ROWS = 200
#: Emitters drawn in a burst timeline.
MAX_TIMELINE_ROWS = 24
#: Findings quoted in the verdict box (all of them are in the Findings table).
VERDICT_FINDINGS = 8
#: Headless Chromium used for ``--pdf`` when present.
CHROMIUM = "/usr/bin/chromium"

_LEVELS = {"ok": 0, "info": 0, "warn": 1, "bad": 2}
_RAT_NAMES = {
    "E-UTRAN": "LTE",
    "UTRAN": "UMTS",
    "GSM": "GSM",
    "GERAN": "GSM",
    "NR": "5G NR",
    "E-UTRAN (NB-S1)": "NB-IoT",
    "NB-IoT": "NB-IoT",
    "CAT-M1": "LTE-M",
    "LTE-M": "LTE-M",
}
_LINK_COLOURS = {"uplink": "#d62728", "downlink": "#1f77b4"}


# ----------------------------------------------------------------------------------------------
# small helpers for untrusted values


def _s(value: Any, max_chars: int = MAX_TEXT) -> str | None:
    """Untrusted value as bounded, terminal-safe text (``None`` stays ``None``)."""
    from serialprobe.sanitize import terminal_safe

    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return terminal_safe(str(value), max_chars=max_chars)


def _num(value: Any) -> float | None:
    """A finite number, or ``None`` (strings, booleans, NaN and missing values are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    out = float(value)
    return out if math.isfinite(out) else None


def _int(value: Any) -> int | None:
    n = _num(value)
    return None if n is None else int(n)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in _list(value) if isinstance(v, dict)]


def _mhz(freq_hz: float | None, digits: int = 3) -> str:
    return "?" if freq_hz is None else f"{freq_hz / 1e6:.{digits}f} MHz"


def _period_text(period_s: float) -> str:
    if period_s >= 3600 and period_s % 3600 == 0:
        return f"{period_s / 3600:g} h"
    if period_s >= 60:
        return f"{period_s / 60:g} min"
    return f"{period_s:g} s"


def _pct(p: float | None) -> str:
    if p is None:
        return "?"
    v = 100 * p
    return f"{v:.1f}%" if v >= 1 or v == 0 else f"{v:.2g}%"


def _parse_utc(value: Any) -> dt.datetime | None:
    """An ISO 8601 time (SigMF ``core:datetime``), as an aware UTC datetime, or ``None``."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        t = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC)


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ----------------------------------------------------------------------------------------------
# reading inputs


@dataclass(frozen=True)
class InputDocument:
    """One input file: where it is, its SHA-256, what kind of document it is and its content.

    ``kind`` is ``rf`` (analyze/sweep/monitor), ``serial-scan``, ``serial-probe``,
    ``serial-list`` or ``usb``.
    """

    path: Path
    sha256: str
    size_bytes: int
    kind: str
    doc: dict[str, Any]


def document_kind(doc: Any) -> str | None:
    """What a parsed JSON document is, or ``None`` when it is none of the known documents.

    Radio documents are recognised by their ``schema`` prefix, by ``tool`` (rfscan analyze,
    sweep, monitor) or, whatever their name, by carrying ``emitters``, ``bursts`` and
    ``coverage``; serialprobe documents by their shape (scan: ``tool: serialprobe`` with
    ``ports``; usb: ``devices``; list: ``ports``; probe: ``device`` with ``identity``).
    """
    if not isinstance(doc, dict):
        return None
    schema = doc.get("schema")
    tool = doc.get("tool")
    if isinstance(schema, str) and schema.startswith(RF_SCHEMAS):
        return "rf"
    if isinstance(tool, dict) and tool.get("name") == "rfscan" and tool.get("command") in RF_COMMANDS:
        return "rf"
    if isinstance(doc.get("emitters"), list) and isinstance(doc.get("coverage"), dict):
        return "rf"
    if tool == "serialprobe" and isinstance(doc.get("ports"), list):
        return "serial-scan"
    if isinstance(doc.get("devices"), list):
        return "usb"
    if isinstance(doc.get("ports"), list):
        return "serial-list"
    if isinstance(doc.get("device"), str) and isinstance(doc.get("identity"), dict) and "protocol" in doc:
        return "serial-probe"
    return None


def load_input(path: str | os.PathLike[str]) -> InputDocument:
    """Read, hash and recognise one input JSON file.

    Raises
    ------
    InputError
        Missing or unreadable file, not JSON, or a JSON document this report does not know.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise InputError(f"{p} is a directory: give the JSON file written with --json")
        if size > MAX_INPUT_BYTES:
            raise InputError(f"{p} is {size} bytes, more than the {MAX_INPUT_BYTES} a report reads")
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"{p}: no such file; give the JSON written by rfscan analyze/sweep/monitor or serialprobe --json"
        ) from None
    except OSError as err:
        raise InputError(f"cannot read {p}: {err.strerror or err}") from err
    sha = hashlib.sha256(data).hexdigest()
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise InputError(f"{p} is not JSON (not UTF-8 text at byte {err.start})") from err
    except json.JSONDecodeError as err:
        raise InputError(f"{p} is not JSON ({err.msg} at line {err.lineno} column {err.colno})") from err
    except RecursionError as err:
        raise InputError(f"{p}: JSON nested too deeply to be a result document") from err
    if isinstance(doc, dict) and str(doc.get("schema", "")).startswith("modemhunt.inspection/"):
        raise InputError(
            f"{p} is an inspection report already: give the analyze/serialprobe JSON it came from"
        )
    kind = document_kind(doc)
    if kind is None:
        raise InputError(
            f"{p} is JSON but not a document rfscan report knows: expected the --json output of "
            "rfscan analyze/sweep/monitor or serialprobe scan/probe/list/usb"
        )
    if kind == "rf":
        for key, typ in (("emitters", list), ("coverage", dict)):
            if not isinstance(doc.get(key), typ):
                raise InputError(f"{p}: radio document without a valid {key!r} section")
    return InputDocument(path=p, sha256=sha, size_bytes=size, kind=kind, doc=doc)


# ----------------------------------------------------------------------------------------------
# radio documents


@dataclass(frozen=True)
class _Clock:
    """Turns seconds from the start of a recording/run into UTC when the input says when it ran."""

    starts: tuple[tuple[float, dt.datetime], ...]

    def utc(self, t_s: float | None) -> dt.datetime | None:
        if t_s is None or not self.starts:
            return None
        best = self.starts[0]
        for start in self.starts:
            if start[0] <= t_s + 1e-9:
                best = start
        return best[1] + dt.timedelta(seconds=t_s - best[0])


def _clock(doc: Mapping[str, Any]) -> _Clock:
    inp = _dict(doc.get("input"))
    rate = _num(inp.get("sample_rate_hz"))
    starts: list[tuple[float, dt.datetime]] = []
    for cap in _dicts(inp.get("captures")):
        t = _parse_utc(cap.get("datetime"))
        start = _num(cap.get("sample_start"))
        if t is not None and start is not None and rate:
            starts.append((start / rate, t))
    if not starts:
        for key in ("started_utc", "start_utc"):
            t = _parse_utc(doc.get(key)) or _parse_utc(inp.get(key))
            if t is not None:
                starts.append((0.0, t))
                break
    return _Clock(tuple(sorted(starts, key=lambda s: s[0])))


def _emitter_row(e: Mapping[str, Any], clock: _Clock) -> dict[str, Any]:
    first_s, last_s = _num(e.get("first_s")), _num(e.get("last_s"))
    first_utc = _parse_utc(e.get("first_utc")) or clock.utc(first_s)
    last_utc = _parse_utc(e.get("last_utc")) or clock.utc(last_s)
    tech = _s(e.get("tech"), 32)
    link = _s(e.get("link"), 32)
    return {
        "id": _int(e.get("id")),
        "freq_hz": _num(e.get("freq_hz")),
        "bandwidth_hz": _num(e.get("bandwidth_hz")),
        "tech": tech,
        "link": link,
        "band": _s(e.get("band"), 32),
        "channel": _int(e.get("channel")),
        "burst_count": _int(e.get("burst_count")),
        "first_s": first_s,
        "last_s": last_s,
        "first_utc": _iso(first_utc),
        "last_utc": _iso(last_utc),
        "duty_cycle": _num(e.get("duty_cycle")),
        "period_s": _num(e.get("period_s")),
        "peak_dbfs": _num(e.get("peak_dbfs")),
        "snr_db": _num(e.get("snr_db")),
        "link_reason": _s(e.get("link_reason")),
        "reason": _s(e.get("reason")),
        "cellular_uplink": is_cellular_uplink({"link": link, "tech": tech}),
        "undecided_cellular": link is None and tech in CELLULAR_TECHS,
    }


def _span_bands(span: Mapping[str, Any]) -> list[dict[str, Any]]:
    bands = [
        {
            "band": _s(b.get("band"), 32),
            "link": _s(b.get("link"), 32),
            "status": _s(b.get("status"), 16),
            "fraction": _num(b.get("fraction")),
            "low_hz": _num(b.get("low_hz")),
            "high_hz": _num(b.get("high_hz")),
        }
        for b in _dicts(span.get("bands"))
    ]
    if not bands and span.get("band") is not None:  # a per-band coverage entry (sweep, monitor)
        bands.append(
            {
                "band": _s(span.get("band"), 32),
                "link": _s(span.get("link"), 32),
                "status": _s(span.get("status"), 16),
                "fraction": _num(span.get("fraction")),
                "low_hz": _num(span.get("low_hz")),
                "high_hz": _num(span.get("high_hz")),
            }
        )
    return bands


def _coverage_rows(cov: Mapping[str, Any], run_s: float | None) -> list[dict[str, Any]]:
    """Watched spans with their probability of intercept (computed when the input has none)."""
    from rfscan.coverage import intercept_table

    rows = []
    entries = _dicts(cov.get("spans")) or _dicts(cov.get("bands"))
    for span in entries:
        low, high = _num(span.get("low_hz")), _num(span.get("high_hz"))
        centre = _num(span.get("center_hz"))
        width = _num(span.get("span_hz"))
        if (low is None or high is None) and centre is not None and width is not None:
            low, high = centre - width / 2, centre + width / 2
        watched = _num(span.get("watched_s"))
        dwell, revisit = _num(span.get("dwell_s")), _num(span.get("revisit_s"))
        intercept = [
            {
                "behaviour": _s(p.get("behaviour")),
                "period_s": _num(p.get("period_s")),
                "activity_s": _num(p.get("activity_s")),
                "probability": _num(p.get("probability")),
            }
            for p in _dicts(span.get("intercept"))
        ]
        computed = False
        if not intercept and watched is not None and watched > 0:
            total = run_s if (dwell is not None and revisit is not None and run_s) else watched
            intercept = [
                {
                    "behaviour": str(p["behaviour"]),
                    "period_s": float(p["period_s"]),
                    "activity_s": float(p["activity_s"]),
                    "probability": float(p["probability"]),
                }
                for p in intercept_table(total, dwell_s=dwell, revisit_s=revisit)
            ]
            computed = True
        rows.append(
            {
                "low_hz": low,
                "high_hz": high,
                "watched_s": watched,
                "dwell_s": dwell,
                "revisit_s": revisit,
                "fraction_of_run": _num(span.get("fraction_of_run")),
                "bands": _span_bands(span),
                "intercept": intercept,
                "intercept_computed_here": computed,
            }
        )
    return rows


def _unwatched_uplinks(region: str | None, spans: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """Uplink bands of the region no watched span touches: those an RTL-SDR (R820T) could have
    watched, and those wholly beyond its tuning range (an emitter there cannot be seen by it at all)."""
    from rfscan.bands import load_band_plan

    try:
        plan = load_band_plan()
        bands = plan.bands_of(region)
        reach = plan.tuner_ranges("R820T")
    except RfscanError:
        return [], []
    unwatched: list[str] = []
    unreachable: list[str] = []
    for band in bands:
        if band.kind != "cellular":
            continue
        part = band.part("uplink")
        if part is None:
            continue
        lo, hi = part
        touched = any(
            s["low_hz"] is not None and s["high_hz"] is not None and s["low_hz"] < hi and s["high_hz"] > lo
            for s in spans
        )
        if touched:
            continue
        if any(r_lo < hi and r_hi > lo for r_lo, r_hi in reach):
            unwatched.append(band.name)
        else:
            unreachable.append(band.name)
    return unwatched, unreachable


def _source_info(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Receiver details the input carries (hardware, tuner, gain, ppm), whatever section holds them."""
    inp = _dict(doc.get("input"))
    src = _dict(doc.get("source")) | _dict(inp.get("source"))
    out: dict[str, Any] = {}
    for key, names in (
        ("hw", ("hw", "device", "name")),
        ("recorder", ("recorder",)),
        ("tuner", ("tuner",)),
        ("gain_db", ("gain_db", "gain")),
        ("ppm", ("ppm", "freq_correction_ppm")),
        ("serial", ("serial", "serial_number")),
    ):
        for name in names:
            value = inp.get(name, src.get(name))
            if value is not None:
                out[key] = _num(value) if key in ("gain_db", "ppm") and _num(value) is not None else _s(value)
                break
    return out


def _rf_section(index: int, item: InputDocument) -> dict[str, Any]:
    doc = item.doc
    inp = _dict(doc.get("input"))
    tool = doc.get("tool")
    tool_d = _dict(tool)
    clock = _clock(doc)
    cov = _dict(doc.get("coverage"))
    run_s = _num(cov.get("run_s")) or _num(inp.get("duration_s"))
    region = _dict(doc.get("region"))
    profile = region.get("profile") if isinstance(region.get("profile"), str) else None
    emitters = [_emitter_row(e, clock) for e in _dicts(doc.get("emitters"))]
    emitters.sort(key=lambda e: (not e["cellular_uplink"], not e["undecided_cellular"], e["freq_hz"] or 0.0))
    spans = _coverage_rows(cov, run_s)
    unwatched, unreachable = _unwatched_uplinks(profile, spans)
    return {
        "input": index,
        "schema": _s(doc.get("schema"), 64),
        "tool": _s(tool_d.get("name") if tool_d else tool, 32),
        "command": _s(tool_d.get("command"), 32),
        "version": _s(tool_d.get("version"), 32),
        "generated_utc": _s(doc.get("generated_utc"), 64),
        "complete": doc.get("complete") is not False,
        "note": _s(doc.get("note")),
        "recording": {
            "path": _s(inp.get("path"), 1024),
            "sha256": _s(inp.get("sha256"), 128),
            "sample_rate_hz": _num(inp.get("sample_rate_hz")),
            "duration_s": _num(inp.get("duration_s")),
            "datatype": _s(inp.get("datatype"), 32),
            "start_utc": _iso(clock.starts[0][1]) if clock.starts else None,
        },
        "source": _source_info(doc),
        "region": {"profile": _s(profile, 32), "source": _s(region.get("source"), 64)},
        "run_s": run_s,
        "bursts": len(_list(doc.get("bursts"))),
        "emitters": emitters,
        "coverage": spans,
        "unreachable_bands": [_s(b, 32) for b in _list(cov.get("unreachable_bands"))],
        "unwatched_uplink_bands": unwatched,
        "unreachable_uplink_bands": unreachable,
        "has_spectra": bool(_dicts(doc.get("spectra"))),
    }


# ----------------------------------------------------------------------------------------------
# serial and USB documents


def _probe_row(index: int, probe: Mapping[str, Any], device: Any = None) -> dict[str, Any]:
    ident = _dict(probe.get("identity"))
    net = _dict(probe.get("network"))
    sim = _dict(probe.get("sim"))
    rat = _s(net.get("rat"), 32)
    row = {
        "input": index,
        "device": _s(probe.get("device", device), 256),
        "protocol": _s(probe.get("protocol"), 32),
        "baud": _int(probe.get("baud")),
        "manufacturer": _s(ident.get("manufacturer")),
        "model": _s(ident.get("model")),
        "revision": _s(ident.get("revision")),
        "maker": _s(ident.get("maker"), 32),
        "imei": _s(ident.get("imei"), 64),
        "imei_valid": ident.get("imei_valid") if isinstance(ident.get("imei_valid"), bool) else None,
        "imsi": _s(ident.get("imsi"), 64),
        "iccid": _s(ident.get("iccid"), 64),
        "masked": ident.get("masked") is not False,
        "sim_state": _s(sim.get("state"), 64),
        "registration": _s(net.get("registration"), 64),
        "registered": net.get("registered") if isinstance(net.get("registered"), bool) else None,
        "operator": _s(net.get("operator"), 64),
        "rat": _RAT_NAMES.get(rat or "", rat),
        "signal_dbm": _num(net.get("signal_dbm")),
        "rsrp_dbm": _num(net.get("rsrp_dbm")),
        "complete": probe.get("complete") is True,
        "events": [_s(ev) for ev in _list(probe.get("events"))[:20]],
    }
    row["modem"] = row["protocol"] == "at" and any(row[k] for k in ("manufacturer", "model", "imei"))
    return row


def _verdict_fields(v: Any) -> dict[str, Any]:
    vd = _dict(v)
    roles = _dict(vd.get("roles"))
    return {
        "verdict": _s(vd.get("kind"), 32),
        "verdict_reason": _s(vd.get("reason")),
        "verdict_model": _s(vd.get("model")),
        "roles": ", ".join(f"if{_s(k, 8)}: {_s(r, 32)}" for k, r in list(roles.items())[:32]) or None,
    }


def _port_row(index: int, port: Mapping[str, Any]) -> dict[str, Any]:
    listen = _dict(port.get("listen"))
    vid, pid = port.get("vid"), port.get("pid")
    if port.get("probe") is not None:
        action = "probed"
    elif port.get("probe_error"):
        action = f"probe failed: {_s(port.get('probe_error'))}"
    elif port.get("skipped_reason"):
        action = f"not probed: {_s(port.get('skipped_reason'))}"
    else:
        action = None
    return {
        "input": index,
        "device": _s(port.get("device")),
        "usb_id": f"{_s(vid, 8)}:{_s(pid, 8)}" if vid is not None and pid is not None else None,
        "description": _s(port.get("description")),
        "manufacturer": _s(port.get("manufacturer")),
        "product": _s(port.get("product")),
        "driver": _s(port.get("driver"), 64),
        "interface": _int(port.get("usb_interface_number")),
        "listen": _s(listen.get("protocol"), 32),
        "listen_baud": _int(listen.get("baud")),
        "action": action,
        **_verdict_fields(port.get("verdict")),
    }


def _usb_row(index: int, dev: Mapping[str, Any]) -> dict[str, Any]:
    vid, pid = dev.get("vid"), dev.get("pid")
    ident = dev.get("id") if dev.get("id") is not None else f"{vid}:{pid}"
    return {
        "input": index,
        "id": _s(ident, 16),
        "bus": _int(dev.get("bus")),
        "address": _int(dev.get("address")),
        "vendor_name": _s(dev.get("vendor_name")),
        "product_name": _s(dev.get("product_name")),
        "manufacturer": _s(dev.get("manufacturer")),
        "product": _s(dev.get("product")),
        "serial_number": _s(dev.get("serial_number"), 64),
        **_verdict_fields(dev.get("verdict")),
    }


# ----------------------------------------------------------------------------------------------
# findings and verdict


def _when(e: Mapping[str, Any]) -> str:
    if e["first_utc"] and e["last_utc"]:
        a, b = _parse_utc(e["first_utc"]), _parse_utc(e["last_utc"])
        if a is None or b is None:
            return "at an unknown time"
        end = f"{b:%H:%M:%S}" if a.date() == b.date() else f"{b:%Y-%m-%d %H:%M:%S}"
        return f"between {a:%Y-%m-%d %H:%M:%S} and {end} UTC"
    if e["first_s"] is not None and e["last_s"] is not None:
        first, last = format_offset_s(e["first_s"]), format_offset_s(e["last_s"])
        return f"between {first} and {last} from the start of the recording"
    return "at an unknown time"


def emitter_sentence(e: Mapping[str, Any]) -> str:
    """Plain words for one emitter: tech, link, band, frequency, bursts, when and SNR."""
    tech = (e["tech"] or "unknown").upper()
    what = f"{tech} {e['link']} emitter" if e["link"] else f"{tech} emitter of undecided link"
    band = f"band {e['band']}" + (f" (channel {e['channel']})" if e["channel"] is not None else "")
    snr = f"SNR {e['snr_db']:.0f} dB" if e["snr_db"] is not None else "SNR ?"
    n = e["burst_count"]
    bursts = "1 burst" if n == 1 else f"{n if n is not None else '?'} bursts"
    parts = [what, band if e["band"] else None, _mhz(e["freq_hz"]), f"{bursts} {_when(e)} ({snr})"]
    return ", ".join(x for x in parts if x)


def probe_sentence(p: Mapping[str, Any]) -> str:
    """Plain words for one identified modem: who, where, IMEI (as masked in the input), network."""
    maker, model = p["manufacturer"], p["model"]
    if maker and model and maker.split()[0].lower() in model.lower():
        name = model
    else:
        name = " ".join(x for x in (maker, model) if x) or "Unidentified"
    facts = []
    if p["imei"]:
        facts.append(f"IMEI {p['imei']}")
    if p["registration"]:
        facts.append(
            p["registration"]
            if p["registered"] is None
            else ("registered" if p["registered"] else p["registration"])
        )
    if p["operator"]:
        facts.append(p["operator"])
    if p["rat"]:
        facts.append(p["rat"])
    if p["signal_dbm"] is not None:
        facts.append(f"{p['signal_dbm']:.0f} dBm")
    detail = f" ({', '.join(facts)})" if facts else ""
    return f"{name} modem on {p['device']}{detail}"


def _coverage_sentences(rf: Mapping[str, Any]) -> list[str]:
    lines = []
    for span in rf["coverage"]:
        ups = [b for b in span["bands"] if b["link"] == "uplink"]
        if not ups or span["watched_s"] is None:
            continue
        names = ", ".join(
            f"{b['band']} uplink" + (f" ({_pct(b['fraction'])} of it)" if b["fraction"] is not None else "")
            for b in ups
        )
        chances = "; ".join(
            f"once every {_period_text(p['period_s'])}: {_pct(p['probability'])}"
            for p in span["intercept"]
            if p["period_s"] is not None
        )
        lines.append(
            f"{names}: {_mhz(span['low_hz'], 1)} to {_mhz(span['high_hz'], 1)} watched "
            f"{span['watched_s']:.1f} s. Chance of intercept for a modem that transmits {chances}."
        )
    if not lines:
        lines.append("No uplink band was watched: a modem's transmissions could not have been seen.")
    missed = rf["unwatched_uplink_bands"]
    if missed:
        scope = (
            f"of region {rf['region']['profile']}"
            if rf["region"]["profile"]
            else "of the band plan (region unknown)"
        )
        shown = ", ".join(missed[:24]) + (f" and {len(missed) - 24} more" if len(missed) > 24 else "")
        lines.append(f"Uplink bands {scope} not watched at all: {shown}.")
    beyond = rf.get("unreachable_uplink_bands") or []
    if beyond:
        lines.append(
            f"Uplink bands beyond an RTL-SDR's reach (24-1766 MHz), never seen: {', '.join(beyond[:24])}."
        )
    return lines


def _findings(
    rf: Sequence[Mapping[str, Any]],
    probes: Sequence[Mapping[str, Any]],
    ports: Sequence[Mapping[str, Any]],
    usb: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for section in rf:
        for e in section["emitters"]:
            if e["cellular_uplink"]:
                out.append(
                    {
                        "level": "bad",
                        "kind": "rf-uplink",
                        "text": emitter_sentence(e),
                        "input": section["input"],
                    }
                )
            elif e["undecided_cellular"]:
                text = f"{emitter_sentence(e)}: {e['link_reason'] or 'no reason given'}"
                out.append({"level": "warn", "kind": "rf-undecided", "text": text, "input": section["input"]})
        unnamed = _unidentified_uplinks(section)
        if unnamed:
            best = max(unnamed, key=lambda e: -math.inf if e["snr_db"] is None else e["snr_db"])
            n = len(unnamed)
            out.append(
                {
                    "level": "info",
                    "kind": "rf-unidentified",
                    "input": section["input"],
                    "text": (
                        f"{n} signal{'s' if n != 1 else ''} in uplink bands not named as any technology "
                        "(too weak or too short to measure, or shaped like interference: clicks, a spur "
                        "fading in and out); a modem too weak to identify reads the same. "
                        f"{'The strongest' if n > 1 else 'It is'}: {emitter_sentence(best)}"
                        + (f"; why not named: {best['reason']}" if best["reason"] else "")
                    ),
                }
            )
        if not section["complete"]:
            out.append(
                {
                    "level": "warn",
                    "kind": "rf-partial",
                    "input": section["input"],
                    "text": "Radio analysis was interrupted: it covers only the part read.",
                }
            )
    for p in probes:
        if p["modem"]:
            out.append(
                {"level": "bad", "kind": "serial-modem", "text": probe_sentence(p), "input": p["input"]}
            )
        elif p["protocol"] == "at":
            out.append(
                {
                    "level": "warn",
                    "kind": "serial-at",
                    "input": p["input"],
                    "text": f"A device on {p['device']} answers AT commands but gave no identity",
                }
            )
    for port in ports:
        if port["verdict"] in ("modem", "possible-modem"):
            level = "bad" if port["verdict"] == "modem" else "warn"
            what = "modem" if level == "bad" else "possible modem"
            out.append(
                {
                    "level": level,
                    "kind": f"port-{port['verdict']}",
                    "input": port["input"],
                    "text": f"Serial port {port['device']} ({port['usb_id'] or 'no USB ID'}) is a {what}: "
                    f"{port['verdict_reason'] or port['verdict_model'] or ''}".rstrip(": "),
                }
            )
    for d in usb:
        if d["verdict"] in ("modem", "possible-modem"):
            level = "bad" if d["verdict"] == "modem" else "warn"
            name = d["verdict_model"] or " ".join(x for x in (d["vendor_name"], d["product_name"]) if x) or ""
            where = f"bus {d['bus']} address {d['address']}" if d["bus"] is not None else "on USB"
            what = "USB modem" if level == "bad" else "Possible USB modem"
            out.append(
                {
                    "level": level,
                    "kind": f"usb-{d['verdict']}",
                    "input": d["input"],
                    "text": f"{what} {d['id']} {name} ({where}): {d['verdict_reason'] or ''}".rstrip(": "),
                }
            )
    unique: dict[str, dict[str, Any]] = {}
    for f in out:  # the same modem seen through two inputs (scan and probe) is one finding
        if f["text"] in unique:
            unique[f["text"]]["inputs"].append(f["input"])
        else:
            unique[f["text"]] = {**f, "inputs": [f["input"]]}
    ordered = sorted(unique.values(), key=lambda f: -_LEVELS[f["level"]])  # modems first, stable
    return [{k: v for k, v in f.items() if k != "input"} for f in ordered]


def finding_line(f: Mapping[str, Any]) -> str:
    """A finding as a line of the verdict: a note (level ``info``) says it is one."""
    return f"Note: {f['text']}" if f["level"] == "info" else str(f["text"])


def _unidentified_uplinks(section: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Emitters of an RF section in an uplink band that no technology was named for."""
    return [e for e in section["emitters"] if e["link"] == "uplink" and e["tech"] in (None, "unknown")]


def _verdict(
    findings: Sequence[Mapping[str, Any]],
    rf: Sequence[Mapping[str, Any]],
    probes: Sequence[Mapping[str, Any]],
    ports: Sequence[Mapping[str, Any]],
    usb: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    level = max((f["level"] for f in findings), key=lambda v: _LEVELS[v], default="ok")
    if level == "info":  # notes do not change the verdict
        level = "ok"
    n_bad = sum(f["level"] == "bad" for f in findings)
    if level == "bad":
        headline = f"Cellular modem found: {n_bad} piece{'s' if n_bad != 1 else ''} of evidence."
    elif level == "warn":
        headline = "Possible cellular modem: some evidence is undecided; check the findings below."
    else:
        parts = []
        if rf:
            parts.append("No cellular uplink seen in the watched spans.")
            unnamed = sum(len(_unidentified_uplinks(section)) for section in rf)
            if unnamed:
                parts.append(
                    f"{unnamed} signal{'s' if unnamed != 1 else ''} there could not be named (see the note)."
                )
        if probes or ports or usb:
            parts.append("No modem found on the serial ports and USB devices examined.")
        if rf:
            parts.append(
                "A quiet watch is not proof: see how long each band was watched and the chance of intercept."
            )
        headline = " ".join(parts) if parts else "Nothing examined."
    lines = [finding_line(f) for f in findings]
    for section in rf:
        lines.extend(_coverage_sentences(section))
    serial_checked = len({p["device"] for p in probes} | {p["device"] for p in ports})
    if probes or ports or usb:
        lines.append(
            f"Serial/USB: {serial_checked} serial port(s) and {len(usb)} USB device(s) examined, "
            f"{sum(p['protocol'] == 'at' for p in probes)} answered AT commands."
        )
    return {"level": level, "headline": headline, "lines": lines}


# ----------------------------------------------------------------------------------------------
# the report document


def build_report(
    inputs: Sequence[InputDocument],
    *,
    asset: str | None = None,
    operator: str | None = None,
    site: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Join the input documents into the inspection report (``schema: modemhunt.inspection/1``).

    Parameters
    ----------
    inputs : sequence of InputDocument
        From :func:`load_input`.
    asset, operator, site : str, optional
        What was inspected, by whom, where (free text from the command line).
    now : datetime, optional
        Report time (default: now, UTC).

    Returns
    -------
    dict
        JSON-ready report: ``verdict``, ``findings``, ``rf``, ``serial`` (``probes``, ``ports``,
        ``usb``), ``evidence``.
    """
    from serialprobe import __version__ as sp_version

    rf: list[dict[str, Any]] = []
    probes: list[dict[str, Any]] = []
    ports: list[dict[str, Any]] = []
    usb: list[dict[str, Any]] = []
    evidence_inputs = []
    for i, item in enumerate(inputs):
        doc = item.doc
        tool = doc.get("tool")
        tool_d = _dict(tool)
        evidence_inputs.append(
            {
                "index": i,
                "path": str(item.path),
                "sha256": item.sha256,
                "size_bytes": item.size_bytes,
                "kind": item.kind,
                "schema": _s(doc.get("schema"), 64),
                "tool": _s(tool_d.get("name") if tool_d else (tool or "serialprobe"), 32),
                "command": _s(tool_d.get("command"), 32) or item.kind.replace("serial-", ""),
                "version": _s(tool_d.get("version") if tool_d else doc.get("version"), 32),
                "generated_utc": _s(
                    doc.get("generated_utc") or doc.get("finished_utc") or doc.get("started_utc"), 64
                ),
                "complete": doc.get("complete") is not False,
            }
        )
        if item.kind == "rf":
            rf.append(_rf_section(i, item))
        elif item.kind == "serial-probe":
            probes.append(_probe_row(i, doc))
        elif item.kind in ("serial-scan", "serial-list"):
            for port in _dicts(doc.get("ports")):
                ports.append(_port_row(i, port))
                if isinstance(port.get("probe"), dict):
                    probes.append(_probe_row(i, port["probe"], port.get("device")))
        elif item.kind == "usb":
            usb.extend(_usb_row(i, d) for d in _dicts(doc.get("devices")))
    findings = _findings(rf, probes, ports, usb)
    verdict = _verdict(findings, rf, probes, ports, usb)
    import matplotlib
    import numpy

    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return {
        "schema": SCHEMA,
        "tool": {"name": "rfscan", "version": __version__, "command": "report"},
        "generated_utc": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "who": {"asset": _s(asset), "operator": _s(operator), "site": _s(site)},
        "verdict": verdict,
        "findings": findings,
        "rf": rf,
        "serial": {"probes": probes, "ports": ports, "usb": usb},
        "evidence": {
            "inputs": evidence_inputs,
            "recordings": [{"input": s["input"], **s["recording"], "source": s["source"]} for s in rf],
            "report_tools": {
                "rfscan": __version__,
                "serialprobe": sp_version,
                "python": platform.python_version(),
                "numpy": numpy.__version__,
                "matplotlib": matplotlib.__version__,
            },
            "identities_masked": all(p["masked"] for p in probes),
        },
    }


# ----------------------------------------------------------------------------------------------
# plots


def merge_band_spans(
    parts: Sequence[tuple[float, float, str, str]], low_hz: float, high_hz: float
) -> list[tuple[float, float, str, str]]:
    """Clip band parts ``(low_hz, high_hz, band, link)`` to a window and merge overlaps per link.

    Overlapping bands of the same link (B8, E-GSM900, P-GSM900, n8...) become one shaded span
    labelled with every name, so labels do not pile up on a plot.
    """
    out: list[tuple[float, float, str, str]] = []
    for link in sorted({p[3] for p in parts}):
        clipped = sorted(
            (max(a, low_hz), min(b, high_hz), name)
            for a, b, name, lk in parts
            if lk == link and min(b, high_hz) > max(a, low_hz)
        )
        group: list[tuple[float, float, str]] = []
        for a, b, name in clipped:
            if group and a <= max(g[1] for g in group):
                group.append((a, b, name))
                continue
            if group:
                out.append(_merged(group, link))
            group = [(a, b, name)]
        if group:
            out.append(_merged(group, link))
    return out


def _merged(group: Sequence[tuple[float, float, str]], link: str) -> tuple[float, float, str, str]:
    names = sorted({g[2] for g in group})
    label = "/".join(names[:4]) + ("/..." if len(names) > 4 else "")
    short = {"uplink": "UL", "downlink": "DL"}.get(link, link)
    return (min(g[0] for g in group), max(g[1] for g in group), f"{label} {short}", link)


def burst_map_png(
    bursts: Sequence[Mapping[str, Any]],
    uplink_ids: set[int],
    *,
    run_s: float,
    title: str = "Burst map",
) -> bytes:
    """Every burst as a box of its duration and bandwidth: frequency against time.

    Bursts of cellular-uplink emitters are red, the others grey.
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    fig, ax = figure_canvas(11.0, 3.8)
    min_w = max(run_s, 1e-3) / 600
    groups: dict[bool, list[Rectangle]] = {True: [], False: []}
    f_lo, f_hi = math.inf, -math.inf
    for b in bursts[:20000]:
        t, d = _num(b.get("start_s")), _num(b.get("duration_s"))
        f, w = _num(b.get("freq_hz")), _num(b.get("bandwidth_hz"))
        if t is None or d is None or f is None:
            continue
        w = max(w or 0.0, 10e3)
        f_lo, f_hi = min(f_lo, f - w / 2), max(f_hi, f + w / 2)
        up = _int(b.get("emitter")) in uplink_ids
        groups[up].append(Rectangle((t, (f - w / 2) / 1e6), max(d, min_w), w / 1e6))
    for up, rects in groups.items():
        if rects:
            colour = "#d62728" if up else "#7f7f7f"
            ax.add_collection(PatchCollection(rects, facecolor=colour, edgecolor=colour, alpha=0.6))
    if math.isfinite(f_lo):
        pad = max((f_hi - f_lo) * 0.05, 0.2e6)
        ax.set_ylim((f_lo - pad) / 1e6, (f_hi + pad) / 1e6)
    ax.set_xlim(0, max(run_s, 1e-3))
    ax.set_xlabel("time from start (s)")
    ax.set_ylabel("frequency (MHz)")
    ax.set_title(title + " (red: cellular uplink emitters, grey: others)")
    ax.grid(alpha=0.3)
    return png_bytes(fig)


def coverage_png(spans: Sequence[Mapping[str, Any]], *, title: str = "Watched spans") -> bytes:
    """Seconds watched per frequency span, with the uplink (red) and downlink (blue) bands shaded."""
    fig, ax = figure_canvas(11.0, 3.0)
    lo, hi = math.inf, -math.inf
    for span in spans:
        a, b, w = span["low_hz"], span["high_hz"], span["watched_s"]
        if a is None or b is None or w is None:
            continue
        lo, hi = min(lo, a), max(hi, b)
        ax.bar(a / 1e6, w, width=(b - a) / 1e6, align="edge", color="#2b7a0b", alpha=0.7)
    if not math.isfinite(lo):
        ax.text(0.5, 0.5, "no watched spans in the input", ha="center", transform=ax.transAxes)
        return png_bytes(fig)
    pad = max((hi - lo) * 0.03, 0.5e6)
    parts = {
        (band["low_hz"], band["high_hz"], str(band["band"]), str(band["link"]))
        for span in spans
        for band in span["bands"]
        if band["low_hz"] is not None and band["high_hz"] is not None
    }
    for a, b, label, link in merge_band_spans(sorted(parts), lo - pad, hi + pad):
        colour = _LINK_COLOURS.get(link, "#7f7f7f")
        ax.axvspan(a / 1e6, b / 1e6, color=colour, alpha=0.08, linewidth=0)
        ax.text(
            (a + b) / 2e6,
            0.97,
            label,
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="top",
            fontsize=7,
            color=colour,
            clip_on=True,
        )
    ax.set_xlim((lo - pad) / 1e6, (hi + pad) / 1e6)
    ax.set_xlabel("frequency (MHz)")
    ax.set_ylabel("watched (s)")
    ax.set_title(title + " (uplink bands red, downlink blue)")
    ax.grid(alpha=0.3)
    return png_bytes(fig)


@dataclass(frozen=True)
class Plot:
    """A rendered plot: PNG bytes, alt text and caption, and the radio input it belongs to."""

    input: int
    png: bytes
    alt: str
    caption: str


def make_figures(inputs: Sequence[InputDocument], report: Mapping[str, Any]) -> list[Plot]:
    """Plots for every radio input: spectra (when the input has them), burst map, timeline, coverage."""
    import numpy as np

    from rfscan.bands import bands_in_span
    from rfscan.report.plots import Span, spectrum_png, timeline_png

    out: list[Plot] = []
    for section in report["rf"]:
        doc = inputs[section["input"]].doc
        region = section["region"]["profile"]
        run_s = section["run_s"] or 0.0
        for sp in _dicts(doc.get("spectra")):
            freqs = np.asarray([_num(f) for f in _list(sp.get("freqs_hz"))], dtype=np.float64)
            if freqs.size < 2 or not np.all(np.isfinite(freqs)):
                continue
            traces = []
            for name, key in (
                ("max-hold", "max_dbfs"),
                ("mean", "mean_dbfs"),
                ("noise floor", "noise_floor_dbfs"),
            ):
                values = [_num(v) for v in _list(sp.get(key))]
                if len(values) == freqs.size:
                    traces.append((name, np.asarray([np.nan if v is None else v for v in values])))
            if not traces:
                continue
            try:
                f0, f1 = float(freqs[0]), float(freqs[-1])
                parts = [
                    (b.low_hz, b.high_hz, b.band, str(b.link))
                    for b in bands_in_span(f0, f1, region, include_uncovered=False)
                    if b.link in ("uplink", "downlink")
                ]
                spans = [Span(a, b, label, link) for a, b, label, link in merge_band_spans(parts, f0, f1)]
            except RfscanError:
                spans = []
            centre = _num(sp.get("center_hz"))
            out.append(
                Plot(
                    section["input"],
                    spectrum_png(freqs, traces, spans=spans, title=f"Spectrum around {_mhz(centre, 1)}"),
                    "spectrum",
                    f"Spectrum around {_mhz(centre, 1)}: max-hold over mean and noise floor; short bursts "
                    "show in max-hold only. Uplink bands red, downlink blue.",
                )
            )
        bursts = _dicts(doc.get("bursts"))
        uplink_ids = {e["id"] for e in section["emitters"] if e["cellular_uplink"] and e["id"] is not None}
        if bursts:
            out.append(
                Plot(
                    section["input"],
                    burst_map_png(bursts, uplink_ids, run_s=run_s),
                    "burst map",
                    "Every detected burst as a box (duration x bandwidth).",
                )
            )
            by_emitter: dict[int, list[tuple[float, float]]] = {}
            for b in bursts:
                e_id, t, d = _int(b.get("emitter")), _num(b.get("start_s")), _num(b.get("duration_s"))
                if e_id is not None and t is not None and d is not None:
                    by_emitter.setdefault(e_id, []).append((t, d))
            rows = [
                (f"#{e['id']} {e['tech']} {e['link'] or '?'} {_mhz(e['freq_hz'])}", by_emitter[e["id"]])
                for e in section["emitters"]
                if e["id"] in by_emitter
            ][:MAX_TIMELINE_ROWS]
            if rows and run_s > 0:
                rows.reverse()  # modems at the top
                out.append(
                    Plot(
                        section["input"],
                        timeline_png(rows, t0_s=0.0, t1_s=run_s),
                        "burst timeline",
                        "Bursts per emitter against time (cellular uplink emitters at the top).",
                    )
                )
        if section["coverage"]:
            out.append(
                Plot(
                    section["input"],
                    coverage_png(section["coverage"]),
                    "coverage",
                    "How long each span was watched; shaded: band-plan uplink and downlink bands.",
                )
            )
    return out


# ----------------------------------------------------------------------------------------------
# the page


def _t(value: Any) -> str:
    return "\u2014" if value is None or value == "" else str(value)


def _seen(e: Mapping[str, Any], which: str) -> str:
    utc = e[f"{which}_utc"]
    if utc:
        return str(utc).replace("T", " ")
    s = e[f"{which}_s"]
    return "\u2014" if s is None else format_offset_s(s)


def render_html(report: Mapping[str, Any], figures: Sequence[Plot] = ()) -> str:
    """The inspection page: verdict first, then radio, serial/USB and evidence sections."""
    from rfscan.report.page import Num, Page

    who = report["who"]
    title = f"Inspection report: {who['asset']}" if who["asset"] else "Inspection report"
    page = Page(
        title=title,
        subtitle=(
            f"site {_t(who['site'])} \u00b7 operator {_t(who['operator'])} \u00b7 "
            f"generated {report['generated_utc']} \u00b7 rfscan {report['tool']['version']}"
        ),
    )
    verdict = report["verdict"]
    findings = report["findings"]
    evidence_lines = [finding_line(f) for f in findings[:VERDICT_FINDINGS]]
    if len(findings) > VERDICT_FINDINGS:
        evidence_lines.append(f"... and {len(findings) - VERDICT_FINDINGS} more: see Findings below.")
    coverage_lines = [line for line in verdict["lines"] if line not in {finding_line(f) for f in findings}]
    page.verdict([verdict["headline"], *evidence_lines, *coverage_lines], level=verdict["level"])
    if findings:
        page.heading("Findings")
        page.table(
            ["evidence (level \u00b7 finding \u00b7 input)"],
            [
                [
                    {"bad": "MODEM", "warn": "POSSIBLE", "info": "NOTE"}.get(f["level"], f["level"])
                    + f" \u00b7 {f['text']} \u00b7 "
                    + ", ".join(f"[{i}]" for i in f["inputs"])
                ]
                for f in findings[:MAX_ROWS]
            ],
        )

    page.heading("Inspection")
    page.table(
        ["what", "value"],
        [
            ["asset", _t(who["asset"])],
            ["site", _t(who["site"])],
            ["operator", _t(who["operator"])],
            ["report generated (UTC)", report["generated_utc"]],
            ["inputs", ", ".join(f"[{i['index']}] {i['path']}" for i in report["evidence"]["inputs"])],
        ],
    )

    for section in report["rf"]:
        rec = section["recording"]
        page.heading(f"Radio [{section['input']}]: {rec['path'] or 'recording'}")
        src = section["source"]
        page.paragraph(
            f"{section['tool'] or '?'} {section['command'] or ''} {section['version'] or ''}; "
            f"region {section['region']['profile'] or 'unknown'} ({section['region']['source'] or '?'}); "
            f"{_t(rec['duration_s'])} s at {_mhz(rec['sample_rate_hz'], 3)}/s; "
            f"start {rec['start_utc'] or 'not recorded (times are seconds from the start)'}; "
            f"receiver {', '.join(f'{k} {v}' for k, v in src.items()) or 'not recorded'}; "
            f"{section['bursts']} bursts, {len(section['emitters'])} emitters"
            + ("" if section["complete"] else "; INTERRUPTED: partial analysis")
        )
        for fig in figures:
            if fig.input == section["input"] and fig.alt in ("spectrum", "burst map", "burst timeline"):
                page.image_png(fig.png, alt=fig.alt, caption=fig.caption)
        page.table(
            [
                "freq",
                "band",
                "channel",
                "tech",
                "link",
                "bursts",
                "duty",
                "period (ms)",
                "SNR (dB)",
                "first seen",
                "last seen",
            ],
            [
                [
                    _mhz(e["freq_hz"]),
                    e["band"],
                    e["channel"],
                    e["tech"],
                    (e["link"] or "undecided") + (" \u2190 modem" if e["cellular_uplink"] else ""),
                    Num(e["burst_count"], "{:d}"),
                    Num(e["duty_cycle"], "{:.3f}"),
                    Num(None if e["period_s"] is None else 1e3 * e["period_s"], "{:.2f}"),
                    Num(e["snr_db"]),
                    _seen(e, "first"),
                    _seen(e, "last"),
                ]
                for e in section["emitters"][:MAX_ROWS]
            ],
        )
        if len(section["emitters"]) > MAX_ROWS:
            page.paragraph(f"{len(section['emitters']) - MAX_ROWS} more emitters in the JSON report.")
        page.heading(f"Coverage and probability of intercept [{section['input']}]")
        for fig in figures:
            if fig.input == section["input"] and fig.alt == "coverage":
                page.image_png(fig.png, alt=fig.alt, caption=fig.caption)
        first = section["coverage"][0]["intercept"] if section["coverage"] else []
        headers = [
            f"P(intercept), once every {_period_text(b['period_s'])}"
            + (f" (~{b['activity_s']:g} s)" if b["activity_s"] is not None else "")
            if b["period_s"] is not None
            else f"P(intercept), {b['behaviour']}"
            for b in first
        ]
        page.table(
            ["span", "bands", "watched (s)", *headers],
            [
                [
                    f"{_mhz(s['low_hz'], 1)} \u2013 {_mhz(s['high_hz'], 1)}",
                    ", ".join(f"{b['band']} {b['link']} ({b['status']})" for b in s["bands"]) or "none",
                    _t(None if s["watched_s"] is None else f"{s['watched_s']:.2f}")
                    + (
                        " continuous"
                        if s["dwell_s"] is None
                        else f" (dwell {s['dwell_s']:.2f} s every {_t(s['revisit_s'])} s)"
                    ),
                    *[_pct(p["probability"]) for p in s["intercept"]],
                ]
                for s in section["coverage"]
            ],
        )
        if first:
            page.paragraph("Behaviours: " + "; ".join(f"{b['behaviour']}" for b in first) + ".")
        page.paragraph(
            "Bands the tuner cannot see (fully or in part): "
            + (", ".join(str(b) for b in section["unreachable_bands"]) or "none")
            + ". Uplink bands of the region not watched: "
            + (", ".join(section["unwatched_uplink_bands"]) or "none")
            + ". The probability of intercept assumes a detected activity once overlapped "
            "(see rfscan.coverage)."
        )

    serial = report["serial"]
    if serial["probes"]:
        page.heading("Modem identities (read-only AT probe)")
        masked = all(p["masked"] for p in serial["probes"])
        page.paragraph(
            "IMEI, IMSI and ICCID are shown as the probe stored them: "
            + ("masked." if masked else "SOME INPUTS WERE REVEALED (probe run with --reveal).")
        )
        page.table(
            ["port", "manufacturer", "model", "revision", "identities", "SIM", "network"],
            [
                [
                    f"{p['device']} ({p['protocol']}" + (f" @ {p['baud']} baud)" if p["baud"] else ")"),
                    p["manufacturer"],
                    p["model"],
                    p["revision"],
                    " \u00b7 ".join(
                        f"{name} {p[key]}"
                        for name, key in (("IMEI", "imei"), ("IMSI", "imsi"), ("ICCID", "iccid"))
                        if p[key]
                    )
                    or None,
                    p["sim_state"],
                    " \u00b7 ".join(
                        x
                        for x in (
                            p["registration"],
                            p["operator"],
                            p["rat"],
                            None if p["signal_dbm"] is None else f"{p['signal_dbm']:.0f} dBm",
                        )
                        if x
                    )
                    or None,
                ]
                for p in serial["probes"][:MAX_ROWS]
            ],
        )
    if serial["ports"]:
        page.heading("Serial ports")
        page.table(
            ["port", "USB (ID, driver, interface)", "verdict", "heard", "AT probe"],
            [
                [
                    p["device"],
                    " \u00b7 ".join(
                        str(x)
                        for x in (
                            p["usb_id"],
                            p["driver"],
                            None if p["interface"] is None else f"if{p['interface']}",
                        )
                        if x is not None
                    )
                    or "not on USB",
                    (p["verdict"] or "no USB identity")
                    + (f": {p['verdict_reason']}" if p["verdict_reason"] else ""),
                    None
                    if p["listen"] is None
                    else f"{p['listen']}" + (f" @ {p['listen_baud']}" if p["listen_baud"] else ""),
                    p["action"],
                ]
                for p in serial["ports"][:MAX_ROWS]
            ],
        )
    if serial["usb"]:
        page.heading("USB devices")
        page.table(
            [
                "ID (bus:address)",
                "names (usb.ids)",
                "strings (from the device)",
                "verdict",
                "why",
                "interfaces",
            ],
            [
                [
                    f"{d['id']} ({_t(d['bus'])}:{_t(d['address'])})",
                    " / ".join(x for x in (d["vendor_name"], d["product_name"]) if x) or None,
                    " / ".join(x for x in (d["manufacturer"], d["product"], d["serial_number"]) if x) or None,
                    d["verdict"],
                    d["verdict_reason"],
                    d["roles"],
                ]
                for d in serial["usb"][:MAX_ROWS]
            ],
        )

    ev = report["evidence"]
    page.heading("Evidence")
    page.table(
        ["#", "input file", "kind", "tool", "generated (UTC)", "SHA-256 of the file"],
        [
            [
                i["index"],
                i["path"],
                i["kind"] + ("" if i["complete"] else " (incomplete)"),
                " ".join(x for x in (i["tool"], i["command"], i["version"]) if x),
                i["generated_utc"],
                i["sha256"],
            ]
            for i in ev["inputs"]
        ],
    )
    if ev["recordings"]:
        page.table(
            ["#", "recording", "SHA-256 of the recording", "start (UTC)", "receiver"],
            [
                [
                    r["input"],
                    r["path"],
                    r["sha256"] or "not computed",
                    r["start_utc"],
                    ", ".join(f"{k} {v}" for k, v in r["source"].items()) or None,
                ]
                for r in ev["recordings"]
            ],
        )
    page.paragraph(
        "Report made by "
        + ", ".join(f"{k} {v}" for k, v in ev["report_tools"].items())
        + ". This page runs no script and loads nothing from the network; every device string is "
        "shown as text with control characters made visible."
    )
    return page.render()


def verdict_text(report: Mapping[str, Any]) -> list[str]:
    """The verdict as plain lines for the terminal (already terminal-safe)."""
    v = report["verdict"]
    return [f"[{v['level']}] {v['headline']}", *(f"  {line}" for line in v["lines"])]


# ----------------------------------------------------------------------------------------------
# PDF


def _pdf_chromium(html_path: Path, pdf_path: Path, chromium: str, timeout_s: float) -> bool:
    with tempfile.TemporaryDirectory(prefix="rfscan-chromium-") as profile:
        tmp_pdf = Path(profile) / "out.pdf"
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}/user",
            "--no-pdf-header-footer",
            f"--print-to-pdf={tmp_pdf}",
            html_path.resolve().as_uri(),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
        if not tmp_pdf.is_file() or tmp_pdf.read_bytes()[:5] != b"%PDF-":
            return False
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_pdf, pdf_path)
        return True


def _pdf_matplotlib(report: Mapping[str, Any], figures: Sequence[Plot], pdf_path: Path) -> None:
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    a4 = (8.27, 11.69)
    text_lines: list[str] = []
    who = report["who"]
    text_lines.append(f"Inspection report: {_t(who['asset'])}")
    text_lines.append(f"site {_t(who['site'])}, operator {_t(who['operator'])}, {report['generated_utc']}")
    text_lines.append("")
    for line in verdict_text(report):
        text_lines.extend(textwrap.wrap(line, 100) or [""])
    text_lines.append("")
    text_lines.append("Inputs (SHA-256):")
    for i in report["evidence"]["inputs"]:
        text_lines.extend(textwrap.wrap(f"[{i['index']}] {i['path']} {i['sha256']}", 100))
    per_page = 70
    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    with PdfPages(tmp) as pdf:
        for start in range(0, len(text_lines), per_page):
            fig = Figure(figsize=a4)
            fig.text(
                0.06,
                0.96,
                "\n".join(text_lines[start : start + per_page]),
                va="top",
                family="monospace",
                fontsize=7,
                parse_math=False,  # device strings may hold "$...$": text, never mathtext
            )
            pdf.savefig(fig)
        for f in figures:
            fig = Figure(figsize=a4)
            ax = fig.add_axes((0.05, 0.3, 0.9, 0.65))
            ax.imshow(imread(io.BytesIO(f.png), format="png"))
            ax.set_axis_off()
            fig.text(
                0.05, 0.27, "\n".join(textwrap.wrap(f.caption, 110)), va="top", fontsize=8, parse_math=False
            )
            pdf.savefig(fig)
    os.replace(tmp, pdf_path)


def render_pdf(
    report: Mapping[str, Any],
    figures: Sequence[Plot],
    pdf_path: str | os.PathLike[str],
    *,
    html_path: str | os.PathLike[str] | None = None,
    chromium: str | None = CHROMIUM,
    timeout_s: float = 120.0,
) -> str:
    """Write the report as PDF and return how: ``"chromium"`` or ``"matplotlib"``.

    Headless Chromium prints the HTML page (A4 print stylesheet) when ``chromium`` exists and
    ``html_path`` is given; otherwise, or when Chromium fails, a matplotlib summary is written
    (verdict text, input hashes, then one plot per page).
    """
    out = Path(pdf_path)
    if chromium and html_path is not None and Path(chromium).is_file() and os.access(chromium, os.X_OK):  # noqa: SIM102
        if _pdf_chromium(Path(html_path), out, chromium, timeout_s):
            return "chromium"
    try:
        _pdf_matplotlib(report, figures, out)
    except OSError as err:
        raise RfscanError(f"cannot write {out}: {err.strerror or err}") from err
    return "matplotlib"
