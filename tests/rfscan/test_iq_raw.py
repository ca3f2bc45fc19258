"""Raw IQ files: name conventions (rtl_433, gqrx, URH, rtl_sdr), overrides, 4 GB streaming."""

from __future__ import annotations

import os
import tracemalloc

import numpy as np
import pytest

from rfscan.cli import main
from rfscan.errors import MissingParameterError
from rfscan.iq import from_complex64, infer_raw_params, open_recording


@pytest.mark.parametrize(
    ("name", "datatype", "rate", "center"),
    [
        # rtl_433: number+M = MHz centre, number+k = kHz rate (src/fileformat.c)
        ("g001_433.92M_250k.cu8", "cu8", 250e3, 433.92e6),
        ("g002_868.3M_1000k.cs16", "ci16_le", 1e6, 868.3e6),
        ("capture_915M_2400k.cf32", "cf32_le", 2.4e6, 915e6),
        ("hackrf_2.45GHz_8Msps.cs8", "ci8", 8e6, 2.45e9),
        ("x_433920000Hz_250000sps.cu8", "cu8", 250e3, 433.92e6),
        # gqrx I/Q recorder: freq then rate, complex float32
        ("gqrx_20240101_120000_144800000_1800000_fc.raw", "cf32_le", 1.8e6, 144.8e6),
        # plain extensions: only the format
        ("plain.cu8", "cu8", None, None),
        ("plain.cs8", "ci8", None, None),
        ("plain.cs16", "ci16_le", None, None),
        ("plain.cf32", "cf32_le", None, None),
        ("urh.complex16u", "cu8", None, None),
        ("urh.complex16s", "ci8", None, None),
        ("urh.complex", "cf32_le", None, None),
        # rtl_sdr output: the name says nothing
        ("rtl_sdr_dump.bin", None, None, None),
        ("g001_433.92M_250k.bin", None, 250e3, 433.92e6),
    ],
)
def test_name_conventions(name, datatype, rate, center):
    params = infer_raw_params(name)
    assert (params.datatype, params.sample_rate_hz, params.center_hz) == (datatype, rate, center)
    assert params.source


def test_sources_named():
    assert infer_raw_params("gqrx_20240101_120000_1_2_fc.raw").source.startswith("gqrx")
    assert infer_raw_params("g001_433.92M_250k.cu8").source.startswith("rtl_433")
    assert infer_raw_params("a.cu8").source == "extension .cu8"
    assert infer_raw_params("a.dat").source == "no known convention"


def test_letters_swallow_digits_like_rtl_433():
    # "g001" is a word, not the number 1 with unit "g"; a bare number has no unit and is ignored.
    params = infer_raw_params("g001_2024_433.92M.cu8")
    assert params.center_hz == 433.92e6
    assert params.sample_rate_hz is None


def _write_raw(path, x, datatype):
    from_complex64(x, datatype).tofile(path)


@pytest.mark.parametrize(
    ("name", "datatype"),
    [("g001_433.92M_250k.cu8", "cu8"), ("s_868M_1000k.cs8", "ci8"), ("t_1000M_2000k.cs16", "ci16_le")],
)
def test_raw_read_uses_name(tmp_path, name, datatype):
    x = (0.5 * np.exp(1j * np.linspace(0, 20, 3000))).astype(np.complex64)
    _write_raw(tmp_path / name, x, datatype)
    with open_recording(tmp_path / name) as rec:
        assert rec.kind == "raw"
        assert rec.datatype == datatype
        assert rec.num_samples == 3000
        assert rec.global_info == {}
        assert rec.annotations == ()
        np.testing.assert_allclose(rec.read(0, 3000), x, atol=1 / 120)


def test_gqrx_raw(tmp_path):
    x = np.arange(100, dtype=np.float32).view(np.complex64)
    name = tmp_path / "gqrx_20240101_120000_144800000_1800000_fc.raw"
    x.tofile(name)
    with open_recording(name) as rec:
        assert (rec.datatype, rec.sample_rate_hz, rec.center_hz) == ("cf32_le", 1.8e6, 144.8e6)
        np.testing.assert_array_equal(rec.read(0, 50), x)


