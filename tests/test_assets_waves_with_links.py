"""One wave end to end through ``wave_send_job`` with the real routing assets upstream: the
destination catalog (the public NCSBE polling-place list), voter routes and minted links."""

from dagster import DagsterInstance, Definitions, materialize
from sqlalchemy import insert, text

from campaign_pipelines.assets.destination_catalog import destination_catalog
from campaign_pipelines.assets.links import links
from campaign_pipelines.assets.suppression_list import suppression_list
from campaign_pipelines.assets.voter_routes import voter_routes
from campaign_pipelines.assets.wave_audience import wave_audience
from campaign_pipelines.assets.wave_messages import wave_messages
from campaign_pipelines.assets.wave_sends import wave_sends
from campaign_pipelines.db.schema import district_assignments, voters
from campaign_pipelines.fake_twilio import LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN, serve_in_thread
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.resources.twilio import TwilioResource
from campaign_pipelines.waves_schedule import wave_send_job

CONFIG = """
campaign: {id: chain-test, name: Chain test, state: NC}
voter_file: {path: voters.txt}
districts:
  layers:
    - {name: congressional, label: US House, files: [cd.zip], id_columns: [CD], vintage: test}
links:
  allowed_domains: [example.org, "*.example.org", vt.ncsbe.gov]
  polling_places:
    sources: [{ncsbe: "{data_dir}/polling_places/nc/nc_polling_places_2020-10-25.csv"}]
  routes:
    polling_place:
      rules: [{rule: polling_place, catalog: polling_place}]
      fallback: https://vt.ncsbe.gov/PPLkup/
    donate:
      rules: [{rule: state_page, by: state, destinations: {NC: "https://donate.example.org/nc"}}]
      fallback: https://donate.example.org/
messaging:
  texting_hours: {start: "00:00:00", end: "23:59:59.999999"}
  waves:
    - id: wave-1
      name: GOTV reminder
      routes: [polling_place, donate]
      holdout_fraction: 0.0
      messaging_service_sid: MG00000000000000000000000000000000
      segments_per_second: 200
      window: {opens_at: "2020-01-01T00:00:00-05:00", closes_at: "2040-01-01T00:00:00-05:00"}
      fallbacks: {polling_place_name: "your polling place"}
      variants:
        - name: plan
          template: "Hi {first_name}, vote at {polling_place_name}: {link} Give: {link_donate}"
        - {name: short, template: "{first_name}, polls are open: {link_polling_place}"}
"""
# Wake's "PRECINCT 01-01" is in the NCSBE list; Mecklenburg's "ZZ" is not.
VOTERS = [
    ("V1", "ANA", "+19195550101", "37183", "WAKE", "01-01", "PRECINCT 01-01", 35.78, -78.64),
    ("V2", "BEN", "+19195550102", "37183", "WAKE", "01-01", "PRECINCT 01-01", 35.78, -78.64),
    ("V3", "CARA", "+17045550103", "37119", "MECKLENBURG", "ZZ", "NOWHERE", 35.22, -80.84),
]


def test_assets_waves_send_job_through_routing_and_links(engine, database_url, tmp_path):
    config = tmp_path / "campaign.yaml"
    config.write_text(CONFIG)
    with engine.begin() as conn:
        conn.execute(insert(voters), [
            {"voter_id": v, "load_id": 1, "source_row": 1, "first_name": first, "state": "NC",
             "phone_e164": phone, "sms_opt_in": True, "county_fips": county,
             "county_name": county_name, "precinct_code": precinct, "precinct_name": name,
             "precinct_key": f"{county[2:]}-{precinct}", "latitude": lat, "longitude": lon}
            for v, first, phone, county, county_name, precinct, name, lat, lon in VOTERS
        ])  # fmt: skip
        conn.execute(insert(district_assignments), [
            {"voter_id": v[0], "layer": "congressional", "district_id": "4",
             "method": "voter_file", "geo_verified": False}
            for v in VOTERS
        ])  # fmt: skip
    resources = {
        "postgres": PostgresResource(url=database_url),
        "campaign": CampaignConfigResource(config_path=str(config)),
    }
    assert materialize([destination_catalog, voter_routes], resources=resources).success

    with (
        serve_in_thread(sent_delay=0.0, delivered_delay=0.0) as fake,
        DagsterInstance.ephemeral() as instance,
    ):
        twilio = TwilioResource(account_sid=LOCAL_ACCOUNT_SID, auth_token=LOCAL_AUTH_TOKEN,
                                base_url=fake.base_url, lookup_settle_seconds=0.0)  # fmt: skip
        defs = Definitions(
            assets=[links, suppression_list, wave_audience, wave_messages, wave_sends],
            jobs=[wave_send_job],
            resources={**resources, "twilio": twilio},
        )
        instance.add_dynamic_partitions("waves", ["wave-1"])
        result = defs.resolve_job_def("wave_send_job").execute_in_process(
            partition_key="wave-1", instance=instance, raise_on_error=False
        )
        received = fake.fake.store.all()

    assert result.success
    checks = [e.asset_check_evaluation_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"]  # fmt: skip
    assert checks and all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT m.voter_id, m.body, m.variant, l.variant AS link_variant, l.code, s.state"
                " FROM wave_messages m JOIN links l ON l.link_id = m.link_id"
                " JOIN sends s ON s.wave_id = m.wave_id AND s.voter_id = m.voter_id"
                " ORDER BY m.voter_id"
            )
        ).all()
    assert [r.voter_id for r in rows] == ["V1", "V2", "V3"]
    for row in rows:
        assert row.variant == row.link_variant  # utm_content on the link says the same
        assert f"http://127.0.0.1:8080/{row.code}" in row.body
        assert row.state == "sent"
    assert sorted(m.body for m in received) == sorted(r.body for r in rows)
    bodies = {r.voter_id: r.body for r in rows}
    assert bodies["V3"].startswith("Cara,") or "vote at your polling place" in bodies["V3"]
    assert bodies["V1"].startswith("Ana,") or "your polling place" not in bodies["V1"]
