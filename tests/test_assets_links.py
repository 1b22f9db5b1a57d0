"""destination_catalog -> voter_routes -> links through Dagster, on PostgreSQL."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize
from sqlalchemy import insert, select, text, update

from campaign_pipelines.assets.destination_catalog import destination_catalog
from campaign_pipelines.assets.links import links
from campaign_pipelines.assets.voter_routes import voter_routes
from campaign_pipelines.db.schema.links import destinations
from campaign_pipelines.db.schema.links import links as links_table
from campaign_pipelines.db.schema.voters import district_assignments, voters
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.routing.resolve import load_resolver

CONFIG = """
campaign: {id: links-test, name: Links test, state: NC}
voter_file: {path: voters.txt}
districts:
  layers:
    - {name: congressional, label: US House, files: [cd.zip], id_columns: [CD], vintage: test}
links:
  allowed_domains: [example.org, "*.example.org", vt.ncsbe.gov]
  regions: {Triangle: ["37183", "37063"]}
  windows: {after_polls_close: {starts: "2026-11-03T19:30:00"}}
  polling_places:
    sources: [{ncsbe: "{data_dir}/polling_places/nc/nc_polling_places_2020-10-25.csv"}]
  routes:
    polling_place:
      rules:
        - {rule: results, window: after_polls_close, url: "https://www.example.org/results"}
        - {rule: polling_place, catalog: polling_place}
      fallback: https://vt.ncsbe.gov/PPLkup/
    volunteer:
      rules: [{rule: regional, by: region, destinations: {Triangle: "https://www.example.org/v/tri"}}]
      fallback: https://www.example.org/v
    candidate:
      utm: {utm_medium: persuasion}
      rules:
        - rule: house
          by: congressional
          destinations: {"4": "https://www.example.org/nc-04", "6": "https://www.example.org/nc-06"}
      fallback: https://www.example.org/candidates
  placements:
    - {placement: tv-spot, route: candidate, channel: tv, code: vote-nc}
    - {placement: yard-sign, route: volunteer, channel: qr}
messaging:
  waves:
    - id: gotv-1
      name: GOTV
      routes: [polling_place, candidate, volunteer]
      audience: [{layer: congressional, districts: ["4", "6"]}]
      variants: [{name: a, template: "Vote {link}"}, {name: b, template: "Go {link_candidate}"}]
      window: {opens_at: "2026-10-20T09:00:00-04:00", closes_at: "2026-10-20T20:00:00-04:00"}
      messaging_service_sid: MG0123456789abcdef0123456789abcdef
