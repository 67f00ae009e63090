"""The current passport in a contextvar: set, restored, and where it does (not) travel.

What these tests pin down, for adapter and application authors:

* ``use_passport`` / ``set_passport`` set the passport for the current context
  and restore the previous value afterwards, also when the block raises.
* A ``threading.Thread`` (and a ``ThreadPoolExecutor`` worker) starts with an
  empty context on Python 3.10-3.13: it does *not* see the request's passport
  unless the caller hands it over with ``contextvars.copy_context().run``.
* asyncio tasks (and ``asyncio.to_thread``) run in a *copy* of the context made
  when they start: they see the passport of that moment, a passport they set
  stays inside the task, and a later change in the request does not reach them.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from passport_core import (
    NoPassport,
    Passport,
    get_passport,
    get_passport_or_raise,
    reset_passport,
    set_passport,
    use_passport,
)

PassportFor = Callable[..., Passport]


@pytest.fixture
def alice(passport_for: PassportFor) -> Passport:
    return passport_for("alice")


@pytest.fixture
def bob(passport_for: PassportFor) -> Passport:
    return passport_for("bob")


def seen() -> str | None:
    passport = get_passport()
    return passport.subject if passport is not None else None


def in_thread(target: Callable[[], str | None]) -> str | None:
    result: list[str | None] = []
    thread = threading.Thread(target=lambda: result.append(target()))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    return result[0]


def test_get_passport_or_raise_raises_no_passport_when_unset() -> None:
    assert get_passport() is None
    with pytest.raises(NoPassport) as excinfo:
        get_passport_or_raise()
    assert (excinfo.value.code, excinfo.value.status) == ("no_passport", 500)
    assert "no passport is set" in excinfo.value.message


def test_use_passport_sets_and_restores(alice: Passport) -> None:
    with use_passport(alice) as inside:
        assert inside is alice
        assert get_passport_or_raise() is alice
        assert get_passport() is alice
    assert get_passport() is None
    with pytest.raises(NoPassport):
        get_passport_or_raise()


def test_use_passport_restores_on_exception(alice: Passport) -> None:
    def handler() -> None:
        with use_passport(alice):
            assert get_passport_or_raise() is alice
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError, match="handler failed"):
        handler()
    assert get_passport() is None


def test_nested_use_restores_the_outer_passport(alice: Passport, bob: Passport) -> None:
    with use_passport(alice):
        with use_passport(bob):
            assert get_passport_or_raise() is bob
        assert get_passport_or_raise() is alice
        with pytest.raises(ValueError, match="inner"), use_passport(bob):
            raise ValueError("inner")
        assert get_passport_or_raise() is alice
        # None explicitly clears it for a block (a call made on nobody's behalf).
        with use_passport(None), pytest.raises(NoPassport):
            get_passport_or_raise()
        assert get_passport_or_raise() is alice
    assert get_passport() is None


def test_set_and_reset_passport(alice: Passport, bob: Passport) -> None:
    outer = set_passport(alice)
    try:
        inner = set_passport(bob)
        assert get_passport_or_raise() is bob
        reset_passport(inner)
        assert get_passport_or_raise() is alice
    finally:
        reset_passport(outer)
    assert get_passport() is None


def test_a_thread_does_not_inherit_the_passport(alice: Passport) -> None:
    with use_passport(alice):
        assert in_thread(seen) is None
        with ThreadPoolExecutor(max_workers=1) as pool:
            assert pool.submit(seen).result(timeout=10) is None


def test_a_thread_sees_it_when_handed_over_with_copy_context(alice: Passport) -> None:
    with use_passport(alice):
        context = contextvars.copy_context()
        assert in_thread(lambda: context.run(seen)) == "alice"
        with ThreadPoolExecutor(max_workers=1) as pool:
            assert pool.submit(contextvars.copy_context().run, seen).result(timeout=10) == "alice"


def test_a_thread_can_set_its_own_without_touching_the_caller(
    alice: Passport, bob: Passport
) -> None:
    def worker() -> str | None:
        with use_passport(bob):
            return seen()

    with use_passport(alice):
        assert in_thread(worker) == "bob"
        assert get_passport_or_raise() is alice


def test_asyncio_tasks_see_a_copy(alice: Passport, bob: Passport) -> None:
    async def child_sets_bob() -> str | None:
        before = seen()
        set_passport(bob)  # never reset: the task's context is thrown away with it
        return before

    async def main() -> None:
        with use_passport(alice):
            # A task copies the context when it is created: it sees alice ...
            assert await asyncio.create_task(child_sets_bob()) == "alice"
            # ... and what it set stays inside the task.
            assert get_passport_or_raise() is alice
            # A change in the request after the task started does not reach the task.
            started = asyncio.Event()
            release = asyncio.Event()

            async def waits() -> str | None:
                started.set()
                await release.wait()
                return seen()

            task = asyncio.create_task(waits())
            await started.wait()
            with use_passport(bob):
                release.set()
                assert await task == "alice"
            # gather wraps coroutines in tasks: same copy semantics.
            assert await asyncio.gather(child_sets_bob(), child_sets_bob()) == ["alice", "alice"]
            assert get_passport_or_raise() is alice
        # Outside the block neither a task nor the loop sees a passport.
        assert await asyncio.create_task(child_sets_bob()) is None

    asyncio.run(main())
    assert get_passport() is None


def test_asyncio_to_thread_copies_but_run_in_executor_does_not(alice: Passport) -> None:
    async def main() -> tuple[str | None, str | None]:
        with use_passport(alice):
            copied = await asyncio.to_thread(seen)
            loop = asyncio.get_running_loop()
            plain = await loop.run_in_executor(None, seen)
        return copied, plain

    assert asyncio.run(main()) == ("alice", None)
