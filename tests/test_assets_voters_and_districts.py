"""The voters -> district_layers -> district_assignments chain through Dagster, on PostgreSQL."""

import json

import pandas as pd
import pytest
import shapely
from dagster import materialize
from sqlalchemy import text

from campaign_pipelines.assets.district_assignments import district_assignments
from campaign_pipelines.assets.district_layers import district_layers
from campaign_pipelines.assets.voters import voter_file, voters
from campaign_pipelines.config.loader import BUNDLED_DEMO_CONFIG
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.voterfile.synth import write_synthetic_voter_file

ASSETS = [voter_file, voters, district_layers, district_assignments]


def _run(database_url, config_path, **kwargs):
    return materialize(
        ASSETS,
        resources={
            "postgres": PostgresResource(url=database_url),
            "campaign": CampaignConfigResource(config_path=str(config_path)),
        },
        raise_on_error=False,
        **kwargs,
    )


def _checks(result) -> dict[str, bool]:
    return {
        f"{e.asset_key.to_user_string()}.{e.check_name}": e.passed
        for e in (
            ev.asset_check_evaluation_data
            for ev in result.all_events
            if ev.event_type_value == "ASSET_CHECK_EVALUATION"
        )
    }


def _square_config(tmp_path, voter_rows, *, crs="EPSG:3358", bowtie=False) -> str:
    """Two adjacent 1x1 km squares (districts "1" west, "2" east) in a projected CRS."""
    import geopandas as gpd

    x0, y0 = 600_000.0, 200_000.0  # NC State Plane metres, near Raleigh
    west = shapely.box(x0, y0, x0 + 1000, y0 + 1000)
    east = shapely.box(x0 + 1000, y0, x0 + 2000, y0 + 1000)
    if bowtie:  # self-intersecting ring: repaired on load, must keep its voters
        east = shapely.Polygon(
            [(x0 + 1000, y0), (x0 + 2000, y0 + 1000), (x0 + 2000, y0), (x0 + 1000, y0 + 1000)]
        )
    layer = gpd.GeoDataFrame({"DIST": ["1", "2"]}, geometry=[west, east], crs=crs)
    layer.to_file(tmp_path / "squares.gpkg")
    outline = gpd.GeoDataFrame(geometry=[shapely.box(-80, 34, -77, 37)], crs="EPSG:4326")
    outline.to_file(tmp_path / "outline.geojson")
    in_4326 = layer.to_crs("EPSG:4326")
    header = "id,first,last,lat,lon,cd\n"
    (tmp_path / "voters.csv").write_text(header + "".join(",".join(r) + "\n" for r in voter_rows))
    (tmp_path / "campaign.yaml").write_text(
        """
campaign: {id: squares-test, name: Squares, state: NC}
voter_file:
  path: voters.csv
  format: vendor_csv
  columns: {voter_id: id, first_name: first, last_name: last, latitude: lat, longitude: lon,
            congressional_district: cd}
districts:
  state_outline: outline.geojson
  min_agreement_rate: 0.5
  layers:
    - name: congressional
      label: Squares
      files: [squares.gpkg]
      id_columns: [DIST]
      vintage: test
      voter_file_field: congressional_district
      min_coverage: null
"""
    )
    return str(tmp_path / "campaign.yaml"), in_4326


def _lonlat(geom) -> tuple[str, str]:
    return f"{geom.y:.12f}", f"{geom.x:.12f}"


def test_assignment_edge_point_gets_exactly_one_district(engine, database_url, tmp_path):
    import geopandas as gpd

    x0, y0 = 600_000.0, 200_000.0
    points = gpd.GeoSeries(
        [
            shapely.Point(x0 + 500, y0 + 500),  # inside west
            shapely.Point(x0 + 1500, y0 + 500),  # inside east
            shapely.Point(x0 + 5000, y0 + 5000),  # outside both
        ],
        crs="EPSG:3358",
    ).to_crs("EPSG:4326")
    rows = [
        ["W", "A", "B", *_lonlat(points[0]), "1"],
        ["E", "A", "B", *_lonlat(points[1]), "1"],
        ["OUT", "A", "B", *_lonlat(points[2]), "2"],
        ["NOCOORD", "A", "B", "", "", "2"],
    ]
    config_path, layer_4326 = _square_config(tmp_path, rows)
    # A point of the shared edge exactly as both reprojected polygons hold it: their common
    # vertex (an interpolated point would land a rounding error to one side).
    west_vertices = set(layer_4326.geometry[0].exterior.coords)
    shared = [v for v in layer_4326.geometry[1].exterior.coords if v in west_vertices]
    lon, lat = shared[0]
    with (tmp_path / "voters.csv").open("a") as fh:
        fh.write(f"EDGE,A,B,{lat!r},{lon!r},\n")

    result = _run(database_url, config_path)

    assert result.success
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT voter_id, district_id || ':' || method FROM "
                                     "district_assignments")).all())  # fmt: skip
    assert got == {
        "W": "1:spatial",
        "E": "2:spatial",
        "EDGE": "1:spatial",  # on the shared edge: the smaller district id, never both
        "OUT": "2:voter_file",
        "NOCOORD": "2:voter_file",
    }


