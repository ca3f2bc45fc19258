"""CRC-16 variants used by serial protocols (table driven).

* Modbus RTU: CRC-16/MODBUS, polynomial 0x8005 reflected (0xA001), init 0xFFFF, no final XOR,
  transmitted low byte first (Modbus over Serial Line V1.02, section 6.2.2). Check value of
  ``b"123456789"`` is 0x4B37.
* Qualcomm DIAG / HDLC: CRC-16/X-25 (CRC-16/IBM-SDLC), polynomial 0x1021 reflected (0x8408),
  init 0xFFFF, final XOR 0xFFFF, transmitted low byte first (RFC 1662 FCS-16). Check value of
  ``b"123456789"`` is 0x906E.
"""

from __future__ import annotations

__all__ = ["crc16_modbus", "crc16_x25"]


def _table(poly_reflected: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly_reflected if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_MODBUS_TABLE = _table(0xA001)
_X25_TABLE = _table(0x8408)


def crc16_modbus(data: bytes) -> int:
    """Return the Modbus RTU CRC-16 of ``data`` (append it low byte first)."""
    crc = 0xFFFF
    table = _MODBUS_TABLE
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc


def crc16_x25(data: bytes) -> int:
    """Return the CRC-16/X-25 (HDLC FCS-16) of ``data`` (append it low byte first)."""
    crc = 0xFFFF
    table = _X25_TABLE
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFF
