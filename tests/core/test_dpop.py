"""DPoP proofs (RFC 9449 §4.3): each receiver check fails on its own, and a good proof passes."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from passport_core import (
    BINDING_MODES,
    ConfigurationError,
    InvalidClaim,
    InvalidProof,
    Key,
    KeyRing,
    MemoryReplayCache,
    Minter,
    MintingError,
    MissingProof,
    PassportConfig,
    PassportGate,
    ProofBinding,
    ProofReplayed,
    ProofVerifier,
    RequestTarget,
    VerifiedProof,
    Verifier,
    confirmation,
    generate_key,
    jwk_thumbprint,
    make_proof,
    passport_jkt,
)
from passport_core.dpop.target import normalize_htu
from passport_core.token.encoding import b64url_decode, b64url_encode, json_dumps

NOW = 1_800_000_000.0
URL = "https://orders.test/orders/7"
TARGET = RequestTarget("POST", URL)
TOKEN = "aaa.bbb.ccc"  # the proof hashes whatever travels beside it


@pytest.fixture(scope="module", params=["EdDSA", "ES256", "RS256", "PS256"])
def holder(request: pytest.FixtureRequest) -> Key:
    return generate_key(request.param, kid="holder")


@pytest.fixture
def checker() -> ProofVerifier:
    return ProofVerifier(clock=lambda: NOW)


def proof_for(key: Key, **overrides: Any) -> str:
    return make_proof(key, "POST", URL, token=TOKEN, iat=overrides.pop("iat", NOW), **overrides)


def hand_signed(key: Key, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A proof built by hand, so a test can break one part of it."""
    signing_input = b64url_encode(json_dumps(header)) + "." + b64url_encode(json_dumps(claims))
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


def good_parts(key: Key) -> tuple[dict[str, Any], dict[str, Any]]:
    jwk = {k: v for k, v in key.to_jwk().items() if k not in ("kid", "use")}
    header = {"typ": "dpop+jwt", "alg": key.alg, "jwk": jwk}
    claims = {
        "jti": "j-1",
        "htm": "POST",
        "htu": URL,
        "iat": int(NOW),
        "ath": b64url_encode(hashlib.sha256(TOKEN.encode()).digest()),
    }
    return header, claims


def check(checker: ProofVerifier, key: Key, proof: str | list[str], **kw: Any) -> VerifiedProof:
    proofs = [proof] if isinstance(proof, str) else proof
    options: dict[str, Any] = {"token": TOKEN, "jkt": jwk_thumbprint(key), **kw}
    return checker.verify(proofs, options.pop("target", TARGET), **options)


def test_a_good_proof_passes_and_names_its_key(checker: ProofVerifier, holder: Key) -> None:
    verified = check(checker, holder, proof_for(holder))
    assert verified.jkt == jwk_thumbprint(holder)
    assert confirmation(verified) == {"jkt": verified.jkt} == confirmation(holder)


def test_the_thumbprint_is_rfc_7638s(holder: Key) -> None:
    # joserfc implements RFC 7638 independently: the two must agree.
    assert jwk_thumbprint(holder) == holder.jwk.thumbprint()
    assert jwk_thumbprint(holder.to_jwk()) == jwk_thumbprint(holder.public())


def test_rfc_7638_example_thumbprint() -> None:
    # RFC 7638 §3.1's worked example.
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6"
        "tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65Y"
        "GjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
        "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_the_proof_carries_what_rfc_9449_section_4_2_asks(holder: Key) -> None:
    proof = make_proof(holder, "get", URL + "?page=2#top", token=TOKEN)
    header_b64, payload_b64, _ = proof.split(".")
    header = json.loads(b64url_decode(header_b64))
    claims = json.loads(b64url_decode(payload_b64))
    assert header["typ"] == "dpop+jwt"
    assert header["alg"] == holder.alg
    assert not {"d", "p", "q", "dp", "dq", "qi", "kid"} & header["jwk"].keys()
    assert claims["htm"] == "GET"
    assert claims["htu"] == URL
    assert claims["ath"] == b64url_encode(hashlib.sha256(TOKEN.encode()).digest())
    assert (
        claims["jti"]
        != json.loads(b64url_decode(make_proof(holder, "GET", URL).split(".")[1]))["jti"]
    )


@pytest.mark.parametrize(
    "target",
    [
        RequestTarget("GET", URL),  # wrong htm
        RequestTarget("post", URL),  # method names are case-sensitive (RFC 9110 §9.1)
        RequestTarget("POST", "https://orders.test/orders/8"),  # wrong path
        RequestTarget("POST", "https://other.test/orders/7"),  # other host
        RequestTarget("POST", "http://orders.test/orders/7"),  # other scheme
        RequestTarget("POST", "https://orders.test:8443/orders/7"),  # other port
    ],
    ids=["htm", "htm-case", "path", "host", "scheme", "port"],
)
def test_a_proof_for_another_request_is_refused(
    checker: ProofVerifier, holder: Key, target: RequestTarget
) -> None:
    with pytest.raises(InvalidProof) as caught:
        check(checker, holder, proof_for(holder), target=target)
    assert caught.value.code == "invalid_dpop_proof"


