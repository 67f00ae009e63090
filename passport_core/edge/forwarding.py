"""Which headers cross the edge, both ways: the rules every edge transport shares.

Towards the upstream: no hop-by-hop header (RFC 9110 §7.6.1: ``Connection``,
the fields it names, ``Keep-Alive``, ``TE``, ``Transfer-Encoding``,
``Upgrade``, ``Proxy-*``), no header the edge owns (a client-forged passport
or passport action), however it is spelled, and ``X-Forwarded-For`` /
``-Proto`` / ``-Host`` extended with this hop. Towards the client: no
hop-by-hop header and none the edge owns either: the passport never leaves
through the front door, and a passport action is for the edge alone.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["HOP_BY_HOP", "forwarded_headers", "header_key", "response_headers"]

Headers = list[tuple[str, str]]

#: RFC 9110 §7.6.1 (and the ``Proxy-Connection`` / ``Keep-Alive`` of older clients);
#: ``Host`` is the upstream's own, set by the client library from its URL
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


def header_key(name: str) -> str:
    """The name as CGI-style servers fold it: ``X_Passport`` and ``x-passport`` are one header
    to a WSGI or CGI service, so the edge treats them as one too."""
    return name.strip().lower().replace("_", "-")


def _connection_named(headers: Iterable[tuple[str, str]]) -> set[str]:
    # RFC 9110 §7.6.1: every field ``Connection`` names is hop-by-hop for this connection.
    named: set[str] = set()
    for name, value in headers:
        if header_key(name) == "connection":
            named.update(header_key(item) for item in value.split(",") if item.strip())
    return named


def _kept(headers: Iterable[tuple[str, str]], drop: Iterable[str]) -> Headers:
    pairs = list(headers)
    dropped = HOP_BY_HOP | _connection_named(pairs) | {header_key(name) for name in drop}
    return [(name, value) for name, value in pairs if header_key(name) not in dropped]


def _joined(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    # RFC 9110 §5.3: repeated lines of a list field are one comma-separated value.
    values = [value.strip() for key, value in headers if header_key(key) == name]
    values = [value for value in values if value]
    return ", ".join(values) if values else None


def forwarded_headers(
    headers: Iterable[tuple[str, str]],
    *,
    strip: Iterable[str],
    client: str | None,
    scheme: str,
    host: str | None,
    trust_forwarded: bool = False,
) -> Headers:
    """The request headers to send upstream: ``headers`` less hop-by-hop ones, less every
    header named in ``strip`` (case and ``_``/``-`` folded), less ``Host``, and with this
    hop in ``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Forwarded-Host``.

    The client's own ``X-Forwarded-*`` and ``Forwarded`` (RFC 7239) are dropped unless
    ``trust_forwarded``: at the outermost hop they are whatever the client typed, and an
    upstream that logs or rate-limits by them would believe a forged address. Behind a
    proxy of your own that sets them, ``trust_forwarded=True`` appends this hop instead.
    """
    pairs = list(headers)
    appended = {"x-forwarded-for": client, "x-forwarded-proto": scheme, "x-forwarded-host": host}
    dropped = {*strip, "host", *appended}
    if not trust_forwarded:
        dropped.add("forwarded")
    out = _kept(pairs, dropped)
    for name, mine in appended.items():
        seen = _joined(pairs, name) if trust_forwarded else None
        parts = [part for part in (seen, mine) if part]
        if parts:
            out.append((name, ", ".join(parts)))
    return out


def response_headers(headers: Iterable[tuple[str, str]], *, strip: Iterable[str]) -> Headers:
    """The upstream's response headers the client may see."""
    return _kept(headers, strip)
