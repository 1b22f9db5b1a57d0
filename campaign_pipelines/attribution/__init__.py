"""Attribution without Dagster: importing actions, matching them to voters, measuring lift.

Modules: ``importers`` (donation, sign-up, voter-history and voter-file-change files),
``matching`` (action -> voter, rule recorded), ``incrementality`` (texted vs holdout, intervals),
``clicks`` (people and machines, re-judged once deliveries are known), ``charts``, ``export``
and ``simulate`` (synthetic actions with a known true lift).
"""
