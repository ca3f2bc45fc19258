"""Source registry: URL scheme -> backend, imported lazily; the interface's shared rules."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rfscan.errors import SourceError
from rfscan.iq import Block
from rfscan.sources import (
    BACKENDS,
    SAMPLE_RATE_RANGES_HZ,
    Source,
    SourceBlock,
    backend_class,
    check_sample_rate,
    open_source,
    tuner_by_code,
    tuner_by_name,
)
from rfscan.sources.rtlsdr_local import RtlSdrSource


def test_importing_sources_imports_no_backend() -> None:
    code = (
        "import sys, rfscan.sources\n"
        "heavy = ['rtlsdr', 'rfscan.sources.rtlsdr_local', 'rfscan.sources.rtltcp', "
        "'rfscan.sources.rtltcp_server', 'rfscan.sources.sim', 'rfscan.sources.file', 'rfscan.sim', "
        "'scipy']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_rtlsdr_url_is_parsed_without_importing_the_driver() -> None:
    code = (
        "import sys\n"
        "from rfscan.sources.rtlsdr_local import RtlSdrSource as R\n"
        "a, b, c, d = R('rtlsdr://'), R('rtlsdr://3'), R('rtlsdr://00000001'), R('rtlsdr://SN-7')\n"
        "print(a.index, b.index, c.serial, d.serial, 'rtlsdr' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "3", "00000001", "SN-7", "False"]


@pytest.mark.parametrize(
    ("scheme", "cls_name"),
    [("rtlsdr", "RtlSdrSource"), ("rtltcp", "RtlTcpSource"), ("sim", "SimSource"), ("file", "FileSource")],
)
def test_backend_per_scheme(scheme: str, cls_name: str) -> None:
    cls = backend_class(scheme)
    assert cls.__name__ == cls_name
    assert issubclass(cls, Source)
    assert cls.scheme == scheme
    assert scheme in BACKENDS


def test_url_query_and_keywords() -> None:
    src = open_source("sim://quiet-uplink?seed=4&rate=2.4M&gain=auto&settle_s=0.02", seed=9)
    try:
        assert type(src).__name__ == "SimSource"
        assert src.seed == 9  # type: ignore[attr-defined]  # keyword wins over the query
        assert src.sample_rate_hz == 2.4e6
        assert src.gain_db is None
        assert src.settle_s == 0.02
        b = src.read(4096)
        assert b.sample_count == 4096
    finally:
        src.close()


@pytest.mark.parametrize(
    ("url", "pattern"),
    [
        ("foo://x", "unknown source type 'foo'"),
        ("no-scheme", "not a source URL"),
        ("sim://quiet-uplink?colour=blue", "unknown option 'colour'"),
        ("sim://quiet-uplink?seed=abc", "option seed='abc'"),
        ("sim://", "name a scene"),
        ("rtltcp://", "rtltcp://HOST:PORT"),
        ("sim://quiet-uplink?rate=600k", "sample rate"),
    ],
)
def test_bad_urls(url: str, pattern: str) -> None:
    with pytest.raises(SourceError, match=pattern):
        open_source(url)


def test_source_block_is_compatible_with_iq_block() -> None:
    src = open_source("sim://quiet-uplink?rate=1.024M")
    with src:
        b = src.read(1000)
    assert isinstance(b, SourceBlock)
    # Every field of rfscan.iq.Block (what the detection core reads) exists with the same meaning.
    assert set(Block.__dataclass_fields__) <= set(SourceBlock.__dataclass_fields__)
    assert b.sample_count == 1000
    assert b.sample_start == 0
    assert b.center_hz == src.center_hz
    assert b.samples.dtype == np.complex64
    assert b.duration_s == pytest.approx(1000 / 1.024e6)


def test_hardware_limits() -> None:
    # librtlsdr: valid when 225000 < rate <= 300000 or 900000 < rate <= 3200000
    for ok in (225_001, 250_000, 300_000, 900_001, 1_024_000, 2_400_000, 3_200_000):
        assert check_sample_rate(ok, "t") == ok
    for bad in (225_000, 300_001, 600_000, 900_000, 3_200_001, float("nan"), -1):
        with pytest.raises(SourceError, match="impossible for an RTL-SDR"):
            check_sample_rate(bad, "t")
    assert SAMPLE_RATE_RANGES_HZ == ((225e3, 300e3), (900e3, 3.2e6))
    r820t = tuner_by_name("r820t2")
    assert r820t.name == "R820T"
    assert r820t.type_code == 5
    assert len(r820t.gains_tenth_db) == 29
    assert r820t.tuning_range_hz == (24e6, 1766e6)
    assert r820t.nearest_gain_tenth_db(40.0) == 402
    e4k = tuner_by_code(1)
    assert e4k.name == "E4000"
    assert not e4k.can_tune(1.2e9)
    assert e4k.can_tune(900e6)
    assert tuner_by_code(99).name == "UNKNOWN"
    with pytest.raises(SourceError, match="unknown tuner"):
        tuner_by_name("xyz")


def test_settings_before_open_are_applied_on_open() -> None:
    src = RtlSdrSource("rtlsdr://0")
    src.tune(433.92e6)
    src.set_sample_rate(1.024e6)
    src.set_gain(29.0)
    assert src.center_hz == 433.92e6
    assert src.sample_rate_hz == 1.024e6
    assert src.gain_db == pytest.approx(29.7)
    assert not src.is_open
    with pytest.raises(SourceError, match="not open"):
        src.read(10)
