"""Links and routes in the campaign config (the routing issue fills this in)."""

from __future__ import annotations

from pydantic import Field

from campaign_pipelines.config.base import Strict


class LinksConfig(Strict):
    """Where short links point and which destinations they may reach."""

    base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Public base URL of the link server; short links are base_url/CODE.",
    )
