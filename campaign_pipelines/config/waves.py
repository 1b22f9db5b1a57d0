"""Waves of texts in the campaign config: who gets which message, when, and how fast."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from campaign_pipelines.config.base import Strict


class MessageVariant(Strict):
    """One A/B variant: a template with placeholders such as {first_name} and {link}."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    template: str
    weight: float = Field(default=1.0, gt=0)


class AudienceFilter(Strict):
    """Voters whose district in ``layer`` is one of ``districts``."""

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


class MessagingConfig(Strict):
    waves: list[WaveConfig] = Field(default_factory=list)
    opt_out_language: str = "Reply STOP to opt out."
    cost_per_segment_usd: float = Field(default=0.0083, ge=0)

    @model_validator(mode="after")
    def _unique_wave_ids(self) -> MessagingConfig:
        ids = [w.id for w in self.waves]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"wave ids must be unique; repeated: {dupes}")
        return self

    def wave(self, wave_id: str) -> WaveConfig:
        for wave in self.waves:
            if wave.id == wave_id:
                return wave
        raise KeyError(f"no wave {wave_id!r} in the campaign config")
