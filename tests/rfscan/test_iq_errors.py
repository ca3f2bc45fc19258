"""Bad input: every failure is an InputError/MissingParameterError naming the file, on one line."""

from __future__ import annotations

import json
import logging
import tarfile

import numpy as np
import pytest

from rfscan.cli import main
from rfscan.errors import InputError, MissingParameterError
from rfscan.iq import Annotation, Capture, open_recording, write_sigmf

RATE = 1e6


def _rec(tmp_path, name="r", n=1000, datatype="cu8", **kw):
    x = (0.5 * np.exp(1j * np.arange(n) * 0.01)).astype(np.complex64)
    kw.setdefault("center_hz", 433.92e6)
    return write_sigmf(tmp_path / name, x, sample_rate_hz=RATE, datatype=datatype, **kw)


def _edit(meta, fn):
    doc = json.loads(meta.read_text())
    fn(doc)
    meta.write_text(json.dumps(doc))


def _fails(path, match, exc=InputError, **kw):
    with pytest.raises(exc, match=match) as info:
        open_recording(path, **kw)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


# -- truncated / inconsistent data ------------------------------------------------------------
def test_capture_beyond_data_is_truncation(tmp_path):
    meta = _rec(tmp_path, captures=[Capture(0, 1e9), Capture(900, 1.1e9)])
    with open(tmp_path / "r.sigmf-data", "r+b") as fh:
        fh.truncate(2 * 800)  # whole samples, but fewer than the captures need
    _edit(meta, lambda d: d["global"].pop("modemhunt:sample_count"))
    msg = _fails(meta, "capture 1 starts at sample 900 but the data holds only 800 samples", verify=False)
    assert msg.startswith("r.sigmf-meta")
    assert "truncated" in msg


def test_declared_sample_count_detects_truncation(tmp_path):
    meta = _rec(tmp_path)
    with open(tmp_path / "r.sigmf-data", "r+b") as fh:
        fh.truncate(2 * 999)
    _fails(meta, r"says 1000 samples .* holds 999: the data file is truncated", verify=False)


def test_sha512_mismatch_reported(tmp_path):
    meta = _rec(tmp_path)
    _edit(meta, lambda d: d["global"].pop("modemhunt:sample_count"))
    data = tmp_path / "r.sigmf-data"
    raw = bytearray(data.read_bytes())
    raw[500] ^= 0xFF
    data.write_bytes(bytes(raw))
    _fails(meta, r"r\.sigmf-data: SHA-512 of the data does not match core:sha512")  # small: checked on open
    with open_recording(meta, verify=False) as rec, pytest.raises(InputError, match="SHA-512"):
        rec.check_sha512()  # streamed check on demand
    assert main(["info", str(meta)]) == 3


def test_sha512_absent_is_fine(tmp_path):
    meta = _rec(tmp_path)
    _edit(meta, lambda d: d["global"].pop("core:sha512"))
    with open_recording(meta, verify=True) as rec:
        assert rec.check_sha512() is None


@pytest.mark.parametrize(
    ("datatype", "size", "per"), [("cu8", 1001, 2), ("cf32_le", 8 * 10 + 4, 8), ("ci16_le", 4 * 10 + 2, 4)]
)
def test_partial_sample_in_sigmf(tmp_path, datatype, size, per):
    meta = _rec(tmp_path, datatype=datatype)
    with open(tmp_path / "r.sigmf-data", "r+b") as fh:
        fh.truncate(size)
    msg = _fails(meta, "is not a whole number of", verify=False)
    assert f"r.sigmf-data: {size} bytes" in msg
    assert f"({per} bytes each)" in msg


def test_odd_byte_count_raw_cu8(tmp_path):
    path = tmp_path / "g_433.92M_250k.cu8"
    path.write_bytes(b"\x80" * 1001)
    _fails(path, r"g_433\.92M_250k\.cu8: 1001 bytes is not a whole number of cu8 samples")


def test_annotation_beyond_end_only_warns(tmp_path, caplog):
    meta = _rec(tmp_path, annotations=[Annotation(900, 500, label="late")])
    with caplog.at_level(logging.WARNING), open_recording(meta) as rec:
        assert rec.annotations[0].label == "late"
        assert any("ends at sample 1400" in w for w in rec.warnings)
    assert "after the end of the data" in caplog.text


# -- format and metadata problems -------------------------------------------------------------
@pytest.mark.parametrize("datatype", ["ri24_le", "cf32_lee", "\u00e9\u00e8garbage", "ru8"])
def test_unknown_datatype_in_meta(tmp_path, datatype):
    meta = _rec(tmp_path)
    _edit(meta, lambda d: d["global"].__setitem__("core:datatype", datatype))
    msg = _fails(meta, "unsupported sample format")
    assert msg.startswith("r.sigmf-meta")


