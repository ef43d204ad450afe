"""Moderation forms: citizens' reports, moderator actions, bans, house rules, roles."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from hoering.forms import Form, line_filter, strip_filter
from hoering.moderation.labels import REPORT_REASON_LABELS, ROLE_LABELS
from hoering.moderation.models import REPORT_TEXT_MAX_LENGTH
from hoering.sanitize import contains_bidi_controls


def _must_be_empty(form, field) -> None:
    if field.data:
        raise ValidationError(_l("The form was refused. Leave the field “Do not fill in” empty and send again."))


class HoneypotForm(Form):
    """A form with a hidden trap field that people never see and robots fill in."""

    website = StringField(_l("Do not fill in"), validators=[_must_be_empty])


class ReportForm(HoneypotForm):
    """A citizen reports a comment."""

    reason = RadioField(
        _l("Why do you report this comment?"),
        choices=[SelectChoice(code, label) for code, label in REPORT_REASON_LABELS.items()],
        validators=[DataRequired(_l("Choose why you report the comment."))],
    )
    text = TextAreaField(
        _l("Explanation (optional)"), filters=[strip_filter],
        validators=[Optional(), Length(max=REPORT_TEXT_MAX_LENGTH)],
        description=_l("At most %(max)d characters. Only moderators see it.", max=REPORT_TEXT_MAX_LENGTH),
    )
    submit = SubmitField(_l("Send report"))


class ModerationActionForm(Form):
    """One moderator action on one comment; ``version`` is what the moderator saw."""

    action = HiddenField()
    version = HiddenField()
    reason = SelectField(_l("House rule"), choices=[], validate_choice=False)
    note = TextAreaField(_l("Note for the log (optional)"), filters=[strip_filter], validators=[Length(max=2000)])


BAN_DURATIONS = (
    ("1", _l("1 day")), ("7", _l("1 week")), ("30", _l("30 days")), ("90", _l("90 days")),
    ("365", _l("1 year")), ("permanent", _l("Permanently")),
)


class BanForm(Form):
    """Ban a user for a period or for good."""

    duration = SelectField(_l("Duration"), choices=[SelectChoice(v, label) for v, label in BAN_DURATIONS])
    reason = TextAreaField(
        _l("Reason (the user sees it)"), filters=[strip_filter],
        validators=[DataRequired(_l("Give a reason for the ban; the user will see it.")), Length(max=2000)],
    )
    hide_comments = BooleanField(
        _l("Also hide all the user's published comments"),
        description=_l("They are hidden with the ban's reason; lifting the ban can restore them."))
    submit = SubmitField(_l("Ban user"))


class RoleForm(Form):
    """An admin changes a user's role."""

    role = SelectField(_l("Role"), choices=[SelectChoice(v, label) for v, label in ROLE_LABELS.items()])
    submit = SubmitField(_l("Change role"))


class SecuritySettingsForm(Form):
    """An admin's security settings."""

    require_two_factor = BooleanField(
        _l("Require two-factor login for moderators, case officers and admins"),
        description=_l("Staff without it keep only a citizen's powers until they switch it on."))
    submit = SubmitField(_l("Save"))


class HouseRuleForm(Form):
    """An admin writes a house rule."""

    code = StringField(
        _l("Code"), filters=[strip_filter],
        validators=[DataRequired(_l("Enter a code.")), Length(max=60),
                    Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use a–z, 0–9 and hyphens."))],
        description=_l("A short, stable name used in the audit log, e.g. personopplysninger."),
    )
    title = StringField(_l("Title"), filters=[line_filter],
                        validators=[DataRequired(_l("Enter a title.")), Length(max=120)],
                        description=_l("Shown on hidden comments: “Hidden by a moderator: title”."))
    description = TextAreaField(_l("Description"), filters=[strip_filter], validators=[Length(max=5000)])
    title_nn = StringField(_l("Title in nynorsk"), filters=[line_filter], validators=[Length(max=120)],
                           description=_l("Shown to readers who chose nynorsk; empty: they see the bokmål text."))
    description_nn = TextAreaField(_l("Description in nynorsk"), filters=[strip_filter], validators=[Length(max=5000)])
    title_en = StringField(_l("Title in English"), filters=[line_filter], validators=[Length(max=120)],
                           description=_l("Shown to readers who chose English; empty: they see the bokmål text."))
    description_en = TextAreaField(_l("Description in English"), filters=[strip_filter], validators=[Length(max=5000)])
    position = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(min=0, max=1000)])
    is_active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))

    def validate_title(self, field) -> None:
        if contains_bidi_controls(field.data or ""):
            raise ValidationError(_l("The title cannot contain characters that reverse the direction of text."))

    validate_title_nn = validate_title
    validate_title_en = validate_title
