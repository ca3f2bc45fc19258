"""Random but realistic scenes for the detection benchmark.

:func:`random_scene` picks a real band (``bands.toml``), tunes inside its uplink, and places
emitters at realistic frequencies inside ``+-0.9 * rate/2`` of the tuned centre, clear of the DC
spike (20 kHz guard, less only for a PRACH that cannot fit otherwise).  With ``with_downlink`` the
scene gets a second capture on the paired downlink band with its tower carriers (bands whose
downlink is out of the R820T range get none).  Everything derives from ``rng_seed``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np

from rfscan.errors import SceneError
from rfscan.sim.scene import LTE_BANDWIDTHS_MHZ, Scene

__all__ = ["DEFAULT_TECHS", "random_scene"]

DEFAULT_TECHS: tuple[str, ...] = ("gsm", "lte", "nbiot", "ltem")
_DC_GUARD_HZ = 20e3


def _bands() -> list[dict[str, Any]]:
    """The bands of ``bands.toml`` with their edges (MHz) from the band plan, clipped to the R820T."""
    from rfscan.bands import load_band_plan

    plan = load_band_plan()
    (tuner_lo, tuner_hi), *_ = plan.tuner_ranges("R820T")
    text = (resources.files("rfscan.sim") / "bands.toml").read_text(encoding="utf-8")
    bands: list[dict[str, Any]] = []
    for entry in tomllib.loads(text)["band"]:
        band = plan.band(entry["plan"])
        out = dict(entry)
        for link in ("uplink", "downlink"):
            part = band.part(link) or (band.part("allocation") if link == "uplink" else None)
            if part is None or (link == "downlink" and entry.get("downlink") is False):
                out.pop(link, None)
                continue
            lo, hi = max(part[0], tuner_lo), min(part[1], tuner_hi)
            if hi - lo >= 3e6:  # room for a 2.4 MHz capture
                out[link] = [lo / 1e6, hi / 1e6]
        bands.append(out)
    return bands


def _offset(rng: np.random.Generator, width_hz: float, half_use_hz: float) -> float | None:
    """Centre offset of a span of ``width_hz`` inside +-half_use, clear of DC; None if impossible."""
    room = half_use_hz - width_hz / 2
    guard = min(_DC_GUARD_HZ, half_use_hz - width_hz)
    if room <= 0 or guard < 0:
        return None
    lo = guard + width_hz / 2
    if lo > room:
        return None
    side = 1.0 if rng.random() < 0.5 else -1.0
    return side * float(rng.uniform(lo, room))


class _Builder:
    def __init__(
        self, rng: np.random.Generator, fs: float, duration_s: float, snr: tuple[float, float]
    ) -> None:
        self.rng = rng
        self.fs = fs
        self.half_use = 0.9 * fs / 2
        self.duration_s = duration_s
        self.snr = snr
        self.emitters: list[dict[str, Any]] = []
        self.spans: list[tuple[float, float]] = []

    def snr_db(self) -> float:
        return round(float(self.rng.uniform(*self.snr)), 2)

    def free(self, lo: float, hi: float) -> bool:
        return all(hi <= a or lo >= b for a, b in self.spans)

    def start(self, length_s: float) -> float:
        latest = max(self.duration_s - length_s - 0.02, 0.05)
        return round(float(self.rng.uniform(0.05, latest)), 6) if latest > 0.05 else 0.05

    def add(self, em: dict[str, Any], span: tuple[float, float]) -> None:
        em["id"] = f"{em['kind']}-{len(self.emitters)}"
        self.emitters.append(em)
        self.spans.append(span)


def _uplink(b: _Builder, tech: str, center: float, band: tuple[float, float], single: bool) -> bool:
    """Try to place one uplink emitter of ``tech``; False if it did not fit."""
    rng = b.rng
    snr = b.snr_db()
    if tech == "gsm":
        off = _offset(rng, 200e3, b.half_use)
        if off is None:
            return False
        f = round((center + off) / 200e3) * 200e3  # 200 kHz channel raster
        lo, hi = f - 100e3, f + 100e3
        if not (band[0] <= lo and hi <= band[1] and abs(f - center) >= 100e3 + _DC_GUARD_HZ / 2):
            return False
        if abs(f - center) + 100e3 > b.half_use or not b.free(lo, hi):
            return False
        if single or rng.random() < 0.3:
            em = {"kind": "gsm_rach", "freq_hz": f, "snr_db": snr, "start_s": b.start(0.001)}
        else:
            n_ts = int(rng.integers(1, 3))
            ts = sorted(int(x) for x in rng.choice(8, n_ts, replace=False))
            dur = round(float(rng.uniform(0.05, max(0.06, b.duration_s * 0.6))), 4)
            em = {
                "kind": "gsm_uplink",
                "freq_hz": f,
                "snr_db": snr,
                "timeslots": ts,
                "start_s": b.start(dur),
                "duration_s": dur,
            }
        b.add(em, (lo, hi))
        return True
    if tech == "lora":
        bw = float(rng.choice([125e3, 250e3]))
        off = _offset(rng, bw, b.half_use)
        if off is None:
            return False
        f = round((center + off) / 100e3) * 100e3  # 100 kHz grid like the EU868 channels
        lo, hi = f - bw / 2, f + bw / 2
        if lo - center < -b.half_use or hi - center > b.half_use or abs(f - center) < bw / 2 + 10e3:
            return False
        if not (band[0] <= lo and hi <= band[1] and b.free(lo, hi)):
            return False
        sf = int(rng.integers(7, 11))
        em = {"kind": "lora", "freq_hz": f, "snr_db": snr, "sf": sf, "bw_hz": bw, "payload_symbols": 16}
        length = (12.25 + 16) * 2**sf / bw
        em["start_s"] = b.start(length)
        if not single and b.duration_s > 3 * length:
            em["count"] = 2
            em["period_s"] = round(length * 1.5, 6)
            em["start_s"] = b.start(2.6 * length)
        b.add(em, (lo, hi))
        return True
    if tech == "nbiot":
        tones = 1 if single else int(rng.choice([1, 3, 6, 12]))
        off = _offset(rng, 180e3, b.half_use)
        if off is None:
            return False
        f = round((center + off) / 100e3) * 100e3  # 100 kHz channel raster
        lo, hi = f - 90e3, f + 90e3
        if lo - center < -b.half_use or hi - center > b.half_use or abs(f - center) < 90e3 + _DC_GUARD_HZ:
            return False
        if not (band[0] <= lo and hi <= band[1] and b.free(lo, hi)):
            return False
        dur = 0.008 if single else float(rng.choice([0.004, 0.008, 0.016, 0.032]))
        tone_offset = int(rng.integers(0, 12 - tones + 1))
        em = {
            "kind": "nbiot",
            "freq_hz": f,
            "snr_db": snr,
            "tones": tones,
            "tone_offset": tone_offset,
            "duration_s": dur,
            "start_s": b.start(dur),
        }
        count = 1 if single else int(rng.integers(1, 4))
        if count > 1:
            period = round(dur + float(rng.uniform(0.01, 0.05)), 6)
            em.update(count=count, period_s=period, start_s=b.start(count * period))
        b.add(em, (lo, hi))
        return True
    if tech == "ltem":
        return _ltem(b, center, band, single, snr)
    # LTE family: a carrier somewhere in the band, the visible part inside the window.
    kind = str(rng.choice(["lte_pusch", "lte_pucch", "lte_prach"]))
    if single and kind == "lte_pucch":
        kind = "lte_prach"
    if kind == "lte_prach":
        width = 839 * 1250.0
        off = _offset(rng, width, b.half_use)
        if off is None:
            return False
        f = center + off
        lo, hi = f - width / 2, f + width / 2
        if not (band[0] <= lo and hi <= band[1] and b.free(lo, hi)):
            return False
        b.add(
            {
                "kind": kind,
                "freq_hz": round(f, 1),
                "snr_db": snr,
                "start_s": b.start(0.001),
                "root": int(rng.integers(1, 839)),
            },
            (lo, hi),
        )
        return True
    bw_mhz = float(rng.choice([5.0, 10.0, 15.0, 20.0]))
    n_total = LTE_BANDWIDTHS_MHZ[bw_mhz]
    max_rb = max(1, min(n_total, int((b.half_use - _DC_GUARD_HZ) // 180e3)))
    n_rb = 1 if kind == "lte_pucch" else int(rng.integers(1, max_rb + 1))
    width = n_rb * 180e3
    off = _offset(rng, width, b.half_use)
    if off is None:
        return False
    alloc_lo = round((center + off - width / 2) / 15e3) * 15e3
    if kind == "lte_pucch":
        rb_start = 0 if rng.random() < 0.5 else n_total - 1
    else:
        rb_start = int(rng.integers(0, n_total - n_rb + 1))
    carrier = alloc_lo - (12 * rb_start - 6 * n_total) * 15e3
    c_lo, c_hi = carrier - bw_mhz * 0.5e6, carrier + bw_mhz * 0.5e6  # channel edges
    lo, hi = alloc_lo, alloc_lo + width
    if not (band[0] <= c_lo and c_hi <= band[1]):
        return False
    if abs(lo - center) < _DC_GUARD_HZ or abs(hi - center) < _DC_GUARD_HZ or lo < center < hi:
        return False
    if lo - center < -b.half_use or hi - center > b.half_use or not b.free(lo, hi):
        return False
    em = {"kind": kind, "freq_hz": round(carrier, 1), "snr_db": snr, "bandwidth_mhz": bw_mhz}
    if kind != "lte_pucch":
        em["n_rb"] = n_rb
        em["rb_start"] = rb_start
    if single:
        em["duration_s"] = 0.001
        em["subframes"] = [0]
        em["start_s"] = round(b.start(0.002), 3)
    else:
        dur = round(float(rng.uniform(0.02, max(0.03, b.duration_s * 0.5))), 3)
        em["duration_s"] = dur
        em["subframe_period"] = int(rng.choice([1, 2, 4, 5, 10]))
        em["start_s"] = round(b.start(dur), 3)
    b.add(em, (lo, hi))
    return True


def _ltem(b: _Builder, center: float, band: tuple[float, float], single: bool, snr: float) -> bool:
    """Place one LTE-M (Rel-13 eMTC) uplink: <= 6 PRBs of a 1.4 MHz narrowband, each transmission a
    train of 4/8/16/32 repeated subframes (CE mode A, TS 36.213 8.0), half of them hopping every
    2/4/8 ms to the neighbouring narrowband (both narrowbands inside the window, DC between them).
    """
    rng = b.rng
    nb_hz = 6 * 180e3
    hop = rng.random() < 0.5 and not single  # a hopping train is several bursts (one per dwell)
    n_rb = int(rng.integers(1, 5 if hop else 7))
    width = n_rb * 180e3
    extent = width + (nb_hz if hop else 0.0)
    guard = _DC_GUARD_HZ
    if hop:
        # Lower allocation below DC, upper one above it, the pair inside +-half_use.
        a = max(center - b.half_use, center + guard - nb_hz)
        z = min(center + b.half_use - extent, center - guard - width)
        if z <= a:
            return False
        alloc_lo = round(float(rng.uniform(a, z)) / 15e3) * 15e3
    else:
        off = _offset(rng, width, b.half_use)
        if off is None:
            return False
        alloc_lo = round((center + off - width / 2) / 15e3) * 15e3
    pair_lo, pair_hi = alloc_lo, alloc_lo + extent
    if pair_lo - center < -b.half_use or pair_hi - center > b.half_use or not b.free(pair_lo, pair_hi):
        return False
    allocs = [(alloc_lo, alloc_lo + width)] + ([(alloc_lo + nb_hz, alloc_lo + nb_hz + width)] if hop else [])
    if any(lo - guard < center < hi + guard for lo, hi in allocs):
        return False
    rb_start = int(rng.integers(0, 6 - n_rb + 1))
    hop_nb = 1 if (not hop or rng.random() < 0.5) else -1
    home_lo = alloc_lo if hop_nb == 1 else alloc_lo + nb_hz  # the narrowband of freq_hz
    carrier = home_lo - (12 * rb_start - 36) * 15e3
    nb_edges = [carrier - 0.7e6, carrier + 0.7e6 + (hop_nb * nb_hz if hop else 0.0)]
    if not (band[0] <= min(nb_edges) and max(nb_edges) <= band[1]):
        return False
    reps = int(rng.choice([4, 8, 16, 32]))
    em: dict[str, Any] = {
        "kind": "ltem",
        "freq_hz": round(carrier, 1),
        "snr_db": snr,
        "bandwidth_mhz": 1.4,
        "n_rb": n_rb,
        "rb_start": rb_start,
        "repetitions": reps,
        "subframe_period": reps,
        "duration_s": reps * 1e-3,
    }
    if hop:
        em["hop_interval_ms"] = int(rng.choice([2, 4, 8]))
        em["hop_narrowbands"] = hop_nb
    count = 1 if single else int(rng.integers(2, 6))
    if count > 1:
        period = (reps + int(rng.integers(5, 40))) * 1e-3
        em.update(count=count, period_s=round(period, 3))
    em["start_s"] = round(b.start(count * (reps + 40) * 1e-3), 3)
    b.add(em, (pair_lo, pair_hi))
    return True


def random_scene(
    rng_seed: int,
    *,
    techs: Sequence[str] = DEFAULT_TECHS,
    snr_db_range: tuple[float, float] = (0.0, 30.0),
    with_downlink: bool = False,
    with_spurs: bool = False,
    single_burst: bool = False,
    no_uplink: bool = False,
    duration_s: float = 0.5,
    sample_rate_hz: float = 2.4e6,
    max_uplink_emitters: int = 2,
) -> Scene:
    """A random realistic scene (deterministic in ``rng_seed``).

    Parameters
    ----------
    rng_seed : int
        Seed of every random choice (and the scene's noise seed).
    techs : sequence of str
        Uplink technologies to draw from: ``gsm``, ``lte``, ``nbiot``, ``ltem``, ``lora``.
    snr_db_range : (float, float)
        Uniform range of every emitter's ``snr_db``.
    with_downlink : bool
        Add tower carriers; with uplinks they sit on the paired downlink band and the scene gets
        a second capture tuned there; with ``no_uplink`` the (only) capture is on the downlink.
    with_spurs : bool
        Add 1-3 CW spurs in each tuned window.
    single_burst : bool
        Exactly one uplink emitter transmitting exactly one burst.
    no_uplink : bool
        No uplink emitter (false-alarm scenes).
    duration_s : float
        Length of each capture.
    sample_rate_hz : float
        Sample rate.
    max_uplink_emitters : int
        Upper bound of uplink emitters (1 when ``single_burst``).

    Raises
    ------
    SceneError
        Unknown tech or impossible parameters.
    """
    rng = np.random.default_rng([int(rng_seed) & 0xFFFFFFFF, 0x5CE7E])
    known = {"gsm", "lte", "nbiot", "ltem", "lora"}
    bad = [t for t in techs if t not in known]
    if bad or not techs:
        raise SceneError(f"random_scene: techs must be among {sorted(known)}, got {list(techs)!r}")
    lo_snr, hi_snr = snr_db_range
    if not (math.isfinite(lo_snr) and math.isfinite(hi_snr) and lo_snr <= hi_snr):
        raise SceneError(f"random_scene: bad snr_db_range {snr_db_range!r}")
    fs = float(sample_rate_hz)
    bands = _bands()
    b = _Builder(rng, fs, duration_s, (lo_snr, hi_snr))
    if no_uplink:
        cands = [x for x in bands if "downlink" in x]
    else:
        cands = [x for x in bands if set(x["techs"]) & set(techs)]
        if with_downlink and any("downlink" in x for x in cands):
            cands = [x for x in cands if "downlink" in x]
    band = cands[int(rng.integers(0, len(cands)))]
    captures: list[dict[str, Any]] = []
    if not no_uplink:
        ul = (band["uplink"][0] * 1e6, band["uplink"][1] * 1e6)
        center = round(float(rng.uniform(ul[0] + fs / 2, ul[1] - fs / 2)) / 1e3) * 1e3
        captures.append({"center_hz": center, "duration_s": duration_s, "label": f"{band['name']} uplink"})
        usable = [t for t in techs if t in band["techs"]]
        n_up = 1 if single_burst else int(rng.integers(1, max(1, max_uplink_emitters) + 1))
        placed = 0
        for _ in range(200):
            if placed >= n_up:
                break
            tech = str(rng.choice(usable))
            if _uplink(b, tech, center, ul, single_burst):
                placed += 1
        if placed == 0:
            raise SceneError(f"random_scene: could not place an uplink emitter (seed {rng_seed})")
        if with_spurs:
            _spurs(b, center)
    if (with_downlink or no_uplink) and "downlink" in band:
        dl = (band["downlink"][0] * 1e6, band["downlink"][1] * 1e6)
        dl_center = round(float(rng.uniform(dl[0] + fs / 2, dl[1] - fs / 2)) / 1e3) * 1e3
        captures.append(
            {"center_hz": dl_center, "duration_s": duration_s, "label": f"{band['name']} downlink"}
        )
        if with_downlink:
            _downlinks(b, dl_center, dl, band)
        if with_spurs:
            _spurs(b, dl_center)
    if not captures:
        raise SceneError(f"random_scene: band {band['name']} has no downlink in range")
    data: dict[str, Any] = {
        "scene": {
            "name": f"random-{rng_seed}",
            "description": f"random scene (seed {rng_seed}, band {band['name']})",
            "seed": int(rng_seed) & 0x7FFFFFFF,
            "sample_rate_hz": fs,
            "noise_dbfs": round(float(rng.uniform(-50.0, -40.0)), 2),
            "region": band["region"],
        },
        "dongle": {
            "ppm": round(float(rng.uniform(-40.0, 40.0)), 2),
            "dc_offset": round(float(rng.uniform(0.002, 0.02)), 4),
            "iq_gain_imbalance_db": round(float(rng.uniform(0.0, 0.5)), 3),
            "iq_phase_deg": round(float(rng.uniform(0.0, 3.0)), 3),
        },
        "capture": captures,
        "emitter": b.emitters,
    }
    return Scene.from_dict(data, source=f"random_scene({rng_seed})")


def _spurs(b: _Builder, center: float) -> None:
    for _ in range(int(b.rng.integers(1, 4))):
        off = _offset(b.rng, 1e3, b.half_use)
        if off is None:
            continue
        f = round(center + off, 0)
        if b.free(f - 500, f + 500):
            b.add(
                {"kind": "cw", "freq_hz": f, "snr_db": round(float(b.rng.uniform(10, 30)), 2)},
                (f - 500, f + 500),
            )


def _downlinks(b: _Builder, center: float, dl: tuple[float, float], band: dict[str, Any]) -> None:
    rng = b.rng
    techs = band["techs"]
    if "gsm" in techs:
        for _ in range(int(rng.integers(1, 3))):
            off = _offset(rng, 200e3, b.half_use)
            if off is None:
                continue
            f = round((center + off) / 200e3) * 200e3
            lo, hi = f - 100e3, f + 100e3
            if dl[0] <= lo and hi <= dl[1] and b.free(lo, hi) and abs(f - center) > 100e3 + _DC_GUARD_HZ:
                b.add(
                    {"kind": "gsm_downlink", "freq_hz": f, "snr_db": round(float(rng.uniform(15, 35)), 2)},
                    (lo, hi),
                )
    if "lte" in techs:
        bw = float(rng.choice([5.0, 10.0, 20.0]))
        half = LTE_BANDWIDTHS_MHZ[bw] * 90e3
        for _ in range(20):
            f = round(float(rng.uniform(dl[0] + half, dl[1] - half)) / 100e3) * 100e3
            if f - half < center + b.fs / 2 and f + half > center - b.fs / 2:
                overlap_lo, overlap_hi = max(f - half, center - b.fs / 2), min(f + half, center + b.fs / 2)
                if b.free(overlap_lo, overlap_hi):
                    b.add(
                        {
                            "kind": "lte_downlink",
                            "freq_hz": f,
                            "bandwidth_mhz": bw,
                            "pci": int(rng.integers(0, 504)),
                            "snr_db": round(float(rng.uniform(10, 25)), 2),
                        },
                        (overlap_lo, overlap_hi),
                    )
                    break
