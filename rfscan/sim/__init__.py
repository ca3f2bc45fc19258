"""Seeded RF scene simulator: realistic RTL-SDR recordings with ground truth.

A *scene* (TOML/JSON file, built-in name or dict) lists emitters (GSM/LTE/NB-IoT/LTE-M uplink
bursts, tower downlinks, spurs, LoRa) at true RF frequencies and times, plus the dongle's
impairments.  :class:`SceneRenderer` synthesizes what a dongle tuned anywhere would receive, in
chunks; :func:`simulate` writes a SigMF recording whose annotations are the ground truth;
:func:`random_scene` draws scenes for the detection benchmark.

Example::

    from rfscan.sim import load_scene, SceneRenderer, ground_truth, quantize
    scene = load_scene("crane-cabinet")
    r = SceneRenderer(scene, center_hz=897e6)
    x = quantize(r.render(0, 240_000))          # 100 ms as stored in cu8
    truth = ground_truth(scene, center_hz=897e6, sample_rate_hz=scene.sample_rate_hz)
"""

from __future__ import annotations

from rfscan.sim.randomscene import DEFAULT_TECHS, random_scene
from rfscan.sim.record import MAX_BURST_ANNOTATIONS, SimulationResult, simulate, simulate_recording
from rfscan.sim.render import SceneRenderer, emitter_power_dbfs, quantize
from rfscan.sim.scene import (
    EMITTER_KINDS,
    CaptureSpec,
    DongleSpec,
    EmitterSpec,
    Scene,
    builtin_scenes,
    load_scene,
    nominal_bandwidth_hz,
)
from rfscan.sim.truth import TruthBurst, TruthEmitter, ground_truth, merge_sessions, truth_emitters

__all__ = [
    "DEFAULT_TECHS",
    "EMITTER_KINDS",
    "MAX_BURST_ANNOTATIONS",
    "CaptureSpec",
    "DongleSpec",
    "EmitterSpec",
    "Scene",
    "SceneRenderer",
    "SimulationResult",
    "TruthBurst",
    "TruthEmitter",
    "builtin_scenes",
    "emitter_power_dbfs",
    "ground_truth",
    "load_scene",
    "merge_sessions",
    "nominal_bandwidth_hz",
    "quantize",
    "random_scene",
    "simulate",
    "simulate_recording",
    "truth_emitters",
]
