"""Dashboards and alerts as code: optional, and naming only metrics the services really export.

The names a service exports are read from prometheus_client's registry after importing every module of
``services``, where each metric is declared; the names the dashboard and the alerts use are read from
their PromQL expressions.
"""

import importlib
import json
import pkgutil
import re
from typing import Any

from prometheus_client import REGISTRY

import services

from .chart import by_name, manifests, of_kind

# Metrics the dashboard and the alerts use that no service registers yet; each leaves this list when its
# service registers it (test_the_not_yet_exported_list_holds_only_missing_metrics keeps the list honest).
NOT_YET_EXPORTED: frozenset[str] = frozenset()
# What each topic of the dashboard and the alerts is read from.
COVERED = {
    "consumer lag per group": "xueji_consumer_lag",
    "dead-letter growth": "xueji_dead_letters_total",
    "outbox age": "xueji_outbox_oldest_seconds",
    "5xx rate": "http_requests_total",
    "p99 latency per route": "http_request_duration_seconds_bucket",
    "webhook circuit state": "xueji_notify_delivery_circuit_open",
}
SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",), "stateset": ("",), "info": ("_info",),
            "histogram": ("_bucket", "_count", "_sum", "_created"),
            "summary": ("", "_count", "_sum", "_created")}
KEYWORDS = {"and", "or", "unless", "bool", "inf", "nan"}
ENABLED = ("--set", "monitoring.dashboards.enabled=true", "--set", "monitoring.alerts.enabled=true")


def exported_metrics() -> set[str]:
    """Every series name the services' metrics produce, as PromQL names them."""
    for module in pkgutil.walk_packages(services.__path__, "services."):
        importlib.import_module(module.name)
    return {family.name + suffix for family in REGISTRY.collect() for suffix in SUFFIXES[family.type]}


def metric_names(expression: str) -> set[str]:
    """The metric names of a PromQL expression: what is left once strings, label matchers, ranges, label
    lists, offsets, numbers, keywords and function names are taken out."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expression)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\boffset\s+-?\w+", " ", text)
    text = re.sub(r"(?<![\w:])\d+(?:\.\d+)?(?:e[+-]?\d+)?", " ", text)
    found = set()
    for match in re.finditer(r"[A-Za-z_:][\w:]*", text):
        is_function = text[match.end():].lstrip().startswith("(")
        if not is_function and match.group().lower() not in KEYWORDS:
            found.add(match.group())
    return found


def dashboard_and_rule() -> tuple[dict[str, Any], dict[str, Any]]:
    docs = manifests(None, *ENABLED)
    config = by_name(docs, "ConfigMap")["xueji-dashboards"]
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    [rule] = of_kind(docs, "PrometheusRule")
    return json.loads(config["data"]["xueji.json"]), rule


def dashboard_expressions(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def rule_expressions(rule: dict[str, Any]) -> list[str]:
    return [str(r["expr"]) for group in rule["spec"]["groups"] for r in group["rules"]]


def test_metric_names_are_read_from_promql() -> None:
    quantile = 'histogram_quantile(0.99, sum by (route, le) (rate(a_bucket{status="5xx"}[5m]))) > 2'
    assert metric_names(quantile) == {"a_bucket"}
    assert metric_names("max by (e) (avg_over_time(b_open[30m])) > 0.9 and on (e) c_total offset 5m") \
        == {"b_open", "c_total"}
    assert metric_names("sum(x) / sum without (pod) (y) > 1e+06") == {"x", "y"}


def test_neither_dashboards_nor_alerts_are_rendered_unless_enabled() -> None:
    docs = manifests()
    assert of_kind(docs, "PrometheusRule") == [] and "xueji-dashboards" not in by_name(docs, "ConfigMap")


def test_every_metric_the_dashboard_and_the_alerts_name_is_exported_by_a_service() -> None:
    dashboard, rule = dashboard_and_rule()
    used = {name for expression in dashboard_expressions(dashboard) + rule_expressions(rule)
            for name in metric_names(expression)}
    assert used >= set(COVERED.values())
    unknown = used - exported_metrics() - NOT_YET_EXPORTED
    assert not unknown, f"not exported by any service: {sorted(unknown)}"


def test_both_cover_every_topic_operations_watch() -> None:
    dashboard, rule = dashboard_and_rule()
    for expressions in (dashboard_expressions(dashboard), rule_expressions(rule)):
        used = {name for expression in expressions for name in metric_names(expression)}
        assert {topic for topic, metric in COVERED.items() if metric not in used} == set()


def test_the_not_yet_exported_list_holds_only_missing_metrics() -> None:
    assert NOT_YET_EXPORTED.isdisjoint(exported_metrics()), "exported now: remove it from NOT_YET_EXPORTED"


def test_every_alert_has_a_severity_a_summary_and_a_threshold_from_values() -> None:
    _, rule = dashboard_and_rule()
    alerts = [r for group in rule["spec"]["groups"] for r in group["rules"]]
    assert len(alerts) == len(COVERED)
    for alert in alerts:
        assert alert["labels"]["severity"] in {"warning", "critical"}
        assert alert["annotations"]["summary"] and alert["annotations"]["description"]
    docs = manifests(None, *ENABLED, "--set", "monitoring.alerts.consumerLagMessages=5000")
    [tuned] = of_kind(docs, "PrometheusRule")
    assert "(xueji_consumer_lag) > 5000" in rule_expressions(tuned)[0]
