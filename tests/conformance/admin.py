"""The revocation admin endpoint as each framework serves it, around one core admin.

FastAPI mounts core's ASGI app; Flask registers ``revocation_admin_blueprint``; Django
includes ``revocation_admin_urls`` (this module is also the URLconf the Django cases use).
"""

from __future__ import annotations

from django.urls import include, path
from fastapi import FastAPI
from flask import Flask

from passport_core import (
    MemoryRevocations,
    PassportConfig,
    RevocationAdmin,
    RevocationEndpoint,
    require_role,
)
from passport_django import revocation_admin_urls
from passport_flask import revocation_admin_blueprint
from tests.conformance.apps import ISSUER, SETTINGS

#: the tests give it a fresh store each (``ADMIN.store = ...``)
ADMIN = RevocationAdmin(
    MemoryRevocations(),
    gate=PassportConfig.from_mapping(SETTINGS).build_gate(),
    policy=require_role("passport-admin"),
    issuers=ISSUER,
)
PREFIX = "/admin/revocations"


def fastapi_app() -> FastAPI:
    app = FastAPI()
    app.mount(PREFIX, RevocationEndpoint(ADMIN))
    return app


def flask_app() -> Flask:
    app = Flask(__name__)
    app.register_blueprint(revocation_admin_blueprint(ADMIN), url_prefix=PREFIX)
    return app


urlpatterns = [path(PREFIX.lstrip("/") + "/", include(revocation_admin_urls(ADMIN)))]
