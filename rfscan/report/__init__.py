"""Reports: the JSON result documents and the self-contained HTML pages built from them."""

from __future__ import annotations

from rfscan.report.jsonout import to_jsonable, write_json
from rfscan.report.page import Page

__all__ = ["Page", "to_jsonable", "write_json"]
