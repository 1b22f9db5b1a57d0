"""Campaign config: the bundled demo loads; a broken file names file, line and field."""

import pytest

from campaign_pipelines.config import ConfigError, load_config
from campaign_pipelines.config.loader import BUNDLED_DEMO_CONFIG, resolve_path


def test_config_bundled_demo_loads_real_layers():
    config = load_config(BUNDLED_DEMO_CONFIG)
    assert [layer.name for layer in config.districts.layers] == [
        "congressional", "state_senate", "state_house", "county", "precinct",
    ]  # fmt: skip
    for layer in config.districts.layers:
        for raw in layer.files:
            assert resolve_path(config, raw).is_file(), raw


def test_config_env_var_points_at_another_file(tmp_path, monkeypatch):
    copy = tmp_path / "mine.yaml"
    copy.write_text(BUNDLED_DEMO_CONFIG.read_text().replace("nc-demo-2026", "nc-house-17"))
    monkeypatch.setenv("CAMPAIGN_CONFIG", str(copy))
    assert load_config().campaign.id == "nc-house-17"


def test_config_error_names_file_line_and_field(tmp_path):
    text = BUNDLED_DEMO_CONFIG.read_text().replace("numeric_id: true", "numeric_id: maybe", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "numeric_id: maybe" in t)
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert f"{bad}:{line}: districts.layers.0.numeric_id" in str(err.value)


def test_config_unknown_key_is_rejected_with_its_line(tmp_path):
    bad = tmp_path / "typo.yaml"
    bad.write_text(BUNDLED_DEMO_CONFIG.read_text().replace("  format: ncsbe", "  formt: ncsbe"))
    with pytest.raises(ConfigError, match=r"typo.yaml:\d+: voter_file.formt: Extra inputs"):
        load_config(bad)


def test_config_invalid_yaml_reports_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("campaign:\n  id: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken.yaml:\d+: not valid YAML"):
        load_config(bad)


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("21:00", "write a clock time in quotes"),  # YAML 1.1 reads this as 1260
        ('"21:00+02:00"', "leave out the offset"),
    ],
)
def test_config_texting_hours_written_wrongly_name_the_line_and_the_fix(tmp_path, written, says):
    hours = 'texting_hours: {start: "08:00", end: "21:00"}'
    text = BUNDLED_DEMO_CONFIG.read_text()
    assert hours in text
    bad = tmp_path / "hours.yaml"
    bad.write_text(text.replace(hours, f'texting_hours: {{start: "08:00", end: {written}}}'))
    line = 1 + text[: text.index(hours)].count("\n")

    with pytest.raises(ConfigError) as error:
        load_config(bad)

    message = str(error.value)
    assert f"hours.yaml:{line}: messaging.texting_hours.end" in message
    assert says in message


def test_config_misspelt_voter_file_field_is_refused_naming_the_known_fields(tmp_path):
    text = BUNDLED_DEMO_CONFIG.read_text()
    right = "voter_file_field: state_senate_district"
    assert right in text
    bad = tmp_path / "field.yaml"
    bad.write_text(text.replace(right, "voter_file_field: state_senate_dist"))
    line = 1 + text[: text.index(right)].count("\n")

    with pytest.raises(ConfigError) as error:
        load_config(bad)

    message = str(error.value)
    assert f"field.yaml:{line}: districts.layers.1.voter_file_field" in message
    assert "'state_senate_dist' is not a voter-file district field" in message
    assert "state_senate_district" in message


def test_config_a_key_given_twice_is_refused_with_the_second_line(tmp_path):
    text = BUNDLED_DEMO_CONFIG.read_text()
    assert "\n  state: NC\n" in text
    bad = tmp_path / "twice.yaml"
    bad.write_text(text.replace("\n  state: NC\n", "\n  state: NC\n  state: SC\n", 1))
    line = 2 + text[: text.index("\n  state: NC\n")].count("\n") + 1

    with pytest.raises(ConfigError) as error:
        load_config(bad)

    assert f"twice.yaml:{line}: campaign.state: given twice" in str(error.value)


