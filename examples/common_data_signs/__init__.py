"""The common_data_signs example (a package only so that mypy tells its modules apart)."""
