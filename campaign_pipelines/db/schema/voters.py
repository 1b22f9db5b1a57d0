"""Voters, their quarantine, district layers and assignments (migration 0001)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from campaign_pipelines.db.schema.base import metadata

voter_file_loads = Table(
    "voter_file_loads",
    metadata,
    Column("load_id", Integer, primary_key=True, autoincrement=True),
    Column("source_file", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("file_format", Text, nullable=False),
    Column("encoding", Text, nullable=False),
    Column("delimiter", Text, nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_accepted", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(
        "rows_read = rows_accepted + rows_quarantined", name="voter_file_loads_accounting"
    ),
)

voters = Table(
    "voters",
    metadata,
    Column("voter_id", Text, primary_key=True),
    Column("load_id", Integer, nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("first_name", Text),
    Column("middle_name", Text),
    Column("last_name", Text),
    Column("name_suffix", Text),
    Column("status", Text),
    Column("address", Text),
    Column("city", Text),
    Column("state", Text),
    Column("zip_code", Text),
    Column("phone_e164", Text),
    Column("sms_opt_in", Boolean),
    Column("registration_date", Date),
    Column("party", Text),
    Column("birth_year", Text),
    Column("county_fips", Text),
    Column("county_name", Text),
    Column("precinct_code", Text),
    Column("precinct_name", Text),
    Column("precinct_key", Text),
    Column("congressional_district", Text),
    Column("state_senate_district", Text),
    Column("state_house_district", Text),
    Column("latitude", Float),
    Column("longitude", Float),
    Index("voters_county_fips", "county_fips"),
)

voter_quarantine = Table(
    "voter_quarantine",
    metadata,
    Column("quarantine_id", BigInteger, primary_key=True, autoincrement=True),
    Column("load_id", Integer, nullable=False),
    Column("source_file", Text, nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("source_line", Integer, nullable=False),
    Column("voter_id", Text),
    Column("field", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("raw", JSONB, nullable=False),
    Index("voter_quarantine_load", "load_id", "reason"),
)

district_layers = Table(
    "district_layers",
    metadata,
    Column("layer", Text, nullable=False),
    Column("district_id", Text, nullable=False),
    Column("name", Text),
    Column("vintage", Text, nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("source_files", ARRAY(Text), nullable=False),
    Column("repaired", Boolean, nullable=False),
    Column("area_km2", Float, nullable=False),
    Column("geometry_wkb", LargeBinary, nullable=False),
    PrimaryKeyConstraint("layer", "district_id"),
)

district_assignments = Table(
    "district_assignments",
    metadata,
    Column("voter_id", Text, nullable=False),
    Column("layer", Text, nullable=False),
    Column("district_id", Text),
    Column("method", Text, nullable=False),
    Column("geo_verified", Boolean, nullable=False),
    Column("file_district_id", Text),
    Column("agrees", Boolean),
    PrimaryKeyConstraint("voter_id", "layer"),
    CheckConstraint(
        "method IN ('spatial', 'voter_file', 'none')", name="district_assignments_method"
    ),
    Index("district_assignments_layer", "layer", "district_id"),
)
