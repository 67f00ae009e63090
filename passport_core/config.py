"""One settings object for every adapter, built from a plain mapping.

Flask reads ``PASSPORT_*`` keys from ``app.config``, Django one ``PASSPORT``
dict; both hand the lower-cased names to :meth:`PassportConfig.from_mapping`,
which refuses unknown names (a typo is an error, not a silently ignored
setting) and bad values, with a message that says which setting is wrong.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from passport_core import claims as c
from passport_core.errors import ConfigurationError
from passport_core.extraction import DEFAULT_HEADER, TokenLocation
from passport_core.gate import PassportGate
from passport_core.keyring import KeyRing
from passport_core.keys import Key, load_jwks, public_jwks
from passport_core.keysources import KeysLike
from passport_core.verification import Verifier

__all__ = ["PassportConfig"]


def _audiences(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, Iterable):
        return tuple(value)
    raise ConfigurationError("'audience' must be a string or a list of strings")


@dataclass(frozen=True)
class PassportConfig:
    """Everything a service needs to accept, check and forward passports.

    Give exactly one key setting: ``jwks`` (a public JWKS dict), ``jwks_file``,
    ``jwks_url`` (fetched and cached, refreshed on unknown ``kid``) or ``keys``
    (any key source, key ring or keys) — or a ready ``verifier``.

    :param issuer: the trusted issuer (the edge that mints).
    :param audience: this service's name(s) as they appear in ``aud``.
    :param header: the header passports arrive in (``None``: Authorization only).
    :param bearer: also accept ``Authorization: Bearer``.
    :param allowed_hosts: hosts outbound clients may forward the passport to.
    :param publish: keys whose public halves this service serves as its JWKS.
    :param realm: the ``realm`` of ``WWW-Authenticate`` challenges.
    """

    issuer: str | None = None
    audience: tuple[str, ...] = ()
    jwks: Mapping[str, Any] | None = None
    jwks_file: str | None = None
    jwks_url: str | None = None
    keys: KeysLike | None = None
    verifier: Verifier | None = None
    header: str | None = DEFAULT_HEADER
    bearer: bool = False
    leeway: float = 30.0
    max_lifetime: float = 3600.0
    max_token_bytes: int = 8192
    typ: str | None = c.TOKEN_TYPE
    allowed_hosts: tuple[str, ...] = ()
    publish: KeyRing | tuple[Key, ...] | None = None
    realm: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "settings") -> PassportConfig:
        """Build from lower-cased setting names; unknown names are refused."""
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        unknown = sorted(set(data) - names)
        if unknown:
            known = ", ".join(sorted(names))
            raise ConfigurationError(
                f"unknown passport {source}: {', '.join(unknown)}; known: {known}"
            )
        values = dict(data)
        if "audience" in values:
            values["audience"] = _audiences(values["audience"])
        if "allowed_hosts" in values:
            hosts = values["allowed_hosts"]
            if isinstance(hosts, str):
                raise ConfigurationError("'allowed_hosts' must be a list of host names")
            values["allowed_hosts"] = tuple(hosts)
        publish = values.get("publish")
        if isinstance(publish, Iterable) and not isinstance(publish, KeyRing):
            values["publish"] = tuple(publish)
        return cls(**values)

    def problems(self) -> list[str]:
        """Every misconfiguration, as sentences (used by start-up checks)."""
        found: list[str] = []
        if self.verifier is not None:
            return found
        if not self.issuer:
            found.append("no 'issuer': set the issuer whose passports this service accepts")
        if not self.audience or not all(isinstance(a, str) and a for a in self.audience):
            found.append("no 'audience': set this service's name as it appears in 'aud'")
        given = [
            name
            for name in ("jwks", "jwks_file", "jwks_url", "keys")
            if getattr(self, name) is not None
        ]
        if not given:
            found.append("no keys: set one of 'jwks', 'jwks_file', 'jwks_url' or 'keys'")
        elif len(given) > 1:
            found.append(f"several key settings ({', '.join(given)}): set exactly one")
        if self.jwks_file is not None and not os.path.isfile(self.jwks_file):
            found.append(f"'jwks_file' {self.jwks_file!r} does not exist")
        return found

    def _key_source(self) -> KeysLike:
        if self.jwks is not None:
            return self.jwks
        if self.jwks_file is not None:
            try:
                with open(self.jwks_file, "rb") as handle:
                    return load_jwks(handle.read())
            except OSError as exc:
                raise ConfigurationError(f"cannot read 'jwks_file': {exc.strerror}") from exc
        if self.jwks_url is not None:
            from passport_core.remote import RemoteJWKS  # noqa: PLC0415 - optional network path

            return RemoteJWKS(self.jwks_url)
        assert self.keys is not None  # noqa: S101 - problems() guarantees one key setting
        return self.keys

    def build_verifier(self) -> Verifier:
        """A new verifier for these settings; raises ConfigurationError if they are wrong."""
        if self.verifier is not None:
            return self.verifier
        problems = self.problems()
        if problems:
            raise ConfigurationError("; ".join(problems))
        assert self.issuer is not None  # noqa: S101 - checked by problems()
        return Verifier(
            keys=self._key_source(),
            issuer=self.issuer,
            audience=self.audience,
            typ=self.typ,
            leeway=self.leeway,
            max_lifetime=self.max_lifetime,
            max_token_bytes=self.max_token_bytes,
        )

    @functools.cached_property
    def location(self) -> TokenLocation:
        return TokenLocation(header=self.header, bearer=self.bearer)

    def build_gate(self) -> PassportGate:
        """Extraction plus verification for one service."""
        return PassportGate(self.build_verifier(), self.location)

    def published_jwks(self) -> dict[str, Any] | None:
        """The JWKS this service serves at ``/.well-known/jwks.json``, if it mints."""
        if self.publish is None:
            return None
        if isinstance(self.publish, KeyRing):
            return self.publish.public_jwks()
        return public_jwks(self.publish)