"""
# Wake's "PRECINCT 01-01" and Alamance's "COBLE" are in the NCSBE list; Mecklenburg's "ZZ" is not.
VOTERS = [
    ("V1", "27601", "37183", "WAKE", "01-01", "PRECINCT 01-01", 35.78, -78.64, "4"),
    ("V2", "27215", "37001", "ALAMANCE", "99", "COBLE", 36.09, -79.44, "6"),
    ("V3", "28202", "37119", "MECKLENBURG", "ZZ", "NOWHERE", None, None, "4"),
    ("V4", "28202", "37119", "MECKLENBURG", "ZZ", "NOWHERE", 35.22, -80.84, "12"),
]


@pytest.fixture
def campaign(engine, tmp_path):
    path = tmp_path / "campaign.yaml"
    path.write_text(CONFIG)
    with engine.begin() as conn:
        conn.execute(insert(voters), [
            {"voter_id": v, "load_id": 1, "source_row": i, "state": "NC", "zip_code": z,
             "county_fips": f, "county_name": c, "precinct_code": p, "precinct_name": n,
             "precinct_key": f"{f[2:]}-{p}", "latitude": lat, "longitude": lon}
            for i, (v, z, f, c, p, n, lat, lon, _) in enumerate(VOTERS)
        ])  # fmt: skip
        conn.execute(insert(district_assignments), [
            {"voter_id": v[0], "layer": "congressional", "district_id": v[-1],
             "method": "voter_file", "geo_verified": False}
            for v in VOTERS
        ])  # fmt: skip
    return str(path)


def _run(assets, database_url, config_path, **kwargs):
    return materialize(
        assets,
        resources={
            "postgres": PostgresResource(url=database_url),
            "campaign": CampaignConfigResource(config_path=config_path),
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


def _mint(database_url, config_path):
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("waves", ["gotv-1"])
        return _run([links], database_url, config_path, partition_key="gotv-1", instance=instance)


def _codes(engine) -> dict[tuple, str]:
    query = select(links_table.c.voter_id, links_table.c.route, links_table.c.placement,
                   links_table.c.code)  # fmt: skip
    with engine.connect() as conn:
        return {(v, r, p): code for v, r, p, code in conn.execute(query)}


def test_assets_links_minted_for_the_wave_audience_and_reused_on_rerun(
    engine, database_url, campaign
):
    routed = _run([destination_catalog, voter_routes], database_url, campaign)
    assert routed.success
    first = _mint(database_url, campaign)
    assert first.success
    checks = {**_checks(routed), **_checks(first)}
    assert len(checks) == 9 and all(checks.values()), checks

    codes = _codes(engine)
    voter_links = {k: c for k, c in codes.items() if k[0] is not None}
    # V4 is in district 12: outside the wave's audience.
    assert {k[0] for k in voter_links} == {"V1", "V2", "V3"}
    assert len(voter_links) == 3 * 3
    assert all(len(c) == 9 for c in voter_links.values())
    assert codes[(None, "candidate", "tv-spot")] == "vote-nc"

    again = _mint(database_url, campaign)
    assert again.success
    assert _codes(engine) == codes
    metadata = again.asset_materializations_for_node("links")[0].metadata
    assert (metadata["minted"].value, metadata["kept"].value) == (0, 9)


def test_assets_links_resolve_by_catalog_zip_and_clock(engine, database_url, campaign):
    assert _run([destination_catalog, voter_routes], database_url, campaign).success
    assert _mint(database_url, campaign).success
    with engine.connect() as conn:
        rows = {(r["voter_id"], r["route"], r["placement"]): dict(r)
                for r in conn.execute(select(links_table)).mappings()}  # fmt: skip
        resolver = load_resolver(conn)
    before, after = datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 4, 1, tzinfo=UTC)

    v1_place = rows[("V1", "polling_place", None)]
    assert resolver.resolve(v1_place, now=before).url.startswith("http://127.0.0.1:8080/p/")
    assert resolver.resolve(v1_place, now=after).rule == "results"
    v3 = resolver.resolve(rows[("V3", "polling_place", None)], now=before)
    assert (v3.url.split("?")[0], v3.rule) == ("https://vt.ncsbe.gov/PPLkup/", "fallback")
    v1_candidate = resolver.resolve(rows[("V1", "candidate", None)], now=before)
    assert v1_candidate.url.startswith("https://www.example.org/nc-04?utm_source=sms&")
    assert "utm_medium=persuasion" in v1_candidate.url
    volunteer = resolver.resolve(rows[("V1", "volunteer", None)], now=before)
    assert volunteer.url.startswith("https://www.example.org/v/tri?")

    tv = rows[(None, "candidate", "tv-spot")]
    assert resolver.resolve(tv, now=before).needs_zip
    # Landing-page ZIP 27215 is V2's: district 6.
    assert resolver.resolve(tv, now=before, zip_code="27215").url.startswith(
        "https://www.example.org/nc-06?"
    )


def test_assets_links_follow_a_catalog_change_without_reminting(engine, database_url, campaign):
    assert _run([destination_catalog, voter_routes], database_url, campaign).success
    assert _mint(database_url, campaign).success
    now = datetime(2026, 10, 20, tzinfo=UTC)
    with engine.begin() as conn:
        link = (
            conn.execute(
                select(links_table).where(
                    links_table.c.voter_id == "V1", links_table.c.route == "candidate"
                )
            )
            .mappings()
            .one()
        )
        conn.execute(
            update(destinations)
            .where(destinations.c.destination_key == link["destination_key"])
            .values(url="https://www.example.org/nc-04-new")
        )
        moved = load_resolver(conn).resolve(link, now=now)
        conn.execute(
            update(destinations)
            .where(destinations.c.destination_key == link["destination_key"])
            .values(url="https://evil.example.net/")
        )
        hijacked = load_resolver(conn).resolve(link, now=now)
    assert moved.url.startswith("https://www.example.org/nc-04-new?")
    # A destination that is no longer safe is dropped at load: the click takes the fallback.
    assert hijacked.url.startswith("https://www.example.org/candidates?")
    assert hijacked.rule == "fallback"


def test_assets_links_block_on_a_wave_with_an_unknown_route(engine, database_url, campaign):
    text_ = Path(campaign).read_text()
    other = Path(campaign).with_name("other.yaml")
    other.write_text(
        text_.replace("routes: [polling_place, candidate, volunteer]", "routes: [donate]").replace(
            "Go {link_candidate}", "Go {link}"
        )
    )

    result = _mint(database_url, str(other))

    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    # Refused when the config is loaded, before anything is minted.
    message = failure.step_failure_data.error.to_string()
    assert "messaging.waves.0.routes.0: wave 'gotv-1' texts route 'donate'" in message
    assert "not in links.routes" in message
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM links")).scalar() == 0
