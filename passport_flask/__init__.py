"""passport_flask: service-passport for flask (see issue 3)."""

__all__: list[str] = []
