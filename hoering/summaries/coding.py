"""The moderators' analysis of a consultation's published comments: how far it has come,
the lists to work from, marking comments "read, no theme" ("lest, uten tema"), tagging
every comment a filter or a search finds, and the next comment to analyse.

A published comment is *analysed* when it has a theme or a "read, no theme" mark
(:class:`~hoering.summaries.models.ReadWithoutTheme`); tagging a comment takes its mark
away, so it is then simply tagged. Like a tag, a mark records who set it and when; that is
the record of the analysis (the moderation audit log records changes of state, not tags).

Who may do what is checked by the views (:mod:`hoering.permissions`); these functions
check that the objects belong together (a theme and the comments it tags are of the same
consultation; only published comments are marked). Marks are the moderators' working data
and are never shown to readers, so they raise no content version; new tags do
(:mod:`hoering.consultations.versions`: a quote under a theme is shown while its comment
has the theme).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from hoering.comments.models import Comment, CommentState
from hoering.consultations import versions
from hoering.extensions import db
from hoering.summaries.models import CommentTheme, ReadWithoutTheme, TagSource, Theme
from hoering.summaries.themes import TagResult
from hoering.timeutil import utcnow

#: The lists of the themes page: not analysed yet, read without a theme, tagged with one
#: theme, every published comment.
FILTERS = ("unanalysed", "read", "theme", "section", "all")
#: Comment ids per statement when tagging a list of ids (a search's results): well under
#: the bound-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
BATCH_SIZE = 500


def _published(consultation_id: int):
    return sa.and_(Comment.consultation_id == consultation_id, Comment.state == CommentState.PUBLISHED.value)


def _has_theme():
    return sa.exists().where(CommentTheme.comment_id == Comment.id)


def _read():
    return sa.exists().where(ReadWithoutTheme.comment_id == Comment.id)


@dataclass(frozen=True)
class Progress:
    """How far the analysis of a consultation's published comments has come.

    Attributes:
        published: published comments.
        tagged: of those, the ones with at least one theme.
        read_without_theme: the ones without a theme that a moderator marked "read, no theme".
    """

    published: int
    tagged: int
    read_without_theme: int

    @property
    def analysed(self) -> int:
        """Published comments tagged or marked "read, no theme"."""
        return self.tagged + self.read_without_theme

    @property
    def unanalysed(self) -> int:
        """Published comments neither tagged nor marked."""
        return self.published - self.analysed

    @property
    def unanalysed_share(self) -> float:
        """:attr:`unanalysed` as a share (0–1) of :attr:`published`; 0 without comments."""
        return self.unanalysed / self.published if self.published else 0.0


def progress(consultation_id: int) -> Progress:
    """The :class:`Progress` of a consultation's analysis, in one query."""
    tagged, read = _has_theme(), _read()
    row = db.session.execute(
        sa.select(sa.func.count(Comment.id),
                  sa.func.coalesce(sa.func.sum(sa.case((tagged, 1), else_=0)), 0),
                  sa.func.coalesce(sa.func.sum(sa.case((sa.and_(~tagged, read), 1), else_=0)), 0))
        .where(_published(consultation_id))).one()
    return Progress(int(row[0]), int(row[1]), int(row[2]))


@dataclass(frozen=True)
class CommentFilter:
    """Which published comments of a consultation a list shows.

    Attributes:
        kind: one of :data:`FILTERS`.
        theme_id: the theme, with ``kind == "theme"``.
        section_id: the section of the draft text, with ``kind == "section"``: the
            top-level comments about it.
    """

    kind: str = "unanalysed"
    theme_id: int | None = None
    section_id: int | None = None

    def condition(self, consultation_id: int):
        """The SQL condition on :class:`Comment` of this filter in the consultation."""
        published = _published(consultation_id)
        if self.kind == "read":
            return sa.and_(published, ~_has_theme(), _read())
        if self.kind == "theme":
            return sa.and_(published, sa.exists().where(CommentTheme.comment_id == Comment.id,
                                                        CommentTheme.theme_id == self.theme_id))
        if self.kind == "section":
            return sa.and_(published, Comment.section_id == self.section_id)
        if self.kind == "all":
            return published
        return sa.and_(published, ~_has_theme(), ~_read())


def parse_filter(kind: str | None, theme_id: int | None, section_id: int | None = None) -> CommentFilter:
    """A :class:`CommentFilter` from query or form fields: an unknown ``kind``, or
    ``"theme"`` without a theme (``"section"`` without a section), means "not analysed
    yet". Whether the theme or section belongs to the consultation is the caller's to check."""
    if kind == "theme" and theme_id:
        return CommentFilter("theme", theme_id)
    if kind == "section" and section_id:
        return CommentFilter("section", section_id=section_id)
    return CommentFilter(kind if kind in ("read", "all") else "unanalysed")


