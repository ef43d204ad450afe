"""Forms of formal responses: the public form, the case officers' registration and screening."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from hoering.forms import YEAR_RANGE, Form, line_filter, strip_filter
from hoering.responses.services import TEXT_MAX_LENGTH


class ResponseForm(Form):
    """A formal response sent through the web (attachments come as ``attachments`` files,
    read by the view; the rules between fields are :func:`hoering.responses.services.check_data`)."""

    sender_name = StringField(_l("Your name"), filters=[line_filter],
                              validators=[DataRequired(_l("Enter your name.")), Length(max=200)],
                              render_kw={"autocomplete": "name"})
    sender_email = StringField(_l("E-mail address"), filters=[strip_filter], validators=[Length(max=320)],
                               description=_l("The receipt with your reference number is sent here."),
                               render_kw={"autocomplete": "email", "type": "email"})
    organisation_name = StringField(_l("Organisation (optional)"), filters=[line_filter],
                                    validators=[Optional(), Length(max=200)],
                                    render_kw={"autocomplete": "organization"})
    organisation_number = StringField(_l("Organisation number (optional)"), filters=[strip_filter],
                                      validators=[Optional(), Length(max=20)],
                                      description=_l("Nine digits, as in the Brønnøysund Register Centre."),
                                      render_kw={"inputmode": "numeric"})
    on_behalf_of_organisation = BooleanField(
        _l("I answer on behalf of the organisation"),
        description=_l("Then the organisation's name and number are required, and the response is listed "
                       "under the organisation's name."))
    text = TextAreaField(_l("Your response"), filters=[strip_filter], validators=[Length(max=TEXT_MAX_LENGTH)],
                         description=_l("Write here, or attach your response as a file below, or both."))
    consent = RadioField(
        _l("May we publish your response?"),
        choices=[SelectChoice("yes", _l("Yes: publish my response with my name (or my organisation's name)")),
                 SelectChoice("no", _l("No: do not publish my name"))],
        validators=[InputRequired(_l("Choose whether we may publish your response."))],
        description=_l("Responses are public documents (offentleglova). The municipality publishes them after "
                       "checking them, so that others can see what was said. If you answer no, your name and "
                       "organisation are never published; your text may be published without your name, or "
                       "kept back. Personal information about others is removed before publication."))


CHANNEL_CHOICES = [SelectChoice("letter", _l("Letter")), SelectChoice("email", _l("E-mail")),
                   SelectChoice("web", _l("Web (sent otherwise)"))]


class RegisterResponseForm(ResponseForm):
    """A case officer registers a response that came by letter or e-mail."""

    channel = SelectField(_l("Came by"), choices=CHANNEL_CHOICES)
    received_on = DateField(_l("Day received"), validators=[DataRequired(_l("Enter the day it was received."))])
    sender_name = StringField(_l("Sender's name"), filters=[line_filter],
                              validators=[DataRequired(_l("Enter the sender's name.")), Length(max=200)])
    sender_email = StringField(_l("Sender's e-mail address (optional)"), filters=[strip_filter],
                               validators=[Length(max=320)])
    on_behalf_of_organisation = BooleanField(_l("On behalf of the organisation"))
    text = TextAreaField(_l("Text of the response"), filters=[strip_filter],
                         validators=[Length(max=TEXT_MAX_LENGTH)],
                         description=_l("Type or paste the text; attach the scan of a letter below."))
    consent = RadioField(
        _l("Consent to publication"),
        choices=[SelectChoice("yes", _l("The sender consents to publication with name")),
                 SelectChoice("no", _l("The sender has not consented"))],
        validators=[InputRequired(_l("Choose whether the sender consented to publication."))])

    def validate_received_on(self, field) -> None:
        if field.data is not None and not YEAR_RANGE[0] <= field.data.year <= YEAR_RANGE[1]:
            raise ValidationError(_l("Enter a date between the years %(first)d and %(last)d.",
                                     first=YEAR_RANGE[0], last=YEAR_RANGE[1]))


class ScreeningForm(Form):
    """A case officer's decision on a response (attachments withheld come as ``withhold`` ids)."""

    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("published", _l("Publish")),
                 SelectChoice("redacted", _l("Publish with parts removed")),
                 SelectChoice("held_back", _l("Keep back from publication"))],
        validators=[InputRequired(_l("Choose a decision."))])
    legal_ground = SelectField(_l("Legal ground"), choices=[], validate_choice=False,
                               description=_l("Required when anything is kept from publication; shown to the public."))
    public_text = TextAreaField(_l("Public version of the text"), filters=[strip_filter],
                                validators=[Length(max=TEXT_MAX_LENGTH)],
                                description=_l("For publication with parts removed: remove what must not be "
                                               "published, e.g. write [unntatt] in its place."))
    note = TextAreaField(_l("Internal note (optional)"), filters=[strip_filter], validators=[Length(max=5000)])
