"""Live survey modes: ``sweep`` (hop across the uplink bands), ``monitor`` (watch for hours),
``locate`` (strength readout for walking toward an emitter).

Modules: :mod:`rfscan.survey.plan` (pure hop planning), :mod:`rfscan.survey.engine` (readers,
per-dwell detection, coverage), :mod:`rfscan.survey.report` (JSON documents, page),
:mod:`rfscan.survey.events` (JSONL log, live terminal view), :mod:`rfscan.survey.locate`.
"""

from __future__ import annotations

from rfscan.survey.plan import Hop, HopPlan, RequestedSpan, plan_hops, resolve_spans

__all__ = ["Hop", "HopPlan", "RequestedSpan", "plan_hops", "resolve_spans"]
