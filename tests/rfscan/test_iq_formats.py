"""Sample formats: scaling conventions, quantisation bounds, clipping, aliases."""

from __future__ import annotations

import numpy as np
import pytest

from rfscan.errors import InputError
from rfscan.iq import DATATYPES, bytes_per_sample, from_complex64, normalize_datatype, to_complex64

# Quantisation step of each format in full-scale units (half of it is the worst rounding error).
STEP = {"cu8": 1 / 127.5, "ci8": 1 / 128, "ci16_le": 1 / 32768, "cf32_le": 0.0}
STORED = {"cu8": np.uint8, "ci8": np.int8, "ci16_le": np.dtype("<i2"), "cf32_le": np.dtype("<f4")}


def _noise(n: int, seed: int = 7) -> np.ndarray:
    """Samples spread over the whole representable range (components in [-0.99, 0.99])."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(-0.99, 0.99, n) + 1j * rng.uniform(-0.99, 0.99, n)).astype(np.complex64)


def test_rtl_sdr_cu8_convention():
    raw = np.array([0, 255, 127, 128, 255, 0], dtype=np.uint8)
    x = to_complex64(raw, "cu8")
    assert x.dtype == np.complex64
    np.testing.assert_allclose(x, [-1 + 1j, (-0.5 + 0.5j) / 127.5, 1 - 1j], rtol=0, atol=1e-7)


def test_signed_conventions():
    np.testing.assert_allclose(to_complex64(np.array([-128, 64], np.int8), "ci8"), [-1 + 0.5j])
    np.testing.assert_allclose(to_complex64(np.array([-32768, 16384], "<i2"), "ci16_le"), [-1 + 0.5j])
    np.testing.assert_array_equal(to_complex64(np.array([0.25, -3.0], "<f4"), "cf32_le"), [0.25 - 3j])


@pytest.mark.parametrize("datatype", DATATYPES)
def test_round_trip_within_quantisation(datatype):
    x = _noise(4096)
    raw = from_complex64(x, datatype)
    assert raw.dtype == STORED[datatype]
    assert raw.shape == (2 * x.size,)
    assert raw.nbytes == x.size * bytes_per_sample(datatype)
    y = to_complex64(raw, datatype)
    err = np.maximum(np.abs(y.real - x.real), np.abs(y.imag - x.imag))
    assert err.max() <= STEP[datatype] / 2 + 1e-6


@pytest.mark.parametrize("datatype", ["cu8", "ci8", "ci16_le"])
def test_integer_formats_saturate_instead_of_wrapping(datatype):
    x = np.array([2 + 2j, -2 - 2j, 1.0 - 1.0j], dtype=np.complex64)
    y = to_complex64(from_complex64(x, datatype), datatype)
    # Overshoot clips to full scale with the right sign (never wraps to the other side).
    assert y[0].real > 0.99
    assert y[0].imag > 0.99
    assert y[1].real <= -0.99
    assert y[1].imag <= -0.99
    assert abs(y[2] - x[2]) < 0.02


@pytest.mark.parametrize(
    ("alias", "datatype"),
    [
        ("cu8", "cu8"),
        ("cs8", "ci8"),
        ("cs16", "ci16_le"),
        ("cf32", "cf32_le"),
        ("CF32_LE", "cf32_le"),
        ("complex16u", "cu8"),
        ("complex16s", "ci8"),
        ("complex", "cf32_le"),
        ("ci16", "ci16_le"),
    ],
)
def test_aliases(alias, datatype):
    assert normalize_datatype(alias) == datatype


@pytest.mark.parametrize("name", ["ri24_le", "cu16_le", "cf64_le", "\x00garbled\xff", "", "cf32_be"])
def test_unknown_datatype(name):
    with pytest.raises(InputError, match="unsupported sample format"):
        normalize_datatype(name)
    with pytest.raises(InputError):
        to_complex64(np.zeros(4, np.uint8), name)


def test_odd_component_count_rejected():
    with pytest.raises(InputError, match="whole I/Q"):
        to_complex64(np.zeros(3, np.uint8), "cu8")


def test_from_complex64_rejects_nan():
    x = np.array([0, 1j, np.nan, 0], dtype=np.complex64)
    with pytest.raises(InputError, match="sample 2"):
        from_complex64(x, "cu8")


def test_conversion_does_not_keep_memmap(tmp_path):
    f = tmp_path / "x.cu8"
    np.arange(64, dtype=np.uint8).tofile(f)
    mm = np.memmap(f, dtype=np.uint8, mode="r")
    x = to_complex64(mm[:16], "cu8")
    assert not isinstance(x, np.memmap)
    assert x.base is None or not isinstance(x.base, np.memmap)


def test_extreme_values_saturate_quietly():
    x = np.array([3e38 + 3e38j, -3e38 - 3e38j], dtype=np.complex64)
    with np.errstate(all="raise"):
        for datatype in ("cu8", "ci8", "ci16_le"):
            y = to_complex64(from_complex64(x, datatype), datatype)
            assert y[0].real > 0.99
            assert y[1].real <= -0.99


@pytest.mark.parametrize("datatype", ["cu8", "ci8"])
def test_large_8bit_blocks_match_the_per_component_formula(datatype):
    # Every (I, Q) byte pair once, against the documented scaling of each component
    # (cu8: (v - 127.5) / 127.5; ci8: v / 128).
    raw = np.arange(1 << 16, dtype=np.uint16).view(np.uint8).copy()
    stored = raw if datatype == "cu8" else raw.view(np.int8)
    comp = stored.astype(np.float64)
    ref = (comp - 127.5) / 127.5 if datatype == "cu8" else comp / 128.0
    got = to_complex64(stored, datatype)
    assert got.dtype == np.complex64
    assert got.size == 1 << 16
    np.testing.assert_allclose(got.view(np.float32), ref, rtol=0, atol=1e-7)
    got[:] = 0  # a new array each time, never a view of shared memory
    np.testing.assert_allclose(to_complex64(stored, datatype).view(np.float32), ref, rtol=0, atol=1e-7)
