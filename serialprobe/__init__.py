"""serialprobe: find and identify cellular modems on serial ports and USB, read-only.

It enumerates serial ports and USB devices, recognises modem modules by their
IDs and interface layout, listens passively to learn what a line carries, and
sends only allowlisted read-only AT commands.  Everything a device returns is
treated as untrusted.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from serialprobe.errors import SerialprobeError

try:
    __version__ = version("modemhunt")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0+unknown"

__all__ = ["SerialprobeError", "__version__"]
