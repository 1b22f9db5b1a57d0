"""Run the whole chain on the real North Carolina files with synthetic voters.

PostgreSQL (embedded unless configured), a real link server process and the local Twilio come
up first; then every job runs on a Dagster instance stored in PostgreSQL, wave 1 goes out through
the wave schedule's job, simulated people and machines click through the link server, simulated
donations, sign-ups and turnout are imported, and attribution is built. Everything the demo
started is stopped at the end.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, text

from campaign_pipelines import paths
from campaign_pipelines.config import load_config
from campaign_pipelines.config.loader import default_config_path, resolve_path
from campaign_pipelines.dagster_env import prepare_dagster_env
from campaign_pipelines.db import migrate
from campaign_pipelines.db.session import engine_for
from campaign_pipelines.demo import summary
from campaign_pipelines.demo.services import Services, running_services
from campaign_pipelines.demo.traffic import drive_traffic, sent_links

DEFAULT_VOTERS = 50_000
DEMO_SEED = 2026
WAVE = "wave-1"
# The demo's true effect of a text, relative to the baseline rate, per US House district.
TRUE_LIFT = {str(d): 0.10 + 0.02 * (d % 5) for d in range(1, 15)}
DEMO_SEGMENTS_PER_SECOND = 2_000
DEMO_TEXTING_HOURS = {"start": "00:00", "end": "23:59:59.999999"}  # the whole day
TOO_SOON_SECONDS = 3.0  # link server setting for the demo; people tap after this


@dataclass(frozen=True)
class DemoResult:
    success: bool
    voter_file: Path
    checks_failed: list[str]


def run_demo(*, voters: int | None = None, console: Console | None = None) -> DemoResult:
    console = console or Console()
    voters = voters or int(os.environ.get("DEMO_VOTERS", DEFAULT_VOTERS))
    started = time.monotonic()
    env = prepare_dagster_env()
    base = load_config(default_config_path())
    console.print(f"[bold]Campaign[/] {base.campaign.name} ({base.campaign.id})")
    voter_file = resolve_path(base, base.voter_file.path)
    _ensure_voter_file(voter_file, voters, base, console)
    migrate.upgrade(env["CAMPAIGN_DATABASE_URL"])
    engine = engine_for(env["CAMPAIGN_DATABASE_URL"])

    os.environ["LINK_TOO_SOON_SECONDS"] = str(TOO_SOON_SECONDS)
    with running_services(link_port=_demo_link_port()) as services:
        _write_demo_config(default_config_path(), services.link_base_url)
        console.print(
            f"Link server {services.link_base_url}, local Twilio {services.twilio_base_url}"
        )
        failed = _run_chain(engine, services, console)

    summary.print_summary(engine, WAVE, console)
    elapsed = time.monotonic() - started
    state = "[green]succeeded[/]" if not failed else f"[red]failed checks: {failed}[/]"
    console.print(f"\nDemo {state} in {elapsed:.0f}s.")
    console.print(f"Reports and charts: {paths.state_dir() / 'reports'}")
    console.print(
        "Dagster UI with this run's lineage: [bold]make ui[/], then http://127.0.0.1:3000"
    )
    return DemoResult(not failed, voter_file, failed)


def _run_chain(engine: Engine, services: Services, console: Console) -> list[str]:
    from dagster import DagsterInstance

    from campaign_pipelines.attribution.simulate import demo_action_files
    from campaign_pipelines.definitions import defs

    failed: list[str] = []
    with DagsterInstance.get() as instance:
        run = _runner(defs, instance, console, failed)
        run("voters_and_districts_job")
        run("routing_job")
        instance.add_dynamic_partitions("waves", [WAVE])
        run("wave_send_job", partition_key=WAVE,
            selection=["suppression_list", "links", "wave_audience", "wave_messages"])  # fmt: skip
        _write_placement_qr(engine, services.link_base_url, console)
        summary.print_forecast(engine, WAVE, console)
        run("wave_send_job", partition_key=WAVE, selection=["wave_sends"])
        _wait_for_delivery_reports(engine, console)

        reply = _replier(services)
        with _progress(console) as bar:
            counts = drive_traffic(
                sent_links(engine, WAVE), link_base_url=services.link_base_url, reply=reply,
                pause_seconds=TOO_SOON_SECONDS + 1, seed=DEMO_SEED, progress=bar,
            )  # fmt: skip
        console.print(f"Traffic sent through the link server: {dict(sorted(counts.items()))}")
        refused = sum(n for key, n in counts.items() if key.endswith("_503"))
        if refused:
            failed.append(f"link server answered {refused} demo visits with 503 (no redirect)")
        folder = paths.state_dir() / "actions"
        demo_action_files(engine, folder, wave_id=WAVE, lift_by_district=TRUE_LIFT, seed=DEMO_SEED)
        time.sleep(1.0)  # let the last clicks commit and STOP replies land
        run("attribution_job")
    return failed


def _write_placement_qr(engine: Engine, link_base_url: str, console: Console) -> None:
    """The yard-sign QR code: one shared link, routed by the ZIP the visitor enters."""
    from campaign_pipelines.routing.qr import short_url, write_qr

    with engine.connect() as conn:
        code = conn.execute(
            text("SELECT code FROM links WHERE placement = 'yard-sign-qr'")
        ).scalar_one_or_none()
    if code is None:
        console.print("[yellow]No yard-sign placement in the config; no QR code written.[/]")
        return
    output = paths.state_dir() / "demo" / "yard-sign-qr.png"
    write_qr(short_url(link_base_url, code), output, kind="png")
    console.print(f"QR code for the yard-sign link written to {output}")


def _demo_link_port() -> int:
    """A fixed port (``DEMO_LINK_PORT``, default 8080): links minted by an earlier demo run keep
    pointing at the same server, as a campaign's links keep their domain."""
    port = int(os.environ.get("DEMO_LINK_PORT", "8080"))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(
                f"port {port} on 127.0.0.1 is in use; stop what holds it or set DEMO_LINK_PORT"
            )
    return port


