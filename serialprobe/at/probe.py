"""Read-only AT probe of one port: identity, SIM, network and vendor status, bounded in time.

:func:`probe_port` optionally listens first (a line carrying Modbus, NMEA, DIAG or console text,
or bytes no recogniser explains, is refused unless ``force``; unexplained bytes are accepted on a
port the enumeration knows as a modem's AT interface), opens the port with DTR/RTS low, finds the
baud rate with ``AT`` only, then sends allowlisted read commands through
:class:`~serialprobe.at.engine.AtEngine`. The port's termios settings are restored before it is
closed.
The result is a :class:`ProbeResult` whose strings are all sanitized and whose IMEI, IMSI and
ICCID are masked unless ``reveal`` (the check-digit flags are computed before masking).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from serialprobe import transport
from serialprobe.at import parse
from serialprobe.at.allowlist import Allowlist
from serialprobe.at.engine import AtEngine, AtReply
from serialprobe.errors import PortError, RefusedError
from serialprobe.sanitize import field_text, terminal_safe
from serialprobe.transport import restore_tty_attrs, save_tty_attrs

__all__ = [
    "AUTO_BAUDS",
    "DEFAULT_TIMEOUT_S",
    "Identity",
    "NetworkInfo",
    "ProbeResult",
    "SimInfo",
    "probe_port",
]

#: Rates tried by ``baud="auto"``, in order (``AT`` only, first clean ``OK`` wins).
AUTO_BAUDS: tuple[int, ...] = (115200, 9600, 57600, 19200, 38400, 230400, 460800, 921600)
#: Default bound on the whole probe (after any listening).
DEFAULT_TIMEOUT_S = 20.0
#: Default per-command timeout.
COMMAND_TIMEOUT_S = 1.0
#: Per-rate timeout of the ``AT`` handshake during the baud search.
AUTO_BAUD_TIMEOUT_S = 0.4
#: Protocols a passive listen may report that still allow writing ``AT`` (``unknown`` only with
#: ``force`` or when the enumeration says the port is a modem's AT interface).
_WRITABLE = ("at", "silent")


class _ListenLike(Protocol):
    protocol: str


class _OpenPort(Protocol):
    def __call__(self, url_or_device: str, *, baudrate: int, timeout_s: float) -> Any: ...


@dataclass
class Identity:
    """Who the modem says it is. IMEI/IMSI/ICCID are masked unless the probe ran with reveal."""

    manufacturer: str | None = None
    model: str | None = None
    revision: str | None = None
    maker: str | None = None
    imei: str | None = None
    imei_valid: bool | None = None
    imsi: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    iccid: str | None = None
    iccid_valid: bool | None = None
    masked: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


@dataclass
class SimInfo:
    """SIM state from ``+CPIN?`` (``READY``, ``SIM PIN`` ...)."""

    state: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


@dataclass
class NetworkInfo:
    """Registration, operator, access technology and signal."""

    registration: str | None = None
    registration_stat: int | None = None
    registration_domain: str | None = None
    registered: bool | None = None
    roaming: bool | None = None
    lac: str | None = None
    cell_id: str | None = None
    operator: str | None = None
    act: int | None = None
    rat: str | None = None
    signal_dbm: int | None = None
    rssi_index: int | None = None
    rsrp_dbm: int | None = None
    rsrq_db: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


@dataclass
class ProbeResult:
    """Everything one probe learned, safe to print, store and embed in HTML (after html.escape).

    Attributes
    ----------
    device : str
        Port path or URL.
    protocol : str
        ``at`` when AT answered; ``silent`` (no byte), ``text`` (printable text) or ``unknown``
        otherwise; listen results (modbus, nmea, diag) appear under ``listen``.
    baud : int or None
        Rate that answered.
    identity, sim, network : dataclasses
        Parsed facts.
    vendor_status : dict
        Vendor status read (QENG, CPSI, SERVINFO, GSTATUS) as safe strings.
    commands : list of dict
        Per command: status, final code, elapsed time.
    urcs : list of str
        Unsolicited lines seen.
    transcript : list of dict
        ``{t_s, dir, data}`` with escaped bytes.
    events : list of str
        What happened (timeouts, flood cut, port vanished, non-UTF-8, forced probe...).
    complete : bool
        True when every planned command ran and got a final result code.
    elapsed_s : float
        Wall time of the probe (without the listen).
    listen : dict or None
        The listen result when one ran.
    """

    device: str
    protocol: str = "unknown"
    baud: int | None = None
    identity: Identity = field(default_factory=Identity)
    sim: SimInfo = field(default_factory=SimInfo)
    network: NetworkInfo = field(default_factory=NetworkInfo)
    vendor_status: dict[str, str] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    urcs: list[str] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    complete: bool = False
    elapsed_s: float = 0.0
    listen: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the contract the report and ``--json`` use)."""
        return {
            "device": self.device,
            "protocol": self.protocol,
            "baud": self.baud,
            "identity": self.identity.to_dict(),
            "sim": self.sim.to_dict(),
            "network": self.network.to_dict(),
            "vendor_status": dict(self.vendor_status),
            "commands": list(self.commands),
            "urcs": list(self.urcs),
            "transcript": list(self.transcript),
            "events": list(self.events),
            "complete": self.complete,
            "elapsed_s": round(self.elapsed_s, 3),
            "listen": self.listen,
        }


