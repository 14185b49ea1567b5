"""The lock-free hot-path metrics export the Prometheus text format correctly."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from togglr.evaluation.snapshot import Reason
from togglr.web.metrics import Metrics


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_latency_histogram_is_cumulative_with_prometheus_le_semantics() -> None:
    m = Metrics()
    for seconds in (0.0005, 0.0004, 0.003, 0.003, 3.0):  # 0.0005 is exactly a bound: le
        m.observe_http("POST", "/r", 200, seconds)
    m.observe_http("GET", "/r", 404, 0.02)
    got = _samples(m)
    labels = (("method", "POST"), ("route", "/r"), ("status", "200"))

    def bucket(le: str) -> float:
        return got[
            ("togglr_http_request_duration_seconds_bucket", tuple(sorted((*labels, ("le", le)))))
        ]

    assert bucket("0.0005") == 2
    assert bucket("0.001") == 2
    assert bucket("0.005") == 4
    assert bucket("2.5") == 4
    assert bucket("+Inf") == 5
    assert got[("togglr_http_request_duration_seconds_count", labels)] == 5
    assert abs(got[("togglr_http_request_duration_seconds_sum", labels)] - 3.0069) < 1e-9
    other = (("method", "GET"), ("route", "/r"), ("status", "404"))
    assert got[("togglr_http_request_duration_seconds_count", other)] == 1


def test_evaluation_counter_exports_every_reason() -> None:
    m = Metrics()
    m.evaluation_counts[Reason.SPLIT] += 2
    m.evaluation_counts[Reason.DISABLED] += 1
    got = _samples(m)
    assert got[("togglr_evaluations_total", (("reason", "SPLIT"),))] == 2
    assert got[("togglr_evaluations_total", (("reason", "DISABLED"),))] == 1
    assert got[("togglr_evaluations_total", (("reason", "DEFAULT"),))] == 0
