import pytest

from campaign_pipelines.rules.sms_segments import SegmentCount, count_segments, encoding_for

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€\f"


def test_encoding_for_whole_basic_table_is_gsm7():
    assert len(GSM_BASIC) == 127  # 128 code points less the escape
    assert encoding_for(GSM_BASIC) == "GSM-7"


@pytest.mark.parametrize("char", list(GSM_EXTENSION))
def test_count_segments_extension_character_costs_two_septets(char):
    assert count_segments(f"a{char}") == SegmentCount("GSM-7", 3, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi Renée, polls close at 7:30!", "GSM-7"),
        ("Hola Begoña, ¿vas a votar?", "GSM-7"),
        ("Grüße aus Köln, Søren & Åsa", "GSM-7"),
        ("FRANÇOISE: è ù ì ò Ç Ø É Æ æ ß £ ¥ § à ä ö", "GSM-7"),
        ("Hi José and Chloé", "GSM-7"),
        ("Hi Zoë", "UCS-2"),
        ("Can’t make it", "UCS-2"),
        ("“Vote” today", "UCS-2"),
        ("Hola María", "UCS-2"),
        ("Hi Joaquín", "UCS-2"),
        ("Françoise", "UCS-2"),
        ("Hi Íñigo", "UCS-2"),
        ("Raúl", "UCS-2"),
        ("ça va", "UCS-2"),
        ("Vote today 🗳️", "UCS-2"),
        ("tab\there", "UCS-2"),
        ("escape \x1b char", "UCS-2"),
        ("", "GSM-7"),
    ],
)
def test_encoding_for_real_names_and_punctuation(text, expected):
    assert encoding_for(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentCount("GSM-7", 0, 0)),
        ("a" * 100, SegmentCount("GSM-7", 100, 1)),
        ("a" * 160, SegmentCount("GSM-7", 160, 1)),
        ("a" * 161, SegmentCount("GSM-7", 161, 2)),
        ("a" * 306, SegmentCount("GSM-7", 306, 2)),
        ("a" * 307, SegmentCount("GSM-7", 307, 3)),
        ("a" * 158 + "€", SegmentCount("GSM-7", 160, 1)),
        ("a" * 159 + "€", SegmentCount("GSM-7", 161, 2)),
        ("€" * 80, SegmentCount("GSM-7", 160, 1)),
        ("ó" * 70, SegmentCount("UCS-2", 70, 1)),
        ("ó" * 71, SegmentCount("UCS-2", 71, 2)),
        ("ó" * 100, SegmentCount("UCS-2", 100, 2)),
        ("ó" * 134, SegmentCount("UCS-2", 134, 2)),
        ("ó" * 135, SegmentCount("UCS-2", 135, 3)),
        ("🗳" * 35, SegmentCount("UCS-2", 70, 1)),
        ("👍", SegmentCount("UCS-2", 2, 1)),
    ],
)
def test_count_segments_at_carrier_limits(text, expected):
    assert count_segments(text) == expected


def test_count_segments_never_splits_a_gsm_escape_pair():
    # 152 septets leave one free in the first part: the euro's escape pair moves to the second,
    # so 152 + 2 + 152 = 306 septets need three parts, not the two a plain 306 fits in.
    text = "a" * 152 + "€" + "a" * 152
    assert count_segments(text) == SegmentCount("GSM-7", 306, 3)


def test_count_segments_never_splits_a_surrogate_pair():
    # 66 code units leave one free in the first part: the emoji's pair moves to the second,
    # so 66 + 2 + 66 = 134 code units need three parts, not the two a plain 134 fits in.
    text = "ó" * 66 + "👍" + "ó" * 66
    assert count_segments(text) == SegmentCount("UCS-2", 134, 3)


@pytest.mark.parametrize("emoji", ["🇺🇸", "👍🏽"])
def test_count_segments_never_splits_a_grapheme_cluster(emoji):
    # A flag or a skin-toned emoji is four code units; three left in the first part are not enough.
    text = "ó" * 64 + emoji + "ó" * 66
    assert count_segments(text) == SegmentCount("UCS-2", 134, 3)


def test_count_segments_one_curly_apostrophe_turns_a_long_text_into_ucs2():
    straight = "Hi Pat, it's Sam with the Riverside campaign. Early voting starts Saturday. " * 2
    curly = straight.replace("'", "’")

    assert count_segments(straight) == SegmentCount("GSM-7", 152, 1)
    assert count_segments(curly) == SegmentCount("UCS-2", 152, 3)
