"""Plain transports: refused by the schema (helm lint and helm template alike) unless allowInsecure is set,
and never in the defaults or the examples."""

import json
from pathlib import Path

import pytest
import yaml

from .chart import CHART, EXAMPLES, SCHEMA_REFUSAL, by_name, env, lint, manifests, of_kind, render

PLAIN = [
    pytest.param(["kafka.securityProtocol=PLAINTEXT"], id="kafka-plaintext"),
    pytest.param(["kafka.securityProtocol=SASL_PLAINTEXT"], id="kafka-sasl-plaintext"),
    pytest.param(["s3.secure=false"], id="s3-without-tls"),
    pytest.param(["notify.webhookUrls.440000=http://gd.example.cn/xueji/events"], id="http-webhook"),
]


def sets(assignments: list[str]) -> list[str]:
    return [argument for assignment in assignments for argument in ("--set", assignment)]


@pytest.mark.parametrize("assignments", PLAIN)
def test_a_plain_transport_is_refused_without_allow_insecure(assignments: list[str]) -> None:
    for result in (lint(*sets(assignments)), render(None, *sets(assignments))):
        assert result.returncode != 0
        assert SCHEMA_REFUSAL in result.stdout + result.stderr


@pytest.mark.parametrize("assignments", PLAIN)
def test_a_plain_transport_is_accepted_with_allow_insecure(assignments: list[str]) -> None:
    arguments = sets([*assignments, "allowInsecure=true"])
    assert lint(*arguments).returncode == 0
    assert render(None, *arguments).returncode == 0


def test_allow_insecure_false_refuses_like_unset() -> None:
    result = render(None, *sets(["allowInsecure=false", "s3.secure=false"]))
    assert result.returncode != 0 and SCHEMA_REFUSAL in result.stderr


@pytest.mark.parametrize("values", [CHART / "values.yaml", *EXAMPLES], ids=lambda v: v.name)
def test_the_defaults_and_the_examples_use_only_secure_transports(values: Path) -> None:
    given = yaml.safe_load(values.read_text(encoding="utf-8"))
    assert "allowInsecure" not in given or given["allowInsecure"] is False
    docs = manifests(values)
    configs = {name: c["data"] for name, c in by_name(docs, "ConfigMap").items()}
    assert configs["xueji-evidence"]["XUEJI_S3_SECURE"] == "true"
    webhooks = [url for name, data in configs.items() if name.startswith("xueji-notify-")
                for url in json.loads(data["XUEJI_WEBHOOK_URLS"]).values()]
    assert all(url.startswith("https://") for url in webhooks)
    for deployment in of_kind(docs, "Deployment"):
        assert env(deployment)["XUEJI_KAFKA_SECURITY_PROTOCOL"]["value"] in {"SSL", "SASL_SSL"}
