"""Write one voter-file load to the warehouse: the load record, voters and quarantine."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, delete, insert

from campaign_pipelines.db.copy import copy_dataframe
from campaign_pipelines.db.schema import voter_file_loads, voters
from campaign_pipelines.db.session import transaction
from campaign_pipelines.voterfile.normalise import Normalised
from campaign_pipelines.voterfile.read import FileFormat


def store_load(
    engine: Engine,
    *,
    source: Path,
    fmt: FileFormat,
    file_format: str,
    result: Normalised,
    replace_voters: bool = True,
) -> int:
    """Record this load and append its quarantine; with ``replace_voters``, the voter table
    becomes this load's voters. Returns the load id."""
    with transaction(engine) as conn:
        load_id = conn.execute(
            insert(voter_file_loads)
            .values(
                source_file=str(source),
                sha256=fmt.sha256,
                file_format=file_format,
                encoding=fmt.encoding,
                delimiter=fmt.delimiter,
                rows_read=result.rows_read,
                rows_accepted=len(result.voters),
                rows_quarantined=len(result.quarantine),
            )
            .returning(voter_file_loads.c.load_id)
        ).scalar_one()
        if replace_voters:
            conn.execute(delete(voters))
            copy_dataframe(conn, "voters", result.voters.assign(load_id=load_id))
        quarantine = result.quarantine.assign(
            load_id=load_id,
            source_file=str(source),
            raw=result.quarantine["raw"].map(lambda r: json.dumps(r, ensure_ascii=False)),
        )
        copy_dataframe(conn, "voter_quarantine", quarantine)
    return int(load_id)
