"""Comment services: post, reply, edit, remove, support, and read a page of threads.

Threads follow DESIGN §3: a page of threads is read with one query, whatever the number of
comments in the consultation, and shows the first ``THREAD_REPLIES_SHOWN`` replies of each
thread (limited in SQL), so its cost does not depend on the size of the threads either; the
rest are on the thread's own page, ``REPLIES_PER_PAGE`` replies a page.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from hoering import permissions
from hoering.accounts.services import needs_email_verification, require_confirmed_email
from hoering.comments.models import PATH_SEGMENT_WIDTH, Comment, CommentState, Support
from hoering.consultations.models import Consultation, ModerationMode, Question, Status
from hoering.database import insert_unless_present
from hoering.events import CommentDeleted, CommentEdited, CommentPosted, CommentPublished, announce
from hoering.exceptions import PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.moderation.audit import record
from hoering.moderation.holds import automatic_holds
from hoering.moderation.models import ActionType, Report
from hoering.sanitize import comment_html, has_visible_text, normalize_text
from hoering.timeutil import utcnow

#: A second identical post by the same author within this many seconds returns the first.
DUPLICATE_WINDOW_SECONDS = 120
#: Sort orders of threads: newest first, oldest first, most supported first.
SORTS = ("newest", "oldest", "supported")
DEFAULT_SORT = "newest"

PUBLISHED = CommentState.PUBLISHED.value
#: States in which the author may still edit the text.
EDITABLE_STATES = (CommentState.PUBLISHED.value, CommentState.PENDING.value)
#: States shown as a placeholder when the comment has visible replies.
PLACEHOLDER_STATES = (CommentState.REMOVED.value, CommentState.HIDDEN.value)


def path_segment(comment_id: int) -> str:
    """The zero-padded id used in :attr:`Comment.path` (10 digits sort like integers)."""
    return str(comment_id).zfill(PATH_SEGMENT_WIDTH)


def check_text(text: str) -> str:
    """Normalize and validate comment text.

    Returns:
        The normalized text (line endings ``\\n``, no NUL, trimmed).

    Raises:
        ValidationFailed: empty, or longer than ``COMMENT_MAX_LENGTH`` characters
            (default 4,000).
    """
    text = normalize_text(text or "")
    if not has_visible_text(text):
        raise ValidationFailed(_l("Write something before you send."))
    limit = current_app.config["COMMENT_MAX_LENGTH"]
    if len(text) > limit:
        raise ValidationFailed(
            _l("The comment is %(length)d characters long; the limit is %(max)d. Shorten it and send again.",
               length=len(text), max=limit)
        )
    return text


def closed_message(consultation: Consultation, now: dt.datetime | None = None):
    """Why comments are not accepted on ``consultation`` now (a lazy string)."""
    status = consultation.status(now)
    if status == Status.UPCOMING:
        return _l("This consultation has not opened yet. You can comment when it opens.")
    if status == Status.DRAFT:
        return _l("This consultation is not published.")
    return _l("This consultation is closed. Comments are no longer accepted.")


def place_in_thread(comment: Comment, parent: Comment | None, max_depth: int) -> None:
    """Set ``thread_id``, ``depth`` and ``path`` of a flushed ``comment`` (it has an id).

    A reply to a comment at ``max_depth`` is shown at ``max_depth`` too, after its parent's
    siblings' replies in time order, and names whom it answers (DESIGN §3).
    """
    segment = path_segment(comment.id)
    if parent is None:
        comment.thread_id, comment.depth, comment.path = comment.id, 0, segment
    elif parent.depth < max_depth:
        comment.thread_id, comment.depth, comment.path = parent.thread_id, parent.depth + 1, f"{parent.path}.{segment}"
    else:
        prefix = parent.path.rsplit(".", 1)[0]
        comment.thread_id, comment.depth, comment.path = parent.thread_id, parent.depth, f"{prefix}.{segment}"


def _earlier_submission(author, submission_token: str | None) -> Comment | None:
    """The comment ``author`` stored from the form with ``submission_token``, if any."""
    if submission_token is None:
        return None
    return db.session.scalar(sa.select(Comment).where(Comment.author_id == author.id,
                                                      Comment.submission_token == submission_token))


def _is_same_submission(earlier: Comment, consultation: Consultation, parent_id: int | None, text: str) -> bool:
    """True if ``earlier`` (stored with the same form key) holds what is posted now. A
    browser may restore a used form, key and all, for new text: that is a new submission."""
    return (earlier.consultation_id, earlier.parent_id, earlier.body_text) == (consultation.id, parent_id, text)


def post_comment(consultation: Consultation, author, text: str, parent_id: int | None = None,
                 question_id: int | None = None, now: dt.datetime | None = None, official: bool = False,
                 consent: bool = False, submission_token: str | None = None) -> Comment:
    """Post and commit a top-level comment, or a reply when ``parent_id`` is given.

    Exactly one comment per submission: ``submission_token`` is the random key of the
    form (:func:`hoering.comments.forms.new_submission_token`), stored with the comment
    under a unique constraint per author. The same form sent again, or several times at
    once (a double click, a resend, several tabs), stores nothing more and returns the
    comment the first sending stored. Without a key (an older form), and for another form
    with the same text, the same text from the same author in the same place within
    ``DUPLICATE_WINDOW_SECONDS`` returns the earlier comment too.

    Under pre-moderation the comment is ``pending`` until a moderator approves it. With
    ``official`` a case officer or moderator answers on behalf of the municipality: the
    comment carries the consultation's responsible unit (or the site owner) and is
    published at once.

    At a user's first comment ``consent`` must be given: that their display name and text
    are published (GDPR art. 6 and 7); it is recorded and not asked again. A comment by a
    user whose e-mail address is not verified yet is ``pending`` and out of the moderation
    queue until it is (:func:`release_comments_awaiting_email`).

    Raises:
        PermissionDenied: not logged in, the consultation is not open, or ``official``
            from someone who may not answer for the municipality.
        ValidationFailed: empty or too long text; a parent that is not a published comment
            of this consultation; a question of another consultation.
    """
    now = now or utcnow()
    if not permissions.is_logged_in(author):
        raise PermissionDenied(_l("Log in to comment."))
    earlier = _earlier_submission(author, submission_token)
    if earlier is not None:
        if _is_same_submission(earlier, consultation, parent_id, normalize_text(text or "")):
            return earlier  # this form was sent before: answer as then
        submission_token = None
    if not permissions.can_comment(author, consultation, now):
        raise PermissionDenied(closed_message(consultation, now))
    text = check_text(text)
    if getattr(author, "publication_consent_at", True) is None and not consent:
        raise ValidationFailed(_l("Tick that you agree to your display name and comment being published."),
                               field="consent")
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.consultation_id != consultation.id or parent.state != PUBLISHED:
            raise ValidationFailed(_l("The comment you are replying to is no longer available."))
        root = parent if parent.parent_id is None else db.session.get(Comment, parent.thread_id)
        if not permissions.can_reply(author, consultation, root):
            raise PermissionDenied(_l("A moderator has locked this thread. You can still comment on the consultation."))
        question_id = None
    if question_id is not None:
        question = db.session.get(Question, question_id)
        if question is None or question.consultation_id != consultation.id:
            raise ValidationFailed(_l("Choose one of this consultation's questions."))
    duplicate = db.session.scalar(
        sa.select(Comment).where(
            Comment.consultation_id == consultation.id, Comment.author_id == author.id,
            Comment.parent_id.is_(None) if parent_id is None else Comment.parent_id == parent_id,
            Comment.body_text == text, Comment.created_at >= now - dt.timedelta(seconds=DUPLICATE_WINDOW_SECONDS),
        ).limit(1)
    )
    if duplicate is not None:  # a double click or a resent form: keep one comment
        return duplicate
    if official and not permissions.can_reply_officially(author):
        raise PermissionDenied(_l("Only case officers and moderators can answer on behalf of the municipality."))
    awaiting_email = not official and needs_email_verification(author)
    holds = [] if official or awaiting_email else automatic_holds(text, author, consultation.id)
    pre_moderated = consultation.moderation_mode == ModerationMode.PRE.value and not official
    state = CommentState.PENDING if pre_moderated or holds or awaiting_email else CommentState.PUBLISHED
    comment = Comment(
        consultation_id=consultation.id, author_id=author.id, parent_id=parent_id, question_id=question_id,
        state=state.value, body_text=text, body_html=comment_html(text), created_at=now,
        official_unit=(consultation.responsible_unit or current_app.config["SITE_OWNER"]) if official else "",
        submission_token=submission_token,
    )
    db.session.add(comment)
    if getattr(author, "publication_consent_at", True) is None:
        author.publication_consent_at = now
    try:
        db.session.flush()
    except IntegrityError:
        # The same form, sent at the same moment, was stored by a parallel request (on
        # PostgreSQL this insert waited for it to commit). Nothing of this one is kept.
        db.session.rollback()
        earlier = _earlier_submission(author, submission_token)
        if earlier is None:
            raise
        if _is_same_submission(earlier, consultation, parent_id, text):
            return earlier
        # The key was taken at the same moment by other text from a restored form: this
        # text is a submission of its own.
        return post_comment(consultation, author, text, parent_id=parent_id, question_id=question_id, now=now,
                            official=official, consent=consent)
    place_in_thread(comment, parent, current_app.config["MAX_REPLY_DEPTH"])
    if holds and not pre_moderated:
        record(ActionType.AUTO_HOLD, comment=comment, reason=holds[0], note=", ".join(holds),
               after=CommentState.PENDING.value, automatic=True, at=now)
    announce(CommentPosted(comment.id, comment.consultation_id, comment.author_id, comment.state))
    db.session.commit()
    return comment


def _no_longer_publishable(comment: Comment, author) -> bool:
    """True if what allowed ``comment`` when it was posted has changed since: the author is
    banned, its thread locked, or the comment it answers is no longer published."""
    if permissions.is_banned(author) or not comment.consultation.published_at:
        return True
    if comment.parent_id is None:
        return False
    parent = db.session.get(Comment, comment.parent_id)
    root = db.session.get(Comment, comment.thread_id) if comment.thread_id else None
    return parent is None or parent.state != PUBLISHED or (root is not None and root.locked_at is not None)


def release_comments_awaiting_email(author, now: dt.datetime | None = None) -> int:
    """The author's e-mail address has just been verified: each comment that waited for
    it now goes through the checks a new comment goes through (pre-moderation, automatic
    holds) and is published or enters the moderation queue. A comment whose situation
    changed meanwhile (the author banned, the thread locked, the answered comment gone)
    enters the queue too. No commit (the caller's transaction). Returns how many were
    published.
    """
    waiting = list(db.session.scalars(sa.select(Comment).where(
        Comment.author_id == author.id, Comment.state == CommentState.PENDING.value).order_by(Comment.id)))
    published = 0
    now = now or utcnow()
    for comment in waiting:
        consultation = comment.consultation
        if consultation.moderation_mode == ModerationMode.PRE.value or _no_longer_publishable(comment, author):
            continue  # a moderator decides, in the queue
        holds = automatic_holds(comment.body_text, author, consultation.id,
                                exclude_ids=[c.id for c in waiting])
        if holds:
            record(ActionType.AUTO_HOLD, comment=comment, reason=holds[0], note=", ".join(holds),
                   after=CommentState.PENDING.value, automatic=True, at=now)
            continue
        comment.state = CommentState.PUBLISHED.value
        announce(CommentPublished(comment.id, comment.consultation_id))
        published += 1
    return published


def edit_comment(comment: Comment, user, text: str, now: dt.datetime | None = None) -> Comment:
    """Replace the text of one's own comment within the edit window; marks it edited.

    Raises:
        PermissionDenied: not the author, the window (``COMMENT_EDIT_WINDOW_SECONDS``) has
            passed, or the consultation has closed.
        ValidationFailed: empty or too long text.
    """
    now = now or utcnow()
    if not permissions.can_edit_comment(user, comment, now):
        raise PermissionDenied(_l("This comment can no longer be edited."))
    text = check_text(text)
    if text != comment.body_text:
        # Every edit counts as a new version, so a moderator who looked at the old text
        # cannot approve the new one unseen.
        values = {"body_text": text, "body_html": comment_html(text), "edited_at": now,
                  "moderation_version": Comment.moderation_version + 1}
        holds = [rule for rule in automatic_holds(text, user, comment.consultation_id) if rule != "first_comment"]
        if comment.consultation.moderation_mode == ModerationMode.PRE.value:
            holds = ["pre_moderation", *holds]  # an approved text, once changed, needs approval again
        held = bool(holds) and comment.state == PUBLISHED
        if held:  # an edit may not slip past the rules a new comment meets
            values["state"] = CommentState.PENDING.value
        # Conditional on the state, so an edit racing a removal cannot bring text back.
        updated = db.session.execute(
            sa.update(Comment)
            .where(Comment.id == comment.id, Comment.state == comment.state, Comment.state.in_(EDITABLE_STATES))
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if updated != 1:
            db.session.rollback()
            raise PermissionDenied(_l("This comment can no longer be edited."))
        if held:
            record(ActionType.AUTO_HOLD, comment=comment, reason=holds[0], note=", ".join(holds),
                   before=PUBLISHED, after=CommentState.PENDING.value, automatic=True, at=now)
        announce(CommentEdited(comment.id, comment.consultation_id))
    db.session.commit()
    db.session.refresh(comment)
    return comment


def remove_comment(comment: Comment, user, now: dt.datetime | None = None) -> Comment:
    """The author removes their comment: the text is blanked, replies stay under a placeholder.

    Raises:
        PermissionDenied: not the author, or already removed.
    """
    if not permissions.can_remove_comment(user, comment):
        raise PermissionDenied(_l("You cannot remove this comment."))
    now = now or utcnow()
    before = comment.state
    updated = db.session.execute(
        sa.update(Comment).where(Comment.id == comment.id, Comment.state == before)
        .values(state=CommentState.REMOVED.value, body_text="", body_html="", removed_at=now,
                moderation_version=Comment.moderation_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if updated != 1:
        db.session.rollback()
        raise PermissionDenied(_l("You cannot remove this comment."))
    record(ActionType.AUTHOR_REMOVE, actor=user, comment=comment, before=before,
           after=CommentState.REMOVED.value, at=now)
    announce(CommentDeleted(comment.id, comment.consultation_id))
    db.session.execute(  # nothing is left to judge: close the reports
        sa.update(Report).where(Report.comment_id == comment.id, Report.resolved_at.is_(None))
        .values(resolved_at=now, resolution="author_removed").execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(comment)
    return comment


def set_support(comment: Comment, user, supported: bool, now: dt.datetime | None = None) -> bool:
    """Support ("enig") a comment, or take the support back. Idempotent.

    Args:
        supported: the wanted state.

    Returns:
        Whether ``user`` supports ``comment`` afterwards.

    Raises:
        PermissionDenied: not logged in, own comment, comment not published,
            consultation not open, or e-mail address not confirmed.
    """
    if not permissions.can_support_comment(user, comment, now):
        raise PermissionDenied(_l("You cannot support this comment."))
    require_confirmed_email(user)
    # The count changes only when this request really inserted or deleted the row, in
    # the same transaction, so parallel clicks (several tabs) cannot count twice and the
    # count always equals the rows.
    if supported:
        if not insert_unless_present(Support, {"comment_id": comment.id, "user_id": user.id},
                                     unique=("comment_id", "user_id")):
            db.session.rollback()  # supported already (or by a parallel request)
            return True
        delta = 1
    else:
        deleted = db.session.execute(
            sa.delete(Support).where(Support.comment_id == comment.id, Support.user_id == user.id)
        ).rowcount
        if deleted != 1:
            db.session.rollback()
            return False
        delta = -1
    db.session.execute(
        sa.update(Comment).where(Comment.id == comment.id).values(support_count=Comment.support_count + delta)
    )
    db.session.commit()
    return supported


class _PageNumbers:
    """Page arithmetic shared by pages of threads and of replies: ``per_page`` items a
    page, ``page`` 1-based, out of :attr:`item_total` items."""

    page: int
    per_page: int
    #: How many items there are in all (each page type says which of its fields that is).
    item_total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1, also with nothing to show)."""
        return max(1, math.ceil(self.item_total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass
class ThreadPage(_PageNumbers):
    """One page of threads.

    ``threads`` holds, per thread, its comments in reading order: the top-level comment
    first, then its first replies ordered by ``path`` (at most ``replies_shown``).
    Removed and hidden comments are kept only as placeholders for visible replies.
    """

    threads: list[list[Comment]]
    page: int
    per_page: int
    total_threads: int
    sort: str
    supported_ids: set[int] = field(default_factory=set)
    #: Comments on the page the viewer has already reported.
    reported_ids: set[int] = field(default_factory=set)
    #: Replies the viewer would see on each thread's own page, by thread id (the
    #: top-level comment's id), shown here or not.
    reply_counts: dict[int, int] = field(default_factory=dict)

    @property
    def by_id(self) -> dict[int, Comment]:
        """Every comment on the page by id (to name whom a reply answers without a query)."""
        return {c.id: c for thread in self.threads for c in thread}

    @property
    def item_total(self) -> int:
        return self.total_threads

    def more_replies(self, thread: list[Comment]) -> int:
        """How many replies of ``thread`` are not shown on this page (0 if none)."""
        return max(0, self.reply_counts.get(thread[0].id, 0) - (len(thread) - 1))


def _text_clause(model, viewer):
    """SQL condition: comments ``viewer`` sees with their text (published, own pending)."""
    clause = model.state == PUBLISHED
    if permissions.is_logged_in(viewer):
        clause = sa.or_(clause, sa.and_(model.state == CommentState.PENDING.value, model.author_id == viewer.id))
    return clause


def _shown_clause(thread_ids, viewer):
    """SQL condition on ``Comment``: shown to ``viewer`` in the threads ``thread_ids`` (a
    list or a select of top-level ids): with its text, or as the placeholder of a removed
    or hidden comment that has such a comment below it (through its chain of parents).

    The placeholders are found by a recursive query that starts from those with a shown
    direct reply and climbs through placeholder parents, so its cost grows with the number
    of placeholders, not of replies.
    """
    placeholder, child, above = aliased(Comment), aliased(Comment), aliased(Comment)
    needed = (
        sa.select(placeholder.id.label("id"), placeholder.parent_id.label("parent_id"))
        .where(placeholder.thread_id.in_(thread_ids), placeholder.state.in_(PLACEHOLDER_STATES),
               sa.exists(sa.select(child.id).where(child.parent_id == placeholder.id, _text_clause(child, viewer))))
        .cte("needed_placeholders", recursive=True)
    )
    needed = needed.union(
        sa.select(above.id, above.parent_id).join(needed, above.id == needed.c.parent_id)
        .where(above.state.in_(PLACEHOLDER_STATES))
    )
    return sa.or_(_text_clause(Comment, viewer), Comment.id.in_(sa.select(needed.c.id)))


def _top_level_clause(consultation_id: int, viewer):
    """SQL condition for the top-level comments (threads) a viewer sees."""
    reply = aliased(Comment)
    has_visible_reply = sa.exists(
        sa.select(reply.id).where(reply.thread_id == Comment.id, reply.id != Comment.id, reply.state == PUBLISHED)
    )
    shown = sa.or_(Comment.state == PUBLISHED, sa.and_(Comment.state.in_(PLACEHOLDER_STATES), has_visible_reply))
    if permissions.is_logged_in(viewer):
        shown = sa.or_(shown, sa.and_(Comment.state == CommentState.PENDING.value, Comment.author_id == viewer.id))
    return sa.and_(Comment.consultation_id == consultation_id, Comment.parent_id.is_(None), shown)


def _sort_columns(columns, sort: str) -> list:
    if sort == "oldest":
        return [columns.created_at.asc(), columns.id.asc()]
    if sort == "supported":
        return [columns.support_count.desc(), columns.created_at.desc(), columns.id.desc()]
    return [columns.created_at.desc(), columns.id.desc()]


def _viewer_marks(viewer, ids: list[int]) -> tuple[set[int], set[int]]:
    """The comments among ``ids`` that ``viewer`` supports and has reported (two queries,
    none for an anonymous viewer)."""
    if not permissions.is_logged_in(viewer) or not ids:
        return set(), set()
    supported = set(db.session.scalars(
        sa.select(Support.comment_id).where(Support.user_id == viewer.id, Support.comment_id.in_(ids))))
    reported = set(db.session.scalars(
        sa.select(Report.comment_id).where(Report.reporter_id == viewer.id, Report.comment_id.in_(ids))))
    return supported, reported


def thread_page(consultation: Consultation, viewer=None, sort: str = DEFAULT_SORT, page: int = 1,
                per_page: int = 20, replies_shown: int = 5) -> ThreadPage:
    """Read one page of threads, each with its first replies.

    Args:
        viewer: the current user (anonymous allowed); they also see their own pending comments.
        sort: one of :data:`SORTS`; anything else means the default.
        page: 1-based page number; out-of-range values are clamped.
        per_page: threads per page.
        replies_shown: replies per thread, the first in reading order (``THREAD_REPLIES_SHOWN``);
            the limit is applied in SQL (``row_number()`` per thread), so a page costs the
            same however long its threads are (DESIGN §3, §5).

    Returns:
        A :class:`ThreadPage` with each thread's number of replies. Queries: one count,
        one for the comments of the page, and (for a logged-in viewer) two for their
        supports and reports.
    """
    sort = sort if sort in SORTS else DEFAULT_SORT
    top_clause = _top_level_clause(consultation.id, viewer)
    total = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(top_clause)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page or 1), pages)
    top = (
        sa.select(Comment.id, Comment.created_at, Comment.support_count)
        .where(top_clause)
        .order_by(*_sort_columns(Comment, sort))
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("top")
    )
    shown = (
        sa.select(
            Comment.id.label("comment_id"),
            top.c.id.label("id"), top.c.created_at.label("created_at"), top.c.support_count.label("support_count"),
            sa.func.row_number().over(partition_by=Comment.thread_id, order_by=Comment.path).label("position"),
            sa.func.count().over(partition_by=Comment.thread_id).label("thread_size"),
        )
        .join(top, Comment.thread_id == top.c.id)
        .where(_shown_clause(sa.select(top.c.id), viewer))
        .subquery("shown")
    )
    rows = db.session.execute(
        sa.select(Comment, shown.c.thread_size)
        .join(shown, shown.c.comment_id == Comment.id)
        .where(shown.c.position <= replies_shown + 1)
        .order_by(*_sort_columns(shown.c, sort), Comment.path)
    ).all()
    threads = [thread for thread in _group_threads([comment for comment, _size in rows])
               if thread[0].parent_id is None]  # a placeholder with nothing left below it is no thread
    reply_counts = {comment.thread_id: size - 1 for comment, size in rows}
    supported, reported = _viewer_marks(viewer, [comment.id for comment, _size in rows])
    return ThreadPage(threads=threads, page=page, per_page=per_page, total_threads=total, sort=sort,
                      supported_ids=supported, reported_ids=reported, reply_counts=reply_counts)


def _group_threads(rows: list[Comment]) -> list[list[Comment]]:
    threads: list[list[Comment]] = []
    for comment in rows:
        if not threads or threads[-1][0].thread_id != comment.thread_id:
            threads.append([])
        threads[-1].append(comment)
    return threads


@dataclass
class ReplyPage(_PageNumbers):
    """One page of a thread's replies, for the thread's own page: the top-level comment
    (``root``) heads every page, then ``per_page`` replies in reading order."""

    root: Comment
    replies: list[Comment]
    page: int
    per_page: int
    total_replies: int
    supported_ids: set[int] = field(default_factory=set)
    reported_ids: set[int] = field(default_factory=set)
    #: Comments answered by replies on this page that are on an earlier page (to name
    #: whom those replies answer).
    answered: dict[int, Comment] = field(default_factory=dict)
    sort: str = DEFAULT_SORT

    @property
    def thread(self) -> list[Comment]:
        """The comments of this page in reading order, the top-level comment first."""
        return [self.root, *self.replies]

    @property
    def by_id(self) -> dict[int, Comment]:
        """The comments of this page and those its replies answer, by id."""
        return {**self.answered, **{c.id: c for c in self.thread}}

    @property
    def item_total(self) -> int:
        return self.total_replies


def visible_thread_root(consultation: Consultation, thread_id: int, viewer=None) -> Comment | None:
    """The top-level comment ``thread_id`` of ``consultation`` if ``viewer`` sees its
    thread (as the consultation page would list it), else ``None``."""
    return db.session.scalar(sa.select(Comment).where(
        Comment.id == thread_id, _top_level_clause(consultation.id, viewer)))


def reply_page(root: Comment, viewer=None, page: int = 1, per_page: int = 50) -> ReplyPage:
    """Read one page of the replies of the thread whose top-level comment is ``root``.

    Args:
        root: a top-level comment the viewer may see (:func:`visible_thread_root`).
        viewer: the current user; they also see their own pending replies.
        page: 1-based; out-of-range values are clamped.
        per_page: replies per page (``REPLIES_PER_PAGE``).

    Returns:
        A :class:`ReplyPage`. Queries: one count, one for the page, one for the comments
        answered on earlier pages, and for a logged-in viewer two for their marks.
    """
    shown = sa.and_(Comment.thread_id == root.id, Comment.id != root.id, _shown_clause([root.id], viewer))
    total = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(shown)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page or 1), pages)
    replies = list(db.session.scalars(
        sa.select(Comment).where(shown).order_by(Comment.path).limit(per_page).offset((page - 1) * per_page)))
    on_page = {root.id, *(c.id for c in replies)}
    missing = {c.parent_id for c in replies if c.parent_id not in on_page}
    answered = {c.id: c for c in db.session.scalars(sa.select(Comment).where(Comment.id.in_(missing)))} \
        if missing else {}
    supported, reported = _viewer_marks(viewer, list(on_page))
    return ReplyPage(root=root, replies=replies, page=page, per_page=per_page, total_replies=total,
                     supported_ids=supported, reported_ids=reported, answered=answered)


