"""The attribution chain through Dagster on PostgreSQL: clicks, deliveries, actions, lift.

Each test writes the few upstream rows it needs (voters, links, sends, callbacks, link-server
clicks) straight into the tables the other parts of the chain own.
"""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from dagster import materialize
from sqlalchemy import insert, text

from campaign_pipelines.assets.actions import actions
from campaign_pipelines.assets.attribution import attribution, holdout_lift
from campaign_pipelines.assets.clicks import clicks
from campaign_pipelines.assets.delivery_statuses import delivery_statuses
from campaign_pipelines.attribution.export import lift_summary
from campaign_pipelines.attribution.simulate import demo_action_files
from campaign_pipelines.config.loader import BUNDLED_DEMO_CONFIG
from campaign_pipelines.db import schema
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource

T0 = datetime(2026, 10, 30, 14, 0, tzinfo=UTC)  # wave-1's texts are delivered at T0
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
ALL = [clicks, delivery_statuses, actions, attribution, holdout_lift]


@pytest.fixture(autouse=True)
def _reports_in_tmp(tmp_path, monkeypatch):
    # Charts and CSV exports go to <state>/reports; keep the tests' out of the real state folder.
    monkeypatch.setenv("CAMPAIGN_STATE_DIR", str(tmp_path / "state"))


def _run(database_url, assets=ALL, *, actions_folder=None, window_hours=72.0, tmp_path=None):
    run_config = {"ops": {"attribution": {"config": {"window_hours": window_hours}}}}
    if actions_folder is not None:
        run_config["ops"]["actions"] = {
            "config": {"folder": str(actions_folder), "turnout_since": "2026-01-01"}
        }
    result = materialize(
        assets,
        resources={
            "postgres": PostgresResource(url=database_url),
            "campaign": CampaignConfigResource(config_path=str(BUNDLED_DEMO_CONFIG)),
        },
        run_config={"ops": {k: v for k, v in run_config["ops"].items()
                            if any(a.key.path[-1] == k for a in assets)}},
        raise_on_error=True,
    )  # fmt: skip
    assert result.success
    return result


def _world(engine, voters: dict[str, dict]) -> dict[str, int]:
    """Voters texted in wave-1 (arm "texted") or held out, with a donate link each; returns the
    link id per voter. ``voters``: id -> district, arm, and optional phone/first/last/zip."""
    link_ids = {}
    with engine.begin() as conn:
        for i, (voter_id, v) in enumerate(voters.items(), start=1):
            conn.execute(insert(schema.voters).values(
                voter_id=voter_id, load_id=1, source_row=i, first_name=v.get("first", f"F{i}"),
                last_name=v.get("last", f"L{i}"), zip_code=v.get("zip", "27601"),
                phone_e164=v.get("phone", f"+1919555{i:04d}"), status="A",
            ))  # fmt: skip
            conn.execute(insert(schema.district_assignments).values(
                voter_id=voter_id, layer="congressional", district_id=v["district"],
                method="spatial", geo_verified=True,
            ))  # fmt: skip
            texted = v["arm"] == "texted"
            conn.execute(insert(schema.wave_audience).values(
                wave_id="wave-1", voter_id=voter_id, exclusion=None if texted else "holdout",
                stratum=v["district"],
            ))  # fmt: skip
            if not texted:
                continue
            link_ids[voter_id] = conn.execute(
                insert(schema.links).values(
                    code=f"c{voter_id}", wave_id="wave-1", voter_id=voter_id, route="donate",
                    variant=v.get("variant", "plan"),
                ).returning(schema.links.c.link_id)
            ).scalar_one()  # fmt: skip
            sid = f"SM{voter_id}"
            conn.execute(insert(schema.sends).values(
                wave_id="wave-1", voter_id=voter_id, link_id=link_ids[voter_id],
                to_phone=f"+1919555{i:04d}", variant=v.get("variant", "plan"), segments=2,
                state="sent", message_sid=sid, sent_at=T0 - timedelta(seconds=5),
            ))  # fmt: skip
            for status, at in (("sent", T0 - timedelta(seconds=3)), ("delivered", T0)):
                conn.execute(insert(schema.status_callbacks).values(
                    message_sid=sid, status=status, received_at=at
                ))  # fmt: skip
    return link_ids