def _runner(defs, instance, console: Console, failed: list[str]) -> Callable[..., None]:
    def run(job_name: str, *, partition_key: str | None = None, selection=None) -> None:
        from dagster import AssetKey

        label = job_name + (f" {partition_key}" if partition_key else "")
        if selection:
            label += f" ({', '.join(selection)})"
        began = time.monotonic()
        with console.status(f"Running {label}…"):
            result = defs.resolve_job_def(job_name).execute_in_process(
                instance=instance,
                partition_key=partition_key,
                asset_selection=[AssetKey(s) for s in selection] if selection else None,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )
        evaluations = [
            e.asset_check_evaluation_data
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
        ]
        bad = [
            f"{e.asset_key.to_user_string()}.{e.check_name}"
            for e in evaluations
            if not e.passed and e.severity.value == "ERROR"
        ]
        failed.extend(bad)
        mark = "[green]✓[/]" if result.success and not bad else "[red]✗[/]"
        passed = sum(e.passed for e in evaluations)
        console.print(
            f"{mark} {label}: {time.monotonic() - began:.1f}s, "
            f"{passed}/{len(evaluations)} checks passed"
        )
        if not result.success:
            failed.append(f"{job_name} run {result.run_id} failed")

    return run


def _wait_for_delivery_reports(engine: Engine, console: Console, timeout: float = 240.0) -> None:
    query = text(
        "SELECT (SELECT count(*) FROM sends WHERE wave_id = :w AND state = 'sent'),"
        " (SELECT count(*) FROM message_statuses m JOIN sends s USING (message_sid)"
        "  WHERE s.wave_id = :w AND m.status IN ('delivered', 'undelivered', 'failed'))"
    )
    deadline = time.monotonic() + timeout
    with console.status("Waiting for Twilio's delivery reports…"):
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                sent, reported = conn.execute(query, {"w": WAVE}).one()
            if reported >= sent:
                break
            time.sleep(0.5)
    console.print(f"Delivery reports received for {reported:,} of {sent:,} texts")


def _replier(services: Services) -> Callable[[str, str], None]:
    client = httpx.Client(base_url=services.twilio_base_url, timeout=10.0)

    def reply(phone: str, body: str) -> None:
        client.post(
            "/_fake/inbound",
            data={"From": phone, "To": "+15005550006", "Body": body,
                  "Url": f"{services.link_base_url}/twilio/inbound"},
        ).raise_for_status()  # fmt: skip

    return reply


def _progress(console: Console):
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )  # fmt: skip

    class _Bars:
        def __enter__(self):
            progress.start()
            return self

        def __exit__(self, *exc):
            progress.stop()

        def __call__(self, description: str, total: int) -> Callable[[], None]:
            task = progress.add_task(description, total=total)
            return lambda: progress.advance(task)

    return _Bars()


def _write_demo_config(source: Path, link_base_url: str) -> Path:
    """The bundled config with the link server's address, written to the state folder."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data.setdefault("links", {})["base_url"] = link_base_url
    # Synthetic voters texted through the local Twilio: the demo sends at any hour, so that a
    # run at night shows the whole chain (it used to defer every text to 08:00, and send none).
    # The configured texting hours apply to every real wave.
    messaging = data.setdefault("messaging", {})
    messaging["texting_hours"] = DEMO_TEXTING_HOURS
    messaging["state_texting_hours"] = {}
    # The local Twilio has no carrier throughput limit; real waves keep the configured pace.
    for wave in messaging.get("waves", []):
        wave["segments_per_second"] = max(
            wave.get("segments_per_second", 0), DEMO_SEGMENTS_PER_SECOND
        )
    target = paths.state_dir() / "demo" / "campaign.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    os.environ["CAMPAIGN_CONFIG"] = str(target)
    return target


def _ensure_voter_file(path: Path, voters: int, config, console: Console) -> None:
    marker = path.with_suffix(".json")
    wanted = {"voters": voters, "seed": DEMO_SEED}
    if path.exists() and marker.exists() and json.loads(marker.read_text()) == wanted:
        console.print(f"Reusing the synthetic voter file ({voters:,} voters)")
        return
    from campaign_pipelines.voterfile.synth import write_synthetic_voter_file

    console.print(f"Writing a synthetic voter file: {voters:,} voters over the real NC districts…")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_synthetic_voter_file(path, count=voters, seed=DEMO_SEED, config=config)
    marker.write_text(json.dumps(wanted))
