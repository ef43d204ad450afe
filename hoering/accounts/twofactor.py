"""Two-factor login: time-based one-time codes (TOTP, RFC 6238, via pyotp) and one-time
recovery codes; admins may require it for staff roles.

Codes are 6 digits for 30-second steps, and one step either side is accepted for clock
drift (RFC 6238 §5.2 recommends at most one). A code is never accepted twice: the last
accepted step is stored and later logins need a newer one. Recovery codes are random
(40 bits each, 10 hex digits), shown once, and stored only as SHA-256 digests; guessing is
bounded by the login rate limits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import re
import secrets

import pyotp
import sqlalchemy as sa
from flask import current_app, g
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash

from hoering import permissions
from hoering.accounts.models import RecoveryCode, SiteSetting, User
from hoering.accounts.policy import (
    REQUIRE_FOR_STAFF,
    lacks_required_two_factor,  # noqa: F401  (part of this module's interface)
    required_for_staff,
)
from hoering.accounts.services import end_sessions as end_user_sessions
from hoering.exceptions import PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.i18n import in_language
from hoering.moderation.audit import record
from hoering.moderation.models import ActionType
from hoering.notifications.outbox import queue_account_mail
from hoering.timeutil import utcnow
from hoering.urls import site_url_for

#: TOTP step, in seconds (RFC 6238 default).
STEP_SECONDS = 30
#: Steps either side of now that are accepted (clock drift).
DRIFT_STEPS = 1


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads (from the QR code)."""
    issuer = current_app.config.get("TOTP_ISSUER") or current_app.config["SITE_OWNER"]
    return pyotp.TOTP(secret).provisioning_uri(name=user.email or str(user.id), issuer_name=issuer)


def qr_code_svg(uri: str, title: str) -> bytes:
    """``uri`` as a QR code, an SVG document (segno; no scripts or style attributes)."""
    import segno

    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=4, title=title)
    return buffer.getvalue()


def _normalize(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    code = _normalize(code)
    if not re.fullmatch(r"[0-9]{6}", code):  # ASCII digits only: "١٢٣٤٥٦".isdigit() is true too
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _digest(code: str) -> str:
    return hashlib.sha256(_normalize(code).encode("ascii", "replace")).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(current_app.config["RECOVERY_CODE_COUNT"]):
        raw = secrets.token_hex(5)  # 10 hex digits, 40 bits … shown as two groups of five
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_digest(code)))
    return codes


