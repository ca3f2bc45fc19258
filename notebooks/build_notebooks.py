"""Write the notebooks of this folder from the cell sources below (outputs empty, as committed).

Run ``python notebooks/build_notebooks.py`` after editing a cell here; ``--check`` exits non-zero
when a committed notebook differs from what this script writes or carries outputs.  The
notebooks run top to bottom on the simulator's data (no hardware, no network):

* ``01-recording-walkthrough.ipynb``: simulate a scene, read it back, spectrum, spectrogram,
  bursts and emitters through the library API;
* ``02-detection-curves.ipynb``: detection probability against SNR per technology (a small run
  of the benchmark's logic, well under a minute);
* ``03-serial-usb-inspection.ipynb``: USB fixtures through the fixture backend, simulated modems
  probed over ptys, their identities, and the inspection report joining it all.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

#: Finds the repository root whatever the kernel's working directory is.
ROOT_CELL = """\
import os
import sys
from pathlib import Path

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "pyproject.toml").is_file())
print("repository:", ROOT)"""

NB01 = [
    (
        "md",
        """\
# 01 · A recording, step by step

A simulated RTL-SDR recording of the built-in **crane-cabinet** scene (a hidden LTE B20 modem, a
hidden GSM900 modem and the B8 towers, three captures of 1 s), read back with
`rfscan.iq.open_recording` and analysed with the library API `rfscan.dsp.analyze_blocks`: the
same path as `rfscan analyze`, without the command line.""",
    ),
    ("code", ROOT_CELL),
    (
        "code",
        """\
import tempfile

import numpy as np
from IPython.display import Image, display

from rfscan.sim import load_scene, simulate_recording
from rfscan.units import format_hz

work = Path(tempfile.mkdtemp(prefix="modemhunt-nb01-"))
scene = load_scene("crane-cabinet")
sim = simulate_recording(scene, work / "crane")
print(f"{sim.meta_path.name}: {sim.num_samples} samples at {format_hz(sim.sample_rate_hz)}/s, "
      f"{sim.duration_s:.1f} s, {sim.datatype}")
for start, centre, label in sim.captures:
    print(f"  capture at sample {start:>8d}: {format_hz(centre):>14s}  {label}")""",
    ),
    (
        "md",
        "## Reading it back\n\n`open_recording` understands SigMF and raw files; `read` gives complex64 samples.",
    ),
    (
        "code",
        """\
from rfscan.iq import open_recording

rec = open_recording(sim.meta_path)
print(rec.kind, rec.datatype, format_hz(rec.sample_rate_hz), f"{rec.duration_s:.2f} s")
x = rec.read(0, 24_000)  # the first 10 ms
print(x.dtype, x.shape, f"mean power {10 * np.log10(np.mean(np.abs(x) ** 2)):.1f} dBFS")
print("DC offset (the dongle's LO leakage):", np.round(np.mean(x), 4))""",
    ),
    (
        "code",
        """\
import matplotlib.pyplot as plt

t_ms = np.arange(x.size) / rec.sample_rate_hz * 1e3
fig, ax = plt.subplots(figsize=(10, 2.5))
ax.plot(t_ms, 20 * np.log10(np.abs(x) + 1e-6), linewidth=0.3)
ax.set_xlabel("time (ms)")
ax.set_ylabel("|x| (dBFS)")
ax.set_title("Envelope of the first 10 ms")
plt.show()""",
    ),
    ("md", "## Analysis: spectra, bursts, emitters"),
    (
        "code",
        """\
from rfscan.dsp import analyze_blocks

analysis = analyze_blocks(rec.blocks(1 << 19), rec.sample_rate_hz)
rec.close()
print(f"{len(analysis.spectra)} captures, {len(analysis.bursts)} bursts, {len(analysis.emitters)} emitters, "
      f"{analysis.stats.samples_per_s / 1e6:.1f} Msample/s")""",
    ),
    (
        "code",
        """\
from rfscan.bands import bands_in_span
from rfscan.report.plots import Box, Span, spectrogram_png, spectrum_png

