"""Open serial ports the careful way: control lines low, exclusive, errors with advice.

Every port serialprobe touches is opened through :func:`open_port`, which

* goes through :func:`serial.serial_for_url` with ``do_not_open=True``, so device paths and
  pyserial URLs (``loop://``, ``socket://host:port``, ``spy://``, ``rfc2217://``) all work;
* sets ``dtr=False`` and ``rts=False`` *before* ``open()`` (pyserial stores them on a closed
  port and applies them during ``open()``) and disables hardware/software flow control;
* asks for pyserial's exclusive lock on device paths (POSIX: an advisory ``flock(LOCK_EX|LOCK_NB)``
  taken right after the device is opened): a second serialprobe, or any flock-aware program,
  gets "in use"; programs that do not flock (ModemManager, a getty) are not kept out, so stop them;
* turns every failure into one :class:`~serialprobe.errors.PortError` line that says what to do.

What the platform does not let us promise
-----------------------------------------
On Linux (and macOS) the kernel tty layer raises DTR and RTS when a serial device is opened,
before any termios or modem-control ioctl from user space can run: pyserial can only lower them
right after ``open()``. Users measured a pulse of about 20 ms on a CH340 adapter even with the
lines set low beforehand (pyserial issue #729, 2024); other projects reached the same conclusion
(serialport-rs PR #242 "Linux always sets DTR on open"; jSerialComm #523: the blip disappears only
after ``stty -hupcl`` was applied earlier, e.g. by a udev rule, and clearing HUPCL itself costs one
blip). Consequences for a probe of industrial equipment:

* a board wiring DTR to reset (Arduino-style) may reset when the port is opened;
* on RS-485 adapters RTS often keys the transmitter (Linux Documentation/serial/serial-rs485.rst):
  the short pulse can put a few garbage bits on a live bus;
* Windows honours the pre-open DTR/RTS state, so there is no pulse there.

If even a brief pulse is unacceptable, configure the port with ``stty -F /dev/ttyUSB0 -hupcl``
from a udev rule before the device is first opened, or listen with a tap that has no control lines.
"""

from __future__ import annotations

import errno
import logging
from typing import Any

import serial

from serialprobe.errors import PortError

__all__ = ["is_url", "open_port", "port_error_message", "restore_tty_attrs", "save_tty_attrs"]

log = logging.getLogger(__name__)

_BUSY_ERRNOS = {errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK}
_MISSING_ERRNOS = {errno.ENOENT, errno.ENODEV, errno.ENXIO}


def is_url(url_or_device: str) -> bool:
    """Tell whether ``url_or_device`` is a pyserial URL (``scheme://...``) rather than a path."""
    return "://" in url_or_device


def port_error_message(device: str, err: BaseException) -> str:
    """Return one line describing why ``device`` could not be opened and what to do.

    Parameters
    ----------
    device : str
        Device path or pyserial URL.
    err : BaseException
        The exception pyserial or the OS raised.

    Returns
    -------
    str
        One line with the cause and the advice.
    """
    code = _errno_of(err)
    text = " ".join(str(err).split())
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied on {device}: add your user to the dialout group "
            "(sudo usermod -aG dialout $USER) and log in again"
        )
    if code in _BUSY_ERRNOS or "exclusive" in text.lower() or "busy" in text.lower():
        return (
            f"{device} is in use by another process (ModemManager? `sudo systemctl stop ModemManager` "
            f"or `lsof {device}` to find it)"
        )
    if code in _MISSING_ERRNOS or "no such file" in text.lower():
        return f"no such port {device}: check the name with `serialprobe list` (unplugged or renamed?)"
    if isinstance(err, ValueError):
        return f"cannot open {device}: invalid setting or URL ({text})"
    return f"cannot open {device}: {text or type(err).__name__}"


def _errno_of(err: BaseException) -> int | None:
    """Find an errno in ``err`` or its cause chain (pyserial wraps OSError in SerialException)."""
    seen: set[int] = set()
    cur: BaseException | None = err
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        code = getattr(cur, "errno", None)
        if isinstance(code, int):
            return code
        args: tuple[object, ...] = tuple(getattr(cur, "args", ()))
        if len(args) >= 2 and isinstance(args[0], int):
            return args[0]
        cur = cur.__cause__ or cur.__context__
    # pyserial formats "[Errno 13] could not open port ...: [Errno 13] Permission denied: ..."
    text = str(err)
    for code in (errno.EACCES, errno.EPERM, errno.EBUSY, errno.ENOENT, errno.ENODEV, errno.ENXIO):
        if f"[Errno {code}]" in text:
            return code
    return None


