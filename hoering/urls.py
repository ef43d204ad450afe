"""Absolute addresses of the site."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def site_url_for(endpoint: str, **values) -> str:
    """An absolute address on ``SITE_URL``, for what leaves the site (mails, feeds, the
    calendar, share links, Open Graph tags): never on the Host header a request came with,
    which a client chooses and a shared cache may keep. Works outside a request too (the
    command line, work done after a response has gone)."""
    site = current_app.config["SITE_URL"].rstrip("/")
    if has_request_context():
        return site + url_for(endpoint, **values)
    with current_app.test_request_context(base_url=site):
        return site + url_for(endpoint, **values)
