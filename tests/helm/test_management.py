"""The management port (/metrics, /healthz, /readyz, /docs, /openapi.json) in the rendered chart: the
kubelet's probes and Prometheus use it, the Service exposes it beside the API port, and only Prometheus
(and the console, for the dead-letter counts) may reach it; the ingress controller and the console's
Ingress never do."""

import pytest
import yaml

from .chart import CHART, admitted, by_name, container, env, manifests, of_kind

VALUES = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
INGRESS_CONTROLLER = VALUES["networkPolicy"]["httpFrom"]
PROMETHEUS = VALUES["networkPolicy"]["prometheusFrom"]
RELEASE = {"app.kubernetes.io/name": "xueji", "app.kubernetes.io/instance": "xueji"}
CONSOLE = {"podSelector": {"matchLabels": {**RELEASE, "app.kubernetes.io/component": "console"}}}


@pytest.mark.parametrize("port", [9000, 9100])
def test_every_workload_serves_probes_and_metrics_on_the_management_port(port: int) -> None:
    docs = manifests(None, "--set", f"managementPort={port}")
    deployments = of_kind(docs, "Deployment")
    assert deployments
    for deployment in deployments:
        main = container(deployment)
        assert env(deployment)["XUEJI_MANAGEMENT_PORT"]["value"] == str(port)
        assert {"name": "management", "containerPort": port, "protocol": "TCP"} in main["ports"]
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert main[probe]["httpGet"]["port"] == "management"
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(port)
        assert annotations["prometheus.io/path"] == "/metrics"
    for service in of_kind(docs, "Service"):
        ports = {p["name"]: p for p in service["spec"]["ports"]}
        assert set(ports) == {"http", "management"}
        assert (ports["management"]["port"], ports["management"]["targetPort"]) == (port, "management")
        assert ports["http"]["targetPort"] == "http"


@pytest.mark.parametrize("port", [9000, 9100])
def test_only_prometheus_and_the_console_reach_the_management_port(port: int) -> None:
    policies = by_name(manifests(None, "--set", f"managementPort={port}"), "NetworkPolicy")
    for name, policy in policies.items():
        if name == "xueji-topics":
            continue
        management, api = admitted(policy, port), admitted(policy, 8000)
        expected = PROMETHEUS + ([] if name == "xueji-console" else [CONSOLE])
        assert sorted(map(str, management)) == sorted(map(str, expected)), name
        assert not any(peer in management for peer in INGRESS_CONTROLLER), name
        assert all(peer in api for peer in INGRESS_CONTROLLER), name
        assert not any(peer in api for peer in PROMETHEUS), name


def test_the_console_reads_readiness_and_dead_letter_counts_on_the_management_ports() -> None:
    docs = manifests()
    config = by_name(docs, "ConfigMap")["xueji-console"]["data"]
    assert config["XUEJI_WORKFLOW_MANAGEMENT_URL"] == "http://xueji-workflow:9000"
    assert config["XUEJI_WORKFLOW_URL"] == "http://xueji-workflow"  # the API, through the Service's port 80
    urls = config["XUEJI_METRICS_URLS"]
    assert urls == ("dedup=http://xueji-dedup:9000,workflow=http://xueji-workflow:9000,"
                    "evidence=http://xueji-evidence:9000,notify=http://xueji-notify-all:9000")
    egress = by_name(docs, "NetworkPolicy")["xueji-console"]["spec"]["egress"]
    to_services = [rule for rule in egress if {"podSelector": {"matchLabels": RELEASE}} in rule["to"]]
    assert [sorted(p["port"] for p in rule["ports"]) for rule in to_services] == [[8000, 9000]]


def test_the_console_ingress_routes_only_the_api_port() -> None:
    docs = manifests(None, "--set", "console.ingress.enabled=true",
                     "--set", "console.ingress.host=xueji.example.cn")
    [ingress] = of_kind(docs, "Ingress")
    backends = [path["backend"]["service"]
                for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert backends == [{"name": "xueji-console", "port": {"name": "http"}}]


def test_a_service_monitor_scrapes_the_management_port_when_enabled() -> None:
    assert of_kind(manifests(), "ServiceMonitor") == []
    docs = manifests(None, "--set", "monitoring.serviceMonitor.enabled=true",
                     "--set", "monitoring.serviceMonitor.labels.release=kube-prometheus-stack")
    [monitor] = of_kind(docs, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["endpoints"] == [{"port": "management", "path": "/metrics", "interval": "30s"}]
    selected = monitor["spec"]["selector"]["matchLabels"]
    services = of_kind(docs, "Service")
    assert all(selected.items() <= s["metadata"]["labels"].items() for s in services)
