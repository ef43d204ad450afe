"""JSON API views: published consultations and their published comments as threads.

Errors are JSON ``{"error": {"code", "message"}}`` (see :mod:`hoering.errors`).
"""

from __future__ import annotations

import copy
import json
import os

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from hoering.api import answer, bp, cached_answer, cursors, freshness
from hoering.api.serializers import comment_json, consultation_json, response_json
from hoering.comments import threads as comment_threads
from hoering.consultations import services
from hoering.errors import json_error
from hoering.responses import services as response_services
from hoering.responses.models import ResponseState
from hoering.stances import tally, tally_of
from hoering.summaries import services as summary_services
from hoering.urls import site_url_for

#: Largest page size a client may ask for.
MAX_PER_PAGE = 100


def _published_or_none(slug: str):
    consultation = services.get_by_slug(slug)
    if consultation is None or consultation.published_at is None:
        return None
    return consultation


def _not_found():
    return json_error(404, "not_found", _("No published consultation has this address."))


@bp.get("/consultations")
def consultations():
    """All published consultations in front-page order."""
    items = services.list_consultations()
    counts = services.participation_counts([c.id for c in items])
    return answer({"items": [consultation_json(c, counts[c.id]) for c in items], "total": len(items)},
                  last_modified=freshness.consultations_changed_at())


@bp.get("/consultations/<slug>")
def consultation(slug: str):
    """One published consultation with its guiding questions."""
    return cached_answer(slug, lambda: _consultation_answer(slug))


def _consultation_answer(slug: str):
    item = _published_or_none(slug)
    if item is None:
        return _not_found()
    counts = services.participation_counts([item.id])[item.id]
    data = consultation_json(item, counts, detail=True)
    data["summary"] = summary_json(summary_services.summary_view(item))
    return answer(data, last_modified=freshness.consultation_changed_at(item))


@bp.get("/consultations/<slug>/responses")
def consultation_responses(slug: str):
    """The published formal responses (høringssvar) of a consultation, their public
    version only, by reference number; and how many are held back (no text)."""
    return cached_answer(slug, lambda: _responses_answer(slug))


def _responses_answer(slug: str):
    item = _published_or_none(slug)
    if item is None:
        return _not_found()
    shown = response_services.public_responses(item.id)
    published = [r for r in shown if r.is_public]
    return answer({"items": [response_json(r) for r in published], "total": len(published),
                   "held_back": len(shown) - len(published)},
                  last_modified=max((r.screened_at for r in shown if r.screened_at), default=None))


def summary_json(view) -> dict | None:
    """The published summary ("Dette har vi hørt") as JSON, or ``None``: sanitized HTML
    texts, and quotes as published comments (id, author, text, link) or as the public
    version of published formal responses (``kind`` says which)."""
    if view is None:
        return None

    def votes(counts) -> dict:
        return {"agree_count": counts.agree, "disagree_count": counts.disagree, "contested": counts.contested}

    def quote(q) -> dict:
        if q.response is not None:  # only the public version, the sender as the public list names it
            r = q.response
            return {"kind": "response", "reference": r.reference, "author": r.public_sender or None,
                    "text": r.public_text,
                    "parts_removed": r.state == ResponseState.REDACTED.value,
                    "url": site_url_for("responses.public_list", slug=r.consultation.slug) + f"#{r.reference}"}
        return {"kind": "comment", "id": q.comment.id, "author": q.comment.author.display_name,
                "text": q.comment.body_text, "url": site_url_for("comments.permalink", comment_id=q.comment.id),
                **votes(tally_of(q.comment))}

    return {
        "published_at": view.published_at.isoformat() if view.published_at else None,
        "overview_html": view.overview_html,
        "quotes": [quote(q) for q in view.quotes],
        "themes": [{"id": s.theme.id, "name": s.theme.name, "text_html": s.text_html,
                    "comments": s.count.comments if s.count else 0,
                    "participants": s.count.participants if s.count else 0,
                    **votes(s.count.tally if s.count else tally(0, 0)),
                    "quotes": [quote(q) for q in s.quotes]} for s in view.sections],
    }


