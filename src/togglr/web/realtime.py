"""WebSocket `/api/ws`: pushes change events to the UIs of users who may see the project."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from togglr.domain.accounts import Principal
from togglr.domain.errors import TogglrError
from togglr.domain.events import FEEDBACK_RECORDED, MEMBERSHIP_CHANGED, DomainEvent
from togglr.services import Services
from togglr.web.metrics import Metrics

log = logging.getLogger(__name__)
QUEUE_SIZE = 256


@dataclass(eq=False)
class Connection:
    principal: Principal
    project_filter: str | None
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))


class RealtimeHub:
    def __init__(self, services: Services, metrics: Metrics) -> None:
        self._svc = services
        self._metrics = metrics
        self._connections: set[Connection] = set()

    def _visible(self, conn: Connection, project_id: str | None) -> bool:
        if project_id is None:
            return conn.principal.is_superuser
        if conn.project_filter is not None and conn.project_filter != project_id:
            return False
        return conn.principal.can(project_id, "project.view")

    async def handle(self, event: DomainEvent) -> None:
        """Bus subscriber."""
        if event.type == FEEDBACK_RECORDED:
            return  # too chatty for UIs; results are polled
        if event.type == MEMBERSHIP_CHANGED:
            await self._refresh_roles(str(event.payload.get("user_id", "")))
        message = {
            "type": event.type,
            **{k: v for k, v in event.to_json().items() if k not in ("type", "origin")},
        }
        for conn in list(self._connections):
            if self._visible(conn, event.project_id):
                try:
                    conn.queue.put_nowait(message)
                except asyncio.QueueFull:  # a stalled client loses messages, not the server
                    log.warning(
                        "websocket queue full; dropping a message for %s", conn.principal.username
                    )

    async def _refresh_roles(self, user_id: str) -> None:
        for conn in list(self._connections):
            if conn.principal.user_id == user_id:
                with contextlib.suppress(TogglrError):
                    _, roles = await self._svc.accounts.me(conn.principal)
                    conn.principal = replace(conn.principal, roles=roles)

    async def serve(self, websocket: WebSocket) -> None:
        token = websocket.query_params.get("token")
        protocol = None
        for proto in websocket.headers.get("sec-websocket-protocol", "").split(","):
            proto = proto.strip()
            if proto.startswith("token."):
                token, protocol = proto[6:], proto
        auth = websocket.headers.get("authorization", "")
        if token is None and auth.lower().startswith("bearer "):
            token = auth[7:]
        if not token:
            await websocket.close(code=4401, reason="missing token")
            return
        try:
            principal = await self._svc.accounts.authenticate(token)
        except TogglrError:
            await websocket.close(code=4401, reason="invalid token")
            return
        if principal.password_change_required:  # the same hold as web.auth.principal's
            await websocket.close(code=4403, reason="password_change_required")
            return
        project = websocket.query_params.get("project_id")
        if project is not None and not principal.can(project, "project.view"):
            await websocket.close(code=4403, reason="no access to this project")
            return
        await websocket.accept(subprotocol=protocol)
        conn = Connection(principal, project)
        self._connections.add(conn)
        self._metrics.websocket_clients.inc()
        sender = asyncio.create_task(self._pump(websocket, conn))
        try:
            await websocket.send_json(
                {"type": "hello", "user": principal.username, "project_id": project}
            )
            while True:
                message = await websocket.receive_json()
                if isinstance(message, dict) and message.get("type") == "ping":
                    await websocket.send_json({"type": "pong", "timestamp": int(time.time())})
        except (WebSocketDisconnect, RuntimeError, ValueError):
            pass
        finally:
            sender.cancel()
            self._connections.discard(conn)
            self._metrics.websocket_clients.dec()

    @staticmethod
    async def _pump(websocket: WebSocket, conn: Connection) -> None:
        with contextlib.suppress(Exception):
            while True:
                await websocket.send_json(await conn.queue.get())


def router(hub: RealtimeHub) -> APIRouter:
    r = APIRouter()

    @r.websocket("/api/ws")
    async def ws(websocket: WebSocket) -> None:
        await hub.serve(websocket)

    return r