for sp in analysis.spectra:
    f = sp.freqs_hz
    spans = [Span(b.low_hz, b.high_hz, f"{b.band} {b.link}", b.link)
             for b in bands_in_span(float(f[0]), float(f[-1]), "eu", include_uncovered=False)
             if b.link in ("uplink", "downlink")]
    display(Image(spectrum_png(f, [("max-hold", sp.max_dbfs), ("mean", sp.mean_dbfs),
                                   ("noise floor", sp.noise_floor_dbfs)],
                               spans=spans[:3], title=f"Spectrum around {format_hz(sp.center_hz)}")))""",
    ),
    (
        "code",
        """\
sp = analysis.spectra[0]
times = sp.spectrogram_times_s
step = float(np.median(np.diff(times)))
boxes = [Box(b.start_s, b.duration_s, b.freq_hz - b.bandwidth_hz / 2, b.freq_hz + b.bandwidth_hz / 2)
         for b in analysis.bursts if b.center_hz == sp.center_hz]
display(Image(spectrogram_png(sp.spectrogram_dbfs, t0_s=float(times[0]), t1_s=float(times[-1]) + step,
                              f0_hz=float(sp.freqs_hz[0]), f1_hz=float(sp.freqs_hz[-1]), boxes=boxes,
                              title="First capture: spectrogram with the detected bursts boxed")))""",
    ),
    (
        "code",
        """\
print(f"{'start (s)':>10} {'dur (ms)':>9} {'freq':>15} {'BW (kHz)':>9} {'SNR (dB)':>9} emitter")
for b in analysis.bursts[:15]:
    print(f"{b.start_s:10.4f} {1e3 * b.duration_s:9.3f} {format_hz(b.freq_hz):>15} "
          f"{b.bandwidth_hz / 1e3:9.1f} {b.snr_db:9.1f} {b.emitter}")
print(f"... {len(analysis.bursts)} bursts in all")""",
    ),
    (
        "md",
        """\
Emitters group the bursts; the band plan (`rfscan.bands.classify_link`) says whether each is an
uplink (a device transmitting: a modem) or a downlink (a tower), in which band and channel.""",
    ),
    (
        "code",
        """\
from rfscan.bands import classify_link

for e in analysis.emitters:
    link = classify_link(e.freq_hz, max(e.bandwidth_hz, 1.0), e.tech, "eu")
    print(f"{format_hz(e.freq_hz):>16} {e.tech:>11} {str(link.link):>9} {str(link.band):>9} "
          f"ch {str(link.channel):>6} {e.burst_count:4d} bursts  SNR {e.snr_db:5.1f} dB")""",
    ),
    ("md", "## Against the simulator's ground truth"),
    (
        "code",
        """\
by_emitter = {}
for t in sim.truth:  # every simulated burst, with its true RF edges
    by_emitter.setdefault(t.emitter, []).append(t)
found = 0
for ident, bursts in by_emitter.items():
    lo, hi = min(b.freq_lower_hz for b in bursts), max(b.freq_upper_hz for b in bursts)
    centre, half = (lo + hi) / 2, max((hi - lo) / 2, 100e3)
    hit = any(abs(e.freq_hz - centre) <= half for e in analysis.emitters)
    found += hit
    verdict = "found" if hit else "MISSED"
    print(f"{ident:24s} {bursts[0].tech:8s} {bursts[0].link:9s} {len(bursts):4d} bursts  {verdict}")
print(f"{found} of {len(by_emitter)} simulated emitters found")
assert found >= 1""",
    ),
]

NB02 = [
    (
        "md",
        """\
# 02 · Detection probability against SNR

A small run of the detection benchmark's logic (`benchmarks/detection.py`, reimplemented in a
few lines here): random scenes from
`rfscan.sim.random_scene`, one single burst each, at a chosen SNR (in the signal's own
bandwidth), simulated to SigMF, analysed like `rfscan analyze`, and matched against the truth
with the benchmark's rule. Three scenes per point keep it well under a minute; run the benchmark for
real numbers (`python benchmarks/detection.py`).""",
    ),
    ("code", ROOT_CELL),
    (
        "code",
        """\
