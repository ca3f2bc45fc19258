"""Open IQ recordings (SigMF pair, SigMF archive or raw file) and read them block by block.

Samples are never loaded whole: the data file (or the data member of an uncompressed
``.sigmf`` tar archive) is memory-mapped read-only and each block is converted to complex64
on demand, so a 4 GB recording is read with flat memory.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import json
import logging
import math
import mmap
import os
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rfscan.errors import InputError, MissingParameterError
from rfscan.iq.formats import (
    DATATYPES,
    bytes_per_sample,
    component_dtype,
    first_nonfinite,
    normalize_datatype,
    to_complex64,
)
from rfscan.iq.model import Annotation, Block, Capture
from rfscan.iq.raw import infer_raw_params

__all__ = ["DEFAULT_BLOCK_SIZE", "VERIFY_LIMIT_BYTES", "Recording", "open_recording"]

log = logging.getLogger(__name__)

#: Default number of samples per block.
DEFAULT_BLOCK_SIZE = 262144
#: ``open_recording(verify=None)`` checks core:sha512 only for data up to this size.
VERIFY_LIMIT_BYTES = 64 * 1024 * 1024
_HASH_CHUNK = 1 << 20
#: Highest centre frequency accepted from the command line (no receiver this tool reads goes higher).
MAX_CENTER_HZ = 100e9
#: Larger "metadata" files are refused before reading (real SigMF metadata is far smaller).
MAX_META_BYTES = 256 * 1024 * 1024

META_EXT = ".sigmf-meta"
DATA_EXT = ".sigmf-data"
ARCHIVE_EXT = ".sigmf"
_COMPRESSED_ARCHIVE_EXTS = (".sigmf.gz", ".sigmf.xz", ".sigmf.zip")
_COLLECTION_EXT = ".sigmf-collection"

#: Annotation keys that map to :class:`Annotation` fields; all others go to ``extra``.
_ANNOTATION_CORE = {
    "core:sample_start",
    "core:sample_count",
    "core:freq_lower_edge",
    "core:freq_upper_edge",
    "core:label",
    "core:comment",
}


class Recording:
    """An opened IQ recording; use :func:`open_recording` to create one.

    Attributes
    ----------
    path : Path
        The metadata, archive or raw file that was opened.
    data_path : Path
        The file holding the samples (the archive itself for ``.sigmf`` archives).
    data_offset : int
        Byte offset of the first sample in ``data_path``.
    datatype : str
        SigMF datatype of the stored samples (one of :data:`rfscan.iq.DATATYPES`).
    sample_rate_hz : float
        Sample rate.
    captures : tuple of Capture
        Capture segments, sorted by ``sample_start``; a raw file has one.
    num_samples : int
        Number of complex samples in the data.
    annotations : tuple of Annotation
        SigMF annotations, sorted by ``sample_start`` (empty for raw files).
    global_info : dict
        The SigMF ``global`` object (empty for raw files).
    kind : str
        ``"sigmf"``, ``"sigmf-archive"`` or ``"raw"``.
    source : str
        Where the parameters came from (``"SigMF metadata"`` or the raw-name convention).
    warnings : tuple of str
        Problems that did not stop reading (annotation past the end, unsorted annotations...).
    """

    def __init__(
        self,
        *,
        path: Path,
        data_path: Path,
        data_offset: int,
        data_size: int,
        datatype: str,
        sample_rate_hz: float,
        captures: Sequence[Capture],
        annotations: Sequence[Annotation] = (),
        global_info: Mapping[str, Any] | None = None,
        kind: str = "raw",
        source: str = "",
        warnings: Sequence[str] = (),
    ) -> None:
        self.path = path
        self.data_path = data_path
        self.data_offset = data_offset
        self.data_size = data_size
        self.datatype = normalize_datatype(datatype)
        self.sample_rate_hz = float(sample_rate_hz)
        self.captures: tuple[Capture, ...] = tuple(captures)
        self.annotations: tuple[Annotation, ...] = tuple(annotations)
        self.global_info: dict[str, Any] = dict(global_info or {})
        self.kind = kind
        self.source = source
        self.warnings: tuple[str, ...] = tuple(warnings)
        self.num_samples = data_size // bytes_per_sample(self.datatype)
        if not self.captures:
            raise ValueError("a recording needs at least one capture")
        # Segment starts used for block splitting: the first capture covers from sample 0.
        self._starts = [0] + [c.sample_start for c in self.captures[1:]]
        self._mm: np.memmap[Any, np.dtype[Any]] | None = np.memmap(
            data_path,
            dtype=component_dtype(self.datatype),
            mode="r",
            offset=data_offset,
            shape=(2 * self.num_samples,),
        )

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> Recording:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the memory map (safe to call more than once)."""
        self._mm = None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._mm is None

    def __repr__(self) -> str:
        return (
            f"Recording({str(self.path)!r}, datatype={self.datatype!r}, "
            f"sample_rate_hz={self.sample_rate_hz}, "
            f"num_samples={self.num_samples}, captures={len(self.captures)})"
        )

    # -- derived facts ---------------------------------------------------------------------
    @property
    def duration_s(self) -> float:
        """Length of the recording in seconds."""
        return self.num_samples / self.sample_rate_hz

    @property
    def center_hz(self) -> float:
        """Centre frequency of the first capture."""
        return self.captures[0].center_hz

    @property
    def geolocation(self) -> dict[str, Any] | None:
        """GeoJSON point of ``core:geolocation``, or None."""
        geo = self.global_info.get("core:geolocation")
        return dict(geo) if isinstance(geo, dict) else None

    def capture_at(self, sample_index: int) -> Capture:
        """Return the capture that sample ``sample_index`` belongs to."""
        if not 0 <= sample_index < self.num_samples:
            raise IndexError(f"sample {sample_index} is outside the recording (0..{self.num_samples - 1})")
        return self.captures[self._capture_index(sample_index)]

    def _capture_index(self, sample_index: int) -> int:
        return bisect.bisect_right(self._starts, sample_index) - 1

    def _segment_end(self, index: int) -> int:
        return self._starts[index + 1] if index + 1 < len(self._starts) else self.num_samples

    # -- reading ---------------------------------------------------------------------------
    def _span(self, start: int, count: int | None) -> int:
        """Validate a sample span and return its end index."""
        if self._mm is None:
            raise ValueError(f"{self.path.name}: recording is closed")
        start = int(start)
        if not 0 <= start <= self.num_samples:
            raise InputError(
                f"{self.path.name}: start sample {start} is outside the recording (0..{self.num_samples})"
            )
        end = self.num_samples if count is None else start + int(count)
        if count is not None and count < 0:
            raise InputError(f"{self.path.name}: sample count {count} is negative")
        if end > self.num_samples:
            raise InputError(
                f"{self.path.name}: cannot read samples {start}..{end - 1}: "
                f"the recording holds {self.num_samples} samples"
            )
        return end

    def _convert(self, start: int, count: int) -> NDArray[np.complex64]:
        mm = self._mm
        if mm is None:
            raise ValueError(f"{self.path.name}: recording is closed")
        samples = to_complex64(mm[2 * start : 2 * (start + count)], self.datatype)
        if self.datatype == "cf32_le":
            bad = first_nonfinite(samples)
            if bad is not None:
                raise InputError(
                    f"{self.data_path.name}: sample {start + bad} is NaN or infinite: "
                    "the recording is corrupt from there (cut it off or re-record)"
                )
        return samples

    def read(self, start: int, count: int) -> NDArray[np.complex64]:
        """Read ``count`` samples from absolute index ``start`` (across captures) as complex64.

        Raises
        ------
        InputError
            If the span leaves the recording or holds a NaN/infinite sample (cf32).
        """
        end = self._span(start, count)
        samples = self._convert(int(start), end - int(start))
        self._release(int(start), end - int(start))
        return samples

    def blocks(
        self, block_size: int = DEFAULT_BLOCK_SIZE, start: int = 0, count: int | None = None
    ) -> Iterator[Block]:
        """Iterate over the samples in blocks of at most ``block_size``.

        Blocks never straddle a capture boundary: the block before a boundary is shorter, and
        each block carries its capture's centre frequency and its absolute sample index.

        Parameters
        ----------
        block_size : int
            Maximum samples per block.
        start : int
            First sample to read.
        count : int or None
            Number of samples to read (None: up to the end).

        Returns
        -------
        iterator of Block
            Lazily converted blocks; memory use does not depend on the recording size.
        """
        if int(block_size) <= 0:
            raise ValueError(f"block_size must be positive, got {block_size}")
        end = self._span(start, count)
        return self._iter_blocks(int(block_size), int(start), end)

    def _iter_blocks(self, block_size: int, start: int, end: int) -> Iterator[Block]:
        pos = start
        while pos < end:
            index = self._capture_index(pos)
            n = min(block_size, end - pos, self._segment_end(index) - pos)
            samples = self._convert(pos, n)
            self._release(pos, n)
            yield Block(
                samples=samples,
                sample_start=pos,
                center_hz=self.captures[index].center_hz,
                sample_rate_hz=self.sample_rate_hz,
            )
            pos += n

    def _release(self, start: int, count: int) -> None:
        """Drop the mapped pages of samples already converted, so resident memory stays flat.

        Without this the pages of a sequentially read 4 GB file stay mapped (and counted in the
        process RSS) until the recording is closed.  The data is re-read from the page cache if
        it is needed again, so this never changes results.
        """
        mm = self._mm
        raw_map = getattr(mm, "_mmap", None)
        advice = getattr(mmap, "MADV_DONTNEED", None)
        if mm is None or raw_map is None or advice is None:  # pragma: no cover - non-Linux
            return
        bps = bytes_per_sample(self.datatype)
        base = self.data_offset % mmap.ALLOCATIONGRANULARITY  # where the array starts in the map
        first = base + start * bps
        last = base + (start + count) * bps
        first -= first % mmap.PAGESIZE
        last = min(last - last % mmap.PAGESIZE, len(raw_map))
        if last > first:
            with contextlib.suppress(OSError, ValueError):  # advice is only a hint
                raw_map.madvise(advice, first, last - first)

    # -- integrity -------------------------------------------------------------------------
    def hashes(self, algorithms: Sequence[str] = ("sha256", "sha512")) -> dict[str, str]:
        """Hex digests of the data bytes, computed in one streamed pass.

        For an archive only the data member is hashed (what ``core:sha512`` covers).
        """
        digests = {name: hashlib.new(name) for name in algorithms}
        remaining = self.data_size
        try:
            with open(self.data_path, "rb") as fh:
                fh.seek(self.data_offset)
                while remaining > 0:
                    chunk = fh.read(min(_HASH_CHUNK, remaining))
                    if not chunk:
                        raise InputError(f"{self.data_path.name}: data ended early while hashing")
                    for digest in digests.values():
                        digest.update(chunk)
                    remaining -= len(chunk)
        except OSError as err:
            raise InputError(f"{self.data_path}: cannot read data: {err.strerror or err}") from err
        return {name: digest.hexdigest() for name, digest in digests.items()}

    def sha256(self) -> str:
        """SHA-256 of the data bytes (streamed)."""
        return self.hashes(("sha256",))["sha256"]

    def check_sha512(self, computed: str | None = None) -> bool | None:
        """Compare the data with ``core:sha512`` of the metadata.

        Parameters
        ----------
        computed : str or None
            An already computed SHA-512 of the data (from :meth:`hashes`), to avoid a second pass.

        Returns
        -------
        bool or None
            True if it matches, None if the metadata has no ``core:sha512``.

        Raises
        ------
        InputError
            If the hash does not match.
        """
        expected = self.global_info.get("core:sha512")
        if not isinstance(expected, str):
            return None
        actual = computed if computed is not None else self.hashes(("sha512",))["sha512"]
        if actual.lower() != expected.strip().lower():
            raise InputError(
                f"{self.data_path.name}: SHA-512 of the data does not match core:sha512 of {self.path.name}: "
                "the data file is corrupt, truncated or was modified"
            )
        return True


