"""The whole graph as staff see it: a snapshot so a silent change shows up as a diff."""

import subprocess
import sys

from campaign_pipelines.definitions import defs

EXPECTED_ASSETS = {
    "voter_file": "voters",
    "voters": "voters",
    "district_layers": "districts",
    "district_assignments": "districts",
    "destination_catalog": "routing",
    "voter_routes": "routing",
    "links": "links",
}
EXPECTED_CHECKS = {
    "voters": {
        "voter_ids_are_unique", "phones_are_e164", "coordinates_inside_state_bounds",
        "rows_are_all_accounted_for", "quarantine_rate_is_low",
    },
    "district_layers": {"geometries_are_valid", "layers_cover_the_state"},
    "district_assignments": {
        "one_district_per_voter_per_layer", "voters_have_a_district",
        "districts_agree_with_voter_file",
    },
    "destination_catalog": {
        "precincts_have_a_polling_place_or_fallback", "destinations_are_allowlisted_https",
    },
    "voter_routes": {
        "every_voter_has_every_route", "every_voter_route_has_a_destination", "fallbacks_say_why",
    },
    "links": {
        "link_codes_are_unique", "destinations_are_allowlisted_https",
        "every_voter_has_a_link_per_route", "no_voter_link_without_a_wave",
    },
}  # fmt: skip
BLOCKING = {
    "voter_ids_are_unique", "phones_are_e164", "coordinates_inside_state_bounds",
    "rows_are_all_accounted_for", "geometries_are_valid", "one_district_per_voter_per_layer",
    "voters_have_a_district",
    "precincts_have_a_polling_place_or_fallback", "destinations_are_allowlisted_https",
    "every_voter_has_every_route", "every_voter_route_has_a_destination", "fallbacks_say_why",
    "link_codes_are_unique", "every_voter_has_a_link_per_route", "no_voter_link_without_a_wave",
}  # fmt: skip


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
    checks: dict[str, set[str]] = {}
    blocking = set()
    graph = _graph()
    for spec in (graph.get_check_spec(key) for key in graph.asset_check_keys):
        checks.setdefault(spec.asset_key.to_user_string(), set()).add(spec.name)
        if spec.blocking:
            blocking.add(spec.name)
    assert checks == EXPECTED_CHECKS
    assert blocking == BLOCKING


def test_definitions_jobs():
    assert {job.name for job in defs.resolve_all_job_defs()} >= {
        "voters_and_districts_job", "routing_job", "links_job",
    }  # fmt: skip


def test_definitions_validate_through_cli():
    completed = subprocess.run(
        [sys.executable, "-m", "campaign_pipelines.cli.main", "dagster", "definitions",
         "validate", "-w", "workspace.yaml"],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "Validation successful" in completed.stdout + completed.stderr
