from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from campaign_pipelines import paths
from campaign_pipelines.config import CampaignConfig, DistrictLayerConfig, load_config
from campaign_pipelines.geo import assign as assign_module
from campaign_pipelines.geo.assign import assign, assign_all
from campaign_pipelines.geo.layers import LayerLoad, load_layer

# Edges and corners on multiples of 1/4 degree, so points on them are exact in binary.
WEST, MID_LON, EAST = -80.0, -79.5, -79.0
SOUTH, MID_LAT, NORTH = 35.0, 35.5, 36.0


def _layer(districts: dict[str, shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"layer": "test", "district_id": list(districts), "name": list(districts)},
        geometry=list(districts.values()),
        crs="EPSG:4326",
    )


def _four_squares(ids=("1", "2", "3", "4")) -> dict[str, shapely.Geometry]:
    """South-west, south-east, north-west, north-east squares meeting at (MID_LON, MID_LAT)."""
    sw, se, nw, ne = ids
    return {
        sw: box(WEST, SOUTH, MID_LON, MID_LAT),
        se: box(MID_LON, SOUTH, EAST, MID_LAT),
        nw: box(WEST, MID_LAT, MID_LON, NORTH),
        ne: box(MID_LON, MID_LAT, EAST, NORTH),
    }


def _assign_one(lon: float, lat: float, districts: dict[str, shapely.Geometry]):
    [district] = assign([lon], [lat], _layer(districts))
    return district


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (("3", "4", "5", "6"), "3"),
        (("4", "3", "5", "6"), "3"),
        # Plain string order: "10" sorts before "9".
        (("9", "10", "5", "6"), "10"),
    ],
)
def test_assign_point_on_shared_edge_gets_smallest_id(ids, expected):
    # On the edge between the two southern squares, away from the corner.
    assert _assign_one(MID_LON, 35.25, _four_squares(ids)) == expected


@pytest.mark.parametrize("ids", [("1", "2", "3", "4"), ("4", "3", "2", "1"), ("3", "1", "4", "2")])
def test_assign_point_on_corner_of_four_squares_gets_smallest_id(ids):
    assert _assign_one(MID_LON, MID_LAT, _four_squares(ids)) == "1"


def test_assign_point_on_outer_edge_gets_its_only_district():
    squares = _four_squares()

    assert _assign_one(EAST, 35.25, squares) == "2"
    assert _assign_one(WEST, SOUTH, squares) == "1"


def test_assign_interior_points_get_their_square():
    lon = [-79.75, -79.25, -79.75, -79.25]
    lat = [35.25, 35.25, 35.75, 35.75]

    assert list(assign(lon, lat, _layer(_four_squares()))) == ["1", "2", "3", "4"]


def test_assign_point_inside_two_overlapping_districts_gets_smallest_id():
    overlapping = {"b": box(WEST, SOUTH, MID_LON, NORTH), "a": box(-79.75, SOUTH, EAST, NORTH)}

    assert _assign_one(-79.6, 35.5, overlapping) == "a"


def test_assign_interior_wins_over_a_boundary_in_an_overlap():
    # (MID_LON, 35.5) is on the edge of "1" but inside "2", which overlaps it.
    overlapping = {"1": box(WEST, SOUTH, MID_LON, NORTH), "2": box(-79.75, SOUTH, EAST, NORTH)}

    assert _assign_one(MID_LON, 35.5, overlapping) == "2"


def test_assign_missing_coordinates_get_none():
    lon = [np.nan, -79.75, -79.75, np.inf, -79.75]
    lat = [35.25, np.nan, 35.25, 35.25, -np.inf]

    assert list(assign(lon, lat, _layer(_four_squares()))) == [None, None, "1", None, None]


def test_assign_point_outside_every_polygon_gets_none():
    lon = [-81.0, -79.75, -78.99]
    lat = [35.25, 36.01, 35.25]

    assert list(assign(lon, lat, _layer(_four_squares()))) == [None, None, None]


def test_assign_returns_object_array_of_ids():
    ids = assign(np.array([-79.75, 0.0]), np.array([35.25, 0.0]), _layer(_four_squares()))

    assert ids.dtype == object
    assert list(ids) == ["1", None]


def test_assign_empty_input_and_empty_layer():
    assert assign([], [], _layer(_four_squares())).shape == (0,)
    assert list(assign([-79.75], [35.25], _layer({}))) == [None]


def _rule(lon: np.ndarray, lat: np.ndarray, districts: dict[str, shapely.Geometry]) -> list:
    """The module's boundary rule, computed the slow way: every point against every polygon."""
    ids = sorted(districts)
    inside = np.array([shapely.contains_xy(districts[i], lon, lat) for i in ids])
    covers = np.array([shapely.intersects_xy(districts[i], lon, lat) for i in ids])
    first_inside = np.where(inside.any(axis=0), inside.argmax(axis=0), -1)
    first_covering = np.where(covers.any(axis=0), covers.argmax(axis=0), -1)
    code = np.where(first_inside >= 0, first_inside, first_covering)
    return list(np.array([*ids, None], dtype=object)[code])


