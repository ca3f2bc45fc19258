"""Atomic file writes: a reader, a crash or a Ctrl-C never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rfscan.errors import RfscanError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(
    text: str,
    target: str | os.PathLike[str],
    *,
    mode: int | None = None,
    error: type[RfscanError] = RfscanError,
) -> None:
    """Write ``text`` to ``target`` through a temporary sibling, fsync, then rename.

    Parameters
    ----------
    text : str
        The whole content (UTF-8).
    target : path
        Destination; missing parent folders are created.
    mode : int, optional
        Permission bits of the result; default: those of the file being replaced, else
        ``0o666`` less the umask (as ``open()`` would give, not ``mkstemp``'s ``0o600``).
    error : type of RfscanError
        The exception raised when writing fails (the temporary file is removed).
    """
    path = Path(target)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            mode = 0o666 & ~_umask()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise error(f"cannot write {path}: {err.strerror or err}") from err
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise error(f"cannot write {path}: {err.strerror or err}") from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
