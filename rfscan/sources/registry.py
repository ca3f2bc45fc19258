"""Pick a source backend by URL scheme; backends are imported only when used.

======================  ====================================================================
URL                     backend
======================  ====================================================================
``rtlsdr://0``          local dongle by index (``rtlsdr://`` = index 0) through pyrtlsdr
``rtlsdr://SERIAL``     local dongle by USB serial (``rtlsdr://?serial=00000001`` to be explicit)
``rtltcp://HOST:PORT``  an rtl_tcp server (osmocom protocol; port 1234 by default)
``sim://SCENE?seed=N``  the scene simulator (built-in scene name or a scene file path)
``file://PATH``         replay of a recording (``?loop=1&realtime=1``)
======================  ====================================================================

Query options common to all: ``center``/``center_hz``, ``rate``/``sample_rate_hz``, ``gain``
(dB or ``auto``), ``ppm``, ``settle_s``; keyword arguments of :func:`open_source` override them.
"""

from __future__ import annotations

import importlib
from typing import Any

from rfscan.errors import SourceError
from rfscan.sources.base import Source

__all__ = ["BACKENDS", "backend_class", "open_source"]

#: URL scheme -> "module:Class" (imported on first use, so ``import rfscan.sources`` stays light and
#: works without pyrtlsdr).
BACKENDS: dict[str, str] = {
    "rtlsdr": "rfscan.sources.rtlsdr_local:RtlSdrSource",
    "rtltcp": "rfscan.sources.rtltcp:RtlTcpSource",
    "sim": "rfscan.sources.sim:SimSource",
    "file": "rfscan.sources.file:FileSource",
}


def backend_class(scheme: str) -> type[Source]:
    """Import and return the :class:`Source` class for a URL scheme.

    Raises
    ------
    SourceError
        For an unknown scheme.
    """
    target = BACKENDS.get(scheme.lower())
    if target is None:
        raise SourceError(
            f"unknown source type {scheme!r}: use one of {', '.join(f'{s}://' for s in BACKENDS)}"
        )
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    cls = getattr(module, class_name)
    assert isinstance(cls, type)
    assert issubclass(cls, Source)
    return cls


def open_source(url: str, **kw: Any) -> Source:
    """Create and open the source a URL names.

    Parameters
    ----------
    url : str
        ``rtlsdr://0``, ``rtltcp://HOST:PORT``, ``sim://SCENE?seed=N``, ``file://PATH``...
    **kw
        Backend options (``center_hz``, ``sample_rate_hz``, ``gain_db``, ``settle_s``,
        ``reconnect``...); they override the URL's query.

    Returns
    -------
    Source
        The opened source (use it in a ``with`` block to close it).

    Raises
    ------
    SourceError
        Unknown scheme, bad option, or the radio could not be opened.
    """
    if not isinstance(url, str) or "://" not in url:
        raise SourceError(
            f"{url!r}: not a source URL: write rtlsdr://0, rtltcp://HOST:PORT, sim://SCENE or file://PATH"
        )
    scheme = url.split("://", 1)[0]
    cls = backend_class(scheme)
    source = cls.from_url(url, **kw)
    return source.open()
