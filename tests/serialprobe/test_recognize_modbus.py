"""Modbus RTU recogniser: CRC, gap-based framing, fallback without timing, wrong-rate garbage."""

from __future__ import annotations

import random

import pytest

from serialprobe.recognize import Capture, recognize, recognize_modbus
from serialprobe.recognize.crc import crc16_modbus
from serialprobe.recognize.modbus import find_frames, inter_frame_gap_s, modbus_frame
from serialprobe.recognize.uart import receive, transmit


def _poll_cycle(n: int) -> list[bytes]:
    """A master reading 4 holding registers of slaves 1 and 3, and writing 2 registers of slave 3."""
    frames = []
    for k in range(n):
        req = modbus_frame(1, 3, bytes([0, 0x10, 0, 4]))
        resp = modbus_frame(1, 3, bytes([8]) + bytes([k & 0xFF, 1, 0, 2, 0, 3, 0, 4]))
        frames += [req, resp]
        if k % 2:
            req16 = modbus_frame(3, 16, bytes([0, 0x20, 0, 2, 4, 0, 7, 0, k & 0xFF]))
            resp16 = modbus_frame(3, 16, bytes([0, 0x20, 0, 2]))
            frames += [req16, resp16]
    return frames


def test_crc_check_value_and_spec_example() -> None:
    # CRC-16/MODBUS check value (CRC catalogue) and the classic "read 10 registers" request.
    assert crc16_modbus(b"123456789") == 0x4B37
    assert modbus_frame(1, 3, bytes.fromhex("0000000a")) == bytes.fromhex("01030000000ac5cd")


def test_inter_frame_gap() -> None:
    assert inter_frame_gap_s(9600) == pytest.approx(3.5 * 11 / 9600)
    assert inter_frame_gap_s(19200) == pytest.approx(3.5 * 11 / 19200)
    assert inter_frame_gap_s(115200) == pytest.approx(1.75e-3)


def test_timed_frames_recognised_with_pairs() -> None:
    frames = _poll_cycle(6)
    cap = Capture.from_frames(frames, baud=19200, framing="8E1", gap_s=0.01)
    rec = recognize_modbus(cap)
    assert rec.score > 0.9
    assert rec.details["frames"] == len(frames)
    assert rec.details["slave_ids"] == [1, 3]
    assert rec.details["function_codes"] == [3, 16]
    assert rec.details["pairs"] == len(frames) // 2
    assert rec.details["gap_delimited_frames"] == len(frames)
    assert "slave ids {1, 3}" in rec.evidence[0]
    assert recognize(cap)[0].protocol == "modbus"


def test_coarse_timestamps_fallback_finds_frames() -> None:
    frames = _poll_cycle(4)
    cap = Capture.from_bytes(b"".join(frames), baud=19200)  # one read, no timing at all
    rec = recognize_modbus(cap)
    assert rec.details["frames"] == len(frames)
    assert rec.score > 0.9
    assert rec.details["gap_delimited_frames"] == 0


def test_frames_split_across_reads_are_rejoined() -> None:
    # A USB adapter delivers one frame in two reads 16 ms apart: timing invents a gap.
    frames = _poll_cycle(3)
    chunks = []
    t = 0.0
    for f in frames:
        chunks += [(t, f[:3]), (t + 0.016, f[3:])]
        t += 0.05
    rec = recognize_modbus(Capture(chunks=tuple(chunks), baud=19200))
    assert rec.details["frames"] == len(frames)
    assert rec.score > 0.9


def test_corrupted_crc_scores_low() -> None:
    rng = random.Random(1)
    bad = []
    for f in _poll_cycle(6):
        b = bytearray(f)
        b[rng.randrange(2, len(b))] ^= 1 << rng.randrange(8)
        bad.append(bytes(b))
    rec = recognize_modbus(Capture.from_frames(bad, baud=19200, gap_s=0.01))
    assert rec.details["frames"] == 0
    assert rec.score == 0.0


def test_random_bytes_score_low() -> None:
    data = random.Random(7).randbytes(20_000)
    rec = recognize_modbus(Capture.from_bytes(data, baud=19200))
    assert rec.score < 0.05


@pytest.mark.parametrize(
    ("rx_baud", "rx_framing"), [(9600, "8N1"), (38400, "8N1"), (115200, "8E1"), (4800, "8E1")]
)
def test_wrong_rate_garbage_scores_low(rx_baud: int, rx_framing: str) -> None:
    bursts = [(0.02 * i, f) for i, f in enumerate(_poll_cycle(10))]
    signal = transmit(bursts, baud=19200, framing="8E1", tail_s=0.01)
    right = receive(signal, baud=19200, framing="8E1").to_capture(baud=19200, framing="8E1")
    wrong = receive(signal, baud=rx_baud, framing=rx_framing).to_capture(baud=rx_baud, framing=rx_framing)
    assert recognize_modbus(right).score > 0.9
    assert recognize_modbus(wrong).score < 0.1


def test_pairs_need_consistent_lengths() -> None:
    req = modbus_frame(1, 3, bytes([0, 0, 0, 2]))  # 2 registers -> 4 data bytes
    good = modbus_frame(1, 3, bytes([4, 0, 1, 0, 2]))
    wrong_len = modbus_frame(1, 3, bytes([2, 0, 1]))
    other_slave = modbus_frame(2, 3, bytes([4, 0, 1, 0, 2]))
    exception = modbus_frame(1, 0x83, bytes([2]))
    echo6 = modbus_frame(1, 6, bytes([0, 1, 0, 3]))
    for resp, paired in ((good, 1), (wrong_len, 0), (other_slave, 0), (exception, 1)):
        cap = Capture.from_frames([req, resp] * 3, baud=9600, gap_s=0.02)
        assert recognize_modbus(cap).details["pairs"] == 3 * paired
    assert recognize_modbus(Capture.from_frames([echo6, echo6], baud=9600, gap_s=0.02)).details["pairs"] == 1
    assert len(find_frames(Capture.from_frames([req, good], baud=9600, gap_s=0.02))) == 2
