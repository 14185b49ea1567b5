"""The password policy's cost: zxcvbn is pure Python, so it must not stall the event loop."""

from __future__ import annotations

import asyncio
import time

import pytest

from togglr.domain.errors import InvalidInputError
from togglr.services.password_policy import (
    MAX_LENGTH,
    check_new_password,
    context_words,
    password_problem,
)

# Repeated common words with case changes: weak, and among zxcvbn's slower inputs.
ADVERSARIAL = ("passwordPASSWORD" * 20)[:MAX_LENGTH]


def test_the_longest_password_is_scored_in_bounded_time() -> None:
    start = time.perf_counter()
    assert password_problem(ADVERSARIAL) is not None
    assert password_problem("correct horse battery staple " * 8) is None
    assert time.perf_counter() - start < 3  # only the start of a long password is scored


def test_context_words_cover_the_name_the_address_and_the_service() -> None:
    assert context_words("ann", "ann.lee@example.com") == [
        "ann",
        "ann.lee@example.com",
        "ann.lee",
        "togglr",
    ]


async def test_scoring_runs_beside_the_event_loop() -> None:
    """Inline, the loop could not turn once during a check; in a worker thread it keeps going."""
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            await asyncio.sleep(0.001)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    during = 0
    for _ in range(3):
        before = ticks
        with pytest.raises(InvalidInputError, match="too easy to guess"):
            await check_new_password(ADVERSARIAL)
        during += ticks - before
    done = True
    await task
    assert during >= 3
