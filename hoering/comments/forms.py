"""Comment forms. Rules on the text live in :func:`hoering.comments.services.check_text`."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, SubmitField, TextAreaField

from hoering.forms import Form
from hoering.moderation.forms import HoneypotForm


class CommentForm(HoneypotForm):
    """A top-level comment (optionally answering a guiding question) or, with
    ``parent_id``, a reply."""

    text = TextAreaField(_l("Your comment"))
    #: Id of the guiding question answered, or empty; the template renders the choices
    #: from the consultation, the service checks that the question belongs to it.
    question_id = StringField()
    #: "1" when a case officer or moderator answers on behalf of the municipality.
    official = StringField()
    #: "1" when the user agrees to publication (asked at the first comment only).
    consent = StringField()
    parent_id = HiddenField()
    submit = SubmitField(_l("Send comment"))


class EditCommentForm(Form):
    """Edit one's own comment within the edit window."""

    text = TextAreaField(_l("Your comment"))
    submit = SubmitField(_l("Save changes"))


class SupportForm(Form):
    """Support a comment, or take the support back (``supported`` is "1" or "0")."""

    supported = HiddenField()


class RemoveCommentForm(Form):
    """Confirm removing one's own comment."""

    submit = SubmitField(_l("Remove comment"))