def _click(engine, link_id, at, *, agent=IPHONE, method="GET", human=True, reason="person",
           ip_hash=None):  # fmt: skip
    with engine.begin() as conn:
        return conn.execute(
            insert(schema.clicks).values(
                click_uuid=uuid.uuid4(), link_id=link_id, clicked_at=at, method=method,
                user_agent=agent, is_human=human, reason=reason, ip_hash=ip_hash,
            ).returning(schema.clicks.c.click_id)
        ).scalar_one()  # fmt: skip


def _action(engine, voter_id, action_type, at, *, key=None):
    with engine.begin() as conn:
        conn.execute(insert(schema.actions).values(
            import_id=0, source="test", source_key=key or f"{voter_id}:{action_type}:{at}",
            source_row=1, action_type=action_type, acted_at=at, voter_id=voter_id,
            match_rule="voter_id", raw={},
        ))  # fmt: skip


def _rows(engine, query, **params) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(text(query), conn, params=params)


def test_clicks_preview_fetcher_two_seconds_after_delivery_is_not_a_person(engine, database_url):
    links = _world(engine, {"V1": {"district": "1", "arm": "texted"}})
    # The server answered before the delivery report came in, so it took the first for a person.
    _click(engine, links["V1"], T0 + timedelta(seconds=2))
    _click(engine, links["V1"], T0 + timedelta(seconds=2), agent=SLACK, human=False,
           reason="link_preview:slack")  # fmt: skip
    _click(engine, links["V1"], T0 + timedelta(hours=2))

    _run(database_url, [clicks])

    got = _rows(engine, "SELECT is_human, reason, seconds_since_delivery FROM click_events"
                " ORDER BY click_id")  # fmt: skip
    assert got["reason"].tolist() == [
        "too_soon_after_delivery", "link_preview:slack", "person",
    ]  # fmt: skip
    assert got["is_human"].tolist() == [False, False, True]
    assert got["seconds_since_delivery"].tolist()[:2] == [2.0, 2.0]


def test_clicks_report_arriving_after_the_click_rejudges_it(engine, database_url):
    links = _world(engine, {"V1": {"district": "1", "arm": "texted"}})
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM status_callbacks WHERE status = 'delivered'"))
    _click(engine, links["V1"], T0 + timedelta(seconds=2))
    _run(database_url, [clicks])
    assert _rows(engine, "SELECT reason FROM click_events")["reason"].tolist() == ["person"]

    with engine.begin() as conn:
        conn.execute(insert(schema.status_callbacks).values(
            message_sid="SMV1", status="delivered", received_at=T0
        ))  # fmt: skip
    _run(database_url, [clicks])

    got = _rows(engine, "SELECT reason, is_human FROM click_events")
    assert got.to_dict("records") == [{"reason": "too_soon_after_delivery", "is_human": False}]


def test_clicks_a_second_tap_answered_by_another_worker_is_a_repeat(engine, database_url):
    links = _world(engine, {"V1": {"district": "1", "arm": "texted"}})
    first, second = T0 + timedelta(hours=1), T0 + timedelta(hours=1, seconds=8)
    # Each worker took its own click for a person: neither saw the other's.
    _click(engine, links["V1"], first, ip_hash="same-phone")
    _run(database_url, [clicks])  # the first click is ingested on its own
    _click(engine, links["V1"], second, ip_hash="same-phone")
    _click(engine, links["V1"], second, ip_hash="another-phone")
    _run(database_url, [clicks])

    got = _rows(engine, "SELECT is_human, reason, server_is_human FROM click_events"
                " ORDER BY click_id")  # fmt: skip
    assert got.to_dict("records") == [
        {"is_human": True, "reason": "person", "server_is_human": True},
        {"is_human": False, "reason": "repeat_within_window", "server_is_human": True},
        {"is_human": True, "reason": "person", "server_is_human": True},
    ]


