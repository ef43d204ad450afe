"""What the comments feature does when something happens elsewhere (:mod:`hoering.events`)."""

from __future__ import annotations

from hoering.accounts.models import User
from hoering.comments.services import release_comments_awaiting_email
from hoering.events import EmailConfirmed, subscriber
from hoering.extensions import db


@subscriber(EmailConfirmed)
def release_comments_of_confirmed_author(event: EmailConfirmed) -> None:
    """Comments that waited for their author's e-mail address go through the checks of a
    new comment now: published, or into the moderation queue."""
    user = db.session.get(User, event.user_id)
    if user is not None:
        release_comments_awaiting_email(user)
