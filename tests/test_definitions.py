"""The whole graph as staff see it: a snapshot so a silent change shows up as a diff."""

import subprocess
import sys

from campaign_pipelines.definitions import defs
from campaign_pipelines.resources import twilio_from_env

EXPECTED_ASSETS = {
    "voter_file": "voters", "voters": "voters",
    "district_layers": "districts", "district_assignments": "districts",
    "destination_catalog": "routing", "voter_routes": "routing",
    "links": "links",
    "suppression_list": "waves", "wave_audience": "waves", "wave_messages": "waves",
    "wave_sends": "waves",
    "clicks": "attribution", "delivery_statuses": "attribution", "actions": "attribution",
    "attribution": "attribution", "holdout_lift": "attribution",
}  # fmt: skip
BLOCKING = {
    ("actions", "action_rows_are_all_accounted_for"),
    ("destination_catalog", "destinations_are_allowlisted_https"),
    ("destination_catalog", "precincts_have_a_polling_place_or_fallback"),
    ("district_assignments", "one_district_per_voter_per_layer"),
    ("district_assignments", "voters_have_a_district"),
    ("district_layers", "geometries_are_valid"),
    ("links", "destinations_are_allowlisted_https"),
    ("links", "every_voter_has_a_link_per_route"),
    ("links", "link_codes_are_unique"),
    ("links", "no_voter_link_without_a_wave"),
    ("suppression_list", "suppressed_numbers_are_e164"),
    ("voter_routes", "every_voter_has_every_route"),
    ("voter_routes", "every_voter_route_has_a_destination"),
    ("voter_routes", "fallbacks_say_why"),
    ("voters", "coordinates_inside_state_bounds"),
    ("voters", "phones_are_e164"),
    ("voters", "rows_are_all_accounted_for"),
    ("voters", "voter_ids_are_unique"),
    ("wave_audience", "no_suppressed_number_in_audience"),
    ("wave_messages", "every_message_has_its_link"),
    ("wave_messages", "no_unrendered_placeholders"),
    ("wave_messages", "segments_within_maximum"),
}
NON_BLOCKING = {
    ("actions", "most_actions_match_a_voter"),
    ("attribution", "every_attributed_action_counted_once"),
    ("attribution", "every_person_click_lands_in_one_row"),
    ("clicks", "clicks_resolve_to_links"),
    ("clicks", "no_click_below_the_cursor_is_missing"),
    ("delivery_statuses", "reports_belong_to_sent_texts"),
    ("district_assignments", "districts_agree_with_voter_file"),
    ("district_layers", "layers_cover_the_state"),
    ("holdout_lift", "holdout_share_is_as_configured"),
    ("suppression_list", "suppression_files_are_fully_read"),
    ("voters", "quarantine_rate_is_low"),
    ("wave_audience", "holdout_share_matches_config"),
    ("wave_sends", "no_text_after_opt_out"),
    ("wave_sends", "no_text_outside_texting_hours"),
}


def _graph():
    return defs.resolve_asset_graph()


def test_definitions_asset_keys_and_groups():
    graph = _graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == EXPECTED_ASSETS


def test_definitions_every_asset_has_description_and_owner():
    graph = _graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description and len(node.description) > 40, key
        assert node.owners == ["team:campaign-data"], key


def test_definitions_checks_and_blocking():
    graph = _graph()
    specs = [graph.get_check_spec(key) for key in graph.asset_check_keys]
    blocking = {(s.asset_key.to_user_string(), s.name) for s in specs if s.blocking}
    others = {(s.asset_key.to_user_string(), s.name) for s in specs if not s.blocking}
    assert blocking == BLOCKING
    assert others == NON_BLOCKING


def test_definitions_jobs():
    assert {job.name for job in defs.resolve_all_job_defs()} >= {
        "voters_and_districts_job", "routing_job", "links_job", "wave_send_job", "clicks_job",
        "attribution_job",
    }  # fmt: skip


def test_definitions_sensors_and_secrets(monkeypatch):
    assert {s.name for s in defs.sensors} == {"wave_window_sensor", "clicks_sensor"}
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tok-9f8e7d6c5b4a39281706")
    twilio = twilio_from_env()
    assert "tok-9f8e7d6c5b4a39281706" not in repr(twilio)
    assert "auth_token" not in repr(twilio)


def test_definitions_validate_through_cli():
    completed = subprocess.run(
        [sys.executable, "-m", "campaign_pipelines.cli.main", "dagster", "definitions",
         "validate", "-w", "workspace.yaml"],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "Validation successful" in completed.stdout + completed.stderr
