"""Error pages in the site's layout, and JSON errors for the API; the 429 answers of the
rate limits (:mod:`hoering.ratelimit`)."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from hoering.accounts.policy import lacks_required_two_factor
from hoering.extensions import db
from hoering.isolation import Overran
from hoering.ratelimit import rate_limit_message, rate_limit_renderer, retry_after_seconds

#: Titles and explanations shown on error pages, by HTTP status.
ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Access denied"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("We could not find the page you asked for. It may have been moved or deleted.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Conflict"), _l("The request clashes with the current state of the data.")),
    413: (_l("Too large"), _l("What you sent is larger than we accept.")),
    422: (_l("Invalid input"), _l("What you sent could not be accepted.")),
    429: (_l("Too many requests"), _l("You have sent too many requests. Wait a little and try again.")),
    500: (_l("Something went wrong"), _l("An error occurred on our side. It has been logged; please try again later.")),
}
#: The 503 page of work that took longer than a child process may (:mod:`hoering.isolation`).
OVERRAN_TEXTS = (
    _l("This is taking too long"),
    _l("Making this took longer than we allow right now, so it was stopped. Try again in a minute; "
       "if it keeps happening, tell the site's administrators."),
)
#: Seconds a visitor is asked to wait after such a 503 (``Retry-After``).
OVERRAN_RETRY_AFTER = 60
CSRF_TEXTS = (
    _l("The form has expired"),
    _l("For your security, forms expire after a while or when you log in or out. Go back, reload the page and send the form again."),
)


def wants_json() -> bool:
    """True for API requests, or when the client prefers JSON over HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def json_error(status: int, code: str, message: str):
    """A JSON error body ``{"error": {"code", "message"}}`` with ``status``."""
    response = jsonify({"error": {"code": code, "message": str(message)}})
    response.status_code = status
    return response


def render_error(status: int, title=None, message=None, code: str | None = None,
                 next_step: tuple[str, str] | None = None):
    """Render the error page (or JSON) for ``status``.

    Args:
        status: the HTTP status.
        title, message: what the page says (defaults per status).
        code: the JSON error code (defaults per status).
        next_step: ``(url, label)`` of a link to what the visitor can do instead.
    """
    default_title, default_message = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    title = title or default_title
    message = message or default_message
    if wants_json():
        return json_error(status, code or _code_for(status), message)
    return render_template("errors/error.html", status=status, title=title, message=message,
                           next_step=next_step), status


def _code_for(status: int) -> str:
    return {
        400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
        409: "conflict", 413: "too_large", 422: "invalid", 429: "rate_limited",
    }.get(status, "server_error")


def register(app: Flask) -> None:
    """Install the handlers on ``app``."""
    app.errorhandler(RateLimitExceeded)(rate_limited)

    @app.errorhandler(CSRFError)
    def handle_csrf(error):
        title, message = CSRF_TEXTS
        return render_error(400, title, message, code="csrf_failed")

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if error.code == 403:
            if lacks_required_two_factor(current_user):
                return render_error(403, message=_l("Your role requires two-factor login: staff pages open when you "
                                                   "have switched it on on My page, under Two-factor login."))
        if error.code in ERROR_TEXTS:
            return render_error(error.code)
        return error

    app.errorhandler(InternalServerError)(internal_error)
    app.errorhandler(Overran)(overran)


def overran(error: Overran):
    """503 with Retry-After when a child process (:mod:`hoering.isolation`) was killed for
    taking longer than ``ISOLATION_TIMEOUT_SECONDS``: the page or file may be made a minute
    later, when the machine is less busy. Logged as a warning with the path."""
    db.session.rollback()
    current_app.logger.warning("%s: %s", request.path, error)
    title, message = OVERRAN_TEXTS
    response = make_response(render_error(503, title, message, code="took_too_long"))
    response.headers["Retry-After"] = str(OVERRAN_RETRY_AFTER)
    return response


def internal_error(error: InternalServerError):
    """The 500 page (the transaction rolled back first)."""
    db.session.rollback()
    return render_error(500)


def rate_limited(error: RateLimitExceeded):
    """The 429 handler: the form again with the typed text, or the error page; Retry-After set."""
    return too_many_requests(retry_after_seconds())


def too_many_requests(seconds: int):
    """A 429 answer saying when to try again (``seconds`` from now, also as Retry-After):
    the endpoint's form again with what was typed (:func:`hoering.ratelimit.on_rate_limit`),
    or the error page.

    A renderer that raises an :class:`~werkzeug.exceptions.HTTPException` (its object does
    not exist or may not be seen) gets the error page instead: never a 500."""
    message = rate_limit_message(seconds)
    renderer = rate_limit_renderer(request.endpoint)
    try:
        body = renderer(message) if renderer else render_error(429, message=message)
    except HTTPException:
        # The renderer could not show the form: what it belongs to is missing or may not be
        # seen (a 404 from its lookup). The limit is what stopped the request, so the answer
        # is the plain 429 page, which shows nothing about the object.
        body = render_error(429, message=message)
    response = make_response(body)
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response
