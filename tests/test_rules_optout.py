import pytest

from campaign_pipelines.rules.optout import classify_reply


@pytest.mark.parametrize(
    "body",
    [
        "Stop",
        " STOP. ",
        "stop please",
        "STOP texting me",
        "stop!!",
        "🛑 STOP",
        "OPTOUT",
        "Opt out",
        "opt-out",
        "OPT OUT please",
        "REVOKE",
        "StopAll",
        "Unsubscribe",
        "cancel",
        "End",
        "quit.",
        "ＳＴＯＰ",
        "\nstop\n",
        "Cancel that, I'll be there",
    ],
)
def test_classify_reply_opt_out(body):
    assert classify_reply(body) == "opt_out"


@pytest.mark.parametrize("body", ["START", "start.", "Unstop", " unstop "])
def test_classify_reply_opt_in(body):
    assert classify_reply(body) == "opt_in"


@pytest.mark.parametrize("body", ["HELP", "help?", "Info", "INFO please"])
def test_classify_reply_help(body):
    assert classify_reply(body) == "help"


@pytest.mark.parametrize(
    "body",
    [
        "don't stop",
        "Don’t stop fighting!",
        "Stopping by later?",
        "Did the rally end?",
        "please stop",
        "Yes",
        "YES!",
        "optional",
        "opt in",
        "Who is this?",
        "Quitting my job to volunteer",
        "Helpful, thanks",
        "",
        "   ",
        "👍",
        "123",
    ],
)
def test_classify_reply_other(body):
    assert classify_reply(body) == "other"