def count_matching(consultation_id: int, comment_filter: CommentFilter) -> int:
    """How many published comments of the consultation ``comment_filter`` finds."""
    return db.session.scalar(sa.select(sa.func.count(Comment.id)).where(comment_filter.condition(consultation_id)))


@dataclass
class CommentPage:
    """One page of a filtered list, oldest first.

    Attributes:
        items: the comments of the page.
        total: comments the filter finds.
        page: this page's number (1-based; a number past the end shows the last page).
        pages: number of pages (at least 1).
    """

    items: list[Comment]
    total: int
    page: int
    pages: int


def comment_page(consultation_id: int, comment_filter: CommentFilter, page: int = 1, per_page: int = 50) -> CommentPage:
    """A page of the comments ``comment_filter`` finds, oldest first (creation time, then
    id); two queries (count, page) whatever the number of comments, by the index
    ``ix_comment_consultation_state_created``."""
    condition = comment_filter.condition(consultation_id)
    total = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(condition))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    items = list(db.session.scalars(sa.select(Comment).where(condition).order_by(Comment.created_at, Comment.id)
                                    .offset((page - 1) * per_page).limit(per_page)))
    return CommentPage(items, total, page, pages)


def theme_comment_page(theme: Theme, page: int = 1, per_page: int = 50) -> tuple[CommentPage, int]:
    """A page of the comments tagged with ``theme`` in every state (the theme's page, where
    they are untagged), oldest first, and how many of all its comments are published;
    three queries whatever the number of comments."""
    condition = sa.exists().where(CommentTheme.comment_id == Comment.id, CommentTheme.theme_id == theme.id)
    total, published = db.session.execute(sa.select(
        sa.func.count(Comment.id),
        sa.func.coalesce(sa.func.sum(sa.case((Comment.state == CommentState.PUBLISHED.value, 1), else_=0)), 0))
        .where(Comment.consultation_id == theme.consultation_id, condition)).one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    items = list(db.session.scalars(
        sa.select(Comment).where(Comment.consultation_id == theme.consultation_id, condition)
        .order_by(Comment.created_at, Comment.id).offset((page - 1) * per_page).limit(per_page)))
    return CommentPage(items, total, page, pages), int(published)


def next_unanalysed(consultation_id: int, after: Comment | None = None) -> Comment | None:
    """The oldest published comment not analysed yet, or the first after ``after`` in the
    same order (creation time, then id: skipped comments stay behind); ``None`` if there
    is none (after ``after``)."""
    query = sa.select(Comment).where(CommentFilter().condition(consultation_id))
    if after is not None:
        query = query.where(sa.or_(Comment.created_at > after.created_at,
                                   sa.and_(Comment.created_at == after.created_at, Comment.id > after.id)))
    return db.session.scalar(query.order_by(Comment.created_at, Comment.id).limit(1))


def next_by_proposal(consultation_id: int, proposals: dict[int, tuple[int, float]],
                     themes: list[tuple[Theme, int]], skipped: frozenset[int] = frozenset()) -> Comment | None:
    """The first published comment not analysed yet, and not in ``skipped``, in the order
    that groups like comments: by proposed theme, the largest first, then most confident
    first; the comments without a proposal last, oldest first. ``None`` if none is left.

    A theme's size here is its tagged comments and the comments proposed for it, so that
    accepting a proposal (a comment goes from proposed to tagged) leaves the order of the
    groups as it was and the moderator stays in the group. Ties by theme name, then id;
    within a group, ties by age.

    Args:
        consultation_id: the consultation.
        proposals: ``{comment id: (theme id, confidence 0–1)}``, as
            :func:`hoering.summaries.suggestions.proposed_themes` gives them (read once by
            the caller); proposals for other themes than ``themes`` are left out.
        themes: ``[(theme, published comments tagged)]`` of the consultation, as
            :func:`hoering.summaries.themes.themes_by_size` gives them.
        skipped: comment ids to pass over (those the moderator skipped).

    One query (the ids and times of the comments not analysed yet) and one to read the
    comment found.
    """
    rows = db.session.execute(sa.select(Comment.id, Comment.created_at)
                              .where(CommentFilter().condition(consultation_id))).all()
    known = {theme.id: (count, theme.name.lower()) for theme, count in themes}
    proposed = {comment_id: proposals[comment_id] for comment_id, _ in rows
                if comment_id in proposals and proposals[comment_id][0] in known}
    sizes = dict.fromkeys(known, 0)
    for theme_id, _ in proposed.values():
        sizes[theme_id] += 1

    def key(row):
        comment_id, created_at = row
        if comment_id not in proposed:
            return (1, 0, "", 0, 0.0, created_at, comment_id)
        theme_id, confidence = proposed[comment_id]
        tagged, name = known[theme_id]
        return (0, -(tagged + sizes[theme_id]), name, theme_id, -confidence, created_at, comment_id)

    candidates = [row for row in rows if row[0] not in skipped]
    return db.session.get(Comment, min(candidates, key=key)[0]) if candidates else None


