"""Probability of intercept: how likely a watch would have caught a modem that transmits rarely.

An idle modem transmits only for access, paging responses and periodic updates (LTE T3412
default 54 min; GSM T3212 often hours), each a short *activity* (a connection of a few seconds
holding many 0.3-1 ms bursts).  A survey that reports "nothing found" must say how likely it was
to see such an activity at all.

Model
-----
A watch of total length ``run_s`` looks at a band in dwells of ``dwell_s`` every ``revisit_s``
(a file or a fixed monitor: ``dwell_s == revisit_s == run_s``).  An emitter starts an activity of
length ``activity_s`` on average every ``period_s``; its timers are not locked to the sweep, so the
phase of each activity against the dwell schedule is taken as independent and uniform.

* ``N = (run_s + activity_s) / period_s`` activities overlap the run on average: ``floor(N)``
  surely, one more with probability ``frac(N)``.
* Each overlaps at least one dwell with probability ``q = min(1, (dwell_s + activity_s) / revisit_s)``.

So ``P = 1 - (1 - q) ** floor(N) * (1 - frac(N) * q)``.  For a continuous watch (``q = 1``) this is
``min(1, N)``.  An emitter whose period is an exact multiple of the revisit time keeps the same
phase at every visit and may be missed every time: then ``q`` (one look) is the lower bound.
An activity seen is assumed detected: the detector's own miss rate at a given SNR is measured
separately in ``benchmarks/detection.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Behaviour:
    """A typical transmission pattern of an idle modem."""

    name: str
    period_s: float
    activity_s: float
    source: str


#: Patterns the reports quote.  The timers are 3GPP defaults; activity lengths are typical
#: connection times for a short signalling or data exchange.
TYPICAL_BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour("telemetry every 1 min, ~5 s connection", 60.0, 5.0, "typical IoT reporting"),
    Behaviour("telemetry every 10 min, ~10 s connection", 600.0, 10.0, "typical IoT reporting"),
    Behaviour(
        "LTE periodic tracking-area update (T3412 default 54 min), ~10 s",
        54 * 60.0,
        10.0,
        "3GPP TS 24.301 T3412 default 54 min",
    ),
    Behaviour(
        "GSM periodic location update (T3212, e.g. 6 h), ~2 s",
        6 * 3600.0,
        2.0,
        "3GPP TS 24.008 T3212 (set by the network, 6-min units, often hours)",
    ),
)


def intercept_probability(
    run_s: float,
    period_s: float,
    activity_s: float,
    *,
    dwell_s: float | None = None,
    revisit_s: float | None = None,
) -> float:
    """Probability that a watch overlaps one activity of a periodic emitter.

    Parameters
    ----------
    run_s : float
        Total length of the watch (s).
    period_s : float
        Time between the emitter's activities (s).
    activity_s : float
        Length of one activity (s): a single burst (~0.001 s) or a connection (seconds).
    dwell_s, revisit_s : float, optional
        Dwell on the band and time between visits; both default to ``run_s`` (continuous watch).

    Returns
    -------
    float
        Probability in [0, 1].
    """
    if run_s <= 0 or period_s <= 0:
        return 0.0
    dwell = run_s if dwell_s is None else dwell_s
    revisit = run_s if revisit_s is None else revisit_s
    if dwell <= 0 or revisit <= 0:
        return 0.0
    n = (run_s + activity_s) / period_s
    q = min(1.0, (dwell + activity_s) / revisit)
    whole = math.floor(n)
    return 1.0 - (1.0 - q) ** whole * (1.0 - (n - whole) * q)


def intercept_table(
    run_s: float, *, dwell_s: float | None = None, revisit_s: float | None = None
) -> list[dict[str, float | str]]:
    """Probability of intercept for each of :data:`TYPICAL_BEHAVIOURS` (JSON-ready rows)."""
    return [
        {
            "behaviour": b.name,
            "period_s": b.period_s,
            "activity_s": b.activity_s,
            "probability": round(
                intercept_probability(run_s, b.period_s, b.activity_s, dwell_s=dwell_s, revisit_s=revisit_s),
                4,
            ),
            "source": b.source,
        }
        for b in TYPICAL_BEHAVIOURS
    ]
