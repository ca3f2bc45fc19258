"""The HTML page builder escapes everything and forbids scripts and remote loads."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser

import numpy as np
import pytest

from rfscan.report import Page, write_json
from rfscan.report.jsonout import dumps, to_jsonable
from rfscan.report.page import Num
from rfscan.report.plots import Box, Span, spectrogram_png, spectrum_png, timeline_png

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\x1b]52;c;ZXZpbA==\x07",
    "</td></tr></table><iframe src=//evil>",
    "<link rel=stylesheet href=http://evil/x.css>",
]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(doc: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Collector()
    parser.feed(doc)
    return parser.tags


def test_hostile_strings_are_text_not_markup():
    page = Page(title=HOSTILE[0], subtitle=HOSTILE[1])
    page.heading(HOSTILE[3])
    page.paragraph(HOSTILE[2])
    page.verdict(HOSTILE)
    page.table(["a", HOSTILE[4]], [[h, Num(1.5)] for h in HOSTILE])
    page.preformatted("\n".join(HOSTILE))
    doc = page.render()
    tags = {t for t, _ in _tags(doc)}
    assert not tags & {"script", "img", "iframe", "link", "object", "embed"}
    for _, attrs in _tags(doc):
        assert not any(k.startswith("on") for k in attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc


def test_csp_forbids_scripts_and_remote_loads():
    doc = Page(title="t").render()
    metas = [a for t, a in _tags(doc) if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(metas) == 1
    csp = metas[0]["content"] or ""
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    assert "script-src" not in directives  # falls back to default-src 'none'


def test_images_are_embedded_data_uris():
    f = np.linspace(846e6, 848e6, 256)
    png = spectrum_png(
        f,
        [("mean", -60 + np.zeros_like(f)), ("max", -40 + np.zeros_like(f))],
        spans=[Span(832e6, 862e6, "B20 UL", "uplink")],
    )
    assert png.startswith(b"\x89PNG")
    page = Page(title="t")
    page.image_png(png, alt="spectrum")
    imgs = [a for t, a in _tags(page.render()) if t == "img"]
    assert len(imgs) == 1
    assert (imgs[0]["src"] or "").startswith("data:image/png;base64,")
    spec = spectrogram_png(
        np.random.default_rng(1).normal(-60, 3, (50, 64)),
        t0_s=0,
        t1_s=1,
        f0_hz=846e6,
        f1_hz=848e6,
        boxes=[Box(0.1, 0.001, 847e6, 847.2e6)],
    )
    assert spec.startswith(b"\x89PNG")
    assert timeline_png([("e0", [(0.1, 0.001), (0.2, 0.001)])], t0_s=0, t1_s=1).startswith(b"\x89PNG")


def test_json_is_strict_and_atomic(tmp_path, capsys):
    doc = {"a": np.float32(1.5), "b": np.arange(3), "nan": math.nan, "inf": np.float64(np.inf), "p": tmp_path}
    plain = to_jsonable(doc)
    assert plain == {"a": 1.5, "b": [0, 1, 2], "nan": None, "inf": None, "p": str(tmp_path)}
    out = tmp_path / "sub" / "r.json"
    write_json(doc, out)
    assert json.loads(out.read_text()) == plain
    assert [p.name for p in out.parent.iterdir()] == ["r.json"]  # no temporary left behind
    write_json(doc, "-")
    assert json.loads(capsys.readouterr().out) == plain
    with pytest.raises(ValueError, match="Out of range"):
        json.dumps(math.nan, allow_nan=False)
    assert "NaN" not in dumps(doc)
