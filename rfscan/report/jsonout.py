"""Writing JSON documents: numpy-aware, NaN-free, atomic, ``-`` for stdout."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rfscan.atomic import write_text_atomic


def to_jsonable(value: Any) -> Any:
    """Convert ``value`` to plain JSON types.

    numpy scalars and arrays become Python numbers and lists, dataclasses become
    dicts, paths become strings, and non-finite floats become ``None`` (JSON has
    no NaN; a reader must never meet one).
    """
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        return to_jsonable(to_dict() if callable(to_dict) else asdict(value))
    return value


def dumps(doc: Any) -> str:
    """Serialise ``doc`` as indented JSON after :func:`to_jsonable`."""
    return json.dumps(to_jsonable(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(doc: Any, target: str | os.PathLike[str]) -> None:
    """Write ``doc`` to ``target`` atomically, or to stdout when ``target`` is ``"-"``.

    The file is written to a temporary sibling and renamed, so a reader (or a
    Ctrl-C) never sees half a document.

    Raises
    ------
    RfscanError
        If the file cannot be written.
    """
    text = dumps(doc)
    if str(target) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_text_atomic(text, target)