def reply_count(comment_id: int) -> int:
    """Published replies answering the comment."""
    return db.session.scalar(sa.select(sa.func.count(Comment.id)).where(
        Comment.parent_id == comment_id, Comment.state == CommentState.PUBLISHED.value))


def is_read_without_theme(comment_id: int) -> bool:
    """Whether the comment carries a "read, no theme" mark."""
    return db.session.get(ReadWithoutTheme, comment_id) is not None


def read_among(comment_ids: list[int]) -> set[int]:
    """Those of ``comment_ids`` that carry a "read, no theme" mark (one query)."""
    if not comment_ids:
        return set()
    return set(db.session.scalars(sa.select(ReadWithoutTheme.comment_id).where(
        ReadWithoutTheme.comment_id.in_(comment_ids))))


def mark_read_without_theme(consultation_id: int, comment_ids: list[int], user, *,
                            unmark: bool = False, commit: bool = True) -> TagResult:
    """Mark the comments "read, no theme" (or with ``unmark`` take the mark away); one
    commit for all (none with ``commit=False``: inside a larger transaction).

    Only published comments of the consultation are marked; others are ``refused``. A
    comment with a theme is already analysed: it is left ``unchanged`` (and unmarked).
    Concurrent marks of the same comment keep one row (the primary key decides).

    Args:
        consultation_id: the consultation the moderator works on.
        comment_ids: comment ids (ints), duplicates ignored.
        user: the moderator, recorded as ``marked_by``.
    """
    result = TagResult()
    wanted = list(dict.fromkeys(comment_ids))
    found = dict(db.session.execute(
        sa.select(Comment.id, _has_theme()).where(Comment.id.in_(wanted), _published(consultation_id))).all()) \
        if wanted else {}
    for comment_id in wanted:
        if comment_id not in found:
            result.refused.append(comment_id)
            continue
        if unmark:
            changed = db.session.execute(sa.delete(ReadWithoutTheme).where(
                ReadWithoutTheme.comment_id == comment_id)).rowcount == 1
        elif found[comment_id]:
            changed = False
        else:
            changed = _inserted(_insert_ignoring_present(ReadWithoutTheme).values(
                comment_id=comment_id, marked_by_id=user.id if user else None, marked_at=utcnow())) == 1
        (result.changed if changed else result.unchanged).append(comment_id)
    if commit:
        db.session.commit()
    return result


