"""Parsers for AT replies: identity, SIM, registration, operator, signal and vendor status.

Every parser takes reply text (already split into lines, CR/LF removed) and returns plain values;
every string that reaches a result passes through :func:`serialprobe.sanitize.field_text`.
Formats follow 3GPP TS 27.007 and ITU-T V.250, with the quirks real modems show (as collected in
ModemManager's src/tests/test-modem-helpers.c: unquoted hex LAC/CI, spaces after commas, leading
zeros, ``+CGMI:`` prefixes and quotes around identity strings, CREG answered in URC form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from serialprobe.sanitize import field_text

__all__ = [
    "ACT_NAMES",
    "REG_STAT_TEXT",
    "Cesq",
    "Cops",
    "Csq",
    "Registration",
    "act_name",
    "detect_maker",
    "iccid_valid",
    "luhn_valid",
    "mask_iccid",
    "mask_imei",
    "mask_imsi",
    "parse_ati",
    "parse_cesq",
    "parse_cops",
    "parse_cpin",
    "parse_csq",
    "parse_iccid",
    "parse_identity",
    "parse_imei",
    "parse_imsi",
    "parse_registration",
    "parse_vendor_status",
    "split_fields",
    "strip_prefix",
]

#: Registration state (<stat>) of +CREG/+CGREG/+CEREG, 3GPP TS 27.007 7.2.
REG_STAT_TEXT: dict[int, str] = {
    0: "not registered, not searching",
    1: "registered, home network",
    2: "not registered, searching",
    3: "registration denied",
    4: "unknown",
    5: "registered, roaming",
    6: "registered for SMS only, home network",
    7: "registered for SMS only, roaming",
    8: "attached for emergency bearer services only",
    9: "registered for CSFB not preferred, home network",
    10: "registered for CSFB not preferred, roaming",
    11: "attached for access to RLOS",
}

#: Access technology (<AcT>) of +COPS/+CREG/+CEREG, 3GPP TS 27.007 7.3 (Rel-15 values).
ACT_NAMES: dict[int, str] = {
    0: "GSM",
    1: "GSM Compact",
    2: "UTRAN",
    3: "GSM w/EGPRS",
    4: "UTRAN w/HSDPA",
    5: "UTRAN w/HSUPA",
    6: "UTRAN w/HSDPA and HSUPA",
    7: "E-UTRAN",
    8: "EC-GSM-IoT",
    9: "E-UTRAN (NB-S1 mode)",
    10: "E-UTRA connected to 5GCN",
    11: "NR connected to 5GCN",
    12: "NG-RAN",
    13: "E-UTRA-NR dual connectivity",
}

# u-blox SARA-R4/N4 manuals predate the Rel-13 values: 8 = LTE Cat M1, 9 = NB-IoT.
_ACT_VENDOR: dict[str, dict[int, str]] = {"ublox": {8: "LTE Cat M1", 9: "NB-IoT"}}

# MCCs whose operators use 3-digit MNCs (ITU-T E.212 list; North America, India's 405, parts of
# Latin America). Other MCCs use 2 digits.
_MNC3_MCCS = frozenset(
    {302, 310, 311, 312, 313, 314, 315, 316, 334, 338, 342, 344, 346, 348, 354, 356, 358, 360, 365, 376}
    | {405, 708, 722, 732}
)

_MAKERS: tuple[tuple[str, str], ...] = (
    ("quectel", "quectel"),
    ("sierra", "sierra"),
    ("telit", "telit"),
    ("simcom", "simcom"),
    ("u-blox", "ublox"),
    ("ublox", "ublox"),
    ("huawei", "huawei"),
)


def strip_prefix(line: str, prefix: str) -> str:
    """Remove ``prefix`` (case-insensitive) and following spaces from ``line`` when present."""
    if line[: len(prefix)].upper() == prefix.upper():
        return line[len(prefix) :].lstrip()
    return line


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def split_fields(text: str) -> list[str]:
    """Split a comma-separated AT parameter list; commas inside double quotes do not split."""
    fields: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            cur.append(ch)
        elif ch == "," and not quoted:
            fields.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    fields.append("".join(cur).strip())
    return fields


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    text = _unquote(text)
    return int(text) if re.fullmatch(r"[+-]?\d{1,9}", text) else None


def _hex(text: str | None) -> str | None:
    if text is None:
        return None
    text = _unquote(text).strip()
    if re.fullmatch(r"(0x)?[0-9A-Fa-f]{1,10}", text):
        return text.upper().removeprefix("0X")
    return None


# ----------------------------------------------------------------------------- identity
def parse_identity(lines: list[str], prefix: str) -> str | None:
    """Return the identity string of a +CGMI/+CGMM/+CGMR reply (prefix and quotes removed).

    Parameters
    ----------
    lines : list of str
        Information lines of the reply.
    prefix : str
        Tag some firmwares put in front, e.g. ``"+CGMI:"``.

    Returns
    -------
    str or None
        Sanitized text of the first non-empty line, None when there is none.
    """
    for line in lines:
        text = _unquote(strip_prefix(line.strip(), prefix))
        if text:
            return field_text(text)
    return None


def parse_ati(lines: list[str]) -> dict[str, str]:
    """Parse an ATI reply into manufacturer/model/revision/imei where present.

    Two layouts exist: ``Key: value`` lines (Sierra, SIMCom, Huawei: ``Manufacturer:``,
    ``Model:``, ``Revision:``, ``IMEI:``) and bare lines (Quectel: maker, model, ``Revision: x``;
    Telit/u-blox: the model alone).
    """
    out: dict[str, str] = {}
    keys = {"manufacturer": "manufacturer", "model": "model", "revision": "revision", "imei": "imei"}
    bare: list[str] = []
    for line in lines:
        text = line.strip()
        if not text:
            continue
        key, sep, value = text.partition(":")
        k = key.strip().lower()
        if sep and k in keys:
            if value.strip():
                out.setdefault(keys[k], field_text(value))
        elif sep and (k.startswith("+") or k in ("meid", "esn", "imei sv", "fsn", "svn")):
            continue
        else:
            bare.append(text)
    if bare:
        if len(bare) >= 2:
            out.setdefault("manufacturer", field_text(bare[0]))
            out.setdefault("model", field_text(bare[1]))
        else:
            out.setdefault("model", field_text(bare[0]))
    return out


def detect_maker(*texts: str | None) -> str | None:
    """Return a maker key (quectel, sierra, telit, simcom, ublox, huawei) found in the texts."""
    for text in texts:
        if not text:
            continue
        low = text.lower()
        for needle, maker in _MAKERS:
            if needle in low:
                return maker
    return None


def luhn_valid(digits: str) -> bool:
    """Check a Luhn (mod 10) check digit, as used by IMEI and ICCID."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def parse_imei(lines: list[str]) -> tuple[str | None, bool]:
    """Return (IMEI, Luhn check passed) from a +CGSN reply, or (None, False).

    Accepts ``+CGSN: "..."`` forms; an IMEI is 15 digits (TAC 8, serial 6, check digit 1).
    """
    for line in lines:
        text = _unquote(strip_prefix(line.strip(), "+CGSN:"))
        text = strip_prefix(text, "IMEI:")
        if re.fullmatch(r"\d{15}", text):
            return text, luhn_valid(text)
        if re.fullmatch(r"\d{14}", text):  # IMEI without its check digit
            return text, False
    return None, False


