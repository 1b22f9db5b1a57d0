"""Clicks, delivery statuses, inbound replies and opt-outs (migrations 0003 and 0006)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)

from campaign_pipelines.db.schema.base import metadata

clicks = Table(
    "clicks",
    metadata,
    Column("click_id", BigInteger, primary_key=True, autoincrement=True),
    Column("click_uuid", Uuid, nullable=False),
    Column("link_id", BigInteger, nullable=False),
    Column("clicked_at", DateTime(timezone=True), nullable=False),
    Column("method", Text, nullable=False),
    Column("user_agent", Text),
    Column("referer", Text),
    Column("ip_hash", Text),
    Column("is_human", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("destination_url", Text),
    Column("zip_code", Text),
    UniqueConstraint("click_uuid", name="clicks_click_uuid_unique"),
)

message_statuses = Table(
    "message_statuses",
    metadata,
    Column("message_sid", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("status_rank", SmallInteger, nullable=False),
    Column("error_code", Text),
    Column("to_phone", Text),
    Column("delivered_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("link_id", BigInteger),
    Index("message_statuses_delivered", "delivered_at"),
)

status_callbacks = Table(
    "status_callbacks",
    metadata,
    Column("callback_id", BigInteger, primary_key=True, autoincrement=True),
    Column("message_sid", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("error_code", Text),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("status_callbacks_sid", "message_sid"),
)

inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("message_sid", Text, primary_key=True),
    Column("from_phone", Text, nullable=False),
    Column("to_phone", Text),
    Column("body", Text),
    Column("kind", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

opt_outs = Table(
    "opt_outs",
    metadata,
    Column("phone_e164", Text, primary_key=True),
    Column("opted_out", Boolean, nullable=False),
    Column("source", Text, nullable=False),
    Column("reason", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
