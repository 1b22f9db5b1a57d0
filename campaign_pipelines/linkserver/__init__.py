"""The link server: short-link redirects, durable clicks, and Twilio's webhooks.

A stateless ASGI app (Starlette, served by Granian) that shares only the schema with the
pipelines. Started by ``campaign serve``; configured by ``settings.LinkServerSettings``.

    GET|HEAD /{code}    redirects    cache (links by code) -> resolution (routing's resolver,
                                     open-redirect guard) -> bots rules (+ repeats, privacy)
                                     -> batcher + clicks (group commit; spool when PostgreSQL
                                     is away) -> 302
    GET  /p/{key}       places       the campaign's polling-place page (pages draws it)
    POST /twilio/*      webhooks     signed status callbacks and inbound replies (opt-outs)
    GET  /healthz       app          database reachability, spool and cache sizes

    runtime    one worker's parts, started and stopped by the app's lifespan
    recovery   probes PostgreSQL while it is away and replays the spool when it returns
    run        Granian or Uvicorn, no access log, no proxy-header rewriting
"""
