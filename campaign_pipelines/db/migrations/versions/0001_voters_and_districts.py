"""Voters, their quarantine, district layers and district assignments.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voter_file_loads",
        sa.Column("load_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("file_format", sa.Text, nullable=False),
        sa.Column("encoding", sa.Text, nullable=False),
        sa.Column("delimiter", sa.Text, nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_accepted", sa.Integer, nullable=False),
        sa.Column("rows_quarantined", sa.Integer, nullable=False),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint(
            "rows_read = rows_accepted + rows_quarantined", name="voter_file_loads_accounting"
        ),
    )
    op.create_table(
        "voters",
        sa.Column("voter_id", sa.Text, primary_key=True),
        sa.Column("load_id", sa.Integer, nullable=False),
        sa.Column("source_row", sa.Integer, nullable=False),
        *(
            sa.Column(name, sa.Text)
            for name in (
                "first_name", "middle_name", "last_name", "name_suffix", "status", "address",
                "city", "state", "zip_code", "phone_e164",
            )
        ),
        sa.Column("sms_opt_in", sa.Boolean),
        sa.Column("registration_date", sa.Date),
        *(
            sa.Column(name, sa.Text)
            for name in (
                "party", "birth_year", "county_fips", "county_name", "precinct_code",
                "precinct_name", "precinct_key", "congressional_district",
                "state_senate_district", "state_house_district",
            )
        ),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
    )  # fmt: skip
    op.create_index("voters_county_fips", "voters", ["county_fips"])
    op.create_table(
        "voter_quarantine",
        sa.Column("quarantine_id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("load_id", sa.Integer, nullable=False),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("source_row", sa.Integer, nullable=False),
        sa.Column("source_line", sa.Integer, nullable=False),
        sa.Column("voter_id", sa.Text),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("raw", postgresql.JSONB, nullable=False),
    )
    op.create_index("voter_quarantine_load", "voter_quarantine", ["load_id", "reason"])
    op.create_table(
        "district_layers",
        sa.Column("layer", sa.Text, nullable=False),
        sa.Column("district_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("vintage", sa.Text, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.Column("source_files", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("repaired", sa.Boolean, nullable=False),
        sa.Column("area_km2", sa.Float, nullable=False),
        sa.Column("geometry_wkb", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("layer", "district_id"),
    )
    op.create_table(
        "district_assignments",
        sa.Column("voter_id", sa.Text, nullable=False),
        sa.Column("layer", sa.Text, nullable=False),
        sa.Column("district_id", sa.Text),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("geo_verified", sa.Boolean, nullable=False),
        sa.Column("file_district_id", sa.Text),
        sa.Column("agrees", sa.Boolean),
        sa.PrimaryKeyConstraint("voter_id", "layer"),
        sa.CheckConstraint(
            "method IN ('spatial', 'voter_file', 'none')", name="district_assignments_method"
        ),
    )
    op.create_index("district_assignments_layer", "district_assignments", ["layer", "district_id"])


def downgrade() -> None:
    for table in (
        "district_assignments",
        "district_layers",
        "voter_quarantine",
        "voters",
        "voter_file_loads",
    ):
        op.drop_table(table)
