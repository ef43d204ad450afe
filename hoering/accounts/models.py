"""The user account."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from hoering.extensions import db
from hoering.names import name_skeleton
from hoering.timeutil import UTCDateTime, utcnow


class Role(enum.StrEnum):
    """Roles (DESIGN §1). ``admin`` may do everything."""

    CITIZEN = "citizen"
    MODERATOR = "moderator"
    CASE_OFFICER = "case_officer"
    ADMIN = "admin"


#: How a deleted account is named wherever its comments are shown.
DELETED_USER_LABEL = _l("Deleted user")


class User(UserMixin, db.Model):
    """A person with an account, or a pseudonymous participant imported from Polis.

    ``email`` is stored lower-cased, so uniqueness ignores case. Imported participants have
    no e-mail and no password and cannot log in.
    """

    __tablename__ = "user"
    #: One account per name look (UTS #39 skeleton) among the accounts people made and
    #: still have; imported participants ("Deltaker 7" in two conversations) may repeat.
    __table_args__ = (
        sa.Index("uq_user_name_skeleton_active", "name_skeleton", unique=True,
                 sqlite_where=sa.text("deleted_at IS NULL AND NOT is_pseudonymous"),
                 postgresql_where=sa.text("deleted_at IS NULL AND NOT is_pseudonymous")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    #: The name as chosen (column ``display_name``); read it through :attr:`display_name`.
    chosen_name: Mapped[str] = mapped_column("display_name", sa.String(80))
    #: The name's confusable skeleton (:func:`hoering.names.name_skeleton`), kept in step
    #: with the name: no two accounts may have names that look the same. ``None`` once
    #: the name is erased.
    name_skeleton: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(20), default=Role.CITIZEN.value)
    #: Moderators and admins get a daily digest of the moderation queue unless they opt out.
    wants_digest: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    is_pseudonymous: Mapped[bool] = mapped_column(default=False)
    #: Import key ``polis:<conversation>:<author-id>`` for pseudonymous participants.
    external_id: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the user agreed that their display name and comments are published (asked at
    #: the first comment); ``None`` until then.
    publication_consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Part of the login cookie; raising it (a new password) ends every other session.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: When the owner proved the e-mail address is theirs (the link in the verification
    #: mail, or a password reset); ``None`` until then. Comments wait for it.
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Base32 TOTP secret (RFC 6238); set once two-factor login is switched on.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    #: The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: When the owner was last told by mail that someone is guessing the password (at
    #: most one such mail per ``LOGIN_WARNING_PERIOD_SECONDS``); ``None`` until then.
    password_guessing_warned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: When the owner deleted the account (UTC); its name, address and password are gone.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The interface language the user last chose ("nb", "nn", "en"), for mails written to
    #: her alone (a ban notice); ``None`` until she chooses one: the site's language.
    language: Mapped[str | None] = mapped_column(sa.String(5))

    @hybrid_property
    def display_name(self) -> str:
        """The name shown with the user's comments: the chosen one, or "Slettet bruker" in
        the reader's language once the account is deleted. In SQL, the stored column."""
        if self.deleted_at is not None:
            return str(DELETED_USER_LABEL)
        return self.chosen_name

    @display_name.inplace.setter
    def _display_name_setter(self, value: str) -> None:
        self.chosen_name = value

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls):
        return cls.chosen_name

    @validates("chosen_name")
    def _keep_name_skeleton(self, _key: str, value: str) -> str:
        self.name_skeleton = name_skeleton(value)
        return value

    @property
    def is_deleted(self) -> bool:
        """True once the owner deleted the account."""
        return self.deleted_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"

    def get_id(self) -> str:  # Flask-Login: what the session and the remember cookie hold
        """``"<id>.<session version>"``: a session from before a password change no longer loads."""
        return f"{self.id}.{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        """Pseudonymous imported participants and deleted accounts cannot log in. An
        account may lack a password: one made by logging in with ID-porten or the staff
        login (:class:`ExternalIdentity`) logs in there only."""
        return not self.is_pseudonymous and self.deleted_at is None

    @property
    def has_password(self) -> bool:
        """True when the account can log in with its e-mail address and a password."""
        return bool(self.password_hash)

    @property
    def has_two_factor(self) -> bool:
        """True once the user has switched on two-factor login."""
        return bool(self.totp_secret)

    @property
    def is_staff(self) -> bool:
        """Moderators, case officers and admins."""
        return self.role != Role.CITIZEN.value

    def has_role(self, *roles: Role) -> bool:
        """True if the user has one of ``roles``; admins have every role."""
        return self.role == Role.ADMIN.value or self.role in {r.value for r in roles}


class RecoveryCode(db.Model):
    """A one-time code that logs in instead of a TOTP code (a lost phone); only its hash is
    stored, and ``used_at`` is set when it is spent."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(256))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SiteSetting(db.Model):
    """A setting that admins change in the browser (key → text value)."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ExternalIdentity(db.Model):
    """A login at an OpenID Connect provider linked to an account: ID-porten for citizens
    (``provider = "idporten"``) or the municipality's own identity provider for staff
    (``provider = "staff"``).

    Only the issuer (from the configuration) and the provider's subject identifier
    (``sub``, pseudonymous at ID-porten) are kept: never the national identity number
    (``pid``) nor any other claim of the token (docs/SECURITY.md, "Logging in with
    ID-porten and the staff login"). The row is deleted with the account.
    """

    __tablename__ = "external_identity"
    __table_args__ = (
        sa.UniqueConstraint("issuer", "subject", name="uq_external_identity_issuer_subject"),
        sa.UniqueConstraint("user_id", "provider", name="uq_external_identity_user_provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    #: ``"idporten"`` or ``"staff"``.
    provider: Mapped[str] = mapped_column(sa.String(20))
    #: The provider's issuer identifier, as configured (``https://idporten.no``).
    issuer: Mapped[str] = mapped_column(sa.String(255))
    #: The ``sub`` claim: the provider's identifier of the person for this site.
    subject: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Invitation(db.Model):
    """An administrator's invitation to a colleague to join with a staff role.

    The link mailed to ``email`` holds a random token; only its SHA-256 (``token_hash``)
    is stored, so the table cannot be used to accept an invitation. It works once
    (``accepted_at``), until ``expires_at``, and not after it is revoked.
    """

    __tablename__ = "staff_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The invitee's address, lower-cased; the account is made with it.
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    #: The role the account gets: ``moderator``, ``case_officer`` or ``admin``.
    role: Mapped[str] = mapped_column(sa.String(20))
    #: Hex SHA-256 of the token in the link.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    accepted_user: Mapped[User | None] = relationship(foreign_keys=[accepted_user_id])

    def state(self, now: dt.datetime | None = None) -> str:
        """``accepted``, ``revoked``, ``expired`` or ``pending`` (may still be accepted)."""
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now or utcnow()) else "pending"
