"""Recusal: nobody moderates a comment she has a stake in.

A moderator (an administrator too: the rule holds for every person) decides nothing about
her own comment — approve, reject, hide, restore, dismiss its reports, lock or unlock its
thread — nor about a comment she has reported herself while her report is open. Another
moderator must decide; where there is only one, the comment waits. This is the usual rule
of impartiality (no one judges her own case; cf. the Norwegian Public Administration Act,
forvaltningsloven § 6, on disqualification), and it keeps pre-moderation from being
bypassed by a moderator approving her own comment.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from hoering.comments.models import Comment
from hoering.extensions import db
from hoering.moderation.models import Report

#: Why a moderator may not decide: her own comment, or one she has reported.
OWN_COMMENT = "own_comment"
OWN_REPORT = "own_report"

#: What the moderator is told, per reason.
RECUSAL_MESSAGES = {
    OWN_COMMENT: _l("This is your own comment: another moderator must decide on it."),
    OWN_REPORT: _l("You have reported this comment yourself: another moderator must decide on it."),
}


def recusals(moderator, comments: list[Comment]) -> dict[int, str]:
    """``{comment id: reason}`` for those of ``comments`` that ``moderator`` may not decide on.

    Args:
        moderator: the acting user (a ``User``); an anonymous user has no stake in anything.
        comments: the comments to check (one query for all of them).

    Returns:
        :data:`OWN_COMMENT` or :data:`OWN_REPORT` per comment she must leave to another
        moderator; comments she may decide on are absent.
    """
    moderator_id = getattr(moderator, "id", None)
    if moderator_id is None or not comments:
        return {}
    result = {c.id: OWN_COMMENT for c in comments if c.author_id == moderator_id}
    others = [c.id for c in comments if c.id not in result]
    if others:
        reported = db.session.scalars(sa.select(Report.comment_id).where(
            Report.comment_id.in_(others), Report.reporter_id == moderator_id, Report.resolved_at.is_(None)))
        result.update({comment_id: OWN_REPORT for comment_id in reported})
    return result


def recusal(moderator, comment: Comment) -> str | None:
    """Why ``moderator`` may not decide on ``comment`` (:data:`OWN_COMMENT`,
    :data:`OWN_REPORT`), or ``None`` if she may."""
    return recusals(moderator, [comment]).get(comment.id)