# ----------------------------------------------------------------------------------------------
# opening
# ----------------------------------------------------------------------------------------------


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _datatype_or_error(value: str, where: str) -> str:
    try:
        return normalize_datatype(value)
    except InputError as err:
        raise InputError(f"{where}: {err}") from None


def _check_rate(rate: float, where: str) -> float:
    if not (_finite_number(rate) and rate > 0):
        raise InputError(f"{where}: sample rate must be a positive number of Hz, got {rate!r}")
    return float(rate)


def _load_json(data: bytes, where: str) -> dict[str, Any]:
    try:
        meta = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise InputError(f"{where}: not SigMF metadata (not UTF-8 text at byte {err.start})") from err
    except json.JSONDecodeError as err:
        raise InputError(
            f"{where}: not SigMF metadata (malformed JSON at line {err.lineno} column {err.colno}: {err.msg})"
        ) from err
    if not isinstance(meta, dict) or not isinstance(meta.get("global"), dict):
        raise InputError(f'{where}: not SigMF metadata (no "global" object)')
    return meta


class _Parsed:
    """SigMF metadata turned into rfscan values (before the data file is looked at)."""

    def __init__(
        self,
        meta: dict[str, Any],
        where: str,
        *,
        fmt: str | None,
        sample_rate_hz: float | None,
        center_hz: float | None,
    ) -> None:
        self.warnings: list[str] = []
        g: dict[str, Any] = meta["global"]
        self.global_info = g
        dt = g.get("core:datatype")
        if dt is None:
            if fmt is None:
                raise MissingParameterError(
                    f'{where}: core:datatype missing from "global": add e.g. "core:datatype": "cu8" '
                    f"(one of {', '.join(DATATYPES)}) or give --format"
                )
            dt = fmt
        elif fmt is not None and _datatype_or_error(fmt, where) != _datatype_or_error(str(dt), where):
            self.warnings.append(f"--format {fmt} ignored: the metadata says core:datatype {dt}")
        if not isinstance(dt, str):
            raise InputError(f'{where}: core:datatype must be a string such as "cu8", got {dt!r}')
        self.datatype = _datatype_or_error(dt, where)
        channels = g.get("core:num_channels", 1)
        if channels != 1:
            raise InputError(
                f"{where}: core:num_channels is {channels!r}: only single-channel recordings work"
            )
        rate = g.get("core:sample_rate")
        if rate is None:
            if sample_rate_hz is None:
                raise MissingParameterError(
                    f'{where}: core:sample_rate missing from "global": add "core:sample_rate": <Hz> '
                    "(or give --rate HZ)"
                )
            rate = sample_rate_hz
        self.sample_rate_hz = _check_rate(rate, where)
        self.header_bytes = 0
        self.captures = self._captures(meta.get("captures", []), where, center_hz)
        self.raw_annotations = meta.get("annotations", [])
        if not isinstance(self.raw_annotations, list):
            raise InputError(f'{where}: "annotations" must be a list')

    def _captures(self, items: Any, where: str, center_hz: float | None) -> list[Capture]:
        if not isinstance(items, list):
            raise InputError(f'{where}: "captures" must be a list')
        if not items:
            if center_hz is None:
                raise MissingParameterError(
                    f'{where}: no captures: add "captures": '
                    '[{"core:sample_start": 0, "core:frequency": <Hz>}] (or give --center HZ)'
                )
            return [Capture(0, float(center_hz))]
        captures: list[Capture] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not _is_index(item.get("core:sample_start")):
                raise InputError(f"{where}: capture {i} has no valid core:sample_start (an integer >= 0)")
            start = int(item["core:sample_start"])
            freq = item.get("core:frequency")
            if freq is None:
                if center_hz is None:
                    raise MissingParameterError(
                        f"{where}: capture {i} (sample {start}) has no core:frequency: "
                        'add "core:frequency": <Hz> to it (or give --center HZ)'
                    )
                freq = center_hz
            if not _finite_number(freq):
                raise InputError(f"{where}: capture {i} core:frequency must be a number of Hz, got {freq!r}")
            header = item.get("core:header_bytes", 0)
            if header:
                if i > 0 or not _is_index(header):
                    raise InputError(
                        f"{where}: capture {i} has core:header_bytes: only a leading header works"
                    )
                self.header_bytes = int(header)
            if captures and start <= captures[-1].sample_start:
                raise InputError(
                    f"{where}: captures are not sorted by core:sample_start (capture {i} starts at {start})"
                )
            stamp = item.get("core:datetime")
            captures.append(Capture(start, float(freq), stamp if isinstance(stamp, str) else None))
        if captures[0].sample_start > 0:
            self.warnings.append(
                f"first capture starts at sample {captures[0].sample_start}, not 0: "
                "earlier samples are taken as part of it"
            )
        return captures

    def annotations(self, where: str, num_samples: int) -> list[Annotation]:
        """Turn the raw annotation list into :class:`Annotation` objects (needs the sample count)."""
        starts = [0] + [c.sample_start for c in self.captures[1:]]
        result: list[Annotation] = []
        for i, item in enumerate(self.raw_annotations):
            if not isinstance(item, dict) or not _is_index(item.get("core:sample_start")):
                raise InputError(f"{where}: annotation {i} has no valid core:sample_start (an integer >= 0)")
            start = int(item["core:sample_start"])
            count = item.get("core:sample_count")
            if count is None:
                # SigMF: without a count the annotation runs to the end of its capture.
                k = bisect.bisect_right(starts, start) - 1
                seg_end = starts[k + 1] if k + 1 < len(starts) else num_samples
                count = max(seg_end - start, 0)
            if not _is_index(count):
                raise InputError(f"{where}: annotation {i} core:sample_count must be an integer >= 0")
            lower, upper = item.get("core:freq_lower_edge"), item.get("core:freq_upper_edge")
            label, comment = item.get("core:label"), item.get("core:comment")
            extra = {k: v for k, v in item.items() if k not in _ANNOTATION_CORE}
            try:
                if (lower is not None and not _finite_number(lower)) or (
                    upper is not None and not _finite_number(upper)
                ):
                    raise ValueError("frequency edges must be numbers of Hz")
                if extra and any(":" not in k for k in extra):
                    extra = {(k if ":" in k else f"unknown:{k}"): v for k, v in extra.items()}
                annotation = Annotation(
                    sample_start=start,
                    sample_count=int(count),
                    freq_lower_edge_hz=None if lower is None else float(lower),
                    freq_upper_edge_hz=None if upper is None else float(upper),
                    label=label if isinstance(label, str) else None,
                    comment=comment if isinstance(comment, str) else None,
                    extra=extra,
                )
            except ValueError as err:
                raise InputError(f"{where}: annotation {i} is invalid: {err}") from err
            if annotation.sample_end > num_samples:
                self.warnings.append(
                    f"annotation {i} ({label or 'no label'}) ends at sample {annotation.sample_end}, "
                    f"after the end of the data ({num_samples} samples)"
                )
            result.append(annotation)
        if any(b.sample_start < a.sample_start for a, b in itertools.pairwise(result)):
            self.warnings.append("annotations were not sorted by core:sample_start (sorted now)")
            result.sort(key=lambda a: a.sample_start)
        return result


