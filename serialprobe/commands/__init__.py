"""Subcommands of the ``serialprobe`` CLI, one module each (see ``rfscan.commands``)."""

from __future__ import annotations

#: Subcommand modules in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = ("sim", "list", "usb", "listen", "scan", "probe")
