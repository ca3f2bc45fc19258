"""Technology classification of each synthetic type, end to end and from features."""

from __future__ import annotations

import numpy as np
import pytest
from dsp_signals import (
    FS,
    GSM_FRAME_S,
    NOISE_DBFS,
    add_band_noise,
    add_gmsk_burst,
    add_lora,
    add_prach,
    add_tone,
    analyze,
    awgn,
)

from rfscan.dsp import TECHS, EmitterFeatures, classify


def _only_emitter(x: np.ndarray) -> object:
    a = analyze(x, block_size=1 << 16)
    assert len(a.emitters) == 1, [(e.freq_hz, e.tech) for e in a.emitters]  # type: ignore[attr-defined]
    e = a.emitters[0]  # type: ignore[attr-defined]
    assert e.tech in TECHS
    assert 0.0 <= e.confidence <= 1.0
    assert e.reason
    return e


def _noise(seconds: float, seed: int) -> tuple[np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    return awgn(int(seconds * FS), NOISE_DBFS, rng), rng


def test_gsm_normal_bursts() -> None:
    x, rng = _noise(0.2, 1)
    for k in range(30):
        add_gmsk_burst(x, rng, start_s=0.01 + k * GSM_FRAME_S, offset_hz=-300e3, snr_db=15)
    assert _only_emitter(x).tech == "gsm"  # type: ignore[attr-defined]


def test_gsm_access_bursts() -> None:
    x, rng = _noise(0.3, 2)
    for k in range(6):  # RACH retries on the frame grid (random number of frames apart)
        add_gmsk_burst(
            x,
            rng,
            start_s=0.01 + (k * 9 + int(rng.integers(0, 5))) * GSM_FRAME_S,
            offset_hz=450e3,
            snr_db=15,
            n_bits=88,
        )
    assert _only_emitter(x).tech == "gsm"  # type: ignore[attr-defined]


def test_prach_is_lte() -> None:
    x, rng = _noise(0.1, 3)
    for k in range(3):
        add_prach(x, start_s=0.01 + k * 0.02, offset_hz=-300e3, snr_db=12, root=int(rng.integers(1, 838)))
    assert _only_emitter(x).tech == "lte"  # type: ignore[attr-defined]


def test_pusch_subframes_are_lte() -> None:
    x, rng = _noise(0.2, 4)
    for k in range(15):
        add_band_noise(
            x, rng, start_s=0.01 + k * 0.01, duration_s=1e-3, offset_hz=200e3, bandwidth_hz=1.08e6, snr_db=12
        )
    e = _only_emitter(x)
    assert e.tech == "lte"  # type: ignore[attr-defined]
    assert e.period_s == pytest.approx(0.01, rel=0.01)  # type: ignore[attr-defined]


def test_nbiot_one_rb_subframes() -> None:
    x, rng = _noise(0.3, 5)
    for k in range(12):
        add_band_noise(
            x, rng, start_s=0.01 + k * 0.02, duration_s=2e-3, offset_hz=-600e3, bandwidth_hz=180e3, snr_db=15
        )
    assert _only_emitter(x).tech == "nbiot"  # type: ignore[attr-defined]


def test_ltem_repetitions() -> None:
    x, rng = _noise(0.3, 6)
    for k in range(6):
        add_band_noise(
            x, rng, start_s=0.01 + k * 0.04, duration_s=8e-3, offset_hz=300e3, bandwidth_hz=1.08e6, snr_db=15
        )
    assert _only_emitter(x).tech == "ltem"  # type: ignore[attr-defined]


def test_cw() -> None:
    x, _ = _noise(0.2, 7)
    add_tone(x, offset_hz=-810e3, power_dbfs=-30)
    assert _only_emitter(x).tech == "cw"  # type: ignore[attr-defined]


def test_lora_chirps_are_noncellular() -> None:
    x, _ = _noise(0.2, 8)
    add_lora(x, start_s=0.02, offset_hz=400e3, snr_db=15, n_chirps=40)
    add_lora(x, start_s=0.1, offset_hz=400e3, snr_db=15, n_chirps=40)
    e = _only_emitter(x)
    assert e.tech == "noncellular"  # type: ignore[attr-defined]
    assert "chirp" in e.reason  # type: ignore[attr-defined]


def test_bursts_of_no_cellular_timing_stay_unknown() -> None:
    """2.3 ms x 300 kHz bursts every 73 ms fit no cellular pattern, but that is no evidence of a
    non-cellular device (two phones on adjacent channels merge into such an emitter): "unknown"."""
    x, rng = _noise(0.4, 9)
    for k in range(5):
        add_band_noise(
            x,
            rng,
            start_s=0.01 + k * 0.073,
            duration_s=2.3e-3,
            offset_hz=-200e3,
            bandwidth_hz=300e3,
            snr_db=15,
        )
    e = _only_emitter(x)
    assert e.tech == "unknown"  # type: ignore[attr-defined]
    assert "no single cellular" in e.reason  # type: ignore[attr-defined]


def test_umts_wider_than_the_capture() -> None:
    # A WCDMA carrier 2 MHz off the tuning: its lower 2 MHz fill the upper part of the span.  (A carrier
    # filling the whole span is indistinguishable from a higher noise floor.)
    x, rng = _noise(0.1, 10)
    n = x.size
    wide = awgn(2 * n, NOISE_DBFS + 15 + 10 * np.log10(4.5e6 / (2 * FS)), rng)
    spec = np.fft.fft(wide)
    f = np.fft.fftfreq(2 * n, 1 / (2 * FS))
    spec[(np.abs(f - 2.0e6) > 2.25e6) | (np.abs(f) > 1.2e6)] = 0  # no aliasing when decimating
    x += np.fft.ifft(spec)[::2].astype(np.complex64)  # 4.8 MS/s -> 2.4 MS/s: only the part inside is seen
    assert _only_emitter(x).tech == "umts"  # type: ignore[attr-defined]


def _feat(dur: list[float], bw: list[float], **kw: object) -> EmitterFeatures:
    base: dict[str, object] = {
        "durations_s": np.array(dur),
        "bandwidths_hz": np.array(bw),
        "chirp_scores": np.zeros(len(dur)),
        "period_s": None,
        "occupancy": 0.01,
        "span_hz": 2.4e6,
        "edge_distance_hz": 500e3,
    }
    base.update(kw)
    return EmitterFeatures(**base)  # type: ignore[arg-type]


def test_classify_from_features() -> None:
    assert classify(_feat([0.546e-3] * 5, [230e3] * 5, period_s=4.615e-3)).tech == "gsm"
    assert classify(_feat([0.9e-3], [1.05e6])).tech == "lte"
    assert classify(_feat([1e-3] * 4, [540e3] * 4, period_s=5e-3)).tech == "lte"
    assert classify(_feat([10.0], [20e3], occupancy=1.0)).tech == "cw"
    assert classify(_feat([5e-3] * 3, [125e3] * 3, chirp_scores=np.ones(3))).tech == "noncellular"
    assert classify(_feat([1.7e-3], [90e3])).tech == "unknown"
    assert classify(_feat([], [])).tech == "unknown"
    # GSM timing is stronger evidence than the shape alone.
    weak = classify(_feat([0.546e-3] * 5, [230e3] * 5))
    strong = classify(_feat([0.546e-3] * 5, [230e3] * 5, period_s=4.615e-3))
    assert strong.confidence > weak.confidence


def test_ltem_from_features() -> None:
    # Rel-13 eMTC (TS 36.211/36.213): <= 6 PRB (<= 1.08 MHz) repeated over >= 4 consecutive subframes,
    # or hopping between two 1.08 MHz narrowbands; an LTE PUSCH of the same width is 1 ms at a time.
    assert classify(_feat([8e-3] * 3, [540e3] * 3)).tech == "ltem"  # 8 repetitions of 3 PRBs
    assert classify(_feat([32e-3], [1.07e6])).tech == "ltem"  # one 32-repetition train, 6 PRBs
    assert classify(_feat([1e-3] * 6, [540e3] * 6, period_s=5e-3)).tech == "lte"  # subframes
    assert classify(_feat([8e-3] * 3, [4.5e6] * 3)).tech != "ltem"  # wider than a narrowband
    hop = classify(_feat([1.86e-3] * 8, [720e3] * 8, narrowband_hop=True))
    assert hop.tech == "ltem"
    assert "narrowband" in hop.reason
    one_prb = classify(_feat([8e-3] * 3, [185e3] * 3))  # same shape as 12-tone NB-IoT repetitions
    assert one_prb.tech == "nbiot"
    assert "LTE-M" in one_prb.reason


def test_bursts_made_where_clicks_were_taken_out() -> None:
    # Mostly in frames cleaned of clicks, a burst is named from IMPULSIVE_TRUST_DB (10 dB) up: a
    # 16 ms LTE-M train at 11 dB is (found so in a PWM drive's click train), what a click train
    # leaves at 8 dB stays unknown, with the reason.
    train = {"snrs_db": np.array([11.4]), "impulsive": np.array([0.97])}
    assert classify(_feat([16e-3], [420e3], **train)).tech == "ltem"
    left = classify(_feat([8e-3], [420e3], snrs_db=np.array([8.4]), impulsive=np.array([0.9])))
    assert left.tech == "unknown"
    assert "clicks" in left.reason
    # The same burst where no click was taken out is named.
    assert classify(_feat([8e-3], [420e3], snrs_db=np.array([8.4]), impulsive=np.array([0.0]))).tech == "ltem"


def test_bursts_made_where_clicks_were_taken_out_are_named_from_their_lower_quartile_snr() -> None:
    # Three click leftovers in a capture full of clicks (found in 1 h of quiet scenes): two of GSM
    # access-burst length and width, at 8.1 and 11.1 dB, and a 0.14 ms one at 14.2 dB.  Their median
    # SNR passed IMPULSIVE_TRUST_DB (the median of three is one burst); their lower quartile does not.
    dur, bw = [0.353e-3, 0.315e-3, 0.144e-3], [201e3, 271e3, 354e3]
    imp = np.array([1.0, 1.0, 0.5])
    left = classify(_feat(dur, bw, snrs_db=np.array([11.1, 8.1, 14.2]), impulsive=imp))
    assert left.tech == "unknown"
    assert "clicks" in left.reason
    # The same three at 10.5 dB and more, or where no click was taken out, are GSM (2 of 3 GSM bursts).
    assert classify(_feat(dur, bw, snrs_db=np.array([11.1, 10.5, 14.2]), impulsive=imp)).tech == "gsm"
    assert classify(_feat(dur, bw, snrs_db=np.array([11.1, 8.1, 14.2]), impulsive=np.zeros(3))).tech == "gsm"
    # A fourth, weaker burst never makes it trusted; a stronger one can.
    more = ([*dur, 0.33e-3], [*bw, 250e3])
    assert (
        classify(_feat(*more, snrs_db=np.array([11.1, 8.1, 14.2, 10.4]), impulsive=np.ones(4))).tech
        == "unknown"
    )
    assert (
        classify(_feat(*more, snrs_db=np.array([11.1, 8.1, 14.2, 12.0]), impulsive=np.ones(4))).tech == "gsm"
    )
    # Only the bursts clicks were taken out of count: a weak clean one does not hide two strong ones.
    clean_weak = classify(
        _feat(dur, bw, snrs_db=np.array([12.0, 7.0, 13.0]), impulsive=np.array([1.0, 0.0, 1.0]))
    )
    assert clean_weak.tech == "gsm"


def test_weak_tone_narrow_pieces_are_nbiot_units_only_when_most_are_unit_long() -> None:
    # A weak spur fading in and out at random lengths: 31 pieces of 0.5-7.5 ms, their median 4 ms
    # (an NB-IoT 3-tone unit length by chance): not NB-IoT.  Five weak single-tone 8 ms units are.
    weak = {"occupancy": 0.05, "span_s": 4.0}
    spur = np.linspace(0.5e-3, 7.5e-3, 31)
    got = classify(_feat(list(spur), [36e3] * 31, snrs_db=np.full(31, 4.3), **weak))
    assert got.tech != "nbiot", got.reason
    units = [7.8e-3, 8.1e-3, 8.3e-3, 7.9e-3, 8.0e-3]
    assert classify(_feat(units, [36e3] * 5, snrs_db=np.full(5, 4.3), **weak)).tech == "nbiot"


def test_weak_repetitions_count_from_the_narrow_unit_snr() -> None:
    # Two pieces of about 1 ms next to a spur under the noise (0.9 dB) are as alike as two NB-IoT
    # repetitions by chance; from NARROW_UNIT_SNR_DB (2 dB) they count.
    pieces = {"occupancy": 0.01, "span_s": 0.83}
    noise = classify(_feat([0.93e-3, 1.15e-3], [80e3] * 2, snrs_db=np.array([0.2, 1.6]), **pieces))
    assert noise.tech != "nbiot", noise.reason
    units = classify(_feat([0.93e-3, 1.15e-3], [80e3] * 2, snrs_db=np.array([2.5, 3.5]), **pieces))
    assert units.tech == "nbiot", units.reason


def test_a_tone_widened_by_the_leftovers_of_clicks_is_shaped_as_a_tone() -> None:
    # A spur's burst read 120-560 kHz wide by what clicks left in a third of its frames, with 90% of
    # its energy in three bins: it was "LTE" (1.5 ms, 0.5 ms) or "NB-IoT" (6 ms, 14 ms) in quiet
    # benchmark scenes.  Shaped as a tone, none of those lengths is a tone-narrow NB-IoT transmission.
    def one(dur_s: float, bw_hz: float, impulsive: float, share: float) -> str:
        got = classify(
            _feat(
                [dur_s],
                [bw_hz],
                snrs_db=np.array([13.0]),
                impulsive=np.array([impulsive]),
                tone_shares=np.array([share]),
            )
        )
        return got.tech

    for dur_s, bw_hz in ((1.54e-3, 332e3), (0.49e-3, 559e3), (6.09e-3, 122e3), (14.1e-3, 238e3)):
        assert one(dur_s, bw_hz, 0.35, 0.9) == "unknown", (dur_s, bw_hz)
    # With or without clicks, energy in three bins is no RB, GSM burst or PRACH (spread over 13-110 bins).
    assert one(1.54e-3, 332e3, 0.0, 0.9) == "unknown"
    assert one(1.54e-3, 332e3, 0.0, 0.3) == "lte"
    assert one(0.546e-3, 230e3, 0.0, 0.9) == "unknown"
    assert one(0.546e-3, 230e3, 0.0, 0.4) == "gsm"
    # A tone-shaped burst lasts a tone-narrow NB-IoT length (6 ms is none), with or without clicks; a
    # burst of 3-6 tones (its energy over more bins) whole 1 ms units.
    assert one(6e-3, 85e3, 0.0, 0.9) == "unknown"
    assert one(6e-3, 85e3, 0.35, 0.9) == "unknown"
    assert one(6e-3, 85e3, 0.0, 0.5) == "nbiot"
    # A tone of a tone-narrow NB-IoT length in a capture with clicks stays NB-IoT, however wide it reads.
    assert one(8e-3, 300e3, 0.35, 0.9) == "nbiot"
    # One RB in a capture with clicks keeps its width: its energy is spread over 19 bins.
    three = {
        "snrs_db": np.full(3, 13.0),
        "impulsive": np.full(3, 0.35),
        "tone_shares": np.full(3, 0.25),
    }
    assert classify(_feat([1e-3] * 3, [190e3] * 3, period_s=5e-3, **three)).tech == "lte"


def test_tone_narrow_nbiot_lengths_are_those_of_the_standard() -> None:
    from rfscan.dsp.classify import NBIOT_TONE_LENGTHS_S

    ms = set(np.round(NBIOT_TONE_LENGTHS_S * 1e3, 1).tolist())
    # Format 2 (2 ms x 2**k), format 1 one tone (8 ms x N_RU x 2**k) or 3 tones (4 ms x ...), NPRACH;
    # no NPUSCH burst over 256 ms.
    assert {2.0, 4.0, 5.6, 6.4, 8.0, 11.2, 12.0, 12.8, 16.0, 20.0, 24.0, 32.0, 40.0, 256.0, 358.4} <= ms
    assert not ({6.0, 10.0, 14.0, 18.0, 22.0, 320.0} & ms)
    one = {"snrs_db": np.array([15.0])}
    assert classify(_feat([12e-3], [30e3], **one)).tech == "nbiot"  # 3 units of 4 ms
    assert classify(_feat([6e-3], [30e3], **one)).tech != "nbiot"


def test_weak_narrow_bursts_at_random_lengths_are_not_nbiot() -> None:
    # A spur fading in and out, weak and tone-shaped, read 46-68 kHz wide: 49 bursts of 0.4-33 ms whose
    # median fell within 2% of a whole ms (quiet benchmark scenes 900453, 900673 with clicks): it was
    # NB-IoT.  At least half must each last an NB-IoT length.
    rng = np.random.default_rng(3)
    spur = list(rng.uniform(0.4e-3, 33e-3, 49))
    spur[24] = float(np.median(spur))
    weak = {"snrs_db": np.full(49, 6.0), "occupancy": 0.2, "span_s": 5.0}
    got = classify(_feat(spur, [55e3] * 49, tone_shares=np.full(49, 0.95), **weak))
    assert got.tech != "nbiot", got.reason
    # Weak repetitions of one length (each a tone-narrow length) are.
    units = {"snrs_db": np.full(4, 6.0), "occupancy": 0.02, "span_s": 0.3}
    got = classify(
        _feat([8.05e-3, 7.95e-3, 8.1e-3, 8.0e-3], [55e3] * 4, tone_shares=np.full(4, 0.95), **units)
    )
    assert got.tech == "nbiot", got.reason


def test_weak_tone_shaped_bursts_must_last_unit_lengths_more_often_than_chance() -> None:
    # Weak bursts' lengths count as NB-IoT ones within 2 % (their edges under the noise), so from
    # ~25 ms on every length does.  The pieces of a spur fading in and out for 0.3-51 ms in quiet
    # scene 990396 (7 dB, two thirds of them tone-shaped): 22 of 42 passed where chance gives 18,
    # and were an NB-IoT uplink.  Pieces of random length, drawn alike, pass half of the time.
    from rfscan.dsp.classify import _nbiot_lengths, _unit_length_chance

    n = 42
    rng = np.random.default_rng(3)
    spur = rng.uniform(1e-3, 50e-3, n)
    snr = np.full(n, 6.5)
    tone = np.arange(n) % 3 != 2
    ok = _nbiot_lengths(spur, snr, tone)
    assert float(ok.mean()) >= 0.5  # what the share rule alone took for NB-IoT
    assert float(_unit_length_chance(spur, snr, tone).mean()) >= 0.4  # and chance gives about as many
    weak = {"snrs_db": snr, "occupancy": 0.15, "span_s": 5.0}
    got = classify(_feat(list(spur), [47e3] * n, tone_shares=np.where(tone, 0.9, 0.5), **weak))
    assert got.tech != "nbiot", got.reason
    # Weak single-tone units of the standard's lengths (8, 16, 32 ms, each read within 0.1 ms) pass
    # far more often than chance: NB-IoT.
    units = rng.choice([8e-3, 16e-3, 32e-3], 8) + rng.uniform(-0.1e-3, 0.1e-3, 8)
    session = {"snrs_db": np.full(8, 6.5), "occupancy": 0.05, "span_s": 2.0}
    got = classify(_feat(list(units), [50e3] * 8, tone_shares=np.full(8, 0.9), **session))
    assert got.tech == "nbiot", got.reason
    # Bursts of several tones (not shaped as a tone, as no spur reads) keep the share rule alone:
    # weak multi-tone units of 8-32 ms are read to no better than chance.
    got = classify(_feat(list(spur), [100e3] * n, tone_shares=np.full(n, 0.4), **weak))
    assert got.tech == "nbiot", got.reason
    # So do three or four bursts (too few for the test to tell): a session of 8 and 16 ms units, one
    # of them broken (3.1 ms), two of them read 0.26-0.27 ms long, half of them tone-shaped.
    few = {"snrs_db": np.full(4, 6.5), "occupancy": 0.03, "span_s": 1.0}
    short = [3.13e-3, 8.26e-3, 15.96e-3, 16.27e-3]
    got = classify(_feat(short, [50e3] * 4, tone_shares=np.array([0.9, 0.5, 0.5, 0.9]), **few))
    assert got.tech == "nbiot", got.reason


def test_tone_shaped_bursts_on_the_gsm_grid_are_not_gsm() -> None:
    # Tone-shaped bursts of a GSM normal burst's length on the TDMA frame: not GMSK (its energy is
    # spread over ~20 bins), unless narrow as a tone (the FCCH rule).
    gsm = {"period_s": 4.615e-3, "snrs_db": np.full(5, 15.0)}
    assert classify(_feat([0.546e-3] * 5, [230e3] * 5, tone_shares=np.full(5, 0.4), **gsm)).tech == "gsm"
    assert classify(_feat([0.546e-3] * 5, [230e3] * 5, tone_shares=np.full(5, 0.9), **gsm)).tech != "gsm"


def test_two_weak_narrow_units_must_each_last_a_unit_length() -> None:
    # Two weak pieces of a spur fading in and out, 26.1 and 6.1 ms: their median (16.1 ms) is a
    # tone-narrow NB-IoT length, neither of them is.  Two units of 8 ms are.
    two = {"snrs_db": np.array([3.0, 3.0]), "occupancy": 0.01, "span_s": 0.8}
    assert classify(_feat([26.1e-3, 6.1e-3], [70e3] * 2, **two)).tech != "nbiot"
    got = classify(_feat([8.1e-3, 7.9e-3], [70e3] * 2, **two))
    assert got.tech == "nbiot", got.reason


def test_a_narrow_burst_whose_centroid_drifts_one_way_is_a_chirp() -> None:
    # Two long weak pieces of a LoRa packet, 190 kHz wide, whole ms long: a one-RB train by shape,
    # but their centroids drift one way through them (t = 36, 38).
    pieces = {"snrs_db": np.array([1.3, 1.3]), "drift_ts": np.array([36.6, 38.0])}
    assert classify(_feat([25.4e-3, 31.1e-3], [199e3, 186e3], **pieces)).tech == "noncellular"
    # At |t| <= 4.4, as cellular bursts of that width read, the shape decides.
    still = {"snrs_db": np.array([12.0] * 3), "drift_ts": np.array([4.4, -3.9, 2.0])}
    assert classify(_feat([8e-3] * 3, [185e3] * 3, **still)).tech == "nbiot"
    # A PRACH's Zadoff-Chu sweep (1.05 MHz) drifts too: it stays a PRACH.
    prach = classify(_feat([0.9e-3], [1.03e6], snrs_db=np.array([24.0]), drift_ts=np.array([69.9])))
    assert prach.tech == "lte"


def test_weak_bursts_in_a_capture_full_of_clicks_are_not_named() -> None:
    # A 6.2 dB burst of GSM access-burst length and 120 kHz: named GSM from SHAPE_SNR_DB in a clean
    # capture; in one full of clicks (clicks too weak to be found leave such bursts where none was
    # taken out: quiet scene 930220) it stays unknown.  Clear of the noise it is named there too.
    weak = {"snrs_db": np.array([6.2]), "impulsive": np.zeros(1)}
    assert classify(_feat([0.28e-3], [120e3], **weak)).tech == "gsm"
    in_clicks = classify(_feat([0.28e-3], [120e3], **weak, in_clicks=True))
    assert in_clicks.tech == "unknown"
    assert "clicks" in in_clicks.reason
    strong = {"snrs_db": np.array([14.0]), "impulsive": np.zeros(1), "in_clicks": True}
    assert classify(_feat([0.325e-3], [250e3], **strong)).tech == "gsm"


def test_several_weak_bursts_about_as_narrow_as_a_tone_are_an_interferer() -> None:
    # A spur fading in and out at 5-8 dB read 48 kHz in its 98% width (quiet scene 940646), more than
    # a strong tone's CW_MAX_HZ: weak tones read up to ~83 kHz.  Three or more such weak bursts shaped
    # as a tone flag an intermittent interferer (whose pieces out of its group are then not named);
    # one RB wide, only two bursts, or with their energy spread, they do not.
    # The first 20 of its 98 bursts: length (ms), 98% width (kHz), SNR (dB), tone share.
    dur = [0.42, 0.97, 0.54, 7.34, 1.29, 4.91, 11.94, 1.47, 1.82, 45.24, 5.01, 20.79, 17.39, 15.48, 19.47,
           17.47, 28.16, 4.36, 1.26, 29.21]  # fmt: skip
    bw = [59, 60, 49, 63, 52, 39, 38, 35, 33, 106, 121, 108, 91, 101, 112, 85, 67, 31, 26, 81]
    snr = [6.6, 6.5, 7.2, 4.5, 6.5, 7.9, 8.6, 8.4, 8.5, 3.1, 2.7, 3.1, 3.5, 3.3, 2.6, 4.3, 5.4, 8.1, 8.8, 4.0]
    tone = [0.98, 0.94, 0.98, 0, 0.95, 0.98, 0.98, 0.97, 0.98, 0, 0, 0, 0, 0, 0, 0, 0, 0.98, 0.99, 0]

    def feats(n: int, widen: float, spread: bool = False) -> EmitterFeatures:
        return _feat(
            [d * 1e-3 for d in dur[:n]],
            [b * 1e3 * widen for b in bw[:n]],
            snrs_db=np.array(snr[:n]),
            tone_shares=np.full(n, 0.3) if spread else np.array(tone[:n]),
            occupancy=0.38,
        )

    spur = classify(feats(20, 1.0))
    assert spur.tech == "unknown"
    assert "too weak to measure" in spur.reason
    assert spur.interferer
    assert not classify(feats(20, 3.0)).interferer  # 180 kHz: one RB
    assert not classify(feats(2, 1.0)).interferer
    # As wide, but with their energy spread (the fragments of a weak multi-tone NB-IoT unit): no spur.
    assert not classify(feats(20, 1.0, spread=True)).interferer
