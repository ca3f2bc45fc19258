"""Vendor and product names from the system's ``usb.ids`` database (linux-usb.org, via hwdata).

Names are never hand-written here: when no database is installed every name is ``None`` and the
caller says so once ("usb.ids not found"). Debian/Ubuntu ship the file in the ``usb.ids`` package
(``/usr/share/misc/usb.ids``), Fedora/Arch in ``hwdata`` (``/usr/share/hwdata/usb.ids``).

The environment variable ``MODEMHUNT_USB_IDS`` points at another file (tests, offline copies).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "USB_IDS_ENV",
    "USB_IDS_PATHS",
    "UsbIds",
    "load_usb_ids",
    "parse_usb_ids",
    "product_name",
    "usb_ids_path",
    "vendor_name",
]

#: Environment variable naming a usb.ids file to use instead of the system one.
USB_IDS_ENV = "MODEMHUNT_USB_IDS"

#: Where distributions install usb.ids, most common first.
USB_IDS_PATHS: tuple[str, ...] = (
    "/usr/share/hwdata/usb.ids",
    "/usr/share/misc/usb.ids",
    "/usr/share/usb.ids",
    "/var/lib/usbutils/usb.ids",
)

_VENDOR_RE = re.compile(r"^([0-9a-fA-F]{4})\s+(.*\S)\s*$")
_PRODUCT_RE = re.compile(r"^\t([0-9a-fA-F]{4})\s+(.*\S)\s*$")
# Section keywords after the vendor list (device classes, HID usages, languages, ...).
_SECTION_RE = re.compile(r"^(C|AT|HID|R|BIAS|PHY|HUT|L|HCC|VT)\s")
_MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class UsbIds:
    """Parsed vendor and product names of one usb.ids file.

    Attributes
    ----------
    path : str
        The file the names came from.
    vendors : dict
        Vendor ID -> vendor name.
    products : dict
        (vendor ID, product ID) -> product name.
    """

    path: str
    vendors: dict[int, str] = field(default_factory=dict)
    products: dict[tuple[int, int], str] = field(default_factory=dict)


def usb_ids_path() -> Path | None:
    """Return the usb.ids file to use, or ``None`` when the machine has none.

    Returns
    -------
    pathlib.Path or None
        ``$MODEMHUNT_USB_IDS`` when set and readable, else the first existing file of
        :data:`USB_IDS_PATHS`.
    """
    override = os.environ.get(USB_IDS_ENV)
    candidates = (override,) if override else USB_IDS_PATHS
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.R_OK):
            return Path(candidate)
    return None


def parse_usb_ids(text: str, *, path: str = "<text>") -> UsbIds:
    """Parse usb.ids text (vendor lines, tab-indented product lines; later sections ignored).

    Parameters
    ----------
    text : str
        Content of a usb.ids file.
    path : str
        Name recorded in the result.

    Returns
    -------
    UsbIds
        The vendor and product names.
    """
    vendors: dict[int, str] = {}
    products: dict[tuple[int, int], str] = {}
    current: int | None = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if _SECTION_RE.match(line):
            break
        if line.startswith("\t\t"):
            continue  # interface lines
        m = _PRODUCT_RE.match(line)
        if m:
            if current is not None:
                products[(current, int(m.group(1), 16))] = m.group(2)[:_MAX_NAME_CHARS]
            continue
        m = _VENDOR_RE.match(line)
        if m:
            current = int(m.group(1), 16)
            vendors[current] = m.group(2)[:_MAX_NAME_CHARS]
        else:
            current = None
    return UsbIds(path=path, vendors=vendors, products=products)


@functools.lru_cache(maxsize=4)
def _load(path: str) -> UsbIds:
    raw = Path(path).read_bytes()
    return parse_usb_ids(raw.decode("utf-8", errors="replace"), path=path)


def load_usb_ids(path: str | os.PathLike[str] | None = None) -> UsbIds | None:
    """Return the parsed database (cached per file), or ``None`` when there is none.

    Parameters
    ----------
    path : str or path-like, optional
        File to read; default :func:`usb_ids_path`.

    Returns
    -------
    UsbIds or None
        Parsed names; ``None`` when no file exists or it cannot be read.
    """
    chosen = Path(path) if path is not None else usb_ids_path()
    if chosen is None:
        return None
    try:
        return _load(str(chosen))
    except OSError:
        return None


def vendor_name(vid: int, *, path: str | os.PathLike[str] | None = None) -> str | None:
    """Return the usb.ids vendor name of ``vid`` (``None`` if unknown or no database).

    Parameters
    ----------
    vid : int
        USB vendor ID.
    path : str or path-like, optional
        usb.ids file; default :func:`usb_ids_path`.

    Returns
    -------
    str or None
        Vendor name.
    """
    db = load_usb_ids(path)
    return None if db is None else db.vendors.get(vid)


def product_name(vid: int, pid: int, *, path: str | os.PathLike[str] | None = None) -> str | None:
    """Return the usb.ids product name of ``vid:pid`` (``None`` if unknown or no database).

    Parameters
    ----------
    vid, pid : int
        USB vendor and product IDs.
    path : str or path-like, optional
        usb.ids file; default :func:`usb_ids_path`.

    Returns
    -------
    str or None
        Product name.
    """
    db = load_usb_ids(path)
    return None if db is None else db.products.get((vid, pid))
