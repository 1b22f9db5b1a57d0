"""From the campaign config to what the sender needs: the wave's ``SendPolicy``."""

from __future__ import annotations

from campaign_pipelines.config.models import CampaignConfig
from campaign_pipelines.config.waves import WaveConfig
from campaign_pipelines.messaging.sender import SendPolicy
from campaign_pipelines.messaging.texting_hours import window


class UnknownWave(KeyError):
    """A partition (wave id) that the campaign config does not define."""


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
        default_hours=window(hours.start, hours.end),
        state_hours={
            state: window(h.start, h.end) for state, h in messaging.state_texting_hours.items()
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
