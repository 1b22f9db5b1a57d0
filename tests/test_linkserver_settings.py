"""The link server's settings name the variable that is wrong, and never echo a secret."""

from __future__ import annotations

import pytest

from campaign_pipelines.linkserver.settings import SettingsError, load_settings

GOOD = {
    "LINK_IP_HASH_KEY": "ip-hash-key-for-tests-0123456789",
    "TWILIO_AUTH_TOKEN": "twilio-token-for-tests-987654321",
    "PUBLIC_BASE_URL": "https://links.example.org",
}


def use(monkeypatch, *, unset: tuple[str, ...] = (), **changed: str) -> None:
    """The good settings in the environment, with ``changed`` variables and ``unset`` ones."""
    for name, value in {**GOOD, **changed}.items():
        monkeypatch.setenv(name, value)
    for name in unset:
        monkeypatch.delenv(name)


def refusal(monkeypatch, *, unset: tuple[str, ...] = (), **changed: str) -> str:
    """The start-up error for the good settings with those changes."""
    use(monkeypatch, unset=unset, **changed)
    with pytest.raises(SettingsError) as error:
        load_settings()
    return str(error.value)


def test_settings_a_short_secret_is_named_with_its_minimum_and_not_echoed(monkeypatch):
    message = refusal(monkeypatch, TWILIO_AUTH_TOKEN="shorttoken1234")

    assert "TWILIO_AUTH_TOKEN is too short: it must be at least 16 characters" in message
    assert "shorttoken1234" not in message


def test_settings_a_missing_variable_is_named(monkeypatch):
    assert "PUBLIC_BASE_URL is not set" in refusal(monkeypatch, unset=("PUBLIC_BASE_URL",))


def test_settings_a_secret_with_no_variety_is_refused_and_not_echoed(monkeypatch):
    message = refusal(monkeypatch, LINK_IP_HASH_KEY=" " * 40)

    assert "LINK_IP_HASH_KEY: Value error, has fewer than 8 different characters" in message


def test_settings_an_empty_variable_counts_as_not_set(monkeypatch):
    # What `set -a; . ./.env` gives for a required line left as in .env.example.
    message = refusal(monkeypatch, LINK_IP_HASH_KEY="")

    assert "LINK_IP_HASH_KEY is not set" in message
    assert "too short" not in message


def test_settings_an_empty_optional_variable_keeps_its_default(monkeypatch):
    use(monkeypatch, CAMPAIGN_DATABASE_URL="", LINK_CACHE_SIZE="")

    settings = load_settings()

    assert settings.database_url is None
    assert settings.cache_size == 100_000
