"""Prometheus metrics: declared once here, served on their own listener (:8081/metrics).

The per-request metrics (evaluations by reason, HTTP latency) are plain counters that only the
event-loop thread updates, exported by a custom collector at scrape time. prometheus_client's
own Counter and Histogram take a lock on every update, which cost about 1.2 µs per SDK request
— a measurable share of the evaluate path (docs/benchmarks.md). The scrape runs on the same
event loop (the metrics listener is a second server in the same process), so it always reads
a consistent view.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, make_asgi_app
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from togglr.evaluation.snapshot import Reason

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_BUCKET_LABELS = (*(repr(float(b)) for b in _BUCKETS), "+Inf")


class LatencyCell:
    """One label set of a histogram: non-cumulative bucket counts and the sum of observations."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(_BUCKETS) + 1)  # the last slot is +Inf
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        # bisect_left: a value equal to a bound belongs to that bucket (Prometheus "le")
        self.counts[bisect_left(_BUCKETS, seconds)] += 1
        self.total += seconds


class HotPathCollector(Collector):
    """Exports the lock-free counters of `Metrics` in the Prometheus text format."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        evaluations = CounterMetricFamily(
            "togglr_evaluations", "Flag evaluations by reason", labels=["reason"]
        )
        for reason, n in self._metrics.evaluation_counts.items():
            evaluations.add_metric([reason.value], n)
        yield evaluations
        latency = HistogramMetricFamily(
            "togglr_http_request_duration_seconds",
            "HTTP request latency",
            labels=["method", "route", "status"],
        )
        for (method, route, status), cell in list(self._metrics.http_latency.items()):
            running = 0
            buckets = []
            for label, n in zip(_BUCKET_LABELS, cell.counts, strict=True):
                running += n
                buckets.append((label, running))
            latency.add_metric([method, route, str(status)], buckets, cell.total)
        yield latency


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # Updated in place by the SDK and OFREP handlers: `evaluation_counts[reason] += 1`.
        self.evaluation_counts: dict[Reason, int] = dict.fromkeys(Reason, 0)
        self.http_latency: dict[tuple[str, str, int], LatencyCell] = {}
        self.registry.register(HotPathCollector(self))
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

    def observe_http(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        cell = self.http_latency.get(key)
        if cell is None:
            cell = self.http_latency[key] = LatencyCell()
        cell.observe(seconds)

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
