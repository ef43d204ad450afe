"""Forms for themes and the summary."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from hoering.forms import Form, line_filter, strip_filter
from hoering.summaries.models import SUMMARY_TEXT_MAX_LENGTH, THEME_DESCRIPTION_MAX_LENGTH, THEME_NAME_MAX_LENGTH


class ThemeForm(Form):
    """Create or edit a theme."""

    name = StringField(_l("Name"), filters=[line_filter],
                       validators=[DataRequired(_l("Give the theme a name.")), Length(max=THEME_NAME_MAX_LENGTH)])
    description = TextAreaField(_l("Description (optional)"), filters=[strip_filter],
                                validators=[Length(max=THEME_DESCRIPTION_MAX_LENGTH)],
                                description=_l("What the theme covers, for the moderators who tag comments."))
    submit = SubmitField(_l("Save theme"))


class SummaryForm(Form):
    """The summary's overall text and quotes; the per-theme fields are read from the
    request by the view (their number depends on the themes)."""

    overview = TextAreaField(_l("What we heard, overall"), filters=[strip_filter],
                             validators=[Length(max=SUMMARY_TEXT_MAX_LENGTH)],
                             description=_l("Markdown: blank line between paragraphs, ## heading, **bold**, lists with - or 1."))
    overview_quotes = StringField(_l("Quoted comments (numbers)"), filters=[strip_filter],
                                  validators=[Length(max=2000)],
                                  description=_l("Comment numbers separated by commas, e.g. 12, 57."))


class DraftForm(Form):
    """A theme's draft paragraph, as the moderator edited it, and the comments to quote."""

    text = TextAreaField(_l("Draft for the summary"), filters=[strip_filter],
                         validators=[DataRequired(_l("The draft is empty.")), Length(max=SUMMARY_TEXT_MAX_LENGTH)],
                         description=_l("Built only from the comments; edit it as you like. Markdown."))
    quotes = StringField(_l("Quoted comments (numbers)"), filters=[strip_filter], validators=[Length(max=2000)],
                         description=_l("Comment numbers separated by commas, e.g. 12, 57."))
    replace = BooleanField(_l("Replace the text already written for this theme"))
    submit = SubmitField(_l("Use in the summary"))
