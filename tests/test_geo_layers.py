from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, box

from campaign_pipelines.config import CampaignConfig, DistrictLayerConfig, load_config
from campaign_pipelines.geo.layers import (
    LAYER_COLUMNS,
    DissolvedDistrict,
    LayerError,
    load_layer,
)

# Squares in EPSG:5070 (metres) over central North Carolina, so areas are exact numbers.
ALBERS = "EPSG:5070"
X0, Y0, SIDE = 1_500_000.0, 1_500_000.0, 10_000.0


def _config(*layers: DistrictLayerConfig, outline: str | None = None) -> CampaignConfig:
    demo = load_config()
    districts = demo.districts.model_copy(update={"layers": list(layers), "state_outline": outline})
    return demo.model_copy(update={"districts": districts})


def _layer_cfg(*files, **options) -> DistrictLayerConfig:
    settings = {"name": "test_layer", "label": "Test", "id_columns": ["DIST"], "vintage": "test"}
    return DistrictLayerConfig(files=[str(f) for f in files], **{**settings, **options})


def _write(path, ids, geometries, *, crs="EPSG:4326", **columns):
    frame = gpd.GeoDataFrame({"DIST": ids, **columns}, geometry=list(geometries), crs=crs)
    frame.to_file(path)
    return path


def _load(*files, outline=None, **options):
    layer_cfg = _layer_cfg(*files, **options)
    return load_layer(_config(layer_cfg, outline=outline), layer_cfg)


def test_load_layer_reprojects_a_projected_file_to_the_working_crs(tmp_path):
    square = box(X0, Y0, X0 + SIDE, Y0 + SIDE)
    path = _write(tmp_path / "albers.gpkg", ["1"], [square], crs=ALBERS)

    load = _load(path)

    assert load.districts.crs == "EPSG:4326"
    expected = gpd.GeoSeries([square], crs=ALBERS).to_crs("EPSG:4326").iloc[0]
    assert shapely.equals_exact(load.districts.geometry.iloc[0], expected, tolerance=1e-9)
    assert -84.5 < load.districts.geometry.iloc[0].centroid.x < -75.0


def test_load_layer_refuses_a_file_without_crs(tmp_path):
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        path = _write(tmp_path / "no_prj.shp", ["1"], [box(0, 0, 1, 1)], crs=None)

    with pytest.raises(LayerError, match=r"no_prj\.shp: the file declares no CRS"):
        _load(path)


def test_load_layer_builds_frame_sorted_by_district_id(tmp_path):
    path = _write(tmp_path / "d.geojson", ["2", "10", "1"], [box(i, 0, i + 1, 1) for i in range(3)])

    load = _load(path)

    assert list(load.districts.columns) == LAYER_COLUMNS
    assert list(load.districts["district_id"]) == ["1", "10", "2"]
    assert list(load.districts["name"]) == ["Test 1", "Test 10", "Test 2"]
    assert set(load.districts["layer"]) == {"test_layer"}
    assert load.source_files == (path,)
    assert load.vintage == "test"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("04", "4"), ("120", "120"), ("007", "7"), ("000", "0"), ("9", "9")],
)
def test_load_layer_numeric_id_drops_leading_zeros(tmp_path, raw, expected):
    path = _write(tmp_path / "d.geojson", [raw], [box(0, 0, 1, 1)])

    load = _load(path, numeric_id=True)

    assert list(load.districts["district_id"]) == [expected]


def test_load_layer_keeps_leading_zeros_without_numeric_id(tmp_path):
    path = _write(tmp_path / "d.geojson", ["04"], [box(0, 0, 1, 1)])

    assert list(_load(path).districts["district_id"]) == ["04"]


def test_load_layer_numeric_id_refuses_text_ids(tmp_path):
    path = _write(tmp_path / "d.geojson", ["04", "4A"], [box(0, 0, 1, 1), box(1, 0, 2, 1)])

    with pytest.raises(LayerError, match=r"d\.geojson: column 'DIST' has non-numeric id '4A'"):
        _load(path, numeric_id=True)


def test_load_layer_refuses_missing_id_column(tmp_path):
    path = _write(tmp_path / "d.geojson", ["1"], [box(0, 0, 1, 1)])

    with pytest.raises(LayerError, match=r"d\.geojson: column\(s\) \['CD'\]"):
        _load(path, id_columns=["CD"])


