"""Destinations, routes, link policy, ZIP districts, voter routes and links (one short code per
wave, voter and route).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The catalog of places a link can land: polling places, donation/volunteer/candidate pages.
    op.create_table(
        "destinations",
        sa.Column("destination_key", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("address", sa.Text),
        sa.Column("hours", sa.Text),
        sa.Column("maps_url", sa.Text),
        sa.Column("county_fips", sa.Text),
        sa.Column("precinct_key", sa.Text),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("details", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )  # fmt: skip
    # Routes as published from the campaign config: rules evaluated at click time.
    op.create_table(
        "routes",
        sa.Column("route", sa.Text, primary_key=True),
        sa.Column("rules", postgresql.JSONB, nullable=False),
        sa.Column("fallback_key", sa.Text, nullable=False),
        sa.Column("utm", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )  # fmt: skip
    # What the click-time resolver trusts: the allow-list, the link server's own base URL (for
    # the campaign's polling-place pages) and the zone for links without a voter.
    op.create_table(
        "link_policy",
        sa.Column("policy_id", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("base_url", sa.Text, nullable=False),
        sa.Column("allowed_domains", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("timezone", sa.Text, nullable=False),
        sa.Column("state", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("policy_id = 1", name="link_policy_single_row"),
    )  # fmt: skip
    # ZIP -> most common district (per layer, county, state, zone) among the voters with that
    # ZIP: there are no ZCTA polygons, so shared links route a typed ZIP through this.
    op.create_table(
        "zip_districts",
        sa.Column("zip_code", sa.Text, nullable=False),
        sa.Column("attribute", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("voters", sa.Integer, nullable=False),
        sa.Column("share", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("zip_code", "attribute"),
    )
    op.create_table(
        "voter_routes",
        sa.Column("voter_id", sa.Text, nullable=False),
        sa.Column("route", sa.Text, nullable=False),
        sa.Column("destination_key", sa.Text),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("is_fallback", sa.Boolean, nullable=False),
        sa.Column("fallback_reason", sa.Text),
        sa.Column("timezone", sa.Text),
        sa.Column("context", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("voter_id", "route"),
    )
    op.create_table(
        "links",
        sa.Column("link_id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("wave_id", sa.Text),
        sa.Column("voter_id", sa.Text),
        sa.Column("route", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False, server_default="sms"),
        sa.Column("variant", sa.Text),
        sa.Column("placement", sa.Text),
        sa.Column("destination_key", sa.Text),
        sa.Column("destination_url", sa.Text),
        sa.Column("utm", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("timezone", sa.Text),
        # The voter's attributes the route's rules read (district ids, county, precinct), so
        # click-time rules decide without a lookup.
        sa.Column("context", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("status", sa.Text, nullable=False, server_default="active"),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.UniqueConstraint("code", name="links_code_unique"),
        sa.CheckConstraint("status IN ('active', 'disabled')", name="links_status"),
        sa.CheckConstraint("voter_id IS NULL OR wave_id IS NOT NULL", name="links_voter_has_wave"),
    )  # fmt: skip
    op.create_index(
        "links_wave_voter_route",
        "links",
        ["wave_id", "voter_id", "route", "channel"],
        unique=True,
        postgresql_where=sa.text("voter_id IS NOT NULL"),
    )
    op.create_index(
        "links_placement", "links", ["placement"], unique=True,
        postgresql_where=sa.text("placement IS NOT NULL"),
    )  # fmt: skip


def downgrade() -> None:
    tables = ("links", "voter_routes", "zip_districts", "link_policy", "routes", "destinations")
    for table in tables:
        op.drop_table(table)
