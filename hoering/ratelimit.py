"""Rate limits: the decorators that set them, their keys, and what a 429 answer says.

Views register a renderer for their endpoint with :func:`on_rate_limit`; it re-renders the
form from the posted data with the message, so a 429 keeps what the visitor typed. The
answer itself is built by :func:`hoering.errors.too_many_requests` (other endpoints get
the error page).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable

from flask import current_app, render_template, request
from flask_babel import format_timedelta
from flask_babel import gettext as _

from hoering.extensions import address_key, limiter
from hoering.sanitize import normalize_text

_RENDERERS: dict[str, Callable[[str], object]] = {}


def limit(config_key: str, failures_only: bool = False, per_address: bool = False,
          counts: Callable[[object], bool] | None = None):
    """Decorator: rate-limit POSTs to a view by the limits in ``config[config_key]``; with
    ``failures_only`` only answers that are not redirects (a failed login) count; with
    ``counts`` only answers for which ``counts(response)`` is true. Limits count per
    logged-in user, else per client address; ``per_address`` counts per client address
    always (logging in, registering, asking for a reset: being logged in into another
    account must not give a fresh allowance)."""
    return limiter.limit(lambda: current_app.config[config_key], methods=["POST"],
                         key_func=address_key if per_address else None,
                         deduct_when=_failed if failures_only else counts)


def _failed(response) -> bool:
    return not 300 <= response.status_code < 400


def made_or_found(response) -> bool:
    """For registration: count an account made (a redirect, and a verification mail sent)
    or the answer that the address has one (409, which tells whether someone has an
    account), not a form sent back with typing mistakes."""
    return 300 <= response.status_code < 400 or response.status_code == 409


def account_key(email: str) -> str:
    """The rate-limit key of the account an e-mail address names, whether or not one does:
    the address normalized as the form and the account lookup do (NUL characters dropped,
    trimmed, case folded, so variants share one count) and hashed, so the limiter's
    storage holds no address."""
    folded = normalize_text(email or "").casefold()
    return "account:" + hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]


def limit_per_account(config_key: str, failures_only: bool = False):
    """Decorator: rate-limit POSTs by the e-mail address in the form (``config[config_key]``,
    :func:`account_key`), so asking about one account from many addresses is limited too."""
    return limiter.limit(lambda: current_app.config[config_key], methods=["POST"],
                         key_func=lambda: account_key(request.form.get("email") or ""),
                         deduct_when=_failed if failures_only else None)


def limit_by(config_key: str, key_func: Callable[[], str]):
    """Decorator: rate-limit POSTs by ``key_func()`` (``config[config_key]``)."""
    return limiter.limit(lambda: current_app.config[config_key], methods=["POST"], key_func=key_func)


def on_rate_limit(endpoint: str):
    """Register ``renderer(message) -> response`` for 429 answers of ``endpoint``."""

    def register(renderer):
        _RENDERERS[endpoint] = renderer
        return renderer

    return register


def form_page_on_rate_limit(endpoint: str, form_class: type, template: str) -> None:
    """Answer the 429s of ``endpoint`` with its form page again: ``template`` rendered with a
    ``form_class()`` built from the request (what was typed comes back) and the message among
    the form's errors at the top.

    :param endpoint: the view's endpoint, e.g. ``"accounts.login"``.
    :param form_class: the page's Flask-WTF form class.
    :param template: the page's template; it gets the form as ``form``.
    """

    def render(message: str):
        form = form_class()
        form.form_errors.append(message)
        return render_template(template, form=form)

    on_rate_limit(endpoint)(render)


def rate_limit_renderer(endpoint: str | None) -> Callable[[str], object] | None:
    """The renderer :func:`on_rate_limit` registered for ``endpoint``, or ``None``."""
    return _RENDERERS.get(endpoint or "")


def registered_rate_limit_endpoints() -> frozenset[str]:
    """The endpoints with a 429 renderer of their own (:func:`on_rate_limit`)."""
    return frozenset(_RENDERERS)


def retry_after_seconds() -> int:
    """Seconds until the breached limit lets the next request through (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


def retry_when(seconds: int | None = None) -> str:
    """When the breached limit lets the next request through (in ``seconds``, default
    :func:`retry_after_seconds`), as words in the visitor's language ("om 1 minutt")."""
    seconds = retry_after_seconds() if seconds is None else seconds
    return format_timedelta(dt.timedelta(seconds=seconds), add_direction=True, threshold=1.1)


def rate_limit_message(seconds: int) -> str:
    """What a 429 answer says: when to try again (in ``seconds``, as words in the
    visitor's language) and that what was typed is kept."""
    return _("You have sent many requests in a short time. Try again %(when)s. What you wrote is kept.",
             when=retry_when(seconds))
