"""Moderation pages: citizens' reports, the queue, comment actions, bans, the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import parse_qsl

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from hoering import permissions
from hoering.accounts.models import User
from hoering.accounts.services import needs_email_verification
from hoering.comments.models import Comment
from hoering.comments.threads import comments_by_author
from hoering.consultations.models import Consultation
from hoering.errors import render_error
from hoering.exceptions import ServiceError
from hoering.exports.cells import spreadsheet_cell
from hoering.extensions import db
from hoering.forms import MAX_ID, NOT_DONE, date_arg, page_number, parse_id, search_text, submit
from hoering.i18n import ngettext, safe_next_url
from hoering.moderation import audit, bans, bp, decisions, reports, rules
from hoering.moderation import queue as moderation_queue
from hoering.moderation.forms import BanForm, ModerationActionForm, ReportForm
from hoering.moderation.labels import ACTION_LABELS, REPORT_REASON_LABELS
from hoering.moderation.models import Ban, ModerationAction, active_ban, bans_of
from hoering.moderation.recusal import RECUSAL_MESSAGES, recusal
from hoering.outage import keep_text_on_outage
from hoering.ratelimit import limit, on_rate_limit
from hoering.search.services import comment_ids_matching
from hoering.summaries import themes as theme_services
from hoering.timeutil import OSLO

ID = f"int(min=1, max={MAX_ID})"


#: Log in, then 403 unless the user may moderate.
moderator_required = permissions.requires(permissions.can_moderate)


def _back_to(fallback: str) -> str:
    """The posted ``back`` address if it is a moderation page on this site, else ``fallback``."""
    back = safe_next_url(request.form.get("back"), fallback)
    return back if back.startswith("/moderering") else fallback


def _version(value) -> int:
    """The moderation version a form carried; -1 (matches nothing) when missing or malformed."""
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10 else -1


def _comment_or_404(comment_id: int) -> Comment:
    """The comment if the current user may see it (a draft consultation's comments only
    for those who may see drafts), else 404."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or not permissions.can_view_comment(current_user, comment):
        abort(404)
    return comment


def _consultation_choices() -> list:
    """``(id, title)`` of the consultations the current user may filter by: drafts only
    for those who may see them."""
    query = sa.select(Consultation.id, Consultation.title).order_by(Consultation.title)
    if not permissions.can_manage_consultations(current_user):
        query = query.where(Consultation.published_at.is_not(None))
    return db.session.execute(query).all()


# --- house rules (public) ----------------------------------------------------------------------

@bp.get("/ordensregler")
def house_rules():
    """The published house rules."""
    return render_template("moderation/house_rules.html", rules=rules.house_rules())


# --- citizens' reports -------------------------------------------------------------------------

@bp.route(f"/kommentarer/<{ID}:comment_id>/rapporter", methods=["GET", "POST"])
@login_required
@limit("RATELIMIT_REPORTS")
def report(comment_id: int):
    """A citizen reports a comment to the moderators."""
    comment = _comment_or_404(comment_id)
    if not permissions.can_view_comment(current_user, comment):
        abort(404)
    if not permissions.can_report_comment(current_user, comment):
        abort(403)
    if reports.has_reported(current_user, comment):
        return _already_reported(comment)
    form = ReportForm()
    filed, status = submit(form, lambda: reports.report_comment(comment, current_user, form.reason.data,
                                                                 form.text.data or ""))
    if filed is False:  # a moment ago, from another tab
        return _already_reported(comment)
    if filed is not NOT_DONE:
        flash(_("Thank you. The moderators will look at the comment."), "success")
        return redirect(url_for("comments.permalink", comment_id=comment.id), code=303)
    return render_template("moderation/report.html", form=form, comment=comment,
                           unconfirmed=needs_email_verification(current_user)), status


def _already_reported(comment: Comment):
    flash(_("You have already reported this comment. A moderator will look at it."), "info")
    return redirect(url_for("comments.permalink", comment_id=comment.id), code=303)


keep_text_on_outage("moderation.report", "text", _l("Explanation (optional)"), hidden=("reason",))


@on_rate_limit("moderation.report")
def _report_rate_limited(message: str):
    comment = db.session.get(Comment, request.view_args["comment_id"])
    if comment is None or not permissions.can_report_comment(current_user, comment):
        return render_error(429, message=message)  # nothing about the comment is shown
    form = ReportForm()
    form.form_errors.append(message)
    return render_template("moderation/report.html", form=form, comment=comment,
                           unconfirmed=needs_email_verification(current_user))


