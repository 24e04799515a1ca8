"""The OpenTelemetry collector: the standard OTEL_* variables and an egress rule, only with an endpoint."""

from .chart import by_name, env, manifests, of_kind

COLLECTOR = "http://otel-collector.observability:4318"


def test_without_an_endpoint_no_otel_variable_and_no_collector_egress() -> None:
    docs = manifests()
    for deployment in of_kind(docs, "Deployment"):
        assert not [name for name in env(deployment) if name.startswith("OTEL_")]
    for policy in of_kind(docs, "NetworkPolicy"):
        assert 4318 not in {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}


def test_with_an_endpoint_every_service_exports_its_traces_under_its_own_name() -> None:
    docs = manifests(None, "--set", f"telemetry.otlpEndpoint={COLLECTOR}",
                     "--set", "telemetry.resourceAttributes.deployment\\.environment\\.name=production")
    names: dict[str, str] = {}
    for deployment in of_kind(docs, "Deployment"):
        variables: dict[str, str] = {name: e["value"] for name, e in env(deployment).items() if "value" in e}
        assert variables["OTEL_TRACES_EXPORTER"] == "otlp"
        assert variables["OTEL_EXPORTER_OTLP_ENDPOINT"] == COLLECTOR
        assert variables["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
        attributes = dict(pair.split("=", 1) for pair in variables["OTEL_RESOURCE_ATTRIBUTES"].split(","))
        assert attributes == {"k8s.namespace.name": "default",
                              "k8s.deployment.name": deployment["metadata"]["name"],
                              "k8s.pod.name": "$(XUEJI_INSTANCE_ID)",
                              "deployment.environment.name": "production"}
        order = list(env(deployment))  # Kubernetes expands $(…) only from variables defined before
        assert order.index("XUEJI_INSTANCE_ID") < order.index("OTEL_RESOURCE_ATTRIBUTES")
        names[deployment["metadata"]["name"]] = variables["OTEL_SERVICE_NAME"]
    assert names == {"xueji-dedup": "xueji-dedup", "xueji-workflow": "xueji-workflow",
                     "xueji-evidence": "xueji-evidence", "xueji-notify-all": "xueji-notify",
                     "xueji-console": "xueji-console"}
    [job] = of_kind(docs, "Job")  # the topics Job creates topics; it has no traces to export
    job_env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert not [e for e in job_env if e["name"].startswith("OTEL_")]
    observability = {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}
    collector = {"to": [{"namespaceSelector": observability}], "ports": [{"port": 4318, "protocol": "TCP"}]}
    for name, policy in by_name(docs, "NetworkPolicy").items():
        assert (collector in policy["spec"]["egress"]) == (name != "xueji-topics"), name
