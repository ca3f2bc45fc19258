"""Plain records shared by the reader and the writer: captures, annotations and sample blocks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Annotation", "Block", "Capture"]


@dataclass(frozen=True)
class Capture:
    """A SigMF capture segment: from ``sample_start`` on, the tuner sat at ``center_hz``.

    Parameters
    ----------
    sample_start : int
        Index (in the whole recording) of the first sample of the segment.
    center_hz : float
        Centre frequency of the segment (SigMF ``core:frequency``).
    datetime : str or None
        ISO-8601 UTC time of the first sample (SigMF ``core:datetime``), if known.
    """

    sample_start: int
    center_hz: float
    datetime: str | None = None

    def __post_init__(self) -> None:
        if int(self.sample_start) != self.sample_start or self.sample_start < 0:
            raise ValueError(f"capture sample_start must be an integer >= 0, got {self.sample_start!r}")
        if not math.isfinite(self.center_hz):
            raise ValueError(f"capture center_hz must be finite, got {self.center_hz!r}")


@dataclass(frozen=True)
class Annotation:
    """A SigMF annotation: a time span (and optionally a frequency span) with a label.

    Parameters
    ----------
    sample_start, sample_count : int
        First sample and number of samples the annotation covers.
    freq_lower_edge_hz, freq_upper_edge_hz : float or None
        Frequency span at RF (SigMF requires both or neither).
    label : str or None
        Short label (SigMF recommends at most 20 characters).
    comment : str or None
        Longer human-readable text.
    extra : Mapping
        Other namespaced keys written as-is, e.g. ``{"modemhunt:tech": "LTE"}``.
    """

    sample_start: int
    sample_count: int
    freq_lower_edge_hz: float | None = None
    freq_upper_edge_hz: float | None = None
    label: str | None = None
    comment: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if int(self.sample_start) != self.sample_start or self.sample_start < 0:
            raise ValueError(f"annotation sample_start must be an integer >= 0, got {self.sample_start!r}")
        if int(self.sample_count) != self.sample_count or self.sample_count < 0:
            raise ValueError(f"annotation sample_count must be an integer >= 0, got {self.sample_count!r}")
        if (self.freq_lower_edge_hz is None) != (self.freq_upper_edge_hz is None):
            raise ValueError("annotation needs both freq_lower_edge_hz and freq_upper_edge_hz, or neither")
        if self.freq_lower_edge_hz is not None and self.freq_upper_edge_hz is not None:
            if not (math.isfinite(self.freq_lower_edge_hz) and math.isfinite(self.freq_upper_edge_hz)):
                raise ValueError("annotation frequency edges must be finite")
            if self.freq_lower_edge_hz > self.freq_upper_edge_hz:
                raise ValueError(
                    f"annotation freq_lower_edge_hz {self.freq_lower_edge_hz} is above "
                    f"freq_upper_edge_hz {self.freq_upper_edge_hz}"
                )
        for key in self.extra:
            if ":" not in key:
                raise ValueError(f"annotation extra key {key!r} needs a namespace, e.g. 'modemhunt:{key}'")

    @property
    def sample_end(self) -> int:
        """Index one past the last annotated sample."""
        return self.sample_start + self.sample_count


@dataclass(frozen=True, eq=False)
class Block:
    """A run of consecutive samples from one capture of a recording (compared by identity).

    Parameters
    ----------
    samples : ndarray of complex64
        The samples (a fresh array owned by the block).
    sample_start : int
        Absolute index of ``samples[0]`` in the recording.
    center_hz : float
        Centre frequency of the capture the block belongs to.
    sample_rate_hz : float
        Sample rate of the recording.
    """

    samples: NDArray[np.complex64]
    sample_start: int
    center_hz: float
    sample_rate_hz: float

    @property
    def time_s(self) -> float:
        """Time of the first sample from the start of the recording."""
        return self.sample_start / self.sample_rate_hz

    @property
    def sample_count(self) -> int:
        """Number of samples in the block."""
        return int(self.samples.shape[0])
