"""Rendering the chart with the helm binary ./dev installs, and reading what it rendered."""

import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "xueji"
HELM = ROOT / ".local" / "helm" / "helm"
EXAMPLES = sorted((CHART / "examples").glob("*.yaml"))
SCHEMA_REFUSAL = "values don't meet the specifications of the schema"
Manifest = dict[str, Any]


def helm(*arguments: str) -> subprocess.CompletedProcess[str]:
    assert HELM.exists(), "helm is installed by ./dev test (deploy/helm/install_helm.py)"
    return subprocess.run([str(HELM), *arguments], capture_output=True, text=True, check=False)  # noqa: S603


def render(values: Path | None = None, *extra: str) -> subprocess.CompletedProcess[str]:
    return helm("template", "xueji", str(CHART), *(["-f", str(values)] if values else []), *extra)


def lint(*extra: str) -> subprocess.CompletedProcess[str]:
    return helm("lint", "--strict", str(CHART), *extra)


def manifests(values: Path | None = None, *extra: str) -> list[Manifest]:
    result = render(values, *extra)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def of_kind(docs: list[Manifest], kind: str) -> list[Manifest]:
    return [d for d in docs if d["kind"] == kind]


def by_name(docs: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {d["metadata"]["name"]: d for d in of_kind(docs, kind)}


def container(deployment: Manifest) -> Manifest:
    containers: list[Manifest] = deployment["spec"]["template"]["spec"]["containers"]
    [only] = containers
    return only


def env(deployment: Manifest) -> dict[str, Manifest]:
    return {e["name"]: e for e in container(deployment)["env"]}


def admitted(policy: Manifest, port: int) -> list[Manifest]:
    """The peers of every ingress rule of a NetworkPolicy that opens ``port``."""
    return [peer for rule in policy["spec"]["ingress"] if port in {p["port"] for p in rule["ports"]}
            for peer in rule["from"]]