@pytest.mark.parametrize(
    "url",
    [
        URL + "?q=1",
        URL + "#frag",
        "HTTPS://ORDERS.test:443/orders/7",
        "https://orders.test/orders/%37",
    ],
)
def test_query_fragment_and_spelling_are_ignored(
    checker: ProofVerifier, holder: Key, url: str
) -> None:
    # RFC 9449 §4.3 step 9: compared without query and fragment, after RFC 3986 §6 normalisation.
    check(checker, holder, proof_for(holder), target=RequestTarget("POST", url))


def test_dot_segments_are_resolved_in_the_proof_not_in_the_request(
    checker: ProofVerifier, holder: Key
) -> None:
    # A client's "./" spelling of the URI it called still matches...
    header, claims = good_parts(holder)
    claims["htu"] = "https://orders.test/orders/./7"
    check(checker, holder, hand_signed(holder, header, claims))
    # ...but a server that routes "/items/../orders/7" as sent (to an /items/{path} route)
    # is not serving the /orders/7 a proof names.
    routed = RequestTarget("POST", "https://orders.test/items/../orders/7")
    with pytest.raises(InvalidProof, match="another URI"):
        check(checker, holder, proof_for(holder), target=routed)


def test_normalize_htu() -> None:
    assert normalize_htu("http://[::1]:80") == "http://[::1]/"
    assert normalize_htu("http://h/a/../b/%7e%2f") == "http://h/b/~%2F"
    for bad in ("ftp://h/", "/relative", "https://", "https://u@h/", "https://h:99999/", "é"):
        with pytest.raises(InvalidProof):
            normalize_htu(bad)


def test_stale_and_future_proofs_are_refused(checker: ProofVerifier, holder: Key) -> None:
    with pytest.raises(InvalidProof, match="too old"):
        check(checker, holder, proof_for(holder, iat=NOW - 61))
    with pytest.raises(InvalidProof, match="future"):
        check(checker, holder, proof_for(holder, iat=NOW + 6))
    check(checker, holder, proof_for(holder, iat=NOW - 59))
    check(checker, holder, proof_for(holder, iat=NOW + 4))


def test_the_window_is_configurable(holder: Key) -> None:
    strict = ProofVerifier(max_age=5, leeway=0, clock=lambda: NOW)
    with pytest.raises(InvalidProof):
        check(strict, holder, proof_for(holder, iat=NOW - 6))
    with pytest.raises(InvalidProof):
        check(strict, holder, proof_for(holder, iat=NOW + 1))


def test_a_replayed_proof_is_refused(checker: ProofVerifier, holder: Key) -> None:
    proof = proof_for(holder)
    check(checker, holder, proof)
    with pytest.raises(ProofReplayed) as caught:
        check(checker, holder, proof)
    assert caught.value.code == "dpop_proof_replayed"
    assert isinstance(caught.value, InvalidProof)
    # the same jti from another key is another proof
    other = generate_key("ES256")
    check(checker, other, proof_for(other, jti="j-same"))
    check(checker, holder, proof_for(holder, jti="j-same"))


def test_a_replay_is_refused_on_the_async_path_too(checker: ProofVerifier, holder: Key) -> None:
    proof = proof_for(holder)
    jkt = jwk_thumbprint(holder)
    asyncio.run(checker.averify([proof], TARGET, token=TOKEN, jkt=jkt))
    with pytest.raises(ProofReplayed):
        asyncio.run(checker.averify([proof], TARGET, token=TOKEN, jkt=jkt))


def test_the_replay_cache_forgets_after_the_window_and_stays_bounded() -> None:
    now = [NOW]
    cache = MemoryReplayCache(max_entries=3, clock=lambda: now[0])
    assert cache.first_use("a", NOW + 10)
    assert not cache.first_use("a", NOW + 10)
    now[0] = NOW + 11
    assert cache.first_use("a", NOW + 20)
    for name in "bcdef":
        assert cache.first_use(name, NOW + 20)
    assert len(cache) == 3


def test_wrong_ath_is_refused(checker: ProofVerifier, holder: Key) -> None:
    with pytest.raises(InvalidProof, match="ath"):
        check(checker, holder, proof_for(holder), token="another.passport.token")
    with pytest.raises(InvalidProof, match="ath"):
        check(checker, holder, make_proof(holder, "POST", URL, iat=NOW))  # no ath at all