def open_port(
    url_or_device: str, *, baudrate: int, timeout_s: float, exclusive: bool = True
) -> serial.SerialBase:
    """Open a serial port or pyserial URL with DTR/RTS low, no flow control and an exclusive lock.

    Parameters
    ----------
    url_or_device : str
        Device path (``/dev/ttyUSB0``, ``/dev/pts/5``) or pyserial URL (``loop://``,
        ``socket://127.0.0.1:7000``, ``spy://...``, ``rfc2217://...``).
    baudrate : int
        Line speed in baud (8N1 is always used).
    timeout_s : float
        Read timeout of one ``read()`` call in seconds (also used as the write timeout).
    exclusive : bool
        Ask for pyserial's advisory exclusive lock (POSIX device paths; not for URLs).

    Returns
    -------
    serial.SerialBase
        The open port.

    Raises
    ------
    PortError
        Missing port, permission denied, port busy or invalid setting, with advice.

    Notes
    -----
    The kernel may still pulse DTR/RTS briefly at open on Linux/macOS; see the module docstring.
    """
    if baudrate <= 0:
        raise PortError(f"invalid baud rate {baudrate}: give a positive number such as 115200")
    try:
        port = serial.serial_for_url(url_or_device, do_not_open=True)
    except (ValueError, serial.SerialException, OSError) as err:
        raise PortError(port_error_message(url_or_device, err)) from err
    try:
        port.baudrate = baudrate
        port.bytesize = serial.EIGHTBITS
        port.parity = serial.PARITY_NONE
        port.stopbits = serial.STOPBITS_ONE
        port.timeout = timeout_s
        port.write_timeout = max(timeout_s, 0.5)
        port.xonxoff = False
        port.rtscts = False
        port.dsrdtr = False
        # Stored on the closed port and applied by open(): the lines stay low from the first
        # moment pyserial controls them.
        port.dtr = False
        port.rts = False
        if exclusive and hasattr(port, "exclusive") and not is_url(url_or_device):
            port.exclusive = True
        _remember_original_attrs(port)
        try:
            port.open()
        finally:
            port.__dict__.pop("_reconfigure_port", None)
    except (ValueError, serial.SerialException, OSError) as err:
        raise PortError(port_error_message(url_or_device, err)) from err
    log.debug("opened %s at %d baud (dtr/rts low, exclusive=%s)", url_or_device, baudrate, exclusive)
    return port


#: Attribute of an opened port holding the termios attributes the device had before pyserial
#: configured it (POSIX device paths only).
_SAVED_ATTR = "_serialprobe_original_termios"


def _tcgetattr(fd: object) -> list[Any] | None:
    if not isinstance(fd, int) or fd < 0:
        return None
    try:
        import termios
    except ImportError:  # pragma: no cover - Windows
        return None
    try:
        return termios.tcgetattr(fd)
    except (termios.error, OSError):
        return None


def _remember_original_attrs(port: serial.SerialBase) -> None:
    """Record the device's termios attributes between pyserial's ``os.open`` and its first
    reconfiguration (``Serial.open`` calls ``_reconfigure_port`` right after opening the fd)."""
    reconfigure = getattr(port, "_reconfigure_port", None)
    if reconfigure is None or is_url(str(getattr(port, "portstr", "") or "")):
        return
    done = False

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nonlocal done
        if not done:
            done = True
            setattr(port, _SAVED_ATTR, _tcgetattr(getattr(port, "fd", None)))
        return reconfigure(*args, **kwargs)

    port.__dict__["_reconfigure_port"] = wrapped


def save_tty_attrs(port: Any) -> list[Any] | None:
    """Return the termios attributes to put back when done with ``port`` (None: nothing to do).

    For ports opened by :func:`open_port` these are the attributes the device had *before*
    pyserial configured it; otherwise the current ones. Ports without a POSIX file descriptor
    (URLs, Windows) have none.
    """
    saved = getattr(port, _SAVED_ATTR, None)
    if isinstance(saved, list):
        return saved
    return _tcgetattr(getattr(port, "fd", None))


def restore_tty_attrs(port: Any, saved: list[Any] | None) -> bool:
    """Put the termios attributes ``saved`` back on ``port`` (before closing it).

    serialprobe changes the rate, parity and input flags (``INPCK``/``PARMRK`` while listening);
    drivers that keep termios across opens (8250 UARTs) would otherwise hand the next user the
    last setting tried. Returns False when the attributes could not be restored.
    """
    if saved is None:
        return True
    fd = getattr(port, "fd", None)
    if not isinstance(fd, int) or fd < 0:
        return False
    try:
        import termios
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        termios.tcsetattr(fd, termios.TCSANOW, saved)
    except (termios.error, OSError) as err:
        log.debug("cannot restore termios attributes: %s", err)
        return False
    return True