def test_unknown_format_argument(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"\0" * 8)
    _fails(path, r"x\.bin: unsupported sample format 'ri24_le'", fmt="ri24_le")
    assert main(["info", str(path), "--format", "bogus"]) == 3


def test_missing_datatype(tmp_path):
    meta = _rec(tmp_path)
    _edit(meta, lambda d: d["global"].pop("core:datatype"))
    _fails(meta, 'add e.g. "core:datatype"', exc=MissingParameterError)
    with open_recording(meta, fmt="cu8") as rec:
        assert rec.datatype == "cu8"


def test_missing_sample_rate(tmp_path):
    meta = _rec(tmp_path)
    _edit(meta, lambda d: d["global"].pop("core:sample_rate"))
    _fails(
        meta,
        r'r\.sigmf-meta: core:sample_rate missing .* add "core:sample_rate": <Hz>',
        MissingParameterError,
    )
    with open_recording(meta, sample_rate_hz=2e6) as rec:
        assert rec.sample_rate_hz == 2e6


def test_missing_capture_frequency(tmp_path):
    meta = _rec(tmp_path)
    _edit(meta, lambda d: d["captures"][0].pop("core:frequency"))
    _fails(meta, r'capture 0 \(sample 0\) has no core:frequency: add "core:frequency"', MissingParameterError)
    with open_recording(meta, center_hz=915e6) as rec:
        assert rec.center_hz == 915e6
    _edit(meta, lambda d: d.__setitem__("captures", []))
    _fails(meta, "no captures", MissingParameterError)


def test_bad_sample_rate_value(tmp_path):
    meta = _rec(tmp_path)
    _edit(meta, lambda d: d["global"].__setitem__("core:sample_rate", -5))
    _fails(meta, "sample rate must be a positive number")


def test_unsorted_captures(tmp_path):
    meta = _rec(tmp_path, captures=[Capture(0, 1e9), Capture(500, 1.1e9)])
    _edit(meta, lambda d: d["captures"].reverse())
    _fails(meta, "not sorted")


def test_multichannel_refused(tmp_path):
    meta = _rec(tmp_path)
    _edit(meta, lambda d: d["global"].__setitem__("core:num_channels", 2))
    _fails(meta, "single-channel")


def test_nan_in_cf32_named_when_read(tmp_path):
    meta = _rec(tmp_path, n=3000, datatype="cf32_le")
    data = tmp_path / "r.sigmf-data"
    parts = np.fromfile(data, dtype="<f4")
    parts[2 * 2100 + 1] = np.nan  # Q of sample 2100
    parts[2 * 2500] = np.inf
    parts.tofile(data)
    with open_recording(meta, verify=False) as rec:
        blocks = rec.blocks(1000)
        assert next(blocks).sample_start == 0
        assert next(blocks).sample_start == 1000  # clean blocks still read
        with pytest.raises(InputError, match=r"r\.sigmf-data: sample 2100 is NaN or infinite"):
            next(blocks)
        with pytest.raises(InputError, match="sample 2500"):
            rec.read(2200, 800)
        assert np.isfinite(rec.read(0, 2100)).all()


def test_empty_data_file(tmp_path):
    meta = _rec(tmp_path)
    (tmp_path / "r.sigmf-data").write_bytes(b"")
    _fails(meta, r"r\.sigmf-data: data file is empty")
    raw = tmp_path / "e_433.92M_250k.cu8"
    raw.write_bytes(b"")
    _fails(raw, "empty")


def test_missing_data_file(tmp_path):
    meta = _rec(tmp_path)
    (tmp_path / "r.sigmf-data").unlink()
    _fails(meta, r"r\.sigmf-data: data file missing \(named by r\.sigmf-meta\)")


def test_missing_meta_next_to_data(tmp_path):
    _rec(tmp_path)
    (tmp_path / "r.sigmf-meta").unlink()
    _fails(tmp_path / "r.sigmf-data", "metadata missing next to r.sigmf-data")


def test_no_such_file(tmp_path):
    _fails(tmp_path / "nothing", "no such file")
    _fails(tmp_path / "nothing.sigmf-meta", "no such file")
    _fails(tmp_path / "nothing.sigmf", "no such file")
    assert main(["info", str(tmp_path / "nothing")]) == 3


