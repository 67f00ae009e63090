"""The FastAPI app of the servers benchmark (``uvicorn benchmarks.apps.fastapi_app:app``)."""

from __future__ import annotations

from fastapi import FastAPI

from benchmarks.apps import passport_settings, with_adapter

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"user": "anonymous"}


if not with_adapter():
    # The same routes in the same places, open: what each protected route is compared to.

    @app.get("/protected")
    async def open_protected() -> dict[str, str]:
        return {"user": "user-000000"}

    @app.get("/group/protected")
    async def open_group_protected() -> dict[str, str]:
        return {"user": "user-000000"}

else:
    from passport_core import get_passport_or_raise
    from passport_fastapi import PassportDep, PassportRoute, setup_passport

    setup_passport(app, **passport_settings())

    @app.get("/protected")
    async def protected(passport: PassportDep) -> dict[str, str]:
        return {"user": passport.subject}

    # Protected by the route class rather than a dependency; declared on the app's own
    # router, as /hello is (an included router adds FastAPI's own routing cost to both).
    app.router.route_class = PassportRoute

    @app.get("/group/protected")
    async def group_protected() -> dict[str, str]:
        return {"user": get_passport_or_raise().subject}
