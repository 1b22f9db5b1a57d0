"""Data quality: Great Expectations behind one helper, surfaced as Dagster asset checks."""