def parse_imsi(lines: list[str]) -> tuple[str | None, str | None, str | None]:
    """Return (IMSI, MCC, MNC) from a +CIMI reply; MNC length follows the MCC (E.212)."""
    for line in lines:
        text = _unquote(strip_prefix(line.strip(), "+CIMI:"))
        if re.fullmatch(r"\d{6,15}", text):
            mcc = text[:3]
            mnc_len = 3 if int(mcc) in _MNC3_MCCS else 2
            return text, mcc, text[3 : 3 + mnc_len]
    return None, None, None


_ICCID_PREFIXES = ("+CCID:", "+ICCID:", "+QCCID:", "+CICCID:", "^ICCID:", "!ICCID:", "ICCID:")


def parse_iccid(lines: list[str]) -> tuple[str | None, bool]:
    """Return (ICCID, Luhn check passed) from any vendor's ICCID reply.

    Handles the vendor prefixes, quotes, the ``F`` padding of 19-digit ICCIDs, and the
    nibble-swapped form some firmwares return (starts with ``98`` instead of ``89``: Huawei
    ``^ICCID``, raw EF_ICCID).
    """
    for line in lines:
        text = line.strip()
        for prefix in _ICCID_PREFIXES:
            text = strip_prefix(text, prefix)
        text = _unquote(text).upper()
        if not re.fullmatch(r"[0-9F]{18,20}", text):
            continue
        if text.startswith("98") and len(text) % 2 == 0:
            text = "".join(text[i + 1] + text[i] for i in range(0, len(text), 2))
        text = text.rstrip("F")
        if re.fullmatch(r"\d{18,20}", text):
            return text, iccid_valid(text)
    return None, False


