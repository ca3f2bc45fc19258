"""Vectorized detection core shared by every mode: STFT, spectra, bursts, emitters, classification.

Pure functions and small streaming accumulators on complex64 arrays; no Python loops over samples,
bins or frames.  Entry point: :func:`rfscan.dsp.pipeline.analyze_blocks`.
"""

from __future__ import annotations

from rfscan.dsp.classify import TECHS, Classification, EmitterFeatures, classify
from rfscan.dsp.detect import Burst, BurstDetector, DetectConfig, false_cells_per_s, threshold_factor
from rfscan.dsp.emitters import Emitter, Watch, build_emitters, estimate_period
from rfscan.dsp.pipeline import Analysis, BlockLike, Coverage, PipelineConfig, Stats, analyze_blocks
from rfscan.dsp.spectra import Spectra, SpectraAccumulator
from rfscan.dsp.stft import StftConfig, StftFrames, StftState, band_power, stft_block

__all__ = [
    "TECHS",
    "Analysis",
    "BlockLike",
    "Burst",
    "BurstDetector",
    "Classification",
    "Coverage",
    "DetectConfig",
    "Emitter",
    "EmitterFeatures",
    "PipelineConfig",
    "Spectra",
    "SpectraAccumulator",
    "Stats",
    "StftConfig",
    "StftFrames",
    "StftState",
    "Watch",
    "analyze_blocks",
    "band_power",
    "build_emitters",
    "classify",
    "estimate_period",
    "false_cells_per_s",
    "stft_block",
    "threshold_factor",
]
