"""Automatic holds: the rules that keep a new comment back for a moderator before it is
published (words on a list, too many links, the author's first comment).

The rule names (``HOLD_*``) are what the audit log records as the reason of an automatic
hold. This module reads only the configuration and the comments table, so posting a
comment can ask it without depending on the moderation services.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import current_app

from hoering.comments.models import Comment
from hoering.extensions import db

#: Names of the automatic hold rules, as written in the audit log.
HOLD_WORD_LIST = "word_list"
HOLD_TOO_MANY_LINKS = "too_many_links"
HOLD_FIRST_COMMENT = "first_comment"

_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def automatic_holds(text: str, author, consultation_id: int, exclude_ids=()) -> list[str]:
    """The automatic hold rules that ``text`` by ``author`` triggers.

    Rules (config): ``MODERATION_HOLD_WORDS`` (whole words, any case),
    ``MODERATION_MAX_LINKS`` (more links than this), ``MODERATION_HOLD_FIRST_COMMENT`` (the
    author's first comment on the site; comments with ids in ``exclude_ids`` do not count
    as earlier ones).

    Args:
        text: the comment's plain text.
        author: the ``User`` posting it.
        consultation_id: the consultation it is posted in.
        exclude_ids: ids of comments not to count as the author's earlier ones.

    Returns:
        The names (``HOLD_*``) of the rules triggered, in that order; empty if none.
    """
    config = current_app.config
    rules = []
    words = [w for w in config.get("MODERATION_HOLD_WORDS", []) if w.strip()]
    if words:
        pattern = r"(?<!\w)(?:" + "|".join(re.escape(w.strip()) for w in words) + r")(?!\w)"
        if re.search(pattern, text, re.IGNORECASE):
            rules.append(HOLD_WORD_LIST)
    if len(_LINK.findall(text)) > config.get("MODERATION_MAX_LINKS", 3):
        rules.append(HOLD_TOO_MANY_LINKS)
    if config.get("MODERATION_HOLD_FIRST_COMMENT") and not db.session.scalar(
            sa.select(Comment.id).where(Comment.author_id == author.id, Comment.id.not_in(list(exclude_ids)))
            .limit(1)):
        rules.append(HOLD_FIRST_COMMENT)
    return rules