def test_a_proof_signed_by_another_key_than_cnf_is_refused(
    checker: ProofVerifier, holder: Key
) -> None:
    thief = generate_key(holder.alg)
    with pytest.raises(InvalidProof, match="bound to"):
        check(checker, holder, proof_for(thief))


def test_a_jwk_with_private_members_is_refused(checker: ProofVerifier, holder: Key) -> None:
    header, claims = good_parts(holder)
    header["jwk"] = {k: v for k, v in holder.to_jwk(private=True).items() if k != "kid"}
    with pytest.raises(InvalidProof, match="private"):
        check(checker, holder, hand_signed(holder, header, claims))


def test_a_signature_that_does_not_verify_is_refused(checker: ProofVerifier, holder: Key) -> None:
    header, claims = good_parts(holder)
    proof = hand_signed(holder, header, claims)
    head, _, _ = proof.rpartition(".")
    forged = hand_signed(generate_key(holder.alg), header, claims).rpartition(".")[2]
    with pytest.raises(InvalidProof, match="signature"):
        check(checker, holder, f"{head}.{forged}")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h, c: h.update(typ="JWT"), "typ"),
        (lambda h, c: h.update(typ="passport+jwt"), "typ"),
        (lambda h, c: h.pop("typ"), "typ"),
        (lambda h, c: h.update(alg="none"), "alg"),
        (lambda h, c: h.update(alg="HS256"), "alg"),
        (lambda h, c: h.update(alg="RS256" if h["alg"] != "RS256" else "ES256"), "jwk"),
        (lambda h, c: h.pop("jwk"), "jwk"),
        (lambda h, c: h.update(jwk="not-an-object"), "jwk"),
        (lambda h, c: h.update(crit=["exp"]), "critical"),
        (lambda h, c: c.pop("jti"), "jti"),
        (lambda h, c: c.update(jti=""), "jti"),
        (lambda h, c: c.update(jti="x" * 300), "jti"),
        (lambda h, c: c.pop("htm"), "htm"),
        (lambda h, c: c.pop("htu"), "htu"),
        (lambda h, c: c.update(htu="/orders/7"), "htu"),
        (lambda h, c: c.pop("iat"), "iat"),
        (lambda h, c: c.update(iat="1800000000"), "iat"),
        (lambda h, c: c.update(iat=True), "iat"),
    ],
)
def test_each_malformed_part_is_refused(
    checker: ProofVerifier,
    holder: Key,
    change: Callable[[dict[str, Any], dict[str, Any]], object],
    message: str,
) -> None:
    header, claims = good_parts(holder)
    check(checker, holder, hand_signed(holder, header, claims))  # the unchanged parts pass
    header, claims = good_parts(holder)
    claims["jti"] = "j-2"
    change(header, claims)
    with pytest.raises(InvalidProof, match=message):
        check(checker, holder, hand_signed(holder, header, claims))


@pytest.mark.parametrize(
    "proof",
    ["", "garbage", "a.b", "a.b.c", "e30.e30.", "a.b.c.d.e", "é.é.é", "=" * 50],
)
def test_garbage_is_invalid_proof_never_a_crash(checker: ProofVerifier, proof: str) -> None:
    with pytest.raises(InvalidProof):
        checker.verify([proof], TARGET, token=TOKEN, jkt="x")


def test_two_dpop_headers_are_refused(checker: ProofVerifier, holder: Key) -> None:
    with pytest.raises(InvalidProof, match="exactly one"):
        check(checker, holder, [proof_for(holder), proof_for(holder)])


def test_no_proof_is_missing_proof(checker: ProofVerifier, holder: Key) -> None:
    with pytest.raises(MissingProof) as caught:
        check(checker, holder, [])
    assert caught.value.code == "missing_dpop_proof"


def test_an_oversized_proof_is_refused_before_parsing(checker: ProofVerifier) -> None:
    with pytest.raises(InvalidProof, match="over 4096 bytes"):
        checker.verify(["a" * 5000], TARGET, token=TOKEN, jkt="x")


def test_proofs_need_an_asymmetric_private_key() -> None:
    with pytest.raises(Exception, match="asymmetric private"):
        make_proof(generate_key("HS256"), "GET", URL)
    with pytest.raises(Exception, match="asymmetric private"):
        make_proof(generate_key("ES256").public(), "GET", URL)
    with pytest.raises(Exception, match="subset"):
        ProofVerifier(algorithms=["HS256"])


def test_the_minter_binds_a_passport_with_cnf(holder: Key) -> None:
    minter = Minter(generate_key("EdDSA"), issuer="https://edge.test")
    token = minter.mint("u", audience="orders", cnf=confirmation(holder))
    claims = json.loads(b64url_decode(token.split(".")[1]))
    assert claims["cnf"] == {"jkt": jwk_thumbprint(holder)}
    with pytest.raises(MintingError):
        minter.mint("u", audience="orders", cnf={"jwk": {}})
    with pytest.raises(MintingError):
        minter.mint("u", audience="orders", claims={"cnf": {"jkt": "x"}})


