import pytest
from pydantic import SecretStr, ValidationError

from services.common.settings import ServiceSettings


class WithSecret(ServiceSettings):
    PEPPER: SecretStr = SecretStr("local-development-pepper")


def test_settings_read_prefixed_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUEJI_KAFKA_BOOTSTRAP", "kafka-0:9093")
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "ignored:1")
    assert ServiceSettings().KAFKA_BOOTSTRAP == "kafka-0:9093"


def test_development_defaults_are_fine_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUEJI_ENVIRONMENT", "local")
    assert WithSecret().PEPPER.get_secret_value() == "local-development-pepper"


def test_a_default_secret_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUEJI_ENVIRONMENT", "production")
    monkeypatch.setenv("XUEJI_MONGO_URI", "mongodb://db.prod:27017")
    monkeypatch.setenv("XUEJI_MEMBER_REF_KEY", "Hw5Ny2Qe8Tk1Zb4Lr7Xc0Vm3Pd6Sg9Fj_KaUo-")
    with pytest.raises(ValidationError, match="XUEJI_PEPPER"):
        WithSecret()
    monkeypatch.setenv("XUEJI_PEPPER", "a-real-secret")
    assert WithSecret().ENVIRONMENT == "production"


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUEJI_PEPPER", "do-not-show")
    assert "do-not-show" not in repr(WithSecret())
