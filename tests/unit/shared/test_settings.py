"""Settings are nested by section, read from the same flat RAPPORT_* variables as ever."""

import json
import os

import pytest
from pydantic import ValidationError

from shared.settings import Settings, variables
from tests.support import WEBHOOK_SECRETS


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.upper().startswith("RAPPORT_") or key.upper() == "NATS_URL":
            monkeypatch.delenv(key)
    return monkeypatch


def test_flat_variables_land_in_their_sections(clean_environment: pytest.MonkeyPatch) -> None:
    environment = {
        "RAPPORT_HEALTH_HALF_LIFE_DAYS": "12",
        "RAPPORT_HEALTH_MODEL": "v1",
        "RAPPORT_HEALTH_WEIGHTS": '{"reaction": 5}',
        "RAPPORT_AUTH_DEFAULT_ROLES": '["member", "analyst"]',
        "RAPPORT_WEBHOOK_SECRETS": json.dumps(WEBHOOK_SECRETS),
        "RAPPORT_PROFILES_DATABASE_URL": "postgresql://db/profiles",
        "RAPPORT_CONTENT_WEIGHT_SHARE": "4",
        "RAPPORT_NATS_AUTH": "off",
        "RAPPORT_LOG_FORMAT": "text",
        "RAPPORT_RETRY_BACKOFF": "[1, 2]",
        "RAPPORT_DATA_DIR": "/srv/rapport",
    }
    for name, value in environment.items():
        clean_environment.setenv(name, value)

    settings = Settings()

    assert settings.health.half_life_days == 12.0
    assert settings.health.model == "v1"
    assert settings.health.weights == {"reaction": 5.0}
    assert settings.auth.default_roles == ["member", "analyst"]
    assert set(settings.webhook.secrets) == set(WEBHOOK_SECRETS)
    assert settings.database_url("profiles") == "postgresql+asyncpg://db/profiles"
    assert settings.profiles.port == 8101  # the section's other fields keep their defaults
    assert settings.content.weight_share == 4.0
    assert settings.nats.auth is False
    assert settings.log.format == "text"
    assert settings.retry_backoff == [1.0, 2.0]
    assert str(settings.data_dir) == "/srv/rapport"


def test_nats_url_is_read_from_either_name(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("NATS_URL", "nats://alias:4222")
    assert Settings().nats.url == "nats://alias:4222"
    clean_environment.setenv("RAPPORT_NATS_URL", "nats://own:4222")
    assert Settings().nats.url == "nats://own:4222"


def test_every_variable_names_a_setting() -> None:
    names = variables()
    assert names["RAPPORT_HEALTH_HALF_LIFE_DAYS"] == "health.half_life_days"
    assert names["NATS_URL"] == names["RAPPORT_NATS_URL"] == "nats.url"
    assert names["RAPPORT_MAX_DELIVERIES"] == "max_deliveries"
    defaults = Settings.model_construct()
    for path in names.values():
        section, _, field = path.rpartition(".")
        assert hasattr(getattr(defaults, section) if section else defaults, field), path


def test_keywords_in_code_are_nested_and_merge_with_the_environment(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("RAPPORT_HEALTH_MODEL", "v1")
    settings = Settings(health={"half_life_days": 3}, max_deliveries=2)
    assert (settings.health.model, settings.health.half_life_days) == ("v1", 3.0)
    assert settings.max_deliveries == 2
    with pytest.raises(ValidationError, match="health_half_life_days"):
        Settings(health_half_life_days=3)  # a flat name is refused, not silently ignored


def test_unknown_variables_are_ignored(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("RAPPORT_HEALTH_NO_SUCH_THING", "1")
    clean_environment.setenv("RAPPORT_NO_SUCH_SECTION_X", "1")
    assert Settings().health.half_life_days == 30.0
