"""Everything Dagster loads for this code location. It gathers; it does not compute."""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar

from campaign_pipelines.assets.actions import actions
from campaign_pipelines.assets.attribution import attribution, holdout_lift
from campaign_pipelines.assets.clicks import clicks
from campaign_pipelines.assets.delivery_statuses import delivery_statuses
from campaign_pipelines.assets.destination_catalog import destination_catalog
from campaign_pipelines.assets.district_assignments import district_assignments
from campaign_pipelines.assets.district_layers import district_layers
from campaign_pipelines.assets.links import links
from campaign_pipelines.assets.suppression_list import suppression_list
from campaign_pipelines.assets.voter_routes import voter_routes
from campaign_pipelines.assets.voters import voter_file, voters
from campaign_pipelines.assets.wave_audience import wave_audience
from campaign_pipelines.assets.wave_messages import wave_messages
from campaign_pipelines.assets.wave_sends import wave_sends
from campaign_pipelines.db.server import DATABASE_URL_ENV
from campaign_pipelines.jobs import (
    attribution_job,
    links_job,
    routing_job,
    voters_and_districts_job,
)
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource, twilio_from_env
from campaign_pipelines.sensors.clicks_sensor import clicks_job, clicks_sensor
from campaign_pipelines.waves_schedule import wave_send_job, wave_window_sensor


def _postgres() -> PostgresResource:
    # With no URL configured the resource starts the embedded PostgreSQL itself.
    if os.environ.get(DATABASE_URL_ENV):
        return PostgresResource(url=EnvVar(DATABASE_URL_ENV))
    return PostgresResource()


def _campaign() -> CampaignConfigResource:
    if os.environ.get("CAMPAIGN_CONFIG"):
        return CampaignConfigResource(config_path=EnvVar("CAMPAIGN_CONFIG"))
    return CampaignConfigResource()


defs = Definitions(
    assets=[
        voter_file,
        voters,
        district_layers,
        district_assignments,
        destination_catalog,
        voter_routes,
        links,
        suppression_list,
        wave_audience,
        wave_messages,
        wave_sends,
        clicks,
        delivery_statuses,
        actions,
        attribution,
        holdout_lift,
    ],
    jobs=[
        voters_and_districts_job,
        routing_job,
        links_job,
        wave_send_job,
        clicks_job,
        attribution_job,
    ],
    sensors=[wave_window_sensor, clicks_sensor],
    resources={"postgres": _postgres(), "campaign": _campaign(), "twilio": twilio_from_env()},
)
