"""passport_fastapi: service-passport for fastapi (see issue 3)."""

__all__: list[str] = []
