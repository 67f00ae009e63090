"""The token endpoint as a WSGI app, for Flask and Django deployments (PEP 3333).

It answers exactly what the ASGI app does (:mod:`~passport_core.exchange.answers`),
with the blocking :meth:`~passport_core.TokenService.exchange`; mount it under a
prefix (``werkzeug``'s ``DispatcherMiddleware``) or serve it alone (gunicorn).
Flask and Django have their own views on it: ``passport_flask.token_exchange_blueprint``
and ``passport_django.token_exchange_urls``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from passport_core.errors import ConfigurationError, PassportError
from passport_core.exchange.answers import Answer, TokenEndpoint, TokenRequest, request_url
from passport_core.exchange.service import TokenService
from passport_core.inbound.transport import read_wsgi_body, wsgi_headers, wsgi_status

__all__ = ["TokenExchangeWSGI", "wsgi_request"]

StartResponse = Callable[..., Any]


def _text(value: str) -> str:
    # PEP 3333: environ strings are the request's bytes decoded as Latin-1.
    return value.encode("latin-1").decode("utf-8", "replace")


def wsgi_request(environ: Mapping[str, Any]) -> TokenRequest:
    """What the token endpoint needs of a WSGI request (path below ``SCRIPT_NAME``)."""
    headers = wsgi_headers(environ)
    script, path = _text(environ.get("SCRIPT_NAME", "")), _text(environ.get("PATH_INFO", ""))
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    )
    url = request_url(
        environ.get("wsgi.url_scheme", "http"),
        host,
        script + path or "/",
        environ.get("RAW_URI") or environ.get("REQUEST_URI"),
    )
    return TokenRequest(environ.get("REQUEST_METHOD", "GET"), path or "/", tuple(headers), url)


class TokenExchangeWSGI(TokenEndpoint):
    """WSGI app around a :class:`~passport_core.TokenService`.

    ::

        application = TokenExchangeWSGI(service)     # gunicorn module:application

    The options are :class:`~passport_core.exchange.answers.TokenEndpoint`'s
    (``realm``, ``url``, ``ring_file``, ``client_cert``).

    Under WSGI, ``Client-Cert`` and ``Client_Cert`` are one variable
    (``HTTP_CLIENT_CERT``): a client certificate header whose name holds ``-`` or ``_``
    is refused unless ``proxy_drops_underscored_headers=True`` says the proxy in front
    removes both spellings (nginx does by default, ``underscores_in_headers off``), or
    a client could send its own certificate under the other spelling.
    """

    def __init__(
        self,
        service: TokenService,
        *,
        proxy_drops_underscored_headers: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(service, **options)
        header = self.client_cert
        if header is not None and not proxy_drops_underscored_headers:
            names = [header.name, header.unverified_name or ""]
            if any("-" in name or "_" in name for name in names):
                raise ConfigurationError(
                    f"under WSGI, {header.name!r} and its '_' spelling are one header: name one "
                    "without '-' or '_' (e.g. 'ClientCert'), or pass "
                    "proxy_drops_underscored_headers=True once the proxy removes both"
                )

    def answer(
        self,
        request: TokenRequest,
        stream: Any,
        content_length: str | None,
        *,
        terminated: bool = True,
    ) -> Answer:
        """The answer to ``request``, whose body is read from ``stream`` (a file-like object:
        ``wsgi.input``, a framework's request stream) within the size cap.

        ``terminated``: the stream ends by itself (a framework's stream, limited to the
        declared length; ``wsgi.input_terminated``), so it may be read without a length.
        """
        early = self.before_body(request)
        if early is not None:
            return early
        body = read_wsgi_body(stream, content_length, self.max_body, terminated=terminated)
        if body is None:
            return self.too_large()
        try:
            asked = self.exchange_arguments(request, body)
            result = self.exchange(asked)
        except PassportError as error:
            return self.refused(request, error)
        return self.issued(result)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        answer = self.answer(
            wsgi_request(environ),
            environ["wsgi.input"],
            environ.get("CONTENT_LENGTH"),
            terminated=bool(environ.get("wsgi.input_terminated")),
        )
        headers = [*answer.headers.items(), ("content-length", str(len(answer.body)))]
        start_response(wsgi_status(answer.status), headers)
        return [answer.body]
