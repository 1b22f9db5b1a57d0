"""Clicks, Twilio delivery statuses, inbound replies and opt-outs (written by the link server).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clicks",
        sa.Column("click_id", sa.BigInteger, primary_key=True, autoincrement=True),
        # Minted by the server before the write so a spool replay can never insert it twice.
        sa.Column("click_uuid", sa.Uuid, nullable=False),
        sa.Column("link_id", sa.BigInteger, nullable=False),
        sa.Column("clicked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("user_agent", sa.Text),
        sa.Column("referer", sa.Text),
        sa.Column("ip_hash", sa.Text),
        sa.Column("is_human", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("destination_url", sa.Text),
        sa.Column("zip_code", sa.Text),
        sa.UniqueConstraint("click_uuid", name="clicks_click_uuid_unique"),
    )
    op.create_index("clicks_link_time", "clicks", ["link_id", "clicked_at"])
    # Latest known delivery status per provider message; only ever moves forward.
    op.create_table(
        "message_statuses",
        sa.Column("message_sid", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_rank", sa.SmallInteger, nullable=False),
        sa.Column("error_code", sa.Text),
        sa.Column("to_phone", sa.Text),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        # The link texted in this message (from sends), so a click can be timed against delivery.
        sa.Column("link_id", sa.BigInteger),
    )
    # The link server reads the receipts of the last minute, every second.
    op.create_index("message_statuses_delivered", "message_statuses", ["delivered_at"])
    op.create_table(
        "status_callbacks",
        sa.Column("callback_id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("message_sid", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error_code", sa.Text),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )  # fmt: skip
    op.create_index("status_callbacks_sid", "status_callbacks", ["message_sid"])
    op.create_table(
        "inbound_messages",
        sa.Column("message_sid", sa.Text, primary_key=True),
        sa.Column("from_phone", sa.Text, nullable=False),
        sa.Column("to_phone", sa.Text),
        sa.Column("body", sa.Text),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )  # fmt: skip
    # Current consent state per phone; history is in inbound_messages.
    op.create_table(
        "opt_outs",
        sa.Column("phone_e164", sa.Text, primary_key=True),
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )  # fmt: skip


def downgrade() -> None:
    for table in ("opt_outs", "inbound_messages", "status_callbacks", "message_statuses", "clicks"):
        op.drop_table(table)
