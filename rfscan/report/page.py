"""A self-contained, script-free HTML page builder.

Every piece of text passes through :func:`html.escape`; callers never hand the
builder raw HTML.  The page carries a Content-Security-Policy that forbids
scripts, frames, forms and any remote load: images are embedded as ``data:``
URIs and the stylesheet is inline.  A hostile string from a device (an AT reply,
a USB descriptor) can therefore neither run in the browser nor fetch anything.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: No scripts, no remote anything; inline style and data: images only.
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_STYLE = """
:root { color-scheme: light; --fg:#1b1f24; --muted:#5b6570; --line:#d7dde3; --accent:#0b5cad;
        --bad:#a4161a; --ok:#2b7a0b; --warn:#9a6700; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 0 auto; max-width: 1180px; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.2em; margin: 28px 0 8px;
     border-bottom: 1px solid var(--line); padding-bottom: 4px; }
p.meta { color: var(--muted); margin: 0 0 16px; }
.verdict { padding: 12px 16px; border-left: 6px solid var(--accent); background: #f3f7fb; margin: 12px 0; }
.verdict.bad { border-color: var(--bad); background: #fbf1f1; }
.verdict.ok { border-color: var(--ok); background: #f1f8ee; }
.verdict.warn { border-color: var(--warn); background: #fdf8ec; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; word-break: break-word; }
th { background: #f0f2f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 8px 0 16px; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 13px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; padding: 8px; }
@media print { body { max-width: none; padding: 0; font-size: 11px; }
  @page { size: A4; margin: 14mm; } h2 { break-after: avoid; } figure, tr { break-inside: avoid; } }
"""

Cell = str | int | float | None


@dataclass(frozen=True)
class Num:
    """A table cell that is a number, right-aligned, with a format."""

    value: float | int | None
    fmt: str = "{:.1f}"

    def text(self) -> str:
        """The formatted number, or an em dash when missing."""
        return "\u2014" if self.value is None else self.fmt.format(self.value)


@dataclass
class Page:
    """Build an HTML page piece by piece; :meth:`render` returns the document."""

    title: str
    subtitle: str | None = None
    _parts: list[str] = field(default_factory=list)

    def heading(self, text: str) -> None:
        """A section heading."""
        self._parts.append(f"<h2>{html.escape(text)}</h2>")

    def paragraph(self, text: str, *, css_class: str | None = None) -> None:
        """A paragraph of plain text."""
        cls = f' class="{html.escape(css_class)}"' if css_class else ""
        self._parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def verdict(self, lines: Sequence[str], *, level: str = "info") -> None:
        """A highlighted box of plain-text lines; ``level`` is bad, ok, warn or info."""
        body = "<br>".join(html.escape(line) for line in lines)
        self._parts.append(f'<div class="verdict {html.escape(level)}">{body}</div>')

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[Cell | Num]]) -> None:
        """A table; :class:`Num` cells are right-aligned numbers, everything else is escaped text."""
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = []
        for row in rows:
            cells = []
            for cell in row:
                if isinstance(cell, Num):
                    cells.append(f'<td class="num">{html.escape(cell.text())}</td>')
                else:
                    cells.append(f"<td>{html.escape('' if cell is None else str(cell))}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        self._parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")

    def image_png(self, png: bytes, *, alt: str, caption: str | None = None) -> None:
        """Embed a PNG as a data: URI (nothing is loaded from anywhere)."""
        data = base64.b64encode(png).decode("ascii")
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        img = f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
        self._parts.append(f"<figure>{img}{cap}</figure>")

    def preformatted(self, text: str) -> None:
        """A block of monospaced, escaped text."""
        self._parts.append(f"<pre>{html.escape(text)}</pre>")

    def render(self) -> str:
        """The whole HTML document."""
        sub = f'<p class="meta">{html.escape(self.subtitle)}</p>' if self.subtitle else ""
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="referrer" content="no-referrer">'
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(self.title)}</h1>{sub}" + "\n".join(self._parts) + "</body></html>\n"
        )
