"""Comment actions: post, reply, edit, remove, support, and the comment's permalink."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from hoering import permissions
from hoering.accounts.services import needs_email_verification
from hoering.comments import bp, services, threads
from hoering.comments.forms import (
    CommentForm,
    EditCommentForm,
    RemoveCommentForm,
    SupportForm,
    valid_submission_token,
)
from hoering.comments.models import Comment
from hoering.consultations.views import get_visible_or_404, render_consultation_page
from hoering.errors import json_error, render_error, wants_json
from hoering.exceptions import ServiceError
from hoering.extensions import csrf, db
from hoering.forms import parse_id
from hoering.outage import keep_text_on_outage
from hoering.ratelimit import limit, on_rate_limit, retry_when
from hoering.stances import Stance, parse_stance, stance_counts_text, tally_of


def _csrf_message():
    return _("The form had expired, so the comment was not sent. Your text is kept below: check it and send again.")


def comment_url(comment: Comment) -> str:
    """The public address of ``comment``: its consultation page, on the right page, anchored."""
    return url_for("comments.permalink", comment_id=comment.id)


# CSRF is checked by the form itself (FlaskForm), so that a comment whose token expired
# comes back in the form with its text instead of being lost on an error page.
@csrf.exempt
@bp.post("/hoeringer/<slug>/kommentarer")
@limit("RATELIMIT_COMMENTS")
def create(slug: str):
    """Post a comment or a reply. On failure the page comes back with the text in the form."""
    consultation = get_visible_or_404(slug)
    form = CommentForm()
    parent_id = parse_id(form.parent_id.data)
    reply_to = parent_id
    if not form.validate():
        if form.csrf_token.errors:
            form.text.errors = [_csrf_message()]
        else:
            form.text.errors = [*form.website.errors, *form.text.errors]
        return render_consultation_page(consultation, form, reply_to=reply_to, status=400)
    try:
        comment = services.post_comment(
            consultation, current_user, form.text.data or "", parent_id=parent_id,
            question_id=parse_id(form.question_id.data), official=form.official.data == "1",
            consent=form.consent.data == "1", submission_token=valid_submission_token(form.submission.data),
            section_id=parse_id(form.section_id.data),
        )
    except ServiceError as error:
        db.session.rollback()
        if error.status == 403:
            flash(str(error.message), "error")
            return render_consultation_page(consultation, form, reply_to=reply_to, status=403,
                                            kept_text=form.text.data)
        for field, message in error.by_field():  # every mistake at once
            target = form.consent if field == "consent" else form.text
            target.errors = [*target.errors, str(message)]
        return render_consultation_page(consultation, form, reply_to=reply_to, status=error.status)
    # The confirmation is shown next to the comment (the redirect goes to its anchor).
    confirmed = threads.confirmation_category(comment.id)
    if comment.state == "pending" and needs_email_verification(current_user):
        flash(_("Thank you! Your comment is saved. It is published when you have confirmed your e-mail address "
                "with the link we sent to %(email)s.", email=current_user.email), confirmed)
    elif comment.state == "pending":
        flash(_("Thank you! Your comment will be published when a moderator has approved it."), confirmed)
    elif comment.parent_id is not None:
        flash(_("Thank you! Your reply has been published."), confirmed)
    else:
        flash(_("Thank you! Your comment has been published."), confirmed)
    return redirect(comment_url(comment), code=303)


keep_text_on_outage("comments.create", "text", _l("Your comment"),
                    hidden=("parent_id", "question_id", "section_id", "official", "consent", "submission"))
keep_text_on_outage("comments.edit", "text", _l("Your comment"))


@on_rate_limit("comments.create")
def _comment_rate_limited(message: str):
    consultation = get_visible_or_404(request.view_args["slug"])
    form = CommentForm()
    form.text.errors = [message]
    return render_consultation_page(consultation, form, reply_to=parse_id(form.parent_id.data))


def _get_comment_or_404(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or not permissions.can_view_comment(current_user, comment):
        abort(404)
    return comment


@bp.get("/kommentarer/<int(min=1, max=2147483647):comment_id>")
def permalink(comment_id: int):
    """Redirect to where the comment is shown: the consultation's page of threads that has
    its thread, or, for a reply folded away there, the page of its thread's own page."""
    comment = _get_comment_or_404(comment_id)
    if comment.state in ("pending", "rejected", "hidden") and permissions.can_moderate(current_user) \
            and comment.author_id != current_user.id:
        # not (or only as a placeholder) in the public thread: show it where moderators can act
        return redirect(url_for("moderation.comment", comment_id=comment.id), code=303)
    if comment.state in ("hidden", "removed") and comment.author_id != getattr(current_user, "id", None):
        # Shown at most as a placeholder (only when it has replies): say so, rather than
        # leave the reader at the top of the page wondering where it went.
        flash(_("This comment is no longer shown: a moderator has hidden it, or it has been removed."), "info")
    position = threads.reply_position(comment, viewer=current_user)
    if position is not None and position >= current_app.config["THREAD_REPLIES_SHOWN"]:
        # folded away on the consultation page: the page of the thread's own page that shows it
        page = position // current_app.config["REPLIES_PER_PAGE"] + 1
        url = url_for("consultations.thread", slug=comment.consultation.slug, thread_id=comment.thread_id,
                      **({"page": page} if page > 1 else {}))
        return redirect(f"{url}#kommentar-{comment.id}", code=303)
    page = threads.thread_position(comment, viewer=current_user, per_page=current_app.config["THREADS_PER_PAGE"])
    params = {"page": page} if page > 1 else {}
    url = url_for("consultations.detail", slug=comment.consultation.slug, **params)
    return redirect(f"{url}#kommentar-{comment.id}", code=303)


