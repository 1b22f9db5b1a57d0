"""Destinations, routes, the link policy, ZIP districts, voter routes and links (migration 0002)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from campaign_pipelines.db.schema.base import metadata

destinations = Table(
    "destinations",
    metadata,
    Column("destination_key", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("name", Text),
    Column("url", Text),
    Column("address", Text),
    Column("hours", Text),
    Column("maps_url", Text),
    Column("county_fips", Text),
    Column("precinct_key", Text),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("source", Text, nullable=False),
    Column("details", JSONB, nullable=False, server_default="{}"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

routes = Table(
    "routes",
    metadata,
    Column("route", Text, primary_key=True),
    Column("rules", JSONB, nullable=False),
    Column("fallback_key", Text, nullable=False),
    Column("utm", JSONB, nullable=False, server_default="{}"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

link_policy = Table(
    "link_policy",
    metadata,
    Column("policy_id", SmallInteger, primary_key=True, autoincrement=False),
    Column("base_url", Text, nullable=False),
    Column("allowed_domains", ARRAY(Text), nullable=False),
    Column("timezone", Text, nullable=False),
    Column("state", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("policy_id = 1", name="link_policy_single_row"),
)

zip_districts = Table(
    "zip_districts",
    metadata,
    Column("zip_code", Text, nullable=False),
    Column("attribute", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("voters", Integer, nullable=False),
    Column("share", Float, nullable=False),
    PrimaryKeyConstraint("zip_code", "attribute"),
)

voter_routes = Table(
    "voter_routes",
    metadata,
    Column("voter_id", Text, nullable=False),
    Column("route", Text, nullable=False),
    Column("destination_key", Text),
    Column("rule", Text, nullable=False),
    Column("is_fallback", Boolean, nullable=False),
    Column("fallback_reason", Text),
    Column("timezone", Text),
    Column("context", JSONB, nullable=False, server_default="{}"),
    PrimaryKeyConstraint("voter_id", "route"),
)

links = Table(
    "links",
    metadata,
    Column("link_id", BigInteger, primary_key=True, autoincrement=True),
    Column("code", Text, nullable=False),
    Column("wave_id", Text),
    Column("voter_id", Text),
    Column("route", Text, nullable=False),
    Column("channel", Text, nullable=False, server_default="sms"),
    Column("variant", Text),
    Column("placement", Text),
    Column("destination_key", Text),
    Column("destination_url", Text),
    Column("utm", JSONB, nullable=False, server_default="{}"),
    Column("timezone", Text),
    Column("context", JSONB, nullable=False, server_default="{}"),
    Column("status", Text, nullable=False, server_default="active"),
    Column("expires_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("code", name="links_code_unique"),
    CheckConstraint("status IN ('active', 'disabled')", name="links_status"),
    CheckConstraint("voter_id IS NULL OR wave_id IS NOT NULL", name="links_voter_has_wave"),
    Index(
        "links_wave_voter_route", "wave_id", "voter_id", "route", "channel", unique=True,
        postgresql_where=text("voter_id IS NOT NULL"),
    ),
    Index("links_placement", "placement", unique=True,
          postgresql_where=text("placement IS NOT NULL")),
)  # fmt: skip
