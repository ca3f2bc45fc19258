"""The inspection report in a real browser: hostile device strings neither run nor fetch anything.

A report is built from a simulated recording (simulate + analyze) and from serialprobe results of
hostile simulated modems (probed over ptys) and the hostile USB fixture. One modem is made up here
with identity strings that would load ``http://127.0.0.1:PORT/...`` (an ``<img>``, a stylesheet,
a CSS ``url()``, an iframe) if they were ever treated as markup. The page is served from a
loopback HTTP server that records every request and loaded in headless Chromium (``--dump-dom``,
then ``--screenshot``): the server must see the page requests and nothing else, and the DOM must
hold no script, no event handler and no element the page builder did not write.

The screenshot is kept in ``build/report-screenshot.png`` (a CI artefact).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]
SCREENSHOT = REPO / "build" / "report-screenshot.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs headless Chromium at /usr/bin/chromium"),
]

#: Elements the page builder writes (rfscan.report.page); anything else came from a device string.
PAGE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "div", "br", "table", "thead",
    "tbody", "tr", "th", "td", "figure", "img", "figcaption", "pre",
}  # fmt: skip


class _Recorder(SimpleHTTPRequestHandler):
    """Serves the report folder and records every request path."""

    requests: list[str]

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        super().do_GET()

    def do_POST(self) -> None:
        type(self).requests.append(f"POST {self.path}")
        self.send_error(405)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ThreadingHTTPServer, type[_Recorder], Path]]:
    """A loopback HTTP server on a free port serving ``tmp_path/site``."""
    site = tmp_path / "site"
    site.mkdir()
    handler = type("Recorder", (_Recorder,), {"requests": []})

    def make(*args: Any, **kwargs: Any) -> _Recorder:
        return handler(*args, directory=str(site), **kwargs)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd, handler, site
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / "chromium-profile"
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


class _Dom(HTMLParser):
    """Tags, attributes and text of a serialised DOM."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _hostile_persona(tmp: Path, port: int) -> tuple[Path, dict[str, str]]:
    """A persona like ``hostile-html`` whose identity strings would fetch from the test server."""
    from serialprobe.sim.persona import load_persona

    base = f"http://127.0.0.1:{port}"
    payloads = {
        "manufacturer": f"<link rel=stylesheet href={base}/link.css>",
        "model": f"<img src={base}/img.png onerror=alert(2)>",
        "revision": f"<style>body{{background:url({base}/bg.png)}}</style>",
        "operator": f"<iframe src={base}/frame></iframe>",
    }
    text = Path(load_persona("hostile-html").path).read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        key = line.split("=", 1)[0].strip()
        out.append(f"{key} = {json.dumps(payloads[key])}" if key in payloads and "=" in line else line)
    path = tmp / "hostile-fetch.toml"
    path.write_text("\n".join(out).replace('name = "hostile-html"', 'name = "hostile-fetch"') + "\n")
    return path, payloads


def _inputs(tmp: Path, port: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Path], dict[str, str]]:
    from rfscan.cli import main as rfscan_main
    from serialprobe.at.probe import probe_port
    from serialprobe.cli import main as sp_main
    from serialprobe.sim.server import PersonaServer

    assert rfscan_main(["simulate", "nbiot", "-o", str(tmp / "nbiot")]) == 0
    rf = tmp / "nbiot.json"
    assert rfscan_main(["analyze", str(tmp / "nbiot.sigmf-meta"), "--json", str(rf)]) == 0
    persona, payloads = _hostile_persona(tmp, port)
    paths = [rf]
    for name in ("hostile-escape", "hostile-html", persona):
        with PersonaServer(name) as sim:
            result = probe_port(sim.path, timeout_s=10.0)
        out = tmp / f"probe-{Path(str(name)).stem}.json"
        out.write_text(json.dumps(result.to_dict()), encoding="utf-8")
        paths.append(out)
    monkeypatch.syspath_prepend(str(REPO / "tests" / "serialprobe"))
    monkeypatch.setenv("SERIALPROBE_USB_BACKEND", "usb_backend:backend_from_env")
    fixtures = [REPO / "fixtures" / "usb" / n for n in ("hostile_strings.json", "quectel_ec25.json")]
    monkeypatch.setenv("SERIALPROBE_USB_FIXTURES", ":".join(map(str, fixtures)))
    usb = tmp / "usb.json"
    assert sp_main(["usb", "--json", str(usb)]) == 0
    paths.append(usb)
    return paths, payloads


def test_hostile_report_runs_nothing_and_fetches_nothing(
    tmp_path: Path,
    server: tuple[ThreadingHTTPServer, type[_Recorder], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matplotlib.image import imread

    from rfscan.cli import main as rfscan_main

    httpd, recorder, site = server
    port = httpd.server_address[1]
    inputs, payloads = _inputs(tmp_path, port, monkeypatch)
    page = site / "report.html"
    assert rfscan_main(["report", *map(str, inputs), "-o", str(page), "--asset", "crane <b>7</b>"]) == 0
    url = f"http://127.0.0.1:{port}/report.html"

    dump = _chromium(tmp_path, "--dump-dom", url)
    assert dump.returncode == 0, dump.stderr[-2000:]
    assert recorder.requests == ["/report.html"]  # the page, and nothing a device string asked for

    dom = _Dom()
    dom.feed(dump.stdout)
    tags = [t for t, _ in dom.tags]
    assert set(tags) <= PAGE_TAGS, set(tags) - PAGE_TAGS
    assert "script" not in tags
    assert tags.count("style") == 1  # the page's own stylesheet
    for tag, attrs in dom.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "img":
            assert str(attrs.get("src", "")).startswith("data:image/png;base64,")
    assert "<script" not in dump.stdout.lower()
    # no element carries an event handler (the text may mention one, escaped as &lt;img ... onerror=)
    assert not re.search(r"<[a-z][^<>]*\son[a-z]+\s*=", dump.stdout, re.IGNORECASE)
    assert "onerror=alert(2)" in "".join(dom.text)
    text = "".join(dom.text)
    for value in payloads.values():  # the hostile strings are there, as text
        assert value in text, value
    assert "<script>alert(1)</script>" in text
    assert "X1\\u202e1X" in text  # bidi override made visible
    assert "\x1b" not in dump.stdout
    # the verdict comes first: the first block after the title is the verdict box
    first_div = next(attrs for tag, attrs in dom.tags if tag == "div")
    assert "verdict" in str(first_div.get("class"))
    assert tags.index("div") < tags.index("table")
    assert tags.index("div") < tags.index("img")

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shot = tmp_path / "shot.png"
    run = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,4000", url)
    assert run.returncode == 0, run.stderr[-2000:]
    assert recorder.requests == ["/report.html", "/report.html"]
    shutil.copyfile(shot, SCREENSHOT)
    pixels = imread(str(shot))
    assert pixels.shape[1] == 1280
    # nothing overflows the centred page: the right margin stays blank from top to bottom
    margin = pixels[:, -30:, :3]
    assert float(margin.min()) > 0.97, "content drawn into the right margin: a table or string overflows"