@pytest.mark.parametrize("value", ["sometimes", "", None, True])
def test_the_binding_setting_is_one_of_three_modes(value: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        PassportConfig.from_mapping({"binding": value})
    assert caught.value.setting == "binding"
    for mode in BINDING_MODES:
        assert PassportConfig.from_mapping({"binding": mode}).binding == mode


@pytest.mark.parametrize(
    "options",
    [
        {"max_age": 0},
        {"max_age": float("nan")},
        {"leeway": -1},
        {"max_proof_bytes": 100},
        {"max_proof_bytes": True},
        {"algorithms": "ES256"},
        {"algorithms": []},
    ],
)
def test_bad_checker_settings_are_refused_at_start_up(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        ProofVerifier(**options)


@pytest.mark.parametrize("mode", BINDING_MODES)
def test_a_bound_passport_never_passes_without_its_proof_in_any_mode(
    holder: Key, mode: str
) -> None:
    ring = KeyRing.generate()
    token = Minter(ring, issuer="https://edge.test").mint(
        "u", audience="orders", cnf=confirmation(holder)
    )
    verifier = Verifier(keys=ring, issuer="https://edge.test", audience="orders")
    gate = PassportGate(verifier, binding=ProofBinding(mode))
    headers = {"X-Passport": [token]}

    def get(name: str) -> list[str]:
        return headers.get(name, [])

    with pytest.raises(InvalidProof):
        gate.authenticate(get, target=TARGET)
    # nor with a good proof but no target to check it against
    headers["DPoP"] = [make_proof(holder, "POST", URL, token=token)]
    with pytest.raises(InvalidProof):
        gate.authenticate(get)
    with pytest.raises(InvalidProof):
        asyncio.run(gate.aauthenticate(get))


def test_a_cnf_without_jkt_is_refused_not_read_as_unbound() -> None:
    ring = KeyRing.generate()
    token = Minter(ring, issuer="https://edge.test").mint(
        "u", audience="orders", claims={"other": 1}
    )
    verifier = Verifier(keys=ring, issuer="https://edge.test", audience="orders")
    assert passport_jkt(verifier.verify(token)) is None
    forged_cnf = _mint_with_raw_cnf(ring, {"x5t#S256": "abc"})
    with pytest.raises(InvalidClaim):
        passport_jkt(verifier.verify(forged_cnf))


def _mint_with_raw_cnf(ring: KeyRing, cnf: dict[str, Any]) -> str:
    # Minter.mint refuses a cnf without jkt: sign one by hand, as another issuer might.
    key = ring.active
    header = {"alg": key.alg, "typ": "passport+jwt", "kid": key.kid}
    claims = {
        "iss": "https://edge.test",
        "sub": "u",
        "aud": "orders",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
        "cnf": cnf,
    }
    return hand_signed(key, header, claims)


def test_a_token_request_proof_needs_no_ath_and_names_the_key_to_bind(holder: Key) -> None:
    # RFC 9449 §5: at a token service the proof comes without a passport (no ath); the
    # key it proves becomes the new passport's cnf.
    checker = ProofVerifier(clock=lambda: NOW)
    proof = make_proof(holder, "POST", "https://sts.test/token", iat=NOW)
    verified = checker.verify([proof], RequestTarget("POST", "https://sts.test/token"))
    assert confirmation(verified) == {"jkt": jwk_thumbprint(holder)}
    assert not verified.key.is_private  # the proven public key, for whoever needs it


@pytest.mark.parametrize(
    ("path", "raw", "url"),
    [
        # the path as sent wins when it is the framework's path, encoded "/" included
        ("/items/café x/y", "/items/caf%C3%A9%20x%2Fy", "http://h/items/caf%C3%A9%20x%2Fy"),
        ("/items/café", "/items/caf%C3%A9?page=2", "http://h/items/caf%C3%A9"),
        # a proxy stripped a prefix the framework knows (root_path, SCRIPT_NAME): re-encoded
        ("/api/items/a b", "/items/a%20b", "http://h/api/items/a%20b"),
        # no path as sent, or an absolute-form one: the decoded path, encoded again
        ("/items/a b/%", None, "http://h/items/a%20b/%25"),
        ("/items/a b", "http://h/items/a%20b", "http://h/items/a%20b"),
    ],
)
def test_the_request_target_is_the_path_as_the_client_sent_it(
    path: str, raw: str | None, url: str
) -> None:
    assert RequestTarget.of("GET", "http", "h", path, raw_path=raw).url == url
