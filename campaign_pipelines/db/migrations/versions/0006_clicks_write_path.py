"""Clicks: drop the (link_id, clicked_at) index the link server paid for on every click.

No query reads ``clicks`` by link: attribution pages through it by ``click_id`` and joins links
there, and per-link reports read ``click_events``. The index was the costliest of the three the
table had (random inserts across every hot link, one per click, on the redirect's critical path:
a click is answered only after its batch commits). What stays: the primary key that click
ingestion pages by, and the unique ``click_uuid`` that makes a spool replay idempotent.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("clicks_link_time", table_name="clicks")


def downgrade() -> None:
    op.create_index("clicks_link_time", "clicks", ["link_id", "clicked_at"])
