"""Rate-limit answers (HTTP 429) that keep what the visitor typed.

Views register a renderer for their endpoint with :func:`on_rate_limit`; it re-renders the
form from the posted data with the message. Other endpoints get the error page.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from flask import current_app, make_response, request
from flask_babel import format_timedelta
from flask_babel import gettext as _

from hoering.extensions import limiter

_RENDERERS: dict[str, Callable[[str], object]] = {}


def limit(config_key: str, failures_only: bool = False, per_address: bool = False,
          counts: Callable[[object], bool] | None = None):
    """Decorator: rate-limit POSTs to a view by the limits in ``config[config_key]``; with
    ``failures_only`` only answers that are not redirects (a failed login) count; with
    ``counts`` only answers for which ``counts(response)`` is true. Limits count per
    logged-in user, else per client address; ``per_address`` counts per client address
    always (logging in, registering, asking for a reset: being logged in into another
    account must not give a fresh allowance)."""
    from hoering.extensions import address_key

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


def limit_per_account(config_key: str, failures_only: bool = False):
    """Decorator: rate-limit POSTs by the e-mail address in the form (``config[config_key]``),
    so guessing one account's password from many addresses is limited too. The address is
    hashed before it is used as a key."""
    import hashlib

    from flask import request

    from hoering.sanitize import normalize_text

    def account_key() -> str:
        # The same normalization the form and the account lookup apply (NUL characters
        # dropped, trimmed, case folded), so variants of one address share one count.
        email = normalize_text(request.form.get("email") or "").casefold()
        return "account:" + hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]

    return limiter.limit(lambda: current_app.config[config_key], methods=["POST"], key_func=account_key,
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


def retry_after_seconds() -> int:
    """Seconds until the breached limit lets the next request through (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


def rate_limited(error):
    """The 429 handler: the form again with the typed text, or the error page; Retry-After set."""
    from hoering.errors import render_error

    seconds = retry_after_seconds()
    message = _("You have sent many requests in a short time. Try again %(when)s. What you wrote is kept.",
                when=format_timedelta(dt.timedelta(seconds=seconds), add_direction=True, threshold=1.1))
    renderer = _RENDERERS.get(request.endpoint or "")
    response = make_response(renderer(message) if renderer else render_error(429, message=message))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response
