"""Moderators' pages for analysing comments: "read, no theme" marks, one comment at a time
("Én og én"), and tagging every comment a filter or a search finds (docs/SUMMARIES.md,
"Analysis")."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hoering import isolation, permissions
from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation, Section
from hoering.exceptions import ServiceError
from hoering.extensions import db
from hoering.forms import date_arg, parse_id
from hoering.i18n import ngettext, safe_next_url
from hoering.search import services as search_services
from hoering.search.backend import SearchUnavailable
from hoering.summaries import bp, coding, suggestions
from hoering.summaries import themes as theme_services
from hoering.summaries.models import Theme
from hoering.summaries.suggestions import ProposedTheme
from hoering.summaries.themes import DIGIT_THEMES, THEME_LETTERS, key_ranges, theme_keys  # noqa: F401
from hoering.summaries.views import ID, _consultation_or_404, moderator_required

log = logging.getLogger(__name__)



def filter_from(values, consultation: Consultation) -> coding.CommentFilter:
    """The :class:`~hoering.summaries.coding.CommentFilter` named by ``values`` (query
    arguments or form fields ``filter`` and ``filter_theme``); 404 for a theme that is not
    the consultation's."""
    comment_filter = coding.parse_filter(values.get("filter"), parse_id(values.get("filter_theme")),
                                         parse_id(values.get("filter_section")))
    if comment_filter.kind == "theme":
        theme = db.session.get(Theme, comment_filter.theme_id)
        if theme is None or theme.consultation_id != consultation.id:
            abort(404)
    if comment_filter.kind == "section":
        section = db.session.get(Section, comment_filter.section_id)
        if section is None or section.consultation_id != consultation.id:
            abort(404)
    return comment_filter


def filter_args(comment_filter: coding.CommentFilter) -> dict:
    """The query arguments of the themes page that show ``comment_filter``."""
    if comment_filter.kind == "theme":
        return {"filter": "theme", "filter_theme": comment_filter.theme_id}
    if comment_filter.kind == "section":
        return {"filter": "section", "filter_section": comment_filter.section_id}
    return {} if comment_filter.kind == "unanalysed" else {"filter": comment_filter.kind}


def _refused_message(result) -> None:
    if result.refused:
        flash(ngettext("%(num)s comment was left out: it is not a published comment of this consultation.",
                       "%(num)s comments were left out: they are not published comments of this consultation.",
                       len(result.refused)), "error")


@bp.post("/moderering/hoeringer/<slug>/lest-uten-tema")
@moderator_required
def mark_read(slug: str):
    """Mark the posted comments (``comment``, repeated) "read, no theme", or take the mark
    away (``unmark=1``); goes back to the posted ``back`` page of this site."""
    consultation = _consultation_or_404(slug)
    back = safe_next_url(request.form.get("back"), url_for("summaries.themes", slug=slug))
    ids = [i for i in (parse_id(raw) for raw in request.form.getlist("comment")) if i is not None]
    if not ids:
        flash(_("Select at least one comment."), "error")
        return redirect(back, code=303)
    unmark = request.form.get("unmark") == "1"
    result = coding.mark_read_without_theme(consultation.id, ids, current_user, unmark=unmark)
    if result.changed:
        flash(ngettext("%(num)s comment is no longer marked read, no theme.",
                       "%(num)s comments are no longer marked read, no theme.", len(result.changed)) if unmark else
              ngettext("%(num)s comment marked read, no theme.", "%(num)s comments marked read, no theme.",
                       len(result.changed)), "success")
    elif result.unchanged:
        flash(_("Nothing changed: the comments were already so (a comment with a theme is analysed by its theme)."),
              "info")
    _refused_message(result)
    return redirect(back, code=303)


def _published_comment_or_404(consultation: Consultation, comment_id: int | None) -> Comment:
    comment = db.session.get(Comment, comment_id) if comment_id else None
    if comment is None or comment.consultation_id != consultation.id or \
            comment.state != CommentState.PUBLISHED.value:
        abort(404)
    return comment


#: States of a comment that was published and has been taken down since (by a moderator,
#: or its author): while it was shown one at a time, it may have been hidden or removed.
TAKEN_DOWN = frozenset({CommentState.HIDDEN.value, CommentState.REJECTED.value, CommentState.REMOVED.value})


