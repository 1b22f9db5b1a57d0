"""Synthetic actions with a known true effect, for the demo and for the truth test.

Each district has a baseline action rate (what voters do untexted) and a true lift (added for
texted voters). Voters are split into arms by an independent draw per voter, as the holdout's
seeded hash does; outcomes are Bernoulli draws. Everything is vectorised over voters and over
independent trials (``runs``), so hundreds of trials cost well under a second.

``action_files`` turns one trial on real warehouse voters into the files campaigns receive: an
ActBlue-style donations CSV (some donors giving through their texted link's code as refcode,
some under another phone number), a Mobilize-style sign-up export and an NC ``ncvhis`` history.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Truth:
    """Per-district baseline rate and true absolute lift for texted voters."""

    district_ids: tuple[str, ...]
    voters: np.ndarray  # voters per district
    baseline: np.ndarray
    lift: np.ndarray

    @classmethod
    def example(cls) -> Truth:
        """Fourteen districts of mixed size, rates from 2% to 12%, lifts from -0.5 to 4 points."""
        rng = np.random.default_rng(14)
        ids = tuple(str(d) for d in range(1, 15))
        voters = rng.integers(800, 4000, size=14)
        baseline = np.round(rng.uniform(0.02, 0.12, size=14), 3)
        lift = np.round(rng.uniform(-0.005, 0.04, size=14), 3)
        return cls(ids, voters, baseline, lift)

    def district_index(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.district_ids)), self.voters)


def assign_arms(rng: np.random.Generator, voters: int, holdout_fraction: float, runs: int):
    """True where a voter is texted, False where held out; shape (runs, voters)."""
    return rng.random((runs, voters)) >= holdout_fraction


def simulate_outcomes(rng: np.random.Generator, truth: Truth, texted: np.ndarray) -> np.ndarray:
    """Whether each voter acted: baseline of their district, plus the lift if texted."""
    index = truth.district_index()
    chance = truth.baseline[index] + truth.lift[index] * texted
    return rng.random(texted.shape) < chance


def stratum_counts(truth: Truth, texted: np.ndarray, acted: np.ndarray):
    """(n_t, x_t, n_c, x_c), each (runs, districts): the sufficient statistics of a trial."""
    index = truth.district_index()
    districts = len(truth.district_ids)
    runs = texted.shape[0]
    flat = (np.arange(runs)[:, None] * districts + index[None, :]).ravel()
    size = runs * districts

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(flat, weights=mask.ravel(), minlength=size).reshape(runs, districts)

    return count(texted), count(texted & acted), count(~texted), count(~texted & acted)


def true_overall_lift(truth: Truth, n_texted: np.ndarray) -> np.ndarray:
    """The estimand: each district's true lift weighted by its share of texted voters."""
    weights = n_texted / n_texted.sum(axis=-1, keepdims=True)
    return (weights * truth.lift).sum(axis=-1)


# --- the demo: one trial on the warehouse's voters, written as the files campaigns receive ---

ACTION_RATES = {  # baseline share of voters taking each action over the outcome window
    "donation": 0.01,
    "volunteer_signup": 0.005,
    "voted": 0.45,
}


def simulate_voter_actions(
    voters: pd.DataFrame,
    *,
    lift_by_district: dict[str, float],
    seed: int,
    start: datetime,
    hours: float = 48.0,
) -> pd.DataFrame:
    """Who did what, and when, for ``voters`` (voter_id, district_id, texted).

    Rates are ``ACTION_RATES`` plus, for texted voters, the district's lift (relative to the
    rate: a lift of 0.2 is 20% more). Action times are uniform over ``hours`` after ``start``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    texted = voters["texted"].to_numpy(dtype=bool)
    lift = voters["district_id"].map(lift_by_district).fillna(0.0).to_numpy()
    for action_type, base in ACTION_RATES.items():
        chance = np.clip(base * (1 + lift * texted), 0, 1)
        acted = rng.random(len(voters)) < chance
        offsets = rng.uniform(0, hours * 3600, size=int(acted.sum()))
        rows.append(
            pd.DataFrame(
                {
                    "voter_id": voters["voter_id"].to_numpy()[acted],
                    "action_type": action_type,
                    "acted_at": [start + timedelta(seconds=float(s)) for s in offsets],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def action_files(
    acted: pd.DataFrame, voters: pd.DataFrame, folder: Path, *, seed: int, election: datetime
) -> dict[str, Path]:
    """Write ``acted`` as an ActBlue CSV, a Mobilize CSV and an ncvhis file in ``folder``.

    ``voters``: voter_id, first_name, last_name, zip_code, phone_e164, link_code (may be null).
    Half the donors with a link code give through it (refcode); one in ten of those pays with
    another phone, which must not stop the donation reaching the right link.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    people = acted.merge(voters, on="voter_id", how="left")
    paths = {
        "donations": _actblue(people[people["action_type"] == "donation"], folder, rng),
        "signups": _mobilize(people[people["action_type"] == "volunteer_signup"], folder),
        "turnout": _ncvhis(people[people["action_type"] == "voted"], folder, election),
    }
    return paths