def test_assign_large_batch_follows_the_rule_on_every_edge_and_corner():
    # A lattice on 1/256 degree puts hundreds of points exactly on edges, corners and the
    # diagonal edges of an overlapping diamond; enough points to use the grid.
    districts = {
        **_four_squares(("10", "20", "30", "40")),
        "25": Polygon([(-79.5, 35.25), (-79.25, 35.5), (-79.5, 35.75), (-79.75, 35.5)]),
    }
    steps = np.arange(-64, 385) / 256
    lon, lat = (grid.ravel() for grid in np.meshgrid(WEST + steps, SOUTH + steps[:321]))
    assert len(lon) > assign_module.GRID_MIN_POINTS

    ids = assign(lon, lat, _layer(districts))

    assert list(ids) == _rule(lon, lat, districts)
    on_corner = np.flatnonzero((lon == MID_LON) & (lat == MID_LAT))
    assert list(ids[on_corner]) == ["25"]


def test_assign_grid_and_exact_paths_agree():
    rng = np.random.default_rng(7)
    lon = rng.uniform(-80.1, -78.9, 150_000)
    lat = rng.uniform(34.9, 36.1, 150_000)
    layer = _layer(_four_squares())
    assert len(lon) > assign_module.GRID_MIN_POINTS > 5_000

    large = assign(lon, lat, layer, chunk_size=40_000)
    small = assign(lon[:5_000], lat[:5_000], layer)

    assert list(large[:5_000]) == list(small)
    assert list(large) == _rule(lon, lat, _four_squares())


def test_assign_refuses_a_layer_not_in_lon_lat():
    layer = _layer(_four_squares()).to_crs("EPSG:3358")

    with pytest.raises(ValueError, match="reproject the layer first"):
        assign([-79.75], [35.25], layer)


def test_assign_refuses_mismatched_coordinates():
    with pytest.raises(ValueError, match=r"got shapes \(2,\) and \(1,\)"):
        assign([-79.75, -79.25], [35.25], _layer(_four_squares()))


def _load_file(path: Path) -> LayerLoad:
    demo = load_config()
    layer_cfg = DistrictLayerConfig(
        name="test_layer", label="Test", files=[str(path)], id_columns=["DIST"], vintage="test"
    )
    districts = demo.districts.model_copy(update={"layers": [layer_cfg], "state_outline": None})
    config: CampaignConfig = demo.model_copy(update={"districts": districts})
    return load_layer(config, layer_cfg)


def test_assign_joins_a_layer_read_in_nc_state_plane(tmp_path):
    squares = _four_squares()
    state_plane = gpd.GeoDataFrame(
        {"DIST": list(squares)}, geometry=list(squares.values()), crs="EPSG:4326"
    ).to_crs("EPSG:3358")
    state_plane.to_file(tmp_path / "state_plane.gpkg")
    # Interior points only: reprojection moves the edges by rounding.
    lon = [-79.75, -79.25, -79.75, -79.49, -80.01, -79.5]
    lat = [35.25, 35.25, 35.75, 35.99, 35.25, 36.01]

    load = _load_file(tmp_path / "state_plane.gpkg")

    assert load.districts.crs == "EPSG:4326"
    assert list(assign(lon, lat, load.districts)) == ["1", "2", "3", "4", None, None]


def test_assign_repaired_bow_tie_keeps_its_points(tmp_path):
    bow_tie = Polygon([(WEST, SOUTH), (EAST, NORTH), (EAST, SOUTH), (WEST, NORTH)])
    gpd.GeoDataFrame({"DIST": ["7"]}, geometry=[bow_tie], crs="EPSG:4326").to_file(
        tmp_path / "bow_tie.geojson"
    )

    load = _load_file(tmp_path / "bow_tie.geojson")

    assert [r.district_id for r in load.repairs] == ["7"]
    # One point in each lobe, the crossing itself, and one in the empty wedge between lobes.
    lon, lat = [-79.9, -79.1, MID_LON, MID_LON], [35.5, 35.5, MID_LAT, 35.9]
    assert list(assign(lon, lat, load.districts)) == ["7", "7", "7", None]


def test_assign_all_names_each_layer():
    loads = [
        LayerLoad(
            name=name,
            districts=_layer(districts),
            vintage="test",
            current=True,
            source_files=(),
            repairs=(),
            dissolved=(),
            coverage_ratio=None,
            overlap_ratio=0.0,
        )
        for name, districts in {
            "quarters": _four_squares(),
            "halves": {
                "w": box(WEST, SOUTH, MID_LON, NORTH),
                "e": box(MID_LON, SOUTH, EAST, NORTH),
            },
        }.items()
    ]

    result = assign_all([-79.25, -79.75], [35.75, 35.25], loads)

    assert {name: list(ids) for name, ids in result.items()} == {
        "quarters": ["4", "1"],
        "halves": ["e", "w"],
    }


@pytest.fixture(scope="module")
def nc_layers() -> dict[str, LayerLoad]:
    config = load_config()
    return {
        name: load_layer(config, config.layer(name)) for name in ("congressional", "state_senate")
    }


@pytest.mark.parametrize(
    ("layer", "file", "id_column", "lat_column", "lon_column"),
    [
        ("congressional", "tl_2022_37_cd118.zip", "CD118FP", "INTPTLAT20", "INTPTLON20"),
        ("state_senate", "tl_2024_37_sldu.zip", "SLDUST", "INTPTLAT", "INTPTLON"),
    ],
)
def test_assign_puts_each_real_nc_internal_point_in_its_own_district(
    nc_layers, layer, file, id_column, lat_column, lon_column
):
    source = paths.data_dir() / "districts" / "nc" / file
    census = gpd.read_file(f"zip://{source}", ignore_geometry=True)

    ids = assign(
        census[lon_column].astype(float),
        census[lat_column].astype(float),
        nc_layers[layer].districts,
    )

    expected = census[id_column].str.lstrip("0")
    assert len(expected) in (14, 50)
    assert list(ids) == list(expected)
