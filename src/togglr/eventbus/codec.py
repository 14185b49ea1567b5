"""Domain event <-> bytes on the wire: a versioned JSON envelope."""

from __future__ import annotations

import orjson

from togglr.domain.events import DomainEvent

VERSION = 1


def encode(event: DomainEvent) -> bytes:
    return orjson.dumps({"v": VERSION, "event": event.to_json()})


def decode(data: bytes) -> DomainEvent:
    envelope = orjson.loads(data)
    if not isinstance(envelope, dict) or envelope.get("v") != VERSION:
        raise ValueError("unsupported event envelope")
    return DomainEvent.from_json(envelope["event"])
