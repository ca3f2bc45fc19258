"""The ``rfscan`` command line: results on stdout, diagnostics on stderr."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from rfscan import __version__
from rfscan.commands import COMMANDS
from rfscan.errors import RfscanError

log = logging.getLogger("rfscan")


def _one_line(text: str) -> str:
    """Fold a message onto one line with every control sequence made visible.

    Messages quote file names and metadata from untrusted recordings: an escape sequence in a
    file name must not reach the terminal.
    """
    from serialprobe.sanitize import terminal_safe

    return terminal_safe(" ".join(text.split()), max_chars=600)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every subcommand registered."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="log more to stderr (-vv for debug)",
    )
    parser = argparse.ArgumentParser(
        prog="rfscan",
        description="Find cellular uplink emissions (hidden modems) with an RTL-SDR.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"rfscan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"rfscan.commands.{name}")
        module.register(sub, common)
    return parser


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr, format="rfscan: %(levelname)s: %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rfscan`` CLI and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(getattr(args, "verbose", 0))
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except RfscanError as err:
        print(f"rfscan: error: {_one_line(str(err))}", file=sys.stderr)
        log.debug("traceback", exc_info=True)
        return err.exit_code
    except KeyboardInterrupt:
        print("rfscan: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # pragma: no cover - `rfscan ... | head`
        return 0
