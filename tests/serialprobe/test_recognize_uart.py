"""The UART line model and the PARMRK decoder that make wrong rates and framings observable."""

from __future__ import annotations

import numpy as np
import pytest

from serialprobe.recognize import bits_per_char, decode_parmrk
from serialprobe.recognize.uart import receive, transmit

DATA = bytes(range(256))


@pytest.mark.parametrize("framing", ["8N1", "8E1", "8O1", "8N2"])
def test_same_setting_round_trip(framing: str) -> None:
    rx = receive(transmit([(0.0, DATA)], baud=19200, framing=framing), baud=19200, framing=framing)
    assert rx.data == DATA
    assert not rx.framing_errors.any()
    assert not rx.parity_errors.any()
    # the last character completes (mid stop bit) at 256 characters minus half a stop bit
    end = (256 * bits_per_char(framing) - int(framing[2]) + 0.5) / 19200
    assert rx.end_times_s[-1] == pytest.approx(end)


def test_even_parity_read_as_8n1_flags_framing_on_even_popcount() -> None:
    # Back to back 8E1 read as 8N1: the receiver's stop bit is the parity bit, which is 0 exactly
    # when the byte has an even number of ones; the data bytes themselves come through intact.
    rx = receive(transmit([(0.0, DATA)], baud=9600, framing="8E1"), baud=9600, framing="8N1")
    assert rx.data == DATA
    even = np.array([bin(b).count("1") % 2 == 0 for b in DATA])
    assert np.array_equal(rx.framing_errors, even)


def test_even_parity_read_as_odd_flags_every_parity() -> None:
    rx = receive(transmit([(0.0, DATA)], baud=9600, framing="8E1"), baud=9600, framing="8O1")
    assert rx.data == DATA
    assert rx.parity_errors.all()


def test_wrong_rate_changes_bytes() -> None:
    signal = transmit([(0.0, DATA)], baud=9600)
    slow = receive(signal, baud=4800)
    fast = receive(signal, baud=38400)
    assert slow.data != DATA
    assert fast.data != DATA
    assert len(slow.data) < len(DATA)  # a slower receiver sees fewer (longer) characters
    assert len(fast.data) > len(DATA)  # a faster receiver sees more (shorter) characters


def test_decode_parmrk() -> None:
    raw = b"ab\xff\xffc\xff\x00x\xff\x00\x00d"
    data, errors, breaks, pending = decode_parmrk(raw)
    assert data == b"ab\xffcx\x00d"
    assert (errors, breaks, pending) == (2, 1, b"")


def test_decode_parmrk_marker_split_across_reads() -> None:
    data1, e1, _, pending = decode_parmrk(b"ok\xff")
    assert (data1, e1, pending) == (b"ok", 0, b"\xff")
    data2, e2, _, pending = decode_parmrk(b"\x00", pending=pending)
    assert (data2, e2, pending) == (b"", 0, b"\xff\x00")
    data3, e3, _, pending = decode_parmrk(b"Z!", pending=pending)
    assert (data3, e3, pending) == (b"Z!", 1, b"")
