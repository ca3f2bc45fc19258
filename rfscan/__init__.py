"""rfscan: find cellular uplink emissions with an RTL-SDR.

The package turns IQ samples (from a dongle, an rtl_tcp server, a file or the
scene simulator) into spectra, bursts, emitters and reports.  Hardware
libraries are imported lazily inside their backends, so ``import rfscan``
works on a machine with no librtlsdr and no libusb.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from rfscan.errors import RfscanError

try:
    __version__ = version("modemhunt")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0+unknown"

__all__ = ["RfscanError", "__version__"]