def _position_or_404(consultation: Consultation, comment_id: int) -> Comment:
    """The comment ``etter`` names, to go on after: a published comment of the
    consultation, or one taken down since it was shown (:data:`TAKEN_DOWN`); else 404."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.consultation_id != consultation.id or \
            comment.state not in TAKEN_DOWN | {CommentState.PUBLISHED.value}:
        abort(404)
    return comment


#: The order of the one-at-a-time view that groups comments by proposed theme (``rekkefolge``).
BY_PROPOSAL = "forslag"
#: Skipped comments kept in the address (``hoppet``) in the order by proposed theme; the
#: oldest skips past this many come round again.
MAX_SKIPPED = 200


def _skipped_arg(raw: str | None) -> list[int]:
    """The comment ids of ``hoppet`` ("12,40,7"), in order, without repeats or what cannot be
    read, at most the last :data:`MAX_SKIPPED`."""
    ids = [parse_id(part) for part in (raw or "").split(",")]
    return list(dict.fromkeys(i for i in ids if i))[-MAX_SKIPPED:]


def _order_args(by_proposal: bool, skipped: list[int]) -> dict:
    """The query arguments that keep the order (and in the order by proposal, the skipped
    comments) from one comment to the next."""
    if not by_proposal:
        return {}
    return {"rekkefolge": BY_PROPOSAL, **({"hoppet": ",".join(map(str, skipped[-MAX_SKIPPED:]))} if skipped else {})}


def _proposals(consultation: Consultation) -> dict[int, tuple[int, float]] | None:
    """The proposed themes of the consultation (``{comment id: (theme id, confidence)}``),
    or ``None`` when they could not be computed in time (or their child process failed:
    the coding goes on without them)."""
    try:
        return suggestions.proposed_themes(consultation)
    except isolation.Overran:
        log.warning("proposed themes of %s ran out of time in the one-at-a-time view", consultation.slug)
        return None
    except isolation.ChildFailed:
        log.exception("proposed themes of %s failed in the one-at-a-time view", consultation.slug)
        return None


@bp.get("/moderering/hoeringer/<slug>/en-og-en")
@moderator_required
def one_by_one(slug: str):
    """One published comment at a time ("Én og én"): the oldest not analysed yet, the first
    after ``etter`` (a comment id: skipped ones stay behind), or the comment ``kommentar``;
    with ``rekkefolge=forslag`` the first by proposed theme (largest group first, most
    confident first; see :func:`hoering.summaries.coding.next_by_proposal`) not in ``hoppet``
    (the comments skipped, "12,40,7"). Shown with its parent, counts, themes (largest first,
    each with a key) and the theme proposed for it, with buttons (and keys) to accept the
    proposal, tag it, mark it "read, no theme", skip it or go on."""
    consultation = _consultation_or_404(slug)
    progress = coding.progress(consultation.id)
    by_proposal = request.args.get("rekkefolge") == BY_PROPOSAL
    skipped = _skipped_arg(request.args.get("hoppet")) if by_proposal else []
    shown_id, after_id = parse_id(request.args.get("kommentar")), parse_id(request.args.get("etter"))
    after = _position_or_404(consultation, after_id) if after_id is not None else None
    ranked = theme_services.themes_by_size(consultation.id)
    # Read once for the whole request: the proposal shown and the order by proposal.
    proposals = _proposals(consultation) if ranked and (progress.unanalysed or shown_id is not None) else {}
    if shown_id is not None:
        comment = _published_comment_or_404(consultation, shown_id)
    elif by_proposal:
        if after is not None and after.id not in skipped:
            skipped = [*skipped, after.id][-MAX_SKIPPED:]
        comment = coding.next_by_proposal(consultation.id, proposals or {}, ranked, frozenset(skipped))
    else:
        comment = coding.next_unanalysed(consultation.id, after)
    themes = [theme for theme, _ in ranked]
    keys = theme_keys(len(themes))
    context = {}
    if comment is not None:
        parent = db.session.get(Comment, comment.parent_id) if comment.parent_id else None
        comment_themes = theme_services.themes_by_comment([comment.id]).get(comment.id, [])
        proposed = (proposals or {}).get(comment.id)
        by_id = {theme.id: theme for theme in themes}
        proposal = None
        if proposed is not None and proposed[0] in by_id and by_id[proposed[0]] not in comment_themes:
            proposal = ProposedTheme(comment, by_id[proposed[0]], proposed[1])
        context = {
            "parent": parent if parent is not None and parent.state == CommentState.PUBLISHED.value else None,
            "replies": coding.reply_count(comment.id),
            "comment_themes": comment_themes,
            "is_read": coding.is_read_without_theme(comment.id),
            "proposal": proposal,
        }
    return render_template("summaries/one_by_one.html", consultation=consultation, progress=progress,
                           comment=comment, after=after, themes=themes, keys=keys, key_ranges=key_ranges(keys),
                           restart_args={"rekkefolge": BY_PROPOSAL} if by_proposal else {},
                           proposals_unavailable=proposals is None, by_proposal=by_proposal,
                           order_args=_order_args(by_proposal, skipped),
                           skip_args=_order_args(by_proposal, [*skipped, comment.id] if comment else skipped),
                           **context)


def _posted_theme(consultation: Consultation) -> Theme | None:
    """The consultation's theme posted as ``theme``; ``None`` with a message when there is
    none (no theme chosen, another consultation's, or one merged or deleted meanwhile)."""
    theme_id = parse_id(request.form.get("theme"))
    theme = db.session.get(Theme, theme_id) if theme_id else None
    if theme is not None and theme.consultation_id == consultation.id:
        return theme
    if theme is None and theme_id:
        flash(_("The theme has been merged into another or deleted since the page was shown, so nothing was "
                "saved."), "error")
    else:
        flash(_("Choose a theme."), "error")
    return None


@bp.post(f"/moderering/hoeringer/<slug>/en-og-en/<{ID}:comment_id>")
@moderator_required
def one_by_one_action(slug: str, comment_id: int):
    """Act on the comment shown one at a time: accept the theme proposed for it
    (``action=accept``, ``theme``: recorded as an accepted proposal with its confidence),
    tag it with a theme (``theme``) or a new one (``new_theme``), or mark it "read, no
    theme" (``read``), then go on to the next comment not analysed (or stay on it with
    ``stay``, to add another theme). The order (``rekkefolge``, ``hoppet``) is kept."""
    consultation = _consultation_or_404(slug)
    comment = _position_or_404(consultation, comment_id)
    by_proposal = request.form.get("rekkefolge") == BY_PROPOSAL
    order = _order_args(by_proposal, _skipped_arg(request.form.get("hoppet")) if by_proposal else [])
    here = url_for("summaries.one_by_one", slug=slug, kommentar=comment.id, **order)
    onward = url_for("summaries.one_by_one", slug=slug, **({} if by_proposal else {"etter": comment.id}), **order)
    if comment.state != CommentState.PUBLISHED.value:
        # Hidden or removed while it was shown: nothing is saved, and the next one comes.
        flash(_("Comment #%(id)d is no longer published, so nothing was saved for it.", id=comment.id), "error")
        return redirect(onward, code=303)
    action = request.form.get("action")
    if action == "read":
        result = coding.mark_read_without_theme(consultation.id, [comment.id], current_user)
        flash(_("Comment #%(id)d marked read, no theme.", id=comment.id) if result.changed else
              _("Nothing changed: comment #%(id)d already has a theme or the mark.", id=comment.id),
              "success" if result.changed else "info")
        return redirect(onward, code=303)
    if action == "unread":
        coding.mark_read_without_theme(consultation.id, [comment.id], current_user, unmark=True)
        flash(_("Comment #%(id)d is no longer marked read, no theme.", id=comment.id), "success")
        return redirect(here, code=303)
    if action == "accept":
        theme = _posted_theme(consultation)
        if theme is None:
            return redirect(here, code=303)
        try:
            changed = suggestions.accept_proposals(consultation, current_user, [(comment.id, theme.id)])
        except (isolation.Overran, isolation.ChildFailed):
            # The proposal's confidence cannot be read just now: tagged by hand instead.
            changed = len(theme_services.tag_comments(theme, [comment.id], current_user).changed)
        flash(_("Comment #%(id)d tagged with “%(name)s”.", id=comment.id, name=theme.name) if changed else
              _("Comment #%(id)d already had the theme “%(name)s”.", id=comment.id, name=theme.name),
              "success" if changed else "info")
        return redirect(here if request.form.get("stay") else onward, code=303)
    if action == "new_theme":
        try:
            theme = theme_services.create_theme(consultation, current_user, request.form.get("new_theme", ""))
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect(url_for("summaries.one_by_one", slug=slug, kommentar=comment.id,
                                    nytt_tema=request.form.get("new_theme", "")[:200], **order), code=303)
    elif action == "tag":
        theme = _posted_theme(consultation)
        if theme is None:
            return redirect(here, code=303)
    else:
        flash(_("Choose what to do with the comment."), "error")
        return redirect(here, code=303)
    result = theme_services.tag_comments(theme, [comment.id], current_user)
    flash(_("Comment #%(id)d tagged with “%(name)s”.", id=comment.id, name=theme.name) if result.changed else
          _("Comment #%(id)d already had the theme “%(name)s”.", id=comment.id, name=theme.name),
          "success" if result.changed else "info")
    return redirect(here if request.form.get("stay") else onward, code=303)


def _bulk_theme(consultation: Consultation) -> Theme | None:
    theme = db.session.get(Theme, parse_id(request.form.get("theme")) or 0)
    return theme if theme is not None and theme.consultation_id == consultation.id else None


@bp.post("/moderering/hoeringer/<slug>/merk-alle")
@moderator_required
def bulk(slug: str):
    """Tag every comment a filter of the themes page finds (not only the page shown) with a
    theme (``action=tag``, ``theme``), or mark them "read, no theme" (``action=read``):
    first a page that says how many and asks to confirm, then (``confirm=1``) the change."""
    consultation = _consultation_or_404(slug)
    comment_filter = filter_from(request.form, consultation)
    back = url_for("summaries.themes", slug=slug, **filter_args(comment_filter))
    action = request.form.get("action")
    theme = _bulk_theme(consultation) if action == "tag" else None
    if action not in ("tag", "read") or (action == "tag" and theme is None):
        flash(_("Choose a theme."), "error")
        return redirect(back, code=303)
    if request.form.get("confirm") != "1":
        counts = coding.count_bulk_tag(theme, comment_filter) if theme else \
            coding.count_bulk_read(consultation.id, comment_filter)
        return render_template("summaries/bulk_confirm.html", consultation=consultation, theme=theme,
                               counts=counts, action=action, fields=filter_args(comment_filter),
                               endpoint=url_for("summaries.bulk", slug=slug), back=back)
    if theme is not None:
        changed = coding.tag_matching(theme, comment_filter, current_user)
        flash(ngettext("%(num)s comment tagged with “%(name)s”.", "%(num)s comments tagged with “%(name)s”.",
                       changed, name=theme.name), "success")
    else:
        changed = coding.mark_matching_read(consultation.id, comment_filter, current_user)
        flash(ngettext("%(num)s comment marked read, no theme.", "%(num)s comments marked read, no theme.",
                       changed), "success")
    return redirect(back, code=303)


def _search_filters(form) -> search_services.SearchFilters:
    """The search page's filters, posted as hidden fields of its bulk form."""
    return search_services.SearchFilters(
        consultation_id=parse_id(form.get("consultation")),
        status=form.get("status") or None, since=date_arg(form.get("from")), until=date_arg(form.get("to")),
        state=form.get("state") if form.get("state") in search_services.STAFF_STATES else None,
        doc_type="comment", theme_id=parse_id(form.get("filter_theme")))


#: The search page's query arguments carried through the bulk form.
SEARCH_FIELDS = ("q", "consultation", "status", "from", "to", "state", "sort")


@bp.post("/moderering/sok/merk-alle")
@moderator_required
def bulk_search():
    """Tag every comment a search finds (every page of results) with a theme (``theme``):
    those of the theme's consultation that are not removed. First a page that says how
    many and asks to confirm, then (``confirm=1``) the change, in one transaction."""
    fields = {name: request.form.get(name, "") for name in SEARCH_FIELDS if request.form.get(name)}
    if request.form.get("filter_theme"):
        fields["theme"] = request.form.get("filter_theme")
    back = url_for("search.search_page", **fields)
    theme = db.session.get(Theme, parse_id(request.form.get("theme")) or 0)
    if theme is not None and not permissions.can_moderate_consultation(
            current_user, db.session.get(Consultation, theme.consultation_id)):
        abort(404)
    if theme is None:
        flash(_("Choose a theme."), "error")
        return redirect(back, code=303)
    text = request.form.get("q", "")
    if not text.strip():
        flash(_("Search for something first."), "error")
        return redirect(back, code=303)
    try:
        ids = search_services.comment_ids_found(text, current_user, _search_filters(request.form))
    except SearchUnavailable:
        flash(_("Search could not answer just now. Please try again in a few seconds."), "error")
        return redirect(back, code=303)
    if request.form.get("confirm") != "1":
        counts = coding.count_ids_bulk_tag(theme, ids)
        hidden = {name: request.form.get(name, "") for name in (*SEARCH_FIELDS, "filter_theme")}
        return render_template("summaries/bulk_confirm.html", consultation=db.session.get(
            Consultation, theme.consultation_id), theme=theme, counts=counts, action="tag", fields=hidden,
            left_out=len(ids) - counts.matching, endpoint=url_for("summaries.bulk_search"), back=back)
    changed = coding.tag_ids(theme, ids, current_user)
    flash(ngettext("%(num)s comment tagged with “%(name)s”.", "%(num)s comments tagged with “%(name)s”.",
                   changed, name=theme.name), "success")
    return redirect(back, code=303)
