"""Unbound Flask extension objects, bound to an app in :func:`hoering.create_app`
(Flask-Migrate is bound only where migrations run: :mod:`hoering.migrating`)."""

import ipaddress
import logging

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that Alembic migrations run the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Key of ``Session.info`` under which work waits for the transaction to commit.
AFTER_COMMIT = "hoering.after_commit"
#: Key of ``Session.info`` under which work waits to be done inside the transaction, just
#: before it commits (it commits with the transaction, or not at all).
BEFORE_COMMIT = "hoering.before_commit"
#: Key of ``Session.info`` that, while set, makes ``commit()`` raise ``RuntimeError`` with
#: its value as the message (a subscriber's work is committed by its delivery).
NO_COMMIT = "hoering.no_commit"

log = logging.getLogger(__name__)


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, which runs the callables waiting in
    ``info[BEFORE_COMMIT]`` inside the transaction just before it commits (an exception
    there stops the commit) and those in ``info[AFTER_COMMIT]`` once a commit has gone
    through, and forgets both on rollback and close.

    Domain events are delivered to their subscribers so (:mod:`hoering.eventlog`): after
    the change they report is committed, never before. A callable may use the session
    (it starts a new transaction) and commit again; work it leaves waiting runs after that
    commit in turn.

    A commit that has gone through is never reported as failed: should a callable raise
    (the database went away after the commit, say), the error is logged, the session is
    rolled back to a clean state, and the commit returns normally. What the callable was
    to do waits in the database for a later attempt (the event log's rows).
    """

    def commit(self) -> None:
        """Run the work waiting inside the transaction, commit, then run the work waiting
        for this commit.

        Raises:
            RuntimeError: ``info[NO_COMMIT]`` is set (nothing is committed).
        """
        if self.info.get(NO_COMMIT):
            raise RuntimeError(self.info[NO_COMMIT])
        while self.info.get(BEFORE_COMMIT):
            waiting, self.info[BEFORE_COMMIT] = self.info[BEFORE_COMMIT], []
            for callback in waiting:
                callback()
        super().commit()
        while self.info.get(AFTER_COMMIT):
            waiting, self.info[AFTER_COMMIT] = self.info[AFTER_COMMIT], []
            for callback in waiting:
                try:
                    callback()
                except Exception:  # noqa: BLE001 - the commit stands; the work waits for a retry
                    log.exception("work after a commit failed; the committed change stands")
                    self._discard_failed_work()

    def _discard_failed_work(self) -> None:
        """Roll back what a failed after-commit callable left open; a connection that is
        gone cannot be rolled back, and the session starts afresh anyway."""
        try:
            self.rollback()
        except Exception:  # noqa: BLE001 - the database is unreachable; nothing is open on it
            log.warning("rolling back after failed after-commit work failed too", exc_info=True)
            self.info.pop(AFTER_COMMIT, None)

    def rollback(self) -> None:
        self.info.pop(BEFORE_COMMIT, None)
        self.info.pop(AFTER_COMMIT, None)
        super().rollback()

    def close(self) -> None:
        self.info.pop(BEFORE_COMMIT, None)
        self.info.pop(AFTER_COMMIT, None)
        super().close()

    def reset(self) -> None:
        self.info.pop(AFTER_COMMIT, None)
        super().reset()


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


#: Flask-Login's user loader by endpoint: ``{endpoint: load(user_id) -> User | None}`` for a
#: view that reads the user together with what else it needs, in one round trip (the
#: consultation page of :mod:`hoering.consultations.readercache`); other endpoints load the
#: user with their ban alone.
USER_LOADERS: dict = {}


def rate_limit_key() -> str:
    """Rate limits count per logged-in user, else per client IP address (kept in the
    limiter's storage only, never in the database).

    The user is the one this request has loaded already, else the one its session names
    (Flask-Login's ``_user_id``, ``"<id>.<version>"``): counting never queries the
    database. A database error inside the limiter would be taken for a failing rate-limit
    storage and swallowed (``RATELIMIT_SWALLOW_ERRORS``), and the request would go on with
    a broken session to a 500 instead of the outage page (found by bench/loadtest.py while
    PostgreSQL restarted)."""
    from flask import g, session

    user = g.get("_login_user")
    if user is not None:
        return f"user:{user.id}" if user.is_authenticated else address_key()
    user_id = str(session.get("_user_id") or "").partition(".")[0]
    return f"user:{user_id}" if user_id.isdigit() else address_key()


def address_key() -> str:
    """The client's IP address as a rate-limit key (in the limiter's storage only): the
    connection's address, or behind ``TRUSTED_PROXIES`` reverse proxies the one the
    outermost of them saw (see ``hoering.trust_proxies``). An IPv6 address counts by its
    /64 network: one connection is routinely given a whole /64 (RFC 6177, RFC 8273), so
    the addresses inside it are one client's to rotate through."""
    from flask import request

    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"ip:{address}"
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1
            return f"ip:{parsed.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"ip:{parsed}"


limiter = Limiter(key_func=rate_limit_key)

#: Methods that only the API's limit counts (``hoering.api``); every other limit of the
#: site counts POSTs (``hoering.ratelimit``).
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@limiter.request_filter
def no_limit_applies() -> bool:
    """True for a request that no rate limit of the site counts: a read (GET, HEAD,
    OPTIONS) outside the API, when no site-wide limit is configured (``RATELIMIT_DEFAULT``,
    ``RATELIMIT_APPLICATION``). Flask-Limiter then skips its whole per-request work, which
    costs as much as serving a cached page's one query (bench/http_pages.py, 2026-12-03).
    ``tests/security/test_rate_limits.py`` checks that every limit declared counts only
    what this leaves."""
    from flask import current_app, request

    if request.method not in _READS or request.blueprint == "api":
        return False
    config = current_app.config
    return not (config.get("RATELIMIT_DEFAULT") or config.get("RATELIMIT_APPLICATION"))


def after_response(task) -> None:
    """Run ``task()`` (no arguments) in an application context once this request's
    response has gone (``hoering.send_account_mails`` hands it to the server's close
    callbacks), e.g. work whose duration must not show in the response time. Failures are
    logged."""
    from flask import g

    g.after_response = [*g.get("after_response", []), task]
