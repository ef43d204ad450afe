"""The urgent notice form. Times are entered in Oslo time."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from hoering.forms import Form, check_year, line_filter, strip_filter
from hoering.notices.services import BODY_MAX_LENGTH

TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class NoticeForm(Form):
    """Publish or change an urgent notice."""

    title = StringField(_l("Title"), filters=[line_filter], validators=[DataRequired(_l("Enter a title.")),
                                                                         Length(max=200)],
                        description=_l("Short and plain, e.g. “Boil water in Nordbygda”."))
    body_markdown = TextAreaField(
        _l("Text"), filters=[strip_filter], validators=[Optional(), Length(max=BODY_MAX_LENGTH)],
        description=_l("What has happened and what people should do. Markdown: **bold**, - list, [link](https://…)."))
    severity = SelectField(_l("How serious"), default="warning", choices=[
        SelectChoice("info", _l("Information")),
        SelectChoice("warning", _l("Warning")),
        SelectChoice("danger", _l("Danger: act now")),
    ])
    starts_at = DateTimeLocalField(_l("Shown from (Oslo time)"), format=TIME_FORMATS,
                                   validators=[DataRequired(_l("Enter when the notice is shown from."))])
    ends_at = DateTimeLocalField(_l("Shown until (Oslo time)"), format=TIME_FORMATS,
                                 validators=[DataRequired(_l("Enter when the notice stops being shown."))])
    submit = SubmitField(_l("Save"))

    def validate_starts_at(self, field) -> None:
        check_year(field.data)

    def validate_ends_at(self, field) -> None:
        check_year(field.data)
