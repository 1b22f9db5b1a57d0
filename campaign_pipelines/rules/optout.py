"""What a voter's reply asks for: to stop, to start again, help, or none of those.

The FCC's consent rule (in force since April 2025) names STOP, QUIT, END, REVOKE, OPT OUT, CANCEL
and UNSUBSCRIBE as revocations that must be honoured; Twilio's default opt-out list adds STOPALL
and OPTOUT, and it resubscribes on START and UNSTOP. Providers such as Twilio act only on a body
that is a keyword alone, so the opt-outs recorded here are a superset of theirs: we also honour
a keyword followed by other words ("stop please", "STOP texting me"), because a voter who wrote
that has plainly revoked consent, and texting them again invites a complaint to their carrier.

The rule is the **first word**. Matching a keyword anywhere would read "don't stop fighting"
or "Did the rally end?" as opt-outs; a reply that leads with the keyword states the request.
"Stopping by later?" leads with another word and is other. "Please stop" also leads with
another word and is classified other: a person in the reply inbox must act on such a reply.
The rule errs toward stopping: "Cancel that, I'll be there" is an opt-out, because a voter we
stop texting by mistake costs one contact and one we keep texting costs a carrier complaint.

YES is not an opt-in here even though Twilio's default list includes it: campaign questions
("Can we count on your vote?") are answered YES, and reading that as consent to resubscribe a
voter who opted out would text someone who asked us to stop.
"""

import re
import unicodedata
from typing import Literal

ReplyKind = Literal["opt_out", "opt_in", "help", "other"]

OPT_OUT_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
)
OPT_IN_WORDS = frozenset({"start", "unstop"})
HELP_WORDS = frozenset({"help", "info"})

# A word is letters, with inner apostrophes kept ("don't"), so punctuation, digits and emoji
# around a keyword ("STOP.", "stop!!", "🛑 STOP") do not hide it.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _words(body: str) -> list[str]:
    # NFKC folds full-width and other compatibility forms ("ＳＴＯＰ") to plain letters.
    return _WORD.findall(unicodedata.normalize("NFKC", body).casefold())


def classify_reply(body: str) -> ReplyKind:
    """Classify an inbound SMS body by its first word (see the module docstring for why)."""
    words = _words(body)
    if not words:
        return "other"

    first = words[0]
    if first in OPT_OUT_WORDS or (first == "opt" and words[1:2] == ["out"]):
        return "opt_out"
    if first in OPT_IN_WORDS:
        return "opt_in"
    if first in HELP_WORDS:
        return "help"
    return "other"
