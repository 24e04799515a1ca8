"""The rendered chart: what operations rely on, checked on every example values file."""

import json
from pathlib import Path

import pytest
import yaml
from xueji_contracts.provinces import PROVINCES

from .chart import CHART, EXAMPLES, SCHEMA_REFUSAL, manifests, of_kind, render

SECRET_SETTINGS = {"XUEJI_MONGO_URI", "XUEJI_KAFKA_SASL_USERNAME", "XUEJI_KAFKA_SASL_PASSWORD",
                   "XUEJI_PEPPER", "XUEJI_S3_ACCESS_KEY", "XUEJI_S3_SECRET_KEY", "XUEJI_WEBHOOK_SECRETS"}


@pytest.mark.parametrize("values", [None, *EXAMPLES], ids=lambda v: v.name if v else "defaults")
def test_every_deployment_has_probes_resources_and_a_locked_down_security_context(values: Path | None,
                                                                                 ) -> None:
    for deployment in of_kind(manifests(values), "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
        for container in pod["containers"]:
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["resources"]["requests"] and container["resources"]["limits"]
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]


@pytest.mark.parametrize("values", EXAMPLES, ids=lambda v: v.name)
def test_one_notify_deployment_per_shard_consuming_exactly_its_provinces(values: Path) -> None:
    docs = manifests(values)
    shards = yaml.safe_load(values.read_text(encoding="utf-8"))["notify"]["shards"]
    configs = {d["metadata"]["name"]: d["data"] for d in of_kind(docs, "ConfigMap")}
    notify = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"].startswith("xueji-notify-")]
    assert len(notify) == len(shards)
    for shard in shards:
        config = configs[f"xueji-notify-{shard['name']}"]
        assert json.loads(config["XUEJI_PROVINCE_CODES"]) == shard["provinces"]
        assert config["XUEJI_CONSUMER_GROUP"] == f"xueji-notify-{shard['name']}"
    served = [p for shard in shards for p in shard["provinces"]]
    if len(shards) > 1:  # a national installation serves every province exactly once
        assert sorted(served) == sorted(PROVINCES)


def test_the_topics_job_gives_each_province_topic_its_shards_partitions() -> None:
    national = CHART / "examples" / "values-national.yaml"
    [job] = of_kind(manifests(national), "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    partitions = json.loads(command[command.index("--case-partitions") + 1])
    assert partitions["xueji.cases.440000.v2"] == 24 and partitions["xueji.cases.660000.v2"] == 6
    assert len(partitions) == len(PROVINCES)


def test_the_console_has_an_optional_ingress_and_its_session_key_from_a_secret() -> None:
    assert of_kind(manifests(), "Ingress") == []
    docs = manifests(None, "--set", "console.ingress.enabled=true",
                     "--set", "console.ingress.host=xueji.example.cn",
                     "--set", "console.ingress.tlsSecret=xueji-tls")
    [ingress] = of_kind(docs, "Ingress")
    assert ingress["spec"]["rules"][0]["host"] == "xueji.example.cn"
    assert ingress["spec"]["tls"][0]["secretName"] == "xueji-tls"
    [console] = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"].endswith("-console")]
    env = {e["name"]: e for e in console["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "secretKeyRef" in env["XUEJI_CONSOLE_SESSION_KEY"]["valueFrom"]


def test_credentials_come_only_from_existing_secrets() -> None:
    docs = manifests(CHART / "examples" / "values-national.yaml")
    assert of_kind(docs, "Secret") == []
    for deployment in of_kind(docs, "Deployment"):
        env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        secret_like = [e for e in env if e["name"] in SECRET_SETTINGS]
        assert secret_like and all("secretKeyRef" in e["valueFrom"] for e in secret_like)


@pytest.mark.parametrize(("setting", "value"), [
    ("workflow.ruleSet", "2020"), ("notify.shards[0].provinces[0]", "999999"), ("dedup.replicas", "0"),
    ("evidence.allowedTypes[0]", "exe"), ("kafka.securityProtocol", "SSL_PLAIN"), ("managementPort", "8000"),
    ("telemetry.protocol", "http/thrift"), ("telemetry.otlpEndpoint", "otel-collector:4318"),
    ("updateStrategy", "BlueGreen")])
def test_a_wrong_value_is_refused_by_the_schema(setting: str, value: str) -> None:
    result = render(None, "--set", f"{setting}={value}")
    assert result.returncode != 0 and SCHEMA_REFUSAL in result.stderr


@pytest.mark.parametrize("strategy", ["RollingUpdate", "Recreate"])
def test_every_deployment_replaces_its_pods_as_the_update_strategy_says(strategy: str) -> None:
    deployments = of_kind(manifests(None, "--set", f"updateStrategy={strategy}"), "Deployment")
    assert deployments and all(d["spec"]["strategy"] == {"type": strategy} for d in deployments)


def test_pods_are_rolled_unless_the_operator_says_otherwise() -> None:
    deployments = of_kind(manifests(), "Deployment")
    assert {d["spec"]["strategy"]["type"] for d in deployments} == {"RollingUpdate"}
