"""The request a DPoP proof is made for: its method and its URI (RFC 9449 §4.2, §4.3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from passport_core.errors import InvalidProof

__all__ = ["RequestTarget", "TargetLike", "normalize_htu", "resolve_target"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
#: RFC 3986 §2.3: unreserved characters, which percent-encoding never changes the meaning of
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
#: RFC 3986 §3.3: what a path segment holds unencoded (pchar), besides the unreserved
_PATH_SAFE = "/!$&'()*+,;=:@"


def _percent(match: re.Match[str]) -> str:
    # RFC 3986 §6.2.2.1 / §6.2.2.2: upper-case hex, unreserved characters decoded.
    octet = int(match.group(1), 16)
    return chr(octet) if octet in _UNRESERVED else "%" + match.group(1).upper()


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 §5.2.4, on an absolute path.
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if path.endswith(("/.", "/..")):
        output.append("")
    return "/" + "/".join(output)


def normalize_htu(uri: str, *, resolve_dots: bool = True) -> str:
    """``uri`` without query and fragment, normalised for comparison (RFC 9449 §4.3 step 9).

    Syntax-based (RFC 3986 §6.2.2: case of scheme and host, percent-encoding, dot
    segments unless ``resolve_dots`` is false) and scheme-based (§6.2.3: default port,
    empty path is ``/``) normalisation, so a client's spelling of the same URI still
    matches. Anything that is not an absolute ``http``/``https`` URI is
    :class:`~passport_core.InvalidProof`.
    """
    if not isinstance(uri, str) or not uri.isascii() or any(ch in uri for ch in " \t\r\n"):
        raise InvalidProof("htu is not an absolute http(s) URI")
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        raise InvalidProof("htu is not an absolute http(s) URI") from None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host or parts.username is not None:
        raise InvalidProof("htu is not an absolute http(s) URI")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _PERCENT.sub(_percent, parts.path or "/")
    if resolve_dots:
        path = _remove_dot_segments(path)
    return f"{scheme}://{netloc}{path}"


@dataclass(frozen=True, slots=True)
class RequestTarget:
    """The method and absolute URI of the request being served, as the client sent it.

    Adapters build it from the framework's own view of the request (scheme and host
    as the framework's proxy settings make them): behind a proxy, tell the framework
    the public scheme and host, or every proof's ``htu`` will mismatch.
    """

    method: str
    url: str

    @classmethod
    def of(
        cls, method: str, scheme: str, host: str, path: str, *, raw_path: str | None = None
    ) -> RequestTarget:
        """The target as a framework sees the request: its scheme and host (after its proxy
        settings), its decoded ``path``, and the path as sent when the server passes it
        (ASGI ``raw_path``, WSGI ``RAW_URI`` / ``REQUEST_URI``; a query is ignored).

        A client's ``htu`` spells the path percent-encoded, as it sent it; frameworks hand
        out the decoded path (``café x``, ``%2F`` as ``/``). The path as sent is used when it
        decodes to the framework's path (a proxy that stripped a prefix makes them differ);
        otherwise the decoded path is encoded again (RFC 3986 §2.1, UTF-8).
        """
        sent = None if raw_path is None else raw_path.split("?", 1)[0]
        if sent is None or not sent.startswith("/") or unquote(sent, errors="replace") != path:
            sent = quote(path, safe=_PATH_SAFE)
        return cls(method, f"{scheme}://{host}{sent}")

    @property
    def htu(self) -> str:
        """The URI a proof's ``htu`` must match, normalised.

        Dot segments stay: a server that routes ``/items/../admin`` as sent (to the
        ``/items/{path}`` route) must not accept a proof made for ``/admin``.
        """
        return normalize_htu(self.url, resolve_dots=False)


#: a target, or what builds it: adapters pass a function, called only when a proof is checked
TargetLike = RequestTarget | Callable[[], RequestTarget]


def resolve_target(target: TargetLike | None) -> RequestTarget | None:
    """The :class:`RequestTarget` that ``target`` is or builds."""
    if target is None or isinstance(target, RequestTarget):
        return target
    return target()