def _local(stamp) -> str:
    return pd.Timestamp(stamp).tz_convert("America/New_York").strftime("%Y-%m-%d %H:%M:%S")


def _actblue(donors: pd.DataFrame, folder: Path, rng: np.random.Generator) -> Path:
    path = folder / "actblue_contributions.csv"
    through_link = donors["link_code"].notna().to_numpy() & (rng.random(len(donors)) < 0.5)
    other_phone = through_link & (rng.random(len(donors)) < 0.1)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Receipt ID", "Date", "Amount", "Donor First Name", "Donor Last Name",
                         "Donor ZIP", "Donor Email", "Donor Phone", "Reference Code",
                         "Reference Code 2"])  # fmt: skip
        for i, row in enumerate(donors.itertuples(index=False)):
            phone = f"+1919555{i % 10000:04d}" if other_phone[i] else row.phone_e164
            writer.writerow([
                f"AB{i + 1:08d}", _local(row.acted_at), f"{rng.choice([5, 10, 25, 50, 100])}.00",
                row.first_name, row.last_name, row.zip_code, f"donor{i + 1}@example.org",
                phone or "", row.link_code if through_link[i] else "sms", "",
            ])  # fmt: skip
    return path


def _mobilize(signups: pd.DataFrame, folder: Path) -> Path:
    path = folder / "mobilize_signups.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "created_date", "given_name", "family_name", "email_address",
                         "phone_number", "postal_code", "status", "event_id"])  # fmt: skip
        for i, row in enumerate(signups.itertuples(index=False)):
            writer.writerow([
                f"{900000 + i}", _local(row.acted_at), row.first_name, row.last_name,
                f"volunteer{i + 1}@example.org", row.phone_e164 or "", row.zip_code,
                "CONFIRMED", "4242",
            ])  # fmt: skip
    return path


def _ncvhis(votes: pd.DataFrame, folder: Path, election: datetime) -> Path:
    path = folder / "ncvhis_synthetic.txt"
    label = election.strftime("%m/%d/%Y")
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_ALL)
        writer.writerow(["county_id", "county_desc", "voter_reg_num", "election_lbl",
                         "election_desc", "voting_method", "voted_party_cd", "voted_party_desc",
                         "pct_label", "pct_description", "ncid", "voted_county_id",
                         "voted_county_desc", "vtd_label", "vtd_description"])  # fmt: skip
        for i, row in enumerate(votes.itertuples(index=False)):
            writer.writerow([
                "92", "WAKE", f"{i + 1:012d}", label, f"{label} GENERAL", "IN-PERSON", "UNA",
                "UNAFFILIATED", "01-01", "PRECINCT 01-01", row.voter_id, "92", "WAKE", "01-01",
                "01-01",
            ])  # fmt: skip
    return path


def demo_action_files(
    engine,
    folder: Path,
    *,
    wave_id: str,
    lift_by_district: dict[str, float],
    seed: int,
    layer: str = "congressional",
    election: datetime | None = None,
) -> dict[str, Path]:
    """One trial on the warehouse's wave audience, written into an actions drop folder.

    Texted voters (eligible in ``wave_id``'s audience) get the district's relative lift; the
    holdout gets the baseline. Actions fall in the 48 hours after the wave's first text.
    """
    from sqlalchemy import text  # the truth test needs no database driver

    with engine.connect() as conn:
        voters = pd.read_sql(
            text(
                "SELECT v.voter_id, v.first_name, v.last_name, v.zip_code, v.phone_e164,"
                " a.exclusion IS NULL AS texted, coalesce(d.district_id, '(unknown)')"
                " AS district_id, l.code AS link_code"
                " FROM wave_audience a JOIN voters v ON v.voter_id = a.voter_id"
                " LEFT JOIN district_assignments d ON d.voter_id = a.voter_id AND d.layer = :layer"
                " LEFT JOIN LATERAL (SELECT code FROM links WHERE wave_id = a.wave_id"
                "  AND voter_id = a.voter_id ORDER BY route = 'donate' DESC, link_id LIMIT 1) l"
                "  ON true"
                " WHERE a.wave_id = :wave AND (a.exclusion IS NULL OR a.exclusion = 'holdout')"
                " ORDER BY v.voter_id"
            ),
            conn,
            params={"wave": wave_id, "layer": layer},
        )
        start = conn.execute(
            text("SELECT min(coalesce(sent_at, submitted_at)) FROM sends WHERE wave_id = :wave"),
            {"wave": wave_id},
        ).scalar_one()
    start = pd.Timestamp(start or datetime.now().astimezone()).to_pydatetime()
    acted = simulate_voter_actions(voters, lift_by_district=lift_by_district, seed=seed,
                                   start=start)  # fmt: skip
    files = action_files(acted, voters, folder / "_staging", seed=seed,
                         election=election or start + timedelta(days=1))  # fmt: skip
    targets = {"donations": "donations", "signups": "signups", "turnout": "turnout"}
    placed = {}
    for kind, path in files.items():
        target = folder / targets[kind] / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
        placed[kind] = target
    (folder / "_staging").rmdir()
    return placed
