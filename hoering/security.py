"""HTTP security headers for every response."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Response, abort, current_app, request, session
from werkzeug.sansio.utils import host_is_trusted

#: Endpoints whose answers are the same for everyone (the site's CSS, scripts and images):
#: browsers and proxies may keep them, also for a logged-in user.
SAME_FOR_EVERYONE = frozenset({"static"})

#: Strict policy: no inline scripts or styles, nothing from other sites.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


#: ``current_app.extensions`` key of the origins of login providers' authorization
#: endpoints, added by :mod:`hoering.accounts.oidc` once it has read their discovery documents.
FORM_ACTION_EXTENSION = "hoering.form_action_sources"


def form_action_sources() -> tuple[str, ...]:
    """Where a form of the site may send the browser besides the site itself: the login
    buttons of ID-porten and the staff login end in a redirect to the provider, and
    browsers hold a form's redirects to ``form-action`` too. For each configured issuer
    its origin and its subdomains (ID-porten's ``https://idporten.no`` authorizes at
    ``https://login.idporten.no``), and the authorization endpoints seen in discovery."""
    config = current_app.config
    sources = []
    for key in ("IDPORTEN_ISSUER", "STAFF_OIDC_ISSUER"):
        issuer = config.get(key)
        if not issuer or not config.get(key.replace("_ISSUER", "_CLIENT_ID")):
            continue
        parts = urlsplit(str(issuer))
        if parts.scheme in ("http", "https") and parts.netloc and all(c not in parts.netloc for c in " ;,'\""):
            sources += [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://*.{parts.netloc}"]
    sources += current_app.extensions.get(FORM_ACTION_EXTENSION, ())
    return tuple(dict.fromkeys(sources))


@functools.lru_cache(maxsize=32)
def _policy(form_action: tuple[str, ...]) -> str:
    if not form_action:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action 'self' " + " ".join(form_action))


def set_security_headers(response: Response) -> Response:
    """Add CSP, nosniff, Referrer-Policy and (over HTTPS) HSTS to ``response``, and keep
    private answers out of caches (:func:`set_cache_headers`)."""
    set_cache_headers(response)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _policy(form_action_sources()))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


#: The health check's path (:mod:`hoering.health`), answered whatever the Host header.
HEALTH_PATH = "/healthz"


def refuse_foreign_hosts() -> None:
    """Before every request: answer 400 when the ``Host`` header names a host that is not in
    ``ALLOWED_HOSTS`` (the port is ignored; a name starting with a dot allows its
    subdomains). An empty list allows any host. Absolute addresses never follow the Host
    header (they are built on ``SITE_URL``); refusing other hosts also keeps the site from
    answering, and caches from storing, pages for a name that is not its own.

    Raises:
        werkzeug.exceptions.BadRequest: for a host that is not allowed.
    """
    hosts = current_app.config.get("ALLOWED_HOSTS")
    if request.path == HEALTH_PATH:
        return  # load balancers ask by address; the answer holds nothing of the site's
    if hosts and not host_is_trusted(request.environ.get("HTTP_HOST") or request.environ.get("SERVER_NAME"), hosts):
        abort(400)


def carries_a_login() -> bool:
    """True when the request comes with a login (a session that names a user, or a
    remember-me cookie). Read from the cookies, not by loading the user: this runs after
    every response, also while the database is unreachable."""
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return "_user_id" in session or remember_cookie in request.cookies


def set_cache_headers(response: Response) -> Response:
    """Every answer to a logged-in visitor gets ``Cache-Control: no-store`` (no browser
    history, back-button copy or proxy keeps a moderation page, an export or the data
    export), and every answer that can depend on the login gets ``Vary: Cookie``, so a
    shared cache never gives one person's answer to another (RFC 9111 §4.1 and §5.2.2.5;
    OWASP Session Management Cheat Sheet, "Web Content Caching"). Static files, the same
    for everyone, are left to their own caching headers."""
    if request.endpoint in SAME_FOR_EVERYONE:
        return response
    response.vary.add("Cookie")
    if carries_a_login() and not response.cache_control.no_store:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response
