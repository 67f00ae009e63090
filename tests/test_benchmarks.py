"""The benchmarks run and print their tables (tiny counts; speed is never asserted here)."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import main


def test_the_verify_benchmark_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    main(["verify", "--rounds", "1", "--number", "2"])
    out = capsys.readouterr().out
    assert "verify one passport (EdDSA)" in out
    for contender in ("cryptography (raw signature only)", "Verifier.verify", "PyJWT", "joserfc"):
        assert contender in out


def test_the_edge_benchmark_prints_its_tables(capsys: pytest.CaptureFixture[str]) -> None:
    main(["edge", "--rounds", "1", "--number", "20", "--delay-ms", "1", "--enrichers", "1", "2"])
    out = capsys.readouterr().out
    assert "Edge.mint, cache hit" in out
    assert "of floor" in out
    assert "Minter.mint" in out
    for row in ("sync, N=1", "sync, N=2", "async, N=1", "async, N=2"):
        assert row in out


def test_an_unknown_benchmark_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown benchmark"):
        main(["nope"])