def reply_position(comment: Comment, viewer=None) -> int | None:
    """The 0-based place of reply ``comment`` among the replies ``viewer`` sees in its
    thread, in reading order (``None`` for a top-level comment)."""
    if comment.parent_id is None or comment.thread_id is None:
        return None
    return db.session.scalar(sa.select(sa.func.count(Comment.id)).where(
        Comment.thread_id == comment.thread_id, Comment.id != comment.thread_id, Comment.path < comment.path,
        _shown_clause([comment.thread_id], viewer))) or 0


def thread_position(comment: Comment, viewer=None, sort: str = DEFAULT_SORT, per_page: int = 20) -> int:
    """The 1-based page on which ``comment``'s thread appears in ``sort`` order (newest by default)."""
    thread = db.session.get(Comment, comment.thread_id) or comment
    clause = _top_level_clause(comment.consultation_id, viewer)
    if sort == "oldest":
        before = sa.or_(Comment.created_at < thread.created_at,
                        sa.and_(Comment.created_at == thread.created_at, Comment.id < thread.id))
    else:
        before = sa.or_(Comment.created_at > thread.created_at,
                        sa.and_(Comment.created_at == thread.created_at, Comment.id > thread.id))
    count = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(clause, before)) or 0
    return count // per_page + 1


def comments_by_author(author_id: int, limit: int = 100) -> list[Comment]:
    """An author's newest comments in every state, with their consultations (one query)."""
    return list(db.session.scalars(
        sa.select(Comment).where(Comment.author_id == author_id).options(joinedload(Comment.consultation))
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)))
