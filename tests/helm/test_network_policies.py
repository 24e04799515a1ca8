"""Each pod may reach only what it needs: the cluster DNS, its data stores, and per service a little more."""

from pathlib import Path

import pytest

from .chart import CHART, EXAMPLES, Manifest, by_name, manifests

SERVICES = ("dedup", "workflow", "evidence")
CLUSTER_DNS = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
KAFKA = [{"ipBlock": {"cidr": "10.0.0.0/8"}}]
DNS_PORTS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


def egress_ports(policy: Manifest) -> set[int]:
    return {port["port"] for rule in policy["spec"]["egress"] for port in rule["ports"]}


def test_network_policies_allow_only_what_each_service_needs() -> None:
    policies = by_name(manifests(CHART / "examples" / "values-small.yaml"), "NetworkPolicy")
    assert set(policies) == ({f"xueji-{s}" for s in SERVICES}
                             | {"xueji-notify-pilot", "xueji-console", "xueji-topics"})
    ports = {name: egress_ports(policy) for name, policy in policies.items()}
    assert 443 in ports["xueji-notify-pilot"] and 443 not in ports["xueji-dedup"]
    assert 9000 in ports["xueji-evidence"] and 9000 not in ports["xueji-workflow"]
    assert 8000 in ports["xueji-console"]  # it calls the APIs ...
    console = {"app.kubernetes.io/name": "xueji", "app.kubernetes.io/instance": "xueji",
               "app.kubernetes.io/component": "console"}
    for service in ("xueji-workflow", "xueji-evidence", "xueji-notify-pilot"):  # ... which admit it
        rules = policies[service]["spec"]["ingress"]
        admitted = [peer.get("podSelector", {}).get("matchLabels") for rule in rules for peer in rule["from"]]
        assert console in admitted


@pytest.mark.parametrize("values", [None, *EXAMPLES], ids=lambda v: v.name if v else "defaults")
def test_dns_goes_only_to_the_cluster_dns_and_no_rule_is_open_to_everyone(values: Path | None) -> None:
    for name, policy in by_name(manifests(values), "NetworkPolicy").items():
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"], name
        rules = policy["spec"]["egress"]
        assert all(rule.get("to") for rule in rules), name  # a rule without peers admits anywhere
        assert all(rule.get("from") for rule in policy["spec"]["ingress"]), name
        dns = [rule for rule in rules if any(p["port"] == 53 for p in rule["ports"])]
        assert dns == [{"to": CLUSTER_DNS, "ports": DNS_PORTS}], name


def test_the_cluster_dns_selector_is_a_value() -> None:
    node_local = "networkPolicy.dns.to[0].ipBlock.cidr=169.254.20.10/32"
    for name, policy in by_name(manifests(None, "--set", node_local), "NetworkPolicy").items():
        assert policy["spec"]["egress"][0] == {"to": [{"ipBlock": {"cidr": "169.254.20.10/32"}}],
                                               "ports": DNS_PORTS}, name


def test_the_topics_job_admits_nothing_and_reaches_only_dns_and_kafka() -> None:
    policy = by_name(manifests(), "NetworkPolicy")["xueji-topics"]
    assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "topics"
    assert policy["spec"]["ingress"] == []
    assert policy["spec"]["egress"] == [
        {"to": CLUSTER_DNS, "ports": DNS_PORTS},
        {"to": KAFKA, "ports": [{"port": 9092, "protocol": "TCP"}, {"port": 9093, "protocol": "TCP"}]}]
    # a hook created before the Job's (weight -5), so the Job never runs unrestricted
    annotations = policy["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert int(annotations["helm.sh/hook-weight"]) < -5


def test_no_policy_is_rendered_when_policies_are_off() -> None:
    assert by_name(manifests(None, "--set", "networkPolicy.enabled=false"), "NetworkPolicy") == {}
