"""`simulate` output: SigMF that reads back with the truth annotations; seeds; the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rfscan.cli import main
from rfscan.errors import SceneError
from rfscan.iq import open_recording
from rfscan.sim import MAX_BURST_ANNOTATIONS, Scene, load_scene, simulate, simulate_recording

SMALL: dict[str, Any] = {
    "scene": {"name": "small", "duration_s": 0.06, "center_hz": 897e6, "seed": 5, "noise_dbfs": -45.0},
    "dongle": {"ppm": 30.0, "dc_offset": 0.02},
    "emitter": [
        {
            "kind": "gsm_uplink",
            "id": "gsm",
            "freq_hz": 897.4e6,
            "snr_db": 20,
            "timeslots": [2],
            "start_s": 0.01,
            "duration_s": 0.04,
        },
        {"kind": "gsm_rach", "id": "rach", "freq_hz": 896.6e6, "snr_db": 15, "start_s": 0.002},
        {"kind": "cw", "id": "spur", "freq_hz": 897.9e6, "snr_db": 20},
        {"kind": "gsm_uplink", "id": "far", "freq_hz": 910e6, "snr_db": 20, "duration_s": 0.05},
    ],
}


def test_simulate_reads_back_with_truth(tmp_path: Path) -> None:
    sc = Scene.from_dict(SMALL)
    meta = simulate(sc, tmp_path / "rec")
    assert meta.name == "rec.sigmf-meta"
    with open_recording(meta) as rec:
        assert rec.datatype == "cu8"
        assert rec.sample_rate_hz == 2.4e6
        assert rec.num_samples == round(0.06 * 2.4e6)
        assert rec.captures[0].center_hz == 897e6
        g = rec.global_info
        assert g["modemhunt:seed"] == 5
        assert g["modemhunt:impairments"]["ppm"] == 30.0
        assert Scene.from_dict(g["modemhunt:scene"]).emitters == sc.emitters
        truth = [a for a in rec.annotations if a.extra.get("modemhunt:truth")]
        by_emitter: dict[str, list[Any]] = {}
        for a in truth:
            by_emitter.setdefault(a.extra["modemhunt:emitter"], []).append(a)
        assert "far" not in by_emitter  # 13 MHz away: not in the tuned band
        assert len(by_emitter["rach"]) == 1
        assert len(by_emitter["spur"]) == 1
        # GSM: frames whose slot 2 starts in [0.01, 0.05) s.
        frame = 120e-3 / 26
        expected = sum(1 for f in range(20) if 0.01 <= f * frame < 0.05 and f % 26 != 25)
        gsm = by_emitter["gsm"]
        assert len(gsm) == expected
        a = gsm[0]
        assert a.label == "truth gsm uplink"
        assert a.freq_lower_edge_hz == pytest.approx(897.3e6)
        assert a.freq_upper_edge_hz == pytest.approx(897.5e6)
        assert a.extra["modemhunt:tech"] == "gsm"
        assert a.extra["modemhunt:link"] == "uplink"
        assert a.extra["modemhunt:snr_db"] == 20
        assert a.extra["modemhunt:ppm"] == 30.0
        assert a.sample_count == pytest.approx(148 * 48e-6 / 13 * 2.4e6, abs=1)
        # The burst is really there: power inside the annotation well above the samples before it.
        x = rec.read(a.sample_start, a.sample_count)
        before = rec.read(a.sample_start - a.sample_count - 200, a.sample_count)
        assert np.mean(np.abs(x - x.mean()) ** 2) > 3 * np.mean(np.abs(before - before.mean()) ** 2)


def test_same_seed_same_bytes_other_seed_other_noise(tmp_path: Path) -> None:
    sc = Scene.from_dict(SMALL)
    simulate(sc, tmp_path / "a", duration_s=0.02)
    simulate(sc, tmp_path / "b", duration_s=0.02)
    simulate(sc, tmp_path / "c", duration_s=0.02, seed=6)
    a = (tmp_path / "a.sigmf-data").read_bytes()
    assert a == (tmp_path / "b.sigmf-data").read_bytes()
    assert a != (tmp_path / "c.sigmf-data").read_bytes()
    assert len(a) == 2 * round(0.02 * 2.4e6)


def test_multi_capture_recording(tmp_path: Path) -> None:
    res = simulate_recording("quiet-uplink", tmp_path / "q", duration_s=0.1, datatype="ci16_le")
    # duration shorter than the first capture: only that capture remains.
    assert len(res.captures) == 1
    res = simulate_recording(
        Scene.from_dict(
            {
                "scene": {"name": "two", "seed": 1},
                "capture": [
                    {"center_hz": 847e6, "duration_s": 0.02},
                    {"center_hz": 945e6, "duration_s": 0.03},
                ],
                "emitter": [{"kind": "gsm_downlink", "id": "bcch", "freq_hz": 945.4e6, "snr_db": 25}],
            }
        ),
        tmp_path / "two",
    )
    with open_recording(res.meta_path) as rec:
        assert [c.center_hz for c in rec.captures] == [847e6, 945e6]
        assert rec.captures[1].sample_start == round(0.02 * 2.4e6)
        truth = [a for a in rec.annotations if a.extra.get("modemhunt:truth")]
        # The tower is only visible in the second capture.
        assert len(truth) == 1
        assert truth[0].sample_start == rec.captures[1].sample_start
        assert truth[0].sample_count == round(0.03 * 2.4e6)
        quiet = rec.read(0, 2000)
        tower = rec.read(rec.captures[1].sample_start + 1000, 2000)
        assert np.mean(np.abs(tower) ** 2) > 10 * np.mean(np.abs(quiet) ** 2)


def test_annotation_budget_merges_long_sessions(tmp_path: Path) -> None:
    data = {
        "scene": {"name": "long", "duration_s": 0.3, "center_hz": 897e6, "noise_dbfs": -45.0},
        "emitter": [
            {
                "kind": "gsm_uplink",
                "id": "g",
                "freq_hz": 897.4e6,
                "snr_db": 20,
                "timeslots": [0, 1, 2, 3, 4, 5, 6, 7],
                "duration_s": 0.3,
            }
        ],
    }
    res = simulate_recording(Scene.from_dict(data), tmp_path / "long")
    total = sum(b.burst_count for b in res.truth)
    assert total > MAX_BURST_ANNOTATIONS
    with open_recording(res.meta_path) as rec:
        truth = [a for a in rec.annotations if a.extra.get("modemhunt:truth")]
        assert len(truth) < 5
        assert sum(a.extra["modemhunt:burst_count"] for a in truth) == total == res.burst_counts["g"]


def test_simulate_errors(tmp_path: Path) -> None:
    with pytest.raises(SceneError):
        simulate("no-such-scene", tmp_path / "x")
    with pytest.raises(SceneError, match="datatype"):
        simulate(Scene.from_dict(SMALL), tmp_path / "x", datatype="cs4")


def test_cli_list_and_simulate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list"]) == 0
    out = capsys.readouterr().out
    assert "crane-cabinet" in out
    assert "lora-ism" in out
    scene_file = tmp_path / "small.json"
    scene_file.write_text(json.dumps(SMALL))
    rc = main(["simulate", str(scene_file), "-o", str(tmp_path / "cli"), "--seed", "3", "--json", "-"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["num_samples"] == round(0.06 * 2.4e6)
    assert doc["bursts_per_emitter"]["rach"] == 1
    assert Path(doc["meta_path"]).exists()
    rc = main(["simulate", str(scene_file), "-o", str(tmp_path / "cli2"), "--duration", "0.01"])
    assert rc == 0
    assert "truth annotations" in capsys.readouterr().out
    assert main(["simulate", str(tmp_path / "nope.toml"), "-o", str(tmp_path / "z")]) != 0
    assert "no such scene" in capsys.readouterr().err


def test_crane_cabinet_first_capture_quick(tmp_path: Path) -> None:
    # The Quick-start scene renders (a short piece of it) and its LTE modem is annotated.
    sc = load_scene("crane-cabinet")
    res = simulate_recording(sc, tmp_path / "cc", duration_s=0.15)
    assert {"lte-modem-prach", "lte-modem-pusch", "lte-modem-pucch"} <= set(res.burst_counts)


def test_refuses_a_recording_that_would_fill_the_disk(tmp_path):
    """A mistyped duration must not write until the disk is full."""
    import shutil

    free_s = shutil.disk_usage(tmp_path).free / (2.4e6 * 2)  # seconds of cu8 that would fit
    with pytest.raises(SceneError, match="shorten --duration"):
        simulate("gsm-rach", tmp_path / "huge", duration_s=2 * free_s)
    assert list(tmp_path.iterdir()) == []
