"""The 3GPP band plan as data, region profiles, and link / band / channel look-up.

The detector reports an emitter (centre frequency, bandwidth, technology guess); this package says
whether it sits in an uplink or a downlink, in which band, on which channel number, and refuses
to guess when the answer depends on a region that is not known.

Data: ``rfscan/bands/data/*.toml`` (GSM TS 45.005, E-UTRA TS 36.101, NR TS 38.101-1, non-cellular
allocations, region profiles, tuner ranges), each entry with its source.
"""

from __future__ import annotations

from rfscan.bands.channels import (
    channel_for,
    earfcn_dl,
    earfcn_ul,
    freq_from_arfcn,
    freq_from_earfcn,
    freq_from_nr_arfcn,
    gsm_arfcn,
    nr_arfcn,
)
from rfscan.bands.classify import (
    TECHNOLOGIES,
    BandCoverage,
    Candidate,
    LinkAnswer,
    bands_in_span,
    classify_link,
    region_from_geolocation,
    tuner_coverage,
    unreachable_bands,
)
from rfscan.bands.plan import (
    R820T_RANGE_HZ,
    ArfcnRange,
    Band,
    BandPlan,
    GeoBox,
    Region,
    Subset,
    load_band_plan,
    regions,
)

__all__ = [
    "R820T_RANGE_HZ",
    "TECHNOLOGIES",
    "ArfcnRange",
    "Band",
    "BandCoverage",
    "BandPlan",
    "Candidate",
    "GeoBox",
    "LinkAnswer",
    "Region",
    "Subset",
    "bands_in_span",
    "channel_for",
    "classify_link",
    "earfcn_dl",
    "earfcn_ul",
    "freq_from_arfcn",
    "freq_from_earfcn",
    "freq_from_nr_arfcn",
    "gsm_arfcn",
    "load_band_plan",
    "nr_arfcn",
    "region_from_geolocation",
    "regions",
    "tuner_coverage",
    "unreachable_bands",
]
