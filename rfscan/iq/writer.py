"""Write SigMF recordings (streamed) and write annotations back into existing ones.

The data file is written as samples arrive and hashed on the fly; the metadata is built
with the official ``sigmf`` package (``SigMFFile``, ``set_data_file``, ``validate``,
``tofile``) when the writer closes, so what we write opens in inspectrum, IQEngine and any
SigMF reader.  Memory use does not depend on how many samples are written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rfscan import __version__
from rfscan.atomic import write_text_atomic
from rfscan.errors import InputError
from rfscan.iq.formats import from_complex64, normalize_datatype
from rfscan.iq.model import Annotation, Capture
from rfscan.iq.reader import ARCHIVE_EXT, DATA_EXT, META_EXT, _load_json

__all__ = ["EXTENSION_NAME", "SigMFWriter", "add_annotations", "annotation_to_sigmf", "write_sigmf"]

log = logging.getLogger(__name__)


#: Namespace of modemhunt's own SigMF keys (``modemhunt:tech``, ``modemhunt:sample_count``...).
EXTENSION_NAME = "modemhunt"
#: Global keys that describe the data itself: only the writer sets them.
_WRITER_OWNED_KEYS = {
    "core:datatype",
    "core:sample_rate",
    "core:sha512",
    "core:num_channels",
    "core:offset",
    "core:dataset",
    "core:trailing_bytes",
    "core:metadata_only",
    "core:version",
    "modemhunt:sample_count",
}
#: Samples converted and written per chunk (bounds the temporary memory of a write).
_WRITE_CHUNK = 1 << 20


def _base_path(base: str | os.PathLike[str]) -> Path:
    """Strip a SigMF extension from ``base`` (``x.sigmf-meta`` -> ``x``)."""
    p = Path(base)
    for ext in (META_EXT, DATA_EXT):
        if p.name.endswith(ext):
            return p.with_name(p.name[: -len(ext)])
    if p.name.endswith(ARCHIVE_EXT):
        raise ValueError(
            f"{p.name}: writing archives is not supported; give a base name for a .sigmf-meta/-data pair"
        )
    return p


def _jsonable(value: Any) -> Any:
    """Turn numpy scalars, tuples and mappings into plain JSON types."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"SigMF metadata cannot hold {value!r}")
    return value


def annotation_to_sigmf(annotation: Annotation) -> dict[str, Any]:
    """SigMF annotation object (``core:*`` keys plus the extra keys) for ``annotation``."""
    item: dict[str, Any] = {str(k): _jsonable(v) for k, v in annotation.extra.items()}
    item["core:sample_start"] = int(annotation.sample_start)
    item["core:sample_count"] = int(annotation.sample_count)
    if annotation.freq_lower_edge_hz is not None and annotation.freq_upper_edge_hz is not None:
        item["core:freq_lower_edge"] = float(annotation.freq_lower_edge_hz)
        item["core:freq_upper_edge"] = float(annotation.freq_upper_edge_hz)
    if annotation.label is not None:
        item["core:label"] = str(annotation.label)
    if annotation.comment is not None:
        item["core:comment"] = str(annotation.comment)
    return item


def _namespaces(items: Any) -> set[str]:
    """Non-core namespaces of the keys of a dict or a list of dicts."""
    found: set[str] = set()
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict):
            found.update(k.split(":", 1)[0] for k in item if ":" in k and not k.startswith("core:"))
    return found


def _declare_extensions(meta: dict[str, Any]) -> None:
    """Add every namespace used in ``meta`` to ``core:extensions`` (SigMF asks for it)."""
    g = meta["global"]
    used = _namespaces(g) | _namespaces(meta.get("captures", [])) | _namespaces(meta.get("annotations", []))
    declared = g.get("core:extensions")
    if not isinstance(declared, list):
        declared = []
    names = {e.get("name") for e in declared if isinstance(e, dict)}
    for namespace in sorted(used - names):
        version = __version__ if namespace == EXTENSION_NAME else "unspecified"
        declared.append({"name": namespace, "version": version, "optional": True})
    if declared:
        g["core:extensions"] = declared