class _Session:
    """Runs commands with the stop rules: deadline, vanished port, device stopped answering."""

    def __init__(self, engine: AtEngine, command_timeout_s: float) -> None:
        self.engine = engine
        self.command_timeout_s = command_timeout_s
        self.replies: dict[str, AtReply] = {}
        self.skipped: list[str] = []
        self.failures = 0
        self.stopped = False

    def run(self, command: str) -> AtReply | None:
        if self.stopped or self.engine.vanished or self.engine.remaining_s() <= 0:
            self.skipped.append(command)
            return None
        reply = self.engine.command(command, timeout_s=self.command_timeout_s)
        self.replies[command] = reply
        if reply.answered:
            self.failures = 0
        elif reply.status in ("vanished", "deadline"):
            self.stopped = True
        else:
            self.failures += 1
            if self.failures >= 2 or reply.status in ("flood", "binary"):
                self.stopped = True
                self.engine.event(f"stopped: device stopped answering ({reply.status} on {command})")
        return reply

    def lines(self, command: str) -> list[str]:
        reply = self.replies.get(command)
        return reply.lines if reply is not None and reply.ok else []


def _classify_silence(engine: AtEngine) -> str:
    """Protocol label when no AT answer came back."""
    if engine.total_rx == 0:
        return "silent"
    return "text" if engine.rx_printable_ratio() > 0.8 else "unknown"


