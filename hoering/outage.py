"""Answers while the database cannot be reached (down, restarting, locked, out of
connections), or Redis (restarting, say, while a login counts its attempts there): 503 with
``Retry-After`` instead of an error, JSON under ``/api/``, and for citizens' forms the text
they wrote, in a form they can send again. Rate limits do not need Redis to answer: they
fall back to each process's memory (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``).

Nothing here touches the database: the page is drawn for an anonymous visitor, because
loading the logged-in user is itself a query. Connections that died are replaced
(:func:`hoering.database.ping_when_idle`, and the pool is renewed after a failing
statement), so the site recovers on its own when the database is back.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.exceptions
import sqlalchemy as sa
from flask import current_app, g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import InternalServerError

from hoering.errors import internal_error, json_error, wants_json
from hoering.extensions import db, login_manager

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 30

#: Words in SQLite's messages that mean the file cannot be used just now, as opposed to a
#: mistake in a statement ("no such table", "syntax error"), which stays a 500.
SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o", "readonly", "disk is full")

#: What Redis's client raises when the server cannot be reached or stops answering.
REDIS_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

TITLE = _l("The service is temporarily unavailable")
MESSAGE = _l("We cannot reach our database just now. Try again in a minute.")
KEPT_MESSAGE = _l("Nothing was saved. Your text is kept below: send it again in a minute.")


@dataclass(frozen=True)
class KeptForm:
    """A form whose text is given back during an outage.

    Attributes:
        field: name of the text field.
        label: its label on the outage page.
        hidden: names of the other posted fields sent again unchanged (ids, choices); what
            is not named (passwords, the honeypot) is never echoed.
    """

    field: str
    label: object
    hidden: tuple[str, ...] = ()


_KEPT_FORMS: dict[str, KeptForm] = {}


def keep_text_on_outage(endpoint: str, field: str, label, hidden: tuple[str, ...] = ()) -> None:
    """Register ``endpoint``'s form: during an outage its ``field`` comes back in a form
    that posts to the same address, with the ``hidden`` fields."""
    _KEPT_FORMS[endpoint] = KeptForm(field, label, hidden)


def is_database_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database cannot be used just now: it cannot be reached
    or the connection broke (SQLAlchemy's ``OperationalError``, ``InterfaceError`` or an
    invalidated connection), the pool has no connection to give (``TimeoutError``), or
    SQLite's file is locked or cannot be opened."""
    if isinstance(error, sa.exc.TimeoutError):
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, sa.exc.InterfaceError):
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        return any(words in str(error.orig).lower() for words in SQLITE_UNAVAILABLE)
    return True


def database_unavailable(error: Exception):
    """Error handler for database errors: 503 with ``Retry-After`` when the database is
    unavailable (see :func:`is_database_unavailable`); other database errors are raised
    again, to be answered as the errors they are.

    Raises:
        Exception: ``error`` itself, when it is not an outage.
    """
    if not is_database_unavailable(error):
        raise error
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection is gone; the session is discarded anyway)
        pass
    current_app.logger.error("database unavailable (%s %s): %s", request.method, request.path,
                             getattr(error, "orig", None) or error)
    return _unavailable()


def redis_unavailable(error: Exception):
    """Error handler for Redis that cannot be reached (:data:`REDIS_UNAVAILABLE`): the same
    503 answer as :func:`database_unavailable`. What the request wrote to the database and
    committed before stays; nothing uncommitted is kept (the session is rolled back)."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the database may be gone too)
        pass
    current_app.logger.error("redis unavailable (%s %s): %s: %s", request.method, request.path,
                             type(error).__name__, error)
    return _unavailable()


def _unavailable():
    """The 503 answer: JSON under ``/api/``, else the page, with the text of a
    :func:`keep_text_on_outage` form; ``Retry-After`` :data:`RETRY_AFTER_SECONDS`."""
    # Loading the logged-in user is a query: the answer is made, and finished by the
    # after-request hooks, for a visitor instead.
    g._login_user = login_manager.anonymous_user()
    if wants_json():
        response = json_error(503, "unavailable", MESSAGE)
    else:
        kept = _kept_form()
        body = render_template("errors/unavailable.html", title=TITLE, message=KEPT_MESSAGE if kept else MESSAGE,
                               kept=kept)
        response = make_response(body, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _kept_form() -> dict | None:
    form = _KEPT_FORMS.get(request.endpoint or "")
    if request.method != "POST" or form is None:
        return None
    return {
        "action": request.path,
        "field": form.field,
        "label": form.label,
        "text": request.form.get(form.field, ""),
        "hidden": [(name, request.form[name]) for name in form.hidden if request.form.get(name)],
    }


def _internal_error(error: InternalServerError):
    """The 500 handler, which an outage can reach too: a database error raised while another
    answer was being made (loading the logged-in user for a 404 page, say) ends up here.
    Such an error gets the outage answer; anything else the usual 500 page."""
    original = getattr(error, "original_exception", None)
    if original is not None and is_database_unavailable(original):
        return database_unavailable(original)
    if isinstance(original, REDIS_UNAVAILABLE):
        return redis_unavailable(original)
    return internal_error(error)


def register(app) -> None:
    """Answer database outages on ``app`` with :func:`database_unavailable` and Redis
    outages with :func:`redis_unavailable`, also when they
    surface as a 500 (this replaces the 500 handler of :func:`hoering.errors.register`,
    which is called first, and falls back to it)."""
    app.register_error_handler(sa.exc.DBAPIError, database_unavailable)
    app.register_error_handler(sa.exc.TimeoutError, database_unavailable)
    for error in REDIS_UNAVAILABLE:
        app.register_error_handler(error, redis_unavailable)
    app.register_error_handler(InternalServerError, _internal_error)
