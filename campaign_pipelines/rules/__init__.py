"""Campaign rules that need no orchestrator: segment counting, quiet hours, reply keywords, bots.

Each module is plain Python over its own data, so it tests in microseconds and can be used by
the pipelines and the link server alike. Nothing here imports Dagster, and this package imports
none of its modules eagerly: the bot rules load a crawler list and the time-zone rules a map,
which a caller that only counts segments should not pay for.
"""
