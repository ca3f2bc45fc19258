"""Guess the format, sample rate and centre frequency of a headerless IQ file from its name.

Conventions recognised (checked against the tools' sources):

* gqrx I/Q recorder: ``gqrx_YYYYMMDD_HHMMSS_<freq>_<rate>_fc.raw``, complex float32
  (gqrx-sdr/gqrx ``src/qtgui/iq_tool.cpp``, ``CIqTool::sampleRateFromFileName`` documents the
  pattern ``gqrx_yymmdd_hhmmss_freq_samprate_fc.raw`` and reads the rate from field 4).
* rtl_433 sample files such as ``g001_433.92M_250k.cu8``: a number followed by ``M`` is the
  centre frequency in MHz, by ``k`` the sample rate in kHz; ``Hz``/``kHz``/``MHz``/``GHz`` and
  ``sps``/``ksps``/``Msps`` suffixes also work, all case-insensitive; the extension
  (``.cu8``, ``.cs8``, ``.cs16``, ``.cf32``) gives the format
  (merbanan/rtl_433 ``src/fileformat.c``, ``parse_file_info`` / ``file_type``).
* Universal Radio Hacker extensions ``.complex16u`` (uint8 pairs), ``.complex16s`` (int8 pairs)
  and ``.complex`` (float32 pairs) (jopohl/urh ``src/urh/util/FileOperator.py``,
  ``SIGNAL_FILE_EXTENSIONS_BY_TYPE``).
* rtl_sdr writes raw unsigned 8-bit I/Q with whatever name it is given, often ``.bin``: such
  names say nothing, so ``.bin`` (and other unknown extensions) need ``--format``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EXTENSION_DATATYPES", "RawParams", "infer_raw_params"]

#: Datatype implied by a file extension (lower case, with the dot).
EXTENSION_DATATYPES: dict[str, str] = {
    ".cu8": "cu8",
    ".cs8": "ci8",
    ".cs16": "ci16_le",
    ".cf32": "cf32_le",
    ".complex16u": "cu8",
    ".complex16s": "ci8",
    ".complex": "cf32_le",
}

_GQRX_RE = re.compile(r"^gqrx_(\d{8})_(\d{6})_(\d+)_(\d+)_fc\.raw$", re.IGNORECASE)

# rtl_433 scans the name left to right: a run starting with a letter is a type word (it swallows
# the digits after it, so "g001" is no number); a number may carry a unit made of letters.
_TOKEN_RE = re.compile(r"[A-Za-z][0-9A-Za-z]*|(\d+(?:\.\d+)?)([A-Za-z]*)")
_SI = {"k": 1e3, "m": 1e6, "g": 1e9}


@dataclass(frozen=True)
class RawParams:
    """What a raw file's name says about its contents.

    Parameters
    ----------
    datatype : str or None
        SigMF datatype, if the name implies one.
    sample_rate_hz : float or None
        Sample rate, if the name carries one.
    center_hz : float or None
        Centre frequency, if the name carries one.
    source : str
        Which convention matched, for messages (``"gqrx file name"``, ``"rtl_433 file name"``,
        ``"extension .cu8"`` or ``"no known convention"``).
    """

    datatype: str | None
    sample_rate_hz: float | None
    center_hz: float | None
    source: str


def _rtl433_numbers(stem: str) -> tuple[float | None, float | None]:
    """Centre frequency and sample rate found in a name by rtl_433's rules."""
    center_hz: float | None = None
    rate_hz: float | None = None
    for match in _TOKEN_RE.finditer(stem):
        number, unit = match.group(1), match.group(2)
        if number is None or not unit:
            continue
        value = float(number)
        u = unit.lower()
        if u == "m":
            center_hz = value * 1e6
        elif u == "k":
            rate_hz = value * 1e3
        elif u == "hz":
            center_hz = value
        elif u == "sps":
            rate_hz = value
        elif len(u) == 3 and u[1:] == "hz" and u[0] in _SI:
            center_hz = value * _SI[u[0]]
        elif len(u) == 4 and u[1:] == "sps" and u[0] in _SI:
            rate_hz = value * _SI[u[0]]
    return center_hz, rate_hz


def infer_raw_params(path: str | os.PathLike[str]) -> RawParams:
    """Infer format, sample rate and centre frequency of a raw IQ file from its name.

    Parameters
    ----------
    path : str or path-like
        The raw file (it need not exist: only the name is looked at).

    Returns
    -------
    RawParams
        Each value is None when the name does not say it.
    """
    name = Path(path).name
    gqrx = _GQRX_RE.match(name)
    if gqrx is not None:
        return RawParams(
            datatype="cf32_le",
            sample_rate_hz=float(gqrx.group(4)),
            center_hz=float(gqrx.group(3)),
            source="gqrx file name (gqrx_YYYYMMDD_HHMMSS_<freq>_<rate>_fc.raw)",
        )
    suffix = Path(name).suffix.lower()
    datatype = EXTENSION_DATATYPES.get(suffix)
    stem = name[: -len(suffix)] if suffix else name
    center_hz, rate_hz = _rtl433_numbers(stem)
    if center_hz is not None or rate_hz is not None:
        source = "rtl_433 file name (e.g. g001_433.92M_250k.cu8)"
    elif datatype is not None:
        source = f"extension {suffix}"
    else:
        source = "no known convention"
    return RawParams(datatype=datatype, sample_rate_hz=rate_hz, center_hz=center_hz, source=source)
