"""Read-only AT probing: allowlist (data), engine (the only writer), parsers and the probe.

Modules
-------
allowlist
    Exact commands that may be written, each with why it is read-only and a source.
engine
    :class:`~serialprobe.at.engine.AtEngine`: the single write path and a bounded reply reader.
parse
    Reply parsers (identity, IMEI/IMSI/ICCID, registration, operator, signal, vendor status).
probe
    :func:`~serialprobe.at.probe.probe_port` and the :class:`~serialprobe.at.probe.ProbeResult`
    model.
"""

from __future__ import annotations

from serialprobe.at.probe import ProbeResult, probe_port

__all__ = ["ProbeResult", "probe_port"]
