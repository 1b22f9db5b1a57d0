"""Rendering: encodings and segments as carriers count them, opt-out lines, and template errors."""

import pytest

from campaign_pipelines.messaging.rendering import (
    MissingValueError,
    TemplateError,
    check_template,
    render_all,
    routes_linked,
)

LINK = "https://go.example.org/k3J9x2QpL"
OPT_OUT = "Reply STOP to opt out."


def render(template: str, *, opt_out=None, fallbacks=None, **values):
    row = {"voter_id": "V1", "link": LINK, **values}
    (rendered,) = render_all(
        template, [row], label="wave w variant A", fallbacks=fallbacks or {},
        fallback_path="messaging.waves[0].fallbacks", opt_out=opt_out,
    )  # fmt: skip
    return rendered


def test_rendering_curly_apostrophe_is_ucs2():
    message = render("We’re counting on you, {first_name}! {link}", first_name="Ana")
    assert message.body == f"We’re counting on you, Ana! {LINK}"
    assert (message.encoding, message.segments) == ("UCS-2", 1)


@pytest.mark.parametrize(
    ("apostrophe", "encoding", "segments"),
    [("’", "UCS-2", 2), ("'", "GSM-7", 1)],  # 100 characters: over UCS-2's 70, under GSM's 160
)
def test_rendering_100_character_message_segments(apostrophe, encoding, segments):
    template = f"It{apostrophe}s Election Day, {{first_name}}! Polls close at 7:30 p.m., " + (
        "be there. {link}"
    )
    message = render(template, first_name="Christopher")
    assert len(message.body) == 100
    assert (message.encoding, message.segments) == (encoding, segments)


@pytest.mark.parametrize(
    ("first_name", "encoding", "segments"),
    [
        ("José", "GSM-7", 1),  # é is in the GSM alphabet
        ("Łukasz", "UCS-2", 1),  # Ł is not
        ("Ana 🗳️", "UCS-2", 1),
        ("Ana €€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€", "GSM-7", 2),  # € is 2
    ],
)
def test_rendering_names_choose_the_encoding(first_name, encoding, segments):
    message = render("Hi {first_name}, see you at the polls: {link}", first_name=first_name)
    assert (message.encoding, message.segments) == (encoding, segments)


def test_rendering_opt_out_line_appended_once():
    assert render("Vote! {link}", opt_out=OPT_OUT).body == f"Vote! {LINK} {OPT_OUT}"
    assert render(f"Vote! {{link}} {OPT_OUT}", opt_out=OPT_OUT).body.count("STOP") == 1


def test_rendering_shouted_names_are_written_as_names():
    assert render("Hi {first_name} {link}", first_name="MARY-KATE").body.startswith("Hi Mary-Kate ")


def test_rendering_missing_value_uses_fallback_or_names_template_and_field():
    assert render("Hi {first_name} {link}", fallbacks={"first_name": "there"}).body.startswith(
        "Hi there "
    )
    with pytest.raises(MissingValueError) as err:
        render("Hi {first_name} {link}", first_name=None)
    assert str(err.value).startswith("wave w variant A: template field {first_name} has no value")
    assert "messaging.waves[0].fallbacks.first_name" in str(err.value)


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("Hi {frist_name} {link}", "unknown template field {frist_name}"),
        ("Hi {first_name!r} {link}", "not a plain field name"),
        ("Hi {first_name {link}", "not valid"),
        ("Hi {first_name}, vote Tuesday!", "carries no link"),
    ],
)
def test_rendering_bad_templates_name_the_template(template, problem):
    with pytest.raises(TemplateError, match=r"^wave w variant A: ") as err:
        check_template(template, routes=["polling_place", "donate"], label="wave w variant A")
    assert problem in str(err.value)


def test_rendering_link_is_the_first_route():
    routes = ["polling_place", "donate"]
    assert routes_linked("{link} {link_donate}", routes) == routes
    assert routes_linked("{link_donate}", routes) == ["donate"]
