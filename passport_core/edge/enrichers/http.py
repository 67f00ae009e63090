"""Common data gathered from an HTTP endpoint: a directory, a profile service, a tenant map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from passport_core.edge.authenticators.claim_mapping import ClaimMapping
from passport_core.edge.common import CommonData
from passport_core.edge.enrichers.base import DEFAULT_ENRICHER_TIMEOUT, check_timeout
from passport_core.edge.identity import Identity
from passport_core.errors import ConfigurationError, EnrichmentFailed, MalformedToken
from passport_core.http.fetcher import DEFAULT_MAX_BYTES, BoundedFetcher, Fetched, check_limits
from passport_core.http.urls import checked_url, redacted
from passport_core.token.encoding import json_loads_object

__all__ = ["HTTPEnricher"]

_PLACEHOLDER = "{subject}"
#: stands for the subject while the template is checked
_PROBE = "subject"


def _segment(subject: str) -> str:
    """The subject as one opaque piece of the URL, whatever it holds.

    Everything but RFC 3986 §2.3 unreserved characters is percent-encoded, so a
    ``/``, ``?``, ``#`` or ``%`` in a subject can neither add a path segment nor
    start a query. A subject of only dots is refused: as a whole segment it
    would be a dot-segment (§5.2.4) that a client or a server normalises away.
    """
    if subject.strip(".") == "":
        raise EnrichmentFailed("the subject cannot be placed in the enrichment URL")
    return quote(subject, safe="")


def _failed(exc: EnrichmentFailed) -> EnrichmentFailed:
    # gather() says "the 'name' enricher <reason>": the reason reads on from there.
    return EnrichmentFailed(f"failed: {exc.message}")


class HTTPEnricher:
    """An enricher that GETs a JSON object about the identity's subject.

    ::

        HTTPEnricher(
            "https://directory.internal/users/{subject}/roles",
            name="directory",
            headers={"Authorization": f"Bearer {os.environ['DIRECTORY_TOKEN']}"},
            timeout=0.5,
        )

    ``{subject}`` is replaced by the percent-encoded subject; nothing of the
    caller's request is forwarded, only the static ``headers`` (a service
    credential, never logged). The JSON object answered is the enricher's
    result (``roles``, ``tenant``, ``profile``... as for any enricher) or, with
    ``mapping``, read through a :class:`ClaimMapping`. A non-200 status, a
    redirect, a body that is not a JSON object, one over ``max_bytes`` or
    later than ``timeout`` raises, and the edge fails the mint (``required``)
    or leaves this enricher out.
    """

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        mapping: ClaimMapping | None = None,
        required: bool = True,
        timeout: float = DEFAULT_ENRICHER_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allow_insecure: bool = False,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not isinstance(url, str) or url.count(_PLACEHOLDER) != 1:
            raise ConfigurationError("the enricher's URL needs '{subject}' exactly once")
        probe = checked_url(
            url.replace(_PLACEHOLDER, _PROBE), allow_insecure=allow_insecure, what="the URL"
        )
        authority = url.split(_PLACEHOLDER, 1)[0].partition("://")[2]
        if not any(mark in authority for mark in "/?"):
            # In the host, a subject would choose which server is asked.
            raise ConfigurationError("'{subject}' must be in the URL's path or query")
        self._headers = dict(headers or {})
        for key, value in self._headers.items():
            if not (isinstance(key, str) and isinstance(value, str)):
                raise ConfigurationError("the enricher's headers must be strings")
            if not ((key + value).isascii() and (key + value).isprintable() and key):
                raise ConfigurationError("the enricher's headers must be printable ASCII")
        self.timeout = check_timeout(timeout)
        check_limits(self.timeout, max_bytes)
        self.name = name or f"http:{probe.host}"
        self.required = required
        self.mapping = mapping
        self._url = url
        self._where = redacted(probe)
        self._http = BoundedFetcher(
            self.timeout,
            max_bytes,
            transport,
            async_transport,
            EnrichmentFailed,
            "the endpoint",
        )

    def url_for(self, subject: str) -> str:
        """The URL asked for ``subject``."""
        return self._url.replace(_PLACEHOLDER, _segment(subject))

    def _result(self, fetched: Fetched) -> Mapping[str, Any] | CommonData:
        try:
            document = json_loads_object(fetched.body, "endpoint's response")
        except MalformedToken as exc:
            raise EnrichmentFailed(exc.message) from exc
        return self.mapping.common(document) if self.mapping is not None else document

    def enrich(self, identity: Identity) -> Mapping[str, Any] | CommonData:
        url = self.url_for(identity.subject)
        try:
            return self._result(self._http.fetch(url, "application/json", headers=self._headers))
        except EnrichmentFailed as exc:
            raise _failed(exc) from exc

    async def aenrich(self, identity: Identity) -> Mapping[str, Any] | CommonData:
        url = self.url_for(identity.subject)
        try:
            fetched = await self._http.afetch(url, "application/json", headers=self._headers)
            return self._result(fetched)
        except EnrichmentFailed as exc:
            raise _failed(exc) from exc

    def __repr__(self) -> str:
        return f"HTTPEnricher({self.name!r}, {self._where!r}, required={self.required})"
