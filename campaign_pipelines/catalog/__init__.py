"""Polling places from public feeds: the NCSBE polling-place list and Voting Information Project
feeds (VIP 3.0 flat files, VIP 5.x CSV and XML), read into one shape and matched to the
precincts voters live in. Plain modules: no orchestrator, no database."""
