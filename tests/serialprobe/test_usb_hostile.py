"""Device strings are untrusted: escapes removed or made visible, length bounded, reads bounded."""

from __future__ import annotations

import json

from usb_backend import FIXTURE_DIR, FixtureBackend

from serialprobe.enumerate.usb import MAX_STRING_CHARS, list_usb, list_usb_sysfs

HOSTILE = FIXTURE_DIR / "hostile_strings.json"
CONTROL = [chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x202E]]


def _assert_safe(text: str | None) -> None:
    assert text is not None
    assert not any(c in text for c in CONTROL), repr(text)
    assert len(text) <= MAX_STRING_CHARS + len("…[+99999 chars]")


def test_hostile_strings_over_pyusb_are_sanitized_and_bounded():
    backend = FixtureBackend.from_paths([HOSTILE])
    device = list_usb(backend=backend)[0]
    for text in (device.manufacturer, device.product, device.serial_number, device.interfaces()[0].name):
        _assert_safe(text)
    assert "Evil" in device.manufacturer
    assert "]52;" not in device.product
    assert "evil.invalid" not in device.product
    assert "\\u202e" in device.product  # bidi override shown, not obeyed
    # string descriptors are requested with a bounded length (254 bytes), never more
    assert backend.string_requests
    assert all(n <= 255 for _, n in backend.string_requests)
    # the JSON form is plain text too
    json.dumps(device.to_dict())


def test_ten_kilobyte_product_in_sysfs_is_bounded(tmp_path):
    doc = json.loads(HOSTILE.read_text(encoding="utf-8"))
    product = doc["device"]["strings"]["2"]
    assert len(product) > 10_000
    dev = tmp_path / "1-3"
    dev.mkdir()
    for name, value in {"idVendor": "16c0", "idProduct": "05dc", "busnum": "1", "devnum": "9"}.items():
        (dev / name).write_text(value + "\n")
    (dev / "product").write_text(product + "\n", encoding="utf-8")
    (dev / "manufacturer").write_bytes(b"\x1b[31m\xff\xfeBad\x07\n")
    [device] = list_usb_sysfs(tmp_path)
    _assert_safe(device.product)
    _assert_safe(device.manufacturer)
    assert device.product.endswith("chars]")
