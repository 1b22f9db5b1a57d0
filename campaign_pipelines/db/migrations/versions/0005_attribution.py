"""Clicks joined to voters, delivery statuses, imported actions, touches, funnel and holdout lift.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NOW = sa.func.now()


def upgrade() -> None:
    _clicks()
    _deliveries()
    _actions()
    _attribution()


def _clicks() -> None:
    # One row per link-server click, keyed by its click_id so re-ingesting can never count twice.
    op.create_table(
        "click_events",
        sa.Column("click_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("link_id", sa.BigInteger, nullable=False),
        sa.Column("clicked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        *(sa.Column(name, sa.Text) for name in (
            "wave_id", "voter_id", "variant", "route", "channel", "district_id", "message_sid",
        )),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("seconds_since_delivery", sa.Float),
        sa.Column("is_human", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("server_is_human", sa.Boolean, nullable=False),
        sa.Column("server_reason", sa.Text, nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    )  # fmt: skip
    op.create_index("click_events_person_touch", "click_events", ["voter_id", "clicked_at"],
                    postgresql_where=sa.text("is_human"))  # fmt: skip
    op.create_index(
        "click_events_awaiting_delivery", "click_events", ["message_sid"],
        postgresql_where=sa.text("delivered_at IS NULL AND message_sid IS NOT NULL"),
    )  # fmt: skip
    # The ingest cursor: every click id <= watermark is ingested or can no longer appear.
    op.create_table(
        "click_ingest_state",
        sa.Column("state_id", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("watermark", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("checkpoint_click_id", sa.BigInteger),
        sa.Column("checkpoint_xmax", sa.BigInteger),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.CheckConstraint("state_id = 1", name="click_ingest_state_single_row"),
    )


def _deliveries() -> None:
    op.create_table(
        "delivery_statuses",
        sa.Column("message_sid", sa.Text, primary_key=True),
        sa.Column("send_id", sa.BigInteger),
        sa.Column("wave_id", sa.Text),
        sa.Column("voter_id", sa.Text),
        sa.Column("variant", sa.Text),
        sa.Column("link_id", sa.BigInteger),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error_code", sa.Text),
        *(sa.Column(name, sa.DateTime(timezone=True)) for name in (
            "sent_at", "delivered_at", "first_status_at", "last_status_at",
        )),
        sa.Column("callbacks", sa.Integer, nullable=False),
    )  # fmt: skip
    op.create_index(
        "delivery_statuses_text_touch", "delivery_statuses", ["voter_id", "delivered_at"],
        postgresql_where=sa.text("delivered_at IS NOT NULL"),
    )  # fmt: skip


def _actions() -> None:
    op.create_table(
        "action_imports",
        sa.Column("import_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_matched", sa.Integer, nullable=False),
        sa.Column("rows_unmatched", sa.Integer, nullable=False),
        sa.Column("rows_quarantined", sa.Integer, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.UniqueConstraint("source", "sha256", name="action_imports_once_per_file"),
        sa.CheckConstraint(
            "rows_read = rows_matched + rows_unmatched + rows_quarantined",
            name="action_imports_accounting",
        ),
    )
    op.create_table(
        "actions",
        sa.Column("action_id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        # The export's own id (ActBlue receipt, Mobilize sign-up, ncid + election), so an
        # overlapping export imported later adds nothing twice.
        sa.Column("source_key", sa.Text, nullable=False),
        sa.Column("source_row", sa.Integer, nullable=False),
        sa.Column("action_type", sa.Text, nullable=False),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2)),
        sa.Column("voter_id", sa.Text),
        sa.Column("link_id", sa.BigInteger),
        sa.Column("refcode", sa.Text),
        sa.Column("match_rule", sa.Text, nullable=False),
        sa.Column("unmatched_reason", sa.Text),
        sa.Column("raw", postgresql.JSONB, nullable=False),
        sa.UniqueConstraint("source", "source_key", name="actions_once_per_source_key"),
        sa.CheckConstraint(
            "action_type IN ('donation', 'volunteer_signup', 'registered', 'address_updated',"
            " 'voted')",
            name="actions_type",
        ),
        sa.CheckConstraint(
            "match_rule IN ('voter_id', 'link_code', 'phone', 'name_zip', 'unmatched')",
            name="actions_match_rule",
        ),
        sa.CheckConstraint(
            "(match_rule = 'unmatched') = (unmatched_reason IS NOT NULL)",
            name="actions_unmatched_reason",
        ),
    )
    op.create_index("actions_voter_outcome", "actions", ["voter_id", "action_type", "acted_at"],
                    postgresql_where=sa.text("voter_id IS NOT NULL"))  # fmt: skip
    op.create_table(
        "action_quarantine",
        sa.Column("quarantine_id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.Integer, nullable=False),
        sa.Column("source_row", sa.Integer, nullable=False),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("raw", postgresql.JSONB, nullable=False),
    )
    op.create_index("action_quarantine_import", "action_quarantine", ["import_id", "reason"])


def _attribution() -> None:
    keys = ("wave_id", "variant", "route", "district_id")
    op.create_table(
        "action_touches",
        sa.Column("action_id", sa.BigInteger, nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("touch_kind", sa.Text, nullable=False),
        sa.Column("touch_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_hours", sa.Float, nullable=False),
        sa.Column("link_id", sa.BigInteger),
        sa.Column("click_id", sa.BigInteger),
        sa.Column("message_sid", sa.Text),
        *(sa.Column(name, sa.Text, nullable=False) for name in keys),
        sa.PrimaryKeyConstraint("action_id", "model"),
        sa.CheckConstraint("model IN ('last_touch', 'first_touch')", name="action_touches_model"),
        sa.CheckConstraint(
            "touch_kind IN ('refcode', 'click', 'text')", name="action_touches_kind"
        ),
    )
    op.create_table(
        "attribution_funnel",
        *(sa.Column(name, sa.Text, nullable=False) for name in keys),
        *(sa.Column(name, sa.BigInteger, nullable=False) for name in (
            "sent", "delivered", "segments",
        )),
        sa.Column("cost_usd", sa.Numeric(14, 4), nullable=False),
        *(sa.Column(name, sa.BigInteger, nullable=False) for name in (
            "clicks", "clicks_by_people", "clicks_by_machines", "people_who_clicked",
        )),
        sa.Column("delivery_rate", sa.Float),
        sa.Column("click_rate", sa.Float),
        sa.PrimaryKeyConstraint(*keys),
    )  # fmt: skip
    op.create_table(
        "attribution_actions",
        *(sa.Column(name, sa.Text, nullable=False) for name in (*keys, "model", "action_type")),
        sa.Column("actions", sa.BigInteger, nullable=False),
        sa.Column("voters", sa.BigInteger, nullable=False),
        sa.Column("amount_usd", sa.Numeric(14, 2), nullable=False),
        sa.Column("action_rate", sa.Float),
        sa.Column("cost_per_action", sa.Numeric(14, 4)),
        sa.PrimaryKeyConstraint(*keys, "model", "action_type"),
    )
    op.create_table(
        "holdout_lift",
        *(sa.Column(name, sa.Text, nullable=False) for name in (
            "wave_id", "action_type", "district_id",
        )),
        *(sa.Column(name, sa.BigInteger, nullable=False) for name in (
            "texted", "texted_acted", "holdout", "holdout_acted",
        )),
        *(sa.Column(name, sa.Float) for name in (
            "texted_rate", "holdout_rate", "abs_lift", "abs_lift_low", "abs_lift_high", "rel_lift",
            "rel_lift_low", "rel_lift_high", "incremental_actions", "cost_per_incremental_action",
        )),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("outcome_from", sa.DateTime(timezone=True)),
        sa.Column("outcome_to", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("wave_id", "action_type", "district_id"),
    )  # fmt: skip


def downgrade() -> None:
    for table in (
        "holdout_lift", "attribution_actions", "attribution_funnel", "action_touches",
        "action_quarantine", "actions", "action_imports", "delivery_statuses",
        "click_ingest_state", "click_events",
    ):  # fmt: skip
        op.drop_table(table)
