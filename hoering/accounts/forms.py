"""Account forms (Flask-WTF, CSRF protected)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from hoering.accounts.services import DISPLAY_NAME_MAX_LENGTH, PASSWORD_MIN_LENGTH
from hoering.forms import Form, line_filter, strip_filter
from hoering.moderation.forms import HoneypotForm


class RegistrationForm(HoneypotForm):
    """Register with display name, e-mail and password."""

    display_name = StringField(
        _l("Display name"),
        filters=[line_filter],
        validators=[DataRequired(_l("Enter a display name.")), Length(max=DISPLAY_NAME_MAX_LENGTH)],
        description=_l("Shown with your comments. You may use your full name or another name."),
    )
    email = EmailField(
        _l("E-mail address"),
        filters=[strip_filter],
        validators=[DataRequired(_l("Enter your e-mail address.")), Email(_l("Enter a valid e-mail address."), check_deliverability=False), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Choose a password.")), Length(min=PASSWORD_MIN_LENGTH, max=200, message=_l("The password must be at least %(min)d characters.", min=PASSWORD_MIN_LENGTH))],
        description=_l("At least %(min)d characters, and not your e-mail address or display name.",
                       min=PASSWORD_MIN_LENGTH),
    )
    password_again = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(_l("Repeat the password.")), EqualTo("password", _l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Create account"))


class LoginForm(HoneypotForm):
    """Log in with e-mail and password."""

    email = EmailField(_l("E-mail address"), filters=[strip_filter], validators=[DataRequired(_l("Enter your e-mail address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Remember me on this device"))
    submit = SubmitField(_l("Log in"))


class ProfileForm(Form):
    """Change one's display name."""

    display_name = StringField(
        _l("Display name"),
        filters=[line_filter],
        validators=[DataRequired(_l("Enter a display name.")), Length(max=DISPLAY_NAME_MAX_LENGTH)],
    )
    submit = SubmitField(_l("Save"))



def _new_password_field() -> PasswordField:
    """The new password of a change or a reset (the rules themselves are checked by
    :func:`hoering.accounts.services.check_password_rules`)."""
    return PasswordField(
        _l("New password"), validators=[DataRequired(_l("Choose a password.")), Length(max=200)],
        description=_l("At least 10 characters, and not your e-mail address or display name. Other devices where "
                       "you are logged in are logged out."))


def _new_password_again_field() -> PasswordField:
    return PasswordField(
        _l("New password again"), validators=[EqualTo("new_password", message=_l("The passwords are not the same."))])


class PasswordChangeForm(Form):
    """Change one's password (the current one is asked for)."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password."))])
    new_password = _new_password_field()
    new_password_again = _new_password_again_field()
    submit = SubmitField(_l("Change password"))


class ForgotPasswordForm(HoneypotForm):
    """Ask for a password-reset link."""

    email = EmailField(_l("E-mail address"), filters=[strip_filter],
                       validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=254)])
    submit = SubmitField(_l("Send link"))


class ResetPasswordForm(Form):
    """Choose a new password with a reset link."""

    new_password = _new_password_field()
    new_password_again = _new_password_again_field()
    submit = SubmitField(_l("Save new password"))


class TwoFactorCodeForm(Form):
    """A code from the authenticator app (or, at login, a recovery code)."""

    code = StringField(_l("Code"), filters=[strip_filter],
                       validators=[DataRequired(_l("Enter the code.")), Length(max=40)])
    submit = SubmitField(_l("Continue"))


class TwoFactorSetupForm(TwoFactorCodeForm):
    """Switching two-factor login on: a code from the app, and the password (someone who
    only has the session must not be able to lock the owner out)."""

    password = PasswordField(_l("Your password, to confirm"), validators=[DataRequired(_l("Enter your password."))])
    submit = SubmitField(_l("Switch on"))


class PasswordConfirmForm(Form):
    """The password again, to confirm a sensitive change."""

    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    submit = SubmitField(_l("Confirm"))


class ExternalAccountForm(Form):
    """The first login with ID-porten: the display name, and an e-mail address for
    notifications if the person wants them."""

    display_name = StringField(
        _l("Display name"),
        filters=[line_filter],
        validators=[DataRequired(_l("Enter a display name.")), Length(max=DISPLAY_NAME_MAX_LENGTH)],
        description=_l("Shown with your comments. You may use your full name or another name."),
    )
    email = EmailField(
        _l("E-mail address (optional)"),
        filters=[strip_filter],
        validators=[Optional(), Email(_l("Enter a valid e-mail address."), check_deliverability=False),
                    Length(max=254)],
        description=_l("Only for news of the consultations you follow and answers to your comments. We send a link "
                       "to confirm it."),
    )
    submit = SubmitField(_l("Create account"))


class InvitationForm(Form):
    """An administrator invites a colleague: address and staff role."""

    email = EmailField(
        _l("E-mail address"), filters=[strip_filter],
        validators=[DataRequired(_l("Enter the colleague's e-mail address.")),
                    Email(_l("Enter a valid e-mail address."), check_deliverability=False), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice("moderator", _l("Moderator")),
                                            SelectChoice("case_officer", _l("Case officer")),
                                            SelectChoice("admin", _l("Administrator"))],
                       validators=[DataRequired(_l("Choose a staff role."))])
    submit = SubmitField(_l("Send the invitation"))


class AcceptInvitationForm(Form):
    """The invitee chooses her name and password."""

    display_name = StringField(
        _l("Display name"), filters=[line_filter],
        validators=[DataRequired(_l("Enter a display name.")), Length(max=DISPLAY_NAME_MAX_LENGTH)],
        description=_l("Shown with what you write, e.g. your name and unit."))
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Choose a password.")),
                    Length(min=PASSWORD_MIN_LENGTH, max=200,
                           message=_l("The password must be at least %(min)d characters.", min=PASSWORD_MIN_LENGTH))],
        description=_l("At least %(min)d characters, and not your e-mail address or display name.",
                       min=PASSWORD_MIN_LENGTH))
    password_again = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(_l("Repeat the password.")), EqualTo("password", _l("The passwords do not match."))])
    submit = SubmitField(_l("Create account"))
