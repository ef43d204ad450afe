"""Read-only JSON API (open data) under ``/api/v1``, described by ``/api/v1/openapi.json``.

Every answer of the blueprint is open to scripts of other sites (CORS, without
credentials: the API uses no cookies), carries an ``ETag`` (and, where the data has a
time of change, ``Last-Modified``) and answers revalidations with ``304 Not Modified``.
GET requests are rate-limited per client address (``RATELIMIT_API``).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Blueprint, current_app, jsonify, request

from hoering import cache
from hoering.consultations import versions
from hoering.extensions import address_key, limiter
from hoering.i18n import current_language_code

bp = Blueprint("api", __name__)

#: Response headers a script on another site may read.
EXPOSED_HEADERS = ("ETag", "Last-Modified", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                   "X-RateLimit-Reset")
#: Request headers a script on another site may send (after a preflight).
ALLOWED_HEADERS = ("Accept", "If-None-Match", "If-Modified-Since")
#: Seconds a browser may keep the answer to a preflight.
PREFLIGHT_MAX_AGE = 86400

limiter.limit(lambda: current_app.config["RATELIMIT_API"], key_func=address_key, methods=["GET", "HEAD"])(bp)


def answer(data: dict, last_modified: dt.datetime | None = None):
    """A JSON answer of the API with ``Last-Modified`` (whole seconds, UTC) when given.

    Args:
        data: the body, serializable by :func:`flask.jsonify`.
        last_modified: when the data last changed, an aware datetime, or ``None``.
    """
    response = jsonify(data)
    if last_modified is not None:
        # HTTP dates have whole seconds: round up, so the date is never before the change.
        whole = last_modified.replace(microsecond=0)
        response.last_modified = whole if whole == last_modified else whole + dt.timedelta(seconds=1)
    return response


def cached_answer(slug: str, build):
    """The answer ``build()`` gives about the consultation ``slug``, from the page cache
    when this request was answered since the consultation last changed (:mod:`hoering.cache`).

    The key holds the consultation's content version (raised by every change the answer
    could show, :mod:`hoering.consultations.versions`), its status (opening and closing
    move ``Last-Modified``), the language and the path with its query string; the body
    and ``Last-Modified`` are kept, and ``ETag`` and ``304`` follow from them as for any
    answer (:func:`_caching_and_cors`). A hit costs one small query, or none while the
    head is remembered (``CONTENT_HEAD_MEMO_SECONDS``).

    Args:
        slug: the consultation's slug from the path.
        build: a callable without arguments returning the answer (a response), errors
            included; only a 200 answer about a published consultation is kept.
    """
    head = versions.content_head(slug)
    if head is None:
        return build()
    digest = hashlib.sha256(request.full_path.encode()).hexdigest()[:32]
    key = f"api:{head.key()}:{current_language_code()}:{digest}"
    found = cache.get(key)
    if found is not None:
        body, last_modified, etag = found
        response = current_app.response_class(body, mimetype="application/json")
        response.last_modified = last_modified
        response.set_etag(etag)  # the hash of the body, made once
        return response
    response = build()
    if response.status_code == 200 and versions.content_head(slug, fresh=True) == head:  # not changed meanwhile
        response.add_etag()
        cache.put(key, (response.get_data(), response.last_modified, response.get_etag()[0]))
    return response


@bp.after_request
def _caching_and_cors(response):
    """``ETag``, ``Cache-Control`` and ``304`` for successful GETs; CORS on every answer."""
    if request.method in ("GET", "HEAD") and response.status_code == 200 and response.is_json:
        response.add_etag()
        seconds = current_app.config["API_CACHE_SECONDS"]
        response.headers["Cache-Control"] = f"public, max-age={seconds}" if seconds > 0 else "public, no-cache"
        response.make_conditional(request)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_HEADERS)
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response
