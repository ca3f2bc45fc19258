"""Probability of intercept against a Monte Carlo of emitters whose timers jitter against the sweep."""

from __future__ import annotations

import numpy as np
import pytest

from rfscan.coverage import TYPICAL_BEHAVIOURS, intercept_probability, intercept_table


def _monte_carlo(run_s, period_s, activity_s, dwell_s, revisit_s, trials=20_000, seed=1):
    """Fraction of random emitters (random phase, period jittered by +-revisit) a watch overlaps."""
    rng = np.random.default_rng(seed)
    n_max = int(np.ceil((run_s + activity_s) / period_s)) + 2
    first = rng.uniform(-activity_s, period_s - activity_s, trials)  # phase of the first activity
    steps = period_s + rng.uniform(-revisit_s, revisit_s, (trials, n_max))
    steps[:, 0] = 0.0
    starts = first[:, None] + np.cumsum(steps, axis=1)
    ends = starts + activity_s
    in_run = (ends > 0) & (starts < run_s)
    phase = np.mod(starts, revisit_s)  # dwell [k*revisit, k*revisit + dwell)
    overlaps_dwell = (phase < dwell_s) | (phase + activity_s > revisit_s)
    return float(np.mean(np.any(in_run & overlaps_dwell, axis=1)))


@pytest.mark.parametrize(
    ("run_s", "period_s", "activity_s", "dwell_s", "revisit_s"),
    [
        (600, 61, 5, 2, 20),  # a sweep: short dwells, many activities
        (3600, 61, 1, 0.05, 10),
        (60, 600, 10, 0.2, 2),  # rarer than the run
        (1.0, 60, 5, 1.0, 1.0),  # a 1 s recording, continuous
        (300, 3240, 10, 0.012, 2.0),  # T3412 against a 2 s revisit
    ],
)
def test_matches_monte_carlo(run_s, period_s, activity_s, dwell_s, revisit_s):
    expected = _monte_carlo(run_s, period_s, activity_s, dwell_s, revisit_s)
    got = intercept_probability(run_s, period_s, activity_s, dwell_s=dwell_s, revisit_s=revisit_s)
    assert got == pytest.approx(expected, abs=0.02)


def test_continuous_watch_and_edges():
    assert intercept_probability(30, 60, 0) == pytest.approx(0.5)
    assert intercept_probability(120, 60, 1) == 1.0
    assert intercept_probability(0, 60, 1) == 0.0
    assert intercept_probability(10, 0, 1) == 0.0
    rows = intercept_table(60.0, dwell_s=0.01, revisit_s=2.0)
    assert [r["period_s"] for r in rows] == [b.period_s for b in TYPICAL_BEHAVIOURS]
    assert all(0 <= r["probability"] <= 1 for r in rows)