def iccid_valid(iccid: str) -> bool:
    """ICCID check: 89 (telecom) prefix, 19-20 digits, Luhn digit (ITU-T E.118)."""
    return iccid.startswith("89") and len(iccid) in (19, 20) and luhn_valid(iccid)


def mask_imei(imei: str) -> str:
    """Keep the TAC (first 8 digits: model), mask the serial and check digit."""
    return imei[:8] + "*" * (len(imei) - 8)


def mask_imsi(imsi: str, mnc: str | None) -> str:
    """Keep MCC and MNC (country and operator), mask the subscriber number (MSIN)."""
    keep = 3 + (len(mnc) if mnc else 2)
    return imsi[:keep] + "*" * (len(imsi) - keep)


def mask_iccid(iccid: str) -> str:
    """Keep the issuer prefix (first 7 digits: 89, country, issuer), mask the card number."""
    return iccid[:7] + "*" * (len(iccid) - 7)


# ----------------------------------------------------------------------------- SIM
def parse_cpin(lines: list[str]) -> str | None:
    """Return the SIM state of a +CPIN? reply (``READY``, ``SIM PIN``, ``SIM PUK`` ...)."""
    for line in lines:
        text = line.strip()
        if text.upper().startswith("+CPIN:"):
            return field_text(_unquote(strip_prefix(text, "+CPIN:")))
    return None


# ----------------------------------------------------------------------------- network
def act_name(act: int | None, maker: str | None = None) -> str | None:
    """Name of an access technology number (vendor meaning first when it differs)."""
    if act is None:
        return None
    if maker and act in _ACT_VENDOR.get(maker, {}):
        return _ACT_VENDOR[maker][act]
    return ACT_NAMES.get(act, f"AcT {act}")


@dataclass(frozen=True)
class Registration:
    """A +CREG/+CGREG/+CEREG reply or URC.

    Attributes
    ----------
    domain : str
        ``CREG`` (circuit switched), ``CGREG`` (GPRS) or ``CEREG`` (EPS).
    unsolicited : bool
        True for the URC form (no <n> field).
    n : int or None
        URC mode setting (solicited form only).
    stat : int
        Registration state.
    lac : str or None
        Location/tracking area code, upper-case hex.
    ci : str or None
        Cell identity, upper-case hex.
    act : int or None
        Access technology.
    """

    domain: str
    unsolicited: bool
    n: int | None
    stat: int
    lac: str | None
    ci: str | None
    act: int | None

    @property
    def stat_text(self) -> str:
        """Human text of ``stat``."""
        return REG_STAT_TEXT.get(self.stat, f"stat {self.stat}")

    @property
    def registered(self) -> bool:
        """Registered (home or roaming, incl. SMS-only and CSFB-not-preferred)."""
        return self.stat in (1, 5, 6, 7, 9, 10)


_REG_RE = re.compile(r"^\s*\+(C|CG|CE)REG:\s*(.*)$", re.IGNORECASE)


def _looks_area(field: str) -> bool:
    """A LAC/TAC field: quoted, or hex with letters, or 4+ hex digits (never a 1-2 digit stat)."""
    f = field.strip()
    return f.startswith('"') or bool(re.fullmatch(r"[0-9A-Fa-f]{3,8}", f) and not re.fullmatch(r"\d{1,2}", f))


