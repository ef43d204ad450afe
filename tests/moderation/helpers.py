"""Helpers for the moderation tests: read state and the audit log straight from the database."""

from __future__ import annotations

import re

import sqlalchemy as sa

from hoering.comments.models import Comment
from hoering.extensions import db
from hoering.moderation.models import ModerationAction, Report


def comment_row(app, comment_id: int) -> Comment:
    with app.app_context():
        row = db.session.get(Comment, comment_id)
        db.session.expunge(row)
        return row


def log_of(app, comment_id: int) -> list[tuple]:
    """``(action, actor_id, reason, before, after, automatic)`` per entry, oldest first."""
    with app.app_context():
        return [
            (a.action, a.actor_id, a.reason, a.state_before, a.state_after, a.is_automatic)
            for a in db.session.scalars(sa.select(ModerationAction).where(ModerationAction.comment_id == comment_id)
                                        .order_by(ModerationAction.id))
        ]


def open_report_count(app, comment_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Report.id))
                                 .where(Report.comment_id == comment_id, Report.resolved_at.is_(None)))


def act(browser, comment_id: int, action: str, version: int | None = None, reason: str = "", note: str = ""):
    """Post a moderator action from the comment's moderation page (its CSRF token and version)."""
    page = browser.get(f"/moderering/kommentarer/{comment_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    if version is None:
        version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
    return browser.client.post(f"/moderering/kommentarer/{comment_id}/handling", data={
        "csrf_token": token, "action": action, "version": str(version), "reason": reason, "note": note})