def test_assignment_repairs_self_intersecting_polygon_and_keeps_voters(
    engine, database_url, tmp_path
):
    import geopandas as gpd

    x0, y0 = 600_000.0, 200_000.0
    # Inside the eastern lobe of the bow-tie (its two diagonals cross at x0+1500, y0+500).
    point = gpd.GeoSeries([shapely.Point(x0 + 1800, y0 + 500)], crs="EPSG:3358").to_crs(4326)
    config_path, _ = _square_config(tmp_path, [["V", "A", "B", *_lonlat(point[0]), "2"]],
                                    bowtie=True)  # fmt: skip

    result = _run(database_url, config_path)

    assert result.success
    layers_md = result.asset_materializations_for_node("district_layers")[0].metadata
    repairs = layers_md["repairs"].value
    assert [r["district_id"] for r in repairs] == ["2"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT district_id, method FROM district_assignments")).one() == (
            "2", "spatial",
        )  # fmt: skip


def test_assignment_swapped_coordinates_fail_bounds_check_and_block(engine, database_url, tmp_path):
    rows = [[f"V{i}", "A", "B", "-78.6", "35.7", "1"] for i in range(5)]  # lon in the lat column
    config_path, _ = _square_config(tmp_path, rows)

    result = _run(database_url, config_path)

    assert _checks(result)["voters.coordinates_inside_state_bounds"] is False
    assert not result.success  # blocking: the downstream assignment never ran
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM district_assignments")).scalar() == 0


def test_voters_asset_fails_naming_missing_columns(engine, database_url, tmp_path):
    config_path, _ = _square_config(tmp_path, [])
    (tmp_path / "voters.csv").write_text("name,amount\nA,5\n")

    result = _run(database_url, config_path)

    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message
    assert "voters.csv: columns named in the config are missing" in message
    assert "'first', 'id', 'last'" in message


@pytest.mark.slow
def test_chain_on_real_nc_files_passes_every_check(engine, database_url, tmp_path):
    voter_path = tmp_path / "ncvoter.txt"
    summary = write_synthetic_voter_file(voter_path, count=3000, seed=11)
    config = BUNDLED_DEMO_CONFIG.read_text().replace(
        '"{state_dir}/demo/ncvoter_synthetic.txt"', json.dumps(str(voter_path))
    )
    (tmp_path / "campaign.yaml").write_text(config)
    config_path = tmp_path / "campaign.yaml"
    # Keep relative paths of the bundled config working from the copy.
    result = _run(database_url, config_path)

    assert result.success
    checks = _checks(result)
    assert len(checks) == 10
    assert all(checks.values()), checks
    with engine.connect() as conn:
        load = conn.execute(text("SELECT * FROM voter_file_loads")).one()
        voter_count = conn.execute(text("SELECT count(*) FROM voters")).scalar()
        per_layer = pd.read_sql(
            "SELECT layer, count(*) AS n, count(district_id) AS assigned "
            "FROM district_assignments GROUP BY layer",
            conn,
        )
    assert load.rows_read == summary.rows == load.rows_accepted + load.rows_quarantined
    assert voter_count == load.rows_accepted
    assert set(per_layer["n"]) == {voter_count}
    statewide = per_layer[per_layer["layer"] != "precinct"]
    assert (statewide["assigned"] == voter_count).all()


def test_voters_a_load_that_fails_a_blocking_check_keeps_the_previous_table(
    engine, database_url, tmp_path
):
    good = [[f"V{i}", "A", "B", "35.7", "-78.6", "1"] for i in range(5)]
    config_path, _ = _square_config(tmp_path, good)
    assert _run(database_url, config_path).success
    swapped = [[f"W{i}", "A", "B", "-78.6", "35.7", "1"] for i in range(3)]  # lon in lat
    (tmp_path / "voters.csv").write_text(
        "id,first,last,lat,lon,cd\n" + "".join(",".join(r) + "\n" for r in swapped)
    )

    result = _run(database_url, config_path)

    assert _checks(result)["voters.coordinates_inside_state_bounds"] is False
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT voter_id FROM voters ORDER BY voter_id")).scalars().all()
        loads = conn.execute(text("SELECT count(*) FROM voter_file_loads")).scalar_one()
    assert kept == [f"V{i}" for i in range(5)]
    assert loads == 2  # the refused attempt is recorded, its rows were not applied
    (materialized,) = [
        e.materialization
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
        and e.materialization.asset_key.to_user_string() == "voters"
    ]
    assert materialized.metadata["applied"].value is False
    assert materialized.metadata["dagster/row_count"].value == 5


def test_voters_an_empty_file_fails_and_keeps_the_previous_table(engine, database_url, tmp_path):
    good = [[f"V{i}", "A", "B", "35.7", "-78.6", "1"] for i in range(5)]
    config_path, _ = _square_config(tmp_path, good)
    assert _run(database_url, config_path).success
    (tmp_path / "voters.csv").write_text("id,first,last,lat,lon,cd\n")

    result = _run(database_url, config_path)

    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "no usable voter rows (0 read" in failure.step_failure_data.error.message
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM voters")).scalar_one() == 5