def _page_arguments(default_per_page: int):
    """``(page, per_page, cursor)`` from the query string; ``page`` is ``None`` when not
    given. Raises :class:`_BadRequest` with the message for the client."""
    try:
        page = int(request.args["page"]) if "page" in request.args else None
        per_page = int(request.args.get("per_page", default_per_page))
    except ValueError:
        raise _BadRequest(_("page and per_page must be whole numbers.")) from None
    if (page is not None and page < 1) or not 1 <= per_page <= MAX_PER_PAGE:
        raise _BadRequest(_("page must be 1 or more and per_page between 1 and %(max)d.", max=MAX_PER_PAGE))
    cursor = request.args.get("cursor")
    if cursor is not None and page is not None:
        raise _BadRequest(_("Give either page or cursor, not both."))
    return page, per_page, cursor


class _BadRequest(Exception):
    """A query parameter the API cannot use; its message is the 400 answer's."""


def _bad_cursor():
    return json_error(400, "bad_request", _("The cursor is not valid here: start again from the first page."))


@bp.get("/consultations/<slug>/comments")
def consultation_comments(slug: str):
    """Published comments as threads, ``per_page`` threads a page (default 20, at most 100).

    Query parameters: ``cursor`` (from ``links.next``) or ``page`` (1-based), ``per_page``,
    ``sort`` (newest, oldest, supported). Without ``page`` the links are cursors, which
    stay put as new threads arrive; with ``page`` they are page numbers. ``total`` counts
    published comments; ``total_threads`` the threads. Removed and hidden comments appear
    only as text-less placeholders that keep their replies in place. Each thread carries
    its first ``THREAD_REPLIES_SHOWN`` replies (nested), ``reply_count`` and ``replies_url``,
    the thread's own resource with all its replies page by page.
    """
    return cached_answer(slug, lambda: _comments_answer(slug))


def _comments_answer(slug: str):
    item = _published_or_none(slug)
    if item is None:
        return _not_found()
    try:
        page, per_page, cursor = _page_arguments(current_app.config["THREADS_PER_PAGE"])
    except _BadRequest as error:
        return json_error(400, "bad_request", str(error))
    sort = request.args.get("sort", comment_threads.DEFAULT_SORT)
    if sort not in comment_threads.SORTS:
        return json_error(400, "bad_request", _("sort must be one of: %(sorts)s.", sorts=", ".join(comment_threads.SORTS)))
    after = None
    if cursor is not None:
        try:
            cursor_sort, after = cursors.read_thread_cursor(cursor, item.id)
        except cursors.BadCursor:
            return _bad_cursor()
        if "sort" in request.args and sort != cursor_sort:
            return _bad_cursor()
        sort = cursor_sort
    result = comment_threads.thread_page(item, viewer=AnonymousUserMixin(), sort=sort, page=page or 1,
                                          per_page=per_page, replies_shown=current_app.config["THREAD_REPLIES_SHOWN"],
                                          after=after)
    counts = services.participation_counts([item.id])[item.id]
    in_range = cursor is not None or (page or 1) <= result.pages
    threads = [_thread_json(slug, thread, result.reply_counts.get(thread[0].id, 0))
               for thread in result.threads] if in_range else []

    def link(page: int | None = None, cursor: str | None = None) -> str:
        return site_url_for("api.consultation_comments", slug=slug, page=page, cursor=cursor, per_page=per_page,
                            sort=sort if cursor is None else None)

    more = result.has_more if cursor is not None else (page or 1) < result.pages
    next_cursor = cursors.thread_cursor(item.id, sort, comment_threads.ThreadKey.of(result.threads[-1][0])) \
        if more and result.threads and page is None else None
    links = _page_links(link, page, cursor, more, result.pages, next_cursor)
    return answer({
        "consultation": item.slug,
        "page": None if cursor is not None else page or 1,
        "per_page": per_page,
        "pages": result.pages,
        "sort": result.sort,
        "total": counts.comments,
        "total_threads": result.total_threads,
        "threads": threads,
        "next_cursor": next_cursor,
        "links": links,
    }, last_modified=freshness.comments_changed_at(item))


def _thread_json(slug: str, thread: list, reply_count: int) -> dict:
    """A thread's top-level comment with its first replies nested, ``reply_count`` (all
    its replies, placeholders included) and ``replies_url`` (where all of them are)."""
    data = _nest(thread)
    data["reply_count"] = reply_count
    data["replies_url"] = site_url_for("api.thread", slug=slug, thread_id=thread[0].id)
    return data


