"""The benchmarks run and print their tables (tiny counts; speed is never asserted here)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from benchmarks import reference
from benchmarks.__main__ import main
from benchmarks.libraries import LIBRARIES
from benchmarks.mint import MINT_ALGORITHMS
from benchmarks.report import RESULTS_END, RESULTS_START, Results, plot
from benchmarks.sample import ALGORITHMS, make_sample, mint
from benchmarks.verify import forged
from passport_core import Minter

TINY = ["--rounds", "1", "--number", "2"]


def _installed(distribution_module: str) -> bool:
    return importlib.util.find_spec(distribution_module) is not None


#: the module each library's contender imports
_MODULES = {
    "joserfc": "joserfc",
    "pyjwt": "jwt",
    "authlib": "authlib",
    "python-jose": "jose",
    "jwcrypto": "jwcrypto",
    "oxyjwt": "oxyjwt",
    "ryjwt": "ryjwt",
}


def test_the_verify_benchmark_prints_a_table_per_algorithm(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["verify", *TINY])
    out = capsys.readouterr().out
    for alg in ALGORITHMS:
        assert f"passport ({alg})" in out
    for row in (
        "cryptography primitive",
        "PyNaCl Ed25519",
        "hand-written minimal verify",
        "service-passport cold",
        "service-passport warm",
        *(library.label for library in LIBRARIES),
    ):
        assert row in out
    assert "verify summary" in out
    # our verifier and the hand-written one accepted the token and refused the bad ones
    for line in out.splitlines():
        if line.startswith(("| hand-written", "| service-passport")):
            assert "refused" not in line
            assert "LAX" not in line


def test_the_json_file_has_every_installed_contender(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    main(["verify", *TINY, "--alg", "EdDSA", "HS256", "--json", str(path)])
    document = json.loads(path.read_text())
    assert document["machine"]["cores"] >= 1
    assert document["machine"]["python"]
    assert "cryptography" in document["versions"]
    figures = document["benchmarks"]["verify"]
    measured = {(f["alg"], f["contender"]) for f in figures if f["us"] is not None}
    for alg in ("EdDSA", "HS256"):
        assert (alg, "hand-written minimal verify") in measured
        assert (alg, "service-passport cold (cache off)") in measured
        for library in LIBRARIES:
            supported = not (library.distribution == "python-jose" and alg == "EdDSA")
            if _installed(_MODULES[library.distribution]) and supported:
                assert (alg, library.label) in measured
                assert library.distribution in document["versions"]
    missing = [f for f in figures if f["us"] is None]
    assert all(f["note"] for f in missing)  # a missing figure always says why


def test_the_plot_is_a_png(tmp_path: Path) -> None:
    path = tmp_path / "bench.png"
    main(["mint", "--rounds", "1", "--number", "1", "--alg", "HS256", "--plot", str(path)])
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_plot_draws_the_servers_panel(tmp_path: Path) -> None:
    """The req/s panel from the servers figures (what ``python -m benchmarks servers`` adds)."""
    results = Results()
    for setup, base in (("flask-gunicorn", 3000.0), ("fastapi-h11", 4000.0)):
        for key, title, rate in (("a", "(a) no auth", base), ("b", "(b) warm", base * 0.9)):
            results.add(
                "servers", setup=setup, route=key, title=title, requests_per_s=rate, ratio_to_a=1
            )
    path = tmp_path / "servers.png"

    assert plot(results, path)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_the_first_request_benchmark_prints_its_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["first", "--runs", "1", "--algs", "EdDSA"])
    out = capsys.readouterr().out
    assert "first verify in a fresh process" in out
    assert "warm_up() at start-up" in out


def test_the_mint_benchmark_prints_a_table_per_algorithm(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["mint", "--rounds", "1", "--number", "1"])
    out = capsys.readouterr().out
    for alg in MINT_ALGORITHMS:
        assert f"mint one passport ({alg})" in out
    for row in ("hand-written signer", "Minter.mint", "joserfc", "PyJWT"):
        assert row in out


@pytest.mark.network
def test_the_jwks_storm_fetches_once_and_accepts_every_token(tmp_path: Path) -> None:
    path = tmp_path / "storm.json"
    main(["storm", "--count", "50", "--json", str(path)])
    storms = json.loads(path.read_text())["benchmarks"]["storm"]
    assert {s["mode"] for s in storms} == {"threads", "asyncio"}
    for figures in storms:
        assert figures["accepted"] == 50
        assert figures["storm_fetches"] == 1  # a behaviour, not a speed: single flight


def test_the_memory_benchmark_reports_growth(capsys: pytest.CaptureFixture[str]) -> None:
    main(["memory", "--tokens", "200"])
    out = capsys.readouterr().out
    assert "memory: verifying distinct HS256 passports" in out
    assert "growth MB" in out


def test_the_edge_benchmark_prints_its_tables(capsys: pytest.CaptureFixture[str]) -> None:
    main(["edge", "--rounds", "1", "--number", "20", "--delay-ms", "1", "--enrichers", "1", "2"])
    out = capsys.readouterr().out
    assert "Edge.mint, cache hit" in out
    assert "of floor" in out
    assert "Minter.mint" in out
    for row in ("sync, N=1", "sync, N=2", "async, N=1", "async, N=2"):
        assert row in out


def test_the_tables_land_between_the_markers_of_the_docs(tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text(f"# Benchmarks\n\n{RESULTS_START}\nold tables\n{RESULTS_END}\n\nthe end\n")
    main(["--markdown", str(page), "mint", "--rounds", "1", "--number", "1", "--alg", "HS256"])
    text = page.read_text()
    assert text.startswith("# Benchmarks\n")
    assert text.endswith(f"{RESULTS_END}\n\nthe end\n")
    assert "old tables" not in text
    assert "**mint one passport (HS256)" in text
    assert "cores" in text  # the machine
    assert "cryptography" in text  # the versions


def test_the_docs_page_has_the_markers() -> None:
    page = Path(__file__).parents[1] / "docs" / "benchmarks.md"
    text = page.read_text()
    assert RESULTS_START in text
    assert RESULTS_END in text
    assert "docs/img/benchmarks.png" in text or "img/benchmarks.png" in text


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_the_hand_written_verify_is_a_real_verify(alg: str) -> None:
    """The floor every ratio divides by checks what any correct verify must check."""
    sample = make_sample(alg)
    verify = reference.minimal_verify(sample)
    assert verify(sample.token)["sub"] == "user-42"
    other_issuer = Minter(sample.ring, issuer="https://elsewhere.example")
    head, payload, signature = sample.token.split(".")
    refused = {  # why: the token
        "expired": sample.expired,
        "forged": forged(sample.token),
        "not base64url": f"{head}.{payload[:-1]}+.{signature}",
        "another issuer": mint(other_issuer),
        "without exp": reference.without_exp(sample),
    }
    for token in refused.values():
        with pytest.raises(reference.Rejected):
            verify(token)


def test_an_unknown_benchmark_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown benchmark"):
        main(["nope"])


def test_the_dpop_benchmark_prints_a_table_per_algorithm(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["dpop", *TINY])
    out = capsys.readouterr().out
    for alg in ("EdDSA", "ES256", "RS256"):
        assert f"DPoP proof check ({alg} holder key)" in out
    for row in ("gate + DPoP proof check", "proof check alone", "make_proof (sender)"):
        assert row in out


def test_the_revocation_benchmark_prints_its_tables(
    capsys: pytest.CaptureFixture[str], redis_url: str
) -> None:
    # redis_url: needs redis-server (require_component); the benchmark starts its own
    main(["revocation", "--rounds", "1", "--number", "2", "--revocations", "5"])
    out = capsys.readouterr().out
    assert "revocation hot path" in out
    assert "check() alone" in out
    assert "revocation propagation" in out
    assert "revocations/s absorbed" in out
