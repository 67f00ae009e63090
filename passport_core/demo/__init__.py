"""``passport demo``: the whole chain on 127.0.0.1, with real servers and sockets.

An edge mints passports for two users (an admin and a non-admin) and
forwards their requests through a FastAPI service, a Flask service and a
Django service; every hop verifies the passport locally with the edge's
public JWKS (fetched over HTTP and cached), applies its policy and forwards
the same passport. The demo prints what each hop received and decided,
then shows the failures the pattern promises: a 403 for the non-admin, a
401 for a tampered passport and a 401 for a client that brings its own
forged passport to the edge. Every process it starts is stopped at the end.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any, TextIO

import httpx

from passport_core import claims as c
from passport_core.demo.edge import DemoEdge, DemoUser
from passport_core.demo.processes import ServiceProcess, ServiceStartError
from passport_core.demo.walkthrough import tamper
from passport_core.inbound.extraction import DEFAULT_HEADER
from passport_core.keys.key import generate_key
from passport_core.keys.ring import KeyRing
from passport_core.mint.minter import DEFAULT_TTL, Minter

__all__ = [
    "DEMO_REQUIREMENTS",
    "INSTALL_HINT",
    "ISSUER",
    "SERVICES",
    "USERS",
    "missing_requirements",
    "run_demo",
    "start_chain",
]

ISSUER = "https://edge.demo.test"
#: hop order: the edge calls the first, which calls the next...
SERVICES = (
    ("fastapi-svc", "passport_fastapi.demo"),
    ("flask-svc", "passport_flask.demo"),
    ("django-svc", "passport_django.demo"),
)
#: what the demo's services import, by top-level module: the ``[demo]`` extra installs them all.
#: The library's own extras do not: ``[fastapi]`` needs no server, the demo needs uvicorn.
DEMO_REQUIREMENTS = ("fastapi", "uvicorn", "flask", "django")
INSTALL_HINT = 'python -m pip install "service-passport[demo]"  (from a checkout: -e ".[demo]")'


def missing_requirements() -> list[str]:
    """The modules of :data:`DEMO_REQUIREMENTS` that cannot be imported here."""
    return [name for name in DEMO_REQUIREMENTS if not _importable(name)]


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: a module blocked in sys.modules
        return False


USERS = {
    "alice-key": DemoUser(
        "alice",
        roles=("admin", "staff"),
        scopes=("orders:read", "orders:write"),
        tenant="acme",
        profile={"name": "Alice Admin", "email": "alice@acme.test"},
    ),
    "bob-key": DemoUser(
        "bob",
        roles=("staff",),
        scopes=("orders:read",),
        tenant="acme",
        profile={"name": "Bob Staff", "email": "bob@acme.test"},
    ),
}


class _Report:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.failures = 0

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def check(self, ok: bool, text: str) -> None:
        self.line(f"  {'✓' if ok else '✗'} {text}")
        if not ok:
            self.failures += 1

    def hops(self, body: Any) -> list[dict[str, Any]]:
        """Print every hop of a chain answer; return the hops' reports."""
        seen: list[dict[str, Any]] = []
        hop = body
        while isinstance(hop, dict) and "service" in hop:
            seen.append(hop)
            p = hop["passport"]
            self.line(
                f"    {hop['service']:<12} {hop['decision']}: sub={p['sub']} "
                f"roles={','.join(p['roles'])} scopes={' '.join(p['scopes'])} "
                f"tenant={p['tenant']} jti={p['jti']} kid={p['kid'][:10]}… fp={p['fingerprint']}"
            )
            nxt = hop.get("next")
            if nxt is None:
                break
            if nxt["status"] != 200:
                self.line(f"    next hop answered {nxt['status']}: {nxt['body']}")
                break
            hop = nxt["body"]
        return seen


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:120]
    return f"{body.get('code')}: {body.get('detail')}"


@contextmanager
def start_chain(
    ring: KeyRing,
    *,
    service_args: Sequence[str] = (),
    cache_max_age: int | None = None,
) -> Iterator[tuple[DemoEdge, dict[str, str]]]:
    """Start the edge and the three services; stop them all when the block ends.

    ``service_args`` go to every service (``--jwks-cache-ttl 2 --leeway 1``...);
    ``cache_max_age`` is the edge's JWKS max-age (default: the ring's publish_delay).
    Yields the edge and each service's base URL by audience name.
    """
    audience = tuple(name for name, _ in SERVICES)
    # Passports never outlive the ring's promise about its retiring keys.
    max_ttl = min(3600.0, ring.max_token_lifetime)
    minter = Minter(ring, issuer=ISSUER, max_ttl=max_ttl, default_ttl=min(DEFAULT_TTL, max_ttl))
    with ExitStack() as stack:
        edge = DemoEdge(
            minter, users=USERS, audience=audience, upstream=None, cache_max_age=cache_max_age
        )
        stack.enter_context(edge)
        urls: dict[str, str] = {}
        next_url: str | None = None
        for name, module in reversed(SERVICES):
            args = [
                "--name",
                name,
                "--issuer",
                ISSUER,
                "--jwks-url",
                f"{edge.url}/.well-known/jwks.json",
            ]
            if next_url is not None:
                args += ["--next", next_url]
            args += service_args
            service = ServiceProcess(module, args)
            stack.callback(service.stop)
            urls[name] = next_url = service.url
        edge.upstream = urls[SERVICES[0][0]]
        yield edge, urls


