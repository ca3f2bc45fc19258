"""Scene files: schema, validation errors, built-in scenes, ground truth and random scenes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rfscan.errors import SceneError
from rfscan.sim import (
    Scene,
    SceneRenderer,
    builtin_scenes,
    ground_truth,
    load_scene,
    merge_sessions,
    random_scene,
    truth_emitters,
)

GSM_FRAME = 120e-3 / 26

BASE: dict[str, Any] = {
    "scene": {"name": "t", "duration_s": 1.0, "center_hz": 897e6},
    "emitter": [{"kind": "gsm_uplink", "freq_hz": 897.4e6, "snr_db": 10, "duration_s": 0.5}],
}


def with_emitter(**kw: Any) -> dict[str, Any]:
    return {"scene": BASE["scene"], "emitter": [{**BASE["emitter"][0], **kw}]}


def test_builtin_scenes_load_and_cover_the_required_ones() -> None:
    names = builtin_scenes()
    for required in ("crane-cabinet", "quiet-uplink", "gsm-rach", "lte-prach", "nbiot", "ltem", "lora-ism"):
        assert required in names
    for name in names:
        sc = load_scene(name)
        assert sc.name == name
        # Round trip through the plain dict form and JSON.
        again = Scene.from_dict(json.loads(sc.to_json()), source=name)
        assert again.emitters == sc.emitters
        assert again.captures == sc.captures


def test_crane_cabinet_hides_both_modems_in_its_captures() -> None:
    sc = load_scene("crane-cabinet")
    assert len(sc.captures) >= 2
    seen: dict[str, set[str]] = {}
    t0 = 0.0
    for cap in sc.capture_plan:
        truth = ground_truth(sc, center_hz=cap.center_hz, t_from=t0, t_to=t0 + cap.duration_s)
        for b in truth:
            seen.setdefault(b.tech, set()).add(b.link)
            # Every truth burst of a capture lies within +-rate/2 of its tuning.
            assert b.freq_upper_hz > cap.center_hz - sc.sample_rate_hz / 2
            assert b.freq_lower_hz < cap.center_hz + sc.sample_rate_hz / 2
        t0 += cap.duration_s
    assert "uplink" in seen["lte"]
    assert "uplink" in seen["gsm"]
    assert "downlink" in seen["gsm"]
    details = {b.detail for b in ground_truth(sc, center_hz=sc.captures[0].center_hz, t_to=1.0)}
    assert {"PRACH preamble", "PUSCH", "PUCCH slot 0"} <= details


def test_toml_and_json_files(tmp_path: Path) -> None:
    toml = tmp_path / "s.toml"
    toml.write_text(
        '[scene]\nname = "x"\nduration_s = 0.5\ncenter_hz = 850e6\n'
        '[[emitter]]\nkind = "cw"\nfreq_hz = 850.3e6\npower_dbfs = -30\n'
    )
    sc = load_scene(toml)
    assert sc.emitters[0].kind == "cw"
    assert sc.sample_rate_hz == 2.4e6
    js = tmp_path / "s.json"
    js.write_text(sc.to_json())
    assert load_scene(js).emitters == sc.emitters


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"scene": {"duration_s": 1, "center_hz": 9e8}}, "scene.name"),
        ({"emitter": []}, "scene"),
        (with_emitter(kind="gsm_sideways"), "emitter[0].kind"),
        (with_emitter(power_dbfs=-20), "emitter[0].power_dbfs"),
        (with_emitter(timeslots=[9]), "emitter[0].timeslots"),
        (with_emitter(freq_hz="lots"), "emitter[0].freq_hz"),
        (with_emitter(colour="red"), "emitter[0].colour"),
        (with_emitter(count=3), "emitter[0].period_s"),
        (
            {
                **BASE,
                "emitter": [
                    {
                        "kind": "lte_pusch",
                        "freq_hz": 8.4e8,
                        "snr_db": 5,
                        "duration_s": 1,
                        "bandwidth_mhz": 5,
                        "n_rb": 20,
                        "rb_start": 10,
                    }
                ],
            },
            "emitter[0].n_rb",
        ),
        (
            {
                **BASE,
                "emitter": [
                    {"kind": "lte_pusch", "freq_hz": 8.4e8, "snr_db": 5, "duration_s": 1, "bandwidth_mhz": 7}
                ],
            },
            "emitter[0].bandwidth_mhz",
        ),
        (
            {**BASE, "emitter": [{"kind": "lte_pusch", "freq_hz": 8.4e8, "snr_db": 5}]},
            "emitter[0].duration_s",
        ),
        (
            {**BASE, "emitter": [{"kind": "nprach", "freq_hz": 8.4e8, "snr_db": 15, "repetitions": 3}]},
            "emitter[0].repetitions",
        ),
        (
            {**BASE, "emitter": [{"kind": "nprach", "freq_hz": 8.4e8, "snr_db": 15, "tone_offset": 12}]},
            "emitter[0].tone_offset",
        ),
        (
            {**BASE, "emitter": [{"kind": "nprach", "freq_hz": 8.4e8, "snr_db": 15, "preamble_format": 2}]},
            "emitter[0].preamble_format",
        ),
        ({**BASE, "dongle": {"datatype": "cs4"}}, "dongle.datatype"),
        ({**BASE, "capture": [{"center_hz": 9e8, "duration_s": 0.4}]}, "scene.duration_s"),
        (
            {**BASE, "emitter": [{**BASE["emitter"][0], "id": "m"}, {**BASE["emitter"][0], "id": "m"}]},
            "emitter[1].id",
        ),
    ],
)
def test_scene_errors_name_source_and_key(data: dict[str, Any], key: str) -> None:
    with pytest.raises(SceneError) as exc:
        Scene.from_dict(data, source="bad.toml")
    msg = str(exc.value)
    assert msg.startswith("bad.toml: ")
    assert key in msg
    assert "\n" not in msg


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match="no such scene"):
        load_scene(tmp_path / "missing.toml")
    bad = tmp_path / "broken.toml"
    bad.write_text("[scene\nname=")
    with pytest.raises(SceneError, match=r"broken\.toml: not valid TOML"):
        load_scene(bad)


def test_gsm_truth_counts_frames_and_merges_long_sessions() -> None:
    # 0.6 s on timeslots 1 and 5 starting on a frame boundary: one burst per slot per frame,
    # minus the idle frame of every 26-multiframe.
    start = 10 * GSM_FRAME
    sc = Scene.from_dict(with_emitter(start_s=start, duration_s=0.6, timeslots=[1, 5]))
    frames = [f for f in range(10, 10 + int(0.6 / GSM_FRAME + 1)) if f * GSM_FRAME < start + 0.6 - 1e-12]
    expected = 2 * sum(1 for f in frames if f % 26 != 25)
    truth = ground_truth(sc)
    assert len(truth) == expected
    assert all(b.duration_s == pytest.approx(148 * 48e-6 / 13) for b in truth)
    merged = merge_sessions(truth, max_bursts=50)
    assert len(merged) == 1
    assert merged[0].burst_count == expected
    assert merged[0].start_s == pytest.approx(truth[0].start_s)
    assert merge_sessions(truth, max_bursts=10_000) == truth


def test_out_of_band_emitters_are_skipped() -> None:
    sc = Scene.from_dict(with_emitter())
    assert ground_truth(sc, center_hz=850e6, sample_rate_hz=2.4e6) == []
    assert SceneRenderer(sc, center_hz=850e6).emitters_in_band == []
    summary = truth_emitters(sc, center_hz=850e6)
    assert summary[0].in_band is False
    assert summary[0].burst_count == 0


def _band_ok(lo: float, hi: float) -> bool:
    # Real bands (MHz) from TS 36.101 Table 5.5-1 / TS 45.005 / EU868, B3 cut at the R820T limit.
    bands = [
        (880, 915),
        (925, 960),
        (832, 862),
        (791, 821),
        (1710, 1766),
        (703, 748),
        (758, 803),
        (824, 849),
        (869, 894),
        (863, 870),
    ]
    return any(a * 1e6 <= lo and hi <= b * 1e6 for a, b in bands)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"single_burst": True},
        {"with_downlink": True, "with_spurs": True},
        {"no_uplink": True, "with_downlink": True},
        {"techs": ["lte"]},
        {"techs": ["gsm"], "with_spurs": True},
        {"techs": ["lora"]},
    ],
)
def test_random_scenes_are_realistic(kwargs: dict[str, Any]) -> None:
    for seed in range(12):
        sc = random_scene(seed, **kwargs)
        assert sc == random_scene(seed, **kwargs)  # deterministic
        t0 = 0.0
        uplink = 0
        for cap in sc.capture_plan:
            truth = ground_truth(sc, center_hz=cap.center_hz, t_from=t0, t_to=t0 + cap.duration_s)
            half = 0.9 * sc.sample_rate_hz / 2
            for b in truth:
                lo, hi = b.freq_lower_hz, b.freq_upper_hz
                if b.link != "downlink":
                    assert _band_ok(lo, hi), (seed, b)
                    assert cap.center_hz - half <= lo, (seed, b)
                    assert hi <= cap.center_hz + half, (seed, b)
                    assert not lo < cap.center_hz < hi, (seed, b)  # not on the DC spike
                uplink += b.link in ("uplink", "ism")
            t0 += cap.duration_s
        if kwargs.get("no_uplink"):
            assert uplink == 0
        elif kwargs.get("single_burst"):
            assert uplink == 1
        else:
            assert uplink >= 1
        if kwargs.get("with_downlink") and sc.captures and len(sc.capture_plan) > 1:
            assert any(e.link == "downlink" for e in sc.emitters)
    assert random_scene(1) != random_scene(2)


def test_random_scene_rejects_unknown_tech() -> None:
    with pytest.raises(SceneError, match="techs"):
        random_scene(0, techs=["5g"])


def test_explicit_times_and_repeats() -> None:
    sc = Scene.from_dict(
        {
            "scene": {"name": "t", "duration_s": 1.0, "center_hz": 868.3e6},
            "emitter": [
                {"kind": "lora", "id": "a", "freq_hz": 868.1e6, "snr_db": 5, "sf": 7, "times_s": [0.5, 0.1]},
                {
                    "kind": "gsm_rach",
                    "id": "b",
                    "freq_hz": 868.6e6,
                    "snr_db": 5,
                    "start_s": 0.2,
                    "count": 3,
                    "period_s": 0.25,
                },
            ],
        }
    )
    truth = ground_truth(sc)
    lora = [b for b in truth if b.emitter == "a"]
    assert [b.start_s for b in lora] == [0.1, 0.5]
    # LoRa packet: (8 preamble + 2 sync + 2.25 down-chirps + 20 payload) symbols of 2^SF / BW.
    assert lora[0].duration_s == pytest.approx((12.25 + 20) * 2**7 / 125e3)
    assert [round(b.start_s, 9) for b in truth if b.emitter == "b"] == [0.2, 0.45, 0.7]


def _ltem_scene(**kw: Any) -> Scene:
    em = {"kind": "ltem", "freq_hz": 835.5e6, "snr_db": 10, "duration_s": 0.05, **kw}
    return Scene.from_dict({"scene": {"name": "t", "duration_s": 0.2, "center_hz": 835e6}, "emitter": [em]})


def test_ltem_repetition_and_hopping_keys() -> None:
    # Old LTE-M scenes (no new keys): one subframe per transmission start, no hopping.
    e = _ltem_scene(n_rb=3).emitters[0]
    assert (e.repetitions, e.hop_interval_ms) == (1, 0)
    assert load_scene("ltem").emitters[0].repetitions == 1
    e = _ltem_scene(repetitions=32, hop_interval_ms=4, hop_narrowbands=-2).emitters[0]
    assert (e.repetitions, e.hop_interval_ms, e.hop_narrowbands) == (32, 4, -2)
    again = Scene.from_dict(json.loads(_ltem_scene(repetitions=8, hop_interval_ms=2).to_json()))
    assert again.emitters[0].repetitions == 8
    assert again.emitters[0].hop_interval_ms == 2
    with pytest.raises(SceneError, match="hop_narrowbands"):
        _ltem_scene(hop_interval_ms=2, hop_narrowbands=0)
    with pytest.raises(SceneError, match="repetitions"):
        _ltem_scene(repetitions=4096)  # Rel-13 CE mode B: at most 2048
    with pytest.raises(SceneError, match="repetitions"):
        Scene.from_dict(
            {
                "scene": {"name": "t", "duration_s": 0.2, "center_hz": 835e6},
                "emitter": [
                    {
                        "kind": "lte_pusch",
                        "freq_hz": 835e6,
                        "snr_db": 10,
                        "duration_s": 0.05,
                        "repetitions": 4,
                    }
                ],
            }
        )


def test_random_ltem_is_a_repetition_train() -> None:
    seen_hop = False
    for seed in range(30):
        sc = random_scene(seed, techs=["ltem"])
        for e in sc.emitters:
            if e.kind != "ltem":
                continue
            assert e.repetitions in (4, 8, 16, 32)
            assert 1 <= e.n_rb <= 6
            assert e.rb_start + e.n_rb <= 6
            if e.hop_interval_ms:
                seen_hop = True
                assert e.hop_interval_ms in (2, 4, 8)
                assert abs(e.hop_narrowbands) == 1
                assert e.n_rb <= 4  # both narrowbands' allocations fit the window with DC between
            truth = [t for t in ground_truth(sc) if t.emitter == e.id]
            total = sum(t.duration_s for t in truth)
            # Each transmission is repetitions x 1 ms (minus ~0.14 ms per hop for the retuning gap).
            assert total <= e.count * e.repetitions * 1e-3 + 1e-9
            assert total >= e.count * e.repetitions * 1e-3 * (0.85 if e.hop_interval_ms else 1.0) - 1e-9
    assert seen_hop
