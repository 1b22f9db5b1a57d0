"""``CampaignConfigResource``: the campaign's YAML config, validated once per run."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from campaign_pipelines.config import CampaignConfig, load_config
from campaign_pipelines.config.loader import resolve_path


class CampaignConfigResource(ConfigurableResource):
    """Which campaign this deployment runs: ``CAMPAIGN_CONFIG`` or the bundled NC demo."""

    config_path: str | None = None

    def load(self) -> CampaignConfig:
        return load_config(self.config_path)

    def resolve(self, config: CampaignConfig, raw: str) -> Path:
        return resolve_path(config, raw)