def _insert_ignoring_present(model):
    """``INSERT`` that leaves out rows whose primary key is present (on PostgreSQL waiting
    for a parallel transaction that inserts the same key), for SQLite or PostgreSQL."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(model.__table__).on_conflict_do_nothing()


def _inserted(statement) -> int:
    """Run an ``INSERT`` and count the rows it inserted, by their returned keys (the
    PostgreSQL driver's row count is not to be trusted for every form of ``INSERT``)."""
    return len(db.session.execute(statement.returning(sa.literal_column("comment_id"))).all())


@dataclass(frozen=True)
class BulkCount:
    """What a bulk action would do: comments matched, and of those the ones it would change."""

    matching: int
    to_change: int


def count_bulk_tag(theme: Theme, comment_filter: CommentFilter) -> BulkCount:
    """Published comments of ``theme``'s consultation that ``comment_filter`` finds, and
    of those the ones without ``theme`` yet."""
    condition = comment_filter.condition(theme.consultation_id)
    without = ~sa.exists().where(CommentTheme.comment_id == Comment.id, CommentTheme.theme_id == theme.id)
    row = db.session.execute(sa.select(sa.func.count(Comment.id),
                                       sa.func.coalesce(sa.func.sum(sa.case((without, 1), else_=0)), 0))
                             .where(condition)).one()
    return BulkCount(int(row[0]), int(row[1]))


def tag_matching(theme: Theme, comment_filter: CommentFilter, user) -> int:
    """Tag every published comment ``comment_filter`` finds in ``theme``'s consultation
    with ``theme``, in one statement and one transaction; their "read, no theme" marks go.
    Idempotent: comments that have the theme are left as they are.

    Returns:
        the number of comments tagged now.
    """
    ids = sa.select(Comment.id).where(comment_filter.condition(theme.consultation_id))
    return _tag_ids_query(theme, ids, user)


def _tag_ids_query(theme: Theme, ids, user) -> int:
    """Tag the comments the ``SELECT`` of ids ``ids`` finds (no commit)."""
    rows = sa.select(ids.subquery().c.id, sa.literal(theme.id), sa.literal(user.id if user else None, sa.Integer),
                     sa.literal(utcnow(), CommentTheme.tagged_at.type),
                     sa.literal(TagSource.BULK.value)).where(sa.true())  # SQLite: INSERT … SELECT … WHERE … ON CONFLICT
    statement = _insert_ignoring_present(CommentTheme).from_select(
        ["comment_id", "theme_id", "tagged_by_id", "tagged_at", "source"], rows)
    changed = _inserted(statement)
    db.session.execute(sa.delete(ReadWithoutTheme).where(sa.exists().where(
        CommentTheme.comment_id == ReadWithoutTheme.comment_id, CommentTheme.theme_id == theme.id)))
    if changed:
        versions.bump(consultation_ids=[theme.consultation_id])
    db.session.commit()
    return changed


def count_ids_bulk_tag(theme: Theme, comment_ids: list[int]) -> BulkCount:
    """Of ``comment_ids``, those ``theme`` may tag (comments of its consultation that are not
    removed), and of those the ones without ``theme`` yet; in batches of :data:`BATCH_SIZE`."""
    matching = to_change = 0
    for start in range(0, len(comment_ids), BATCH_SIZE):
        batch = comment_ids[start:start + BATCH_SIZE]
        without = ~sa.exists().where(CommentTheme.comment_id == Comment.id, CommentTheme.theme_id == theme.id)
        row = db.session.execute(sa.select(sa.func.count(Comment.id),
                                           sa.func.coalesce(sa.func.sum(sa.case((without, 1), else_=0)), 0))
                                 .where(*_taggable(theme, batch))).one()
        matching, to_change = matching + int(row[0]), to_change + int(row[1])
    return BulkCount(matching, to_change)


def _taggable(theme: Theme, comment_ids: list[int]):
    return (Comment.id.in_(comment_ids), Comment.consultation_id == theme.consultation_id,
            Comment.state != CommentState.REMOVED.value)


def tag_ids(theme: Theme, comment_ids: list[int], user) -> int:
    """Tag the comments ``comment_ids`` (a search's results) with ``theme``: those of its
    consultation that are not removed, as :func:`hoering.summaries.themes.tag_comments`
    allows; :data:`BATCH_SIZE` ids to a statement, all in one transaction; their "read, no
    theme" marks go. Idempotent.

    Returns:
        the number of comments tagged now.
    """
    changed = 0
    for start in range(0, len(comment_ids), BATCH_SIZE):
        batch = comment_ids[start:start + BATCH_SIZE]
        rows = sa.select(Comment.id, sa.literal(theme.id), sa.literal(user.id if user else None, sa.Integer),
                         sa.literal(utcnow(), CommentTheme.tagged_at.type),
                         sa.literal(TagSource.BULK.value)).where(*_taggable(theme, batch))
        changed += _inserted(_insert_ignoring_present(CommentTheme).from_select(
            ["comment_id", "theme_id", "tagged_by_id", "tagged_at", "source"], rows))
        db.session.execute(sa.delete(ReadWithoutTheme).where(ReadWithoutTheme.comment_id.in_(batch)))
    if changed:
        versions.bump(consultation_ids=[theme.consultation_id])
    db.session.commit()
    return changed


def count_bulk_read(consultation_id: int, comment_filter: CommentFilter) -> BulkCount:
    """Comments ``comment_filter`` finds, and of those the ones "mark read, no theme" would
    change (no theme, no mark)."""
    row = db.session.execute(
        sa.select(sa.func.count(Comment.id),
                  sa.func.coalesce(sa.func.sum(sa.case((sa.and_(~_has_theme(), ~_read()), 1), else_=0)), 0))
        .where(comment_filter.condition(consultation_id))).one()
    return BulkCount(int(row[0]), int(row[1]))


def mark_matching_read(consultation_id: int, comment_filter: CommentFilter, user) -> int:
    """Mark every comment ``comment_filter`` finds that has no theme and no mark "read, no
    theme", in one statement and one transaction. Idempotent.

    Returns:
        the number of comments marked now.
    """
    rows = sa.select(Comment.id, sa.literal(user.id if user else None, sa.Integer),
                     sa.literal(utcnow(), ReadWithoutTheme.marked_at.type)).where(
        comment_filter.condition(consultation_id), ~_has_theme())
    changed = _inserted(_insert_ignoring_present(ReadWithoutTheme).from_select(
        ["comment_id", "marked_by_id", "marked_at"], rows))
    db.session.commit()
    return changed