def _map(**kwargs: Any) -> Recording:
    """Create a :class:`Recording`, turning failures to map the data into InputError."""
    data_path: Path = kwargs["data_path"]
    if not data_path.is_file():
        raise InputError(f"{data_path}: data is not a regular file")
    try:
        return Recording(**kwargs)
    except OSError as err:
        raise InputError(f"{data_path}: cannot read data: {err.strerror or err}") from err


def _check_data_size(size: int, datatype: str, data_name: str) -> int:
    if size <= 0:
        raise InputError(f"{data_name}: data file is empty (no samples)")
    bps = bytes_per_sample(datatype)
    if size % bps:
        raise InputError(
            f"{data_name}: {size} bytes is not a whole number of {datatype} samples ({bps} bytes each): "
            "the file is truncated or the format is wrong"
        )
    return size // bps


def _finish_sigmf(
    parsed: _Parsed,
    *,
    path: Path,
    data_path: Path,
    data_offset: int,
    data_size: int,
    kind: str,
    verify: bool | None,
) -> Recording:
    where = path.name
    num = _check_data_size(data_size, parsed.datatype, data_path.name if kind == "sigmf" else where)
    for i, cap in enumerate(parsed.captures):
        if cap.sample_start >= num:
            raise InputError(
                f"{where}: capture {i} starts at sample {cap.sample_start} but the data holds only "
                f"{num} samples: the data file is truncated"
            )
    declared = parsed.global_info.get("modemhunt:sample_count")
    if isinstance(declared, int) and _is_index(declared) and declared != num:
        problem = "is truncated" if declared > num else "is longer than the metadata says"
        raise InputError(
            f"{where}: the metadata says {declared} samples (modemhunt:sample_count) but the data "
            f"holds {num}: the data file {problem}"
        )
    annotations = parsed.annotations(where, num)
    for text in parsed.warnings:
        log.warning("%s: %s", where, text)
    recording = _map(
        path=path,
        data_path=data_path,
        data_offset=data_offset,
        data_size=data_size,
        datatype=parsed.datatype,
        sample_rate_hz=parsed.sample_rate_hz,
        captures=parsed.captures,
        annotations=annotations,
        global_info=parsed.global_info,
        kind=kind,
        source="SigMF metadata",
        warnings=parsed.warnings,
    )
    if verify or (verify is None and data_size <= VERIFY_LIMIT_BYTES):
        try:
            recording.check_sha512()
        except InputError:
            recording.close()
            raise
    return recording


