"""Dagster resources: the warehouse database, the campaign configuration and Twilio."""

from campaign_pipelines.resources.campaign import CampaignConfigResource
from campaign_pipelines.resources.postgres import PostgresResource
from campaign_pipelines.resources.twilio import TwilioResource, twilio_from_env

__all__ = ["CampaignConfigResource", "PostgresResource", "TwilioResource", "twilio_from_env"]
