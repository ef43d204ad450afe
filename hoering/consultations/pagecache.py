"""The consultation page as every anonymous reader sees it, cached whole (DESIGN §5;
Decidim's fragment caching is the model).

The key names everything the page depends on: the consultation's content version
(:mod:`hoering.consultations.versions`, raised by every change readers would see), its
status and the Oslo day (the deadline notice counts days), the language, and the sort and
page asked for. A change therefore makes a new key; the next view renders the page once,
and every anonymous reader after that gets it from the cache (:mod:`hoering.cache`: Redis
shared by all app servers, or each process's memory).

Only what every anonymous reader sees is cached: a logged-in reader, a visitor with a
message waiting (a flash) or a query string other than ``sort`` and ``page`` gets a page
of their own. The one per-visitor part of the anonymous page, the CSRF token of the
language switch, is kept out of the cache as a marker and filled in for each request.
Security headers are set on the response as on any other (:mod:`hoering.security`).
"""

from __future__ import annotations

import re

from flask import request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from hoering import cache
from hoering.comments.threads import DEFAULT_SORT, SORTS
from hoering.consultations.versions import ContentHead
from hoering.i18n import current_language_code
from hoering.notices.services import shown_key
from hoering.timeutil import oslo_today

#: Stands for the visitor's CSRF token in a cached page. It begins with ``<``, which text
#: from users never has once escaped, so no comment can contain it.
CSRF_MARK = "<@hoering csrf@>"
#: Sort orders and page numbers that may be cached (others are rendered for the request).
_SORT = re.compile(r"[a-z]{1,12}\Z")
_PAGE = re.compile(r"[1-9][0-9]{0,5}\Z")
#: Query parameters the anonymous page may be cached with.
CACHED_ARGS = frozenset({"sort", "page"})


def anonymous_key(head: ContentHead) -> str | None:
    """The cache key of the page the request asks for, if it is the page every anonymous
    reader sees; ``None`` when the page must be made for this request (a logged-in reader,
    a waiting flash message, other query parameters).

    Args:
        head: the consultation's :class:`~hoering.consultations.versions.ContentHead`.
    """
    if current_user.is_authenticated or session.get("_flashes") or set(request.args) - CACHED_ARGS:
        return None
    parts = page_key_parts(head)
    return None if parts is None else f"consultation:2:{parts}"


def page_key_parts(head: ContentHead) -> str | None:
    """What the key of a cached page of the consultation is made of, for this request: the
    content head, the Oslo day, the language, the urgent notices shown now, and the sort and page asked for (a sort that
    is not one of the page's own, which shows the default, and page 1 share the key of the
    page without them, so made-up values make no entries of their own); ``None`` when the
    sort or page is not one that is cached (the caller checks the rest)."""
    sort, page = request.args.get("sort", ""), request.args.get("page", "")
    if (sort and not _SORT.match(sort)) or (page and not _PAGE.match(page)):
        return None
    sort = sort if sort in SORTS and sort != DEFAULT_SORT else ""
    page = "" if page == "1" else page
    # The urgent notices shown now are part of every page: a notice that starts, changes or
    # ends makes a new key at that moment (hoering.notices.services.shown_key).
    return f"{head.key()}:{oslo_today().isoformat()}:{current_language_code()}:{sort}:{page}:n{shown_key()}"


def cached_page(key: str) -> str | None:
    """The cached page under ``key`` with this visitor's CSRF token, or ``None``."""
    html = cache.get(key)
    if html is None:
        return None
    return html.replace(CSRF_MARK, generate_csrf())


def keep_page(key: str, html: str) -> None:
    """Cache ``html``, the anonymous page just rendered for this request, under ``key``,
    with this visitor's CSRF token replaced by the marker."""
    cache.put(key, html.replace(generate_csrf(), CSRF_MARK))


def per_version(head: ContentHead, name: str, compute, *, by_language: bool = True):
    """A part of the page that is the same for every reader while the consultation does
    not change (its counts, the rendered summary box, the chart, the near-duplicate
    groups), computed once per content version (and language) and then taken from the
    cache.

    Args:
        head: the consultation's :class:`~hoering.consultations.versions.ContentHead`.
        name: what the part is (part of the key).
        compute: a callable without arguments returning the part (picklable, not ``None``).
        by_language: False for a part that is the same in every language (ids, counts).
    """
    language = current_language_code() if by_language else "*"
    key = f"part:{name}:{head.key()}:{language}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.put(key, found)
    return found