def probe_port(
    url: str,
    *,
    baud: int | str = "auto",
    reveal: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    force: bool = False,
    listen_first: Callable[[str], _ListenLike] | None = None,
    command_timeout_s: float = COMMAND_TIMEOUT_S,
    auto_bauds: Sequence[int] = AUTO_BAUDS,
    open_port: _OpenPort = transport.open_port,
    allowlist: Allowlist | None = None,
    clock: Callable[[], float] = time.monotonic,
    at_port_reason: str | None = None,
) -> ProbeResult:
    """Probe one port with read-only AT commands.

    Parameters
    ----------
    url : str
        Device path or pyserial URL.
    baud : int or "auto"
        Fixed rate, or ``"auto"`` to try :data:`AUTO_BAUDS` with ``AT`` only.
    reveal : bool
        Keep IMEI, IMSI and ICCID in full (default: masked).
    timeout_s : float
        Bound on the whole probe after listening.
    force : bool
        Probe even when the listen found another protocol on the line.
    listen_first : callable, optional
        ``listen_first(url)`` returning an object with ``.protocol`` (and optionally
        ``.writes_allowed``, ``.baud``, ``.to_dict()``), e.g. a wrapper of
        :func:`serialprobe.listen.listen`.
    command_timeout_s : float
        Per-command timeout.
    auto_bauds : sequence of int
        Candidate rates for ``"auto"``.
    open_port : callable
        Port opener (default :func:`serialprobe.transport.open_port`).
    allowlist : Allowlist, optional
        Defaults to the shipped allowlist.
    clock : callable
        Monotonic clock.
    at_port_reason : str, optional
        Set when the enumeration says ``url`` is a known modem's AT interface (e.g. "AT port of
        a Quectel EC25"): a listen verdict of ``unknown`` (bytes nobody could identify, such as
        boot URCs heard at a wrong rate) then does not block the probe. Without it, ``unknown``
        needs ``force`` like any foreign protocol.

    Returns
    -------
    ProbeResult
        Always returned once the port opened; device misbehaviour shows up in ``events``.

    Raises
    ------
    RefusedError
        The listen found a non-AT protocol and ``force`` is false.
    PortError
        The port cannot be opened.
    """
    result = ProbeResult(device=url)
    first_baud: int | None = None
    if listen_first is not None:
        heard = listen_first(url)
        proto = str(getattr(heard, "protocol", "unknown"))
        writes_allowed = bool(getattr(heard, "writes_allowed", proto in _WRITABLE))
        to_dict = getattr(heard, "to_dict", None)
        result.listen = to_dict() if callable(to_dict) else {"protocol": proto}
        if not writes_allowed and proto == "unknown" and at_port_reason:
            result.events.append(
                "the listen heard bytes it could not identify; probing because the enumeration says: "
                + terminal_safe(at_port_reason, max_chars=120)
            )
        elif not writes_allowed:
            if not force:
                what = (
                    "bytes no recogniser explains (a bus heard only at wrong rates, a binary protocol)"
                    if proto == "unknown"
                    else f"{terminal_safe(proto, max_chars=20)} traffic"
                )
                raise RefusedError(
                    f"{terminal_safe(url, max_chars=200)} carries {what} (passive listen): "
                    "an AT probe could corrupt it; use --force to probe anyway"
                )
            result.events.append(f"forced: probing although the listen heard {terminal_safe(proto)}")
        heard_baud = getattr(heard, "baud", None)
        if proto == "at" and isinstance(heard_baud, int):
            first_baud = heard_baud

    if baud == "auto":
        candidates = list(auto_bauds)
        if first_baud is not None:
            candidates = [first_baud, *(b for b in candidates if b != first_baud)]
    elif isinstance(baud, int) and baud > 0:
        candidates = [baud]
    else:
        raise PortError(f"invalid baud {baud!r}: give a positive rate such as 115200, or auto")

    secrets: dict[str, str] = {}
    start = clock()
    port = open_port(url, baudrate=candidates[0], timeout_s=0.05)
    saved = save_tty_attrs(port)
    engine: AtEngine | None = None
    try:
        engine = AtEngine(port, deadline=start + timeout_s, allowlist=allowlist, clock=clock)
        found = _find_baud(engine, port, candidates, auto=baud == "auto", command_timeout_s=command_timeout_s)
        if found is None:
            result.protocol = _classify_silence(engine)
            engine.event(f"no AT answer at {', '.join(str(b) for b in candidates)} baud")
        else:
            result.protocol = "at"
            result.baud = found
            session = _Session(engine, command_timeout_s)
            secrets = _interrogate(session, result, reveal=reveal)
            result.complete = not session.skipped and all(r.answered for r in session.replies.values())
            result.commands = [
                {
                    "command": r.command,
                    "status": r.status,
                    "final": r.final,
                    "elapsed_s": round(r.elapsed_s, 3),
                }
                for r in session.replies.values()
            ] + [
                {"command": c, "status": "skipped", "final": None, "elapsed_s": 0.0} for c in session.skipped
            ]
    finally:
        restored = restore_tty_attrs(port, saved)
        try:
            port.close()
        except Exception:
            if engine is not None:
                engine.event("port could not be closed cleanly", key="close")
        if engine is not None and not restored:
            engine.event("the port's original termios settings could not be restored", key="termios")
    assert engine is not None  # AtEngine() raising propagates from the try above
    result.elapsed_s = clock() - start
    result.urcs = list(engine.urcs[:64])
    transcript = [e.to_dict() for e in engine.finish()]
    if not reveal:
        transcript = _redact_transcript(transcript, secrets)
    result.transcript = transcript
    result.events.extend(engine.events)
    return result


def _find_baud(
    engine: AtEngine, port: Any, candidates: list[int], *, auto: bool, command_timeout_s: float
) -> int | None:
    """Return the rate at which ``AT`` is answered (auto: a clean OK; fixed: OK or an error code)."""
    if not auto:
        for _ in range(3):
            reply = engine.command("AT", timeout_s=command_timeout_s)
            _note_echo_only(engine, reply)
            if reply.answered:
                return candidates[0]
            if reply.status in ("vanished", "deadline", "flood", "binary"):
                return None
        return None
    misses: list[str] = []
    found: int | None = None
    for rate in candidates:
        if engine.vanished or engine.remaining_s() <= 0:
            break
        try:
            if port.baudrate != rate:
                port.baudrate = rate
            port.reset_input_buffer()
        except Exception as err:
            engine.event(f"cannot set {rate} baud: {terminal_safe(str(err), max_chars=80)}")
            continue
        reply = engine.command("AT", timeout_s=min(AUTO_BAUD_TIMEOUT_S, command_timeout_s), quiet=True)
        _note_echo_only(engine, reply)
        if reply.ok:
            found = rate
            break
        misses.append(f"{rate} ({reply.final or reply.status})")
        if reply.status in ("vanished", "deadline"):
            break
    if misses:
        engine.event("baud search: no clean OK at " + ", ".join(misses))
    return found


