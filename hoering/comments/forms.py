"""Comment forms. Rules on the text live in :func:`hoering.comments.services.check_text`."""

from __future__ import annotations

import re
import secrets

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, SubmitField, TextAreaField

from hoering.comments.models import SUBMISSION_TOKEN_LENGTH
from hoering.forms import Form
from hoering.moderation.forms import HoneypotForm

_SUBMISSION_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{SUBMISSION_TOKEN_LENGTH}}}")


def new_submission_token() -> str:
    """A random key for one comment or reply form (24 random bytes, URL-safe base64:
    ``SUBMISSION_TOKEN_LENGTH`` characters)."""
    return secrets.token_urlsafe(SUBMISSION_TOKEN_LENGTH * 3 // 4)


def valid_submission_token(value) -> str | None:
    """``value`` if it has the shape of a key from :func:`new_submission_token`, else None
    (a missing field, an old form, anything else a client sends)."""
    return value if isinstance(value, str) and _SUBMISSION_TOKEN.fullmatch(value) else None


def submission_token(form: CommentForm | None = None) -> str:
    """The key to render into a comment or reply form: the one ``form`` was posted with,
    when it comes back after a refusal (sending it again is still the same submission),
    else a new one."""
    return valid_submission_token(form.submission.data if form is not None else None) or new_submission_token()


class CommentForm(HoneypotForm):
    """A top-level comment (optionally answering a guiding question) or, with
    ``parent_id``, a reply."""

    text = TextAreaField(_l("Your comment"))
    #: Id of the guiding question answered, or empty; the template renders the choices
    #: from the consultation, the service checks that the question belongs to it.
    question_id = StringField()
    #: Id of the section of the draft text the comment is about, or empty (checked as the question).
    section_id = StringField()
    #: "1" when a case officer or moderator answers on behalf of the municipality.
    official = StringField()
    #: "1" when the user agrees to publication (asked at the first comment only).
    consent = StringField()
    parent_id = HiddenField()
    #: The form's random key (:func:`submission_token`): the same form sent twice (a double
    #: click, a resend, several tabs) stores one comment.
    submission = HiddenField()
    submit = SubmitField(_l("Send comment"))


class EditCommentForm(Form):
    """Edit one's own comment within the edit window."""

    text = TextAreaField(_l("Your comment"))
    submit = SubmitField(_l("Save changes"))


class SupportForm(Form):
    """Take a stance on a comment: ``stance`` is "agree", "disagree" or "" (take it back;
    the button of the stance one holds sends ""). Forms from before disagreeing send
    ``supported`` "1" (agree) or "0" (take it back) instead."""

    stance = HiddenField()
    supported = HiddenField()


class RemoveCommentForm(Form):
    """Confirm removing one's own comment."""

    submit = SubmitField(_l("Remove comment"))