def parse_registration(line: str, *, solicited: bool | None = None) -> Registration | None:
    """Parse one +CREG/+CGREG/+CEREG line, solicited or unsolicited.

    Parameters
    ----------
    line : str
        The line, e.g. ``+CREG: 2,1,"00C3","0000001A",7`` or ``+CEREG: 1``.
    solicited : bool, optional
        True when the line answers a read command (first field is <n>), False for a URC;
        None guesses from the field count and which fields look like LAC/CI.

    Returns
    -------
    Registration or None
        None when the line is not a registration line or is malformed.
    """
    m = _REG_RE.match(line)
    if not m:
        return None
    domain = {"C": "CREG", "CG": "CGREG", "CE": "CEREG"}[m.group(1).upper()]
    fields = split_fields(m.group(2))
    if solicited is None:
        count = len(fields)
        if count == 1:
            solicited = False
        elif count == 2:
            solicited = True
        elif count == 3:
            solicited = not _looks_area(fields[1])
        else:
            # 4+ fields: solicited has LAC at index 2, unsolicited at index 1.
            solicited = not _looks_area(fields[1]) and (count >= 5 or _looks_area(fields[2]))
    offset = 1 if solicited else 0
    n = _int(fields[0]) if solicited else None
    if len(fields) <= offset:
        return None
    stat = _int(fields[offset])
    if stat is None or (solicited and n is None):
        return None
    lac = _hex(fields[offset + 1]) if len(fields) > offset + 1 and fields[offset + 1] else None
    ci = _hex(fields[offset + 2]) if len(fields) > offset + 2 and fields[offset + 2] else None
    act = _int(fields[offset + 3]) if len(fields) > offset + 3 and fields[offset + 3] else None
    # +CGREG (Rel-7+) puts <AcT> after <ci> as well; RAC follows and is ignored.
    return Registration(domain, not solicited, n, stat, lac, ci, act)


@dataclass(frozen=True)
class Cops:
    """A +COPS? reply: selection mode, operator format, operator, access technology."""

    mode: int | None
    format: int | None
    operator: str | None
    act: int | None


def parse_cops(lines: list[str]) -> Cops | None:
    """Parse ``+COPS: <mode>[,<format>,<oper>[,<AcT>]]``."""
    for line in lines:
        text = line.strip()
        if not text.upper().startswith("+COPS:"):
            continue
        fields = split_fields(strip_prefix(text, "+COPS:"))
        mode = _int(fields[0]) if fields else None
        fmt = _int(fields[1]) if len(fields) > 1 else None
        oper = field_text(_unquote(fields[2])) if len(fields) > 2 and fields[2] else None
        act = _int(fields[3]) if len(fields) > 3 else None
        return Cops(mode, fmt, oper or None, act)
    return None


@dataclass(frozen=True)
class Csq:
    """A +CSQ reply: RSSI index (0-31, 99 unknown) and bit error rate index."""

    rssi: int
    ber: int | None

    @property
    def rssi_dbm(self) -> int | None:
        """RSSI in dBm: -113 + 2 * index (0 means <= -113, 31 means >= -51); None if unknown."""
        if 0 <= self.rssi <= 31:
            return -113 + 2 * self.rssi
        return None


def parse_csq(lines: list[str]) -> Csq | None:
    """Parse ``+CSQ: <rssi>,<ber>``."""
    for line in lines:
        text = line.strip()
        if text.upper().startswith("+CSQ:"):
            fields = split_fields(strip_prefix(text, "+CSQ:"))
            rssi = _int(fields[0])
            if rssi is None:
                return None
            return Csq(rssi, _int(fields[1]) if len(fields) > 1 else None)
    return None


@dataclass(frozen=True)
class Cesq:
    """A +CESQ reply (3GPP TS 27.007 8.69): indices, with dBm/dB conversions (lower bounds)."""

    rxlev: int | None
    ber: int | None
    rscp: int | None
    ecno: int | None
    rsrq: int | None
    rsrp: int | None

    @property
    def rsrp_dbm(self) -> int | None:
        """RSRP: index 0 means < -140 dBm, n in 1..97 means [n-141, n-140) dBm; 255 unknown."""
        return self.rsrp - 141 if self.rsrp is not None and 0 <= self.rsrp <= 97 else None

    @property
    def rsrq_db(self) -> float | None:
        """RSRQ: index n in 0..34 means [-20 + n/2, ...) dB; 255 unknown."""
        return -20.0 + self.rsrq / 2 if self.rsrq is not None and 0 <= self.rsrq <= 34 else None

    @property
    def rscp_dbm(self) -> int | None:
        """RSCP (UMTS): index n in 0..96 means [n-121, n-120) dBm; 255 unknown."""
        return self.rscp - 121 if self.rscp is not None and 0 <= self.rscp <= 96 else None

    @property
    def rxlev_dbm(self) -> int | None:
        """RXLEV (GSM): index n in 0..63 means [n-111, n-110) dBm; 99 unknown."""
        return self.rxlev - 111 if self.rxlev is not None and 0 <= self.rxlev <= 63 else None