@bp.route("/kommentarer/<int(min=1, max=2147483647):comment_id>/rediger", methods=["GET", "POST"])
@login_required
def edit(comment_id: int):
    """The author edits their comment within the edit window."""
    comment = _get_comment_or_404(comment_id)
    if not permissions.can_edit_comment(current_user, comment):
        abort(403)
    form = EditCommentForm(data={"text": comment.body_text} if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            services.edit_comment(comment, current_user, form.text.data or "")
        except ServiceError as error:
            db.session.rollback()
            form.text.errors = [str(error.message)]
            status = error.status
        else:
            flash(_("Your comment has been updated."), threads.confirmation_category(comment.id))
            return redirect(comment_url(comment), code=303)
    elif form.is_submitted():
        if form.csrf_token.errors:
            form.text.errors = [_csrf_message()]
        status = 400
    return render_template("comments/edit.html", form=form, comment=comment), status


@bp.route("/kommentarer/<int(min=1, max=2147483647):comment_id>/fjern", methods=["GET", "POST"])
@login_required
def remove(comment_id: int):
    """The author removes their comment, after confirming."""
    comment = _get_comment_or_404(comment_id)
    if not permissions.can_remove_comment(current_user, comment):
        abort(403)
    form = RemoveCommentForm()
    if form.validate_on_submit():
        try:
            services.remove_comment(comment, current_user)
        except ServiceError as error:  # a moderator or reports changed it a moment ago
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect(url_for("accounts.profile"), code=303)
        flash(_("Your comment has been removed."), "success")
        # The removed comment may no longer be shown; go to what it answered, or to the thread list.
        if comment.parent_id is not None:
            return redirect(url_for("comments.permalink", comment_id=comment.parent_id), code=303)
        return redirect(url_for("consultations.detail", slug=comment.consultation.slug) + "#comments-heading", code=303)
    return render_template("comments/remove.html", form=form, comment=comment)


#: What a stance form may send: a stance, or "" to take one's stance back.
_STANCE_VALUES = ("", *(stance.value for stance in Stance))


def _wanted_stance(form: SupportForm) -> Stance | None:
    """The stance the form asks for: its ``stance`` ("agree", "disagree" or "" for none),
    or, from a form of before, ``supported`` "1" for agree (anything else for none)."""
    if form.stance.data is None and form.supported.data is not None:
        return Stance.AGREE if form.supported.data == "1" else None
    return parse_stance(form.stance.data)


def _stance_answer(comment: Comment, stance: Stance | None) -> dict:
    """The JSON answer of a stance taken through the page's script: the reader's stance
    and the comment's counts, and a sentence for screen readers."""
    counts = tally_of(comment)
    said = {Stance.AGREE: _("You agree."), Stance.DISAGREE: _("You disagree.")}.get(stance, _("You have no stance."))
    return {"stance": stance.value if stance else None, "agree_count": counts.agree,
            "disagree_count": counts.disagree, "contested": counts.contested,
            "message": " ".join([said, stance_counts_text(counts)]) if counts.agree or counts.disagree else said}


def _why_no_stance(comment: Comment) -> str:
    """Why the reader may not agree or disagree with ``comment`` (the first reason that
    holds, in the order :func:`hoering.permissions.can_support_comment` checks)."""
    if comment.author_id == current_user.id:
        return _("You cannot agree or disagree with your own comment.")
    if comment.state != "published":
        return _("Only published comments can be agreed or disagreed with.")
    if not comment.consultation.is_open():
        return _("The consultation is not open: stances can no longer be taken.")
    return _("Your account may not take part right now.")


@bp.post("/kommentarer/<int(min=1, max=2147483647):comment_id>/stotte")
@login_required
@limit("RATELIMIT_SUPPORTS")
def support(comment_id: int):
    """Agree or disagree with a comment, switch sides or take one's stance back (each
    click counts against ``RATELIMIT_SUPPORTS``). A form answers with the comment on its
    page; the page's script (``Accept: application/json``) gets :func:`_stance_answer`."""
    comment = _get_comment_or_404(comment_id)
    form = SupportForm()
    if not permissions.can_support_comment(current_user, comment):
        return render_error(403, message=_why_no_stance(comment))
    if not form.validate():  # the CSRF token is missing or has expired
        return render_error(400, message=_("The form had expired. Reload the page and try again."))
    if (form.stance.data or "") not in _STANCE_VALUES or (form.stance.data is None and form.supported.data is None):
        return render_error(400)  # not sent by the page's buttons: nothing is changed
    try:
        stance = services.set_stance(comment, current_user, _wanted_stance(form))
    except ServiceError as error:
        db.session.rollback()
        if wants_json():
            return json_error(error.status, "forbidden" if error.status == 403 else "invalid", error.message)
        flash(str(error.message), "error")
        return redirect(comment_url(comment), code=303)
    if wants_json():
        db.session.refresh(comment)
        return jsonify(_stance_answer(comment, stance))
    return redirect(comment_url(comment), code=303)


@on_rate_limit("comments.support")
def _support_rate_limited(message: str):
    """Too many stances taken or taken back: the page of threads the visitor clicked on
    (the form posts its page and sort order), with why nothing changed; for the page's
    script, the message as JSON."""
    comment = db.session.get(Comment, request.view_args["comment_id"])
    if comment is None or not permissions.can_view_comment(current_user, comment):
        return render_error(429)  # nothing about the comment is shown
    if wants_json():
        return json_error(429, "rate_limited", message)
    flash(_("You have changed your stance many times in a short time. Try again %(when)s.", when=retry_when()),
          "error")
    return render_consultation_page(comment.consultation)