def _open_meta(
    meta_path: Path,
    *,
    fmt: str | None,
    sample_rate_hz: float | None,
    center_hz: float | None,
    verify: bool | None,
) -> Recording:
    where = meta_path.name
    try:
        if meta_path.stat().st_size > MAX_META_BYTES:
            raise InputError(f"{where}: {meta_path.stat().st_size} bytes is far too large for SigMF metadata")
        raw = meta_path.read_bytes()
    except OSError as err:
        raise InputError(f"{meta_path}: cannot read metadata: {err.strerror or err}") from err
    meta = _load_json(raw, where)
    parsed = _Parsed(meta, where, fmt=fmt, sample_rate_hz=sample_rate_hz, center_hz=center_hz)
    dataset = parsed.global_info.get("core:dataset")
    if isinstance(dataset, str) and dataset:
        # Non-Conforming Dataset: the samples live in a file named by core:dataset.
        data_path = meta_path.parent / Path(dataset).name
    else:
        data_path = meta_path.with_name(meta_path.name[: -len(META_EXT)] + DATA_EXT)
    try:
        size = data_path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{data_path}: data file missing (named by {where})") from None
    except OSError as err:
        raise InputError(f"{data_path}: cannot read data file: {err.strerror or err}") from err
    if not data_path.is_file():
        raise InputError(f"{data_path}: data is not a regular file")
    trailing = parsed.global_info.get("core:trailing_bytes", 0)
    trailing = int(trailing) if _is_index(trailing) else 0
    data_size = size - parsed.header_bytes - trailing
    if data_size < 0:
        raise InputError(f"{data_path.name}: shorter than its core:header_bytes/core:trailing_bytes")
    return _finish_sigmf(
        parsed,
        path=meta_path,
        data_path=data_path,
        data_offset=parsed.header_bytes,
        data_size=data_size,
        kind="sigmf",
        verify=verify,
    )


