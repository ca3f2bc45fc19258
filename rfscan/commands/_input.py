"""Arguments shared by the subcommands that read a recording (``info``, ``analyze``)."""

from __future__ import annotations

import argparse

from rfscan.units import hz_arg


def add_recording_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``PATH`` and the raw-file overrides ``--format``, ``--rate``, ``--center``."""
    p.add_argument("path", metavar="PATH", help="recording: SigMF (.sigmf-meta/.sigmf-data/.sigmf) or raw IQ")
    p.add_argument(
        "--format", dest="fmt", metavar="F", help="sample format of a raw file: cu8, cs8, cs16, cf32"
    )
    p.add_argument("--rate", type=hz_arg, metavar="HZ", help="sample rate of a raw file, e.g. 2.4M")
    p.add_argument("--center", type=hz_arg, metavar="HZ", help="centre frequency of a raw file, e.g. 868M")