import tempfile
import time

import numpy as np

from rfscan.dsp import analyze_blocks
from rfscan.iq import open_recording
from rfscan.report.analysis import RegionChoice, build_document
from rfscan.sim import ground_truth, random_scene, simulate

TECHS = ("gsm", "lte", "nbiot", "ltem")
SNRS_DB = (-3.0, 0.0, 3.0, 6.0, 10.0, 15.0)
SEEDS_PER_POINT = 3


def detected(tech: str, snr_db: float, seed: int, tmp: Path) -> bool:
    scene = random_scene(seed, techs=[tech], single_burst=True, snr_db_range=(snr_db, snr_db + 0.01),
                         duration_s=0.3)
    region = getattr(scene, "region", None) or "eu"  # the band plan region the scene was drawn in
    meta = simulate(scene, tmp / f"{tech}-{seed}")
    with open_recording(meta) as rec:
        analysis = analyze_blocks(rec.blocks(1 << 19), rec.sample_rate_hz)
        doc = build_document(rec, analysis, region=RegionChoice(region, "notebook"), sha256=None)
    truths = [t for t in ground_truth(scene) if t.link == "uplink"]
    lo = min(t.freq_lower_hz for t in truths)
    hi = max(t.freq_upper_hz for t in truths)
    tol = 60e-6 * hi + 10e3  # the benchmark's rule: ppm error plus 10 kHz
    t0 = min(t.start_s for t in truths)
    t1 = max(t.end_s for t in truths)
    return any(
        lo - tol <= e["freq_hz"] <= hi + tol and e["first_s"] <= t1 + 0.002 and e["last_s"] >= t0 - 0.002
        for e in doc["emitters"]
    )""",
    ),
    (
        "code",
        """\
pd = {tech: [] for tech in TECHS}
start = time.perf_counter()
with tempfile.TemporaryDirectory() as tmp:
    for ti, tech in enumerate(TECHS):
        for si, snr in enumerate(SNRS_DB):
            seeds = [7_000 + 1000 * ti + 10 * si + k for k in range(SEEDS_PER_POINT)]
            hits = [detected(tech, snr, seed, Path(tmp)) for seed in seeds]
            pd[tech].append(float(np.mean(hits)))
print(f"{len(TECHS) * len(SNRS_DB) * SEEDS_PER_POINT} scenes in {time.perf_counter() - start:.1f} s")
print("SNR (dB):  " + "".join(f"{s:>7.0f}" for s in SNRS_DB))
for tech in TECHS:
    print(f"{tech:10s} " + "".join(f"{p:7.2f}" for p in pd[tech]))""",
    ),
    (
        "code",
        """\
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 4))
for tech in TECHS:
    ax.plot(SNRS_DB, pd[tech], marker="o", label=tech)
ax.set_xlabel("SNR in the signal's bandwidth (dB)")
ax.set_ylabel("detection probability (single burst)")
ax.set_ylim(-0.05, 1.05)
ax.grid(alpha=0.3)
ax.legend()
ax.set_title(f"Detection against SNR ({SEEDS_PER_POINT} scenes per point)")
plt.show()""",
    ),
    (
        "md",
        """\
Physics check: a strong burst must be found. At 15 dB every technology's single burst is far
above the detector's threshold.""",
    ),
    (
        "code",
        """\
strong = {tech: pd[tech][SNRS_DB.index(15.0)] for tech in TECHS}
print(strong)
assert min(strong.values()) >= 0.5""",
    ),
]

