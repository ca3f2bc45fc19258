"""SigMF writing and reading: round trips, captures, archives, annotations, validation, CLI."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
import warnings

import numpy as np
import pytest
import sigmf
from hypothesis import given, settings
from hypothesis import strategies as st
from sigmf import schema, validate

from rfscan.cli import main
from rfscan.iq import (
    DATATYPES,
    Annotation,
    Capture,
    SigMFWriter,
    add_annotations,
    open_recording,
    write_sigmf,
)

STEP = {"cu8": 1 / 127.5, "ci8": 1 / 128, "ci16_le": 1 / 32768, "cf32_le": 0.0}
RATE = 2.4e6


def _tone(n: int, freq_hz: float, amplitude: float = 0.5, start: int = 0) -> np.ndarray:
    t = (np.arange(n) + start) / RATE
    return (amplitude * np.exp(2j * np.pi * freq_hz * t)).astype(np.complex64)


def _schema_valid(meta_path) -> None:
    meta = json.loads(meta_path.read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # undeclared extensions warn: they must be declared
        validate.validate(meta, schema.get_schema())


@pytest.mark.parametrize("datatype", DATATYPES)
def test_round_trip_every_datatype(tmp_path, datatype):
    x = _tone(10_000, 100e3, amplitude=0.9)
    meta = write_sigmf(tmp_path / "rec", x, sample_rate_hz=RATE, center_hz=850e6, datatype=datatype)
    assert meta == tmp_path / "rec.sigmf-meta"
    data = tmp_path / "rec.sigmf-data"
    assert data.stat().st_size == x.size * {"cu8": 2, "ci8": 2, "ci16_le": 4, "cf32_le": 8}[datatype]
    with open_recording(meta, verify=True) as rec:
        assert rec.datatype == datatype
        assert rec.num_samples == x.size
        assert rec.sample_rate_hz == RATE
        assert rec.center_hz == 850e6
        assert rec.duration_s == pytest.approx(x.size / RATE)
        y = rec.read(0, rec.num_samples)
    err = np.maximum(np.abs(y.real - x.real), np.abs(y.imag - x.imag))
    assert err.max() <= STEP[datatype] / 2 + 1e-6
    # What we write is valid SigMF the reference implementation opens and hashes the same.
    _schema_valid(meta)
    handle = sigmf.fromfile(str(meta))  # checks core:sha512 against the data
    assert handle.get_global_field("core:sha512") == hashlib.sha512(data.read_bytes()).hexdigest()
    assert handle.sample_count == x.size
    assert handle.get_global_field("core:recorder").startswith("modemhunt ")


def test_captures_split_blocks_at_retunes(tmp_path):
    # Three tuner positions; each segment holds a tone at a different offset.
    seg = [(0, 850e6, 5_000), (5_000, 860e6, 7_000), (12_000, 870e6, 3_000)]
    x = np.concatenate([_tone(n, 50e3 * (k + 1)) for k, (_, _, n) in enumerate(seg)])
    captures = [Capture(s, f, f"2026-01-01T00:00:0{k}Z") for k, (s, f, _) in enumerate(seg)]
    meta = write_sigmf(tmp_path / "scan", x, sample_rate_hz=RATE, captures=captures, datatype="cf32_le")
    with open_recording(tmp_path / "scan") as rec:  # base name
        assert rec.captures == tuple(captures)
        blocks = list(rec.blocks(2048))
        for b in blocks:
            cap = rec.capture_at(b.sample_start)
            assert b.center_hz == cap.center_hz
            assert rec.capture_at(b.sample_start + b.samples.size - 1) == cap  # never straddles
            assert b.sample_rate_hz == RATE
            assert b.time_s == pytest.approx(b.sample_start / RATE)
            np.testing.assert_array_equal(b.samples, x[b.sample_start : b.sample_start + b.samples.size])
        starts = [b.sample_start for b in blocks]
        assert 5_000 in starts
        assert 12_000 in starts
        assert sum(b.samples.size for b in blocks) == x.size
        assert [b.center_hz for b in blocks if b.sample_start in (0, 5_000, 12_000)] == [850e6, 860e6, 870e6]
        # Partial reads keep absolute indices.
        part = list(rec.blocks(1000, start=4_500, count=1_000))
        assert [(b.sample_start, b.samples.size, b.center_hz) for b in part] == [
            (4_500, 500, 850e6),
            (5_000, 500, 860e6),
        ]
        # read() crosses captures.
        np.testing.assert_array_equal(rec.read(4_990, 20), x[4_990:5_010])
    handle = sigmf.fromfile(str(meta))
    assert [c["core:frequency"] for c in handle.get_captures()] == [850e6, 860e6, 870e6]


def test_streaming_writer_retunes_and_stays_flat(tmp_path):
    chunk = _tone(262_144, 10e3)
    tracemalloc.start()
    with SigMFWriter(tmp_path / "stream", sample_rate_hz=RATE, center_hz=700e6, datatype="ci16_le") as w:
        for i in range(40):
            if i == 20:
                w.retune(710e6)
            w.write(chunk)
        _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    written = 40 * chunk.size * 4
    assert peak < 16 * 2**20 < written  # a few chunks' worth, not the 40 MB written
    with open_recording(w.meta_path, verify=True) as rec:
        assert rec.num_samples == 40 * chunk.size
        assert [(c.sample_start, c.center_hz) for c in rec.captures] == [(0, 700e6), (20 * chunk.size, 710e6)]


def test_writer_needs_a_centre_frequency(tmp_path):
    w = SigMFWriter(tmp_path / "nofreq", sample_rate_hz=RATE)
    with pytest.raises(ValueError, match="centre frequency"):
        w.write(_tone(10, 1e3))
    w.add_capture(Capture(0, 433.92e6))
    w.write(_tone(10, 1e3))
    assert w.close() == tmp_path / "nofreq.sigmf-meta"
    assert w.close() == tmp_path / "nofreq.sigmf-meta"  # twice is fine


def test_writer_aborts_on_exception(tmp_path):
    def crash() -> None:
        with SigMFWriter(tmp_path / "boom", sample_rate_hz=RATE, center_hz=1e9) as w:
            w.write(_tone(100, 1e3))
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        crash()
    assert not (tmp_path / "boom.sigmf-data").exists()
    assert not (tmp_path / "boom.sigmf-meta").exists()


def test_annotations_round_trip_and_validate(tmp_path):
    ann = [
        Annotation(
            3000,
            500,
            850.9e6,
            851.1e6,
            "LTE B20",
            "burst",
            {"modemhunt:tech": "LTE", "modemhunt:snr_db": 21.5},
        ),
        Annotation(100, 50, label="GSM"),
    ]
    meta = write_sigmf(
        tmp_path / "a",
        _tone(5000, 1e3),
        sample_rate_hz=RATE,
        center_hz=851e6,
        annotations=ann,
        global_extra={
            "core:hw": "RTL-SDR Blog V4",
            "core:geolocation": {"type": "Point", "coordinates": [4.3, 51.9]},
        },
        description="crane 3 cabinet",
    )
    _schema_valid(meta)
    raw = json.loads(meta.read_text())
    assert raw["global"]["core:hw"] == "RTL-SDR Blog V4"
    assert {
        "name": "modemhunt",
        "version": raw["global"]["core:recorder"].split()[1],
        "optional": True,
    } in raw["global"]["core:extensions"]
    with open_recording(meta) as rec:
        assert rec.annotations == tuple(sorted(ann, key=lambda a: a.sample_start))
        assert rec.geolocation == {"type": "Point", "coordinates": [4.3, 51.9]}
        assert rec.global_info["core:description"] == "crane 3 cabinet"
        assert rec.warnings == ()


def test_add_annotations_keeps_sorts_and_replaces(tmp_path):
    meta = write_sigmf(
        tmp_path / "b",
        _tone(10_000, 1e3),
        sample_rate_hz=RATE,
        center_hz=900e6,
        annotations=[Annotation(5000, 10, label="manual note")],
    )
    first = [Annotation(8000, 100, 899e6, 901e6, "rfscan: GSM"), Annotation(10, 100, label="rfscan: LTE")]
    add_annotations(meta, first, replace_label_prefix="rfscan:")
    add_annotations(
        tmp_path / "b.sigmf-data", first[:1], replace_label_prefix="rfscan:"
    )  # re-run: no pile-up
    _schema_valid(meta)
    labels = [a.get("core:label") for a in json.loads(meta.read_text())["annotations"]]
    assert labels == ["manual note", "rfscan: GSM"]
    add_annotations(meta, first)  # without a prefix they accumulate, still sorted
    with open_recording(meta, verify=True) as rec:  # data untouched: hash still matches
        starts = [a.sample_start for a in rec.annotations]
        assert starts == sorted(starts) == [10, 5000, 8000, 8000]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.sigmf-data", "b.sigmf-meta"]  # no temp left


def test_third_party_annotation_without_count_runs_to_capture_end(tmp_path):
    meta = write_sigmf(
        tmp_path / "c", _tone(1000, 1e3), sample_rate_hz=RATE, captures=[Capture(0, 1e9), Capture(600, 1.1e9)]
    )
    doc = json.loads(meta.read_text())
    doc["annotations"] = [{"core:sample_start": 100, "core:label": "open", "other:x": 1}]
    meta.write_text(json.dumps(doc))
    with open_recording(meta) as rec:
        (a,) = rec.annotations
        assert (a.sample_start, a.sample_count, a.extra) == (100, 500, {"other:x": 1})


def test_archive_read_via_memmap(tmp_path):
    x = _tone(20_000, 30e3)
    meta = write_sigmf(
        tmp_path / "arc",
        x,
        sample_rate_hz=RATE,
        captures=[Capture(0, 800e6), Capture(15_000, 820e6)],
        datatype="ci16_le",
        annotations=[Annotation(10, 10, label="hit")],
    )
    archive = sigmf.fromfile(str(meta)).archive(str(tmp_path / "packed.sigmf"))
    (tmp_path / "arc.sigmf-data").unlink()  # prove the samples come from the archive
    with open_recording(archive, verify=True) as rec:
        assert rec.kind == "sigmf-archive"
        assert rec.data_path == tmp_path / "packed.sigmf"
        assert rec.data_offset > 0
        assert rec.data_offset % 512 == 0
        assert rec.num_samples == x.size
        assert [b.center_hz for b in rec.blocks(15_000)] == [800e6, 820e6]
        y = rec.read(0, x.size)
        assert rec.annotations[0].label == "hit"
        assert rec.sha256() == hashlib.sha256(x_bytes := _ci16(x)).hexdigest()
        assert len(x_bytes) == rec.data_size
    np.testing.assert_allclose(y, x, atol=1 / 32768)


def _ci16(x: np.ndarray) -> bytes:
    from rfscan.iq import from_complex64

    return from_complex64(x, "ci16_le").tobytes()


def test_cli_info_text_and_json(tmp_path, capsys):
    x = _tone(4800, 1e3)
    meta = write_sigmf(
        tmp_path / "i",
        x,
        sample_rate_hz=RATE,
        captures=[Capture(0, 850e6), Capture(2400, 868e6)],
        annotations=[Annotation(0, 10, label="a\x1b[31mb")],
    )
    assert main(["info", str(meta)]) == 0
    out = capsys.readouterr().out
    digest = hashlib.sha256((tmp_path / "i.sigmf-data").read_bytes()).hexdigest()
    assert "850 MHz" in out
    assert "868 MHz" in out
    assert "2.4 MS/s" in out
    assert digest in out
    assert "\x1b" not in out  # control characters from the file never reach the terminal
    assert main(["info", str(tmp_path / "i"), "--json", "-"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["sha256"] == digest
    assert info["sha512_check"] == "match"
    assert info["num_samples"] == 4800
    assert info["duration_s"] == pytest.approx(0.002)
    assert [c["center_hz"] for c in info["captures"]] == [850e6, 868e6]
    out_file = tmp_path / "info.json"
    assert main(["info", str(meta), "--json", str(out_file), "--no-hash"]) == 0
    assert json.loads(out_file.read_text())["sha256"] is None


def test_global_extra_cannot_override_data_description(tmp_path):
    with pytest.raises(ValueError, match="core:datatype"):
        SigMFWriter(
            tmp_path / "g", sample_rate_hz=RATE, center_hz=1e9, global_extra={"core:datatype": "cf32_le"}
        )
    assert not (tmp_path / "g.sigmf-data").exists()


@pytest.fixture(scope="module")
def three_capture_recording(tmp_path_factory):
    x = (np.arange(9_000) * (1 + 1j) / 16_384).astype(np.complex64)  # exactly representable in cf32
    captures = [Capture(0, 1e9), Capture(2_500, 1.2e9), Capture(7_001, 0.9e9)]
    meta = write_sigmf(
        tmp_path_factory.mktemp("prop") / "p", x, sample_rate_hz=RATE, captures=captures, datatype="cf32_le"
    )
    return meta, x, captures


@settings(max_examples=60, deadline=None)
@given(
    block_size=st.integers(1, 5_000),
    start=st.integers(0, 9_000),
    count=st.one_of(st.none(), st.integers(0, 9_000)),
)
def test_blocks_partition_any_span(three_capture_recording, block_size, start, count):
    meta, x, captures = three_capture_recording
    if count is not None:
        count = min(count, 9_000 - start)
    end = 9_000 if count is None else start + count
    boundaries = [c.sample_start for c in captures[1:]]
    with open_recording(meta) as rec:
        pos = start
        for b in rec.blocks(block_size, start=start, count=count):
            assert b.sample_start == pos
            assert 0 < b.samples.size <= block_size
            stop = pos + b.samples.size
            assert not any(pos < edge < stop for edge in boundaries)  # never straddles a retune
            assert b.center_hz == rec.capture_at(pos).center_hz
            np.testing.assert_array_equal(b.samples, x[pos:stop])
            pos = stop
        assert pos == end
