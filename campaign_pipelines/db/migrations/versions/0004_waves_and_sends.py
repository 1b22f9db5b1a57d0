"""Suppressions, holdout arms, wave audiences, rendered wave messages and sends (intent first).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppressions",
        sa.Column("phone_e164", sa.Text, primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )  # fmt: skip
    # A voter's arm is drawn once per campaign and kept, so re-runs never move anyone.
    op.create_table(
        "holdout_assignments",
        sa.Column("campaign_id", sa.Text, nullable=False),
        sa.Column("voter_id", sa.Text, nullable=False),
        sa.Column("arm", sa.Text, nullable=False),
        sa.Column("stratum", sa.Text),
        sa.Column("draw", sa.Float, nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("campaign_id", "voter_id"),
        sa.CheckConstraint("arm IN ('treatment', 'holdout')", name="holdout_arm"),
    )  # fmt: skip
    # Everyone a wave's district filters reached, and why each one excluded was (NULL: eligible).
    op.create_table(
        "wave_audience",
        sa.Column("wave_id", sa.Text, nullable=False),
        sa.Column("voter_id", sa.Text, nullable=False),
        sa.Column("exclusion", sa.Text),
        sa.Column("stratum", sa.Text),
        sa.PrimaryKeyConstraint("wave_id", "voter_id"),
    )
    op.create_table(
        "wave_messages",
        sa.Column("wave_id", sa.Text, nullable=False),
        sa.Column("voter_id", sa.Text, nullable=False),
        sa.Column("variant", sa.Text, nullable=False),
        sa.Column("link_id", sa.BigInteger, nullable=False),
        sa.Column("to_phone", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("encoding", sa.Text, nullable=False),
        sa.Column("segments", sa.SmallInteger, nullable=False),
        sa.Column("timezone", sa.Text),
        sa.Column("home_state", sa.Text),
        sa.PrimaryKeyConstraint("wave_id", "voter_id"),
    )
    op.create_table(
        "sends",
        sa.Column("send_id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("wave_id", sa.Text, nullable=False),
        sa.Column("voter_id", sa.Text, nullable=False),
        sa.Column("link_id", sa.BigInteger, nullable=False),
        sa.Column("to_phone", sa.Text, nullable=False),
        sa.Column("variant", sa.Text, nullable=False),
        sa.Column("segments", sa.SmallInteger, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("message_sid", sa.Text),
        sa.Column("error_code", sa.Text),
        sa.Column("error_reason", sa.Text),
        sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("not_before", sa.DateTime(timezone=True)),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("wave_id", "voter_id", name="sends_once_per_wave_and_voter"),
        sa.CheckConstraint(
            "state IN ('planned', 'deferred', 'submitting', 'sent', 'failed', 'skipped')",
            name="sends_state",
        ),
    )  # fmt: skip
    op.create_index("sends_message_sid", "sends", ["message_sid"], unique=True,
                    postgresql_where=sa.text("message_sid IS NOT NULL"))  # fmt: skip
    op.create_index("sends_wave_state", "sends", ["wave_id", "state"])
    # The sender's queue: intents still to send, earliest due first.
    op.create_index("sends_due", "sends", ["wave_id", "not_before", "send_id"],
                    postgresql_where=sa.text("state IN ('planned', 'deferred')"))  # fmt: skip


def downgrade() -> None:
    for table in ("sends", "wave_messages", "wave_audience", "holdout_assignments", "suppressions"):
        op.drop_table(table)
