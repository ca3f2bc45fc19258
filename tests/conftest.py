"""Shared test configuration: hardware markers and temporary output folders."""

from __future__ import annotations

import os

import pytest

#: Comma-separated hardware kinds present on this machine, e.g. ``rtlsdr,serial``.
HARDWARE = {h.strip() for h in os.environ.get("MODEMHUNT_HARDWARE", "").split(",") if h.strip()}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``hardware(kind)`` unless MODEMHUNT_HARDWARE names that kind."""
    for item in items:
        marker = item.get_closest_marker("hardware")
        if marker is None:
            continue
        kinds = set(marker.args) or {"any"}
        if not (kinds & HARDWARE):
            item.add_marker(
                pytest.mark.skip(reason=f"needs hardware {sorted(kinds)}; set MODEMHUNT_HARDWARE")
            )
