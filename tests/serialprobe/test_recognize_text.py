"""Console text recogniser and the byte statistics that flag wrong-rate garbage."""

from __future__ import annotations

import random

from serialprobe.recognize import Capture, byte_stats, recognize, recognize_text, setting_score
from serialprobe.recognize.text import TEXT_SCORE_CAP
from serialprobe.recognize.uart import receive, transmit

BOOT = (
    b"U-Boot 2022.01 (Mar 10 2023 - 09:12:44 +0000)\r\nHit any key to stop autoboot:  0\r\n"
    b"Starting kernel ...\r\n[    0.000000] Linux version 5.10.120 (build@host) #1 SMP\r\n"
    b"[    2.101774] systemd[1]: Started Journal Service.\r\n\r\ncrane-plc login: "
)


def test_boot_log_is_text_with_markers() -> None:
    rec = recognize_text(Capture.from_bytes(BOOT, baud=115200))
    assert rec.score == TEXT_SCORE_CAP
    assert {"login prompt", "U-Boot banner", "kernel log timestamps"} <= set(rec.details["markers"])
    assert recognize(Capture.from_bytes(BOOT, baud=115200))[0].protocol == "text"


def test_binary_is_not_text() -> None:
    rec = recognize_text(Capture.from_bytes(random.Random(1).randbytes(4096), baud=9600))
    assert rec.score == 0.0


def test_wrong_rate_text_is_garbage() -> None:
    signal = transmit([(0.0, BOOT)], baud=115200, tail_s=0.001)
    for rx in (9600, 38400, 57600, 230400):
        cap = receive(signal, baud=rx).to_capture(baud=rx, framing="8N1")
        assert recognize_text(cap).score < 0.3, rx
        assert byte_stats(cap).printable_ratio < 0.9, rx
    right = receive(signal, baud=115200).to_capture(baud=115200, framing="8N1")
    assert right.data == BOOT
    assert setting_score(right) > 0.7


def test_uart_errors_reduce_setting_score() -> None:
    clean = Capture.from_bytes(BOOT, baud=115200, framing_errors=0)
    noisy = Capture.from_bytes(BOOT, baud=115200, framing_errors=len(BOOT) // 4)
    assert setting_score(noisy) < setting_score(clean)


def test_silence_scores_zero() -> None:
    empty = Capture(chunks=(), baud=9600)
    assert setting_score(empty) == 0.0
    assert all(r.score == 0.0 for r in recognize(empty))