# --- the queue ---------------------------------------------------------------------------------

@bp.get("/moderering")
@moderator_required
def queue():
    """Pending and reported comments across consultations, oldest first, 50 a page."""
    include_drafts = permissions.can_manage_consultations(current_user)
    filters = _queue_filters(request.args)
    page = moderation_queue.queue_page(**_queue_selection(filters, include_drafts),
                                       page=page_number(request.args.get("page")),
                                       per_page=current_app.config["MODERATION_PER_PAGE"],
                                       replies_shown=current_app.config["THREAD_REPLIES_SHOWN"])
    consultations = _consultation_choices()
    theme_groups = theme_services.theme_groups({item.comment.consultation_id for item in page.items})
    return render_template("moderation/queue.html", queue=page, consultations=consultations,
                           filters=filters, queue_args=_queue_args(filters), rules=rules.house_rules(),
                           theme_groups=theme_groups, recusal_messages=RECUSAL_MESSAGES)


def _queue_filters(args) -> dict:
    """The queue's filters from request arguments (a mapping): ``consultation`` (an id),
    ``state``, ``reason`` and ``q`` (text), each ``None`` when missing or not valid."""
    state, reason = args.get("state"), args.get("reason")
    return {"consultation": parse_id(args.get("consultation")) or None,
            "state": state if state in moderation_queue.QUEUE_STATES else None,
            "reason": reason if reason in REPORT_REASON_LABELS else None,
            "q": search_text(args.get("q"))}


def _queue_args(filters: dict) -> dict:
    """The filters that are set, as URL arguments (to carry the queue's view along)."""
    return {key: value for key, value in filters.items() if value}


def _queue_selection(filters: dict, include_drafts: bool) -> dict:
    """Keyword arguments for :func:`moderation_queue.queue_page` and
    :func:`moderation_queue.next_in_queue`: the text filter is the full-text search (other
    word forms too); if the index cannot be read, a plain "contains" match on the
    database does the job."""
    matches = None
    if filters["q"]:
        try:
            matches = comment_ids_matching(filters["q"], within=moderation_queue.waiting_comment_ids(
                filters["consultation"], include_drafts))
        except Exception:  # noqa: BLE001
            current_app.logger.exception("search index unavailable; the queue filters by substring")
    return {"consultation_id": filters["consultation"], "state": filters["state"], "reason": filters["reason"],
            "text": filters["q"] if matches is None else None, "comment_ids": matches,
            "include_drafts": include_drafts, "moderator": current_user}


@bp.get("/moderering/oversikt")
@moderator_required
def overview():
    """Per consultation: pending, reported and hidden comments, and the oldest waiting item."""
    return render_template("moderation/overview.html", work=moderation_queue.overview(
        include_drafts=permissions.can_manage_consultations(current_user)))


@bp.post("/moderering/samlet")
@moderator_required
def bulk():
    """Apply an action to the ticked comments of a queue page, or (button ``single``, value
    ``"<id>:<action>"``) to one comment; each is checked and logged on its own."""
    back = _back_to(url_for("moderation.queue"))
    single = request.form.get("single", "")
    if single:
        raw_id, _sep, action = single.partition(":")
        selected = [raw_id]
    else:
        action = request.form.get("action", "")
        selected = request.form.getlist("page_item" if request.form.get("all_on_page") else "comment")
    if action not in ("approve", "hide", "reject", "dismiss_reports", "restore"):
        flash(_("Choose what to do with the selected comments."), "error")
        return redirect(back, code=303)
    items = []
    for raw in selected:
        comment_id = parse_id(raw)
        if comment_id:
            items.append((comment_id, _version(request.form.get(f"version-{comment_id}"))))
    if not items:
        flash(_("Select at least one comment."), "error")
    else:
        result = decisions.moderate_many(items, current_user, action, reason=request.form.get("reason") or None,
                                         note=request.form.get("note", ""))
        if result.done:
            flash(ngettext("%(num)s comment handled.", "%(num)s comments handled.", len(result.done)), "success")
        for comment_id, message in result.refused.items():
            flash(_("Comment %(id)d: %(message)s", id=comment_id, message=message), "error")
    return redirect(back, code=303)


# --- one comment -------------------------------------------------------------------------------

