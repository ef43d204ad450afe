"""Consultation pages: the public list and page, and the case officers' forms."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from hoering import permissions
from hoering.comments import threads as comment_threads
from hoering.comments.forms import CommentForm
from hoering.consultations import bp, listing, pagecache, readercache, services, topics, versions
from hoering.consultations import documents as document_services
from hoering.consultations import lifecycle as lifecycle_services
from hoering.consultations.forms import ConsultationForm
from hoering.consultations.models import Consultation, Document
from hoering.database import reads_in_autocommit
from hoering.errors import render_error
from hoering.exceptions import ServiceError, ValidationFailed
from hoering.extensions import db
from hoering.file_responses import stored_file_response
from hoering.forms import MAX_ID, NOT_DONE, date_arg, page_number, parse_id, submit
from hoering.meetings import services as meeting_services
from hoering.notifications import services as notification_services
from hoering.outreach.services import share_links
from hoering.responses import services as response_services
from hoering.security import carries_a_login
from hoering.storage import NotStored, StorageError
from hoering.summaries import services as summary_services
from hoering.summaries import themes as theme_services
from hoering.timeutil import end_of_oslo_day, oslo_to_utc, to_oslo
from hoering.urls import site_url_for


@bp.get("/")
def index():
    """The front page: featured consultations, then open ones by nearest deadline, upcoming
    ones, and those closed lately that await the decision; filtered by ``tema`` and
    ``omrade`` (an unknown key is reported and left out, status 400)."""
    filters = listing.read_filters(request.args)
    front = listing.front_page(filters, include_drafts=permissions.can_manage_consultations(current_user))
    counts = services.participation_counts([c.id for c in front.all])
    return render_template("consultations/index.html", front=front, counts=counts, filters=filters,
                           topic_choices=topics.choices(topics.TOPICS), area_choices=topics.choices(topics.AREAS),
                           ), 400 if filters.errors else 200


@bp.get("/arkiv")
def archive():
    """The archive: consultations that have closed, were imported or archived, still there
    to read with their comments, summaries and decisions; the latest deadline first, 20 a
    page, filtered by ``ar``, ``tema``, ``omrade`` and words ``q`` (bad values: status 400)."""
    filters = listing.read_filters(request.args, with_year_and_text=True)
    page = db.paginate(listing.archive_query(filters), page=page_number(request.args.get("page")),
                       per_page=services.ARCHIVE_PER_PAGE, error_out=False)
    counts = services.participation_counts([c.id for c in page.items])
    return render_template("consultations/archive.html", page=page, counts=counts, filters=filters,
                           years=listing.archive_years(), topic_choices=topics.choices(topics.TOPICS),
                           area_choices=topics.choices(topics.AREAS)), 400 if filters.errors else 200


def get_visible_or_404(slug: str) -> Consultation:
    """The consultation with ``slug`` if the current user may see it; 404 otherwise
    (a draft is not revealed to those who may not see it)."""
    consultation = services.get_by_slug(slug)
    if consultation is None or not permissions.can_view_consultation(current_user, consultation):
        abort(404)
    return consultation


def render_consultation_page(consultation: Consultation, comment_form: CommentForm | None = None,
                             reply_to: int | None = None, status: int = 200, kept_text: str | None = None,
                             marks: readercache.Marks | None = None):
    """Render the consultation with one page of threads, or, for a form posted from a
    thread's own page (``traad`` in the query string), that page again.

    Args:
        consultation: the consultation to show.
        comment_form: a form to show filled in (after a failed post), else a fresh one.
        reply_to: id of the comment whose reply form is open (failed reply), if any.
        status: the HTTP status to answer with.
        kept_text: text the visitor typed that could not be accepted and has no form to
            return to (the consultation closed meanwhile); shown so it is not lost.
        marks: for the page cached for a reader class (:mod:`hoering.consultations.readercache`):
            the markers the template puts where a reader's own parts go; the page's
            comments and their authors are noted in ``marks.comments``.
    """
    thread_id = parse_id(request.args.get("traad"))
    root = comment_threads.visible_thread_root(consultation, thread_id, current_user) if thread_id else None
    if root is not None:
        return render_thread_page(consultation, root, comment_form, reply_to, status, kept_text)
    g.page_path = url_for("consultations.detail", slug=consultation.slug)
    sort = request.args.get("sort", comment_threads.DEFAULT_SORT)
    page = page_number(request.args.get("page"))
    # What every reader sees alike is counted or rendered once per content version.
    head = versions.head_of(consultation)
    public_threads = pagecache.per_version(head, "threads", lambda: comment_threads.count_threads(consultation))
    thread_page = comment_threads.thread_page(
        consultation, viewer=current_user, sort=sort, page=page,
        per_page=current_app.config["THREADS_PER_PAGE"], replies_shown=current_app.config["THREAD_REPLIES_SHOWN"],
        public_threads=public_threads,
    )
    if reply_to is not None and reply_to not in thread_page.by_id:
        reply_to = None  # the reply form is not on this page: show the text and error in the main form
    counts = pagecache.per_version(head, "counts",
                                   lambda: services.participation_counts([consultation.id])[consultation.id])
    if comment_form is None:
        comment_form = CommentForm()
    heard_html = pagecache.per_version(head, "heard", lambda: _heard_box(consultation))
    per_reader = {}
    if marks is not None:
        marks.comments = [(comment.id, comment.author_id) for comment in thread_page.by_id.values()]
        per_reader = {"reader_marks": marks, "submission_token": marks.submission_token}
    return render_template(
        "consultations/detail.html", consultation=consultation, threads=thread_page, counts=counts,
        comment_form=comment_form, reply_to=reply_to, kept_text=kept_text, heard_html=Markup(heard_html),
        return_args={"page": thread_page.page if thread_page.page > 1 else None, "sort": thread_page.sort},
        **_theme_tools(consultation, list(thread_page.by_id)), **_confirmations(thread_page.by_id),
        events=lifecycle_services.public_events(consultation),
        documents=document_services.documents_of(consultation.id),
        decision_item=meeting_services.decision_item_for(consultation.id),
        following=notification_services.is_following(current_user, consultation.id),
        response_counts=response_services.public_counts(consultation.id) if consultation.accepts_responses else None,
        page_url=site_url_for("consultations.detail", slug=consultation.slug),
        share=share_links(consultation, site_url_for("consultations.detail", slug=consultation.slug)),
        **per_reader,
    ), status


def _heard_box(consultation: Consultation) -> str:
    """The published summary box ("Dette har vi hørt") as HTML, or ``""`` without one."""
    heard = summary_services.summary_view(consultation)
    return render_template("summaries/_heard.html", heard=heard, consultation=consultation) if heard else ""


def _confirmations(comment_ids) -> dict:
    """For the template: the confirmations of comments on the page just posted or edited
    (``confirmations``, by comment id), shown next to them, and their flash categories
    (``confirmed_categories``), which the layout leaves out of the messages at the top."""
    found = comment_threads.confirmations(get_flashed_messages(with_categories=True), comment_ids)
    return {"confirmations": found,
            "confirmed_categories": {comment_threads.confirmation_category(i) for i in found}}


def _theme_tools(consultation: Consultation, comment_ids: list[int]) -> dict:
    """For moderators: the consultation's themes (for the one shared tagging form of the
    page) and the themes of the comments shown; nothing for others."""
    if not permissions.can_moderate(current_user):
        return {"themes": [], "tags": {}}
    themes = theme_services.themes_of(consultation.id)
    return {"themes": themes, "tags": theme_services.themes_by_comment(comment_ids) if themes else {}}


def render_thread_page(consultation: Consultation, root, comment_form: CommentForm | None = None,
                       reply_to: int | None = None, status: int = 200, kept_text: str | None = None):
    """Render one thread on its own page: the top-level comment, then a page of its
    replies (``REPLIES_PER_PAGE``) with numbered pages; arguments as
    :func:`render_consultation_page`, ``root`` being a visible top-level comment."""
    replies = comment_threads.reply_page(root, viewer=current_user, page=page_number(request.args.get("page")),
                                          per_page=current_app.config["REPLIES_PER_PAGE"])
    page_args = {"page": replies.page} if replies.page > 1 else {}
    g.page_path = url_for("consultations.thread", slug=consultation.slug, thread_id=root.id, **page_args)
    if comment_form is None:
        comment_form = CommentForm()
    if reply_to is not None and reply_to not in {c.id for c in replies.thread}:
        reply_to = None  # not on this page: keep the text above the thread, with the error
        kept_text = kept_text or comment_form.text.data
    return render_template(
        "comments/thread.html", consultation=consultation, replies=replies, threads=replies, thread=replies.thread,
        comment_form=comment_form, reply_to=reply_to, kept_text=kept_text,
        return_args={"traad": root.id, **page_args}, **_theme_tools(consultation, list(replies.by_id)),
        **_confirmations(replies.by_id),
    ), status


@bp.get("/hoeringer/<slug>/traad/<int(min=1, max=2147483647):thread_id>")
def thread(slug: str, thread_id: int):
    """A thread's own page: its top-level comment and all its replies, page by page
    (the consultation page shows only the first few of each thread)."""
    consultation = get_visible_or_404(slug)
    root = comment_threads.visible_thread_root(consultation, thread_id, current_user)
    if root is None:
        abort(404)
    return render_thread_page(consultation, root)


@bp.get("/hoeringer/<slug>")
def detail(slug: str):
    """The public consultation page with its threads; what anonymous readers see comes
    from the page cache (:mod:`hoering.consultations.pagecache`) when it is there, and so
    does a plain citizen's page, with their own parts filled in
    (:mod:`hoering.consultations.readercache`)."""
    if carries_a_login():
        # The page only reads: the user, the content head and their own rows outside a
        # transaction (two round trips fewer on PostgreSQL; see hoering/database.py).
        reads_in_autocommit()
    if current_user.is_authenticated:
        return readercache.reader_page(slug, get_visible_or_404, render_consultation_page)
    head = versions.content_head(slug)
    key = pagecache.anonymous_key(head) if head is not None else None
    if key is not None:
        html = pagecache.cached_page(key)
        if html is not None:
            return html
    consultation = get_visible_or_404(slug)
    if key is None or versions.head_of(consultation) != head:  # changed in between: not for this key
        return render_consultation_page(consultation)
    html, status = render_consultation_page(consultation)
    if status == 200:
        pagecache.keep_page(key, html)
    return html, status


#: Fields of the consultation form stored as they are typed (an empty text as "").
FORM_FIELDS = ("title", "summary", "body_markdown", "language", "responsible_unit", "moderation_mode", "hashtag",
               "political_body", "short_period_reason", "topic", "area")


def _form_data(form: ConsultationForm) -> services.ConsultationData:
    return services.ConsultationData(
        **{name: form[name].data or "" for name in FORM_FIELDS},
        slug=form.slug.data or None, questions=(form.questions.data or "").split("\n"),
        opens_at=oslo_to_utc(form.opens_at.data), closes_at=end_of_oslo_day(form.deadline.data),
        publish=form.publish.data, accepts_responses=form.accepts_responses.data,
        meeting_at=oslo_to_utc(form.meeting_at.data) if form.meeting_at.data else None,
    )


def _handle_form(form: ConsultationForm, consultation: Consultation | None):
    """Validate ``form`` and create or update; re-render with messages on failure."""

    def save():
        if consultation is None:
            return services.create_consultation(current_user, _form_data(form))
        return services.update_consultation(current_user, consultation, _form_data(form))

    saved, status = submit(form, save)
    if saved is not NOT_DONE:
        flash(_("The consultation has been saved."), "success")
        if services.is_short_period(saved) and not saved.short_period_reason:
            flash(services.short_period_warning(saved), "warning")
        return redirect(url_for("consultations.detail", slug=saved.slug), code=303)
    documents = document_services.documents_of(consultation.id) if consultation is not None else []
    return render_template("consultations/form.html", form=form, consultation=consultation,
                           documents=documents, document_title=session.pop(DOCUMENT_TITLE_KEY, "")), status


@bp.route("/saksbehandling/hoeringer/ny", methods=["GET", "POST"])
@permissions.requires(permissions.can_manage_consultations)
def create():
    """Case officers create a consultation."""
    return _handle_form(ConsultationForm(), None)


@bp.route("/saksbehandling/hoeringer/<slug>/rediger", methods=["GET", "POST"])
@permissions.requires(permissions.can_manage_consultations)
def edit(slug: str):
    """Case officers edit a consultation."""
    consultation = services.get_by_slug(slug)
    if consultation is None:
        abort(404)
    if request.method == "POST":  # a posted form stands on its own; missing fields are errors
        return _handle_form(ConsultationForm(), consultation)
    return _handle_form(stored_form(consultation), consultation)


def stored_form(consultation: Consultation) -> ConsultationForm:
    """The edit form filled in with what is stored (never with what a request posted: the
    upload form posts a ``title`` of its own)."""
    return ConsultationForm(formdata=None, data={
        **{name: getattr(consultation, name) for name in FORM_FIELDS}, "slug": consultation.slug,
        "questions": "\n".join(q.text for q in consultation.questions),
        "opens_at": to_oslo(consultation.opens_at).replace(tzinfo=None), "deadline": consultation.deadline,
        "publish": consultation.published_at is not None,
        "accepts_responses": consultation.accepts_responses,
        "meeting_at": to_oslo(consultation.meeting_at).replace(tzinfo=None) if consultation.meeting_at else None,
    })


@bp.route("/saksbehandling/hoeringer/<slug>/livslop", methods=["GET", "POST"])
@permissions.requires(permissions.can_manage_consultations)
def lifecycle(slug: str):
    """Case officers move a consultation on: extend the deadline, close early, record the
    decision, archive. A refused step comes back with what was typed (422)."""
    consultation = services.get_by_slug(slug)
    if consultation is None:
        abort(404)
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            _lifecycle_step(consultation, action)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            status = error.status
        else:
            flash(_LIFECYCLE_DONE.get(action, _("Saved.")), "success")
            return redirect(url_for("consultations.lifecycle", slug=slug), code=303)
    return render_template("consultations/lifecycle.html", consultation=consultation,
                           steps=lifecycle_services.refusals(consultation),
                           decision_item=meeting_services.decision_item_for(consultation.id),
                           history=lifecycle_services.history(consultation), form=request.form), status


_LIFECYCLE_DONE = {
    "extend": _l("The deadline has been moved; the page says why."),
    "close": _l("The consultation is closed; the page says why."),
    "decision": _l("The decision is shown on the consultation page."),
    "archive": _l("The consultation is archived: it is off the front page but can still be read."),
    "unarchive": _l("The consultation is back on the front page."),
    "feature": _l("The consultation is featured on the front page."),
    "unfeature": _l("The consultation is no longer featured."),
}


def _lifecycle_step(consultation: Consultation, action: str) -> None:
    form = request.form
    if action == "extend":
        day = date_arg(form.get("deadline"))
        if day is None:
            raise ValidationFailed(_l("Enter the new deadline as a date."))
        lifecycle_services.extend_deadline(consultation, current_user, day, form.get("reason", ""))
    elif action == "close":
        lifecycle_services.close_early(consultation, current_user, form.get("reason", ""))
    elif action == "decision":
        day = date_arg(form.get("decided_on"))
        if day is None:
            raise ValidationFailed(_l("Enter the date of the decision."))
        lifecycle_services.record_decision(consultation, current_user, form.get("decision_text", ""),
                                           form.get("decision_url", ""), day)
    elif action in ("archive", "unarchive"):
        lifecycle_services.set_archived(consultation, current_user, action == "archive")
    elif action == "feature":
        position = form.get("position", "").strip()
        if not (position.isascii() and position.isdigit() and len(position) < 4):
            raise ValidationFailed(_l("Enter the place on the front page as a number."))
        lifecycle_services.set_featured(consultation, current_user, int(position))
    elif action == "unfeature":
        lifecycle_services.set_featured(consultation, current_user, None)
    else:
        raise ValidationFailed(_l("Choose what to do."))


# --- documents ----------------------------------------------------------------------------------

#: Session key of the document title typed into a refused upload, shown once in the form again.
DOCUMENT_TITLE_KEY = "document_title"


#: Seconds a case officer or visitor is asked to wait when the document store does not answer.
STORAGE_RETRY_AFTER_SECONDS = 60


@bp.post(f"/saksbehandling/dokumenter/<int(min=1, max={MAX_ID}):document_id>/slett")
@permissions.requires(permissions.can_manage_consultations)
def delete_document(document_id: int):
    """Case officers detach a document."""
    document = db.session.get(Document, document_id)
    if document is None:
        abort(404)
    consultation = db.session.get(Consultation, document.consultation_id)
    title = document.title
    document_services.remove_document(document)
    flash(_("“%(title)s” is no longer attached.", title=title), "success")
    return redirect(url_for("consultations.edit", slug=consultation.slug) + "#dokumenter", code=303)


@bp.get(f"/dokumenter/<int(min=1, max={MAX_ID}):document_id>/<filename>")
def document(document_id: int, filename: str):
    """A document of a consultation the visitor may see, with headers that keep the
    browser from guessing its type or running anything in it."""
    found = db.session.get(Document, document_id)
    if found is None:
        abort(404)
    consultation = db.session.get(Consultation, found.consultation_id)
    if not permissions.can_view_consultation(current_user, consultation):
        abort(404)
    if filename != found.filename:
        return redirect(url_for("consultations.document", document_id=document_id, filename=found.filename), code=302)
    try:
        stored = document_services.open_document(found)
    except NotStored:
        abort(404)
    return stored_file_response(stored, mime=found.mime, filename=found.filename, content_hash=found.content_hash,
                                inline=found.mime in document_services.INLINE_TYPES,
                                private=consultation.published_at is None)


#: What a visitor is told when a document cannot be fetched from the store.
STORAGE_UNAVAILABLE_TITLE = _l("The document cannot be fetched just now")
STORAGE_UNAVAILABLE_MESSAGE = _l("The document storage does not answer just now. Try again in a few minutes.")


@bp.app_errorhandler(StorageError)
def storage_unavailable(error: StorageError):
    """503 with Retry-After (JSON for the API, else the error page) wherever the document
    store could not be used; an upload answers with its own form instead."""
    current_app.logger.error("document storage unavailable: %s", error)
    db.session.rollback()
    response = current_app.make_response(render_error(503, STORAGE_UNAVAILABLE_TITLE, STORAGE_UNAVAILABLE_MESSAGE,
                                                      code="storage_unavailable"))
    response.headers["Retry-After"] = str(STORAGE_RETRY_AFTER_SECONDS)
    return response
