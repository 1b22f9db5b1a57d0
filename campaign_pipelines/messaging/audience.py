"""A wave's audience: every voter its district filters reach, each eligible or excluded with the
first reason (see ``eligibility``), and the campaign holdout drawn and kept (see ``holdout``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, and_, delete, exists, select, text

from campaign_pipelines.config.models import CampaignConfig
from campaign_pipelines.config.waves import WaveConfig
from campaign_pipelines.db.copy import copy_dataframe
from campaign_pipelines.db.schema import district_assignments, voters
from campaign_pipelines.db.schema import wave_audience as audience_table
from campaign_pipelines.messaging.eligibility import REASONS, exclusions
from campaign_pipelines.messaging.holdout import HOLDOUT, assign_arms, holdout_salt
from campaign_pipelines.messaging.queries import analyze

SUPPRESSED_NUMBERS = text(
    "SELECT phone_e164 FROM suppressions UNION SELECT phone_e164 FROM opt_outs WHERE opted_out"
)


@dataclass(frozen=True)
class Audience:
    frame: pd.DataFrame  # voter_id, exclusion, stratum, arm
    new_arms: int

    @property
    def eligible(self) -> int:
        return int(self.frame["exclusion"].isna().sum())

    def by_reason(self) -> dict[str, int]:
        counts = self.frame["exclusion"].value_counts()
        return {reason: int(counts.get(reason, 0)) for reason in REASONS}

    def holdout_by_stratum(self) -> pd.DataFrame:
        drawn = self.frame[self.frame["arm"].notna()]
        table = drawn.groupby("stratum").agg(
            drawn=("voter_id", "size"), holdout=("arm", lambda a: int((a == HOLDOUT).sum()))
        )
        return table.assign(share=table["holdout"] / table["drawn"]).reset_index()


def candidates_query(wave: WaveConfig, stratum_layer: str):
    """Voters matching every audience filter, with consent, phone and holdout stratum."""
    stratum = district_assignments.alias("stratum")
    filters = [
        exists().where(
            district_assignments.c.voter_id == voters.c.voter_id,
            district_assignments.c.layer == f.layer,
            district_assignments.c.district_id.in_(f.districts),
        )
        for f in wave.audience
    ]
    return (
        select(
            voters.c.voter_id,
            voters.c.phone_e164,
            voters.c.sms_opt_in,
            stratum.c.district_id.label("stratum"),
        )
        .select_from(
            voters.outerjoin(
                stratum,
                and_(stratum.c.voter_id == voters.c.voter_id, stratum.c.layer == stratum_layer),
            )
        )
        .where(*filters)
        .order_by(voters.c.voter_id)
    )


def build_audience(conn: Connection, config: CampaignConfig, wave: WaveConfig) -> Audience:
    """Decide the wave's audience and write it to ``wave_audience`` (and new arms to
    ``holdout_assignments``) inside the caller's transaction."""
    messaging = config.messaging
    candidates = pd.read_sql(candidates_query(wave, messaging.holdout_stratum_layer), conn)
    suppressed = set(conn.execute(SUPPRESSED_NUMBERS).scalars())
    candidates["exclusion"] = exclusions(candidates, suppressed)

    drawable = candidates[candidates["exclusion"].isna()]
    new_arms = _draw_arms(conn, config, drawable, fraction=wave.holdout_fraction)
    arms = _arms(conn, config.campaign.id)
    candidates["arm"] = candidates["voter_id"].map(arms).where(candidates["exclusion"].isna())
    held = candidates["arm"].eq(HOLDOUT)
    candidates.loc[held, "exclusion"] = "holdout"

    frame = candidates[["voter_id", "exclusion", "stratum", "arm"]]
    conn.execute(delete(audience_table).where(audience_table.c.wave_id == wave.id))
    copy_dataframe(conn, "wave_audience", frame.drop(columns="arm").assign(wave_id=wave.id))
    analyze(conn, "wave_audience")
    return Audience(frame, new_arms)


def _draw_arms(
    conn: Connection, config: CampaignConfig, drawable: pd.DataFrame, *, fraction: float
) -> int:
    campaign_id = config.campaign.id
    existing = pd.read_sql(
        text("SELECT voter_id, arm, stratum FROM holdout_assignments WHERE campaign_id = :c"),
        conn,
        params={"c": campaign_id},
    )
    salt = holdout_salt(config.messaging.holdout_seed, campaign_id)
    new = assign_arms(drawable[["voter_id", "stratum"]], existing, fraction=fraction, salt=salt)
    if new.empty:
        return 0
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE new_arms"
            " (voter_id text, arm text, stratum text, draw double precision) ON COMMIT DROP"
        )
    )
    copy_dataframe(conn, "new_arms", new)
    # A concurrent run of another wave may have drawn the same voter: the first arm stands.
    return conn.execute(
        text(
            "INSERT INTO holdout_assignments (campaign_id, voter_id, arm, stratum, draw)"
            " SELECT :c, voter_id, arm, stratum, draw FROM new_arms"
            " ON CONFLICT (campaign_id, voter_id) DO NOTHING"
        ),
        {"c": campaign_id},
    ).rowcount


def _arms(conn: Connection, campaign_id: str) -> pd.Series:
    rows = conn.execute(
        text("SELECT voter_id, arm FROM holdout_assignments WHERE campaign_id = :c"),
        {"c": campaign_id},
    ).all()
    return pd.Series({voter_id: arm for voter_id, arm in rows}, dtype=object)


def suppressed_in_audience(conn: Connection, wave_id: str) -> tuple[int, list[str]]:
    """Eligible voters whose number is suppressed or opted out: must be none."""
    rows = conn.execute(
        text(
            "SELECT a.voter_id FROM wave_audience a JOIN voters v USING (voter_id)"
            " WHERE a.wave_id = :w AND a.exclusion IS NULL AND (v.phone_e164 IN"
            " (SELECT phone_e164 FROM suppressions UNION"
            "  SELECT phone_e164 FROM opt_outs WHERE opted_out))"
            " ORDER BY a.voter_id"
        ),
        {"w": wave_id},
    ).scalars()
    found = list(rows)
    return len(found), found[:5]