@bp.get("/consultations/<slug>/threads/<int(min=1, max=2147483647):thread_id>")
def thread(slug: str, thread_id: int):
    """One thread: its top-level comment (``thread``) and its replies in reading order,
    ``per_page`` a page (default ``REPLIES_PER_PAGE``, at most 100), flat, each with
    ``parent_id`` and ``depth``; ``links`` lead to the other pages (cursors without
    ``page``, page numbers with it). Placeholders as in :func:`consultation_comments`."""
    return cached_answer(slug, lambda: _thread_answer(slug, thread_id))


def _thread_answer(slug: str, thread_id: int):
    item = _published_or_none(slug)
    if item is None:
        return _not_found()
    try:
        page, per_page, cursor = _page_arguments(current_app.config["REPLIES_PER_PAGE"])
    except _BadRequest as error:
        return json_error(400, "bad_request", str(error))
    viewer = AnonymousUserMixin()
    root = comment_threads.visible_thread_root(item, thread_id, viewer)
    if root is None:
        return json_error(404, "not_found", _("This consultation has no such thread."))
    after_path = None
    if cursor is not None:
        try:
            after_path = cursors.read_reply_cursor(cursor, thread_id)
        except cursors.BadCursor:
            return _bad_cursor()
    result = comment_threads.reply_page(root, viewer=viewer, page=page or 1, per_page=per_page, after_path=after_path)
    replies = []
    if cursor is not None or (page or 1) <= result.pages:
        for reply in result.replies:
            data = comment_json(reply)
            del data["replies"]  # flat: parent_id says where each belongs
            replies.append(data)
    root_data = comment_json(root)
    del root_data["replies"]
    root_data["reply_count"] = result.total_replies

    def link(page: int | None = None, cursor: str | None = None) -> str:
        return site_url_for("api.thread", slug=slug, thread_id=thread_id, page=page, cursor=cursor, per_page=per_page)

    more = result.has_more if cursor is not None else (page or 1) < result.pages
    next_cursor = cursors.reply_cursor(thread_id, result.replies[-1].path) \
        if more and result.replies and page is None else None
    links = _page_links(link, page, cursor, more, result.pages, next_cursor)
    return answer({
        "consultation": item.slug, "thread": root_data, "page": None if cursor is not None else page or 1,
        "per_page": per_page, "pages": result.pages, "total_replies": result.total_replies, "replies": replies,
        "next_cursor": next_cursor, "links": links,
    }, last_modified=freshness.comments_changed_at(item))


def _nest(thread: list) -> dict:
    """Turn a thread in reading order into nested ``replies`` lists."""
    nodes = {c.id: comment_json(c) for c in thread}
    root = nodes[thread[0].id]
    for comment in thread[1:]:
        parent = nodes.get(comment.parent_id, root)
        parent["replies"].append(nodes[comment.id])
    return root


#: The OpenAPI 3.1 document of the API, kept by hand beside the views it describes and
#: held true by tests (tests/api/test_openapi.py).
with open(os.path.join(os.path.dirname(__file__), "openapi.json"), encoding="utf-8") as _file:
    OPENAPI = json.load(_file)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of ``/api/v1``: its server on ``SITE_URL`` and the rate
    limit in force filled in."""
    document = copy.deepcopy(OPENAPI)
    document["servers"] = [{"url": current_app.config["SITE_URL"].rstrip("/") + "/api/v1"}]
    info = document["info"]
    info["description"] = info["description"].replace("{rate_limit}", str(current_app.config["RATELIMIT_API"]))
    return answer(document)


def _page_links(link, page: int | None, cursor: str | None, more: bool, pages: int,
                next_cursor: str | None) -> dict:
    """The ``self``, ``next`` and ``prev`` links of a page of an API list, asked for by
    page number (``page``) or by cursor (``cursor``; a cursor list has no ``prev``).

    Args:
        link: ``link(page=…, cursor=…)`` → the URL of the list with those parameters.
        more: whether a page follows this one; ``pages``: the number of numbered pages.
        next_cursor: the cursor of the next page, when asked by cursor.
    """
    if page is not None:
        return {"self": link(page=page), "next": link(page=page + 1) if more else None,
                "prev": link(page=page - 1) if 1 < page <= pages else None}
    return {"self": link(cursor=cursor) if cursor is not None else link(),
            "next": link(cursor=next_cursor) if next_cursor else None, "prev": None}
