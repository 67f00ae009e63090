"""The common_data_service example (a package only so that mypy tells its modules apart)."""