def test_clicks_a_repeat_found_across_workers_stays_one_when_rejudged(engine, database_url):
    links = _world(engine, {"V1": {"district": "1", "arm": "texted"}})
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM status_callbacks WHERE status = 'delivered'"))
    for seconds in (3600, 3608):
        _click(engine, links["V1"], T0 + timedelta(seconds=seconds), ip_hash="same-phone")
    _run(database_url, [clicks])
    with engine.begin() as conn:  # the delivery report comes in late: both are judged again
        conn.execute(insert(schema.status_callbacks).values(
            message_sid="SMV1", status="delivered", received_at=T0
        ))  # fmt: skip
    _run(database_url, [clicks])

    got = _rows(engine, "SELECT reason, delivered_at IS NOT NULL AS retimed FROM click_events"
                " ORDER BY click_id")  # fmt: skip
    assert got.to_dict("records") == [
        {"reason": "person", "retimed": True},
        {"reason": "repeat_within_window", "retimed": True},
    ]


def test_donation_with_link_code_as_refcode_is_attributed_to_that_link(
    engine, database_url, tmp_path
):
    links = _world(engine, {
        "V1": {"district": "1", "arm": "texted", "phone": "+19195550101"},
        "V2": {"district": "2", "arm": "texted", "phone": "+19195550202"},
    })  # fmt: skip
    donations = tmp_path / "actions" / "donations"
    donations.mkdir(parents=True)
    with (donations / "actblue.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "Receipt ID",
                "Date",
                "Amount",
                "Donor First Name",
                "Donor Last Name",
                "Donor ZIP",
                "Donor Phone",
                "Reference Code",
                "Reference Code 2",
            ]
        )
        # V1's link code, paid with V2's phone number (a spouse's card, say).
        writer.writerow(["AB1", "2026-10-30 12:00:00", "$25.00", "Pat", "Doe", "27601",
                         "(919) 555-0202", "cV1", ""])  # fmt: skip

    _run(database_url, actions_folder=tmp_path / "actions")

    action = _rows(engine, "SELECT voter_id, link_id, match_rule, refcode FROM actions").iloc[0]
    assert (action.voter_id, action.link_id, action.match_rule) == ("V1", links["V1"], "link_code")
    touches = _rows(engine, "SELECT model, touch_kind, link_id, district_id FROM action_touches"
                    " ORDER BY model")  # fmt: skip
    assert touches.to_dict("records") == [
        {"model": "first_touch", "touch_kind": "text", "link_id": links["V1"], "district_id": "1"},
        {"model": "last_touch", "touch_kind": "refcode", "link_id": links["V1"],
         "district_id": "1"},
    ]  # fmt: skip


def test_action_73_hours_after_last_touch_is_unattributed(engine, database_url):
    links = _world(engine, {
        "V1": {"district": "1", "arm": "texted"}, "V2": {"district": "1", "arm": "texted"},
    })  # fmt: skip
    last_touch = T0 + timedelta(hours=1)
    for voter in ("V1", "V2"):
        _click(engine, links[voter], last_touch)
    _action(engine, "V1", "volunteer_signup", last_touch + timedelta(hours=73))
    _action(engine, "V2", "volunteer_signup", last_touch + timedelta(hours=71))

    _run(database_url)

    touched = _rows(engine, "SELECT a.voter_id, t.touch_kind FROM action_touches t"
                    " JOIN actions a USING (action_id) WHERE t.model = 'last_touch'")  # fmt: skip
    assert touched.to_dict("records") == [{"voter_id": "V2", "touch_kind": "click"}]
    credited = _rows(engine, "SELECT actions FROM attribution_actions WHERE model = 'last_touch'")
    assert credited["actions"].tolist() == [1]


