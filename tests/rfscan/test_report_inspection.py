"""The inspection report (``rfscan report``): verdict, evidence, masking, hostile strings, bad input.

The radio inputs are real ``rfscan analyze`` documents of simulated scenes; the serial inputs are
real ``serialprobe`` results of simulated modems on ptys and of the USB descriptor fixtures.
Expected values are read from those inputs (emitters, masks, hashes), never copied from a run.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from rfscan.cli import main as rfscan_main
from rfscan.coverage import intercept_probability
from rfscan.report.analysis import is_cellular_uplink
from rfscan.report.inspection import (
    SCHEMA,
    build_report,
    document_kind,
    load_input,
    make_figures,
    merge_band_spans,
    render_html,
    render_pdf,
)

REPO = Path(__file__).resolve().parents[2]


def _analyze(tmp: Path, scene: str) -> Path:
    base = tmp / scene
    assert rfscan_main(["simulate", scene, "-o", str(base)]) == 0
    out = tmp / f"{scene}.json"
    assert rfscan_main(["analyze", f"{base}.sigmf-meta", "--json", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def crane(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``rfscan analyze`` JSON of the crane-cabinet scene (hidden LTE and GSM modems)."""
    return _analyze(tmp_path_factory.mktemp("crane"), "crane-cabinet")


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``rfscan analyze`` JSON of the quiet-uplink scene (no modem)."""
    return _analyze(tmp_path_factory.mktemp("quiet"), "quiet-uplink")


def _probe_json(tmp: Path, persona: str | Path, name: str) -> Path:
    from serialprobe.at.probe import probe_port
    from serialprobe.sim.server import PersonaServer

    with PersonaServer(persona) as server:
        result = probe_port(server.path, timeout_s=10.0)
    out = tmp / f"probe-{name}.json"
    out.write_text(json.dumps(result.to_dict(), indent=1), encoding="utf-8")
    return out


def _usb_json(tmp: Path, monkeypatch: pytest.MonkeyPatch, fixtures: list[str]) -> Path:
    from serialprobe.cli import main as sp_main

    monkeypatch.syspath_prepend(str(REPO / "tests" / "serialprobe"))
    monkeypatch.setenv("SERIALPROBE_USB_BACKEND", "usb_backend:backend_from_env")
    monkeypatch.setenv(
        "SERIALPROBE_USB_FIXTURES", ":".join(str(REPO / "fixtures" / "usb" / f) for f in fixtures)
    )
    out = tmp / "usb.json"
    assert sp_main(["usb", "--json", str(out)]) == 0
    return out


def _report(tmp: Path, *inputs: Path, extra: tuple[str, ...] = ()) -> tuple[dict[str, Any], str]:
    html_out, json_out = tmp / "report.html", tmp / "report.json"
    code = rfscan_main(["report", *map(str, inputs), "-o", str(html_out), "--json", str(json_out), *extra])
    assert code == 0
    return json.loads(json_out.read_text(encoding="utf-8")), html_out.read_text(encoding="utf-8")


def test_crane_cabinet_report_names_every_uplink_modem(crane: Path, tmp_path: Path) -> None:
    doc = json.loads(crane.read_text(encoding="utf-8"))
    uplinks = [e for e in doc["emitters"] if is_cellular_uplink(e)]
    # the scene holds hidden modems (simulator truth); the detector must find at least one
    assert doc["truth"]["uplink_total"] > 0
    assert uplinks, "analyze found no uplink emitter in the crane-cabinet scene"
    report, page = _report(tmp_path, crane, extra=("--asset", "crane 7", "--operator", "ann", "--site", "T3"))
    assert report["schema"] == SCHEMA
    assert report["verdict"]["level"] == "bad"
    assert report["who"] == {"asset": "crane 7", "operator": "ann", "site": "T3"}
    rf_findings = [f["text"] for f in report["findings"] if f["kind"] == "rf-uplink"]
    assert len(rf_findings) == len(uplinks)
    for e in uplinks:
        freq = f"{e['freq_hz'] / 1e6:.3f} MHz"
        same_freq = [u for u in uplinks if f"{u['freq_hz'] / 1e6:.3f} MHz" == freq]
        matching = [t for t in rf_findings if freq in t]
        assert len(matching) == len(same_freq), freq
        assert any(
            t.startswith(f"{e['tech'].upper()} uplink emitter, band {e['band']}")
            and f"{e['burst_count']} burst" in t
            and f"SNR {e['snr_db']:.0f} dB" in t
            for t in matching
        ), (freq, matching)
    rank = {"bad": 0, "warn": 1, "info": 2}
    levels = [rank[f["level"]] for f in report["findings"]]
    assert levels == sorted(levels)  # modems first
    # the verdict comes first on the page, before any table or plot
    assert page.index('class="verdict bad"') < page.index("<table")
    assert page.index('class="verdict bad"') < page.index("<img")
    for text in rf_findings:
        assert text in page  # plain ASCII text, unchanged by escaping
    # plots are embedded (data: URIs only; nothing remote)
    assert page.count('src="data:image/png;base64,') >= 3
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)


def test_signals_in_uplink_bands_that_were_not_named_are_noted(tmp_path: Path) -> None:
    """drive-cabinet holds no modem, but a spur fading in and out in P-GSM900's uplink: it is not
    named (no modem) yet a modem too weak to identify would read the same, so the report notes it
    without changing the verdict."""
    doc = json.loads(_analyze(tmp_path, "drive-cabinet").read_text(encoding="utf-8"))
    unnamed = [e for e in doc["emitters"] if e["link"] == "uplink" and e["tech"] == "unknown"]
    assert unnamed, [(e["tech"], e["link"]) for e in doc["emitters"]]
    assert not [e for e in doc["emitters"] if is_cellular_uplink(e)]
    report, page = _report(tmp_path, tmp_path / "drive-cabinet.json")
    verdict = report["verdict"]
    assert verdict["level"] == "ok"
    n = len(unnamed)
    assert f"{n} signal{'s' if n != 1 else ''} there could not be named" in verdict["headline"]
    (note,) = [f for f in report["findings"] if f["kind"] == "rf-unidentified"]
    assert note["level"] == "info"
    assert note["text"].startswith(f"{n} signal")
    best = max(unnamed, key=lambda e: e["snr_db"])
    assert f"{best['freq_hz'] / 1e6:.3f} MHz" in note["text"]
    assert f"SNR {best['snr_db']:.0f} dB" in note["text"]
    assert note["text"].endswith(f"; why not named: {best['reason']}")  # the classifier's own words
    assert "-0.000 s" not in note["text"]
    assert f"NOTE \u00b7 {note['text']}" in page
    assert f"Note: {note['text']}" in verdict["lines"]  # labelled where the verdict lists it
    assert page.count(note["text"]) == 2  # the verdict box and the Findings table
    assert 'class="verdict ok"' in page


def test_capture_datetimes_give_utc_times(crane: Path, tmp_path: Path) -> None:
    doc = json.loads(crane.read_text(encoding="utf-8"))
    rate = doc["input"]["sample_rate_hz"]
    for k, cap in enumerate(doc["input"]["captures"]):
        cap["datetime"] = f"2026-03-04T10:02:{k * 10:02d}Z"
    dated = tmp_path / "dated.json"
    dated.write_text(json.dumps(doc), encoding="utf-8")
    report = build_report([load_input(dated)])
    e = next(e for e in report["rf"][0]["emitters"] if e["cellular_uplink"])
    caps = doc["input"]["captures"]
    start = max(
        (c for c in caps if c["sample_start"] / rate <= e["first_s"]), key=lambda c: c["sample_start"]
    )
    offset_s = e["first_s"] - start["sample_start"] / rate
    seconds = int(start["datetime"][17:19]) + offset_s
    assert e["first_utc"].startswith(f"2026-03-04T10:02:{int(seconds):02d}")
    text = next(f["text"] for f in report["findings"] if f"{e['freq_hz'] / 1e6:.3f} MHz" in f["text"])
    assert f"between 2026-03-04 10:02:{int(seconds):02d} and " in text
    assert text.count("UTC") == 1


def test_quiet_scene_states_coverage_and_chance_of_intercept(quiet: Path, tmp_path: Path) -> None:
    doc = json.loads(quiet.read_text(encoding="utf-8"))
    assert not [e for e in doc["emitters"] if is_cellular_uplink(e)], (
        "analyze reported a modem in a quiet scene"
    )
    report, page = _report(tmp_path, quiet)
    verdict = report["verdict"]
    assert verdict["level"] in ("ok", "warn")
    assert "No cellular uplink seen" in verdict["headline"]
    uplink_spans = [s for s in doc["coverage"]["spans"] if any(b["link"] == "uplink" for b in s["bands"])]
    assert uplink_spans
    for span in uplink_spans:
        line = next(x for x in verdict["lines"] if f"{span['low_hz'] / 1e6:.1f} MHz to" in x)
        assert f"watched {span['watched_s']:.1f} s" in line
        # chance of intercept from the coverage model, e.g. a modem transmitting every minute
        p_minute = intercept_probability(span["watched_s"], 60.0, 5.0)
        assert f"once every 1 min: {100 * p_minute:.1f}%" in line
        for band in (b for b in span["bands"] if b["link"] == "uplink"):
            assert f"{band['band']} uplink" in line
    # a band the scene never tuned to is named as not watched
    assert any("not watched at all" in x and "DCS1800" in x for x in verdict["lines"])

    # bands an RTL-SDR cannot tune are said to be beyond its reach, not merely unwatched
    def names(line: str) -> set[str]:
        return {n.strip(" .") for n in line.split(": ", 1)[1].split(",")}

    unwatched = names(next(x for x in verdict["lines"] if "not watched at all" in x))
    beyond = names(next(x for x in verdict["lines"] if "beyond an RTL-SDR's reach" in x))
    assert {"B1", "B7"} <= beyond
    assert "DCS1800" in unwatched
    assert not unwatched & beyond
    assert "No cellular uplink seen" in page
    assert "P(intercept), once every 54 min" in page


def test_serial_identities_masked_and_hostile_strings_inert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serialprobe.sim.persona import load_persona

    good = _probe_json(tmp_path, "quectel-ec25", "ec25")
    html_p = _probe_json(tmp_path, "hostile-html", "html")
    esc_p = _probe_json(tmp_path, "hostile-escape", "escape")
    usb = _usb_json(tmp_path, monkeypatch, ["hostile_strings.json", "quectel_ec25.json"])
    report, page = _report(tmp_path, good, html_p, esc_p, usb)
    raw = (tmp_path / "report.json").read_text(encoding="utf-8")

    # identities: the probe masked them and the report keeps the mask
    for name, path in (("quectel-ec25", good), ("hostile-html", html_p), ("hostile-escape", esc_p)):
        persona = load_persona(name)
        probe = json.loads(path.read_text(encoding="utf-8"))
        for key in ("imei", "imsi", "iccid"):
            secret = str(persona.properties[key])
            assert secret not in page, (name, key)
            assert secret not in raw, (name, key)
            assert probe["identity"][key] in page
            assert "*" in probe["identity"][key]
    assert report["evidence"]["identities_masked"] is True
    quectel = next(p for p in report["serial"]["probes"] if p["model"] == "EC25")
    assert f"Quectel EC25 modem on {quectel['device']} (IMEI {quectel['imei']}" in page

    # hostile HTML arrives as text
    assert "<script" not in page.lower()
    assert "onerror=" not in page.replace("onerror=alert(2)&gt;", "")  # only inside escaped text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;a href=&#x27;javascript:alert(4)&#x27;&gt;op&lt;/a&gt;" in page
    # terminal escapes are removed or made visible; the bidi override is shown, not obeyed
    for text in (page, raw):
        for bad in ("\x1b", "\u202e", "\x9b", "\x00"):
            assert bad not in text
    assert "X1\\u202e1X" in page
    # the 10 KB USB product string is bounded
    assert "A" * 400 not in page
    assert any(d["id"] == "2c7c:0125" and d["verdict"] == "modem" for d in report["serial"]["usb"])
    assert report["verdict"]["level"] == "bad"


def test_evidence_hashes_match_inputs(crane: Path, tmp_path: Path) -> None:
    probe = _probe_json(tmp_path, "quectel-ec25", "ec25")
    report, page = _report(tmp_path, crane, probe)
    ev = report["evidence"]
    assert [i["sha256"] for i in ev["inputs"]] == [
        hashlib.sha256(p.read_bytes()).hexdigest() for p in (crane, probe)
    ]
    assert [i["kind"] for i in ev["inputs"]] == ["rf", "serial-probe"]
    doc = json.loads(crane.read_text(encoding="utf-8"))
    data = Path(doc["input"]["path"]).with_suffix(".sigmf-data")
    assert (
        ev["recordings"][0]["sha256"]
        == doc["input"]["sha256"]
        == hashlib.sha256(data.read_bytes()).hexdigest()
    )
    assert ev["recordings"][0]["source"]["hw"] == doc["input"]["hw"]
    for i in ev["inputs"]:
        assert i["sha256"] in page
    assert doc["input"]["sha256"] in page
    assert ev["report_tools"]["rfscan"] == report["tool"]["version"]


def test_scan_document_joins_ports_and_probes(tmp_path: Path) -> None:
    from serialprobe.cli import main as sp_main
    from serialprobe.sim.server import PersonaServer

    out = tmp_path / "scan.json"
    with PersonaServer("quectel-ec25") as modem, PersonaServer("modbus-rtu-slave") as plc:
        assert (
            sp_main(["scan", "--no-list", "--listen-s", "0.4", "--json", str(out), modem.path, plc.path]) == 0
        )
        paths = (modem.path, plc.path)
    report, _ = _report(tmp_path, out)
    ports = {p["device"]: p for p in report["serial"]["ports"]}
    assert set(ports) == set(paths)
    assert ports[paths[0]]["action"] == "probed"
    assert ports[paths[1]]["listen"] == "modbus"
    assert ports[paths[1]]["action"].startswith("not probed")
    assert [p["device"] for p in report["serial"]["probes"] if p["modem"]] == [paths[0]]
    assert report["verdict"]["level"] == "bad"


def test_sweep_document_with_per_band_coverage_plugs_in(tmp_path: Path) -> None:
    """A document with the same sections but another schema (rfscan sweep) is read the same way."""
    run_s, dwell_s, revisit_s = 600.0, 2.0, 20.0
    doc = {
        "schema": "modemhunt.sweep/1",
        "tool": {"name": "rfscan", "version": "9.9", "command": "sweep"},
        "started_utc": "2026-05-01T08:00:00Z",
        "emitters": [
            {
                "id": 0,
                "freq_hz": 1747.5e6,
                "bandwidth_hz": 1.08e6,
                "tech": "lte",
                "link": "uplink",
                "band": "B3",
                "channel": 19575,
                "burst_count": 12,
                "first_s": 61.5,
                "last_s": 62.0,
                "snr_db": 14.0,
            },
        ],
        "bursts": [
            {"start_s": 61.5, "duration_s": 0.001, "freq_hz": 1747.5e6, "bandwidth_hz": 1.08e6, "emitter": 0}
        ],
        "coverage": {
            "run_s": run_s,
            "bands": [
                {
                    "band": "B3",
                    "link": "uplink",
                    "low_hz": 1710e6,
                    "high_hz": 1766e6,
                    "watched_s": 60.0,
                    "dwell_s": dwell_s,
                    "revisit_s": revisit_s,
                }
            ],
        },
    }
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    item = load_input(path)
    assert item.kind == "rf"
    report = build_report([item])
    span = report["rf"][0]["coverage"][0]
    assert span["intercept_computed_here"] is True
    for row in span["intercept"]:
        expected = intercept_probability(
            run_s, row["period_s"], row["activity_s"], dwell_s=dwell_s, revisit_s=revisit_s
        )
        assert row["probability"] == pytest.approx(expected, abs=5e-5)  # rounded to 4 places
    finding = report["findings"][0]["text"]
    assert finding.startswith("LTE uplink emitter, band B3 (channel 19575), 1747.500 MHz, 12 bursts")
    assert "between 2026-05-01 08:01:01 and 08:01:02 UTC" in finding  # started_utc + first_s / last_s
    page = render_html(report, make_figures([item], report))
    assert "B3 uplink" in page


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"not json at all", "is not JSON"),
        (b"\xff\xfe\x00garbage", "is not JSON"),
        (b'{"hello": "world"}', "not a document rfscan report knows"),
        (b"[1, 2, 3]", "not a document rfscan report knows"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"schema": "modemhunt.analyze/1", "emitters": {}, "coverage": {}}', "'emitters'"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_bytes(content)
    code = rfscan_main(["report", str(path), "-o", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith("rfscan: error: ")
    assert err.count("\n") == 1
    assert message in err
    assert not (tmp_path / "r.html").exists()


def test_document_kinds() -> None:
    assert document_kind({"schema": "modemhunt.monitor/1", "emitters": [], "coverage": {}}) == "rf"
    assert document_kind({"emitters": [], "bursts": [], "coverage": {}}) == "rf"
    assert document_kind({"tool": "serialprobe", "ports": []}) == "serial-scan"
    assert document_kind({"ports": []}) == "serial-list"
    assert document_kind({"usb_ids": None, "devices": []}) == "usb"
    assert document_kind({"device": "/dev/ttyUSB2", "protocol": "at", "identity": {}}) == "serial-probe"
    assert document_kind({"schema": "modemhunt.inspection/1"}) is None
    assert document_kind("text") is None


def test_merge_band_spans_merges_overlaps_per_link() -> None:
    parts = [
        (880e6, 915e6, "E-GSM900", "uplink"),
        (890e6, 915e6, "P-GSM900", "uplink"),
        (925e6, 960e6, "E-GSM900", "downlink"),
        (832e6, 862e6, "B20", "uplink"),
    ]
    merged = merge_band_spans(parts, 850e6, 930e6)
    ups = [m for m in merged if m[3] == "uplink"]
    downs = [m for m in merged if m[3] == "downlink"]
    assert (850e6, 862e6, "B20 UL", "uplink") in ups
    assert (880e6, 915e6, "E-GSM900/P-GSM900 UL", "uplink") in ups
    assert downs == [(925e6, 930e6, "E-GSM900 DL", "downlink")]


def test_pdf_without_chromium_uses_matplotlib(quiet: Path, tmp_path: Path) -> None:
    item = load_input(quiet)
    report = build_report([item], asset="crane $x^$ {\\bf 1} $")  # dollar signs are text, not mathtext
    pdf = tmp_path / "r.pdf"
    assert render_pdf(report, make_figures([item], report), pdf, chromium=None) == "matplotlib"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", data)) >= 2  # the verdict page, then the plots


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium")
def test_pdf_through_chromium(quiet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = tmp_path / "r.pdf"
    assert rfscan_main(["report", str(quiet), "-o", str(tmp_path / "r.html"), "--pdf", str(pdf)]) == 0
    assert "via headless Chromium" in capsys.readouterr().err
    assert pdf.read_bytes().startswith(b"%PDF-")