class SigMFWriter:
    """Stream samples into a SigMF recording ``<base>.sigmf-data`` + ``<base>.sigmf-meta``.

    Parameters
    ----------
    base : str or path-like
        Output base name (a ``.sigmf-meta``/``.sigmf-data`` suffix is stripped).
    sample_rate_hz : float
        Sample rate.
    datatype : str, default "cu8"
        Stored format (see :data:`rfscan.iq.DATATYPES`).
    center_hz : float or None
        Centre frequency of a first capture at sample 0.  Without it, call
        :meth:`add_capture` with a capture at sample 0 before writing.
    global_extra : Mapping or None
        More ``global`` keys, e.g. ``{"core:hw": "RTL-SDR v4", "core:author": ...}``.
    description : str or None
        ``core:description``.

    Notes
    -----
    Use as a context manager: a clean exit writes the metadata, an exception deletes the
    partial data file.  :meth:`close` returns the ``.sigmf-meta`` path.
    """

    def __init__(
        self,
        base: str | os.PathLike[str],
        *,
        sample_rate_hz: float,
        datatype: str = "cu8",
        center_hz: float | None = None,
        global_extra: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> None:
        if not (math.isfinite(sample_rate_hz) and sample_rate_hz > 0):
            raise ValueError(f"sample_rate_hz must be positive, got {sample_rate_hz!r}")
        self.base = _base_path(base)
        self.data_path = self.base.with_name(self.base.name + DATA_EXT)
        self.meta_path = self.base.with_name(self.base.name + META_EXT)
        self.datatype = normalize_datatype(datatype)
        self.sample_rate_hz = float(sample_rate_hz)
        self.global_extra = dict(global_extra or {})
        owned = sorted(set(self.global_extra) & _WRITER_OWNED_KEYS)
        if owned:
            raise ValueError(f"global_extra cannot set {', '.join(owned)}: the writer sets them")
        self.description = description
        self.num_samples = 0
        self._captures: list[Capture] = [] if center_hz is None else [Capture(0, float(center_hz))]
        self._annotations: list[Annotation] = []
        self._sha512 = hashlib.sha512()
        self._closed = False
        try:
            self.data_path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.data_path, "wb")  # noqa: SIM115 - closed in close()/abort()
        except OSError as err:
            raise InputError(f"{self.data_path}: cannot create: {err.strerror or err}") from err

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> SigMFWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    @property
    def captures(self) -> tuple[Capture, ...]:
        """Captures added so far."""
        return tuple(self._captures)

    @property
    def annotations(self) -> tuple[Annotation, ...]:
        """Annotations added so far."""
        return tuple(self._annotations)

    # -- writing ---------------------------------------------------------------------------
    def write(self, samples: NDArray[Any]) -> None:
        """Append complex samples (converted to the datatype, clipped for integer formats).

        Raises
        ------
        ValueError
            If no capture starts at sample 0 yet (no centre frequency known) or the writer is closed.
        InputError
            If a sample is NaN or infinite.
        """
        if self._closed:
            raise ValueError(f"{self.data_path.name}: writer is closed")
        if not self._captures or self._captures[0].sample_start != 0:
            raise ValueError("no centre frequency: pass center_hz= or add_capture(Capture(0, hz)) first")
        x = np.asarray(samples).reshape(-1)
        for i in range(0, x.shape[0], _WRITE_CHUNK):
            chunk = x[i : i + _WRITE_CHUNK]
            try:
                raw = from_complex64(chunk, self.datatype)
            except InputError as err:
                raise InputError(f"{self.data_path.name} at sample {self.num_samples}: {err}") from None
            view = raw.view(np.uint8).data
            self._fh.write(view)
            self._sha512.update(view)
            self.num_samples += int(chunk.shape[0])

    def add_capture(self, capture: Capture) -> None:
        """Start a new capture segment (e.g. the tuner moved) at ``capture.sample_start``.

        Usually ``capture.sample_start`` is :attr:`num_samples` (the next sample written).  A
        capture at the same index as the previous one replaces it.
        """
        if self._closed:
            raise ValueError(f"{self.data_path.name}: writer is closed")
        if self._captures:
            last = self._captures[-1]
            if capture.sample_start < last.sample_start:
                raise ValueError(
                    f"capture at sample {capture.sample_start} comes before the previous one "
                    f"({last.sample_start}): captures must be added in order"
                )
            if capture.sample_start == last.sample_start:
                self._captures[-1] = capture
                return
        self._captures.append(capture)

    def retune(self, center_hz: float, datetime: str | None = None) -> Capture:
        """Add a capture at the next sample to be written; returns it."""
        capture = Capture(self.num_samples, float(center_hz), datetime)
        self.add_capture(capture)
        return capture

    def add_annotation(self, annotation: Annotation) -> None:
        """Add an annotation (any order: they are sorted when the metadata is written)."""
        if self._closed:
            raise ValueError(f"{self.data_path.name}: writer is closed")
        self._annotations.append(annotation)

    # -- finishing -------------------------------------------------------------------------
    def abort(self) -> None:
        """Stop without writing metadata and delete the partial data file."""
        if self._closed:
            return
        self._closed = True
        self._fh.close()
        self.data_path.unlink(missing_ok=True)

    def _global(self) -> dict[str, Any]:
        g: dict[str, Any] = {
            "core:datatype": self.datatype,
            "core:sample_rate": self.sample_rate_hz,
            "core:recorder": f"modemhunt {__version__}",
        }
        if self.description is not None:
            g["core:description"] = str(self.description)
        g.update(_jsonable(self.global_extra))
        g["modemhunt:sample_count"] = self.num_samples
        return g

    def close(self) -> Path:
        """Finish the data file and write the validated ``.sigmf-meta``; returns its path.

        Safe to call twice (the second call only returns the path).
        """
        if self._closed:
            return self.meta_path
        self._closed = True
        self._fh.close()
        if self.num_samples == 0:
            self.data_path.unlink(missing_ok=True)
            raise ValueError(f"{self.base.name}: no samples written; no recording created")
        kept = [c for c in self._captures if c.sample_start < self.num_samples]
        if len(kept) < len(self._captures):
            log.warning("%s: dropped captures starting after the last sample", self.base.name)
        for a in self._annotations:
            if a.sample_end > self.num_samples:
                log.warning(
                    "%s: annotation %r ends at sample %d, after the data (%d samples)",
                    self.base.name,
                    a.label,
                    a.sample_end,
                    self.num_samples,
                )
        meta = {
            "global": self._global(),
            "captures": [self._capture_item(c) for c in kept],
            "annotations": sorted(
                (annotation_to_sigmf(a) for a in self._annotations),
                key=lambda item: item["core:sample_start"],
            ),
        }
        _declare_extensions(meta)
        self._write_meta(meta)
        return self.meta_path

    @staticmethod
    def _capture_item(capture: Capture) -> dict[str, Any]:
        item: dict[str, Any] = {
            "core:sample_start": capture.sample_start,
            "core:frequency": capture.center_hz,
        }
        if capture.datetime is not None:
            item["core:datetime"] = capture.datetime
        return item

    def _write_meta(self, meta: dict[str, Any]) -> None:
        import jsonschema  # type: ignore[import-untyped]
        from sigmf import SigMFFile

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                handle = SigMFFile(metadata=meta)
                # Hash computed while writing: no second pass over a possibly huge file.
                handle.set_data_file(self.data_path, skip_checksum=True)
                handle.set_global_field("core:sha512", self._sha512.hexdigest())
                handle.validate()
                fd, tmp = tempfile.mkstemp(prefix=f".{self.base.name}.", dir=self.meta_path.parent)
                os.close(fd)
                tmp_base = Path(tmp)
                try:
                    handle.tofile(tmp_base, overwrite=True)
                    os.replace(tmp_base.with_name(tmp_base.name + META_EXT), self.meta_path)
                finally:
                    tmp_base.unlink(missing_ok=True)
                    tmp_base.with_name(tmp_base.name + META_EXT).unlink(missing_ok=True)
            except jsonschema.ValidationError as err:
                raise ValueError(f"{self.meta_path.name}: metadata does not validate: {err.message}") from err
        for w in caught:
            log.warning("%s: sigmf: %s", self.meta_path.name, w.message)