def test_holdout_voter_who_acts_counts_in_control_rate_only(engine, database_url):
    _world(engine, {
        "T1": {"district": "1", "arm": "texted"}, "T2": {"district": "1", "arm": "texted"},
        "H1": {"district": "1", "arm": "holdout"}, "H2": {"district": "1", "arm": "holdout"},
    })  # fmt: skip
    _action(engine, "H1", "donation", T0 + timedelta(hours=3))
    _action(engine, "T1", "donation", T0 + timedelta(hours=3))

    _run(database_url)

    lift = _rows(engine, "SELECT district_id, texted, texted_acted, holdout, holdout_acted,"
                 " texted_rate, holdout_rate FROM holdout_lift WHERE action_type = 'donation'"
                 " ORDER BY district_id")  # fmt: skip
    assert lift.to_dict("records") == [
        {"district_id": "(all)", "texted": 2, "texted_acted": 1, "holdout": 2,
         "holdout_acted": 1, "texted_rate": 0.5, "holdout_rate": 0.5},
        {"district_id": "1", "texted": 2, "texted_acted": 1, "holdout": 2, "holdout_acted": 1,
         "texted_rate": 0.5, "holdout_rate": 0.5},
    ]  # fmt: skip
    credited = _rows(engine, "SELECT a.voter_id FROM action_touches t JOIN actions a"
                     " USING (action_id)")  # fmt: skip
    assert set(credited["voter_id"]) == {"T1"}


def test_every_person_click_lands_in_exactly_one_attribution_row(engine, database_url):
    voters = {
        f"V{i}": {
            "district": str(1 + i % 3),
            "arm": "texted",
            "variant": "plan" if i % 2 else "neighbors",
        }
        for i in range(12)
    }
    links = _world(engine, voters)
    with engine.begin() as conn:
        shared = conn.execute(insert(schema.links).values(
            code="yardsign", route="volunteer", channel="qr", placement="yard-sign",
        ).returning(schema.links.c.link_id)).scalar_one()  # fmt: skip
    for i, link_id in enumerate(links.values()):
        for k in range(i % 4):
            _click(engine, link_id, T0 + timedelta(minutes=10 + k))
        _click(engine, link_id, T0 + timedelta(seconds=1))  # a preview posing as a browser
    _click(engine, shared, T0 + timedelta(hours=1))
    _click(engine, shared, T0 + timedelta(hours=1), method="HEAD", human=False,
           reason="head_request")  # fmt: skip

    result = _run(database_url)

    per_click = _rows(engine, """
        SELECT e.click_id, count(f.wave_id) AS rows
        FROM click_events e
        LEFT JOIN attribution_funnel f
          ON (f.wave_id, f.variant, f.route, f.district_id) = (coalesce(e.wave_id, '(shared)'),
              coalesce(e.variant, '(none)'), coalesce(e.route, '(none)'),
              coalesce(e.district_id, '(unknown)'))
        WHERE e.is_human GROUP BY e.click_id""")  # fmt: skip
    people = sum(i % 4 for i in range(12)) + 1
    assert len(per_click) == people
    assert (per_click["rows"] == 1).all()
    totals = _rows(engine, "SELECT sum(clicks_by_people) AS people, sum(clicks_by_machines)"
                   " AS machines, sum(sent) AS sent FROM attribution_funnel")  # fmt: skip
    assert totals.to_dict("records") == [{"people": people, "machines": 13, "sent": 12}]
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks["every_person_click_lands_in_one_row"]
    assert checks["no_click_below_the_cursor_is_missing"]
    metadata = result.asset_materializations_for_node("attribution")[0].metadata
    assert metadata["clicks_by_hour_png"].value.endswith("clicks_by_hour.png")
    assert metadata["funnel_wave-1_chart"].value.startswith("![funnel_wave-1](data:image/png")


