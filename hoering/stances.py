"""Stances on a comment ("Enig" / "Uenig") and the one rule that calls a set of them
*contested* ("Omstridt"). Pure functions (but for the words of
:func:`stance_counts_text`, in the request's language); pages, the API, the exports and the summary
report all ask :func:`tally` (docs/SUMMARIES.md, "Agree, disagree and contested").

The idea comes from Polis, whose report sets the statements a clear majority agrees or
disagrees with ("majority opinion") apart from those that divide the participants
(compdemocracy.org, the Bowling Green case study, 2018); the thresholds are ours:

* at least :data:`MIN_VOTES` agree and disagree votes together (passes are not a side),
  so that three against two is not yet called a split;
* and the smaller side at least :data:`MIN_SHARE` of them: less than two to one. A two-to-one
  majority is a clear one; anything closer is not support.

On the Bowling Green conversation (607 published statements, every one with at least 21
votes) the rule marks 191 as contested, among them the four on the fairness ordinance
the conversation was split on (567 agree / 455 disagree, 591 / 399, 508 / 410, 209 / 238)
and "LGBTQ fairness is far-left political idiocy" (232 / 462); "The Fairness Ordinance, as
currently proposed, poses insufficient protection …" (50 / 119) is a clear majority against.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from fractions import Fraction

from flask_babel import format_decimal
from flask_babel import gettext as _


class Stance(enum.StrEnum):
    """A reader's stance on a comment; a row of ``support`` holds one."""

    AGREE = "agree"
    DISAGREE = "disagree"


#: Fewest agree and disagree votes together for a comment (or theme) to be contested.
MIN_VOTES = 10
#: The smaller side's least share of the agree and disagree votes for it to be contested.
MIN_SHARE = Fraction(1, 3)


def parse_stance(value) -> Stance | None:
    """The :class:`Stance` named by ``value`` ("agree" or "disagree"), or ``None`` for
    anything else (taking one's stance back is asked for with an empty value)."""
    try:
        return Stance(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def is_contested(agree: int, disagree: int) -> bool:
    """Whether ``agree`` and ``disagree`` votes (counts, ``>= 0``) split: at least
    :data:`MIN_VOTES` together and the smaller side at least :data:`MIN_SHARE` of them."""
    agree, disagree = max(0, int(agree or 0)), max(0, int(disagree or 0))
    total = agree + disagree
    return total >= MIN_VOTES and min(agree, disagree) >= MIN_SHARE * total


@dataclass(frozen=True)
class Tally:
    """The votes on a comment or a theme (counts of people) and whether they split.

    Attributes:
        agree: "enig" (for a comment, its ``support_count``).
        disagree: "uenig".
        passes: passed (only imported data has them: Polis's "pass").
        contested: :func:`is_contested` of ``agree`` and ``disagree``.
    """

    agree: int
    disagree: int
    passes: int = 0

    @property
    def contested(self) -> bool:
        return is_contested(self.agree, self.disagree)


def tally(agree: int, disagree: int, passes: int = 0) -> Tally:
    """A :class:`Tally` of the counts (``None`` counts as 0)."""
    return Tally(int(agree or 0), int(disagree or 0), int(passes or 0))


def tally_of(comment) -> Tally:
    """The :class:`Tally` of a comment (anything with ``support_count``,
    ``disagree_count`` and ``pass_count``)."""
    return tally(comment.support_count, getattr(comment, "disagree_count", 0), getattr(comment, "pass_count", 0))


def stance_counts_text(counts: Tally, passes: bool = False) -> str:
    """The counts in words, in the request's language, for pages, exports and the report:
    "567 agree, 455 disagree" ("567 enig, 455 uenig"), with "contested: " ("omstridt: ")
    in front when they split (:attr:`Tally.contested`) and, with ``passes``, the passes
    (imported data) after them. Never a figure of agreement alone."""
    agree, disagree = format_decimal(counts.agree), format_decimal(counts.disagree)
    if counts.contested:
        text = _("contested: %(agree)s agree, %(disagree)s disagree", agree=agree, disagree=disagree)
    else:
        text = _("%(agree)s agree, %(disagree)s disagree", agree=agree, disagree=disagree)
    if passes and counts.passes:
        text = _("%(counts)s, %(passes)s passed", counts=text, passes=format_decimal(counts.passes))
    return text