def setup_secret(user_id: int, nonce: str) -> str:
    """The secret offered while ``user_id`` sets up two-factor login: derived from the
    site's SECRET_KEY and a random ``nonce`` kept in the session, so the session cookie
    (signed, not encrypted) never holds the secret itself. 160 bits, Base32 (RFC 4226 §4
    recommends at least 128, 160 preferred)."""
    import base64

    digest = hmac.new(current_app.config["SECRET_KEY"].encode("utf-8"), f"totp-setup:{user_id}:{nonce}".encode(),
                      hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


def enable(user: User, secret: str, code: str, password: str, now: dt.datetime | None = None) -> list[str]:
    """Switch on two-factor login once ``code`` shows the app has ``secret`` and
    ``password`` is the user's (commits). Every session of the user ends (someone who had
    the password is logged out); the caller logs the current one in again.

    Returns:
        The new recovery codes, in plain text: show them once; only digests are kept.

    Raises:
        PermissionDenied: the password is wrong (``field="password"``).
        ValidationFailed: the code does not match (wrong, or the phone's clock is off).
    """
    if not check_password_hash(user.password_hash or "", password or ""):
        raise PermissionDenied(_l("The password is not right."), field="password")
    now = now or utcnow()
    step = _matching_step(secret, code, now)
    if step is None:
        raise ValidationFailed(_l("The code is not right. Type the 6 digits the app shows now."))
    user.totp_secret, user.totp_last_step = secret, step
    end_user_sessions(user)
    codes = _new_recovery_codes(user)
    db.session.commit()
    return codes


#: What :func:`check_login_code` found: a fresh app code, an unused recovery code, an
#: app code that was right but has been used already, or nothing.
APP_CODE, RECOVERY_CODE, USED_APP_CODE = "app", "recovery", "used"


def check_login_code(user: User, code: str, now: dt.datetime | None = None) -> str | None:
    """Check a second-step code of ``user`` and spend it (commits).

    A TOTP code is accepted only for a time step (30 seconds, RFC 6238) later than the last
    accepted one, so a code seen over someone's shoulder cannot be used again.

    Returns:
        :data:`APP_CODE` or :data:`RECOVERY_CODE` when the code let the user in;
        :data:`USED_APP_CODE` when it is the right app code but was accepted before (the
        user waits for the next one); ``None`` when it is wrong.
    """
    if not user.totp_secret:
        return None
    now = now or utcnow()
    step = _matching_step(user.totp_secret, code, now)
    if step is not None:
        spent = db.session.execute(sa.update(User).where(
            User.id == user.id, sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step))
        db.session.commit()
        return APP_CODE if spent.rowcount == 1 else USED_APP_CODE
    digest = _digest(code)
    for recovery in db.session.scalars(sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))):
        if hmac.compare_digest(recovery.code_hash, digest):
            spent = db.session.execute(sa.update(RecoveryCode).where(
                RecoveryCode.id == recovery.id, RecoveryCode.used_at.is_(None)).values(used_at=now))
            db.session.commit()
            return RECOVERY_CODE if spent.rowcount == 1 else None
    return None


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes ``user`` has."""
    return db.session.scalar(sa.select(sa.func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def new_recovery_codes(user: User, password: str) -> list[str]:
    """Replace the recovery codes (the old ones stop working) after checking the password
    (commits). Every session of the user ends, as with every change of how the account
    logs in; the caller logs the current one in again.

    Raises:
        PermissionDenied: wrong password, or two-factor login is off.
    """
    if not user.totp_secret or not check_password_hash(user.password_hash or "", password or ""):
        raise PermissionDenied(_l("The password is not right."))
    codes = _new_recovery_codes(user)
    end_user_sessions(user)
    db.session.commit()
    return codes


def disable(user: User, password: str) -> None:
    """Switch off two-factor login after checking the password (commits). Every session
    of the user ends; the caller logs the current one in again.

    Raises:
        PermissionDenied: wrong password, or staff while admins require two-factor login.
    """
    if not check_password_hash(user.password_hash or "", password or ""):
        raise PermissionDenied(_l("The password is not right."))
    if user.is_staff and required_for_staff():
        raise PermissionDenied(_l("Your role requires two-factor login, so it cannot be switched off."))
    _clear(user)
    db.session.commit()


def reset(user: User) -> None:
    """Switch off ``user``'s two-factor login from the command line (an operator's
    decision, e.g. for the only admin): sessions end; commits."""
    _clear(user)
    db.session.commit()


def reset_by_admin(user: User, admin: User) -> None:
    """An admin switches off ``user``'s two-factor login (a lost phone and lost recovery
    codes); the user sets it up again at the next login. Logged in the audit log, and the
    user is told by mail in the site's language, so a reset they did not ask for does not
    go unnoticed (commits).

    Raises:
        PermissionDenied: ``admin`` is not an administrator, or resets their own (they
            switch it off on their own page, with their password).
    """
    if not permissions.can_administer(admin):
        raise PermissionDenied(_l("Only administrators can do this."))
    if user.id == admin.id:
        raise PermissionDenied(_l("Switch your own two-factor login off on your own page."))
    _clear(user)
    record(ActionType.TWO_FACTOR_RESET, target_user=user, actor=admin)
    if user.email:
        _mail_reset_notice(user)
    db.session.commit()


def _mail_reset_notice(user: User) -> None:
    from flask_babel import gettext as _

    with in_language(current_app.config["BABEL_DEFAULT_LOCALE"]):
        queue_account_mail(user, "two_factor_reset", _("Two-factor login was switched off on your account"), [
            _("Hello %(name)s,", name=user.display_name),
            _("An administrator has switched off two-factor login on your account, and you have been logged "
              "out everywhere. Log in with your password and switch it on again:"),
            site_url_for("accounts.two_factor"),
            _("If you did not ask for this, contact %(owner)s at once.", owner=current_app.config["SITE_OWNER"])])


def _clear(user: User) -> None:
    """Forget the secret and the recovery codes; every login of the user ends (whoever
    switched it off, a session copied before must not outlive it)."""
    user.totp_secret, user.totp_last_step = None, None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_user_sessions(user)


def set_required_for_staff(required: bool, admin: User) -> None:
    """Require (or stop requiring) two-factor login for staff roles (commits).

    Raises:
        PermissionDenied: ``admin`` is not an administrator, or would require it without
            having switched it on themselves (they would lock themselves out).
    """
    if not permissions.can_administer(admin):
        raise PermissionDenied(_l("Only administrators can do this."))
    if required and not admin.has_two_factor:
        raise PermissionDenied(_l("Switch on two-factor login for yourself first."))
    setting = db.session.get(SiteSetting, REQUIRE_FOR_STAFF) or SiteSetting(key=REQUIRE_FOR_STAFF, value="0")
    before, after = setting.value or "0", "1" if required else "0"
    setting.value = after
    db.session.add(setting)
    if before != after:
        record(ActionType.SETTING_CHANGE, actor=admin, note=REQUIRE_FOR_STAFF, before=before, after=after)
    db.session.commit()
    g.pop("two_factor_required", None)
