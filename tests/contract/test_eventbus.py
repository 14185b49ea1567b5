"""One contract for every bus: handlers see published events; NATS carries them between nodes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.conftest import NATS_URL

from togglr.domain.events import FEATURE_CHANGED, DomainEvent
from togglr.eventbus.memory import InProcessEventBus


def _nats_or_skip() -> str:
    if NATS_URL is None:
        pytest.skip("NATS not configured: set TOGGLR_TEST_NATS_URL (always on in CI)")
    return NATS_URL


async def _bus(kind: str, stream: str, node: str) -> Any:
    if kind == "memory":
        return InProcessEventBus()
    from togglr.eventbus.nats import NatsEventBus

    return NatsEventBus(_nats_or_skip(), node_id=node, stream=stream)


@pytest.fixture(params=["memory", pytest.param("nats", marks=pytest.mark.nats)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    b = await _bus(request.param, f"T_{uuid.uuid4().hex[:8].upper()}", "n1")
    await b.start()
    yield b
    await b.close()


async def test_subscribers_receive_published_events_in_order(bus: Any) -> None:
    got: list[str] = []

    async def handler(event: DomainEvent) -> None:
        got.append(str(event.payload["n"]))

    bus.subscribe(handler)
    for n in range(5):
        await bus.publish(
            DomainEvent(FEATURE_CHANGED, project_id="p", feature_id="f", payload={"n": n})
        )
    await asyncio.sleep(0.2)  # a remote echo must not double-deliver
    assert got == ["0", "1", "2", "3", "4"]


async def test_a_failing_handler_does_not_stop_the_others(bus: Any) -> None:
    got: list[DomainEvent] = []

    async def broken(_: DomainEvent) -> None:
        raise RuntimeError("boom")

    async def fine(event: DomainEvent) -> None:
        got.append(event)

    bus.subscribe(broken)
    bus.subscribe(fine)
    await bus.publish(DomainEvent(FEATURE_CHANGED))
    assert len(got) == 1


@pytest.mark.nats
async def test_nats_delivers_to_other_nodes_exactly_once_each() -> None:
    stream = f"T_{uuid.uuid4().hex[:8].upper()}"
    a = await _bus("nats", stream, "node-a")
    b = await _bus("nats", stream, "node-b")
    await a.start()
    await b.start()
    try:
        seen_a: list[DomainEvent] = []
        seen_b: list[DomainEvent] = []

        async def on_a(event: DomainEvent) -> None:
            seen_a.append(event)

        async def on_b(event: DomainEvent) -> None:
            seen_b.append(event)

        a.subscribe(on_a)
        b.subscribe(on_b)
        await a.publish(DomainEvent(FEATURE_CHANGED, project_id="p", feature_id="f1"))
        await b.publish(DomainEvent(FEATURE_CHANGED, project_id="p", feature_id="f2"))
        for _ in range(50):
            if len(seen_a) == 2 and len(seen_b) == 2:
                break
            await asyncio.sleep(0.05)
        assert sorted(e.feature_id or "" for e in seen_a) == ["f1", "f2"]
        assert sorted(e.feature_id or "" for e in seen_b) == ["f1", "f2"]
        assert {e.origin for e in seen_a} == {"node-a", "node-b"}
    finally:
        await a.close()
        await b.close()
