"""The report's pictures as PNG files: lift by district, the funnel, clicks by hour.

Drawn with Matplotlib's object API on its Agg canvas (no display, no global pyplot state), so
they render the same in a Dagster worker, a test or a headless server.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

PERSON_COLOUR = "#1f6feb"
MACHINE_COLOUR = "#9a9a9a"


def lift_by_district(table: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Absolute lift (percentage points) per district with its interval; overall on top.

    ``table``: district_id, abs_lift, abs_lift_low, abs_lift_high (district ``(all)`` overall).
    """
    rows = table.sort_values("district_id", key=_district_order, ascending=False)
    y = np.arange(len(rows))
    lift = rows["abs_lift"].to_numpy(dtype=float) * 100
    low = rows["abs_lift_low"].to_numpy(dtype=float) * 100
    high = rows["abs_lift_high"].to_numpy(dtype=float) * 100
    overall = (rows["district_id"] == "(all)").to_numpy()

    figure = Figure(figsize=(7, 0.35 * len(rows) + 1.6))
    axes = figure.subplots()
    axes.errorbar(lift, y, xerr=[lift - low, high - lift], fmt="none", ecolor="#555", capsize=3)
    axes.scatter(lift[~overall], y[~overall], color=PERSON_COLOUR, zorder=3, label="district")
    axes.scatter(lift[overall], y[overall], color="#d1242f", marker="D", zorder=3, label="overall")
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_yticks(y, rows["district_id"])
    axes.set_xlabel("lift: texted minus holdout action rate (percentage points, 95% interval)")
    axes.set_title(title)
    axes.legend(loc="best", fontsize="small")
    return _save(figure, path)


def funnel(stages: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Bars for sent, delivered, clicked (people), acted. ``stages``: stage, voters."""
    figure = Figure(figsize=(6, 3.6))
    axes = figure.subplots()
    counts = stages["voters"].to_numpy(dtype=float)
    bars = axes.bar(stages["stage"], counts, color=PERSON_COLOUR)
    top = counts[0] if len(counts) and counts[0] else 1.0
    for bar, count in zip(bars, counts, strict=True):
        axes.annotate(f"{int(count):,}\n{count / top:.1%}", (bar.get_x() + bar.get_width() / 2,
                      bar.get_height()), ha="center", va="bottom", fontsize="small")  # fmt: skip
    axes.set_ylim(0, top * 1.25)
    axes.set_ylabel("voters")
    axes.set_title(title)
    return _save(figure, path)


def clicks_by_hour(hours: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Clicks per hour, people and machines side by side. ``hours``: hour, people, machines."""
    figure = Figure(figsize=(8, 3.6))
    axes = figure.subplots()
    x = pd.to_datetime(hours["hour"], utc=True)
    width = pd.Timedelta(minutes=25)
    axes.bar(x - width / 2, hours["people"], width=width, color=PERSON_COLOUR, label="people")
    axes.bar(x + width / 2, hours["machines"], width=width, color=MACHINE_COLOUR,
             label="machines (previews, scanners, probes, repeats)")  # fmt: skip
    axes.set_ylabel("clicks")
    axes.set_xlabel("hour (UTC)")
    axes.set_title(title)
    axes.legend(fontsize="small")
    figure.autofmt_xdate()
    return _save(figure, path)


def markdown_image(path: Path, *, alt: str) -> str:
    """The PNG inline as Markdown, which the Dagster UI shows in the asset's metadata."""
    encoded = base64.b64encode(path.read_bytes()).decode()
    return f"![{alt}](data:image/png;base64,{encoded})"


def _district_order(ids: pd.Series) -> pd.Series:
    # Overall first, then districts numerically where they are numbers.
    return ids.map(lambda d: (0, 0, "") if d == "(all)" else
                   (1, int(d), "") if str(d).isdigit() else (2, 0, str(d)))  # fmt: skip


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path
