"""The entry point: a whole synthetic voter file from a row count and a seed."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from campaign_pipelines.config import CampaignConfig, load_config
from campaign_pipelines.voterfile.synth.columns import assemble_columns
from campaign_pipelines.voterfile.synth.geography import load_geography
from campaign_pipelines.voterfile.synth.messiness import Messiness
from campaign_pipelines.voterfile.synth.names import name_pools
from campaign_pipelines.voterfile.synth.people import draw_people
from campaign_pipelines.voterfile.synth.placement import place_rows
from campaign_pipelines.voterfile.synth.row_plan import plan_rows
from campaign_pipelines.voterfile.synth.summary import SynthSummary, summarise
from campaign_pipelines.voterfile.synth.writer import SYNTH_ENCODINGS, write_columns

logger = logging.getLogger(__name__)


def write_synthetic_voter_file(
    output: Path,
    *,
    count: int,
    seed: int,
    config: CampaignConfig | None = None,
    encoding: str = "utf-8",
) -> SynthSummary:
    """Write ``count`` fictional voter rows at real NC places to ``output`` (see package docs).

    ``encoding`` is one of ``SYNTH_ENCODINGS``; the same seed gives the same records in each, so
    a UTF-8, a UTF-8-with-BOM and a cp1252 file can be compared. The file is written beside
    ``output`` and moved into place, so a reader never sees half a file.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if encoding not in SYNTH_ENCODINGS:
        raise ValueError(f"encoding must be one of {SYNTH_ENCODINGS}, got {encoding!r}")
    config = config or load_config()
    rng = np.random.default_rng(seed)
    logger.info("Generating %s synthetic voter rows (seed %s)", count, seed)

    geography = load_geography(config)
    pools = name_pools(seed)
    plan = plan_rows(geography, count, rng)
    places = place_rows(geography, plan.home, rng)
    people = draw_people(plan.n_people, pools, rng)
    messy = Messiness.draw(count, rng)
    columns = assemble_columns(geography, pools, places, people, plan, messy, rng)
    write_columns(output, columns, encoding)

    summary = summarise(output, encoding, columns, people, plan, messy, places)
    logger.info("Wrote %s rows (%s voters) to %s", summary.rows, summary.voters, output)
    return summary
