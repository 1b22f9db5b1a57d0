"""Waves of texts in the campaign config: who gets which message, when, and how fast.

A wave is one message (in A/B variants) sent once to each eligible voter in its audience, inside
its send window and each voter's local texting hours. Waves become Dagster partitions named by
their ``id``. Everything that limits sending (rate, daily cap, hours) is set here, where staff
and counsel can read it.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Literal

from pydantic import Field, field_validator, model_validator

from campaign_pipelines.config.base import Strict
from campaign_pipelines.messaging.rendering import (
    PLACE_FIELDS,
    VOTER_FIELDS,
    TemplateError,
    check_template,
)


class MessageVariant(Strict):
    """One A/B variant: a template with placeholders such as {first_name} and {link}."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    template: str = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)


class AudienceFilter(Strict):
    """Voters whose district in ``layer`` is one of ``districts``; several filters must all
    match."""

    layer: str
    districts: list[str] = Field(min_length=1)


class SendWindow(Strict):
    opens_at: datetime
    closes_at: datetime

    @model_validator(mode="after")
    def _ordered(self) -> SendWindow:
        if self.opens_at.tzinfo is None or self.closes_at.tzinfo is None:
            raise ValueError("send window times need a UTC offset, e.g. 2026-10-20T09:00:00-04:00")
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self


class TextingHours(Strict):
    """Local wall-clock hours in which a voter may be texted: from ``start`` up to ``end``."""

    start: time = time(8)
    end: time = time(21)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        # YAML reads an unquoted 21:00 as the base-60 number 1260, which pydantic would take
        # for seconds past midnight (00:21 UTC): say how to write it instead.
        if isinstance(value, int | float):
            raise ValueError(
                f'write a clock time in quotes, like "21:00" (YAML reads an unquoted time '
                f"such as 21:00 as the number {value})"
            )
        return value

    @field_validator("start", "end")
    @classmethod
    def _local_time(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("texting hours are the voter's local time; leave out the offset")
        return value

    @model_validator(mode="after")
    def _same_day(self) -> TextingHours:
        if self.start >= self.end:
            raise ValueError(
                f"texting hours must start before they end on the same day, "
                f"got {self.start.isoformat()}-{self.end.isoformat()}"
            )
        return self


class SuppressionFile(Strict):
    """A list of numbers from another tool: opt-outs exported from a texting vendor, or a
    line-type lookup that found landlines. One number per row in ``phone_column``."""

    path: str
    source: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")
    phone_column: str = "phone"
    reason: Literal["opt_out", "landline", "invalid_number"] = "opt_out"


class WaveConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    name: str
    routes: list[str] = Field(min_length=1)
    variants: list[MessageVariant] = Field(min_length=1)
    audience: list[AudienceFilter] = Field(default_factory=list)
    window: SendWindow
    holdout_fraction: float = Field(default=0.1, ge=0.0, lt=1.0)
    messaging_service_sid: str = Field(pattern=r"^MG[0-9a-fA-F]{32}$")
    segments_per_second: float = Field(default=10.0, gt=0)
    daily_cap: int | None = Field(default=None, gt=0)
    max_segments: int = Field(default=3, ge=1, le=10)
    append_opt_out: bool = True
    # Used when a voter has no value for a field, e.g. {first_name: "there"}; without one, a
    # missing value fails the wave rather than texting "Hi ,".
    fallbacks: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _templates_use_known_fields(self) -> WaveConfig:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names must be unique within a wave; got {names}")
        for variant in self.variants:
            try:
                check_template(
                    variant.template, routes=self.routes, label=self.template_label(variant)
                )
            except TemplateError as e:
                raise ValueError(str(e)) from e
        # A link has no stand-in: a voter without one must stop the wave, not get another's.
        unknown = sorted(set(self.fallbacks) - {*VOTER_FIELDS, *PLACE_FIELDS})
        if unknown:
            raise ValueError(
                f"fallbacks may be given for {[*VOTER_FIELDS, *PLACE_FIELDS]}, not {unknown}"
            )
        return self

    def template_label(self, variant: MessageVariant) -> str:
        return f"wave {self.id} variant {variant.name}"


class MessagingConfig(Strict):
    waves: list[WaveConfig] = Field(default_factory=list)
    opt_out_language: str = "Reply STOP to opt out."
    cost_per_segment_usd: float = Field(default=0.0083, ge=0)
    texting_hours: TextingHours = Field(default_factory=TextingHours)
    # Two-letter state code -> narrower hours where counsel says a state requires them.
    state_texting_hours: dict[str, TextingHours] = Field(default_factory=dict)
    suppression_files: list[SuppressionFile] = Field(default_factory=list)
    # The holdout is one control group for the whole campaign, drawn by a hash of this seed,
    # the campaign id and the voter id, within strata of this district layer.
    holdout_seed: str = Field(default="holdout-v1", min_length=1)
    holdout_stratum_layer: str = "congressional"

    @field_validator("state_texting_hours")
    @classmethod
    def _state_codes(cls, hours: dict[str, TextingHours]) -> dict[str, TextingHours]:
        bad = sorted(code for code in hours if len(code) != 2 or not code.isupper())
        if bad:
            raise ValueError(f"state_texting_hours keys must be two-letter state codes; got {bad}")
        return hours

    @model_validator(mode="after")
    def _unique_wave_ids(self) -> MessagingConfig:
        ids = [w.id for w in self.waves]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"wave ids must be unique; repeated: {dupes}")
        return self

    @model_validator(mode="after")
    def _one_holdout_per_campaign(self) -> MessagingConfig:
        fractions = {w.id: w.holdout_fraction for w in self.waves}
        if len(set(fractions.values())) > 1:
            raise ValueError(
                "every wave must use the same holdout_fraction, because the holdout is one "
                f"control group kept across the campaign's waves; got {fractions}"
            )
        return self

    def wave(self, wave_id: str) -> WaveConfig:
        for wave in self.waves:
            if wave.id == wave_id:
                return wave
        raise KeyError(f"no wave {wave_id!r} in the campaign config")

    def hours_for(self, state: str | None) -> TextingHours:
        if state is None:
            return self.texting_hours
        return self.state_texting_hours.get(state.strip().upper(), self.texting_hours)