def _open_archive(
    archive: Path,
    *,
    fmt: str | None,
    sample_rate_hz: float | None,
    center_hz: float | None,
    verify: bool | None,
) -> Recording:
    where = archive.name
    try:
        # "r:" = uncompressed only: the data member is then a plain byte range we can memory-map.
        with tarfile.open(archive, mode="r:") as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            metas = [m for m in members if m.name.endswith(META_EXT)]
            if not metas:
                raise InputError(f"{where}: no {META_EXT} file in the archive: not a SigMF archive")
            meta_member = metas[0]
            fh = tar.extractfile(meta_member)
            if fh is None:  # pragma: no cover - isfile() members always extract
                raise InputError(f"{where}: cannot read {meta_member.name}")
            with fh:
                meta = _load_json(fh.read(), f"{where}:{meta_member.name}")
    except tarfile.TarError as err:
        raise InputError(f"{where}: not a SigMF archive (not an uncompressed tar file: {err})") from err
    except OSError as err:
        raise InputError(f"{archive}: cannot read archive: {err.strerror or err}") from err
    parsed = _Parsed(meta, where, fmt=fmt, sample_rate_hz=sample_rate_hz, center_hz=center_hz)
    extra = [] if len(metas) == 1 else [f"archive holds {len(metas)} recordings; reading {meta_member.name}"]
    parsed.warnings.extend(extra)
    base = meta_member.name[: -len(META_EXT)]
    dataset = parsed.global_info.get("core:dataset")
    wanted = [base + DATA_EXT]
    if isinstance(dataset, str) and dataset:
        wanted.append(str(Path(base).parent / Path(dataset).name))
    data_member = next((m for m in members if m.name in wanted), None)
    if data_member is None:
        raise InputError(f"{where}: data file missing from the archive (expected {wanted[0]})")
    if data_member.issparse():
        raise InputError(f"{where}: {data_member.name} is stored sparse in the tar: repack the archive")
    trailing = parsed.global_info.get("core:trailing_bytes", 0)
    trailing = int(trailing) if _is_index(trailing) else 0
    data_size = data_member.size - parsed.header_bytes - trailing
    return _finish_sigmf(
        parsed,
        path=archive,
        data_path=archive,
        data_offset=data_member.offset_data + parsed.header_bytes,
        data_size=max(data_size, 0),
        kind="sigmf-archive",
        verify=verify,
    )