NB03 = [
    (
        "md",
        """\
# 03 · Serial and USB inspection

USB devices are enumerated from the descriptor fixtures (`fixtures/usb`) through the test suite's
pyusb fixture backend, exactly as `serialprobe usb` does on a machine; simulated modems are served
on pseudo-terminals (`serialprobe.sim.PersonaServer`) and identified with the read-only AT probe.
IMEI, IMSI and ICCID stay masked. Finally `rfscan.report.inspection` joins everything into the
inspection report.""",
    ),
    ("code", ROOT_CELL),
    (
        "code",
        """\
sys.path.insert(0, str(ROOT / "tests" / "serialprobe"))
os.environ["SERIALPROBE_USB_FIXTURES"] = str(ROOT / "fixtures" / "usb")

import usb_backend  # the test suite's pyusb backend serving fixtures/usb
from serialprobe.enumerate.modemdb import load_modem_db
from serialprobe.enumerate.usb import list_usb
from serialprobe.enumerate.verdict import verdict
from serialprobe.sanitize import terminal_safe

db = load_modem_db()
devices = list_usb(backend=usb_backend.backend_from_env(), db=db)
usb_doc = {"usb_ids": None, "devices": []}
for d in devices:
    v = verdict(d, db)
    usb_doc["devices"].append({**d.to_dict(), "verdict": v.to_dict()})
    names = " / ".join(x for x in (d.vendor_name, d.product_name) if x) or "-"
    print(f"{d.id}  {v.kind:14s} {terminal_safe(names, max_chars=60)}")
    roles = ", ".join(f"if{k}: {r}" for k, r in sorted(v.roles.items()))
    print(f"{'':11s}{terminal_safe(v.reason, max_chars=100)}\\n{'':11s}{roles}")""",
    ),
    (
        "md",
        """\
The hostile fixture (vendor 16c0) carries terminal escapes, a bidi override and a 10 KB product
string: everything above went through `terminal_safe`, so it is bounded and its control characters
are visible.""",
    ),
    (
        "code",
        """\
from serialprobe.at.probe import probe_port, summary_lines
from serialprobe.sim.server import PersonaServer

probes = []
for name in ("quectel-ec25", "simcom-sim7600", "telit-le910", "hostile-escape"):
    with PersonaServer(name) as server:
        result = probe_port(server.path, timeout_s=10.0)
    probes.append(result)
    print(f"--- {name} on {server.path}")
    print("\\n".join(summary_lines(result)))""",
    ),
    (
        "code",
        """\
for r in probes:
    ident, net = r.identity, r.network
    print(f"{terminal_safe(str(ident.manufacturer)):12s} {terminal_safe(str(ident.model)):14s} "
          f"IMEI {ident.imei}  IMSI {ident.imsi}  ICCID {ident.iccid}  {net.rat}  {net.signal_dbm} dBm")
    assert ident.masked and "*" in (ident.imei or "*")""",
    ),
    ("md", "## The inspection report joining USB and serial evidence"),
    (
        "code",
        """\
import json
import tempfile

from rfscan.report.inspection import build_report, load_input, render_html, verdict_text

work = Path(tempfile.mkdtemp(prefix="modemhunt-nb03-"))
paths = [work / "usb.json"]
paths[0].write_text(json.dumps(usb_doc))
for i, r in enumerate(probes):
    paths.append(work / f"probe-{i}.json")
    paths[-1].write_text(json.dumps(r.to_dict()))
report = build_report([load_input(p) for p in paths], asset="demo cabinet", operator="notebook")
print("\\n".join(verdict_text(report)))
(work / "report.html").write_text(render_html(report))
print("report:", work / "report.html")
assert report["verdict"]["level"] == "bad"
assert report["evidence"]["identities_masked"]""",
    ),
]

NOTEBOOKS = {
    "01-recording-walkthrough.ipynb": NB01,
    "02-detection-curves.ipynb": NB02,
    "03-serial-usb-inspection.ipynb": NB03,
}


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook with the given (kind, source) cells and no outputs."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(cells):
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = f"cell-{i:02d}"
        nb.cells.append(cell)
    return nb


def text_of(nb: nbformat.NotebookNode) -> str:
    """The notebook as written to disk."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) every notebook."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="fail if a notebook differs from its source here")
    args = ap.parse_args(argv)
    stale = []
    for name, cells in NOTEBOOKS.items():
        nb = build(cells)
        nbformat.validate(nb)
        path = HERE / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text_of(nb):
                stale.append(name)
        else:
            path.write_text(text_of(nb), encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("stale or executed notebooks (run python notebooks/build_notebooks.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