def parse_cesq(lines: list[str]) -> Cesq | None:
    """Parse ``+CESQ: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>``."""
    for line in lines:
        text = line.strip()
        if text.upper().startswith("+CESQ:"):
            fields = [_int(f) for f in split_fields(strip_prefix(text, "+CESQ:"))]
            if len(fields) < 6:
                return None
            return Cesq(*fields[:6])
    return None


# ----------------------------------------------------------------------------- vendor status
_QENG_LTE = (
    "state",
    "rat",
    "duplex",
    "mcc",
    "mnc",
    "cell_id",
    "pci",
    "earfcn",
    "band",
    "ul_bandwidth",
    "dl_bandwidth",
    "tac",
    "rsrp_dbm",
    "rsrq_db",
    "rssi_dbm",
    "sinr",
    "srxlev",
)
_CPSI_LTE = (
    "system_mode",
    "operation_mode",
    "mcc_mnc",
    "tac",
    "cell_id",
    "pci",
    "band",
    "earfcn",
    "dl_bandwidth",
    "ul_bandwidth",
    "rsrq_tenth_db",
    "rsrp_tenth_dbm",
    "rssi_tenth_dbm",
    "rssnr",
)
_SERVINFO_LTE = ("earfcn", "rssi_dbm", "operator", "plmn", "pci", "tac", "drx", "sd", "rsrp_dbm")


def _zip_fields(names: tuple[str, ...], fields: list[str]) -> dict[str, str]:
    return {name: field_text(_unquote(value)) for name, value in zip(names, fields, strict=False) if value}


def parse_vendor_status(command: str, lines: list[str]) -> dict[str, str]:
    """Parse a vendor status read into a flat dict of safe strings.

    Supported: Quectel ``+QENG="servingcell"`` (LTE field order; other RATs keep raw fields),
    SIMCom ``+CPSI?``, Telit ``#SERVINFO`` (LTE order), Sierra ``!GSTATUS?`` (``Key: value``
    pairs separated by tabs). Unknown shapes give ``{"raw": ...}``.
    """
    cmd = command.upper()
    text_lines = [ln.strip() for ln in lines if ln.strip()]
    out: dict[str, str] = {}
    if cmd == 'AT+QENG="SERVINGCELL"':
        for line in text_lines:
            if line.upper().startswith("+QENG:"):
                fields = split_fields(strip_prefix(line, "+QENG:"))
                if fields and _unquote(fields[0]).lower() == "servingcell":
                    rest = fields[1:]
                    if len(rest) > 1 and _unquote(rest[1]).upper() == "LTE":
                        out.update(_zip_fields(_QENG_LTE, rest))
                    else:
                        out.update({f"field{i}": field_text(_unquote(v)) for i, v in enumerate(rest) if v})
    elif cmd == "AT+CPSI?":
        for line in text_lines:
            if line.upper().startswith("+CPSI:"):
                out.update(_zip_fields(_CPSI_LTE, split_fields(strip_prefix(line, "+CPSI:"))))
    elif cmd == "AT#SERVINFO":
        for line in text_lines:
            if line.upper().startswith("#SERVINFO:"):
                out.update(_zip_fields(_SERVINFO_LTE, split_fields(strip_prefix(line, "#SERVINFO:"))))
    elif cmd == "AT!GSTATUS?":
        for line in text_lines:
            body = strip_prefix(line, "!GSTATUS:")
            for part in re.split(r"\t+|\s{2,}(?=[A-Za-z][A-Za-z0-9 ()/_-]{0,30}:)", body):
                key, sep, value = part.partition(":")
                if sep and key.strip() and value.strip():
                    slug = re.sub(r"[^a-z0-9]+", "_", key.strip().lower()).strip("_")
                    if slug and slug not in out:
                        out[slug] = field_text(value)
    if not out and text_lines:
        out["raw"] = field_text(" | ".join(text_lines))
    return out


def as_dict(obj: Any) -> dict[str, Any]:
    """Small helper for result models: a dataclass's fields as a dict (no recursion)."""
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__}
