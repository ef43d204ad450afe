"""The content version of a consultation: raised in the transaction of every change that
alters what readers of the consultation see, so that cached pages and API answers, keyed
on it, are never served after a change (DESIGN §5: "keyed on a version that every change
bumps").

Two ways in, both inside the changing transaction:

* :func:`bump` notes consultations (directly, through comments, or through the comments of
  authors) and raises their versions with one ``UPDATE`` just before the commit; the
  transaction subscribers of the domain events call it (``hoering/consultations/subscribers.py``).
* :func:`watch` makes every flush of ORM objects that belong to a consultation (comments,
  supports, documents, questions, deadline notices, themes and their tags, the summary and
  its parts, the consultation itself, a house rule whose title is in the placeholders of
  the comments it hid) raise the versions at once, in the flush's own
  transaction, and every bulk ``UPDATE`` or ``DELETE`` of such rows (a thread locked, tags
  removed) raise them at the commit: changes that announce no event are covered too.

A version raised by a transaction that is rolled back is rolled back with it; one raised
once too often only makes a cache miss.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from hoering.accounts.models import User
from hoering.comments.models import Comment, Support
from hoering.consultations.models import Consultation, Document, LifecycleEvent, Question, Section, could_be_slug
from hoering.extensions import BEFORE_COMMIT, Session, db
from hoering.moderation.models import HouseRule
from hoering.summaries.models import CommentTheme, Summary, SummaryQuote, SummarySection, Theme


@dataclass(frozen=True)
class ContentHead:
    """What the key of a consultation's cached pages is made of, read without the rest of
    the consultation: ids, times (aware UTC) and the content version."""

    id: int
    created_at: dt.datetime
    content_version: int
    published_at: dt.datetime | None
    opens_at: dt.datetime
    closes_at: dt.datetime
    summarized_at: dt.datetime | None

    def status(self, now: dt.datetime | None = None):
        """The consultation's status (:meth:`Consultation.status`)."""
        return Consultation.status(self, now)  # reads only the times above

    def key(self) -> str:
        """The part of a cache key that names this consultation and its content now: id,
        time of creation (tells it from another with the same id in a database restored
        or emptied while the cache lived on), version and status."""
        return f"{self.id}:{self.created_at.timestamp()}:v{self.content_version}:{self.status().value}"


_HEAD_COLUMNS = (Consultation.id, Consultation.created_at, Consultation.content_version, Consultation.published_at,
                 Consultation.opens_at, Consultation.closes_at, Consultation.summarized_at)
_TABLE = Consultation.__table__
#: Built once: a plain Core statement (no ORM entity to load) with the slug as parameter.
_HEAD_QUERY = sa.select(*(_TABLE.c[column.key] for column in _HEAD_COLUMNS)).where(
    _TABLE.c.slug == sa.bindparam("slug"), _TABLE.c.published_at.is_not(None))


def content_head(slug: str, fresh: bool = False) -> ContentHead | None:
    """The :class:`ContentHead` of the published consultation ``slug`` (one small query),
    or ``None`` when there is no such published consultation; with ``fresh``, read from
    the database whatever the memo holds (to check that nothing changed while an answer
    was made).

    A head read less than ``CONTENT_HEAD_MEMO_SECONDS`` ago by this process is reused
    without a query (nginx's "microcaching", applied to the key rather than the page): at
    a thousand views a second the one query is most of a cached page's cost. The memo is
    emptied by every commit of this process that raised a version (:func:`_forget_heads`),
    so the process that made a change shows it at once; other processes show it at most
    that many seconds late. Only heads found are kept, at most :data:`MEMO_MAX_ITEMS`.
    """
    if not could_be_slug(slug):
        return None
    seconds = current_app.config["CONTENT_HEAD_MEMO_SECONDS"]
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], slug)
    now = time.monotonic()
    if seconds > 0 and not fresh:
        found = _recent_heads.get(key)
        if found is not None and now - found[0] < seconds:
            return found[1]
    # A connection of its own in autocommit: no BEGIN and ROLLBACK around the one read,
    # which on PostgreSQL are round trips of their own (it reads what is committed, which
    # is what a cached page may show).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        row = connection.execute(_HEAD_QUERY, {"slug": slug}).first()
    head = ContentHead(*row) if row is not None else None
    if seconds > 0 and head is not None:
        if len(_recent_heads) >= MEMO_MAX_ITEMS:
            _recent_heads.clear()
        _recent_heads[key] = (now, head)
    return head


