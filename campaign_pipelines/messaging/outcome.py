"""A wave's outcome in counts: who was texted, deferred, failed (by reason) or never attempted
(by reason), and who was left out of the audience (by reason). For metadata and the demo."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, text

from campaign_pipelines.config.models import CampaignConfig
from campaign_pipelines.config.waves import WaveConfig
from campaign_pipelines.messaging.forecast import Forecast, forecast


@dataclass(frozen=True)
class WaveOutcome:
    wave_id: str
    sent: int = 0
    segments_sent: int = 0
    deferred: int = 0
    pending: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)
    next_send_at: datetime | None = None
    # The earliest a planned text may go: later than now after Twilio refused or was away.
    next_retry_at: datetime | None = None

    @property
    def total(self) -> int:
        """Intents recorded for the wave, whatever their state."""
        return (
            self.sent + self.deferred + self.pending
            + sum(self.failed.values()) + sum(self.skipped.values())
        )  # fmt: skip

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "segments_sent": self.segments_sent,
            "deferred": self.deferred,
            "pending": self.pending,
            "failed": self.failed,
            "skipped": self.skipped,
            "excluded": self.excluded,
            "next_send_at": self.next_send_at.isoformat() if self.next_send_at else None,
            "next_retry_at": self.next_retry_at.isoformat() if self.next_retry_at else None,
        }


def wave_outcome(conn: Connection, wave_id: str) -> WaveOutcome:
    params = {"w": wave_id}
    sends = conn.execute(
        text(
            "SELECT state, coalesce(error_reason, '') AS reason, count(*) AS n,"
            " coalesce(sum(segments), 0) AS segments, min(not_before) AS next_at"
            " FROM sends WHERE wave_id = :w GROUP BY 1, 2"
        ),
        params,
    ).all()
    excluded = conn.execute(
        text(
            "SELECT exclusion, count(*) FROM wave_audience"
            " WHERE wave_id = :w AND exclusion IS NOT NULL GROUP BY 1 ORDER BY 2 DESC"
        ),
        params,
    ).all()
    by_state = {(r.state, r.reason): r for r in sends}
    sent = by_state.get(("sent", ""))
    deferred = by_state.get(("deferred", ""))
    return WaveOutcome(
        wave_id=wave_id,
        sent=sent.n if sent else 0,
        segments_sent=int(sent.segments) if sent else 0,
        deferred=deferred.n if deferred else 0,
        pending=sum(r.n for r in sends if r.state in ("planned", "submitting")),
        failed={r.reason: r.n for r in sends if r.state == "failed"},
        skipped={r.reason: r.n for r in sends if r.state == "skipped"},
        excluded={reason: n for reason, n in excluded},
        next_send_at=deferred.next_at if deferred else None,
        next_retry_at=min(
            (r.next_at for r in sends if r.state == "planned" and r.next_at is not None),
            default=None,
        ),
    )


def wave_forecast(conn: Connection, config: CampaignConfig, wave: WaveConfig) -> Forecast:
    """The forecast of the wave's rendered messages, as ``wave_messages`` shows it."""
    rows = conn.execute(
        text("SELECT segments, encoding FROM wave_messages WHERE wave_id = :w"), {"w": wave.id}
    ).all()
    hours = config.messaging.texting_hours
    return forecast(
        [r.segments for r in rows],
        sum(r.encoding == "UCS-2" for r in rows),
        segments_per_second=wave.segments_per_second,
        daily_cap=wave.daily_cap,
        cost_per_segment_usd=config.messaging.cost_per_segment_usd,
        hours=(hours.start, hours.end),
    )
