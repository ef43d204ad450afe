"""The forms for e-mail alerts of new consultations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, SelectChoice, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired, Email, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from hoering.consultations import topics
from hoering.forms import Form, strip_filter


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of check boxes (each with its own label)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChoicesForm(Form):
    """All consultations, or those of some topics and areas."""

    scope = RadioField(_l("What do you want to hear about?"), default="all", choices=[
        SelectChoice("all", _l("Every new consultation")),
        SelectChoice("some", _l("Only the topics and areas I choose below"))])
    topics = CheckboxesField(_l("Topics"), choices=[], validate_choice=False)
    areas = CheckboxesField(_l("Areas"), choices=[], validate_choice=False,
                            description=_l("Consultations about the whole municipality come to every area."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topics.choices = [SelectChoice(k, v) for k, v in topics.choices(topics.TOPICS)]
        self.areas.choices = [SelectChoice(k, v) for k, v in topics.choices(topics.AREAS)]

    def validate_topics(self, field) -> None:
        if any(not topics.is_known(topics.TOPICS, key) for key in field.data or ()):
            raise ValidationError(_l("Choose topics from the list."))

    def validate_areas(self, field) -> None:
        if any(not topics.is_known(topics.AREAS, key) for key in field.data or ()):
            raise ValidationError(_l("Choose areas from the list."))
        if self.scope.data == "some" and not (field.data or self.topics.data):
            raise ValidationError(_l("Choose at least one topic or area, or choose every new consultation."))

    def chosen(self) -> tuple[list[str], list[str]]:
        """``(topic keys, area keys)`` as chosen; both empty for every consultation."""
        if self.scope.data != "some":
            return [], []
        return list(self.topics.data or ()), list(self.areas.data or ())


class SubscribeForm(ChoicesForm):
    """Ask for e-mail alerts of new consultations."""

    email = EmailField(_l("E-mail address"), filters=[strip_filter], validators=[
        DataRequired(_l("Enter your e-mail address.")),
        Email(_l("Enter a valid e-mail address."), check_deliverability=False), Length(max=254)])
    submit = SubmitField(_l("Subscribe"))


class ChangeForm(ChoicesForm):
    """Change what a subscriber gets."""

    submit = SubmitField(_l("Save my choices"))