def write_sigmf(
    base: str | os.PathLike[str],
    samples: NDArray[Any],
    *,
    sample_rate_hz: float,
    center_hz: float | None = None,
    captures: Sequence[Capture] | None = None,
    datatype: str = "cu8",
    annotations: Sequence[Annotation] = (),
    global_extra: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> Path:
    """Write ``samples`` as a SigMF recording in one call.

    Parameters
    ----------
    base : str or path-like
        Output base name.
    samples : ndarray
        Complex samples.
    sample_rate_hz : float
        Sample rate.
    center_hz : float or None
        Centre frequency (one capture at sample 0) when ``captures`` is not given, or of a
        capture at 0 added in front of ``captures`` that start later.
    captures : sequence of Capture or None
        Capture segments (retunes), sorted by ``sample_start``.
    datatype : str
        Stored format.
    annotations : sequence of Annotation
        Annotations to store.
    global_extra : Mapping or None
        More ``global`` keys.
    description : str or None
        ``core:description``.

    Returns
    -------
    Path
        The ``.sigmf-meta`` written.
    """
    first_at_zero = bool(captures) and captures is not None and captures[0].sample_start == 0
    with SigMFWriter(
        base,
        sample_rate_hz=sample_rate_hz,
        datatype=datatype,
        center_hz=None if first_at_zero else center_hz,
        global_extra=global_extra,
        description=description,
    ) as writer:
        for capture in captures or ():
            writer.add_capture(capture)
        writer.write(samples)
        for annotation in annotations:
            writer.add_annotation(annotation)
    return writer.meta_path


def _meta_path_of(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    name = p.name
    if name.endswith(META_EXT):
        return p
    if name.endswith(DATA_EXT):
        return p.with_name(name[: -len(DATA_EXT)] + META_EXT)
    if name.endswith(ARCHIVE_EXT) or name.endswith((".sigmf.gz", ".sigmf.xz", ".sigmf.zip")):
        raise InputError(
            f"{name}: cannot annotate inside a SigMF archive: "
            "extract it (tar xf) and annotate the .sigmf-meta"
        )
    candidate = p.with_name(name + META_EXT)
    if candidate.is_file():
        return candidate
    raise InputError(f"{name}: not a SigMF recording (no {META_EXT} to annotate)")


def _validates(meta: dict[str, Any]) -> str | None:
    """Return the schema problem of ``meta`` or None when it is valid SigMF."""
    import jsonschema
    from sigmf import schema, validate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            validate.validate(meta, schema.get_schema())
        except jsonschema.ValidationError as err:
            return str(err.message)
        except (KeyError, TypeError) as err:
            return f"malformed metadata ({err})"
    return None


def add_annotations(
    meta_path: str | os.PathLike[str],
    annotations: Sequence[Annotation],
    *,
    replace_label_prefix: str | None = None,
) -> None:
    """Add annotations to an existing SigMF recording's metadata, atomically.

    Existing annotations are kept, except those whose ``core:label`` starts with
    ``replace_label_prefix`` (so annotating again replaces the previous run instead of piling
    up).  The list is sorted by ``core:sample_start`` as SigMF requires, new namespaces are
    declared in ``core:extensions``, and the file is replaced through a temporary file and a
    rename, so a crash never leaves half a metadata file.

    Parameters
    ----------
    meta_path : str or path-like
        The ``.sigmf-meta`` (or its ``.sigmf-data`` or base name).
    annotations : sequence of Annotation
        Annotations to add.
    replace_label_prefix : str or None
        Drop existing annotations whose label starts with this prefix first.

    Raises
    ------
    InputError
        If the metadata is missing, malformed, inside an archive, or would not validate.
    """
    path = _meta_path_of(meta_path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read metadata: {err.strerror or err}") from err
    meta = _load_json(raw, path.name)
    was_valid = _validates(meta) is None
    existing = meta.get("annotations", [])
    if not isinstance(existing, list):
        raise InputError(f'{path.name}: "annotations" must be a list')
    if replace_label_prefix:
        existing = [
            a
            for a in existing
            if not (isinstance(a, dict) and str(a.get("core:label", "")).startswith(replace_label_prefix))
        ]
    combined = existing + [annotation_to_sigmf(a) for a in annotations]
    combined.sort(key=lambda a: a.get("core:sample_start", 0) if isinstance(a, dict) else 0)
    meta["annotations"] = combined
    _declare_extensions(meta)
    problem = _validates(meta)
    if problem is not None:
        if was_valid:
            raise InputError(f"{path.name}: annotations would make the metadata invalid: {problem}")
        log.warning(
            "%s: metadata was already invalid SigMF (%s); annotations added anyway", path.name, problem
        )
    try:
        text = json.dumps(meta, indent=4, allow_nan=False) + "\n"
    except ValueError as err:
        raise InputError(f"{path.name}: metadata holds a NaN or infinity: {err}") from err
    write_text_atomic(text, path, error=InputError)
