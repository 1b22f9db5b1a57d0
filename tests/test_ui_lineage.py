"""Lineage for staff: after the demo, the Dagster webserver shows every asset, check and result.

One demo run (small voter file) feeds every test here. The webserver is started on 127.0.0.1
against the demo's own Dagster instance (its ``DAGSTER_HOME`` and PostgreSQL storage); its GraphQL
API must list what ``definitions.py`` declares and what the demo recorded, and Debian's Chromium,
driven by Playwright, must draw the whole chain on the global lineage page. The screenshot is kept
in the demo's state folder and copied to ``.state/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from dagster import AssetCheckKey, AssetKey
from playwright.sync_api import Page, expect, sync_playwright

from campaign_pipelines import paths
from campaign_pipelines.dagster_env import prepare_dagster_env
from campaign_pipelines.definitions import defs
from campaign_pipelines.linkserver.process import free_port

pytestmark = pytest.mark.slow

DEMO_VOTERS = "1500"
CHROMIUM = Path("/usr/bin/chromium")
ENSURE_CHROMIUM = "scripts/ensure_chromium.sh"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# At 4K the fitted graph still draws full asset nodes (names, status, checks) rather than the
# minimal boxes Dagster falls back to when zoomed out, so the screenshot stays readable.
VIEWPORT = {"width": 3840, "height": 2160}
WEBSERVER_START_SECONDS = 120
PAGE_TIMEOUT_MS = 45_000

WORKSPACE_QUERY = """
query LineageWorkspace {
  workspaceOrError {
    __typename
    ... on PythonError { message }
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""
ASSETS_QUERY = """
query LineageAssets {
  assetNodes {
    assetKey { path }
    groupName
    description
    isPartitioned
    owners { __typename ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
    metadataEntries { label }
    assetMaterializations(limit: 1) { runId metadataEntries { label } }
    assetChecksOrError {
      __typename
      ... on AssetChecks {
        checks {
          name
          description
          blocking
          executionForLatestMaterialization { runId status evaluation { success } }
        }
      }
    }
  }
}
"""
RUNS_QUERY = """
query DemoRuns($after: Float!) {
  runsOrError(filter: {createdAfter: $after}) {
    __typename
    ... on PythonError { message }
    ... on Runs { results { runId jobName status assetSelection { path } } }
  }
}
"""


@dataclass(frozen=True)
class DemoRun:
    state_dir: Path
    started_at: float


@dataclass(frozen=True)
class DemoRecord:
    """What the demo's runs were asked to produce, from the run records and the definitions."""

    run_ids: frozenset[str]
    materialized: frozenset[AssetKey]
    checks: frozenset[AssetCheckKey]


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    state_dir = tmp_path_factory.mktemp("ui_lineage") / "state"
    env = {
        **os.environ,
        "CAMPAIGN_DATABASE_URL": database_url,
        "CAMPAIGN_STATE_DIR": str(state_dir),
        "DEMO_VOTERS": DEMO_VOTERS,
        "DEMO_LINK_PORT": str(free_port()),
        "COLUMNS": "120",
    }
    started_at = time.time()
    completed = subprocess.run(
        [sys.executable, "-m", "campaign_pipelines.cli.main", "demo"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return DemoRun(state_dir=state_dir, started_at=started_at)


@pytest.fixture(scope="module")
def webserver(demo: DemoRun, database_url: str) -> Iterator[str]:
    """``dagster-webserver`` on a free loopback port, stopped with its code server afterwards."""
    # prepare_dagster_env exports into os.environ; patch.dict puts the test process back as it was.
    overrides = {"CAMPAIGN_DATABASE_URL": database_url, "CAMPAIGN_STATE_DIR": str(demo.state_dir)}
    with mock.patch.dict(os.environ, overrides):
        prepare_dagster_env()
        env = dict(os.environ)
    port = free_port()
    log_path = demo.state_dir / "webserver.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dagster_webserver", "-w", "workspace.yaml",
             "-h", "127.0.0.1", "-p", str(port)],
            cwd=paths.REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_loaded(base_url, process, log_path)
        yield base_url
    finally:
        _stop_process_group(process)


@pytest.fixture(scope="module")
def assets(webserver: str) -> dict[AssetKey, dict[str, Any]]:
    nodes = _graphql(webserver, ASSETS_QUERY)["assetNodes"]
    return {AssetKey(node["assetKey"]["path"]): node for node in nodes}


@pytest.fixture(scope="module")
def demo_record(webserver: str, demo: DemoRun) -> DemoRecord:
    runs = _graphql(webserver, RUNS_QUERY, {"after": demo.started_at})["runsOrError"]
    assert runs["__typename"] == "Runs", runs
    results = runs["results"]
    assert results, "the webserver shows no run created by the demo"
    failed = [(r["jobName"], r["status"]) for r in results if r["status"] != "SUCCESS"]
    assert not failed, f"demo runs not successful in the UI: {failed}"

    graph = defs.resolve_asset_graph()
    materialized: set[AssetKey] = set()
    checks: set[AssetCheckKey] = set()
    for run in results:
        # A job run records an empty selection: it ran every asset of its job.
        layer = defs.resolve_job_def(run["jobName"]).asset_layer
        chosen = {AssetKey(a["path"]) for a in run["assetSelection"] or []}
        selected = {
            key for key in chosen or layer.selected_asset_keys if graph.get(key).is_materializable
        }
        materialized |= selected
        checks |= {key for key in layer.asset_graph.asset_check_keys if key.asset_key in selected}
    assert materialized, f"the demo's runs {[r['jobName'] for r in results]} select no asset"
    return DemoRecord(
        run_ids=frozenset(r["runId"] for r in results),
        materialized=frozenset(materialized),
        checks=frozenset(checks),
    )


def test_ui_lineage_lists_every_asset_with_group_description_and_owners(assets):
    graph = defs.resolve_asset_graph()
    assert set(assets) == set(graph.get_all_asset_keys())
    for key, node in assets.items():
        declared = graph.get(key)
        assert node["groupName"] == declared.group_name, key
        assert node["description"] and node["description"] == declared.description, key
        assert sorted(_owner(o) for o in node["owners"]) == sorted(declared.owners), key


def test_ui_lineage_lists_every_check_with_its_blocking_flag(assets):
    graph = defs.resolve_asset_graph()
    declared = {key: graph.get_check_spec(key) for key in graph.asset_check_keys}
    shown: dict[AssetCheckKey, dict[str, Any]] = {}
    for key, node in assets.items():
        checks = node["assetChecksOrError"]
        assert checks["__typename"] == "AssetChecks", (key, checks)
        shown |= {AssetCheckKey(key, check["name"]): check for check in checks["checks"]}
    assert set(shown) == set(declared)
    for key, check in shown.items():
        assert check["blocking"] == declared[key].blocking, key
        assert check["description"] == declared[key].description, key


def test_ui_lineage_records_the_demo_materializations(assets, demo_record):
    for key in sorted(demo_record.materialized, key=AssetKey.to_user_string):
        latest = assets[key]["assetMaterializations"]
        assert latest, f"{key.to_user_string()}: the demo materialised it, the UI shows none"
        assert latest[0]["runId"] in demo_record.run_ids, key


def test_ui_lineage_materializations_show_row_counts_and_column_schema(assets, demo_record):
    for key in demo_record.materialized:
        latest = assets[key]["assetMaterializations"][0]
        definition_labels = {entry["label"] for entry in assets[key]["metadataEntries"]}
        event_labels = {entry["label"] for entry in latest["metadataEntries"]}
        assert "dagster/row_count" in event_labels, key
        assert "dagster/column_schema" in definition_labels | event_labels, key


def test_ui_lineage_records_the_demo_check_results(assets, demo_record):
    assert demo_record.checks, "the demo's runs execute no asset check"
    for key in sorted(demo_record.checks, key=AssetCheckKey.to_user_string):
        checks = {c["name"]: c for c in assets[key.asset_key]["assetChecksOrError"]["checks"]}
        execution = checks[key.name]["executionForLatestMaterialization"]
        assert execution, f"{key.to_user_string()}: no result for the latest materialisation"
        assert execution["runId"] in demo_record.run_ids, key
        # The demo exits 0 only when every check passed, so the UI must say so too.
        assert execution["status"] == "SUCCEEDED", (key, execution)
        assert execution["evaluation"]["success"] is True, (key, execution)


def test_ui_lineage_graph_page_draws_the_whole_chain(webserver, demo, assets, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `sudo bash {ENSURE_CHROMIUM}` (Debian's chromium)")
    graph = defs.resolve_asset_graph()
    asset_names = sorted(key.path[-1] for key in graph.get_all_asset_keys())
    groups = sorted({graph.get(key).group_name for key in graph.get_all_asset_keys()})
    # Unpartitioned assets with a materialisation carry a "Materialized" status row in the graph.
    materialized = [
        k for k, n in assets.items() if n["assetMaterializations"] and not n["isPartitioned"]
    ]
    assert materialized, "no asset shows a materialisation after the demo"
    shot = demo.state_dir / "screenshots" / "asset_graph.png"
    shot.parent.mkdir(parents=True, exist_ok=True)

    with _browser_page(webserver, tmp_path / "chromium-profile") as page:
        # "Global asset lineage" lives at /asset-groups in this Dagster version.
        page.goto(f"{webserver}/asset-groups", wait_until="domcontentloaded")
        expect(page).to_have_title("Global asset lineage", timeout=PAGE_TIMEOUT_MS)
        drawn = page.locator('svg[class*="svgContainer"]')
        collapsed = drawn.locator('[class*="collapsedGroupNodeBox"]')
        first_node = collapsed.or_(drawn.locator('[class*="AssetNode_assetName"]')).first
        first_node.wait_for(timeout=PAGE_TIMEOUT_MS)
        if collapsed.count():
            # Dagster's own shortcut for "Expand all groups" in the graph's settings menu.
            page.keyboard.press("Alt+KeyE")
        for name in [*asset_names, *groups]:
            expect(
                drawn.get_by_text(name, exact=True).first,
                f"{name!r} is not drawn legibly at {VIEWPORT}; has the graph outgrown it?",
            ).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        # Live status arrives after the layout; the screenshot waits for it.
        expect(drawn.get_by_text("Materialized", exact=True)).to_have_count(
            len(materialized), timeout=PAGE_TIMEOUT_MS
        )
        # Status icons load as images after the rows; the UI's polling leaves idle gaps of seconds.
        page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
        page.screenshot(path=shot, full_page=True)
    for_people = paths.state_dir() / "screenshots" / "asset_graph.png"
    for_people.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, for_people)

    width, height = _png_size(shot)
    assert width == VIEWPORT["width"] and height >= VIEWPORT["height"], (width, height)
    assert shot.stat().st_size > 100_000, f"{shot} is only {shot.stat().st_size} bytes"


def _graphql(base_url: str, query: str, variables: dict[str, Any] | None = None) -> dict:
    response = httpx.post(
        f"{base_url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
    )
    response.raise_for_status()
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def _owner(owner: dict[str, str]) -> str:
    if owner["__typename"] == "TeamAssetOwner":
        return f"team:{owner['team']}"
    return owner["email"]


def _wait_until_loaded(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + WEBSERVER_START_SECONDS
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = log_path.read_text(errors="replace")[-3000:]
            pytest.fail(f"dagster-webserver exited with {process.returncode}:\n{log}")
        try:
            workspace = _graphql(base_url, WORKSPACE_QUERY)["workspaceOrError"]
        except httpx.HTTPError as e:
            last = repr(e)
        else:
            entries = workspace.get("locationEntries", [])
            errors = [
                entry["locationOrLoadError"]["message"]
                for entry in entries
                if (entry["locationOrLoadError"] or {}).get("__typename") == "PythonError"
            ]
            if errors:
                pytest.fail(f"the code location failed to load in the webserver: {errors[0]}")
            if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
                return
            last = repr(workspace)
        time.sleep(0.5)
    log = log_path.read_text(errors="replace")[-3000:]
    pytest.fail(f"webserver not ready after {WEBSERVER_START_SECONDS}s ({last}):\n{log}")


def _stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM the webserver's process group (it and its code server), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    # The code server shares the group; make sure it did not outlive the webserver.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def _browser_page(base_url: str, profile: Path) -> Iterator[Page]:
    """Headless Debian Chromium on a fresh profile that may only talk to the local webserver."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )  # fmt: skip
        try:
            context.route(lambda url: not url.startswith(base_url), lambda route: route.abort())
            # Keeps the "Join the Dagster community" dialog, shown on localhost, off the graph.
            context.add_init_script("window.localStorage.setItem('communityNux', '\"1\"')")
            yield context.new_page()
        finally:
            context.close()


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])