@bp.get(f"/moderering/kommentarer/<{ID}:comment_id>")
@moderator_required
def comment(comment_id: int):
    """A comment with its thread context, open reports, history and the actions."""
    item = _comment_or_404(comment_id)
    return _render_comment(item)


def _render_comment(item: Comment, form: ModerationActionForm | None = None, status: int = 200):
    """The moderator's page of one comment: what it answers, a page of its direct replies
    (``REPLIES_PER_PAGE``), its open reports, history and actions."""
    parent = db.session.get(Comment, item.parent_id) if item.parent_id else None
    # A page of the direct replies, whatever their number (the whole thread is on its own page).
    replies = db.paginate(sa.select(Comment).where(Comment.parent_id == item.id).order_by(Comment.path),
                          page=page_number(request.args.get("page")),
                          per_page=current_app.config["REPLIES_PER_PAGE"], error_out=False)
    thread_root = item if item.parent_id is None else db.session.get(Comment, item.thread_id)
    filters = _queue_filters(request.args if request.method == "GET" else dict(parse_qsl(request.form.get("queue", "")[:2000])))
    return render_template(
        "moderation/comment.html", comment=item, parent=parent, replies=replies, thread_root=thread_root,
        ancestors=moderation_queue.ancestors_of([item]).get(item.id, []), queue_args=_queue_args(filters),
        reports=reports.open_reports(item.id), history=audit.history(item.id),
        rules=rules.house_rules(), form=form, transitions=decisions.TRANSITIONS,
        recusal=RECUSAL_MESSAGES.get(recusal(current_user, item)),
    ), status


@bp.post(f"/moderering/kommentarer/<{ID}:comment_id>/handling")
@moderator_required
def act(comment_id: int):
    """Apply one action (approve, reject, hide, restore, dismiss reports, lock, unlock)."""
    item = _comment_or_404(comment_id)
    form = ModerationActionForm()
    if not form.validate():
        for field in (form.note, form.reason, form.csrf_token):
            for message in field.errors:
                flash(f"{field.label.text}: {message}" if field is not form.csrf_token else
                      _("The form had expired. Send it again."), "error")
        return _render_comment(item, form, 400 if form.csrf_token.errors else 422)
    try:
        decisions.moderate(item, current_user, form.action.data, _version(form.version.data),
                           reason=form.reason.data or None, note=form.note.data or "")
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        db.session.refresh(item)
        return _render_comment(item, form, error.status)
    flash(_("Done: %(action)s.", action=ACTION_LABELS.get(form.action.data, form.action.data)), "success")
    if form.action.data in QUEUE_DECISIONS and not request.form.get("back"):
        return redirect(_next_in_queue(item), code=303)
    return redirect(_back_to(url_for("moderation.comment", comment_id=item.id)), code=303)


#: Actions after which the moderator is taken to the next comment in the queue.
QUEUE_DECISIONS = ("approve", "reject", "hide", "restore", "dismiss_reports")


def _next_in_queue(decided: Comment) -> str:
    """The moderation page of the next comment in the queue (its order, and the filters the
    moderator came with, posted as ``queue``), or the queue itself, saying it is empty."""
    filters = _queue_filters(dict(parse_qsl(request.form.get("queue", "")[:2000])))
    following = moderation_queue.next_in_queue(
        decided.id, **_queue_selection(filters, permissions.can_manage_consultations(current_user)))
    if following is None:
        flash(_("The queue is empty.") if not _queue_args(filters) else
              _("No more comments in the queue match the filter."), "info")
        return url_for("moderation.queue", **_queue_args(filters))
    return url_for("moderation.comment", comment_id=following.id, **_queue_args(filters))


# --- bans --------------------------------------------------------------------------------------

@bp.route(f"/moderering/brukere/<{ID}:user_id>/utesteng", methods=["GET", "POST"])
@moderator_required
def ban(user_id: int):
    """Ban a user for a period or for good, with a reason the user sees, optionally hiding
    her published comments."""
    user = db.session.get(User, user_id)
    if user is None or user.is_pseudonymous:
        abort(404)
    form = BanForm()
    done, status = submit(form, lambda: bans.ban_user(
        user, current_user, form.reason.data, None if form.duration.data == "permanent" else int(form.duration.data),
        hide_comments=bool(form.hide_comments.data)))
    if done is not NOT_DONE:
        flash(_("%(name)s is banned.", name=user.display_name), "success")
        hidden = len(bans.comments_hidden_by(done))
        if hidden:
            flash(ngettext("%(num)s comment hidden.", "%(num)s comments hidden.", hidden), "success")
        return redirect(url_for("moderation.ban", user_id=user.id), code=303)
    history = bans_of(user.id)
    return render_template("moderation/ban.html", user=user, form=form, bans=history,
                           hidden_by_ban={b.id: bans.comments_hidden_by(b) for b in history},
                           comments=comments_by_author(user.id, limit=50),
                           active=active_ban(user)), status


