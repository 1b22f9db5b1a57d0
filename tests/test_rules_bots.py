import time

import pytest

from campaign_pipelines.rules.bots import (
    PERSON,
    Classification,
    classify_click,
    describe_user_agent,
)

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
SAMSUNG_INTERNET = (
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36"
)
FACEBOOK_IN_APP = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/460.0.0.36.105;FBDV/iPhone15,2;"
    "FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/5]"
)
ANDROID_WEBVIEW = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36"
)
IMESSAGE_PREVIEW = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
    "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0"
)
GOOGLEBOT = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)


def machine(reason: str) -> Classification:
    return Classification(is_human=False, reason=reason)


@pytest.mark.parametrize(
    "user_agent",
    [IPHONE_SAFARI, CHROME_ANDROID, SAMSUNG_INTERNET, FACEBOOK_IN_APP, ANDROID_WEBVIEW],
)
def test_classify_click_phone_browser_get_is_a_person(user_agent):
    assert classify_click("GET", user_agent, seconds_since_delivery=42.0) == PERSON


def test_classify_click_head_is_a_machine():
    assert classify_click("HEAD", IPHONE_SAFARI) == machine("head_request")
    assert classify_click("head", IPHONE_SAFARI) == machine("head_request")


@pytest.mark.parametrize(
    ("user_agent", "reason"),
    [
        (IMESSAGE_PREVIEW, "link_preview:imessage"),
        ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "link_preview:slack"),
        ("facebookexternalhit/1.1", "link_preview:facebook"),
        (
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "link_preview:facebook",
        ),
        ("Twitterbot/1.0", "link_preview:twitter"),
        ("WhatsApp/2.23.20.0 A", "link_preview:whatsapp"),
        ("TelegramBot (like TwitterBot)", "link_preview:telegram"),
        (
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "link_preview:discord",
        ),
        (
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "link_preview:linkedin",
        ),
        (
            "Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/)",
            "link_preview:google",
        ),
        (
            "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 "
            "skype-url-preview@microsoft.com",
            "link_preview:skype",
        ),
        (GOOGLEBOT, "crawler"),
        ("python-requests/2.31.0", "crawler"),
        ("curl/8.4.0", "crawler"),
        # Scanners that name themselves; their vendors publish no exact agent, so these stand in.
        ("Mozilla/5.0 (compatible; Proofpoint URL Defense)", "scanner"),
        ("Mimecast URL Protect/1.0", "scanner"),
        ("", "no_user_agent"),
        ("   ", "no_user_agent"),
        (None, "no_user_agent"),
    ],
)
def test_classify_click_machine_reason(user_agent, reason):
    assert classify_click("GET", user_agent) == machine(reason)


def test_classify_click_user_agent_rules_win_over_timing():
    assert classify_click("GET", "Twitterbot/1.0", seconds_since_delivery=0.5) == machine(
        "link_preview:twitter"
    )


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (2.0, machine("too_soon_after_delivery")),
        (-1.0, machine("too_soon_after_delivery")),
        (4.99, machine("too_soon_after_delivery")),
        (5.0, PERSON),
        (3600.0, PERSON),
        (None, PERSON),
    ],
)
def test_classify_click_timing_after_delivery(seconds, expected):
    assert classify_click("GET", CHROME_ANDROID, seconds_since_delivery=seconds) == expected


def test_classify_click_too_soon_threshold_is_configurable():
    click = {"seconds_since_delivery": 8.0}

    assert classify_click("GET", CHROME_ANDROID, **click) == PERSON
    assert classify_click("GET", CHROME_ANDROID, **click, too_soon_seconds=10.0) == machine(
        "too_soon_after_delivery"
    )


def test_classify_click_repeat_within_window():
    assert classify_click("GET", IPHONE_SAFARI, seen_recently=True) == machine(
        "repeat_within_window"
    )


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (
            IPHONE_SAFARI,
            {
                "browser": "Mobile Safari",
                "browser_version": "17.4",
                "os": "iOS",
                "os_version": "17.4",
                "device": "iPhone",
                "device_brand": "Apple",
                "device_model": "iPhone",
            },
        ),
        (
            SAMSUNG_INTERNET,
            {
                "browser": "Samsung Internet",
                "browser_version": "24.0",
                "os": "Android",
                "os_version": "14",
                "device": "Samsung SM-S911B",
                "device_brand": "Samsung",
                "device_model": "SM-S911B",
            },
        ),
        (
            "",
            {
                "browser": "Other",
                "browser_version": None,
                "os": "Other",
                "os_version": None,
                "device": "Other",
                "device_brand": None,
                "device_model": None,
            },
        ),
    ],
)
def test_describe_user_agent_names_browser_os_and_device(user_agent, expected):
    assert describe_user_agent(user_agent) == expected


def test_classify_click_is_fast_for_cached_user_agents():
    agents = [IPHONE_SAFARI, CHROME_ANDROID, SAMSUNG_INTERNET, IMESSAGE_PREVIEW, GOOGLEBOT]
    agents += ["Twitterbot/1.0", "WhatsApp/2.23.20.0 A", "Mimecast URL Protect/1.0"]
    clicks = [agents[i % len(agents)] for i in range(100_000)]

    started = time.perf_counter()
    results = [classify_click("GET", agent, seconds_since_delivery=30.0) for agent in clicks]
    elapsed = time.perf_counter() - started

    print(f"100k classifications of cached user agents: {elapsed:.3f} s")
    assert sum(result.is_human for result in results) == 3 * 12_500
