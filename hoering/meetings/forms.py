"""Case officers' forms for political bodies, members, meetings, agenda items and minutes.
Times are entered in Oslo time."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    FileField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from hoering.forms import Form, check_year, line_filter, strip_filter
from hoering.meetings.services import KIND_LABELS, ROLE_LABELS, STATUS_LABELS

_HTTPS = Regexp(r"^https://\S+$", message=_l("The link must be a web address starting with https://."))


class BodyForm(Form):
    """Create or edit a political body."""

    name = StringField(_l("Name"), filters=[line_filter],
                       validators=[DataRequired(_l("Enter the name of the body.")), Length(max=200)])
    kind = SelectField(_l("Kind of body"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    slug = StringField(_l("Web address"), filters=[strip_filter], validators=[Optional(), Length(max=100)],
                       description=_l("The last part of the page address, e.g. formannskapet. "
                                      "Leave empty to make one from the name."))
    description = TextAreaField(_l("Description"), filters=[strip_filter], validators=[Optional(), Length(max=5000)],
                                description=_l("What the body decides, in plain language. Optional."))
    portal_url = StringField(_l("Link to the meeting portal"), filters=[strip_filter],
                             validators=[Optional(), Length(max=500), _HTTPS],
                             description=_l("The body's page in the municipality's own meeting portal. Optional."))
    position = IntegerField(_l("Order in the list"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=1000)])
    submit = SubmitField(_l("Save"))


class MemberForm(Form):
    """Add a member to a body."""

    name = StringField(_l("Name"), filters=[line_filter],
                       validators=[DataRequired(_l("Enter the member's name.")), Length(max=200)])
    role = SelectField(_l("Role"), choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()], default="medlem")
    party = StringField(_l("Party (optional)"), filters=[line_filter], validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Add member"))


class MeetingForm(Form):
    """Create or edit a meeting."""

    starts_at = DateTimeLocalField(_l("Starts (Oslo time)"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                   validators=[DataRequired(_l("Enter when the meeting starts."))])
    place = StringField(_l("Place"), filters=[line_filter], validators=[Optional(), Length(max=200)],
                        description=_l("For example Kommunestyresalen, Rådhuset."))
    status = SelectField(_l("Status"), choices=[SelectChoice(k, v) for k, v in STATUS_LABELS.items()],
                         default="planned")
    submit = SubmitField(_l("Save"))

    def validate_starts_at(self, field) -> None:
        check_year(field.data)


class AgendaItemForm(Form):
    """Create or edit an agenda item; ``consultation`` choices are set by the view."""

    number = StringField(_l("Item number"), filters=[line_filter], validators=[Optional(), Length(max=40)],
                         description=_l("For example PS 12/26."))
    title = StringField(_l("Title"), filters=[line_filter],
                        validators=[DataRequired(_l("Enter the title of the agenda item.")), Length(max=300)])
    case_number = StringField(_l("Case number"), filters=[line_filter], validators=[Optional(), Length(max=40)],
                              description=_l("The archive's case number, for example 2026/1234."))
    description = TextAreaField(_l("Description"), filters=[strip_filter], validators=[Optional(), Length(max=20000)])
    consultation = SelectField(_l("Consultation decided in this item"), choices=[], validate_choice=True,
                               description=_l("The consultation's page shows this meeting, and the decision below "
                                              "once it is written."))
    decision_text = TextAreaField(_l("Decision"), filters=[strip_filter], validators=[Optional(), Length(max=20000)],
                                  description=_l("What was decided (vedtak), once the meeting has decided."))
    position = IntegerField(_l("Place on the agenda"), validators=[Optional(), NumberRange(min=0, max=1000)])
    submit = SubmitField(_l("Save"))


class MinutesForm(Form):
    """Write and approve a meeting's minutes."""

    minutes = TextAreaField(_l("Minutes"), filters=[strip_filter], validators=[Optional(), Length(max=200_000)],
                            description=_l("Markdown: ## heading, **bold**, - list, [link](https://…)."))
    approved_on = DateField(_l("Approved on"), validators=[Optional()],
                            description=_l("Leave empty until the minutes are approved; once set, they are public "
                                           "and followers are told."))
    submit = SubmitField(_l("Save"))

    def validate_approved_on(self, field) -> None:
        check_year(field.data)


class DocumentForm(Form):
    """Attach a document to a meeting or one of its agenda items (choices set by the view)."""

    title = StringField(_l("Title (optional)"), filters=[line_filter], validators=[Optional(), Length(max=200)])
    item = SelectField(_l("Belongs to"), choices=[], validate_choice=True)
    file = FileField(_l("File (PDF, DOCX, ODT, XLSX, PNG or JPEG)"))
    submit = SubmitField(_l("Attach"))
