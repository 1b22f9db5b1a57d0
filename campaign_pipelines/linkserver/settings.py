"""The link server's settings: one typed class read from the environment at start-up.

Each field of ``LinkServerSettings`` is one variable: ``LINK_`` plus the field name in capitals,
or the ``validation_alias`` it names. ``.env.example`` lists them with their defaults. An empty
variable counts as unset. A missing or invalid one stops the server before it binds a port, with
the variable named. Secrets are ``SecretStr``, so neither a repr nor a log line shows them.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from campaign_pipelines import paths
from campaign_pipelines.rules.bots import DEFAULT_TOO_SOON_SECONDS

IpNetwork = IPv4Network | IPv6Network
# Values people paste from templates; a key anyone can read protects no IP address.
PLACEHOLDER_SECRETS = frozenset({"changethis", "change-me", "changeme", "secret", "example"})


class SettingsError(RuntimeError):
    """The environment does not describe a server that can start; the message names the variable."""


class LinkServerSettings(BaseSettings):
    """Where the data lives, the secrets, and the knobs of the click path."""

    # An empty variable (``LINK_IP_HASH_KEY=`` from a sourced .env.example) is treated as unset.
    model_config = SettingsConfigDict(
        env_prefix="LINK_", env_ignore_empty=True, extra="ignore", frozen=True
    )

    database_url: SecretStr | None = Field(
        default=None,
        validation_alias="CAMPAIGN_DATABASE_URL",
        description="PostgreSQL URL; unset means the project's embedded PostgreSQL.",
    )
    ip_hash_key: SecretStr = Field(
        validation_alias="LINK_IP_HASH_KEY",
        min_length=32,
        description="HMAC-SHA256 key for hashing client IPs (at least 32 characters).",
    )
    twilio_auth_token: SecretStr = Field(
        validation_alias="TWILIO_AUTH_TOKEN",
        min_length=16,
        description="The auth token Twilio signs webhooks with.",
    )
    public_base_url: AnyHttpUrl = Field(
        validation_alias="PUBLIC_BASE_URL",
        description="The public URL Twilio calls (scheme and host as seen before any proxy).",
    )
    spool_dir: Path = Field(
        default_factory=lambda: paths.state_dir() / "link-spool",
        description="Folder of click and webhook files kept while PostgreSQL is away.",
    )
    trusted_proxies: Annotated[tuple[IpNetwork, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated addresses or CIDR ranges whose X-Forwarded-For is honoured.",
    )
    group_commit_max_batch: int = Field(default=1000, ge=1, le=100_000)
    group_commit_concurrency: int = Field(
        default=8, ge=1, le=32, description="Click batches committing at the same time."
    )
    group_commit_max_delay_ms: float = Field(
        default=0.0, ge=0, le=100, description="Wait for more clicks before a commit."
    )
    db_write_timeout_seconds: float = Field(default=2.0, gt=0)
    # A cached link costs about 1.2 kB: 100k links are ~125 MB per worker.
    cache_size: int = Field(default=100_000, ge=1)
    cache_warm: int = Field(
        default=50_000, ge=0, description="Newest links loaded into the cache at start-up."
    )
    cache_ttl_seconds: float = Field(default=300.0, gt=0)
    miss_cache_size: int = Field(default=10_000, ge=0)
    miss_cache_ttl_seconds: float = Field(default=30.0, ge=0)
    resolver_refresh_seconds: float = Field(default=30.0, gt=0)
    repeat_window_seconds: float = Field(default=30.0, ge=0)
    too_soon_seconds: float = Field(default=DEFAULT_TOO_SOON_SECONDS, ge=0)
    max_body_bytes: int = Field(default=32_768, ge=1024)
    max_header_bytes: int = Field(default=8_192, ge=1024)
    maps_search_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://www.google.com/maps/search/?api=1&query=")
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        return tuple(ip_network(part.strip()) for part in value.split(",") if part.strip())

    @field_validator("ip_hash_key", "twilio_auth_token")
    @classmethod
    def _not_a_placeholder(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("is a placeholder; set a real secret")
        if len(set(secret)) < 8:  # forty spaces, "aaaa…": long enough, but no secret at all
            raise ValueError("has fewer than 8 different characters; set a random secret")
        return value

    @property
    def public_base(self) -> str:
        """``PUBLIC_BASE_URL`` without a trailing slash, ready to have a path appended."""
        return str(self.public_base_url).rstrip("/")

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded PostgreSQL's (started on first call)."""
        from campaign_pipelines.db.server import database_url, libpq_url, normalise_url

        if self.database_url is None:
            return libpq_url(database_url())
        return libpq_url(normalise_url(self.database_url.get_secret_value()))


def load_settings() -> LinkServerSettings:
    """Read the environment; raise ``SettingsError`` naming each missing or invalid variable."""
    try:
        return LinkServerSettings()  # type: ignore[call-arg]
    except ValidationError as e:
        raise SettingsError(_describe(e)) from None


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "?"
        variable = _variable(name)
        if item["type"] == "missing":
            problems.append(f"{variable} is not set")
        elif item["type"] == "too_short":
            # Pydantic counts "items"; a secret's value is never echoed, only its length.
            wanted = item.get("ctx", {}).get("min_length")
            problems.append(f"{variable} is too short: it must be at least {wanted} characters")
        else:
            problems.append(f"{variable}: {item['msg']}")
    return "link server settings: " + "; ".join(problems)


def _variable(name: str) -> str:
    field = LinkServerSettings.model_fields.get(name)
    if field is None:
        return name
    if isinstance(field.validation_alias, str):
        return field.validation_alias
    return f"LINK_{name.upper()}"
