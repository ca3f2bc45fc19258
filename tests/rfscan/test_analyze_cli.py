"""``rfscan analyze`` end to end: simulated recordings with ground truth -> JSON, HTML, annotations."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from rfscan.cli import main
from rfscan.iq import open_recording
from rfscan.sim import ground_truth, load_scene, simulate

EMITTER_KEYS = {
    "freq_hz", "bandwidth_hz", "tech", "link", "band", "channel", "burst_count", "first_s", "last_s",
    "duty_cycle", "period_s", "peak_dbfs", "snr_db",
}  # fmt: skip
BURST_KEYS = {"start_s", "duration_s", "freq_hz", "bandwidth_hz", "peak_dbfs", "snr_db", "emitter"}
INPUT_KEYS = {"path", "sha256", "sample_rate_hz", "center_hz", "duration_s", "datatype"}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("analyze")
    return {name: simulate(name, out / name) for name in ("gsm-rach", "lte-prach", "quiet-uplink")}


def _analyze(path: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["analyze", str(path), "--json", "-", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _truth_uplinks(scene_name: str) -> list:
    scene = load_scene(scene_name)
    return [t for t in ground_truth(scene) if t.link == "uplink"]


@pytest.mark.parametrize(("scene", "tech"), [("gsm-rach", "gsm"), ("lte-prach", "lte")])
def test_single_burst_is_found_with_tech_band_and_link(recordings, scene, tech, capsys):
    doc = _analyze(recordings[scene], capsys=capsys)
    assert INPUT_KEYS <= doc["input"].keys()
    (truth,) = _truth_uplinks(scene)
    centre = (truth.freq_lower_hz + truth.freq_upper_hz) / 2
    half_width = max((truth.freq_upper_hz - truth.freq_lower_hz) / 2, 50e3)
    hits = [e for e in doc["emitters"] if abs(e["freq_hz"] - centre) < half_width]
    assert hits, f"no emitter near {centre} Hz in {[e['freq_hz'] for e in doc['emitters']]}"
    best = max(hits, key=lambda e: e["snr_db"])
    assert EMITTER_KEYS <= best.keys()
    extras = {
        "id",
        "confidence",
        "reason",
        "tech_alternatives",
        "link_reason",
        "link_candidates",
        "allocation",
    }
    assert set(best) == EMITTER_KEYS | extras  # exactly what rfscan.report.analysis documents
    assert best["tech"] == tech
    assert best["link"] == "uplink"
    assert best["band"] is not None
    assert best["burst_count"] == 1
    assert abs(best["first_s"] - truth.start_s) < 0.002
    bursts = [b for b in doc["bursts"] if b["emitter"] == best["id"]]
    assert len(bursts) == 1
    assert BURST_KEYS <= bursts[0].keys()
    assert abs(bursts[0]["duration_s"] - truth.duration_s) < 0.3 * truth.duration_s
    assert doc["summary"]["uplink_emitters"] >= 1
    assert doc["truth"]["uplink_found"] == doc["truth"]["uplink_total"] == 1
    dongle = load_scene(scene).dongle
    assert doc["input"]["source"]["ppm"] == dongle.ppm  # the receiver is part of the evidence
    assert doc["input"]["source"]["tuner"] == dongle.tuner


def test_quiet_scene_reports_coverage_and_intercept_not_just_nothing(recordings, capsys):
    doc = _analyze(recordings["quiet-uplink"], "--region", "eu", capsys=capsys)
    cellular_uplinks = [
        e for e in doc["emitters"] if e["link"] == "uplink" and e["tech"] in {"gsm", "lte", "nbiot", "ltem"}
    ]
    assert cellular_uplinks == []
    spans = doc["coverage"]["spans"]
    assert spans
    with open_recording(recordings["quiet-uplink"]) as rec:
        assert sum(s["watched_s"] for s in spans) == pytest.approx(rec.duration_s, rel=0.05)
    for span in spans:
        assert span["low_hz"] < span["high_hz"]
        assert 0 < span["fraction_of_run"] <= 1
        probs = [p["probability"] for p in span["intercept"]]
        assert all(0 <= p <= 1 for p in probs)
        assert probs == sorted(probs, reverse=True)  # rarer behaviours are less likely caught
        # no impulsive noise: weak bursts were watched all the time
        assert span["declicked_s"] < 0.01 * span["watched_s"]
        assert (span["weak_watched_s"], span["weak_burst_seen"]) == (span["watched_s"], 1.0)
    assert any(b["band"] == "B20" and b["link"] == "uplink" for s in spans for b in s["bands"])
    assert "B7" in doc["coverage"]["unreachable_bands"]
    text = main(["analyze", str(recordings["quiet-uplink"]), "--region", "eu"])
    assert text == 0
    out = capsys.readouterr().out
    assert "No cellular uplink seen" in out
    assert "Chance of intercept" in out


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_html_page_and_annotations(recordings, tmp_path, capsys):
    meta = tmp_path / "g.sigmf-meta"
    data = tmp_path / "g.sigmf-data"
    src = recordings["gsm-rach"]
    meta.write_bytes(src.read_bytes())
    data.write_bytes(src.with_suffix(".sigmf-data").read_bytes())
    html_out = tmp_path / "page.html"
    for _ in range(2):  # re-annotating replaces rfscan's earlier annotations
        assert main(["analyze", str(meta), "--html", str(html_out), "--annotate", "--region", "eu"]) == 0
    capsys.readouterr()
    with open_recording(meta) as rec:
        ours = [a for a in rec.annotations if (a.label or "").startswith("rfscan:")]
        truth = [a for a in rec.annotations if a.extra.get("modemhunt:truth")]
    assert truth
    assert any(a.label == "rfscan:gsm uplink" for a in ours)
    doc = _analyze(meta, "--region", "eu", capsys=capsys)
    assert len(ours) == len(doc["bursts"])
    parser = _Tags()
    parser.feed(html_out.read_text())
    names = [t for t, _ in parser.tags]
    assert "script" not in names
    imgs = [a["src"] for t, a in parser.tags if t == "img"]
    assert len(imgs) >= 2
    assert all(s.startswith("data:image/png;base64,") for s in imgs)


def test_raw_file_needs_rate_and_gets_one_line_error(tmp_path, capsys):
    raw = tmp_path / "capture.cu8"
    raw.write_bytes(np.full(2 * 100_000, 128, dtype=np.uint8).tobytes())
    assert main(["analyze", str(raw), "--json", "-"]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "rate" in err
    assert main(["analyze", str(raw), "--rate", "2.4M", "--center", "847M", "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["input"]["datatype"] == "cu8"
    assert doc["input"]["center_hz"] == 847e6
    assert main(["analyze", str(tmp_path / "missing.sigmf-meta")]) != 0
    assert main(["analyze", str(raw), "--rate", "2.4M", "--center", "847M", "--region", "mars"]) == 3
    assert "unknown region" in capsys.readouterr().err


def test_sigint_leaves_a_valid_partial_report(tmp_path):
    """Ctrl-C mid-analysis: exit 130 and a valid JSON document marked incomplete."""
    raw = tmp_path / "long.cu8"
    with raw.open("wb") as fh:  # 15 min of samples at 2.4 MS/s, sparse: costs no disk
        fh.truncate(2 * 2_400_000 * 900)
    out = tmp_path / "partial.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rfscan", "analyze", str(raw), "--rate", "2.4M", "--center", "847M",
         "--json", str(out), "--no-hash", "-v"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until it is reading, past the first block
        line = proc.stderr.readline()
        if "read 5.0 s" in line:
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    doc = json.loads(out.read_text())
    assert doc["complete"] is False
    assert 0 < doc["coverage"]["spans"][0]["watched_s"] < 900


def test_clicks_on_a_drive_cabinet_and_keep_clicks(tmp_path, capsys):
    # The built-in drive cabinet holds no modem: motor-drive clicks, an arcing contactor and a
    # fading spur.  By default the clicks are taken out: none of it is a cellular uplink emitter, the
    # JSON counts the frames cleaned and the bursts set aside, and the summary says so.  With
    # --keep-clicks the clicks stay and are cut into false emitters.
    path = simulate("drive-cabinet", tmp_path / "drive", duration_s=1.0)
    doc = _analyze(path, "--no-hash", capsys=capsys)
    kept = _analyze(path, "--no-hash", "--keep-clicks", capsys=capsys)
    cellular = {"gsm", "lte", "nbiot", "ltem", "umts", "nr"}
    assert [e for e in doc["emitters"] if e["tech"] in cellular and e["link"] == "uplink"] == []
    assert doc["stats"]["impulse_frames"] > 0
    assert kept["stats"]["impulse_frames"] == 0
    assert len(doc["emitters"]) < len(kept["emitters"])
    # The coverage says how long a weak burst was watched: in a capture this full of clicks, a
    # 1 ms burst under 8 dB touching a declicked frame is set aside, so next to never.
    span, raw = doc["coverage"]["spans"][0], kept["coverage"]["spans"][0]
    assert 0 < span["declicked_s"] < span["watched_s"]
    assert 0 <= span["weak_watched_s"] < span["watched_s"] - span["declicked_s"]
    assert span["weak_burst_seen"] == pytest.approx(span["weak_watched_s"] / span["watched_s"])
    assert (raw["declicked_s"], raw["weak_watched_s"], raw["weak_burst_seen"]) == (0.0, raw["watched_s"], 1.0)
    page = tmp_path / "drive.html"
    assert main(["analyze", str(path), "--no-hash", "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "clicks taken out of" in out
    html = page.read_text()
    assert "clicks taken out of" in html  # the page's verdict says it too
    assert "1 ms burst under 8 dB was reported only if" in html  # and its coverage
    kept_out = main(["analyze", str(path), "--no-hash", "--keep-clicks"])
    assert kept_out == 0
    assert "clicks taken out of" not in capsys.readouterr().out


def test_an_always_on_gsm_width_carrier_in_an_uplink_band_is_no_gsm_uplink() -> None:
    # Two CW spurs 137 kHz apart read as one always-on 195 kHz carrier at 900.34 MHz (GSM900 uplink):
    # a false GSM uplink once in 1 h of quiet scenes.  No GSM phone transmits all the time; in a
    # downlink band the same carrier is a GSM BCCH carrier, and bursts in the uplink stay GSM.
    from rfscan.dsp import Emitter
    from rfscan.report.analysis import emitter_document, is_cellular_uplink

    carrier = Emitter(
        freq_hz=900.343e6, bandwidth_hz=195e3, tech="gsm", burst_count=1, first_s=0.0, last_s=5.0,
        duty_cycle=1.0, period_s=None, peak_dbfs=-40.0, snr_db=14.5, confidence=0.4,
        reason="always-on 195 kHz carrier (GSM-like downlink or beacon)", continuous=True,
    )  # fmt: skip
    up = emitter_document(0, carrier, "eu")
    assert up["link"] == "uplink"
    assert up["band"] is not None
    assert up["tech"] == "unknown"
    assert "no GSM phone transmits all the time" in up["reason"]
    assert not is_cellular_uplink(up)
    down = emitter_document(0, replace(carrier, freq_hz=945.343e6), "eu")
    assert (down["link"], down["tech"]) == ("downlink", "gsm")
    bursts = replace(carrier, continuous=False, burst_count=40, duty_cycle=0.12, period_s=4.615e-3)
    assert emitter_document(0, bursts, "eu")["tech"] == "gsm"
