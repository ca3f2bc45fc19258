"""Enumeration: serial ports, USB devices, the modem database and modem verdicts.

Nothing here imports pyusb or libusb at module level; :func:`serialprobe.enumerate.usb.list_usb`
imports them when called.

Modules
-------
ports
    Serial ports through pyserial (:func:`list_ports`, :class:`PortInfo`).
usb
    USB devices through pyusb and Linux sysfs (:func:`list_usb`, :func:`list_usb_sysfs`).
modemdb
    The modem database shipped as data (:func:`load_modem_db`, :class:`Role`).
usbids
    Vendor and product names from the system's usb.ids (hwdata).
verdict
    Modem / possible modem / not a modem, for a USB device or a serial port.
"""

from __future__ import annotations