def _open_raw(
    path: Path, *, fmt: str | None, sample_rate_hz: float | None, center_hz: float | None
) -> Recording:
    where = path.name
    params = infer_raw_params(path)
    datatype = _datatype_or_error(fmt, where) if fmt is not None else params.datatype
    rate = sample_rate_hz if sample_rate_hz is not None else params.sample_rate_hz
    center = center_hz if center_hz is not None else params.center_hz
    missing = [
        (what, option)
        for what, option, value in (
            ("sample format", f"--format {'|'.join(DATATYPES)}", datatype),
            ("sample rate", "--rate HZ", rate),
            ("centre frequency", "--center HZ", center),
        )
        if value is None
    ]
    if missing:
        if params.sample_rate_hz is None and params.center_hz is None and params.datatype is None:
            why = "the file name follows no known convention"
        elif params.sample_rate_hz is None and params.center_hz is None:
            why = "the file name follows no known convention for them (rtl_433 style: name_868M_2400k.cu8)"
        else:
            why = f"the {params.source} does not give it all"
        hint = " (rtl_sdr .bin files are cu8)" if datatype is None and path.suffix.lower() == ".bin" else ""
        raise MissingParameterError(
            f"{where}: {' and '.join(w for w, _ in missing)} unknown: give "
            f"{' '.join(o for _, o in missing)}; {why}{hint}"
        )
    if datatype is None or rate is None or center is None:  # pragma: no cover - handled above
        raise AssertionError("unreachable")
    rate = _check_rate(rate, where)
    if not _finite_number(center):
        raise InputError(f"{where}: centre frequency must be a number of Hz, got {center!r}")
    try:
        size = path.stat().st_size
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from err
    _check_data_size(size, datatype, where)
    given = [
        o
        for o, v in (("--format", fmt), ("--rate", sample_rate_hz), ("--center", center_hz))
        if v is not None
    ]
    if len(given) == 3:
        source = "command line"
    elif given:
        source = f"{params.source} + {' '.join(given)}"
    else:
        source = params.source
    return _map(
        path=path,
        data_path=path,
        data_offset=0,
        data_size=size,
        datatype=datatype,
        sample_rate_hz=rate,
        captures=(Capture(0, float(center)),),
        kind="raw",
        source=source,
    )


