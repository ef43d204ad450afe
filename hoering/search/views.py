"""The search page (``/sok``) and the search API (``/api/v1/search``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, current_user

from hoering import permissions
from hoering.api import bp as api_bp
from hoering.consultations.models import Consultation
from hoering.errors import json_error, render_error
from hoering.extensions import db
from hoering.forms import date_arg, page_number, parse_id
from hoering.sanitize import clean_snippet
from hoering.search import bp, services
from hoering.search.backend import SearchUnavailable
from hoering.summaries import themes as theme_services
from hoering.urls import site_url_for

STATUSES = ("open", "upcoming", "closed", "summarized")
#: Seconds after which a client may search again when the index could not be read (the
#: index is readable again as soon as a concurrent commit is done: well under a second).
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_TITLE = _l("Search is not available just now")
UNAVAILABLE_MESSAGE = _l("Search could not answer just now. Please try again in a few seconds.")


def _filters(staff: bool) -> services.SearchFilters:
    args = request.args
    return services.SearchFilters(
        # A malformed or unknown consultation id matches nothing (0), rather than everything.
        consultation_id=parse_id(args.get("consultation")),
        status=args.get("status") if args.get("status") in STATUSES else None,
        since=date_arg(args.get("from")), until=date_arg(args.get("to")),
        state=args.get("state") if staff and args.get("state") in services.STAFF_STATES else None,
        doc_type=args.get("type") if args.get("type") in ("comment", "consultation", "meeting", "response") else None,
        theme_id=parse_id(args.get("theme")) if staff else None,
    )


@bp.get("/sok")
def search_page():
    """Search consultations and comments; moderators also find pending and hidden comments."""
    staff = permissions.can_moderate(current_user)
    text = request.args.get("q", "")
    sort = "newest" if request.args.get("sort") == "newest" else "relevance"
    result, unavailable = None, False
    if text.strip():
        try:
            result = services.search(text, current_user, _filters(staff), page=page_number(request.args.get("page")),
                                     per_page=current_app.config["SEARCH_PER_PAGE"], sort=sort)
        except SearchUnavailable:
            # The page comes back with the query and filters kept, and says so.
            current_app.logger.exception("search index unavailable")
            unavailable = True
        for hit in result.hits if result else ():
            hit.snippet = clean_snippet(hit.snippet)
    # Search covers published consultations only, so drafts are not offered as a filter
    # (nor are their titles or themes shown to moderators, who may not see drafts).
    query = (sa.select(Consultation.id, Consultation.title).where(Consultation.published_at.is_not(None))
             .order_by(Consultation.title))
    consultations = db.session.execute(query).all()
    theme_groups, tags, filter_themes = [], {}, []
    if staff:
        filter_themes = theme_services.theme_groups([c.id for c in consultations])
    if staff and result is not None:
        theme_groups = theme_services.theme_groups(
            {hit.consultation_id for hit in result.hits if hit.doc_type == "comment"})
        tags = theme_services.themes_by_comment([hit.doc_id for hit in result.hits if hit.doc_type == "comment"])
    page = render_template("search/search.html", result=result, text=text, sort=sort, staff=staff,
                           consultations=consultations, args=request.args,
                           states=services.STAFF_STATES, statuses=STATUSES, theme_groups=theme_groups, tags=tags,
                           filter_themes=filter_themes, unavailable=unavailable,
                           unavailable_message=UNAVAILABLE_MESSAGE)
    if unavailable:
        return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return page


@bp.app_errorhandler(SearchUnavailable)
def search_unavailable(error: SearchUnavailable):
    """503 with Retry-After (JSON for the API, else the error page) wherever a search
    could not read the index. The search page answers 503 itself, with the query kept;
    the moderation queue's text filter falls back to matching substrings instead."""
    current_app.logger.exception("search index unavailable", exc_info=error)
    response = current_app.make_response(render_error(503, UNAVAILABLE_TITLE, UNAVAILABLE_MESSAGE,
                                                      code="search_unavailable"))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@api_bp.get("/search")
def api_search():
    """Search published consultations and comments. Query parameters as on ``/sok``:
    ``q``, ``type``, ``consultation``, ``status``, ``from``, ``to``, ``sort``, ``page``."""
    text = request.args.get("q", "")
    if not text.strip():
        return json_error(400, "bad_request", _("The query q is required."))
    sort = "newest" if request.args.get("sort") == "newest" else "relevance"
    result = services.search(text, AnonymousUserMixin(), _filters(False), page=page_number(request.args.get("page")),
                             per_page=current_app.config["SEARCH_PER_PAGE"], sort=sort, staff_scope=False)
    return jsonify({
        "query": result.query_text,
        "truncated": result.truncated,
        "total": result.total,
        "capped": result.capped,
        "counts": result.counts,
        "page": result.page,
        "pages": result.pages,
        "suggestion": result.suggestion,
        "excluded": list(result.excluded),
        "without_exclusions": None if result.without_exclusions is None else {
            "query": result.without_exclusions, "total": result.without_exclusions_total or 0},
        "results": [{
            "type": hit.doc_type,
            "id": hit.doc_id,
            "consultation_id": hit.consultation_id or None,
            "title": hit.title,
            "author": (hit.author or None) if hit.doc_type in ("comment", "response") else None,
            "snippet_html": clean_snippet(hit.snippet),
            "created_at": hit.created_at.isoformat().replace("+00:00", "Z") if hit.created_at else None,
            "url": _hit_url(hit),
        } for hit in result.hits],
    })


def _hit_url(hit) -> str:
    """The public address of a search hit: a comment's or a formal response's permalink, a
    meeting's page, or a consultation's redirect by id."""
    if hit.doc_type == "comment":
        return site_url_for("comments.permalink", comment_id=hit.doc_id)
    if hit.doc_type == "response":
        return site_url_for("responses.permalink", response_id=hit.doc_id)
    if hit.doc_type == "meeting":
        return site_url_for("meetings.meeting", meeting_id=hit.doc_id)
    return site_url_for("api.consultation_by_id", consultation_id=hit.doc_id)


@api_bp.get("/consultations/by-id/<int(min=1, max=2147483647):consultation_id>")
def consultation_by_id(consultation_id: int):
    """Redirect to a published consultation's page by id (used by search results)."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.published_at is None:
        return json_error(404, "not_found", _("No published consultation has this id."))
    return redirect(url_for("consultations.detail", slug=consultation.slug), code=303)
