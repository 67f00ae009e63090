"""passport_django: service-passport for django (see issue 3)."""

__all__: list[str] = []