def _with_suffix(path: Path, ext: str) -> Path:
    return path.with_name(path.name + ext)


def open_recording(
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    sample_rate_hz: float | None = None,
    center_hz: float | None = None,
    verify: bool | None = None,
) -> Recording:
    """Open a SigMF recording (pair, base name or ``.sigmf`` archive) or a raw IQ file.

    Parameters
    ----------
    path : str or path-like
        ``x.sigmf-meta``, ``x.sigmf-data``, ``x`` (base name of a pair or archive), ``x.sigmf``
        (uncompressed archive) or a raw file (``.cu8``, ``.cs8``, ``.cs16``, ``.cf32``, gqrx
        ``_fc.raw``, ``.bin`` with ``fmt``...).
    fmt : str or None
        Sample format (a datatype or alias); overrides the file name for raw files, fills a
        missing ``core:datatype`` for SigMF.
    sample_rate_hz : float or None
        Sample rate; overrides the name for raw files, fills a missing ``core:sample_rate``.
    center_hz : float or None
        Centre frequency; overrides the name for raw files, fills missing ``core:frequency``.
    verify : bool or None
        Check ``core:sha512`` (streamed) when opening: True always, False never, None (default)
        only for data up to 64 MiB.  :meth:`Recording.check_sha512` checks later on demand.

    Returns
    -------
    Recording
        The opened recording (a context manager).

    Raises
    ------
    InputError
        Missing, empty, truncated, inconsistent or malformed files, unknown formats.
    MissingParameterError
        A parameter neither the file nor the arguments give (sample rate, frequency, format).
    """
    p = Path(path)
    name = p.name.lower()
    overrides: dict[str, Any] = {"fmt": fmt, "sample_rate_hz": sample_rate_hz, "center_hz": center_hz}
    if fmt is not None:
        _datatype_or_error(fmt, p.name)
    if sample_rate_hz is not None and not (math.isfinite(sample_rate_hz) and sample_rate_hz > 0):
        raise InputError(f"{p.name}: sample rate must be a positive number of Hz, got {sample_rate_hz:g}")
    if center_hz is not None and not (math.isfinite(center_hz) and 0 <= center_hz <= MAX_CENTER_HZ):
        raise InputError(
            f"{p.name}: centre frequency must be between 0 and {MAX_CENTER_HZ / 1e9:g} GHz, "
            f"got {center_hz:g} Hz"
        )
    if name.endswith(_COMPRESSED_ARCHIVE_EXTS):
        raise InputError(
            f"{p.name}: compressed SigMF archives cannot be streamed: decompress it to a .sigmf first"
        )
    if name.endswith(_COLLECTION_EXT):
        raise InputError(f"{p.name}: a SigMF collection: open one of its recordings (.sigmf-meta) instead")
    if name.endswith(ARCHIVE_EXT):
        if not p.is_file():
            raise InputError(f"{p}: no such file")
        return _open_archive(p, verify=verify, **overrides)
    if name.endswith(META_EXT):
        if not p.is_file():
            raise InputError(f"{p}: no such file")
        return _open_meta(p, verify=verify, **overrides)
    if name.endswith(DATA_EXT):
        meta = p.with_name(p.name[: -len(DATA_EXT)] + META_EXT)
        if not meta.is_file():
            raise InputError(
                f"{meta}: metadata missing next to {p.name} (a SigMF dataset needs its .sigmf-meta)"
            )
        return _open_meta(meta, verify=verify, **overrides)
    if p.is_file():
        return _open_raw(p, **overrides)
    if _with_suffix(p, META_EXT).is_file():
        return _open_meta(_with_suffix(p, META_EXT), verify=verify, **overrides)
    if _with_suffix(p, ARCHIVE_EXT).is_file():
        return _open_archive(_with_suffix(p, ARCHIVE_EXT), verify=verify, **overrides)
    if p.exists():
        raise InputError(f"{p}: not a regular file")
    raise InputError(f"{p}: no such file (nor {p.name}{META_EXT} or {p.name}{ARCHIVE_EXT})")
