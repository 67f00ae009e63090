"""The Flask app of the servers benchmark (``gunicorn benchmarks.apps.flask_app:app``)."""

from __future__ import annotations

from flask import Blueprint, Flask

from benchmarks.apps import passport_settings, with_adapter

app = Flask(__name__)


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"user": "anonymous"}


if not with_adapter():
    # The same routes in the same places, open: what each protected route is compared to.

    @app.get("/protected")
    def open_protected() -> dict[str, str]:
        return {"user": "user-000000"}

    open_group = Blueprint("group", __name__, url_prefix="/group")

    @open_group.get("/protected")
    def open_group_protected() -> dict[str, str]:
        return {"user": "user-000000"}

    app.register_blueprint(open_group)

else:
    from passport_flask import PassportExtension, current_passport, passport_required, protect

    app.config.update(
        {f"PASSPORT_{name.upper()}": value for name, value in passport_settings().items()}
    )
    PassportExtension().init_app(app)

    @app.get("/protected")
    @passport_required
    def protected() -> dict[str, str]:
        return {"user": current_passport.subject}

    group = Blueprint("group", __name__, url_prefix="/group")
    protect(group)

    @group.get("/protected")
    def group_protected() -> dict[str, str]:
        return {"user": current_passport.subject}

    app.register_blueprint(group)
