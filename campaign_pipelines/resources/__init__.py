"""Dagster resources: the warehouse database and the campaign configuration."""

from campaign_pipelines.resources.campaign import CampaignConfigResource
from campaign_pipelines.resources.postgres import PostgresResource

__all__ = ["CampaignConfigResource", "PostgresResource"]
