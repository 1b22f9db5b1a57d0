"""How many more voters acted because they were texted: texted arm against the randomised holdout.

Per district, the absolute lift (difference of proportions) has a **Newcombe hybrid score**
interval (Newcombe 1998, method 10: the two arms' Wilson intervals combined). District arms are
small and action rates low (a 1% donation rate, a holdout of a few hundred), which is where the
Wald interval is too narrow and collapses to zero width when a holdout has no actions; Newcombe's
stays inside [-1, 1] and keeps its coverage there. The relative lift (risk ratio - 1) uses the
log risk ratio with 0.5 added to each cell (Katz, "log-adjusted"), defined even at zero counts.
Both come from ``statsmodels.stats.proportion.confint_proportions_2indep``.

Overall, the lift is **stratified by district**: each district's difference weighted by its
share of texted voters, ``sum_d w_d (p_t,d - p_c,d)`` with ``w_d = n_t,d / n_t``. That is the
effect on the voters the campaign actually texted (so ``lift x texted`` is the number of extra
actions), and it stays unbiased when the holdout share differs between districts, where the
pooled difference would not. Its variance is ``sum_d w_d^2 (p_t,d q_t,d / n_t,d + p_c,d q_c,d /
n_c,d)`` with a normal approximation: summed over districts the counts are large, which is where
that approximation is accurate. The relative lift is the stratified lift over the stratified
control rate, with a delta-method interval on the log scale. Districts where either arm is empty
cannot be compared and are left out of the overall figure (their texted voters are reported).

The arms are intention-to-treat: every voter the wave set out to text against every holdout
voter who would have been eligible, so undeliverable numbers never bias the comparison.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

CONFIDENCE = 0.95
OVERALL = "(all)"
DISTRICT_METHOD = "newcombe hybrid score (diff); log-adjusted risk ratio (relative)"
OVERALL_METHOD = "stratified by district, weights = texted share; normal approximation"


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def district_lift(n_t, x_t, n_c, x_c, *, confidence: float = CONFIDENCE) -> dict[str, np.ndarray]:
    """Lift with intervals for each stratum (arrays of any shape); NaN where an arm is empty."""
    n_t, x_t, n_c, x_c = (np.asarray(a, dtype=float) for a in (n_t, x_t, n_c, x_c))
    ok = (n_t > 0) & (n_c > 0)
    out = {name: np.full(n_t.shape, np.nan) for name in (
        "texted_rate", "holdout_rate", "abs_lift", "abs_lift_low", "abs_lift_high", "rel_lift",
        "rel_lift_low", "rel_lift_high",
    )}  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        out["texted_rate"] = np.where(n_t > 0, x_t / n_t, np.nan)
        out["holdout_rate"] = np.where(n_c > 0, x_c / n_c, np.nan)
    if not ok.any():
        return out
    alpha = 1 - confidence
    args = (x_t[ok], n_t[ok], x_c[ok], n_c[ok])
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_proportions_2indep(*args, method="newcomb", compare="diff", alpha=alpha)
        r_low, r_high = confint_proportions_2indep(
            *args, method="log-adjusted", compare="ratio", alpha=alpha
        )
    p_t, p_c = out["texted_rate"][ok], out["holdout_rate"][ok]
    out["abs_lift"][ok] = p_t - p_c
    out["abs_lift_low"][ok], out["abs_lift_high"][ok] = low, high
    defined = p_c > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rel_lift"][ok] = np.where(defined, p_t / p_c - 1, np.nan)
    # The adjusted interval exists even when the holdout rate is zero; the point estimate does not.
    out["rel_lift_low"][ok], out["rel_lift_high"][ok] = r_low - 1, r_high - 1
    return out


def stratified_lift(n_t, x_t, n_c, x_c, *, confidence: float = CONFIDENCE) -> dict[str, np.ndarray]:
    """Overall lift across strata on the last axis (leading axes are independent trials)."""
    n_t, x_t, n_c, x_c = (np.asarray(a, dtype=float) for a in (n_t, x_t, n_c, x_c))
    usable = (n_t > 0) & (n_c > 0)
    nt = np.where(usable, n_t, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = nt / nt.sum(axis=-1, keepdims=True)
        p_t = np.where(usable, x_t / np.where(usable, n_t, 1), 0.0)
        p_c = np.where(usable, x_c / np.where(usable, n_c, 1), 0.0)
        var_t = np.where(usable, p_t * (1 - p_t) / np.where(usable, n_t, 1), 0.0)
        var_c = np.where(usable, p_c * (1 - p_c) / np.where(usable, n_c, 1), 0.0)
        rate_t = (weights * p_t).sum(axis=-1)
        rate_c = (weights * p_c).sum(axis=-1)
        v_t = (weights**2 * var_t).sum(axis=-1)
        v_c = (weights**2 * var_c).sum(axis=-1)
        z = _z(confidence)
        lift = rate_t - rate_c
        se = np.sqrt(v_t + v_c)
        log_ratio = np.log(rate_t / rate_c)
        se_log = np.sqrt(v_t / rate_t**2 + v_c / rate_c**2)
        defined = (rate_t > 0) & (rate_c > 0)
        return {
            "texted_rate": rate_t,
            "holdout_rate": rate_c,
            "abs_lift": lift,
            "abs_lift_low": lift - z * se,
            "abs_lift_high": lift + z * se,
            "rel_lift": np.where(defined, np.exp(log_ratio) - 1, np.nan),
            "rel_lift_low": np.where(defined, np.exp(log_ratio - z * se_log) - 1, np.nan),
            "rel_lift_high": np.where(defined, np.exp(log_ratio + z * se_log) - 1, np.nan),
            "texted_compared": nt.sum(axis=-1),
        }


def lift_table(counts: pd.DataFrame, *, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per wave, action type and district plus an overall row (district ``(all)``).

    ``counts``: wave_id, action_type, district_id, texted, texted_acted, holdout, holdout_acted.
    """
    columns = ["texted", "texted_acted", "holdout", "holdout_acted"]
    if counts.empty:
        names = [*district_lift([], [], [], []), "method", "incremental_actions", "confidence"]
        return pd.DataFrame(columns=["wave_id", "action_type", "district_id", *columns, *names])
    per_district = counts.copy()
    per_district[columns] = per_district[columns].astype("int64")
    estimates = district_lift(*(per_district[c].to_numpy() for c in columns), confidence=confidence)
    per_district = per_district.assign(**estimates, method=DISTRICT_METHOD)

    overall_rows = []
    for (wave_id, action_type), group in per_district.groupby(["wave_id", "action_type"]):
        arrays = [group[c].to_numpy() for c in columns]
        estimate = stratified_lift(*arrays, confidence=confidence)
        totals = {c: int(group[c].sum()) for c in columns}
        overall_rows.append(
            {"wave_id": wave_id, "action_type": action_type, "district_id": OVERALL, **totals,
             **{k: float(v) for k, v in estimate.items() if k != "texted_compared"},
             "method": OVERALL_METHOD}
        )  # fmt: skip
    table = pd.concat([per_district, pd.DataFrame(overall_rows)], ignore_index=True)
    table["incremental_actions"] = table["abs_lift"] * table["texted"]
    table["confidence"] = confidence
    return table.sort_values(["wave_id", "action_type", "district_id"]).reset_index(drop=True)


def sample_ratio_p_value(texted: int, holdout: int, holdout_fraction: float) -> float:
    """Chance of a holdout share this far from the configured one if the split was random."""
    total = texted + holdout
    if total == 0 or not 0 < holdout_fraction < 1:
        return 1.0
    return float(stats.binomtest(holdout, total, holdout_fraction).pvalue)
