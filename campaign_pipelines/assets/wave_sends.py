"""Wave sends: every text of a wave, sent once, inside each voter's hours, at the carriers' pace."""

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)

from campaign_pipelines.assets._checks import OWNERS, plain_result
from campaign_pipelines.messaging.audit import sent_after_opt_out, sent_outside_hours
from campaign_pipelines.messaging.outcome import WaveOutcome, wave_outcome
from campaign_pipelines.messaging.policy import (
    SendPolicy,
    UnknownWave,
    configured_wave,
    send_policy,
)
from campaign_pipelines.messaging.send_states import WaveBusy
from campaign_pipelines.messaging.sender import ProviderUnavailable, SendReport, WaveSender
from campaign_pipelines.messaging.twilio_gateway import AccountError
from campaign_pipelines.partitions import wave_partitions
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.resources.twilio import TwilioResource

SEND_CHECKS = [
    AssetCheckSpec("no_text_outside_texting_hours", asset="wave_sends",
                   description="Every text of the wave was accepted while the voter's local "
                   "clock was inside their state's texting hours."),
    AssetCheckSpec("no_text_after_opt_out", asset="wave_sends",
                   description="No text was submitted to a number after it opted out or was "
                   "suppressed."),
]  # fmt: skip


@asset(
    deps=["wave_messages"],
    partitions_def=wave_partitions,
    group_name="waves",
    owners=OWNERS,
    kinds={"postgres", "twilio"},
    check_specs=SEND_CHECKS,
    tags={"pii": "true"},
)
def wave_sends(
    context: AssetExecutionContext,
    postgres: PostgresResource,
    campaign: CampaignConfigResource,
    twilio: TwilioResource,
) -> MaterializeResult:
    """One row per voter of a wave with the fate of their text: sent (with Twilio's message
    SID), deferred to the next opening of their local texting hours, failed with the reason
    Twilio gave (unsubscribed, invalid or landline numbers go on the suppression list), or
    skipped (the wave closed, or the voter opted out or left the audience first). Each text is
    recorded as intended before Twilio is called, so re-runs and crashes never text anyone
    twice; a send whose outcome was lost is settled by asking Twilio, never by sending again."""
    config = campaign.load()
    try:
        wave = configured_wave(config, context.partition_key)
    except UnknownWave as e:
        raise Failure(description=str(e)) from e
    policy = send_policy(
        config, wave, workers=twilio.workers, settle_seconds=twilio.lookup_settle_seconds
    )
    context.log.info("sending wave %s at up to %g segments/s", wave.id, wave.segments_per_second)

    engine = postgres.engine()
    try:
        report = WaveSender(engine, twilio.gateway(), policy).run()
    except (AccountError, ProviderUnavailable, WaveBusy) as e:
        raise Failure(description=str(e)) from e
    with engine.connect() as conn:
        outcome = wave_outcome(conn, wave.id)
        hours = sent_outside_hours(conn, wave.id, policy.hours_for, config.campaign.timezone)
        after_opt_out = sent_after_opt_out(conn, wave.id)

    context.log.info(
        "wave %s: this run sent %d (%d segments, %.1f/s), %d failed, %d deferred; "
        "wave total %d sent, %d deferred",
        wave.id, report.sent, report.segments_sent, report.achieved_per_second,
        sum(report.failed.values()), report.deferred, outcome.sent, outcome.deferred,
    )  # fmt: skip
    if outcome.deferred and not report.sent:
        context.log.warning(
            "wave %s: nothing sent now; %d voters wait for their texting hours (next at %s)",
            wave.id, outcome.deferred, outcome.next_send_at,
        )  # fmt: skip
    if outcome.pending:
        # Planned but not sent: held back after Twilio refused or could not be reached, or a
        # run stopped early; the wave is not finished until they go.
        context.log.warning(
            "wave %s: %d texts still to send (earliest retry at %s); the wave sensor or a"
            " re-run sends them", wave.id, outcome.pending, outcome.next_retry_at,
        )  # fmt: skip
    return MaterializeResult(
        metadata=_metadata(report, outcome, policy),
        check_results=_checks(hours, after_opt_out),
    )


def _metadata(report: SendReport, outcome: WaveOutcome, policy: SendPolicy) -> dict:
    states = "planned | deferred | submitting | sent | failed | skipped"
    return {
        "dagster/row_count": MetadataValue.int(outcome.total),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(
                columns=[
                    TableColumn("send_id", "bigint"),
                    TableColumn("wave_id", "text"),
                    TableColumn("voter_id", "text"),
                    TableColumn("state", "text", description=states),
                    TableColumn("message_sid", "text"),
                    TableColumn("error_code", "text"),
                    TableColumn("error_reason", "text"),
                    TableColumn("not_before", "timestamptz"),
                ]
            )
        ),
        "outcome": MetadataValue.json(outcome.as_dict()),
        "sent": MetadataValue.int(outcome.sent),
        "deferred": MetadataValue.int(outcome.deferred),
        "still_to_send": MetadataValue.int(outcome.pending),
        "failed": MetadataValue.int(sum(outcome.failed.values())),
        "this_run": MetadataValue.json(
            {**report.as_dict(), "segments_per_second_cap": policy.segments_per_second}
        ),
    }


def _checks(hours: tuple[int, int, list[int]], after_opt_out: tuple[int, list[int]]) -> list:
    checked, outside, outside_sample = hours
    late, late_sample = after_opt_out
    return [
        plain_result(
            "no_text_outside_texting_hours",
            outside == 0,
            f"{outside:,} of {checked:,} texts accepted outside the voter's local hours",
            metadata={"sample_send_ids": MetadataValue.json(outside_sample)},
        ),
        plain_result(
            "no_text_after_opt_out",
            late == 0,
            f"{late:,} texts submitted after the number opted out or was suppressed",
            metadata={"sample_send_ids": MetadataValue.json(late_sample)},
        ),
    ]