#: Heads read lately: ``{(database URL, slug): (time.monotonic() seconds, ContentHead)}``.
_recent_heads: dict[tuple[str, str], tuple[float, ContentHead]] = {}
#: Heads kept at most (a flood of made-up slugs finds none, and none is kept).
MEMO_MAX_ITEMS = 1000
#: ``Session.info`` key: this transaction raised a content version.
_RAISED = "hoering.content_versions_raised"


def forget_heads() -> None:
    """Forget every head read lately (after the database was emptied or restored behind
    the app's back, as the tests do between tests)."""
    _recent_heads.clear()


def _forget_heads(session) -> None:
    """After a commit that raised a content version: forget every head read lately."""
    if session.info.pop(_RAISED, False):
        forget_heads()


def _discard_raised(session, *_args) -> None:
    session.info.pop(_RAISED, None)


def head_of(consultation: Consultation) -> ContentHead:
    """The :class:`ContentHead` of a loaded consultation (no query)."""
    return ContentHead(*(getattr(consultation, column.key) for column in _HEAD_COLUMNS))


#: ``Session.info`` key of what waits to be raised: ``{"consultations", "comments", "authors"}`` sets of ids.
PENDING = "hoering.content_versions"

#: Models with a ``consultation_id`` column whose rows are shown on the consultation's page.
_BY_CONSULTATION = (Comment, Document, LifecycleEvent, Question, Section, Theme, Summary)
#: Models shown through a comment (``comment_id``).
_BY_COMMENT = (Support, CommentTheme, SummaryQuote)


def bump(consultation_ids=(), comment_ids=(), author_ids=()) -> None:
    """Raise, just before the current transaction commits, the content version of the
    consultations ``consultation_ids``, of those of the comments ``comment_ids`` and of those
    the users ``author_ids`` have commented on (their names are shown there).

    Args:
        consultation_ids, comment_ids, author_ids: iterables of ids (ints).
    """
    pending = db.session.info.setdefault(PENDING, {"consultations": set(), "comments": set(), "authors": set()})
    pending["consultations"].update(consultation_ids)
    pending["comments"].update(comment_ids)
    pending["authors"].update(author_ids)
    waiting = db.session.info.setdefault(BEFORE_COMMIT, [])
    if _apply not in waiting:
        waiting.append(_apply)


def _apply() -> None:
    pending = db.session.info.pop(PENDING, None)
    if pending:
        db.session.execute(_raise(pending["consultations"], pending["comments"], pending["authors"]))
        db.session.info[_RAISED] = True


def _raise(consultation_ids, comment_ids, author_ids):
    """The ``UPDATE`` that raises the versions of the consultations named directly, through
    comments or through authors."""
    conditions = []
    if consultation_ids:
        conditions.append(Consultation.id.in_(sorted(consultation_ids)))
    if comment_ids:
        conditions.append(Consultation.id.in_(
            sa.select(Comment.consultation_id).where(Comment.id.in_(sorted(comment_ids))).scalar_subquery()))
    if author_ids:
        conditions.append(Consultation.id.in_(
            sa.select(Comment.consultation_id).where(Comment.author_id.in_(sorted(author_ids))).scalar_subquery()))
    return (sa.update(Consultation).where(sa.or_(sa.false(), *conditions))
            .values(content_version=Consultation.content_version + 1)
            .execution_options(synchronize_session=False))