def _ban_or_404(ban_id: int) -> Ban:
    item = db.session.get(Ban, ban_id)
    if item is None:
        abort(404)
    return item


def _flash_restored(restored: int) -> None:
    if restored:
        flash(ngettext("%(num)s comment restored.", "%(num)s comments restored.", restored), "success")


@bp.post(f"/moderering/utestengninger/<{ID}:ban_id>/opphev")
@moderator_required
def lift_ban(ban_id: int):
    """Lift a ban before it runs out; with ``restore_comments`` ticked, publish again the
    comments the ban hid."""
    item = _ban_or_404(ban_id)
    try:
        restored = bans.lift_ban(item, current_user, restore_comments=request.form.get("restore_comments") == "1")
    except ServiceError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The ban is lifted."), "success")
        _flash_restored(restored)
    return redirect(url_for("moderation.ban", user_id=item.user_id), code=303)


@bp.post(f"/moderering/utestengninger/<{ID}:ban_id>/gjenopprett")
@moderator_required
def restore_ban_comments(ban_id: int):
    """Publish again the comments a ban that is no longer in force hid."""
    item = _ban_or_404(ban_id)
    try:
        restored = bans.restore_comments_of(item, current_user)
    except ServiceError as error:
        flash(str(error.message), "error")
    else:
        _flash_restored(restored)
        if not restored:
            flash(_("No comment hidden by this ban is left to restore."), "info")
    return redirect(url_for("moderation.ban", user_id=item.user_id), code=303)


# --- the audit log -----------------------------------------------------------------------------

def _log_filters() -> dict:
    since, until = date_arg(request.args.get("from")), date_arg(request.args.get("to"))
    return {
        "action": request.args.get("action") if request.args.get("action") in ACTION_LABELS else None,
        "actor_id": parse_id(request.args.get("actor")) or None,
        "consultation_id": parse_id(request.args.get("consultation")) or None,
        "comment_id": parse_id(request.args.get("comment")) or None,
        "since": dt.datetime.combine(since, dt.time(), tzinfo=OSLO) if since else None,
        "until": dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=OSLO) if until else None,
        "include_drafts": permissions.can_manage_consultations(current_user),
    }


@bp.get("/moderering/logg")
@moderator_required
def log():
    """The audit log, filtered, newest first."""
    filters = _log_filters()
    page = db.paginate(audit.audit_log_query(**filters), page=page_number(request.args.get("page")),
                       per_page=current_app.config["MODERATION_PER_PAGE"], error_out=False)
    moderators = db.session.execute(
        sa.select(User.id, User.display_name).where(User.role.in_(("moderator", "admin"))).order_by(User.display_name)
    ).all()
    consultations = _consultation_choices()
    return render_template("moderation/log.html", page=page, moderators=moderators, consultations=consultations,
                           args=request.args)


CSV_COLUMNS = ("id", "created_at", "action", "automatic", "actor", "comment_id", "consultation_id",
               "target_user_id", "reason", "note", "state_before", "state_after")


@bp.get("/moderering/logg.csv")
@moderator_required
def log_csv():
    """The filtered audit log as CSV (UTF-8 with BOM), streamed."""
    query = audit.audit_log_query(**_log_filters()).execution_options(yield_per=500)

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)  # a ; inside a cell cannot start a new one
        buffer.write("\ufeff")
        writer.writerow(CSV_COLUMNS)
        for entry in db.session.scalars(query):
            writer.writerow([spreadsheet_cell(v) for v in _csv_row(entry)])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="modereringslogg.csv"'})


def _csv_row(entry: ModerationAction) -> list:
    return [entry.id, entry.created_at.isoformat(), entry.action, "yes" if entry.is_automatic else "no",
            entry.actor.display_name if entry.actor else "", entry.comment_id, entry.consultation_id,
            entry.target_user_id, entry.reason, entry.note, entry.state_before, entry.state_after]
