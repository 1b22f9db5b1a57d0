"""``campaign serve``: the link server (short-link redirects, click capture, Twilio webhooks)."""

from campaign_pipelines.linkserver.command import serve

__all__ = ["serve"]
