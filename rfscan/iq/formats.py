"""Sample formats: SigMF datatype names, their aliases and the conversions to and from complex64.

Every supported format stores interleaved I/Q components.  The scaling follows the
conventions of the tools that produce the files:

* ``cu8`` (RTL-SDR, rtl_sdr, rtl_433 ``.cu8``): unsigned bytes centred on 127.5,
  ``x = (v - 127.5) / 127.5`` so that 0 maps to -1 and 255 to +1.
* ``ci8`` (HackRF ``.cs8``): signed bytes, ``x = v / 128``.
* ``ci16_le`` (``.cs16``): signed 16-bit little-endian, ``x = v / 32768``.
* ``cf32_le`` (``.cf32``, gqrx ``.raw``, GNU Radio complex): float32 as stored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rfscan.errors import InputError

__all__ = [
    "DATATYPES",
    "DATATYPE_ALIASES",
    "bytes_per_sample",
    "component_dtype",
    "first_nonfinite",
    "from_complex64",
    "normalize_datatype",
    "to_complex64",
]

#: SigMF datatypes rfscan reads and writes.
DATATYPES: tuple[str, ...] = ("cu8", "ci8", "ci16_le", "cf32_le")

#: Other spellings accepted wherever a format is given (rtl_433 / URH file extensions, short forms).
DATATYPE_ALIASES: dict[str, str] = {
    "cu8": "cu8",
    "rtl": "cu8",
    "rtl_sdr": "cu8",
    "complex16u": "cu8",
    "ci8": "ci8",
    "cs8": "ci8",
    "complex16s": "ci8",
    "ci16_le": "ci16_le",
    "ci16": "ci16_le",
    "cs16": "ci16_le",
    "cs16_le": "ci16_le",
    "cf32_le": "cf32_le",
    "cf32": "cf32_le",
    "complex": "cf32_le",
    "fc32": "cf32_le",
}

_COMPONENT_DTYPES: dict[str, np.dtype[Any]] = {
    "cu8": np.dtype(np.uint8),
    "ci8": np.dtype(np.int8),
    "ci16_le": np.dtype("<i2"),
    "cf32_le": np.dtype("<f4"),
}

# Divisor mapping an integer component to [-1, 1] and the offset subtracted first.
_SCALE: dict[str, tuple[float, float]] = {
    "cu8": (127.5, 127.5),
    "ci8": (0.0, 128.0),
    "ci16_le": (0.0, 32768.0),
}
_LIMITS: dict[str, tuple[int, int]] = {"cu8": (0, 255), "ci8": (-128, 127), "ci16_le": (-32768, 32767)}


def normalize_datatype(name: str) -> str:
    """Return the SigMF datatype for a format name or alias.

    Parameters
    ----------
    name : str
        ``cu8``, ``ci8``, ``ci16_le``, ``cf32_le`` or an alias (``cs8``, ``cs16``, ``cf32``,
        ``complex16u``, ``complex16s``, ``complex``, ``rtl``); case-insensitive.

    Returns
    -------
    str
        One of :data:`DATATYPES`.

    Raises
    ------
    InputError
        If the name is not a supported format.
    """
    key = str(name).strip().lower()
    try:
        return DATATYPE_ALIASES[key]
    except KeyError:
        shown = repr(name) if len(str(name)) <= 40 else repr(str(name)[:40] + "...")
        raise InputError(
            f"unsupported sample format {shown}: use one of {', '.join(DATATYPES)} (aliases cs8, cs16, cf32)"
        ) from None


def component_dtype(datatype: str) -> np.dtype[Any]:
    """Numpy dtype of one stored component (I or Q) of ``datatype``."""
    return _COMPONENT_DTYPES[normalize_datatype(datatype)]


def bytes_per_sample(datatype: str) -> int:
    """Bytes one complex sample (I and Q) of ``datatype`` takes on disk."""
    return 2 * component_dtype(datatype).itemsize


def to_complex64(raw: NDArray[Any], datatype: str) -> NDArray[np.complex64]:
    """Convert interleaved stored components to complex64 samples.

    Parameters
    ----------
    raw : ndarray
        Interleaved I, Q, I, Q... components as stored (any integer or float dtype, typically a
        slice of a memmap of the component dtype); its length must be even.
    datatype : str
        Format of ``raw`` (a name of :data:`DATATYPES` or an alias).

    Returns
    -------
    ndarray of complex64
        ``len(raw) // 2`` samples scaled to about [-1, 1] (cf32 is returned as stored).  The
        result is a new array: it never keeps a reference to a memmap.

    Raises
    ------
    InputError
        If the format is unknown or ``raw`` has an odd number of components.
    """
    dt = normalize_datatype(datatype)
    flat = np.asarray(raw).reshape(-1)
    if flat.size % 2:
        raise InputError(f"{flat.size} components do not make whole I/Q samples")
    out = np.empty(flat.size // 2, dtype=np.complex64)
    parts = out.view(np.float32)
    if dt == "cf32_le":
        parts[...] = flat
        return out
    _scale_into(flat, dt, parts)
    return out


def _scale_into(components: NDArray[Any], dt: str, parts: NDArray[np.float32]) -> None:
    """``parts = (components - offset) / divisor`` of integer format ``dt``, in float32."""
    offset, divisor = _SCALE[dt]
    if offset:
        np.subtract(components, np.float32(offset), out=parts, dtype=np.float32)
        parts *= np.float32(1.0 / divisor)
    else:
        np.multiply(components, np.float32(1.0 / divisor), out=parts, dtype=np.float32)


def from_complex64(x: NDArray[Any], datatype: str) -> NDArray[Any]:
    """Convert complex samples to the interleaved stored form of ``datatype``.

    Integer formats are scaled (inverse of :func:`to_complex64`), rounded to the nearest
    integer and clipped to the integer range, so full-scale overshoot saturates instead of
    wrapping around.

    Parameters
    ----------
    x : ndarray
        Complex samples (converted to complex64 first).
    datatype : str
        Target format (a name of :data:`DATATYPES` or an alias).

    Returns
    -------
    ndarray
        ``2 * len(x)`` interleaved components of the component dtype (``uint8``, ``int8``,
        ``<i2`` or ``<f4``).

    Raises
    ------
    InputError
        If the format is unknown or ``x`` holds a NaN or an infinity.
    """
    dt = normalize_datatype(datatype)
    samples = np.ascontiguousarray(np.asarray(x, dtype=np.complex64).reshape(-1))
    parts = samples.view(np.float32)
    bad = first_nonfinite(samples)
    if bad is not None:
        raise InputError(f"sample {bad} is not a finite number (NaN or infinity); nothing written")
    if dt == "cf32_le":
        return parts.astype(_COMPONENT_DTYPES[dt], copy=True)
    offset, divisor = _SCALE[dt]
    lo, hi = _LIMITS[dt]
    with np.errstate(over="ignore"):  # |x| near float32 max: inf, then clipped to full scale
        scaled = parts * np.float32(divisor)
    if offset:
        scaled += np.float32(offset)
    np.rint(scaled, out=scaled)
    np.clip(scaled, lo, hi, out=scaled)
    return scaled.astype(_COMPONENT_DTYPES[dt])


def first_nonfinite(samples: NDArray[np.complex64]) -> int | None:
    """Index of the first sample whose I or Q is NaN or infinite, or None if all are finite."""
    parts = samples.view(np.float32)
    finite = np.isfinite(parts)
    if bool(finite.all()):
        return None
    return int(np.flatnonzero(~finite)[0]) // 2
