"""Radio sources behind one interface: local RTL-SDR, rtl_tcp, scene simulation, file replay.

Example::

    from rfscan.sources import open_source

    with open_source("rtltcp://127.0.0.1:1234", sample_rate_hz=2.4e6, gain_db=40) as src:
        src.tune(897.0e6)
        block = src.read(262144)        # settled samples at 897 MHz: block.samples, .sample_start...

Backends are imported lazily (``rfscan.sources.registry.BACKENDS``): importing this package does
not import pyrtlsdr, sockets servers or the simulator.
"""

from __future__ import annotations

from rfscan.sources.base import (
    DEFAULT_SETTLE_S,
    HARDWARE_SETTLE_S,
    MAX_SAFE_SAMPLE_RATE_HZ,
    RECOMMENDED_SAMPLE_RATE_HZ,
    SAMPLE_RATE_RANGES_HZ,
    Source,
    SourceBlock,
    SourceInfo,
    TunerSpec,
    check_sample_rate,
    tuner_by_code,
    tuner_by_name,
)
from rfscan.sources.registry import BACKENDS, backend_class, open_source

__all__ = [
    "BACKENDS",
    "DEFAULT_SETTLE_S",
    "HARDWARE_SETTLE_S",
    "MAX_SAFE_SAMPLE_RATE_HZ",
    "RECOMMENDED_SAMPLE_RATE_HZ",
    "SAMPLE_RATE_RANGES_HZ",
    "Source",
    "SourceBlock",
    "SourceInfo",
    "TunerSpec",
    "backend_class",
    "check_sample_rate",
    "open_source",
    "tuner_by_code",
    "tuner_by_name",
]