def test_malformed_json(tmp_path, capsys):
    meta = _rec(tmp_path)
    meta.write_text('{"global": {"core:datatype": "cu8",,}')
    _fails(meta, r"r\.sigmf-meta: not SigMF metadata \(malformed JSON at line 1 column")
    assert main(["info", str(meta)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("rfscan: error: r.sigmf-meta: not SigMF metadata")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "content", [b"[1, 2, 3]", b'{"captures": []}', b'{"global": 5}', b"\x89PNG\r\n\x1a\n\x00\xff\xfe", b""]
)
def test_not_sigmf_metadata(tmp_path, content):
    meta = _rec(tmp_path)
    meta.write_bytes(content)
    _fails(meta, r"r\.sigmf-meta: not SigMF metadata")


def test_not_an_archive(tmp_path):
    path = tmp_path / "fake.sigmf"
    path.write_bytes(b"this is not a tar file at all" * 40)
    _fails(path, r"fake\.sigmf: not a SigMF archive")


def test_archive_without_meta(tmp_path):
    inner = tmp_path / "x.sigmf-data"
    inner.write_bytes(b"\0" * 100)
    path = tmp_path / "nometa.sigmf"
    with tarfile.open(path, "w") as tar:
        tar.add(inner, arcname="x/x.sigmf-data")
    _fails(path, r"nometa\.sigmf: no \.sigmf-meta file in the archive")


def test_compressed_archive_refused(tmp_path):
    path = tmp_path / "c.sigmf.gz"
    path.write_bytes(b"\x1f\x8b")
    _fails(path, "decompress")


def test_read_outside_recording(tmp_path):
    with open_recording(_rec(tmp_path)) as rec:
        with pytest.raises(InputError, match="holds 1000 samples"):
            rec.read(990, 20)
        with pytest.raises(InputError, match="outside"):
            list(rec.blocks(start=2000))
        with pytest.raises(IndexError):
            rec.capture_at(1000)
    rec.close()  # twice is fine
    with pytest.raises(ValueError, match="closed"):
        rec.read(0, 1)


def test_bad_annotation_in_meta(tmp_path):
    meta = _rec(tmp_path)
    _edit(
        meta, lambda d: d.__setitem__("annotations", [{"core:sample_start": 5, "core:freq_lower_edge": 1.0}])
    )
    _fails(meta, r"annotation 0 is invalid: .*both")
    _edit(meta, lambda d: d.__setitem__("annotations", [{"core:label": "no start"}]))
    _fails(meta, "annotation 0 has no valid core:sample_start")


def test_data_path_is_a_directory(tmp_path):
    meta = _rec(tmp_path)
    (tmp_path / "r.sigmf-data").unlink()
    (tmp_path / "r.sigmf-data").mkdir()
    _fails(meta, "not a regular file")


def test_huge_meta_refused_without_reading(tmp_path):
    meta = _rec(tmp_path)
    with open(meta, "r+b") as fh:
        fh.truncate(300 * 2**20)  # sparse: the size alone gives it away
    _fails(meta, "far too large for SigMF metadata")


def test_writer_creates_missing_folders_but_not_through_a_file(tmp_path):
    from rfscan.iq import SigMFWriter

    with SigMFWriter(tmp_path / "new" / "dir" / "x", sample_rate_hz=RATE, center_hz=1e9) as w:
        w.write(np.zeros(16, np.complex64))
    assert (tmp_path / "new" / "dir" / "x.sigmf-meta").exists()
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(InputError, match="cannot create"):
        SigMFWriter(tmp_path / "file" / "x", sample_rate_hz=RATE, center_hz=1e9)


def test_add_annotations_to_archive_or_missing(tmp_path):
    from rfscan.iq import add_annotations

    with pytest.raises(InputError, match="archive"):
        add_annotations(tmp_path / "x.sigmf", [Annotation(0, 1)])
    with pytest.raises(InputError, match="not a SigMF recording"):
        add_annotations(tmp_path / "nothing", [Annotation(0, 1)])
    meta = _rec(tmp_path)
    meta.write_text("{broken")
    with pytest.raises(InputError, match="malformed JSON"):
        add_annotations(meta, [Annotation(0, 1)])


@pytest.mark.parametrize(
    ("rate", "center", "message"),
    [(2.4e6, -5.0, "centre frequency"), (2.4e6, 1e30, "centre frequency"), (-1.0, 847e6, "sample rate")],
)
def test_impossible_rate_or_centre_is_refused_up_front(tmp_path, rate, center, message):
    raw = tmp_path / "x.cu8"
    raw.write_bytes(bytes(64))
    with pytest.raises(InputError, match=message):
        open_recording(raw, sample_rate_hz=rate, center_hz=center)
