"""The archive package's form: where the consultation is filed in the records system."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional

from hoering.forms import Form, line_filter


class CaseRecordForm(Form):
    """Case number and classification (all optional; the package says what is missing)."""

    case_number = StringField(_l("Case number"), filters=[line_filter], validators=[Optional(), Length(max=40)],
                              description=_l("As the records system writes it, e.g. 2026/1234."))
    classification_system = StringField(_l("Classification system"), filters=[line_filter],
                                        validators=[Optional(), Length(max=100)],
                                        description=_l("For example K-koder."))
    class_id = StringField(_l("Class"), filters=[line_filter], validators=[Optional(), Length(max=100)],
                           description=_l("For example 033."))
