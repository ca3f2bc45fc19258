"""``python -m rfscan``."""

from __future__ import annotations

import sys

from rfscan.cli import main

if __name__ == "__main__":
    sys.exit(main())
