"""Routes in the campaign config: unsafe destinations are refused at load, naming the rule."""

import pytest

from campaign_pipelines.config import ConfigError, load_config
from campaign_pipelines.config.loader import BUNDLED_DEMO_CONFIG

DONATE_NC = '{NC: "https://donate.example.org/nc"}'


def _with(tmp_path, old: str, new: str):
    text = BUNDLED_DEMO_CONFIG.read_text()
    assert old in text
    path = tmp_path / "campaign.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_config_demo_routes_load():
    links = load_config(BUNDLED_DEMO_CONFIG).links
    assert list(links.routes) == ["polling_place", "donate", "volunteer", "candidate"]
    assert "37183" in links.regions["Triangle"]
    assert {p.channel for p in links.placements} == {"qr", "tv", "mail"}


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("javascript:alert(1)", "only https"),
        ("http://example.org", "only https"),
        ("https://user:pw@example.org", "user name or password"),
        ("https://evil.example.net", "not on the allow-list"),
        ("data:text/html,hi", "only https"),
    ],
)
def test_config_unsafe_destination_is_refused_naming_route_and_rule(tmp_path, url, why):
    path = _with(tmp_path, DONATE_NC, f'{{NC: "{url}"}}')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert f"{path}:" in message and ": links: " in message
    assert "route 'donate', rule 'state_page', destination 'NC'" in message
    assert why in message


def test_config_unsafe_fallback_and_unknown_window_are_named(tmp_path):
    path = _with(
        tmp_path, "fallback: https://donate.example.org/", "fallback: http://x.example.org/"
    )
    with pytest.raises(ConfigError, match=r"route 'donate', fallback: 'http://x.example.org/'"):
        load_config(path)
    path = _with(tmp_path, "window: after_polls_close", "window: after_the_party")
    with pytest.raises(
        ConfigError, match=r"rule 'results': no time window named 'after_the_party'"
    ):
        load_config(path)


def test_config_idn_allow_list_matches_punycode_destination(tmp_path):
    path = _with(
        tmp_path, "allowed_domains: [example.org,", "allowed_domains: [bücher.example, example.org,"
    )
    path.write_text(path.read_text().replace(DONATE_NC, '{NC: "https://xn--bcher-kva.example/nc"}'))
    assert (
        load_config(path)
        .links.routes["donate"]
        .rules[1]
        .destinations["NC"]
        .startswith("https://xn--")
    )


def test_config_vanity_code_cannot_look_minted(tmp_path):
    path = _with(tmp_path, "code: vote-nc", "code: Vote2026x")
    with pytest.raises(ConfigError, match="looks like a minted code"):
        load_config(path)
