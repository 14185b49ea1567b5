"""Prometheus metrics: declared once here, served on their own listener (:8081/metrics)."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_asgi_app

from togglr.evaluation.snapshot import Reason

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.evaluations = Counter(
            "togglr_evaluations_total",
            "Flag evaluations by reason",
            ["reason"],
            registry=self.registry,
        )
        # Pre-bound children: a labels() lookup per request is measurable on the hot path.
        self.evaluations_by_reason = {r: self.evaluations.labels(r.value) for r in Reason}
        self.http_duration = Histogram(
            "togglr_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.events_accepted = Counter(
            "togglr_events_accepted_total",
            "SDK events accepted and stored",
            ["kind"],
            registry=self.registry,
        )
        self.events_duplicate = Counter(
            "togglr_events_duplicate_total",
            "SDK feedback events skipped by dedup_key",
            registry=self.registry,
        )
        self.websocket_clients = Gauge(
            "togglr_websocket_clients", "Open WebSocket connections", registry=self.registry
        )
        self._http_children: dict[tuple[str, str, int], Any] = {}

    def observe_http(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        child = self._http_children.get(key)
        if child is None:
            child = self._http_children[key] = self.http_duration.labels(method, route, str(status))
        child.observe(seconds)

    def asgi_app(self) -> Any:
        return make_asgi_app(self.registry)


class HttpMetricsMiddleware:
    """Pure ASGI middleware timing every HTTP request by its route template."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def _send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or ("/static" if status < 400 else "unmatched")
            self.metrics.observe_http(
                scope["method"], template, status, time.perf_counter() - start
            )
