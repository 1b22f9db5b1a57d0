"""The link server: short-link redirects, durable clicks, and Twilio's webhooks.

A stateless ASGI app (Starlette, served by Granian) that shares only the schema with the
pipelines, plus the routing package's click-time resolver and the bots and opt-out rules.
Started by ``campaign serve``; configured by ``settings.LinkServerSettings``.

    GET|HEAD /{code}   redirects  cache (links by code, batched look-ups)
                                  -> resolution (the routing resolver + open-redirect guard)
                                  -> rules.bots + repeats + privacy (label, keyed IP hash)
                                  -> batcher + clicks (group commit; spool when PostgreSQL is
                                     away, replayed by recovery) -> 302
    GET  /p/{key}      places     the campaign's polling-place page, drawn by pages
    POST /twilio/*     webhooks   signed status callbacks and inbound replies (opt-outs)
    GET  /healthz      app        database reachability, spool and cache sizes

    runtime   one worker's parts, started and stopped by the app's lifespan
    database  the connection pool and the breaker that sends clicks to the spool
    run       Granian (or Uvicorn): no access log, no proxy-header rewriting
    process   ``campaign serve`` as a child process, for the demo, benchmark and tests
"""
