"""Routing rules, link minting and click-time resolution: plain modules, no orchestrator.

``urls`` decides which destinations are safe and merges UTM tags; ``rules`` turns the campaign
config into published routes and evaluates them for a voter or a ZIP code; ``codes`` mints short
codes; ``minting`` and ``store`` build and write links; ``resolve`` is what the link server calls
on every click.
"""