def _promote_to_admin(claims: dict[str, Any]) -> None:
    claims[c.ROLES] = ["admin", *claims.get(c.ROLES, [])]


def _tampered(token: str) -> str:
    """Promote the holder to admin in the payload, keeping the old signature."""
    return tamper(token, _promote_to_admin)


def _forged(audience: tuple[str, ...]) -> str:
    """A passport signed by an attacker's own key, claiming admin."""
    attacker = Minter(KeyRing(generate_key("EdDSA")), issuer=ISSUER)
    return attacker.mint("mallory", audience=audience, roles=["admin"])


def _scenario(report: _Report, edge: DemoEdge, urls: dict[str, str]) -> None:
    alice = {"Authorization": "Bearer alice-key"}
    bob = {"Authorization": "Bearer bob-key"}
    with httpx.Client(timeout=20.0) as client:
        report.line("\n1. alice (admin) calls GET /api/orders through the chain")
        answer = client.get(f"{edge.url}/api/orders", headers=alice)
        hops = report.hops(answer.json()) if answer.status_code == 200 else []
        report.check(
            answer.status_code == 200 and len(hops) == len(SERVICES),
            "every hop verified and allowed",
        )
        jtis = {hop["passport"]["jti"] for hop in hops}
        report.check(
            len(jtis) == 1 and len(hops) == len(SERVICES),
            "the same passport (one jti) reached every hop",
        )

        report.line("\n2. alice calls GET /api/admin: every hop requires role 'admin'")
        answer = client.get(f"{edge.url}/api/admin", headers=alice)
        hops = report.hops(answer.json()) if answer.status_code == 200 else []
        report.check(
            answer.status_code == 200 and len(hops) == len(SERVICES), "allowed at every hop"
        )

        report.line("\n3. bob (staff) calls GET /api/orders")
        answer = client.get(f"{edge.url}/api/orders", headers=bob)
        hops = report.hops(answer.json()) if answer.status_code == 200 else []
        report.check(
            answer.status_code == 200 and len(hops) == len(SERVICES), "allowed: no role needed"
        )

        report.line("\n4. bob calls GET /api/admin")
        answer = client.get(f"{edge.url}/api/admin", headers=bob)
        report.line(f"    {SERVICES[0][0]} answered {answer.status_code}: {_problem(answer)}")
        report.check(answer.status_code == 403, "denied with 403 at the first hop")

        report.line("\n5. bob edits his passport to add 'admin' and calls the Flask service")
        token = edge.minter.mint("bob", audience=tuple(urls), roles=["staff"])
        answer = client.get(
            f"{urls['flask-svc']}/admin", headers={DEFAULT_HEADER: _tampered(token)}
        )
        report.line(f"    flask-svc answered {answer.status_code}: {_problem(answer)}")
        report.check(answer.status_code == 401, "the tampered passport is refused with 401")

        report.line("\n6. mallory brings her own admin passport to the edge, without an API key")
        forged = _forged(tuple(urls))
        answer = client.get(f"{edge.url}/api/admin", headers={DEFAULT_HEADER: forged})
        report.line(f"    edge answered {answer.status_code}: {_problem(answer)}")
        report.check(
            answer.status_code == 401, "refused with 401: the edge trusts no client passport"
        )

        report.line("\n7. bob sends a forged admin passport along with his real API key")
        answer = client.get(f"{edge.url}/api/admin", headers={**bob, DEFAULT_HEADER: forged})
        report.line(
            f"    edge stripped it and minted bob's own; "
            f"{SERVICES[0][0]} answered {answer.status_code}: {_problem(answer)}"
        )
        report.check(answer.status_code == 403, "bob stays bob: the minted passport has no admin")

        report.line("\n8. the forged passport sent straight to the Django service")
        answer = client.get(f"{urls['django-svc']}/admin", headers={DEFAULT_HEADER: forged})
        report.line(f"    django-svc answered {answer.status_code}: {_problem(answer)}")
        report.check(answer.status_code == 401, "refused with 401: signed by an unknown key")


def run_demo(out: TextIO) -> bool:
    """Run the chain demo, print it to ``out``; True when every step behaved."""
    report = _Report(out)
    ring = KeyRing(generate_key("EdDSA"))
    report.line("service-passport demo: edge → FastAPI → Flask → Django, all on 127.0.0.1")
    try:
        with start_chain(ring) as (edge, urls):
            report.line(
                f"  edge        {edge.url}  (mints; publishes {edge.url}/.well-known/jwks.json)"
            )
            for name, url in urls.items():
                report.line(f"  {name:<11} {url}")
            _scenario(report, edge, urls)
    except ServiceStartError as error:
        report.line(f"\n✗ {error}")
        return False
    except (httpx.HTTPError, ValueError, KeyError) as error:
        report.line(f"\n✗ the demo broke: {type(error).__name__}: {error}")
        return False
    report.line("\nall processes stopped.")
    if report.failures:
        report.line(f"✗ {report.failures} step(s) did not behave as expected")
        return False
    report.line("✓ every step behaved as expected")
    return True
