"""parse_hz / format_hz: the way people write frequencies and rates."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfscan.units import format_hz, hz_arg, parse_hz


@pytest.mark.parametrize(
    ("text", "hz"),
    [
        ("2.4M", 2.4e6),
        ("868M", 868e6),
        ("250k", 250e3),
        ("250K", 250e3),
        ("433.92MHz", 433.92e6),
        ("433.92 MHz", 433.92e6),
        ("1.5G", 1.5e9),
        ("1.8GHz", 1.8e9),
        ("2400000", 2.4e6),
        ("2.4e6", 2.4e6),
        ("2048ksps", 2.048e6),
        ("2.4Msps", 2.4e6),
        ("2.4MS/s", 2.4e6),
        ("100Hz", 100.0),
        (" 915m ", 915e6),  # rtl_433/rtl_sdr read m as mega: milli-hertz is never meant
        ("-200k", -200e3),
        (".5M", 0.5e6),
    ],
)
def test_parse_hz_accepts_common_spellings(text, hz):
    assert parse_hz(text) == pytest.approx(hz, rel=1e-12)


def test_parse_hz_passes_numbers_through():
    assert parse_hz(2_400_000) == 2.4e6
    assert parse_hz(868e6) == 868e6


@pytest.mark.parametrize("text", ["", "M", "abc", "2.4X", "2.4 M Hz x", "1e999", "nan", "inf", "1,5M"])
def test_parse_hz_rejects_garbage(text):
    with pytest.raises(ValueError, match="frequency"):
        parse_hz(text)


def test_parse_hz_rejects_bool():
    with pytest.raises(ValueError, match="not a frequency"):
        parse_hz(True)


@pytest.mark.parametrize(
    ("hz", "text"),
    [
        (433.92e6, "433.92 MHz"),
        (2.4e6, "2.4 MHz"),
        (868e6, "868 MHz"),
        (250e3, "250 kHz"),
        (1.5e9, "1.5 GHz"),
        (12.0, "12 Hz"),
        (0.0, "0 Hz"),
        (-200e3, "-200 kHz"),
        (433_920_001.0, "433.920001 MHz"),
    ],
)
def test_format_hz(hz, text):
    assert format_hz(hz) == text


def test_format_hz_other_unit():
    assert format_hz(2.048e6, "sps") == "2.048 Msps"


@given(st.floats(min_value=1.0, max_value=6e9, allow_nan=False))
def test_format_then_parse_round_trips(hz):
    text = format_hz(hz).replace(" ", "")
    assert math.isclose(parse_hz(text), hz, rel_tol=1e-8)


def test_hz_arg_for_argparse():
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=hz_arg)
    assert parser.parse_args(["--rate", "2.4M"]).rate == 2.4e6
    with pytest.raises(argparse.ArgumentTypeError, match="not a frequency"):
        hz_arg("fast")


def test_format_offset_s_never_prints_minus_zero() -> None:
    from rfscan.units import format_offset_s

    assert format_offset_s(1.2344) == "1.234 s"
    assert format_offset_s(-8.3e-7) == "0.000 s"  # a burst edge estimated just before the first sample
    assert format_offset_s(0.0) == "0.000 s"
