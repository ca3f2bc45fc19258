"""Frequencies and rates as people type them: ``2.4M``, ``868M``, ``250k``, ``433.92 MHz``.

:func:`parse_hz` turns such text into hertz and :func:`format_hz` does the reverse
for display.  Both are used by every CLI option that takes a frequency or a rate.
:func:`format_offset_s` writes a time from the start of a recording for reports.
"""

from __future__ import annotations

import argparse
import math
import re

__all__ = ["format_hz", "format_offset_s", "hz_arg", "parse_hz"]

#: Multiplier of each SI prefix accepted after a number (case-insensitive, like rtl_sdr/rtl_433,
#: so ``m`` means mega: a milli-hertz radio frequency is never what was meant).
_PREFIX_SCALE: dict[str, float] = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9}

_HZ_RE = re.compile(
    r"""^\s*
    (?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)   # 2.4, 868, .5, 2.4e6
    \s*
    (?P<prefix>[kKmMgG]?)                                  # SI prefix
    (?P<unit>hz|sps|s/s|sa/s)?                               # optional unit
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)


def parse_hz(text: str | float | int) -> float:
    """Parse a frequency or sample rate such as ``"2.4M"``, ``"868 MHz"`` or ``"250k"``.

    Parameters
    ----------
    text : str or float or int
        A number with an optional SI prefix (``k``, ``M``, ``G``; case-insensitive) and an
        optional unit (``Hz``, ``sps``, ``S/s``).  Exponents (``2.4e6``) work too.  Numbers are
        returned unchanged (as float).

    Returns
    -------
    float
        The value in hertz (or samples per second).

    Raises
    ------
    ValueError
        If the text is not such a number or is not finite.
    """
    if isinstance(text, bool):
        raise ValueError(f"not a frequency: {text!r}")
    if isinstance(text, int | float):
        value = float(text)
    else:
        match = _HZ_RE.match(text)
        if match is None:
            raise ValueError(
                f"not a frequency or rate: {text!r} (write e.g. 2.4M, 868M, 250k, 433.92MHz or 2400000)"
            )
        value = float(match["num"]) * _PREFIX_SCALE[match["prefix"].lower()]
    if not math.isfinite(value):
        raise ValueError(f"not a finite frequency: {text!r}")
    return value


def format_hz(hz: float, unit: str = "Hz") -> str:
    """Format a frequency for humans: ``433.92 MHz``, ``250 kHz``, ``2.4 MHz``.

    Parameters
    ----------
    hz : float
        Value in hertz.
    unit : str, default "Hz"
        Unit written after the prefix (``"sps"`` for sample rates, for instance).

    Returns
    -------
    str
        The value with the largest SI prefix that keeps it at or above 1, printed with
        up to nine significant digits and no trailing zeros.
    """
    if not math.isfinite(hz):
        return f"{hz} {unit}"
    magnitude = abs(hz)
    scale, prefix = 1.0, ""
    for step, name in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= step:
            scale, prefix = step, name
            break
    text = f"{hz / scale:.9g}"
    if "e" not in text and "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {prefix}{unit}"


def format_offset_s(seconds: float) -> str:
    """Format a time from the start of a recording for humans: ``1.234 s``.

    A burst from the first sample can be measured a few microseconds before it (its edge is
    estimated between frames): it reads ``0.000 s``, never ``-0.000 s``.
    """
    return f"{max(seconds, 0.0):.3f} s"


def hz_arg(text: str) -> float:
    """``type=`` for argparse options taking a frequency or rate (``--rate 2.4M``, ``--center 868M``).

    Raises
    ------
    argparse.ArgumentTypeError
        With the :func:`parse_hz` message, so argparse prints it as a usage error (exit 2).
    """
    try:
        return parse_hz(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
