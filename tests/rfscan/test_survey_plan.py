"""Hop plan: tiling with overlap, DC between GSM carriers, unreachable bands stated, revisit <= 2 s."""

from __future__ import annotations

import numpy as np
import pytest

from rfscan.bands import freq_from_arfcn, load_band_plan
from rfscan.errors import InputError
from rfscan.sources import DEFAULT_SETTLE_S, tuner_by_name
from rfscan.survey.plan import (
    MIN_DWELL_S,
    RequestedSpan,
    choose_dwell_s,
    parse_range,
    plan_hops,
    resolve_spans,
)

FS = 2.4e6
R820T = tuner_by_name("R820T")


def _plan(spec: str, region: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
    spans, region = resolve_spans(spec, region)
    return spans, plan_hops(spans, FS, tuner_ranges_hz=R820T.ranges_hz, tuner=R820T.name, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("spec", ["uplink-eu", "uplink-us", "B20,GSM900"])
def test_every_reachable_frequency_is_owned_by_one_hop_inside_its_usable_window(spec: str) -> None:
    spans, plan = _plan(spec)
    lo_t, hi_t = R820T.tuning_range_hz
    for sp in spans:
        lo, hi = max(sp.low_hz, lo_t), min(sp.high_hz, hi_t)
        if hi <= lo:
            continue
        f = np.arange(lo, hi, 7e3)
        owners = np.zeros(f.size, dtype=int)
        for h in plan.hops:
            mine = (f >= h.low_hz) & (f < h.high_hz)
            owners += mine
            # what a hop owns lies inside its usable (roll-off cropped) window
            assert np.all(f[mine] >= h.usable_low_hz - 1e-6)
            assert np.all(f[mine] <= h.usable_high_hz + 1e-6)
        assert np.all(owners == 1), f"{sp.name}: frequencies owned by {set(owners.tolist())} hops"


def test_neighbouring_windows_overlap_and_roll_off_is_cropped() -> None:
    _, plan = _plan("uplink-eu")
    assert plan.usable_hz <= 0.85 * FS
    for a, b in zip(plan.hops, plan.hops[1:], strict=False):
        if b.center_hz - a.center_hz == plan.step_hz:  # same contiguous segment
            assert a.usable_high_hz - b.usable_low_hz >= 50e3


def test_dc_falls_between_gsm_carriers() -> None:
    """Every centre is >= 100 kHz from every GSM uplink carrier (ARFCN raster 200 kHz)."""
    _, plan = _plan("GSM900,GSM850,DCS1800", "eu")
    carriers = np.array(
        [freq_from_arfcn(n, "E-GSM900", "uplink") for n in [*range(0, 125), *range(975, 1024)]]
        + [freq_from_arfcn(n, "GSM850", "uplink") for n in range(128, 252)]
        + [freq_from_arfcn(n, "DCS1800", "uplink") for n in range(512, 886)]
    )
    centres = np.array([h.center_hz for h in plan.hops])
    nearest = np.min(np.abs(centres[:, None] - carriers[None, :]), axis=1)
    assert np.all(nearest >= 100e3 - 1.0)
    assert np.all(
        np.isclose(np.mod(centres - 100e3, 200e3), 0.0, atol=1.0)
        | np.isclose(np.mod(centres - 100e3, 200e3), 200e3, atol=1.0)
    )
    # the detector's DC notch stays clear of the carriers' cores (+-50 kHz)
    assert plan.dc_notch_hz < 100e3 - 45e3 + 1e3


def test_unreachable_bands_are_stated() -> None:
    _, plan = _plan("uplink-eu")
    names = {u.name for u in plan.unreachable}
    assert {"B1", "B7"} <= names
    b3 = [u for u in plan.unreachable if u.name == "B3"]
    assert b3
    assert b3[0].low_hz == pytest.approx(R820T.tuning_range_hz[1])
    assert b3[0].high_hz == 1785e6
    assert all(h.center_hz <= R820T.tuning_range_hz[1] for h in plan.hops)
    doc = plan.to_dict()
    assert any(u["band"] == "B1" for u in doc["unreachable"])
    # the US plan: PCS/B2/B25 above the tuner
    _, us = _plan("uplink-us")
    assert {"B2", "B25", "PCS1900"} <= {u.name for u in us.unreachable}


@pytest.mark.parametrize("spec", ["uplink-eu", "uplink-us"])
def test_revisit_of_a_whole_region_is_within_two_seconds_at_2_4_msps(spec: str) -> None:
    """With the default 10 ms settle (rtl_power-like) one dongle revisits every hop in <= 2 s."""
    _, plan = _plan(spec, settle_s=DEFAULT_SETTLE_S)
    assert plan.dwell_s >= MIN_DWELL_S
    real_hop_s = DEFAULT_SETTLE_S + plan.dwell_samples / FS
    assert len(plan.hops) * real_hop_s <= 2.0
    assert plan.revisit_s() <= 2.0 + 1e-9
    assert not plan.notes


def test_slow_retune_is_reported_and_more_dongles_help() -> None:
    spans, _ = resolve_spans("uplink-eu", None)
    slow = plan_hops(spans, FS, settle_s=0.080)
    assert slow.dwell_s == MIN_DWELL_S
    assert slow.revisit_s() > 2.0
    assert slow.notes
    split = plan_hops(spans, FS, settle_s=0.080, sources=5)
    assert split.revisit_s(5) <= 2.0
    shares = split.split(5)
    assert sum(len(s) for s in shares) == len(split.hops)
    assert max(len(s) for s in shares) - min(len(s) for s in shares) <= 1


def test_rtl_tcp_hops_take_whole_transfers_and_the_dwell_fills_the_rest() -> None:
    # Over rtl_tcp the next dwell starts at a transfer boundary (262144 bytes = 54.6 ms at 2.4 MS/s):
    # a hop costs a whole transfer, so the dwell gets what the settle time and margin leave of it.
    spans, _ = resolve_spans("uplink-eu", None)
    transfer_s = 262144 / 2 / FS
    plan = plan_hops(spans, FS, settle_s=0.036, hop_quantum_s=transfer_s)
    assert plan.dwell_s == pytest.approx(transfer_s - 0.036)
    assert plan.hop_s == pytest.approx(transfer_s)
    assert plan.revisit_s() == pytest.approx(len(plan.hops) * transfer_s)
    assert plan.to_dict()["hop_quantum_s"] == transfer_s
    # A plan that one transfer per hop keeps within 2 s is not pushed to two by the rounding
    # (32 hops x 54.6 ms = 1.75 s), and a short one gets two transfers (10 x 109 ms = 1.1 s).
    small = plan_hops(
        [RequestedSpan("range", "any", 700e6, 757e6)], FS, settle_s=0.036, hop_quantum_s=transfer_s
    )
    assert small.hop_s == pytest.approx(transfer_s)
    assert small.revisit_s() <= 2.0
    tiny = plan_hops(
        [RequestedSpan("range", "any", 700e6, 717e6)], FS, settle_s=0.036, hop_quantum_s=transfer_s
    )
    assert tiny.hop_s == pytest.approx(2 * transfer_s)
    assert tiny.revisit_s() <= 2.0
    # An explicit dwell is kept; the hop rounds up to two transfers.
    longer = plan_hops(spans, FS, settle_s=0.036, hop_quantum_s=transfer_s, dwell_s=0.03)
    assert longer.dwell_s == 0.03
    assert longer.hop_s == pytest.approx(2 * transfer_s)


def test_dwell_choice_bounds() -> None:
    assert choose_dwell_s(10, 0.01) == 0.05
    assert choose_dwell_s(1000, 0.01) == MIN_DWELL_S
    assert choose_dwell_s(91, 0.01) == pytest.approx(2.0 / 91 - 0.01)


def test_range_and_errors() -> None:
    assert parse_range("700M:960M") == (700e6, 960e6)
    with pytest.raises(InputError):
        parse_range("960M:700M")
    with pytest.raises(InputError):
        plan_hops([RequestedSpan("B7", "uplink", 2500e6, 2570e6)], FS)
    with pytest.raises(InputError):
        resolve_spans("B32", "eu")  # supplemental downlink: no uplink
    spans, region = resolve_spans("uplink-us", None)
    assert region == "us"
    assert all(s.link == "uplink" for s in spans)
    plan_data = load_band_plan()
    assert all(plan_data.band(s.name).kind == "cellular" for s in spans)
