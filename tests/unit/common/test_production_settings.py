"""Outside local and test, weak settings are refused at start with a clear message."""

from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from services.dedup.settings import DedupSettings
from services.evidence.settings import EvidenceSettings
from services.notify.settings import NotifySettings
from services.workflow.settings import WorkflowSettings

SEARCH_KEY = SecretStr("Vn3kR8pZ1tYq6Wm0Lc4Hs7Dx2Bf9Jg5Ea_UoTi-")
PRODUCTION: dict[str, Any] = {"ENVIRONMENT": "production", "MONGO_URI": SecretStr("mongodb://db.prod:27017"),
              "S3_SECRET_KEY": SecretStr("s3-secret"), "NAME_SEARCH_KEY": SEARCH_KEY,
              "MEMBER_REF_KEY": SecretStr("Hw5Ny2Qe8Tk1Zb4Lr7Xc0Vm3Pd6Sg9Fj_KaUo-")}
STRONG = SecretStr("qT8v2Lk9Zx4mWp7Rb1Ns6Hc3Jd5Fg0Ye_AoKu-")


@pytest.mark.parametrize("pepper", ["a", "x" * 64, "short-but-varied-123"])
def test_a_weak_pepper_is_refused_in_production(pepper: str) -> None:
    with pytest.raises(ValidationError, match="XUEJI_PEPPER must be at least 32 random bytes"):
        DedupSettings(**PRODUCTION, PEPPER=SecretStr(pepper))
    assert DedupSettings(**PRODUCTION, PEPPER=STRONG).ENVIRONMENT == "production"
    assert DedupSettings(ENVIRONMENT="local", PEPPER=SecretStr(pepper))  # fine locally


@pytest.mark.parametrize("key", ["a", "x" * 64, "short-but-varied-123"])
def test_a_weak_name_search_key_is_refused_in_production_by_dedup_and_the_workflow(key: str) -> None:
    weak = {**PRODUCTION, "NAME_SEARCH_KEY": SecretStr(key)}
    with pytest.raises(ValidationError, match="XUEJI_NAME_SEARCH_KEY must be at least 32 random bytes"):
        DedupSettings(**weak, PEPPER=STRONG)
    with pytest.raises(ValidationError, match="XUEJI_NAME_SEARCH_KEY must be at least 32 random bytes"):
        WorkflowSettings(**weak)
    dedup = DedupSettings(**PRODUCTION, PEPPER=STRONG)
    assert WorkflowSettings(**PRODUCTION).NAME_SEARCH_KEY == dedup.NAME_SEARCH_KEY
    assert WorkflowSettings(ENVIRONMENT="local", NAME_SEARCH_KEY=SecretStr(key))  # fine locally


def test_the_name_search_key_is_set_in_production_and_is_not_the_pepper() -> None:
    unset = {k: v for k, v in PRODUCTION.items() if k != "NAME_SEARCH_KEY"}
    with pytest.raises(ValidationError, match="XUEJI_NAME_SEARCH_KEY still hold development defaults"):
        WorkflowSettings(**unset)
    with pytest.raises(ValidationError, match="XUEJI_NAME_SEARCH_KEY must differ from XUEJI_PEPPER"):
        DedupSettings(**PRODUCTION, PEPPER=SEARCH_KEY)
    dedup_default = DedupSettings(ENVIRONMENT="test").NAME_SEARCH_KEY
    assert dedup_default == WorkflowSettings(ENVIRONMENT="test").NAME_SEARCH_KEY  # one default for both


@pytest.mark.parametrize("seconds", [0, 29, 3601, 86_400])
def test_link_lifetime_outside_30_to_3600_seconds_is_refused_in_production(seconds: int) -> None:
    with pytest.raises(ValidationError, match="XUEJI_LINK_SECONDS must be within 30–3600 s"):
        EvidenceSettings(**PRODUCTION, LINK_SECONDS=seconds)
    assert EvidenceSettings(**PRODUCTION, LINK_SECONDS=3600).LINK_SECONDS == 3600


def test_a_webhook_without_a_secret_is_refused_in_production() -> None:
    urls = {"440000": "https://gd.example/hook", "110000": "https://bj.example/hook"}
    with pytest.raises(ValidationError, match="no non-empty secret for 110000, 440000"):
        NotifySettings(**PRODUCTION, WEBHOOK_URLS=urls, WEBHOOK_SECRETS={"440000": SecretStr("")})
    signed = {"440000": SecretStr("s1"), "110000": SecretStr("s2")}
    assert urls == NotifySettings(**PRODUCTION, WEBHOOK_URLS=urls, WEBHOOK_SECRETS=signed).WEBHOOK_URLS


@pytest.mark.parametrize("key", ["a", "x" * 64])
def test_a_weak_member_ref_key_is_refused_in_production_by_every_service(key: str) -> None:
    weak = {**PRODUCTION, "MEMBER_REF_KEY": SecretStr(key)}
    for settings in (WorkflowSettings, EvidenceSettings, NotifySettings):
        with pytest.raises(ValidationError, match="XUEJI_MEMBER_REF_KEY must be at least 32 random bytes"):
            settings(**weak)
    assert WorkflowSettings(ENVIRONMENT="local").member_ref("L11010520120101000001") == \
        EvidenceSettings(ENVIRONMENT="test").member_ref("L11010520120101000001")  # one default for all
