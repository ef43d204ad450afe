"""Reading comments: a page of threads, a thread's own page of replies, where a comment
stands in them, and an author's comments.

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
from sqlalchemy.orm import aliased, joinedload

from hoering import permissions
from hoering.comments.models import Comment, CommentState, Support
from hoering.comments.services import PUBLISHED
from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.moderation.models import Report
from hoering.stances import Stance

#: Sort orders of threads: newest first, oldest first, most supported first.
SORTS = ("newest", "oldest", "supported")
DEFAULT_SORT = "newest"

#: States shown as a placeholder when the comment has visible replies.
PLACEHOLDER_STATES = (CommentState.REMOVED.value, CommentState.HIDDEN.value)


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


@dataclass(frozen=True)
class ThreadKey:
    """Where a thread stands in every sort order: its top-level comment's id, time and
    support count. Reading the threads after a key (instead of after a number of threads)
    gives the same next threads however many new ones arrive in front."""

    id: int
    created_at: dt.datetime
    support_count: int

    @classmethod
    def of(cls, comment: Comment) -> ThreadKey:
        """The key of the thread whose top-level comment is ``comment``."""
        return cls(id=comment.id, created_at=comment.created_at, support_count=comment.support_count)


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
    #: Comments on the page the viewer agrees with.
    supported_ids: set[int] = field(default_factory=set)
    #: Comments on the page the viewer has already reported.
    reported_ids: set[int] = field(default_factory=set)
    #: Comments on the page the viewer disagrees with.
    disagreed_ids: set[int] = field(default_factory=set)
    #: Replies the viewer would see on each thread's own page, by thread id (the
    #: top-level comment's id), shown here or not.
    reply_counts: dict[int, int] = field(default_factory=dict)
    #: Read after a :class:`ThreadKey`: whether more threads follow this page.
    has_more: bool = False

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


def _after_clause(columns, sort: str, key: ThreadKey):
    """SQL condition: the thread of ``columns`` comes after ``key`` in ``sort`` order."""
    if sort == "oldest":
        return sa.or_(columns.created_at > key.created_at,
                      sa.and_(columns.created_at == key.created_at, columns.id > key.id))
    later = sa.or_(columns.created_at < key.created_at,
                   sa.and_(columns.created_at == key.created_at, columns.id < key.id))
    if sort == "supported":
        return sa.or_(columns.support_count < key.support_count,
                      sa.and_(columns.support_count == key.support_count, later))
    return later


def _viewer_marks(viewer, ids: list[int]) -> tuple[set[int], set[int], set[int]]:
    """The comments among ``ids`` that ``viewer`` agrees with, has reported and disagrees
    with (two queries, none for an anonymous viewer)."""
    if not permissions.is_logged_in(viewer) or not ids:
        return set(), set(), set()
    supported, disagreed = set(), set()
    for comment_id, stance in db.session.execute(
            sa.select(Support.comment_id, Support.stance).where(Support.user_id == viewer.id,
                                                                Support.comment_id.in_(ids))):
        (disagreed if stance == Stance.DISAGREE.value else supported).add(comment_id)
    reported = set(db.session.scalars(
        sa.select(Report.comment_id).where(Report.reporter_id == viewer.id, Report.comment_id.in_(ids))))
    return supported, reported, disagreed


def count_threads(consultation: Consultation) -> int:
    """How many threads every reader sees (an anonymous reader's :attr:`ThreadPage.total_threads`)."""
    return db.session.scalar(sa.select(sa.func.count(Comment.id)).where(
        _top_level_clause(consultation.id, None))) or 0


def _own_waiting_threads(consultation: Consultation, viewer) -> int:
    """How many threads only ``viewer`` sees: their own pending top-level comments."""
    if not permissions.is_logged_in(viewer):
        return 0
    return db.session.scalar(sa.select(sa.func.count(Comment.id)).where(
        Comment.author_id == viewer.id, Comment.consultation_id == consultation.id, Comment.parent_id.is_(None),
        Comment.state == CommentState.PENDING.value)) or 0


def thread_page(consultation: Consultation, viewer=None, sort: str = DEFAULT_SORT, page: int = 1,
                per_page: int = 20, replies_shown: int = 5, after: ThreadKey | None = None,
                public_threads: int | None = None) -> ThreadPage:
    """Read one page of threads, each with its first replies.

    Args:
        viewer: the current user (anonymous allowed); they also see their own pending comments.
        sort: one of :data:`SORTS`; anything else means the default.
        page: 1-based page number; out-of-range values are clamped.
        per_page: threads per page.
        replies_shown: replies per thread, the first in reading order (``THREAD_REPLIES_SHOWN``);
            the limit is applied in SQL (``row_number()`` per thread), so a page costs the
            same however long its threads are (DESIGN §3, §5).

        public_threads: :func:`count_threads` when the caller has it (cached per content
            version): the count over every thread is then not made again; a logged-in
            viewer's own pending threads are added with a count over their own comments.

    Returns:
        A :class:`ThreadPage` with each thread's number of replies. Queries: one count
        (over the viewer's own comments only, or none for an anonymous viewer, when
        ``public_threads`` is given), one for the comments of the page, and (for a
        logged-in viewer) two for their supports and reports.
    """
    sort = sort if sort in SORTS else DEFAULT_SORT
    top_clause = _top_level_clause(consultation.id, viewer)
    if public_threads is None:
        total = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(top_clause)) or 0
    else:
        total = public_threads + _own_waiting_threads(consultation, viewer)
    pages = max(1, math.ceil(total / per_page))
    top = (sa.select(Comment.id, Comment.created_at, Comment.support_count)
           .where(top_clause).order_by(*_sort_columns(Comment, sort)))
    if after is None:
        page = min(max(1, page or 1), pages)
        top = top.limit(per_page).offset((page - 1) * per_page).subquery("top")
    else:
        # One thread more than the page: whether it exists says if more follow.
        page = 0
        top = top.where(_after_clause(Comment, sort, after)).limit(per_page + 1).subquery("top")
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
    has_more = after is not None and len(threads) > per_page
    if has_more:
        rows = [(comment, size) for comment, size in rows if comment.thread_id != threads[-1][0].id]
        threads = threads[:per_page]
    reply_counts = {comment.thread_id: size - 1 for comment, size in rows}
    supported, reported, disagreed = _viewer_marks(viewer, [comment.id for comment, _size in rows])
    return ThreadPage(threads=threads, page=page, per_page=per_page, total_threads=total, sort=sort,
                      supported_ids=supported, reported_ids=reported, disagreed_ids=disagreed,
                      reply_counts=reply_counts, has_more=has_more)


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
    disagreed_ids: set[int] = field(default_factory=set)
    #: Comments answered by replies on this page that are on an earlier page (to name
    #: whom those replies answer).
    answered: dict[int, Comment] = field(default_factory=dict)
    sort: str = DEFAULT_SORT
    #: Read after a reply's ``path``: whether more replies follow this page.
    has_more: bool = False

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