def _line(text: str, needle: str) -> int:
    return 1 + text[: text.index(needle)].count("\n")


def _refusal(path, text: str) -> str:
    """The message of the ConfigError a config with ``text`` at ``path`` is refused with."""
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    return str(error.value)


@pytest.mark.parametrize(
    ("right", "wrong", "field", "says"),
    [
        ("timezone: America/New_York", "timezone: America/Raleigh", "campaign.timezone",
         "'America/Raleigh' is not an IANA time zone"),
        ("  format: ncsbe", "  format: ncsbe\n  phone_region: USA", "voter_file.phone_region",
         "'USA' is not a phone region"),
        ("routes: [polling_place, donate]", "routes: [polling_place, donate, phonebank]",
         "messaging.waves.0.routes.2",
         "wave 'wave-1' texts route 'phonebank', not in links.routes"),
        ("by: congressional", "by: congresional", "links.routes.candidate.rules.0.by",
         "'congresional' is neither a district layer nor one of state, region, county_fips"),
        ("holdout_stratum_layer: congressional", "holdout_stratum_layer: cd",
         "messaging.holdout_stratum_layer", "no district layer named 'cd'"),
    ],
)  # fmt: skip
def test_config_a_name_that_does_not_exist_is_refused_at_load_with_its_line(
    tmp_path, right, wrong, field, says
):
    text = BUNDLED_DEMO_CONFIG.read_text()
    assert right in text
    line = _line(text, right) + (1 if "phone_region" in wrong else 0)

    message = _refusal(tmp_path / "names.yaml", text.replace(right, wrong, 1))

    assert f"names.yaml:{line}: {field}" in message
    assert says in message


def test_config_an_audience_filter_on_an_unknown_layer_is_refused(tmp_path):
    text = BUNDLED_DEMO_CONFIG.read_text()
    anchor = "      routes: [polling_place, donate]\n"
    audience = "      audience:\n        - layer: ward\n          districts: ['1']\n"

    message = _refusal(tmp_path / "audience.yaml", text.replace(anchor, anchor + audience, 1))

    line = _line(text, anchor) + 2
    assert f"audience.yaml:{line}: messaging.waves.0.audience.0.layer: no district layer" in message


@pytest.mark.parametrize(
    ("zone", "accepted"),
    [("America/Chicago", True), ("UTC", True), ("EST", False), ("localtime", False)],
)
def test_config_a_zone_without_daylight_rules_or_from_the_machine_is_refused(
    tmp_path, zone, accepted
):
    path = tmp_path / "zone.yaml"
    path.write_text(
        BUNDLED_DEMO_CONFIG.read_text().replace(
            "timezone: America/New_York", f"timezone: {zone}", 1
        )
    )

    if accepted:
        assert load_config(path).campaign.timezone == zone
    else:
        with pytest.raises(ConfigError, match=f"'{zone}' is not an IANA time zone"):
            load_config(path)


def test_config_an_unquoted_norway_region_says_to_quote_it(tmp_path):
    path = tmp_path / "no.yaml"
    text = BUNDLED_DEMO_CONFIG.read_text()
    path.write_text(text.replace("  format: ncsbe", "  format: ncsbe\n  phone_region: NO", 1))

    says = r"voter_file\.phone_region: .*write the region in quotes"
    with pytest.raises(ConfigError, match=says):
        load_config(path)


def test_config_not_utf8_or_a_folder_is_one_clear_error(tmp_path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(
        BUNDLED_DEMO_CONFIG.read_text()
        .replace("North", "Se\xf1or")
        .encode("cp1252", errors="replace")
    )

    with pytest.raises(ConfigError, match=r"latin.yaml:\d+: not UTF-8 \(byte 0xf1\)"):
        load_config(latin)
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)
