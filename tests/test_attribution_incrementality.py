import numpy as np
import pandas as pd
import pytest

from campaign_pipelines.attribution.incrementality import (
    OVERALL,
    district_lift,
    lift_table,
    sample_ratio_p_value,
    stratified_lift,
)


def test_incrementality_newcombe_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 vs 48/80.
    got = district_lift([70], [56], [80], [48])
    assert got["abs_lift"][0] == pytest.approx(0.2)
    assert (got["abs_lift_low"][0], got["abs_lift_high"][0]) == (
        pytest.approx(0.0524, abs=1e-4), pytest.approx(0.3339, abs=1e-4),
    )  # fmt: skip


def test_incrementality_zero_holdout_actions_keep_a_real_interval():
    got = district_lift([500], [10], [50], [0])
    assert got["abs_lift"][0] == pytest.approx(0.02)
    assert got["abs_lift_low"][0] < 0 < got["abs_lift_high"][0] < 1
    assert np.isnan(got["rel_lift"][0])  # no ratio to a zero rate
    assert got["rel_lift_high"][0] > 0


def test_incrementality_empty_arm_is_not_estimated():
    got = district_lift([10, 0], [1, 0], [0, 5], [0, 1])
    assert np.isnan(got["abs_lift"]).all()


def test_incrementality_stratified_differs_from_pooled_when_shares_differ():
    # District 1: no effect, rate 10%; district 2: no effect, rate 50%, but a larger holdout
    # share. Pooling the arms invents a negative lift; stratifying does not.
    n_t, x_t, n_c, x_c = [900, 500], [90, 250], [100, 500], [10, 250]
    got = stratified_lift(n_t, x_t, n_c, x_c)
    pooled = sum(x_t) / sum(n_t) - sum(x_c) / sum(n_c)
    assert pooled < -0.1
    assert got["abs_lift"] == pytest.approx(0.0)
    assert got["abs_lift_low"] < 0 < got["abs_lift_high"]


def test_incrementality_lift_table_has_an_overall_row_per_wave_and_action():
    counts = pd.DataFrame({
        "wave_id": ["w1"] * 2, "action_type": ["voted"] * 2, "district_id": ["1", "2"],
        "texted": [900, 800], "texted_acted": [450, 420], "holdout": [100, 90],
        "holdout_acted": [40, 38],
    })  # fmt: skip
    table = lift_table(counts)
    overall = table[table["district_id"] == OVERALL].iloc[0]
    assert (overall.texted, overall.holdout_acted) == (1700, 78)
    assert overall.abs_lift == pytest.approx((900 * (0.5 - 0.4) + 800 * (0.525 - 38 / 90)) / 1700)
    assert overall.incremental_actions == pytest.approx(overall.abs_lift * 1700)


def test_incrementality_sample_ratio_flags_a_broken_split():
    assert sample_ratio_p_value(9000, 1000, 0.10) > 0.5
    assert sample_ratio_p_value(9500, 500, 0.10) < 1e-6
