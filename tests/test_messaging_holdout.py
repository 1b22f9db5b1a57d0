"""The campaign holdout: exact shares per district, and arms that never move once drawn."""

import pandas as pd

from campaign_pipelines.messaging.holdout import HOLDOUT, assign_arms

NONE_YET = pd.DataFrame(columns=["voter_id", "arm", "stratum"])


def voters(prefix: str, count: int, stratum: str | None) -> pd.DataFrame:
    return pd.DataFrame({"voter_id": [f"{prefix}{i}" for i in range(count)], "stratum": stratum})


def held_by_stratum(arms: pd.DataFrame) -> dict[str, int]:
    return arms[arms["arm"] == HOLDOUT].groupby("stratum").size().to_dict()


def test_holdout_is_stratified_by_district():
    candidates = pd.concat([voters("a", 200, "1"), voters("b", 50, "2"), voters("c", 7, None)])
    arms = assign_arms(candidates, NONE_YET, fraction=0.1, salt="s")
    assert held_by_stratum(arms) == {"1": 20, "2": 5, "unknown": 1}
    assert assign_arms(candidates, NONE_YET, fraction=0.1, salt="s").equals(arms)
    assert not assign_arms(candidates, NONE_YET, fraction=0.1, salt="other").equals(arms)


def test_holdout_keeps_arms_and_tops_up_new_voters():
    first = assign_arms(voters("a", 100, "1"), NONE_YET, fraction=0.1, salt="s")
    grown = pd.concat([voters("a", 100, "1"), voters("n", 100, "1")])

    more = assign_arms(grown, first, fraction=0.1, salt="s")

    assert set(more["voter_id"]).isdisjoint(first["voter_id"])  # nobody drawn twice
    assert held_by_stratum(first)["1"] + held_by_stratum(more)["1"] == 20
