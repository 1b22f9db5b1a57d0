"""Suppressions, holdout arms, wave audiences, wave messages and sends (migration 0004)."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

from campaign_pipelines.db.schema.base import metadata

suppressions = Table(
    "suppressions",
    metadata,
    Column("phone_e164", Text, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

holdout_assignments = Table(
    "holdout_assignments",
    metadata,
    Column("campaign_id", Text, nullable=False),
    Column("voter_id", Text, nullable=False),
    Column("arm", Text, nullable=False),
    Column("stratum", Text),
    Column("draw", Float, nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("campaign_id", "voter_id"),
    CheckConstraint("arm IN ('treatment', 'holdout')", name="holdout_arm"),
)

wave_audience = Table(
    "wave_audience",
    metadata,
    Column("wave_id", Text, nullable=False),
    Column("voter_id", Text, nullable=False),
    Column("exclusion", Text),
    Column("stratum", Text),
    PrimaryKeyConstraint("wave_id", "voter_id"),
)

wave_messages = Table(
    "wave_messages",
    metadata,
    Column("wave_id", Text, nullable=False),
    Column("voter_id", Text, nullable=False),
    Column("variant", Text, nullable=False),
    Column("link_id", BigInteger, nullable=False),
    Column("to_phone", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("encoding", Text, nullable=False),
    Column("segments", SmallInteger, nullable=False),
    Column("timezone", Text),
    Column("home_state", Text),
    PrimaryKeyConstraint("wave_id", "voter_id"),
)

sends = Table(
    "sends",
    metadata,
    Column("send_id", BigInteger, primary_key=True, autoincrement=True),
    Column("wave_id", Text, nullable=False),
    Column("voter_id", Text, nullable=False),
    Column("link_id", BigInteger, nullable=False),
    Column("to_phone", Text, nullable=False),
    Column("variant", Text, nullable=False),
    Column("segments", SmallInteger, nullable=False),
    Column("state", Text, nullable=False),
    Column("message_sid", Text),
    Column("error_code", Text),
    Column("error_reason", Text),
    Column("attempts", SmallInteger, nullable=False, server_default="0"),
    Column("not_before", DateTime(timezone=True)),
    Column("planned_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("submitted_at", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("wave_id", "voter_id", name="sends_once_per_wave_and_voter"),
    CheckConstraint(
        "state IN ('planned', 'deferred', 'submitting', 'sent', 'failed', 'skipped')",
        name="sends_state",
    ),
    Index("sends_message_sid", "message_sid", unique=True,
          postgresql_where=text("message_sid IS NOT NULL")),
    Index("sends_wave_state", "wave_id", "state"),
    Index("sends_due", "wave_id", "not_before", "send_id",
          postgresql_where=text("state IN ('planned', 'deferred')")),
)  # fmt: skip
