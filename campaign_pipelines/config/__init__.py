"""The campaign configuration: one YAML file per campaign, validated with pydantic."""

from campaign_pipelines.config.loader import ConfigError, default_config_path, load_config
from campaign_pipelines.config.models import CampaignConfig, DistrictLayerConfig, VoterFileConfig

__all__ = [
    "CampaignConfig",
    "ConfigError",
    "DistrictLayerConfig",
    "VoterFileConfig",
    "default_config_path",
    "load_config",
]
