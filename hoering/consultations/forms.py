"""Case officers' consultation form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from hoering.consultations import topics
from hoering.consultations.models import QUESTION_MAX_LENGTH
from hoering.forms import Form, check_year, line_filter, strip_filter
from hoering.templating import LANGUAGE_LABELS

CONTENT_LANGUAGES = ("nb", "nn", "en")


class ConsultationForm(Form):
    """Create or edit a consultation. Times are entered in Oslo time."""

    title = StringField(_l("Title"), filters=[line_filter], validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    slug = StringField(
        _l("Web address"), filters=[strip_filter], validators=[Optional(), Length(max=100)],
        description=_l("The last part of the page address, e.g. ny-skole. Leave empty to make one from the title."),
    )
    summary = TextAreaField(
        _l("Summary"), filters=[strip_filter], validators=[DataRequired(_l("Enter a summary.")), Length(max=2000)],
        description=_l("Two or three sentences in plain language: what is decided, and what you want to hear about."),
    )
    body_markdown = TextAreaField(
        _l("Case text"), filters=[strip_filter], validators=[Optional(), Length(max=100_000)],
        description=_l("Markdown: ## heading, **bold**, - list, [link](https://…)."),
    )
    questions = TextAreaField(
        _l("Guiding questions"), filters=[strip_filter], validators=[Optional(), Length(max=5000)],
        description=_l("One question per line. Optional."),
    )
    language = SelectField(
        _l("Language of the content"), choices=[SelectChoice(code, LANGUAGE_LABELS[code]) for code in CONTENT_LANGUAGES]
    )
    responsible_unit = StringField(_l("Responsible unit"), filters=[line_filter], validators=[Optional(), Length(max=200)])
    moderation_mode = SelectField(
        _l("Moderation"),
        choices=[
            SelectChoice("post", _l("Publish comments at once (post-moderation)")),
            SelectChoice("pre", _l("Approve comments before they are published (pre-moderation)")),
        ],
    )
    opens_at = DateTimeLocalField(
        _l("Opens (Oslo time)"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[DataRequired(_l("Enter when the consultation opens."))],
    )
    deadline = DateField(
        _l("Deadline"), validators=[DataRequired(_l("Enter the deadline."))],
        description=_l("Comments are accepted until 23:59:59 Oslo time on this day."),
    )
    short_period_reason = TextAreaField(
        _l("Reason for a period shorter than six weeks"), filters=[strip_filter],
        validators=[Optional(), Length(max=2000)],
        description=_l("Required to publish when the period from opening to deadline is under six weeks. "
                       "The normal period is three months (utredningsinstruksen § 3-3). Shown on the consultation page."),
    )
    hashtag = StringField(
        _l("Hashtag"), filters=[strip_filter],
        validators=[Optional(), Length(max=60), Regexp(r"^#?[^\W_][\w]*$", message=_l(
            "A hashtag is one word of letters, digits and _, such as FjordvikSkole."))],
        description=_l("For sharing on social media, e.g. FjordvikSkole. Optional."),
    )
    political_body = StringField(
        _l("Political body that decides"), filters=[line_filter], validators=[Optional(), Length(max=200)],
        description=_l("For example formannskapet or kommunestyret. Optional."),
    )
    meeting_at = DateTimeLocalField(
        _l("Meeting that decides (Oslo time)"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()], description=_l("Shown on the page, in the calendar and on the year plan. Optional."),
    )
    topic = SelectField(_l("Topic"), choices=[], validate_choice=False,
                        description=_l("People who subscribe to this topic are e-mailed when the consultation is published."))
    area = SelectField(_l("Area"), choices=[], validate_choice=False,
                       description=_l("The part of the municipality the case concerns."))
    accepts_responses = BooleanField(
        _l("Takes formal responses (høringssvar)"),
        description=_l("Persons and organisations can then send a formal response with attachments next to the "
                       "comments; you screen each before it is published."))
    publish = BooleanField(_l("Published (visible to the public)"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topic.choices = [SelectChoice("", _l("No topic")), *(SelectChoice(k, v) for k, v in
                                                                  topics.choices(topics.TOPICS))]
        self.area.choices = [SelectChoice("", _l("No particular area")), *(SelectChoice(k, v) for k, v in
                                                                           topics.choices(topics.AREAS))]

    def validate_topic(self, field) -> None:
        if not topics.is_known(topics.TOPICS, field.data or ""):
            raise ValidationError(_l("Choose one of the topics in the list."))

    def validate_area(self, field) -> None:
        if not topics.is_known(topics.AREAS, field.data or ""):
            raise ValidationError(_l("Choose one of the areas in the list."))

    def validate_meeting_at(self, field) -> None:
        check_year(field.data)

    def validate_opens_at(self, field) -> None:
        check_year(field.data)

    def validate_deadline(self, field) -> None:
        check_year(field.data)

    def validate_questions(self, field) -> None:
        for line in (field.data or "").split("\n"):
            if len(line.strip()) > QUESTION_MAX_LENGTH:
                raise ValidationError(_l("A question can be at most %(max)d characters.", max=QUESTION_MAX_LENGTH))


class SectionForm(Form):
    """Add or change a section of the draft text."""

    number = StringField(_l("Number"), filters=[line_filter], validators=[
        DataRequired(_l("Enter the section's number, e.g. § 2 or Kapittel 3.2.")), Length(max=40)],
        description=_l("As it is cited: § 2, § 12 a, Kapittel 3.2."))
    heading = StringField(_l("Heading"), filters=[line_filter], validators=[Optional(), Length(max=200)],
                          description=_l("For example Formål or Virkeområde. Optional."))
    text_markdown = TextAreaField(_l("Text"), filters=[strip_filter], validators=[Optional(), Length(max=50_000)],
                                  description=_l("Markdown: **bold**, - list, 1. numbered list."))
    place = IntegerField(_l("Place in the draft"), validators=[Optional(), NumberRange(min=1, max=1000)],
                         description=_l("1 is first. Leave empty to put it last."))
    submit = SubmitField(_l("Save the section"))
