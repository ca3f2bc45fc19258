"""``python -m serialprobe``."""

from __future__ import annotations

import sys

from serialprobe.cli import main

if __name__ == "__main__":
    sys.exit(main())