def _loaded(instance, name: str):
    """The attribute ``name`` of ``instance`` as loaded, without a query (``None`` if not loaded)."""
    return sa.inspect(instance).dict.get(name)


def _after_flush(session, _flush_context) -> None:
    consultations, comments, summaries, rules = set(), set(), set(), set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Consultation):
            if instance in session.new or not session.is_modified(instance):
                continue
            consultations.add(_loaded(instance, "id"))
        elif isinstance(instance, _BY_CONSULTATION):
            consultations.add(_loaded(instance, "consultation_id"))
        elif isinstance(instance, _BY_COMMENT):
            comments.add(_loaded(instance, "comment_id"))
        elif isinstance(instance, SummarySection):
            summaries.add(_loaded(instance, "summary_id"))
        elif isinstance(instance, HouseRule) and instance not in session.new:
            rules.add(_loaded(instance, "code"))  # its title is in the placeholders of comments it hid
    consultations.discard(None)
    comments.discard(None)
    summaries.discard(None)
    if summaries:
        consultations.update(session.connection().execute(
            sa.select(Summary.consultation_id).where(Summary.id.in_(sorted(summaries)))).scalars())
    rules.discard(None)
    if rules:
        consultations.update(session.connection().execute(
            sa.select(Comment.consultation_id).distinct().where(Comment.hidden_reason.in_(sorted(rules)))).scalars())
    if consultations or comments:
        session.connection().execute(_raise(consultations, comments, ()))
        session.info[_RAISED] = True


def _bulk_targets() -> dict:
    """Tables changed by bulk statements, with the column that leads to the consultation
    (a user's id leads to the consultations they commented on: their role is shown there
    as a badge, their name beside their comments)."""
    return {User.__table__: User.id,
            Comment.__table__: Comment.consultation_id, Document.__table__: Document.consultation_id,
            Section.__table__: Section.consultation_id,
            Theme.__table__: Theme.consultation_id, Summary.__table__: Summary.consultation_id,
            Support.__table__: Support.comment_id, CommentTheme.__table__: CommentTheme.comment_id,
            SummaryQuote.__table__: SummaryQuote.comment_id}


def _before_bulk_statement(execute_state) -> None:
    """A bulk ``UPDATE`` or ``DELETE`` (``sa.update(Comment).where(…)``, which flushes no
    object): the consultations of the rows it is about to change, read with the same
    condition, have their versions raised at the commit."""
    if not (execute_state.is_update or execute_state.is_delete):
        return
    statement = execute_state.statement
    column = _bulk_targets().get(getattr(statement, "table", None))
    if column is None:
        if getattr(statement, "table", None) is SummarySection.__table__:
            column = SummarySection.summary_id
        else:
            return
    query = sa.select(column).distinct()
    if statement.whereclause is not None:
        query = query.where(statement.whereclause)
    found = set(execute_state.session.execute(query).scalars())
    if column.key == "id":  # User.id
        bump(author_ids=found)
    elif column.key == "consultation_id":
        bump(consultation_ids=found)
    elif column.key == "comment_id":
        bump(comment_ids=found)
    elif found:
        bump(consultation_ids=execute_state.session.execute(
            sa.select(Summary.consultation_id).where(Summary.id.in_(sorted(found)))).scalars())


def watch() -> None:
    """Raise the versions on every flush and every bulk ``UPDATE``/``DELETE`` of the
    session class (idempotent; called once at start-up)."""
    if not sa.event.contains(Session, "after_flush", _after_flush):
        sa.event.listen(Session, "after_flush", _after_flush)
    if not sa.event.contains(Session, "do_orm_execute", _before_bulk_statement):
        sa.event.listen(Session, "do_orm_execute", _before_bulk_statement)
    if not sa.event.contains(Session, "after_commit", _forget_heads):
        sa.event.listen(Session, "after_commit", _forget_heads)
        sa.event.listen(Session, "after_rollback", _discard_raised)
