"""The ``serialprobe`` command line: results on stdout, diagnostics on stderr."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from serialprobe import __version__
from serialprobe.commands import COMMANDS
from serialprobe.errors import SerialprobeError
from serialprobe.sanitize import terminal_safe

log = logging.getLogger("serialprobe")


#: Bound on an error message shown on stderr (it may quote device paths and device output).
MAX_ERROR_CHARS = 400
#: ESC and the C1 introducers (CSI, OSC, DCS, SOS, PM, APC, ST) rendered as visible text.
_INTRODUCERS = {0x1B: "\\x1b", **{cp: f"\\u{cp:04x}" for cp in (0x9B, 0x9D, 0x90, 0x98, 0x9E, 0x9F, 0x9C)}}


def _one_line(text: str) -> str:
    """Fold a message onto one line that cannot drive the terminal.

    Whitespace runs (newlines included) become one space and the rest goes through
    :func:`serialprobe.sanitize.terminal_safe`: messages quote port names and device text, which
    may come from USB strings or a hostile device. Escape-sequence introducers are shown rather
    than the whole sequence dropped, so the user sees the name they typed (``/dev/\\x1b[31mtty``,
    not a different device ``/dev/tty``).
    """
    folded = " ".join(text.split()).translate(_INTRODUCERS)
    return terminal_safe(folded, max_chars=MAX_ERROR_CHARS)


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
        prog="serialprobe",
        description="Find and identify cellular modems on serial ports and USB, read-only.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"serialprobe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"serialprobe.commands.{name}")
        module.register(sub, common)
    return parser


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr, format="serialprobe: %(levelname)s: %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``serialprobe`` CLI and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(getattr(args, "verbose", 0))
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except SerialprobeError as err:
        print(f"serialprobe: error: {_one_line(str(err))}", file=sys.stderr)
        log.debug("traceback", exc_info=True)
        return err.exit_code
    except KeyboardInterrupt:
        print("serialprobe: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # pragma: no cover - `serialprobe ... | head`
        return 0
