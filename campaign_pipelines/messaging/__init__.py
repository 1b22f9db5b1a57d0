"""Texting waves, in plain modules that never import Dagster (the assets under ``assets/`` call
them). Nothing here is imported eagerly: the config loads ``rendering`` alone.

    who        eligibility   consent, phone, suppression and shared-number exclusions
               holdout       the campaign's control group: seeded, stratified, persisted
               audience      a wave's audience written to ``wave_audience``
    what       rendering     templates, fields, fallbacks, opt-out line, segments
               messages      each eligible voter's text, links and time zone
               forecast      cost and duration before anything is sent
    never      suppression, suppression_import   the list of numbers not to text
    when       texting_hours the next opening of a voter's local window
               policy        a wave's ``SendPolicy`` from the campaign config
    how        sender        settle, plan, hold, claim, deliver, record (one wave, one lock)
               delivery      one text from the pacer to its outcome, on the sender's threads
               send_states   the ``sends`` state machine, one SQL statement per transition
               pacing        segments per second, backoff
               twilio_gateway  the official client reduced to create and find
    after      outcome, audit  counts by state and reason; hours and opt-out audits
"""