def _note_echo_only(engine: AtEngine, reply: AtReply) -> None:
    if reply.echoes and not reply.lines and reply.final is None:
        engine.event("only the echo of AT came back (a loopback, or a terminal that echoes)", key="echo-only")


def _interrogate(session: _Session, result: ProbeResult, *, reveal: bool) -> dict[str, str]:
    """Send the identity, SIM, network and vendor reads and fill ``result``.

    Returns the raw identities and their masked forms (for redacting the transcript).
    """
    allow = session.engine.allowlist
    ident = result.identity
    ati = parse.parse_ati(session.lines("ATI")) if session.run("ATI") else {}
    session.run("AT+CGMI")
    session.run("AT+CGMM")
    session.run("AT+CGMR")
    session.run("AT+CGSN")
    ident.manufacturer = parse.parse_identity(session.lines("AT+CGMI"), "+CGMI:") or ati.get("manufacturer")
    ident.model = parse.parse_identity(session.lines("AT+CGMM"), "+CGMM:") or ati.get("model")
    revision = parse.parse_identity(session.lines("AT+CGMR"), "+CGMR:")
    ident.revision = parse.strip_prefix(revision, "Revision:") if revision else ati.get("revision")
    ident.maker = parse.detect_maker(ident.manufacturer, ati.get("manufacturer"), ident.model)
    imei, imei_ok = parse.parse_imei(session.lines("AT+CGSN"))
    if imei is None and ati.get("imei"):
        imei, imei_ok = parse.parse_imei([ati["imei"]])

    session.run("AT+CIMI")
    session.run("AT+CPIN?")
    imsi, mcc, mnc = parse.parse_imsi(session.lines("AT+CIMI"))
    result.sim.state = parse.parse_cpin(session.lines("AT+CPIN?"))

    iccid: str | None = None
    iccid_ok = False
    iccid_cmds = [c.command for c in allow.for_vendor(ident.maker or "", "iccid")]
    iccid_cmds += [c for c in ("AT+CCID", "AT+ICCID") if c not in iccid_cmds]
    for cmd in iccid_cmds[:3]:
        reply = session.run(cmd)
        if reply is None:
            break
        iccid, iccid_ok = parse.parse_iccid(session.lines(cmd))
        if iccid:
            break

    for cmd in ("AT+CREG?", "AT+CGREG?", "AT+CEREG?", "AT+COPS?", "AT+CSQ", "AT+CESQ"):
        session.run(cmd)
    _fill_network(session, result.network, ident.maker)

    for entry in allow.for_vendor(ident.maker or "", "status"):
        if session.run(entry.command) is not None and session.lines(entry.command):
            result.vendor_status.update(
                parse.parse_vendor_status(entry.command, session.lines(entry.command))
            )

    ident.imei_valid = imei_ok if imei else None
    ident.iccid_valid = iccid_ok if iccid else None
    ident.mcc, ident.mnc = mcc, mnc
    ident.masked = not reveal
    secrets: dict[str, str] = {}
    if imei:
        secrets[imei] = parse.mask_imei(imei)
    if imsi:
        secrets[imsi] = parse.mask_imsi(imsi, mnc)
    if iccid:
        secrets[iccid] = parse.mask_iccid(iccid)
        padded = iccid + "F" * (len(iccid) % 2)
        swapped = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
        secrets[swapped] = swapped[:7] + "*" * (len(swapped) - 7)
    if reveal:
        ident.imei, ident.imsi, ident.iccid = imei, imsi, iccid
    else:
        ident.imei = parse.mask_imei(imei) if imei else None
        ident.imsi = parse.mask_imsi(imsi, mnc) if imsi else None
        ident.iccid = parse.mask_iccid(iccid) if iccid else None
    return secrets


# Long digit runs that are not the hex digits of an escape (\xNN) in the transcript text.
_DIGIT_RUN_RE = re.compile(r"(?<!\\x)(?<!\\x[0-9a-f])\d{14,20}")


