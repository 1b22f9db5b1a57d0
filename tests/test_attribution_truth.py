"""The truth test: lift estimates against a simulation whose true effect per district is known.

400 independent trials of a 32,000-voter campaign in 14 districts (baseline action rates 2-12%,
true lifts -0.4 to +3.9 points, 10% holdout), simulated voter by voter and estimated exactly as
``holdout_lift`` does from the per-district counts. A 95% interval should cover the truth in 95%
of trials; the test asks for at least 93% (with 400 trials a correct interval falls below that
with probability about 0.4%). The average estimate must be within 0.1 percentage point of the
truth overall, about four standard errors of the mean over 400 trials.
"""

import numpy as np
import pytest

from campaign_pipelines.attribution.incrementality import district_lift, stratified_lift
from campaign_pipelines.attribution.simulate import (
    Truth,
    assign_arms,
    simulate_outcomes,
    stratum_counts,
    true_overall_lift,
)

RUNS = 400
MIN_COVERAGE = 0.93
TOLERANCE = 0.001  # absolute lift, i.e. 0.1 percentage point


@pytest.fixture(scope="module")
def trials():
    truth = Truth.example()
    rng = np.random.default_rng(20261103)
    texted = assign_arms(rng, int(truth.voters.sum()), 0.10, RUNS)
    acted = simulate_outcomes(rng, truth, texted)
    return truth, stratum_counts(truth, texted, acted)


def _covers(low, high, truth) -> np.ndarray:
    return (low <= truth) & (truth <= high)


def test_truth_overall_interval_covers_the_true_lift(trials):
    truth, counts = trials
    estimate = stratified_lift(*counts)
    true_lift = true_overall_lift(truth, counts[0])

    coverage = _covers(estimate["abs_lift_low"], estimate["abs_lift_high"], true_lift).mean()
    bias = float(np.mean(estimate["abs_lift"] - true_lift))

    assert coverage >= MIN_COVERAGE, coverage
    assert abs(bias) <= TOLERANCE, bias


def test_truth_overall_relative_interval_covers_the_true_ratio(trials):
    truth, counts = trials
    estimate = stratified_lift(*counts)
    weights = counts[0] / counts[0].sum(axis=1, keepdims=True)
    control = (weights * truth.baseline).sum(axis=1)
    true_relative = true_overall_lift(truth, counts[0]) / control

    coverage = _covers(estimate["rel_lift_low"], estimate["rel_lift_high"], true_relative).mean()

    assert coverage >= MIN_COVERAGE, coverage


def test_truth_district_intervals_cover_each_true_lift(trials):
    truth, counts = trials
    estimate = district_lift(*counts)

    covered = _covers(estimate["abs_lift_low"], estimate["abs_lift_high"], truth.lift)
    bias = np.mean(estimate["abs_lift"], axis=0) - truth.lift

    assert covered.mean() >= MIN_COVERAGE, covered.mean()
    assert covered.mean(axis=0).min() >= 0.91, covered.mean(axis=0)  # each district alone
    assert np.abs(bias).max() <= 3 * TOLERANCE, bias  # a district holds ~200 holdout voters
