"""Untrusted device bytes become safe text: escape sequences gone, controls visible, bounded."""

from __future__ import annotations

import re
import time

from hypothesis import given
from hypothesis import strategies as st

from serialprobe.sanitize import (
    MAX_FIELD_CHARS,
    escape_bytes,
    field_text,
    html_safe,
    terminal_safe,
    unescape_bytes,
)

# Nothing a terminal could interpret: C0, DEL, C1, bidi controls, line separators.
_DANGEROUS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\u200e\u200f\u061c\ufeff]")


def assert_clean(text: str) -> None:
    assert _DANGEROUS.search(text) is None, repr(text)


def test_osc52_clipboard_write_is_removed_whole() -> None:
    out = terminal_safe(b"\x1b]52;c;cm0gLXJmIH4vKgo=\x07Quectel")
    assert out == "Quectel"


def test_osc52_terminated_by_st() -> None:
    assert terminal_safe(b"A\x1b]52;c;ZXZpbA==\x1b\\B") == "AB"


def test_osc8_hyperlink_keeps_only_the_visible_text() -> None:
    out = terminal_safe(b"\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07")
    assert out == "click"
    assert "evil" not in out


def test_csi_clear_screen_and_colours_removed() -> None:
    assert terminal_safe(b"\x1b[2J\x1b[H\x1b[1;31mred\x1b[0m") == "red"


def test_eight_bit_csi_osc_removed_in_str_input() -> None:
    assert terminal_safe("\x9b2JX\x9d0;title\x9cY") == "XY"


def test_dcs_apc_and_two_char_escapes_removed() -> None:
    assert terminal_safe("\x1bPq#0;2;0;0;0\x1b\\a\x1b_apc\x1b\\b\x1bcc\x1b(Bd") == "abcd"


def test_unterminated_osc_swallows_the_rest() -> None:
    assert terminal_safe(b"ok\x1b]52;c;AAAA") == "ok"


def test_lone_escape_at_end_is_rendered() -> None:
    assert terminal_safe(b"x\x1b") == "x\\x1b"


def test_controls_rendered_visibly() -> None:
    assert terminal_safe(b"a\x00b\x07c\r\n") == "a\\x00b\\x07c\\x0d\\x0a"
    assert terminal_safe("a\x85b") == "a\\u0085b"
    assert terminal_safe("del\x7f") == "del\\x7f"


def test_bidi_overrides_rendered_visibly() -> None:
    out = terminal_safe("abc\u202etxt.exe\u2066x\u2069")
    assert out == "abc\\u202etxt.exe\\u2066x\\u2069"


def test_invalid_utf8_replaced() -> None:
    out = terminal_safe(b"ok\xff\xfe\xc3(")
    assert out.startswith("ok")
    assert "\ufffd" in out
    assert_clean(out)


def test_nul_flood_is_bounded() -> None:
    out = terminal_safe(b"\x00" * 100_000)
    assert len(out) <= MAX_FIELD_CHARS + 20
    assert out.endswith("chars]")
    # 256 // 4 NULs fit (each renders as 4 characters)
    assert out.startswith("\\x00" * (MAX_FIELD_CHARS // 4))
    assert f"[+{100_000 - MAX_FIELD_CHARS // 4} chars]" in out


def test_one_megabyte_line_is_truncated_quickly() -> None:
    data = b"A" * 1_000_000
    t0 = time.perf_counter()
    out = terminal_safe(data)
    assert time.perf_counter() - t0 < 0.5
    assert out == "A" * MAX_FIELD_CHARS + f"…[+{1_000_000 - MAX_FIELD_CHARS} chars]"


def test_truncation_never_splits_a_rendered_escape() -> None:
    out = terminal_safe(b"AB" + b"\x01" * 10, max_chars=7)
    assert out == "AB\\x01…[+9 chars]"


def test_plain_text_untouched() -> None:
    assert (
        terminal_safe("Quectel EC25 Revision: EC25EFAR06A03M4G") == "Quectel EC25 Revision: EC25EFAR06A03M4G"
    )
    assert terminal_safe("Grüße, 日本") == "Grüße, 日本"


def test_html_is_not_terminal_business_but_html_safe_escapes_it() -> None:
    s = terminal_safe(b"<script>alert('x')</script>")
    assert s == "<script>alert('x')</script>"
    assert html_safe(s) == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert html_safe('"><img src=x onerror=alert(1)>') == "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"


def test_field_text_strips_line_endings_first() -> None:
    assert field_text(b"  EC25\r\n") == "EC25"
    assert field_text(b"\x1b[2J EC25 \x1b[0m") == "EC25"


def test_escape_bytes_format() -> None:
    assert escape_bytes(b"AT\r\n", max_bytes=100) == "AT\\r\\n"
    assert escape_bytes(b"a\\b", max_bytes=100) == "a\\\\b"
    assert escape_bytes(b"\x00\x1b\xff~ ", max_bytes=100) == "\\x00\\x1b\\xff~ "
    assert escape_bytes(b"abcdef", max_bytes=3) == "abc…[+3 bytes]"


@given(st.binary(max_size=300))
def test_escape_bytes_is_lossless_and_printable(data: bytes) -> None:
    text = escape_bytes(data, max_bytes=1000)
    assert all(0x20 <= ord(c) <= 0x7E for c in text)
    assert unescape_bytes(text) == data


@given(st.binary(max_size=400))
def test_terminal_safe_never_emits_controls_from_bytes(data: bytes) -> None:
    out = terminal_safe(data, max_chars=64)
    assert_clean(out)
    assert len(out) <= 64 + len("…[+999 chars]")


@given(st.text(max_size=400))
def test_terminal_safe_never_emits_controls_from_text(text: str) -> None:
    out = terminal_safe(text, max_chars=64)
    assert_clean(out)
    out.encode("utf-8")  # no lone surrogates survive
