"""Warehouse tables, shared by the pipelines and the link server.

Alembic migrations in ``db/migrations`` own the real schema; these Core tables mirror them so
queries are written against names, and a test keeps the two in step. One module per area.
"""

from campaign_pipelines.db.schema.attribution import (
    action_imports,
    action_quarantine,
    action_touches,
    actions,
    attribution_actions,
    attribution_funnel,
    click_events,
    click_ingest_state,
    delivery_statuses,
    holdout_lift,
)
from campaign_pipelines.db.schema.base import metadata
from campaign_pipelines.db.schema.link_server import (
    clicks,
    inbound_messages,
    message_statuses,
    opt_outs,
    status_callbacks,
)
from campaign_pipelines.db.schema.links import destinations, links, routes, voter_routes
from campaign_pipelines.db.schema.voters import (
    district_assignments,
    district_layers,
    voter_file_loads,
    voter_quarantine,
    voters,
)
from campaign_pipelines.db.schema.waves import (
    holdout_assignments,
    sends,
    suppressions,
    wave_audience,
    wave_messages,
)

__all__ = [
    "action_imports",
    "action_quarantine",
    "action_touches",
    "actions",
    "attribution_actions",
    "attribution_funnel",
    "click_events",
    "click_ingest_state",
    "clicks",
    "delivery_statuses",
    "destinations",
    "district_assignments",
    "district_layers",
    "holdout_assignments",
    "holdout_lift",
    "inbound_messages",
    "links",
    "message_statuses",
    "metadata",
    "opt_outs",
    "routes",
    "sends",
    "status_callbacks",
    "suppressions",
    "voter_file_loads",
    "voter_quarantine",
    "voter_routes",
    "voters",
    "wave_audience",
    "wave_messages",
]