def reply_page(root: Comment, viewer=None, page: int = 1, per_page: int = 50,
               after_path: str | None = None) -> ReplyPage:
    """Read one page of the replies of the thread whose top-level comment is ``root``.

    Args:
        root: a top-level comment the viewer may see (:func:`visible_thread_root`).
        viewer: the current user; they also see their own pending replies.
        page: 1-based; out-of-range values are clamped.
        per_page: replies per page (``REPLIES_PER_PAGE``).
        after_path: read the ``per_page`` replies that follow the reply with this ``path``
            in reading order instead of page ``page`` (the page's ``page`` is then 0 and
            ``has_more`` says whether more follow); new replies before it do not move them.

    Returns:
        A :class:`ReplyPage`. Queries: one count, one for the page, one for the comments
        answered on earlier pages, and for a logged-in viewer two for their marks.
    """
    shown = sa.and_(Comment.thread_id == root.id, Comment.id != root.id, _shown_clause([root.id], viewer))
    total = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(shown)) or 0
    pages = max(1, math.ceil(total / per_page))
    query = sa.select(Comment).where(shown).order_by(Comment.path)
    has_more = False
    if after_path is None:
        page = min(max(1, page or 1), pages)
        replies = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    else:
        page = 0
        replies = list(db.session.scalars(query.where(Comment.path > after_path).limit(per_page + 1)))
        has_more = len(replies) > per_page
        replies = replies[:per_page]
    on_page = {root.id, *(c.id for c in replies)}
    missing = {c.parent_id for c in replies if c.parent_id not in on_page}
    answered = {c.id: c for c in db.session.scalars(sa.select(Comment).where(Comment.id.in_(missing)))} \
        if missing else {}
    supported, reported, disagreed = _viewer_marks(viewer, list(on_page))
    return ReplyPage(root=root, replies=replies, page=page, per_page=per_page, total_replies=total,
                     supported_ids=supported, reported_ids=reported, disagreed_ids=disagreed, answered=answered,
                     has_more=has_more)


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


#: The flash category of the confirmation of a comment just posted or edited, shown next to
#: the comment rather than at the top of the page: the prefix and the comment's id.
CONFIRMATION_PREFIX = "comment-posted-"


def confirmation_category(comment_id: int) -> str:
    """The flash category that puts a confirmation next to comment ``comment_id``."""
    return f"{CONFIRMATION_PREFIX}{int(comment_id)}"


def confirmations(flashed: list[tuple[str, str]], comment_ids) -> dict[int, str]:
    """The confirmations among ``flashed`` (``(category, message)`` pairs, as Flask's
    ``get_flashed_messages(with_categories=True)``) that belong to comments among
    ``comment_ids`` (those on the page), by comment id; others stay at the top of the page."""
    found = {}
    shown = set(comment_ids)
    for category, message in flashed:
        if category.startswith(CONFIRMATION_PREFIX) and category[len(CONFIRMATION_PREFIX):].isdigit():
            comment_id = int(category[len(CONFIRMATION_PREFIX):])
            if comment_id in shown:
                found[comment_id] = message
    return found


def comments_by_author(author_id: int, limit: int = 100) -> list[Comment]:
    """An author's newest comments in every state, with their consultations (one query)."""
    return list(db.session.scalars(
        sa.select(Comment).where(Comment.author_id == author_id).options(joinedload(Comment.consultation))
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)))
