"""The topmost_mints example (a package only so that mypy tells its modules apart)."""
