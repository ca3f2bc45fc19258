"""Physics of the simulator, measured on rendered signals against 3GPP / textbook values.

Reference figures (not taken from a run): GSM bit 48/13 us, normal burst 148 bits = 546.1 us in
a 576.9 us slot, TDMA frame 4.615 ms, access burst 88 bits = 324.9 us (TS 45.002/45.010); GMSK
BT 0.3 99 % power bandwidth ~0.92 x bit rate (~250 kHz); LTE RB 180 kHz, slot 0.5 ms, PRACH
format 0 = 839 x 1.25 kHz = 1.049 MHz for 3168 + 24576 Ts = 0.903 ms (TS 36.211); IQ image
rejection ratio (1 + 2 g cos p + g^2) / (1 - 2 g cos p + g^2) for amplitude ratio g, phase p.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.signal import welch

from rfscan.sim import Scene, SceneRenderer, ground_truth, quantize

FS = 2.4e6
GSM_BIT = 48e-6 / 13
FC = 900e6


def scene(*emitters: dict[str, Any], noise_dbfs: float = -110.0, **dongle: Any) -> Scene:
    return Scene.from_dict(
        {
            "scene": {
                "name": "t",
                "duration_s": 1.0,
                "center_hz": FC,
                "sample_rate_hz": FS,
                "noise_dbfs": noise_dbfs,
            },
            "dongle": dongle,
            "emitter": list(emitters),
        }
    )


def render(sc: Scene, t0: float, t1: float, **kw: Any) -> NDArray[np.complex64]:
    r = SceneRenderer(sc, **kw)
    fs = r.sample_rate_hz
    return r.render(round(t0 * fs), round((t1 - t0) * fs))


def on_runs(x: NDArray[Any], fs: float, rel: float = 0.5, smooth_s: float = 0.0) -> list[tuple[float, float]]:
    """(start, length) in seconds of the runs where the envelope exceeds ``rel`` x its on-level.

    The on-level is the median envelope of the samples above 30 % of the maximum.  With
    ``smooth_s`` the power is first averaged over that window (for OFDM/SC-FDMA envelopes; use
    ``rel`` = 0.707, i.e. half power, so the box-smoothed edges cross at the true edges).
    """
    mag = np.abs(x)
    if smooth_s > 0:
        n = max(1, round(smooth_s * fs))
        mag = np.sqrt(np.convolve(mag**2, np.ones(n) / n, mode="same"))
    level = np.median(mag[mag > 0.3 * mag.max()])
    on = (mag > rel * level).astype(np.int8)
    edges = np.diff(np.concatenate([[0], on, [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(s / fs, (e - s) / fs) for s, e in zip(starts, ends, strict=True)]


def psd(x: NDArray[Any], fs: float, nperseg: int = 4096) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    f, p = welch(x, fs=fs, nperseg=nperseg, return_onesided=False, detrend=False, window="hann")
    return np.fft.fftshift(f), np.fft.fftshift(p)


def occupied_bw(f: NDArray[np.float64], p: NDArray[np.float64], frac: float = 0.99) -> tuple[float, float]:
    c = np.cumsum(p) / p.sum()
    lo = f[np.searchsorted(c, (1 - frac) / 2)]
    hi = f[np.searchsorted(c, 1 - (1 - frac) / 2)]
    return float(lo), float(hi)


def edges_db(f: NDArray[np.float64], p: NDArray[np.float64], drop_db: float = 3.0) -> tuple[float, float]:
    """Outermost frequencies where the (lightly smoothed) PSD is within ``drop_db`` of its in-band level.

    For OFDM/SC-FDMA with rectangular symbols the -3 dB points fall on the nominal band edges
    (half a subcarrier outside the outer subcarriers: sum of sinc^2(k + 1/2) over k >= 0 is 1/2).
    """
    ps = np.convolve(p, np.ones(5) / 5, mode="same")
    level = np.median(ps[ps > ps.max() * 0.1])
    above = np.flatnonzero(ps > level * 10 ** (-drop_db / 10))
    return float(f[above[0]]), float(f[above[-1]])


# ---------------------------------------------------------------------------------------- GSM


def test_gsm_normal_burst_length_and_frame_period() -> None:
    sc = scene(
        {
            "kind": "gsm_uplink",
            "freq_hz": FC + 300e3,
            "power_dbfs": -20,
            "timeslots": [2],
            "duration_s": 0.2,
            "idle_frames": False,
        }
    )
    x = render(sc, 0.0, 0.1)
    runs = on_runs(x, FS)
    lengths = np.array([r[1] for r in runs])
    assert len(runs) >= 20
    assert np.median(lengths) == pytest.approx(148 * GSM_BIT, abs=4e-6)  # 546.1 us
    periods = np.diff([r[0] for r in runs])
    assert np.median(periods) == pytest.approx(120e-3 / 26, abs=2e-6)  # 4.615 ms
    # Duty cycle of one slot: on-time / slot length ~ 546/577.
    assert np.median(lengths) / (120e-3 / 26 / 8) == pytest.approx(546.1 / 576.9, abs=0.01)


def test_gsm_multislot_and_idle_frame() -> None:
    sc = scene(
        {
            "kind": "gsm_uplink",
            "freq_hz": FC + 300e3,
            "power_dbfs": -20,
            "timeslots": [1, 2],
            "duration_s": 0.3,
        }
    )
    x = render(sc, 0.0, 26 * 120e-3 / 26)  # one 26-multiframe: frames 0..25
    runs = on_runs(x, FS)
    starts = np.array([r[0] for r in runs])
    # Two bursts per frame one slot apart (power ramps down in the guard period), frame 25 idle.
    assert len(runs) == 2 * 25
    assert np.allclose(starts[1::2] - starts[0::2], 15e-3 / 26, atol=2e-6)
    assert np.allclose(starts[0::2], np.arange(25) * 120e-3 / 26 + 15e-3 / 26, atol=3e-6)


def test_gmsk_occupied_bandwidth() -> None:
    sc = scene({"kind": "gsm_downlink", "freq_hz": FC, "power_dbfs": -20})
    x = render(sc, 0.0, 0.1, center_hz=FC - 400e3)
    f, p = psd(x, FS, 8192)
    lo, hi = occupied_bw(f, p, 0.99)
    assert 230e3 < hi - lo < 290e3  # GMSK BT 0.3: 99 % bandwidth ~ 0.92 x 270.8 kHz
    assert (lo + hi) / 2 == pytest.approx(400e3, abs=5e3)


def test_gsm_rach_length() -> None:
    sc = scene({"kind": "gsm_rach", "freq_hz": FC + 200e3, "power_dbfs": -20, "start_s": 0.01})
    runs = on_runs(render(sc, 0.0, 0.02), FS)
    assert len(runs) == 1
    assert runs[0][0] == pytest.approx(0.01, abs=3e-6)
    assert runs[0][1] == pytest.approx(88 * GSM_BIT, abs=4e-6)  # ~325 us


def test_gsm_burst_length_at_other_sample_rate() -> None:
    sc = scene({"kind": "gsm_rach", "freq_hz": FC + 100e3, "power_dbfs": -20, "start_s": 0.005})
    runs = on_runs(render(sc, 0.0, 0.01, sample_rate_hz=1.024e6), 1.024e6)
    assert len(runs) == 1
    assert runs[0][1] == pytest.approx(88 * GSM_BIT, abs=3e-6)


# ---------------------------------------------------------------------------------------- LTE


@pytest.mark.parametrize(("n_rb", "rb_start"), [(1, 10), (5, 22), (6, 0)])
def test_pusch_occupied_bandwidth_is_n_rb_times_180k(n_rb: int, rb_start: int) -> None:
    carrier = FC + 100e3
    sc = scene(
        {
            "kind": "lte_pusch",
            "freq_hz": carrier,
            "bandwidth_mhz": 10,
            "rb_start": rb_start,
            "n_rb": n_rb,
            "power_dbfs": -20,
            "duration_s": 0.05,
        }
    )
    lo_rf = carrier + (12 * rb_start - 300) * 15e3
    center = lo_rf + n_rb * 90e3
    x = render(sc, 0.0, 0.05, center_hz=center - 300e3)
    f, p = psd(x, FS, 8192)
    lo, hi = edges_db(f, p)
    width = hi - lo
    assert round(width / 180e3) == n_rb
    assert width == pytest.approx(n_rb * 180e3, abs=12e3)
    assert (lo + hi) / 2 == pytest.approx(300e3, abs=6e3)


def test_pusch_subframe_pattern() -> None:
    sc = scene(
        {
            "kind": "lte_pusch",
            "freq_hz": FC + 500e3,
            "bandwidth_mhz": 1.4,
            "n_rb": 3,
            "power_dbfs": -20,
            "duration_s": 0.05,
            "start_s": 0.01,
            "subframe_period": 5,
        }
    )
    runs = on_runs(render(sc, 0.0, 0.06), FS, 0.707, smooth_s=20e-6)
    # Contiguous on-time merges symbols; every 5th subframe: 1 ms on, 4 ms off.
    assert len(runs) == 10
    assert np.median([r[1] for r in runs]) == pytest.approx(1e-3, abs=2e-6)
    assert np.median(np.diff([r[0] for r in runs])) == pytest.approx(5e-3, abs=2e-6)
    truth = ground_truth(sc, center_hz=FC, sample_rate_hz=FS)
    assert len(truth) == 10
    assert truth[0].start_s == pytest.approx(0.01)


def test_pucch_hops_between_carrier_edges_at_slot_boundary() -> None:
    # 1.4 MHz carrier: 6 RBs from -540 kHz to +540 kHz around the carrier.
    sc = scene(
        {
            "kind": "lte_pucch",
            "freq_hz": FC,
            "bandwidth_mhz": 1.4,
            "power_dbfs": -20,
            "duration_s": 0.001,
            "start_s": 0.002,
        }
    )
    x = render(sc, 0.002, 0.003, center_hz=FC)
    half = x.size // 2
    for seg, expect in ((x[:half], -450e3), (x[half:], 450e3)):
        f, p = psd(seg, FS, 512)
        centroid = float((f * p).sum() / p.sum())
        assert centroid == pytest.approx(expect, abs=15e3)
    # Energy below/above DC per 10 us block: the switch happens at the 0.5 ms slot boundary.
    n = 24
    blocks = x[: (x.size // n) * n].reshape(-1, n)
    spec = np.abs(np.fft.fft(blocks, axis=1)) ** 2
    low = spec[:, n // 2 + 1 :].sum(axis=1)
    high = spec[:, 1 : n // 2].sum(axis=1)
    switch = np.flatnonzero(high > low)[0] * n / FS
    assert switch == pytest.approx(0.5e-3, abs=15e-6)


def test_prach_bandwidth_and_duration() -> None:
    sc = scene({"kind": "lte_prach", "freq_hz": FC, "power_dbfs": -20, "start_s": 0.003})
    x = render(sc, 0.002, 0.005, center_hz=FC)
    runs = on_runs(x, FS, 0.707, smooth_s=5e-6)
    assert len(runs) == 1
    assert runs[0][0] == pytest.approx(0.001, abs=3e-6)
    assert runs[0][1] == pytest.approx((3168 + 24576) / 30.72e6, abs=5e-6)  # 0.903 ms
    # One 0.8 ms period (1920 samples) inside the preamble: its DFT bins are 1.25 kHz apart, so
    # each Zadoff-Chu subcarrier lands on one bin, all with the same magnitude.
    n0 = int(0.001 * FS) + 200
    spec = np.abs(np.fft.fftshift(np.fft.fft(x[n0 : n0 + 1920]))) ** 2
    used = spec > 0.1 * np.median(spec[spec > 0.01 * spec.max()])
    assert int(used.sum()) == pytest.approx(839, abs=3)  # 839 x 1.25 kHz = 1.049 MHz
    occupied = np.flatnonzero(used)
    assert (occupied[-1] - occupied[0] + 1) * 1250.0 == pytest.approx(839 * 1250.0, abs=5e3)


def test_lte_downlink_has_empty_dc_subcarrier_and_full_band() -> None:
    sc = scene({"kind": "lte_downlink", "freq_hz": FC, "bandwidth_mhz": 1.4, "power_dbfs": -20})
    x = render(sc, 0.0, 0.05, center_hz=FC + 300e3)  # carrier DC 300 kHz below the dongle's DC
    f, p = psd(x, FS, 2**15)  # 73 Hz bins
    lo, hi = edges_db(f, p)
    assert hi - lo == pytest.approx(73 * 15e3, abs=10e3)
    k = np.argmin(np.abs(f + 300e3))
    near = p[k - 30 : k + 31]
    inband = np.median(p[(f > -250e3) & (f < 0)])
    assert near.min() < inband * 0.2  # a notch at the unused DC subcarrier


# ---------------------------------------------------------------------------------------- others


def test_nbiot_within_180k() -> None:
    for tones, offset, expect_bw in ((1, 3, 15e3), (3, 0, 45e3), (12, 0, 180e3)):
        sc = scene(
            {
                "kind": "nbiot",
                "freq_hz": FC + 300e3,
                "tones": tones,
                "tone_offset": offset,
                "power_dbfs": -20,
                "duration_s": 0.02,
            }
        )
        f, p = psd(render(sc, 0.0, 0.02), FS, 8192)
        lo, hi = edges_db(f, p)
        assert hi - lo == pytest.approx(expect_bw, abs=8e3)
        # Inside the 180 kHz PRB (300 kHz +- 90 kHz), tone k centred at (k - 5.5) x 15 kHz.
        assert (lo + hi) / 2 == pytest.approx(300e3 + (offset + tones / 2 - 6) * 15e3, abs=4e3)
        assert lo >= 300e3 - 95e3
        assert hi <= 300e3 + 95e3


@pytest.mark.parametrize(("fmt", "group_s"), [(0, (2048 + 5 * 8192) / 30.72e6), (1, 6 * 8192 / 30.72e6)])
def test_nprach_symbol_groups_hop_on_3750_hz_subcarriers(fmt: int, group_s: float) -> None:
    # TS 36.211 10.1.6: 4 symbol groups per repetition, each a cyclic prefix and 5 symbols (1.4 ms in
    # format 0, 1.6 ms in format 1) on one 3.75 kHz subcarrier of 12 (45 kHz); within a repetition
    # the subcarrier hops +-1, +-6, +-1.
    from rfscan.sim.emitters import NprachModel

    em = {"kind": "nprach", "id": "np", "freq_hz": FC + 200e3, "power_dbfs": -20, "start_s": 0.01}
    sc = scene({**em, "repetitions": 2, "preamble_format": fmt, "tone_offset": 4})
    model = NprachModel(sc.emitters[0], sc.seed)
    k = model.subcarriers(0)
    assert k[:4].tolist() == [4, 5, 11, 10]  # 4 even: +1; 5 < 6: +6; 11 odd: -1
    assert len(k) == 8
    assert np.all((k >= 0) & (k <= 11))
    for g in range(1, 8):
        step = abs(int(k[g]) - int(k[g - 1]))
        assert step in (1, 6) or g % 4 == 0
    x = render(sc, 0.0, 0.01 + 8 * group_s + 0.002, center_hz=FC)
    runs = on_runs(x, FS, 0.5)
    assert len(runs) == 1  # one continuous preamble, the groups back to back
    assert runs[0][0] == pytest.approx(0.01, abs=2e-6)
    assert runs[0][1] == pytest.approx(8 * group_s, abs=5e-6)
    for g in range(8):  # each group: a tone on its subcarrier, (k - 5.5) x 3.75 kHz from the centre
        a = round((0.01 + g * group_s + 0.1e-3) * FS)
        seg = x[a : a + round(1.2e-3 * FS)]
        want = 200e3 + (int(k[g]) - 5.5) * 3750.0
        assert tone_freq(seg, FS) == pytest.approx(want, abs=300.0)
    truth = ground_truth(sc)
    assert len(truth) == 1
    assert truth[0].duration_s == pytest.approx(8 * group_s)
    assert truth[0].tech == "nb-iot"


def test_ltem_bandwidth() -> None:
    sc = scene({"kind": "ltem", "freq_hz": FC + 300e3, "n_rb": 6, "power_dbfs": -20, "duration_s": 0.01})
    f, p = psd(render(sc, 0.0, 0.01), FS, 4096)
    lo, hi = edges_db(f, p)
    assert hi - lo == pytest.approx(1.08e6, abs=15e3)


def test_ltem_repetitions_are_one_long_train() -> None:
    # Rel-13 eMTC: a PUSCH transmission is repeated over consecutive 1 ms subframes (TS 36.213 8.0):
    # 8 repetitions = one 8 ms SC-FDMA train, 6 RBs = 1.08 MHz at most (one narrowband).
    sc = scene(
        {
            "kind": "ltem",
            "freq_hz": FC + 500e3,
            "n_rb": 3,
            "rb_start": 1,
            "power_dbfs": -20,
            "start_s": 0.01,
            "duration_s": 0.06,
            "repetitions": 8,
            "subframe_period": 20,
        }
    )
    runs = on_runs(render(sc, 0.0, 0.075), FS, 0.707, smooth_s=20e-6)
    assert len(runs) == 3
    for (start, length), k in zip(runs, range(3), strict=True):
        assert start == pytest.approx(0.01 + 0.02 * k, abs=3e-6)
        assert length == pytest.approx(8e-3, abs=3e-6)
    truth = ground_truth(sc, center_hz=FC, sample_rate_hz=FS)
    assert [round(b.duration_s * 1e3, 6) for b in truth] == [8.0, 8.0, 8.0]
    assert all(b.freq_upper_hz - b.freq_lower_hz == pytest.approx(3 * 180e3) for b in truth)


def test_ltem_hops_between_two_narrowbands_with_retuning_gaps() -> None:
    # Narrowband 0 centred on FC, narrowband 1 one narrowband (6 x 180 kHz = 1.08 MHz) above; the
    # narrowband changes every 4 absolute subframes.  Transmission: subframes 8..23 (16 repetitions):
    # dwells 8-11 (NB 0), 12-15 (NB 1), 16-19 (NB 0), 20-23 (NB 1).  At each hop the last symbol
    # before and the first symbol after are not sent (TS 36.211 5.2.5): 2192 + 2208 Ts = 143.2 us.
    fs = 3.0e6
    sc = scene(
        {
            "kind": "ltem",
            "freq_hz": FC,
            "n_rb": 6,
            "power_dbfs": -20,
            "start_s": 0.008,
            "duration_s": 0.016,
            "repetitions": 16,
            "subframe_period": 16,
            "hop_interval_ms": 4,
            "hop_narrowbands": 1,
        }
    )
    tune = FC + 540e3  # half way between the two narrowband centres
    x = render(sc, 0.0, 0.03, center_hz=tune, sample_rate_hz=fs)
    runs = on_runs(x, fs, 0.707, smooth_s=20e-6)
    assert len(runs) == 4
    gap_s = (2192 + 2208) / 30.72e6
    assert runs[0][0] == pytest.approx(0.008, abs=3e-6)
    assert runs[-1][0] + runs[-1][1] == pytest.approx(0.024, abs=3e-6)
    for (a, la), (b, _) in itertools.pairwise(runs):
        assert b - (a + la) == pytest.approx(gap_s, abs=4e-6)
        assert (a + la + b) / 2 == pytest.approx(round((a + la + b) / 2 / 4e-3) * 4e-3, abs=4e-6)
    for k, (start, length) in enumerate(runs):
        seg = x[round((start + 50e-6) * fs) : round((start + length - 50e-6) * fs)]
        f, p = psd(seg, fs, 4096)
        lo, hi = edges_db(f, p)
        centre = FC + (1.08e6 if k % 2 else 0.0) - tune
        assert hi - lo == pytest.approx(1.08e6, abs=15e3)
        assert (lo + hi) / 2 == pytest.approx(centre, abs=10e3)
    truth = ground_truth(sc, center_hz=tune, sample_rate_hz=fs)
    assert len(truth) == 4
    for b, (start, length) in zip(truth, runs, strict=True):
        assert b.start_s == pytest.approx(start, abs=3e-6)
        assert b.duration_s == pytest.approx(length, abs=5e-6)
    assert truth[1].freq_lower_hz - truth[0].freq_lower_hz == pytest.approx(1.08e6)


def test_lora_chirp_sweeps_its_bandwidth() -> None:
    bw, sf = 125e3, 7
    sc = scene(
        {"kind": "lora", "freq_hz": FC + 400e3, "power_dbfs": -20, "sf": sf, "bw_hz": bw, "start_s": 0.001}
    )
    t_sym = 2**sf / bw
    x = render(sc, 0.001, 0.001 + 8 * t_sym)  # the preamble: 8 up-chirps
    inst = np.diff(np.unwrap(np.angle(x))) * FS / (2 * np.pi) - 400e3
    assert np.percentile(inst, 0.5) == pytest.approx(-bw / 2, abs=3e3)
    assert np.percentile(inst, 99.5) == pytest.approx(bw / 2, abs=3e3)
    # Sweep rate BW / T_symbol inside a symbol.
    n = int(0.8 * t_sym * FS)
    seg = inst[10 : 10 + n]
    slope = np.polyfit(np.arange(seg.size) / FS, seg, 1)[0]
    assert slope == pytest.approx(bw / t_sym, rel=0.02)


# ---------------------------------------------------------------------------------------- power, SNR


@pytest.mark.parametrize(
    "emitter",
    [
        {"kind": "gsm_uplink", "freq_hz": FC + 300e3, "timeslots": [0, 1, 2, 3, 4, 5, 6, 7], "duration_s": 1},
        {"kind": "lte_pusch", "freq_hz": FC, "bandwidth_mhz": 1.4, "n_rb": 4, "duration_s": 1},
        {"kind": "lte_downlink", "freq_hz": FC + 10e3, "bandwidth_mhz": 1.4},
        {"kind": "cw", "freq_hz": FC + 250e3},
    ],
)
def test_power_dbfs(emitter: dict[str, Any]) -> None:
    sc = scene({**emitter, "power_dbfs": -23.0})
    x = render(sc, 0.0, 0.02, center_hz=FC - 200e3)
    on = np.abs(x) > 1e-4  # the noise floor is at -110 dBFS
    assert 10 * np.log10(np.mean(np.abs(x[on]) ** 2)) == pytest.approx(-23.0, abs=0.3)


@pytest.mark.parametrize(
    ("emitter", "bw"),
    [
        ({"kind": "gsm_uplink", "freq_hz": FC + 400e3, "timeslots": [0, 2, 4, 6], "duration_s": 1}, 200e3),
        (
            {
                "kind": "lte_pusch",
                "freq_hz": FC - 300e3,
                "bandwidth_mhz": 1.4,
                "n_rb": 3,
                "rb_start": 0,
                "duration_s": 1,
                "subframe_period": 2,
            },
            540e3,
        ),
    ],
)
def test_snr_in_signal_bandwidth(emitter: dict[str, Any], bw: float) -> None:
    noise_dbfs = -45.0
    sc = scene({**emitter, "snr_db": 15.0}, noise_dbfs=noise_dbfs)
    r = SceneRenderer(sc)
    n = round(0.1 * FS)
    x = r.render(0, n)
    on = np.abs(r.render_clean(0, n)) > 1e-6
    assert 0.2 < on.mean() < 0.8
    noise_power = float(np.mean(np.abs(x[~on]) ** 2))
    assert 10 * np.log10(noise_power) == pytest.approx(noise_dbfs, abs=0.1)
    s_power = float(np.mean(np.abs(x[on]) ** 2)) - noise_power
    n0 = noise_power / FS
    assert 10 * np.log10(s_power / (n0 * bw)) == pytest.approx(15.0, abs=1.0)


# ---------------------------------------------------------------------------------------- impairments


def tone_freq(x: NDArray[Any], fs: float) -> float:
    n = x.size
    spec = np.abs(np.fft.fft(x * np.hanning(n), 8 * n))
    k = int(np.argmax(spec))
    return float(np.fft.fftfreq(8 * n, 1 / fs)[k])


def test_ppm_shifts_the_measured_frequency() -> None:
    em = {"kind": "cw", "freq_hz": FC + 300e3, "power_dbfs": -20}
    f0 = tone_freq(render(scene(em), 0.0, 0.01), FS)
    f1 = tone_freq(render(scene(em, ppm=50.0), 0.0, 0.01), FS)
    assert f0 == pytest.approx(300e3, abs=50)
    assert f1 - f0 == pytest.approx(-50e-6 * FC, abs=50)  # the LO sits 45 kHz high
    truth = ground_truth(scene(em, ppm=50.0), center_hz=FC, sample_rate_hz=FS)
    assert truth[0].center_hz == pytest.approx(FC + 300e3)  # truth keeps the true RF frequency


def test_dc_offset_spike() -> None:
    x = render(scene(noise_dbfs=-45.0, dc_offset=0.03), 0.0, 0.05)
    assert abs(np.mean(x)) == pytest.approx(0.03, rel=0.05)
    f, p = psd(x, FS, 4096)
    k0 = int(np.argmin(np.abs(f)))
    assert p[k0] > 100 * np.median(p)


def test_iq_imbalance_image_rejection() -> None:
    g_db, phi_deg = 1.0, 5.0
    x = render(
        scene(
            {"kind": "cw", "freq_hz": FC + 500e3, "power_dbfs": -20},
            iq_gain_imbalance_db=g_db,
            iq_phase_deg=phi_deg,
        ),
        0.0,
        0.01,
    )
    spec = np.abs(np.fft.fft(x)) ** 2
    freqs = np.fft.fftfreq(x.size, 1 / FS)
    p_sig = spec[np.argmin(np.abs(freqs - 500e3))]
    p_img = spec[np.argmin(np.abs(freqs + 500e3))]
    g = 10 ** (g_db / 20)
    c = math.cos(math.radians(phi_deg))
    irr = 10 * math.log10((1 + 2 * g * c + g * g) / (1 - 2 * g * c + g * g))
    assert 10 * np.log10(p_sig / p_img) == pytest.approx(irr, abs=0.3)


def test_cu8_clipping_and_levels() -> None:
    x = render(scene({"kind": "cw", "freq_hz": FC + 100e3, "power_dbfs": 6.0}), 0.0, 0.001)
    q = quantize(x, "cu8")
    assert np.abs(q.real).max() == pytest.approx(1.0)
    assert np.abs(q.imag).max() == pytest.approx(1.0)
    assert np.mean(np.abs(q.real) >= 1.0) > 0.2  # a 2x full-scale sine clips a lot
    levels = q.real * 127.5 + 127.5
    assert np.allclose(levels, np.round(levels), atol=1e-3)
    raw = SceneRenderer(scene({"kind": "cw", "freq_hz": FC + 100e3, "power_dbfs": 6.0})).render_raw(0, 2400)
    assert raw.dtype == np.uint8
    assert raw.size == 4800
    assert raw.min() == 0
    assert raw.max() == 255
    weak = quantize(render(scene(noise_dbfs=-45.0), 0.0, 0.001), "cu8")
    assert set(np.unique(np.round(weak.real * 127.5 + 127.5))) <= set(range(110, 146))


def test_gain_scales_signal_and_clips() -> None:
    em = {"kind": "cw", "freq_hz": FC + 100e3, "power_dbfs": -20.0}
    base = render(scene(em, gain_db=30.0), 0.0, 0.002)
    hot = render(scene(em, gain_db=30.0), 0.0, 0.002, gain_db=40.0)
    ratio = 10 * np.log10(np.mean(np.abs(hot) ** 2) / np.mean(np.abs(base) ** 2))
    assert ratio == pytest.approx(10.0, abs=0.05)


def test_antialias_rolloff_at_band_edges() -> None:
    def power_at(offset_frac: float) -> float:
        em = {"kind": "cw", "freq_hz": FC + offset_frac * FS, "power_dbfs": -20.0}
        x = render(scene(em), 0.0, 0.005)
        return 10 * math.log10(float(np.mean(np.abs(x) ** 2)))

    assert power_at(0.3) == pytest.approx(-20.0, abs=0.05)
    assert power_at(0.45) == pytest.approx(-20.0, abs=1.0)
    assert power_at(0.5) < -22.0  # rolled off at the band edge
    assert power_at(0.58) < -80.0  # beyond the edge: no alias


# ---------------------------------------------------------------------------------------- determinism


def test_chunks_join_and_seed_determinism() -> None:
    sc = scene(
        {"kind": "gsm_uplink", "freq_hz": FC + 300e3, "power_dbfs": -20, "duration_s": 0.1},
        {"kind": "lte_downlink", "freq_hz": FC - 1e6, "bandwidth_mhz": 3, "power_dbfs": -25},
        {
            "kind": "lte_pusch",
            "freq_hz": FC,
            "bandwidth_mhz": 3,
            "n_rb": 2,
            "rb_start": 9,
            "power_dbfs": -20,
            "duration_s": 0.1,
        },
        noise_dbfs=-45.0,
    )
    r = SceneRenderer(sc)
    whole = r.render(1000, 200_000)
    parts = np.concatenate([r.render(1000, 70_001), r.render(71_001, 129_999)])
    assert np.max(np.abs(whole - parts)) < 1e-5
    assert np.array_equal(whole, SceneRenderer(sc).render(1000, 200_000))
    other = SceneRenderer(sc, seed=sc.seed + 1).render(1000, 200_000)
    assert not np.array_equal(whole, other)


@pytest.mark.parametrize(
    "emitter",
    [
        {
            "kind": "lte_pusch",
            "freq_hz": FC,
            "bandwidth_mhz": 3,
            "n_rb": 4,
            "rb_start": 3,
            "duration_s": 0.01,
        },
        {"kind": "lte_prach", "freq_hz": FC, "start_s": 0.0031},
        {"kind": "nbiot", "freq_hz": FC, "tones": 1, "spacing_hz": 3750, "duration_s": 0.01},
    ],
)
def test_exact_and_interpolated_multicarrier_agree(emitter: dict[str, Any]) -> None:
    # On a grid whose rate is a multiple of the subcarrier spacing the symbols are computed
    # exactly; elsewhere by interpolation.  Both are the same 3GPP formula.
    from rfscan.sim.emitters import make_model

    model = make_model(scene({**emitter, "power_dbfs": -20}).emitters[0], seed=1)
    t = np.arange(round(0.002 * FS), round(0.006 * FS)) / FS
    exact = model.envelope(t, FC, FS, FS)
    interp = model.envelope(t, FC, FS, None)
    assert np.mean(np.abs(exact) ** 2) > 0.1
    err = np.mean(np.abs(exact - interp) ** 2) / np.mean(np.abs(exact) ** 2)
    assert err < 1e-3


def test_other_sample_rates_keep_power_and_bandwidth() -> None:
    # 2.048 MS/s is not a multiple of 15 kHz: the interpolated path.
    fs = 2.048e6
    sc = scene(
        {
            "kind": "lte_pusch",
            "freq_hz": FC,
            "bandwidth_mhz": 3,
            "n_rb": 4,
            "rb_start": 3,
            "power_dbfs": -20,
            "duration_s": 0.05,
        }
    )
    x = render(sc, 0.0, 0.05, sample_rate_hz=fs, center_hz=FC - 300e3)
    on = np.abs(x) > 1e-4
    assert 10 * np.log10(np.mean(np.abs(x[on]) ** 2)) == pytest.approx(-20.0, abs=0.3)
    f, p = psd(x, fs, 8192)
    lo, hi = edges_db(f, p)
    assert hi - lo == pytest.approx(4 * 180e3, abs=10e3)


def test_gsm_bcch_fcch_tone() -> None:
    # FCCH: TS0 of frame 0 of the 51-multiframe is a pure tone at +1/(4 T_bit) = 67.71 kHz.
    sc = scene({"kind": "gsm_downlink", "freq_hz": FC, "power_dbfs": -20})
    x = render(sc, 0.0, 2 * 120e-3 / 26, center_hz=FC)
    inst = np.diff(np.unwrap(np.angle(x))) * FS / (2 * np.pi)
    fcch = inst[round(20e-6 * FS) : round(520e-6 * FS)]
    assert np.median(fcch) == pytest.approx(1625e3 / 6 / 4, abs=300)  # bit rate 1625/6 kHz
    assert np.std(fcch) < 2e3
    frame1_ts0 = inst[round((120e-3 / 26 + 20e-6) * FS) : round((120e-3 / 26 + 520e-6) * FS)]
    assert np.std(frame1_ts0) > 20e3  # ordinary GMSK data


def test_lte_downlink_pss() -> None:
    # At 1.92 MS/s (128 x 15 kHz) the last symbol of slot 0 starts its useful part at sample
    # (160 + 2048 + 5 * (144 + 2048) + 144) / 16 = 832; its 128-point FFT holds the PSS d_u(n)
    # of TS 36.211 6.11.1.1 on subcarriers -31..-1 and +1..+31.
    fs = 1.92e6
    pci = 7  # N_ID2 = 1 -> root 29
    sc = scene({"kind": "lte_downlink", "freq_hz": FC, "bandwidth_mhz": 1.4, "power_dbfs": -20, "pci": pci})
    x = render(sc, 0.0, 0.001, center_hz=FC, sample_rate_hz=fs)
    n = np.arange(62)
    d = np.exp(-1j * np.pi * 29 * np.where(n <= 30, n * (n + 1), (n + 1) * (n + 2)) / 63)
    rx = np.fft.fft(x[832 : 832 + 128])
    got = np.concatenate([rx[128 - 31 :], rx[1:32]])
    corr = abs(np.vdot(d, got)) / (np.linalg.norm(d) * np.linalg.norm(got))
    assert corr > 0.99
    wrong = np.exp(-1j * np.pi * 25 * np.where(n <= 30, n * (n + 1), (n + 1) * (n + 2)) / 63)
    assert abs(np.vdot(wrong, got)) / (np.linalg.norm(wrong) * np.linalg.norm(got)) < 0.5
    # The data symbol before the sync symbols does not correlate.
    other = np.fft.fft(x[(2208 + 3 * 2192) // 16 : (2208 + 3 * 2192) // 16 + 128])
    data = np.concatenate([other[128 - 31 :], other[1:32]])
    assert abs(np.vdot(d, data)) / (np.linalg.norm(d) * np.linalg.norm(data)) < 0.5


# ------------------------------------------------------------------------------------- interference


def test_intermittent_cw_switches_at_random_seeded_lengths_whatever_the_window() -> None:
    # A spur fading in and out: on for 0.5-40 ms, off for 0.5-20 ms, drawn from the scene's seed.
    cw = {
        "kind": "cw",
        "freq_hz": FC + 300e3,
        "power_dbfs": -30.0,
        "on_s": [0.5e-3, 0.04],
        "off_s": [0.5e-3, 0.02],
    }
    sc = scene(cw)
    whole = render(sc, 0.0, 0.4)
    parts = np.concatenate([render(sc, 0.0, 0.13), render(sc, 0.13, 0.4)])
    np.testing.assert_allclose(parts, whole, atol=1e-6)
    runs = on_runs(whole, FS)
    assert len(runs) >= 10
    lengths = np.array([r[1] for r in runs[:-1]])  # the last one may be cut by the window
    gaps = np.diff([r[0] for r in runs]) - lengths
    assert lengths.min() >= 0.45e-3
    assert lengths.max() <= 0.0401
    assert gaps.min() >= 0.45e-3
    assert gaps.max() <= 0.0201
    assert np.ptp(lengths) > 0.01  # random, not one length
    truth = ground_truth(sc, t_to=0.4)
    assert [round(t.duration_s, 4) for t in truth][: len(lengths)] == pytest.approx(
        lengths.round(4), abs=2e-4
    )


@pytest.mark.parametrize("periodic", [True, False])
def test_impulsive_noise_clicks(periodic: bool) -> None:
    # Clicks of white noise, 2 us long, 5000 a second (a PWM grid with jitter, or Poisson), at the
    # given power during a click; the same clicks however the window is cut.
    imp = {
        "kind": "impulse",
        "freq_hz": FC,
        "power_dbfs": -20.0,
        "rate_hz": 5000.0,
        "periodic": periodic,
        "click_s": 2e-6,
    }
    sc = scene(imp)
    whole = render(sc, 0.0, 0.1)
    parts = np.concatenate([render(sc, 0.0, 0.0371), render(sc, 0.0371, 0.1)])
    np.testing.assert_allclose(parts, whole, atol=1e-6)
    loud = np.abs(whole) > 10 ** (-40 / 20)  # 20 dB under the click power, far over the -110 dBFS noise
    starts = np.flatnonzero(loud[1:] & ~loud[:-1]) + 1
    assert 400 <= starts.size <= 600  # ~500 clicks in 0.1 s (the anti-alias filter may split a few)
    assert loud.mean() < 0.03  # 5000 x 2 us = 1 % of the time, plus the filter's ring
    power = 10 * np.log10(np.mean(np.abs(whole) ** 2) / (5000 * 2e-6))
    assert power == pytest.approx(-20.0, abs=1.5)
    if periodic:
        gaps = np.diff(starts) / FS
        assert np.median(gaps) == pytest.approx(200e-6, abs=5e-6)


def test_impulse_trains_follow_on_and_off() -> None:
    imp = {
        "kind": "impulse",
        "freq_hz": FC,
        "power_dbfs": -20.0,
        "rate_hz": 20000.0,
        "on_s": [5e-3, 10e-3],
        "off_s": [30e-3, 60e-3],
    }
    sc = scene(imp)
    x = render(sc, 0.0, 0.3)
    loud = np.abs(x) > 10 ** (-40 / 20)
    truth = ground_truth(sc, t_to=0.3)
    assert 3 <= len(truth) <= 9
    inside = np.zeros(x.size, bool)
    for t in truth:
        inside[round(t.start_s * FS) : round((t.start_s + t.duration_s) * FS) + 200] = True
    assert loud[~inside].sum() == 0
    assert all(loud[round(t.start_s * FS) : round((t.start_s + t.duration_s) * FS)].any() for t in truth)
