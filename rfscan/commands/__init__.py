"""Subcommands of the ``rfscan`` CLI, one module each.

Each module defines ``register(subparsers, common)`` which adds its parser
(with ``parents=[common]`` so ``-v`` works after the subcommand) and sets
``func=run`` where ``run(args) -> int``.  Modules keep heavy imports inside
``run`` so that ``rfscan --help`` stays fast.
"""

from __future__ import annotations

#: Subcommand modules in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "simulate",
    "info",
    "analyze",
    "rtltcp_sim",
    "report",
    "sweep",
    "monitor",
    "locate",
)