def _redact_transcript(entries: list[dict[str, Any]], secrets: dict[str, str]) -> list[dict[str, Any]]:
    """Mask identities in received data: known IMEI/IMSI/ICCID first, then any 14-20 digit run."""
    out = []
    for entry in entries:
        data = str(entry["data"])
        if entry["dir"] == "rx":
            for raw, masked in secrets.items():
                data = data.replace(raw, masked)
            data = _DIGIT_RUN_RE.sub(lambda m: m.group(0)[:6] + "*" * (len(m.group(0)) - 6), data)
        out.append({**entry, "data": data})
    return out


def _fill_network(session: _Session, net: NetworkInfo, maker: str | None) -> None:
    regs: list[parse.Registration] = []
    for cmd in ("AT+CEREG?", "AT+CGREG?", "AT+CREG?"):
        for line in session.lines(cmd):
            reg = parse.parse_registration(line, solicited=True)
            if reg is not None:
                regs.append(reg)
                break
    chosen = next((r for r in regs if r.registered), regs[0] if regs else None)
    if chosen is not None:
        net.registration = chosen.stat_text
        net.registration_stat = chosen.stat
        net.registration_domain = chosen.domain
        net.registered = chosen.registered
        net.roaming = chosen.stat in (5, 7, 10)
        net.lac = chosen.lac
        net.cell_id = chosen.ci
    cops = parse.parse_cops(session.lines("AT+COPS?"))
    act = cops.act if cops is not None and cops.act is not None else (chosen.act if chosen else None)
    if cops is not None:
        net.operator = cops.operator
    net.act = act
    net.rat = parse.act_name(act, maker)
    csq = parse.parse_csq(session.lines("AT+CSQ"))
    if csq is not None:
        net.rssi_index = csq.rssi
        net.signal_dbm = csq.rssi_dbm
    cesq = parse.parse_cesq(session.lines("AT+CESQ"))
    if cesq is not None:
        net.rsrp_dbm = cesq.rsrp_dbm
        net.rsrq_db = cesq.rsrq_db


def summary_lines(result: ProbeResult) -> list[str]:
    """Human summary, one fact per line, every device string terminal-safe."""

    def s(value: object) -> str:
        return "-" if value is None else terminal_safe(str(value))

    ident, net = result.identity, result.network
    lines = [f"device    {s(result.device)}", f"protocol  {s(result.protocol)}"]
    if result.baud:
        lines[-1] += f" at {result.baud} baud"
    if result.listen is not None:
        heard = result.listen.get("protocol")
        lines.append(f"listened  {s(heard)} (before writing)")
    if result.protocol == "at":
        lines += [
            f"maker     {s(ident.manufacturer)} (detected: {s(ident.maker)})",
            f"model     {s(ident.model)}",
            f"revision  {s(ident.revision)}",
            f"IMEI      {s(ident.imei)}" + _check(ident.imei_valid),
            f"IMSI      {s(ident.imsi)}"
            + (f" (MCC {s(ident.mcc)}, MNC {s(ident.mnc)})" if ident.mcc else ""),
            f"ICCID     {s(ident.iccid)}" + _check(ident.iccid_valid),
            f"SIM       {s(result.sim.state)}",
            f"network   {s(net.registration)}"
            + (f" [{s(net.registration_domain)}]" if net.registration else ""),
            f"operator  {s(net.operator)}  RAT {s(net.rat)}",
            f"signal    {s(net.signal_dbm)} dBm (RSSI)"
            + (f", RSRP {net.rsrp_dbm} dBm" if net.rsrp_dbm is not None else "")
            + (f", RSRQ {net.rsrq_db} dB" if net.rsrq_db is not None else ""),
        ]
        for key, value in list(result.vendor_status.items())[:24]:
            lines.append(f"  {field_text(key, max_chars=32)}: {terminal_safe(value)}")
        if ident.masked:
            lines.append("(IMEI/IMSI/ICCID masked; --reveal shows them)")
    lines.append(f"complete  {'yes' if result.complete else 'no'} in {result.elapsed_s:.2f} s")
    for ev in result.events:
        lines.append(f"event     {terminal_safe(ev)}")
    return lines


def _check(flag: bool | None) -> str:
    if flag is None:
        return ""
    return " (check digit ok)" if flag else " (check digit WRONG)"
