"""Typed shape of a campaign config file.

Paths may use two placeholders: ``{data_dir}`` (the public data folder, see ``paths.data_dir``)
and ``{state_dir}`` (the local state folder). Other relative paths resolve against the folder of
the config file itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import Field, field_validator, model_validator

from campaign_pipelines.config.base import Strict as _Strict
from campaign_pipelines.config.links import LinksConfig
from campaign_pipelines.config.waves import MessagingConfig


class CampaignInfo(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str
    state: str = Field(pattern=r"^[A-Z]{2}$")
    timezone: str = "America/New_York"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        # Zones without a region ("EST", "localtime") ignore daylight saving or follow the
        # machine; only region zones and UTC are accepted.
        regional = "/" in zone or zone == "UTC"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            regional = False
        if not regional:
            raise ValueError(
                f"{zone!r} is not an IANA time zone; use a name such as America/New_York"
            )
        return zone


class VoterFileConfig(_Strict):
    """The voter file to ingest.

    ``format``: ``ncsbe`` is the NC State Board of Elections ``ncvoter`` layout (tab-delimited);
    ``vendor_csv`` is any delimited file whose columns are named in ``columns`` (canonical field ->
    the file's column; see docs for the canonical fields).
    """

    path: str
    format: Literal["ncsbe", "vendor_csv"] = "ncsbe"
    encoding: Literal["auto", "utf-8", "utf-8-sig", "cp1252", "latin-1"] = "auto"
    delimiter: Literal["auto", "\t", ",", "|"] = "auto"
    columns: dict[str, str] = Field(default_factory=dict)
    phone_region: str = "US"

    @field_validator("phone_region", mode="before")
    @classmethod
    def _quoted_region(cls, region: object) -> object:
        if isinstance(region, bool):  # YAML 1.1 reads an unquoted NO (Norway) as false
            raise ValueError(
                "write the region in quotes: YAML reads NO, YES, ON and OFF as true or false"
            )
        return region

    @field_validator("phone_region")
    @classmethod
    def _known_region(cls, region: str) -> str:
        # A region phonenumbers does not know would quarantine every local-format number.
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{region!r} is not a phone region; use an ISO code such as US")
        return region

    @model_validator(mode="after")
    def _vendor_needs_columns(self) -> VoterFileConfig:
        if self.format == "vendor_csv":
            missing = {"voter_id", "first_name", "last_name"} - set(self.columns)
            if missing:
                raise ValueError(f"a vendor_csv voter file must map {sorted(missing)} in 'columns'")
        return self


# The voter-file columns that carry a district code, one of which a layer may name as its
# ``voter_file_field`` (its fallback and agreement check); ``precinct_key`` is built from the
# county and precinct code when the file is read.
FILE_DISTRICT_FIELDS = (
    "congressional_district",
    "state_senate_district",
    "state_house_district",
    "county_fips",
    "precinct_key",
)


class DistrictLayerConfig(_Strict):
    """One district layer: polygon files, the column(s) giving the district id, and its vintage."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    label: str
    files: list[str] = Field(min_length=1)
    id_columns: list[str] = Field(min_length=1)
    name_column: str | None = None
    numeric_id: bool = False
    vintage: str
    current: bool = True
    filter: dict[str, str] = Field(default_factory=dict)
    voter_file_field: str | None = None
    # Share of the state outline the layer must cover; None for layers that cover only part of
    # the state (e.g. precincts for a few counties).
    min_coverage: float | None = Field(default=0.98, ge=0.0, le=1.0)

    @field_validator("files")
    @classmethod
    def _no_blank_paths(cls, files: list[str]) -> list[str]:
        if any(not f.strip() for f in files):
            raise ValueError("file paths must not be blank")
        return files

    @field_validator("voter_file_field")
    @classmethod
    def _known_file_field(cls, field: str | None) -> str | None:
        # A misspelt field would silently leave the layer without its fallback and agreement.
        if field is not None and field not in FILE_DISTRICT_FIELDS:
            raise ValueError(
                f"{field!r} is not a voter-file district field; use one of "
                + ", ".join(FILE_DISTRICT_FIELDS)
            )
        return field


class DistrictsConfig(_Strict):
    working_crs: str = "EPSG:4326"
    state_outline: str | None = None
    layers: list[DistrictLayerConfig] = Field(min_length=1)
    min_agreement_rate: float = Field(default=0.95, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _unique_layer_names(self) -> DistrictsConfig:
        names = [layer.name for layer in self.layers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"layer names must be unique; repeated: {dupes}")
        return self


class CampaignConfig(_Strict):
    campaign: CampaignInfo
    voter_file: VoterFileConfig
    districts: DistrictsConfig
    links: LinksConfig = Field(default_factory=LinksConfig)
    messaging: MessagingConfig = Field(default_factory=MessagingConfig)
    # Filled in by the loader: where the file came from, to resolve relative paths.
    source_path: Path | None = Field(default=None, exclude=True)

    def layer(self, name: str) -> DistrictLayerConfig:
        for layer in self.districts.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"no district layer named {name!r} in {self.source_path}")
