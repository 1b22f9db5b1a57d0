"""Whether a click on a texted link was a person tapping it, and if not, what fetched it.

Most requests for a short link are not people. Messaging apps fetch the page to draw a preview
card as the text arrives; carriers, security apps and corporate mail gateways (when a text is
forwarded to work email) fetch it to check for phishing; crawlers find links that voters share.
Counting those as clicks would credit a wave with voters who never looked. The rules run from
the most specific evidence to the least:

======================== ===================================================================
reason                   evidence
======================== ===================================================================
head_request             a HEAD request asks whether the page exists, never shows it
no_user_agent            every browser names itself; scripts often do not
link_preview:<name>      a messaging app's or social site's preview fetcher (``LINK_PREVIEWS``)
scanner                  a URL scanner that names its vendor (see ``SCANNERS``)
crawler                  the community-kept list of crawler user agents
repeat_within_window     the same recipient's link again within the dedup window
too_soon_after_delivery  faster than a person can read a text and tap the link
person                   none of the above
======================== ===================================================================

Only ``person`` has ``is_human`` true: a repeat may well be the same person tapping twice, but
it is not a new person's click. Many scanners send an ordinary browser's user agent; the timing
rules are what catch them.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TypedDict

import ua_parser
from crawleruseragents import CRAWLER_USER_AGENTS_DATA

# Apple's Messages app fetches previews with a Safari user agent that ends in Facebook's and
# Twitter's crawler names and says nothing of Apple, so it is recognised by that exact tail and
# must be tried before either. Order matters for the rest too: Telegram's agent mentions Twitter.
LINK_PREVIEWS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("imessage", r"facebookexternalhit/1\.1 Facebot Twitterbot/1\.0"),
        ("telegram", r"TelegramBot"),
        ("facebook", r"facebookexternalhit|Facebot"),
        ("twitter", r"Twitterbot"),
        ("slack", r"Slackbot"),
        ("whatsapp", r"\bWhatsApp/"),
        ("discord", r"Discordbot"),
        ("linkedin", r"LinkedInBot"),
        ("google", r"Google-PageRenderer|developers\.google\.com/\+/web/snippet"),
        ("skype", r"SkypeUriPreview"),
        ("snapchat", r"Snap URL Preview"),
        ("bing", r"BingPreview"),
        ("mastodon", r"\bMastodon/"),
    )
)

# Kept short on purpose: each vendor is here because its product opens links a voter receives,
# and is matched by its name in the user agent, which some of its fetchers send. Those that pose
# as an ordinary browser are left to the timing rules.
SCANNERS: dict[str, str] = {
    "Proofpoint": "URL Defense rewrites and opens links in the work mail texts are forwarded to",
    "Mimecast": "URL Protect opens links in mail passing its gateway",
    "Barracuda": "Link Protection opens links in mail passing its gateway",
    "SafeLinks": "Microsoft Defender for Office 365 opens links before Outlook shows them",
    "Bitdefender": "its mobile security app checks links arriving in texts",
}
_SCANNER = re.compile("|".join(re.escape(name) for name in SCANNERS), re.IGNORECASE)

# The monperrus list is written as case-sensitive patterns. One alternation is compiled once;
# a user agent not yet seen costs about a millisecond in all, and the cache makes repeats free.
_CRAWLER = re.compile("|".join(entry["pattern"] for entry in CRAWLER_USER_AGENTS_DATA))

DEFAULT_TOO_SOON_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Classification:
    """Whether a click counts as a person's, and the rule that decided."""

    is_human: bool
    reason: str


PERSON = Classification(is_human=True, reason="person")
_HEAD = Classification(is_human=False, reason="head_request")
_NO_USER_AGENT = Classification(is_human=False, reason="no_user_agent")
_SCANNER_HIT = Classification(is_human=False, reason="scanner")
_CRAWLER_HIT = Classification(is_human=False, reason="crawler")
_REPEAT = Classification(is_human=False, reason="repeat_within_window")
_TOO_SOON = Classification(is_human=False, reason="too_soon_after_delivery")


@lru_cache(maxsize=65_536)
def _user_agent_verdict(user_agent: str) -> Classification | None:
    for name, pattern in LINK_PREVIEWS:
        if pattern.search(user_agent):
            return Classification(is_human=False, reason=f"link_preview:{name}")
    if _SCANNER.search(user_agent):
        return _SCANNER_HIT
    if _CRAWLER.search(user_agent):
        return _CRAWLER_HIT
    return None


def classify_click(
    method: str,
    user_agent: str | None,
    *,
    seconds_since_delivery: float | None = None,
    seen_recently: bool = False,
    too_soon_seconds: float = DEFAULT_TOO_SOON_SECONDS,
) -> Classification:
    """Classify one request for a short link (rules and reasons in the module docstring).

    ``seconds_since_delivery`` is from the carrier's delivered timestamp to the click; a value
    below ``too_soon_seconds``, negative included, is too fast for a person. ``None`` (no
    delivery receipt yet) skips that rule. ``seen_recently`` is the caller's dedup verdict.
    """
    if method.upper() == "HEAD":
        return _HEAD
    agent = (user_agent or "").strip()
    if not agent:
        return _NO_USER_AGENT

    verdict = _user_agent_verdict(agent)
    if verdict is not None:
        return verdict
    if seen_recently:
        return _REPEAT
    if seconds_since_delivery is not None and seconds_since_delivery < too_soon_seconds:
        return _TOO_SOON
    return PERSON


class UserAgentDescription(TypedDict):
    """What ``ua-parser`` reads from a user agent; "Other" where it recognises nothing."""

    browser: str
    browser_version: str | None
    os: str
    os_version: str | None
    device: str
    device_brand: str | None
    device_model: str | None


def _version(*parts: str | None) -> str | None:
    present = [part for part in parts if part]
    return ".".join(present) or None


def describe_user_agent(user_agent: str | None) -> UserAgentDescription:
    """Browser, OS and device of a click, for reporting which phones a wave reached."""
    parsed = ua_parser.parse(user_agent or "")
    browser, system, device = parsed.user_agent, parsed.os, parsed.device

    return UserAgentDescription(
        browser=browser.family if browser else "Other",
        browser_version=_version(browser.major, browser.minor) if browser else None,
        os=system.family if system else "Other",
        os_version=_version(system.major, system.minor) if system else None,
        device=device.family if device else "Other",
        device_brand=device.brand if device else None,
        device_model=device.model if device else None,
    )