def test_load_layer_applies_the_filter(tmp_path):
    path = _write(
        tmp_path / "d.geojson",
        ["1", "2", "3"],
        [box(i, 0, i + 1, 1) for i in range(3)],
        STATEFP=["37", "45", "37"],
    )

    load = _load(path, filter={"STATEFP": "37"})

    assert list(load.districts["district_id"]) == ["1", "3"]


def test_load_layer_repairs_a_bow_tie_and_reports_it(tmp_path):
    bow_tie = Polygon([(-80, 35), (-79, 36), (-79, 35), (-80, 36)])
    path = _write(tmp_path / "d.geojson", ["7", "8"], [bow_tie, box(-78, 35, -77, 36)])

    load = _load(path)

    [repair] = load.repairs
    assert repair.district_id == "7"
    assert repair.source_file == path
    assert repair.problem == "Self-intersection[-79.5 35.5]"
    assert repair.action == "made valid"
    repaired = load.districts.geometry.iloc[0]
    assert repaired.is_valid
    assert repaired.geom_type == "MultiPolygon"
    assert repaired.area == pytest.approx(0.5)


def test_load_layer_dissolves_repeated_ids_into_one_multipolygon(tmp_path):
    path = _write(
        tmp_path / "d.geojson",
        ["5", "6", "5"],
        [box(0, 0, 1, 1), box(1, 0, 2, 1), box(3, 0, 4, 1)],
    )

    load = _load(path)

    assert load.dissolved == (DissolvedDistrict(district_id="5", rows=2),)
    assert list(load.districts["district_id"]) == ["5", "6"]
    dissolved = load.districts.geometry.iloc[0]
    assert dissolved.geom_type == "MultiPolygon"
    assert dissolved.area == pytest.approx(2.0)


def test_load_layer_measures_coverage_and_overlap(tmp_path):
    # Two 10 km squares overlapping by half, under an outline twice the size of their union.
    left = box(X0, Y0, X0 + SIDE, Y0 + SIDE)
    right = box(X0 + SIDE / 2, Y0, X0 + 1.5 * SIDE, Y0 + SIDE)
    path = _write(tmp_path / "d.gpkg", ["1", "2"], [left, right], crs=ALBERS)
    state = box(X0, Y0, X0 + 1.5 * SIDE, Y0 + 2 * SIDE)
    outline = _write(tmp_path / "outline.gpkg", ["NC"], [state], crs=ALBERS)

    load = _load(path, outline=str(outline))

    assert load.coverage_ratio == pytest.approx(0.5, rel=1e-4)
    assert load.overlap_ratio == pytest.approx(1 / 3, rel=1e-4)


def test_load_layer_clean_tiling_has_no_overlap_and_no_coverage_without_outline(tmp_path):
    squares = [box(X0 + i * SIDE, Y0, X0 + (i + 1) * SIDE, Y0 + SIDE) for i in range(3)]
    path = _write(tmp_path / "d.gpkg", ["1", "2", "3"], squares, crs=ALBERS)

    load = _load(path)

    assert load.overlap_ratio == 0.0
    assert load.coverage_ratio is None


def test_load_layer_builds_multi_file_precinct_ids():
    config = load_config()

    load = load_layer(config, config.layer("precinct"))

    ids = load.districts.set_index("district_id")["name"]
    assert len(load.source_files) == 3
    assert len(ids) == 36 + 16 + 7
    assert ids["001-06W"] == "WEST GRAHAM"
    assert ids["001-12E"] == "EAST BURLINGTON"
    counties = ids.index.str.split("-").str[0].value_counts().to_dict()
    assert counties == {"001": 36, "003": 16, "005": 7}


def test_load_layer_filters_national_counties_to_north_carolina():
    config = load_config()

    load = load_layer(config, config.layer("county"))

    assert len(load.districts) == 100
    assert load.districts["district_id"].str.startswith("37").all()
    assert load.districts.set_index("district_id").loc["37001", "name"] == "Alamance"
    # The generalised county file leaves out the sounds the state outline includes.
    assert 0.90 < load.coverage_ratio < 0.95
    assert load.overlap_ratio == 0.0
    assert load.repairs == ()


def test_load_layer_congressional_ids_are_numeric_and_cover_the_state():
    config = load_config()

    load = load_layer(config, config.layer("congressional"))

    assert sorted(load.districts["district_id"], key=int) == [str(n) for n in range(1, 15)]
    assert load.districts.crs == "EPSG:4326"
    assert load.coverage_ratio == pytest.approx(1.0, abs=1e-3)
    assert load.overlap_ratio == 0.0
    assert load.current is False