def test_turnout_import_matches_by_voter_id_across_reformatted_zip(engine, database_url, tmp_path):
    _world(engine, {"NC0001": {"district": "4", "arm": "texted", "zip": "27601"}})
    folder = tmp_path / "actions"
    (folder / "turnout").mkdir(parents=True)
    (folder / "voter_file").mkdir()
    # The state's files quote every field; the later voter file writes the ZIP as ZIP+4.
    (folder / "turnout" / "ncvhis92.txt").write_text(
        '"county_id"\t"election_lbl"\t"election_desc"\t"voting_method"\t"ncid"\n'
        '"92"\t"11/03/2026"\t"11/03/2026 GENERAL"\t"IN-PERSON"\t" nc0001 "\n'
    )
    (folder / "voter_file" / "ncvoter_20261105.txt").write_text(
        "ncid\tfirst_name\tlast_name\tstatus_cd\tres_street_address\tzip_code\n"
        "NC0001\tF1\tL1\tA\t\t27601-1234\n"
    )

    _run(database_url, [actions], actions_folder=folder)

    got = _rows(engine, "SELECT action_type, voter_id, match_rule FROM actions")
    assert got.to_dict("records") == [
        {"action_type": "voted", "voter_id": "NC0001", "match_rule": "voter_id"}
    ]
    imports = _rows(engine, "SELECT source, rows_read, rows_matched FROM action_imports"
                    " ORDER BY source")  # fmt: skip
    assert imports.to_dict("records") == [
        {"source": "ncvhis", "rows_read": 1, "rows_matched": 1},
        {"source": "voter_file", "rows_read": 0, "rows_matched": 0},  # a ZIP+4 is not a move
    ]


def test_simulated_demo_actions_import_match_and_measure(engine, database_url, tmp_path):
    voters = {f"V{i:03d}": {"district": str(1 + i % 2), "arm": "holdout" if i % 5 == 0 else
                            "texted", "first": f"First{i}", "last": f"Last{i}"}
              for i in range(300)}  # fmt: skip
    _world(engine, voters)
    folder = tmp_path / "actions"
    files = demo_action_files(engine, folder, wave_id="wave-1", seed=3,
                              lift_by_district={"1": 0.5, "2": 1.0})  # fmt: skip

    result = _run(database_url, actions_folder=folder)

    assert sorted(p.parent.name for p in files.values()) == ["donations", "signups", "turnout"]
    imports = _rows(engine, "SELECT source, rows_read, rows_matched, rows_unmatched,"
                    " rows_quarantined FROM action_imports ORDER BY source")  # fmt: skip
    assert (imports["rows_read"] == imports["rows_matched"]).all()  # every simulated voter found
    lift = _rows(engine, "SELECT action_type, texted, holdout FROM holdout_lift"
                 " WHERE district_id = '(all)' ORDER BY action_type")  # fmt: skip
    assert lift["action_type"].tolist() == sorted(
        ["address_updated", "donation", "registered", "volunteer_signup", "voted"]
    )
    assert set(lift["texted"]) == {240} and set(lift["holdout"]) == {60}
    metadata = result.asset_materializations_for_node("holdout_lift")[0].metadata
    assert metadata["lift_wave-1_voted_png"].value.endswith("lift_wave-1_voted.png")
    assert "headline_lift" in metadata
    summary = lift_summary(engine, "wave-1")
    assert summary.iloc[0][["action_type", "district_id"]].tolist() == ["address_updated", "(all)"]


def test_attribution_before_anything_is_sent_succeeds_empty(engine, database_url, tmp_path):
    result = _run(database_url, actions_folder=tmp_path / "nothing-dropped-yet")

    assert _rows(engine, "SELECT count(*) AS n FROM holdout_lift")["n"].tolist() == [0]
    metadata = result.asset_materializations_for_node("holdout_lift")[0].metadata
    assert metadata["headline_lift"].value == "none yet"
