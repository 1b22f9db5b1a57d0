"""What decides when and how fast a wave's texts go out, built from the campaign config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from campaign_pipelines.config.models import CampaignConfig
from campaign_pipelines.config.waves import WaveConfig
from campaign_pipelines.rules.quiet_hours import DEFAULT_WINDOW, TextingWindow


@dataclass(frozen=True)
class SendPolicy:
    """Everything about one wave that the sender obeys."""

    wave_id: str
    messaging_service_sid: str
    opens_at: datetime
    closes_at: datetime
    segments_per_second: float | None
    campaign_timezone: str
    default_hours: TextingWindow = DEFAULT_WINDOW
    state_hours: Mapping[str, TextingWindow] = field(default_factory=dict)
    daily_cap: int | None = None
    # Waves sharing this wave's sender: the daily cap is the sender's, not the wave's.
    cap_wave_ids: tuple[str, ...] = ()
    batch_size: int = 100
    workers: int = 4
    max_attempts: int = 6
    # How long after a create Twilio's list is trusted to show it; waited before a lookup.
    settle_seconds: float = 5.0

    def hours_for(self, home_state: str | None) -> TextingWindow:
        if home_state is None:
            return self.default_hours
        return self.state_hours.get(home_state.upper(), self.default_hours)


class UnknownWave(KeyError):
    """A partition (wave id) that the campaign config does not define."""

    def __str__(self) -> str:
        return str(self.args[0])


def configured_wave(config: CampaignConfig, wave_id: str) -> WaveConfig:
    try:
        return config.messaging.wave(wave_id)
    except KeyError as e:
        raise UnknownWave(
            f"{config.source_path}: no wave {wave_id!r} in messaging.waves "
            f"(configured: {[w.id for w in config.messaging.waves]})"
        ) from e


def send_policy(
    config: CampaignConfig, wave: WaveConfig, *, workers: int, settle_seconds: float
) -> SendPolicy:
    messaging = config.messaging
    hours = messaging.texting_hours
    return SendPolicy(
        wave_id=wave.id,
        messaging_service_sid=wave.messaging_service_sid,
        opens_at=wave.window.opens_at,
        closes_at=wave.window.closes_at,
        segments_per_second=wave.segments_per_second,
        campaign_timezone=config.campaign.timezone,
        default_hours=TextingWindow(hours.start, hours.end),
        state_hours={
            state: TextingWindow(h.start, h.end)
            for state, h in messaging.state_texting_hours.items()
        },
        daily_cap=wave.daily_cap,
        cap_wave_ids=tuple(
            w.id for w in messaging.waves if w.messaging_service_sid == wave.messaging_service_sid
        ),
        # About a second of sending per batch: few rows to look up after a crash, few commits.
        batch_size=max(20, min(500, round(wave.segments_per_second))),
        workers=workers,
        settle_seconds=settle_seconds,
    )