def test_explicit_arguments_override_the_name(tmp_path):
    path = tmp_path / "g001_433.92M_250k.cu8"
    np.zeros(400, np.uint8).tofile(path)
    with open_recording(path, fmt="cs16", sample_rate_hz=1e6, center_hz=868e6) as rec:
        assert (rec.datatype, rec.sample_rate_hz, rec.center_hz, rec.num_samples) == (
            "ci16_le",
            1e6,
            868e6,
            100,
        )
        assert rec.source == "command line"


def test_bin_needs_format(tmp_path):
    path = tmp_path / "dump.bin"
    np.zeros(400, np.uint8).tofile(path)
    with pytest.raises(MissingParameterError, match=r"dump\.bin: sample format and sample rate and centre"):
        open_recording(path)
    with pytest.raises(MissingParameterError, match="cu8"):
        open_recording(path)
    with open_recording(path, fmt="cu8", sample_rate_hz=2.4e6, center_hz=1e9) as rec:
        assert rec.num_samples == 200


def test_missing_rate_message_says_what_to_give(tmp_path):
    path = tmp_path / "capture.cu8"
    np.zeros(400, np.uint8).tofile(path)
    with pytest.raises(MissingParameterError) as exc:
        open_recording(path)
    msg = str(exc.value)
    assert msg.startswith("capture.cu8: sample rate and centre frequency unknown: give --rate HZ --center HZ")
    assert "convention" in msg
    assert "\n" not in msg
    with pytest.raises(MissingParameterError, match="centre frequency unknown: give --center HZ"):
        open_recording(path, sample_rate_hz=2.4e6)


def test_cli_info_on_raw(tmp_path, capsys):
    path = tmp_path / "capture.cu8"
    np.full(4800, 200, np.uint8).tofile(path)
    assert main(["info", str(path)]) == 3
    assert "--rate" in capsys.readouterr().err
    assert main(["info", str(path), "--rate", "2.4M", "--center", "868M"]) == 0
    out = capsys.readouterr().out
    assert "868 MHz" in out
    assert "2.4 MS/s" in out
    assert "samples:      2400 (" in out
    with pytest.raises(SystemExit) as exc:
        main(["info", str(path), "--rate", "fast"])
    assert exc.value.code == 2


def test_sparse_4gb_file_reads_with_flat_memory(tmp_path):
    path = tmp_path / "huge_868M_2400k.cu8"
    size = 4 * 2**30  # 4 GiB, sparse: costs no disk
    with open(path, "wb") as fh:
        fh.truncate(size)
        # A marker past the 2**31 and 2**32-2**20 byte marks proves 64-bit offsets.
        fh.seek(size - 2**20)
        fh.write(bytes([255, 0, 0, 255]))
    if os.stat(path).st_blocks * 512 > 64 * 2**20:
        pytest.skip("filesystem does not support sparse files")
    with open_recording(path) as rec:
        assert rec.num_samples == size // 2
        tail = rec.num_samples - 2**19
        tracemalloc.start()
        n_read = 0
        for start in (0, rec.num_samples // 2, tail - 10 * 262144):
            for block in rec.blocks(start=start, count=10 * 262144):
                n_read += block.samples.size
                assert block.samples[0] == -1 - 1j  # zero bytes are the most negative cu8 value
        for block in rec.blocks(start=tail, count=4):
            np.testing.assert_allclose(block.samples[:2], [1 - 1j, -1 + 1j])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert n_read == 30 * 262144
        assert peak < 16 * 2**20  # a couple of 2 MB blocks, not the 4 GB file or 32 GB of complex64
        np.testing.assert_allclose(rec.read(tail, 2), [1 - 1j, -1 + 1j])


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_sequential_read_keeps_resident_memory_flat(tmp_path):
    # Mapped pages of a file read front to back would otherwise stay resident until close.
    path = tmp_path / "seq_868M_2400k.cu8"
    size = 160 * 2**20
    with open(path, "wb") as fh:
        fh.truncate(size)
    with open_recording(path) as rec:
        before = _rss_mb()
        peak = before
        total = 0
        for block in rec.blocks(1 << 20):
            total += block.samples.size
            peak = max(peak, _rss_mb())
        assert total == size // 2
    assert peak - before < 48  # two 8 MB blocks and change, not the 160 MB mapped
