"""Absolute addresses of the site."""

from __future__ import annotations

from flask import current_app, url_for


def site_url_for(endpoint: str, **values) -> str:
    """An absolute address on ``SITE_URL``, for what leaves the site (mails, feeds, the
    calendar, share links, Open Graph tags): never on the Host header a request came with,
    which a client chooses and a shared cache may keep."""
    return current_app.config["SITE_URL"].rstrip("/") + url_for(endpoint, **values)
