"""The one JSON writer of the serialprobe CLI: checked before any port is opened, atomic on disk.

``--json OUT`` of every subcommand goes through :func:`write_json`:

* ``-`` writes to stdout;
* a path is written through a temporary file in the same folder (``.NAME.XXXXXXXX.tmp``), flushed
  and ``fsync``-ed, then renamed over ``OUT`` with :func:`os.replace`, so a reader (or a scan
  interrupted by Ctrl-C) only ever sees a whole document; the temporary file is removed on
  failure. The file is created with mode 0644 minus the process umask (like ``open()`` would
  for a 0644 request; not ``mkstemp``'s 0600);
* every ``OSError`` becomes one :class:`~serialprobe.errors.SerialprobeError` line.

:func:`check_writable` runs before a command touches a device: a directory, a missing folder or a
read-only folder is reported before anything is written to (or even opened on) a serial port.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from serialprobe.errors import SerialprobeError
from serialprobe.sanitize import terminal_safe

__all__ = ["FILE_MODE", "check_writable", "write_json"]

#: Mode requested for written files (the umask still applies).
FILE_MODE = 0o644


def _shown(path: str) -> str:
    return terminal_safe(path, max_chars=200)


def _folder(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def check_writable(out: str) -> None:
    """Make sure ``--json OUT`` can be written, before any port is opened.

    Parameters
    ----------
    out : str
        Output path, or ``-`` for stdout (always fine).

    Raises
    ------
    SerialprobeError
        ``out`` is a directory, its folder does not exist or is not writable.
    """
    if out == "-":
        return
    if not out:
        raise SerialprobeError("--json needs a file name (or - for stdout)")
    target = Path(out)
    if target.is_dir():
        raise SerialprobeError(f"--json {_shown(out)} is a directory: give a file name inside it")
    folder = _folder(target)
    if not folder.is_dir():
        raise SerialprobeError(
            f"--json {_shown(out)}: folder {_shown(str(folder))} does not exist (create it first)"
        )
    # Try what write_json will do: create a file in the folder, then remove it.
    probe = folder / f".{target.name}.{secrets.token_hex(4)}.check"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError as err:
        raise SerialprobeError(
            f"--json {_shown(out)}: cannot create files in {_shown(str(folder))} ({err.strerror or err})"
        ) from err
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def write_json(doc: Any, out: str) -> None:
    """Write ``doc`` as indented JSON to ``out`` (``-`` = stdout), atomically for files.

    Parameters
    ----------
    doc : JSON-serialisable object
        The document.
    out : str
        Path or ``-``.

    Raises
    ------
    SerialprobeError
        The file could not be written (the previous content of ``out``, if any, is untouched and
        no temporary file is left behind).
    """
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if out == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(out)
    tmp = _folder(target) / f".{target.name}.{secrets.token_hex(4)}.tmp"
    created = False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        created = True
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        created = False
    except OSError as err:
        raise SerialprobeError(
            f"cannot write --json {_shown(out)}: {err.strerror or err} "
            "(the previous file, if any, is unchanged)"
        ) from err
    finally:
        if created:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
