"""``python -m passport_core``: the ``passport`` command."""

from __future__ import annotations

import sys

from passport_core.cli import main

if __name__ == "__main__":
    sys.exit(main())
