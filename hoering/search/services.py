"""Search services: keep the index in step with the database, and search it.

Whoosh (``SEARCH_BACKEND = "whoosh"``, the default): :func:`enqueue` adds an index task
to the current transaction, so a crash after the commit loses nothing, because the task is
still there. After the request, :func:`process_pending` applies the tasks (in-process
default); with several processes, ``flask hoering index-worker`` does it, and a process
that finds the index locked leaves its tasks to the lock holder, which looks again after
it lets go.

PostgreSQL (``SEARCH_BACKEND = "postgresql"``): :func:`enqueue` notes the document, and
its search document is written just before the transaction commits, in that transaction
(:mod:`hoering.search.postgresql`): no task, no lag, no lock.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from hoering import jobs, permissions
from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.extensions import BEFORE_COMMIT, db
from hoering.search import meetings as meeting_search
from hoering.search import postgresql, words
from hoering.search.backend import IndexDocument, SearchIndex
from hoering.search.documents import comment_document, consultation_document
from hoering.search.meetings import NO_CONSULTATION, meeting_document
from hoering.search.models import IndexTask
from hoering.search.querying import QUERY_STOP_WORDS, Scope, SearchResult, matching_ids, prepare_query_text
from hoering.search.querying import search as backend_search
from hoering.search.responses import PRIVATE_STATES, all_response_documents, response_documents
from hoering.summaries.models import CommentTheme
from hoering.timeutil import OSLO

#: Comment states that are indexed; public search sees only published ones.
INDEXED_STATES = (CommentState.PUBLISHED.value, CommentState.PENDING.value, CommentState.HIDDEN.value,
                  CommentState.REJECTED.value)
STAFF_STATES = INDEXED_STATES
BATCH = 500


def get_index() -> SearchIndex:
    """The configured index (``SEARCH_INDEX_DIR``, default ``instance/search-index``)."""
    path = current_app.config.get("SEARCH_INDEX_DIR") or os.path.join(current_app.instance_path, "search-index")
    return SearchIndex(path)


def in_database() -> bool:
    """Whether search documents live in the database (``SEARCH_BACKEND = "postgresql"``),
    written in the transaction of each change, rather than in a Whoosh index."""
    return current_app.config.get("SEARCH_BACKEND") == "postgresql"


# --- tasks -----------------------------------------------------------------------------------

class _Task(NamedTuple):
    doc_type: str
    doc_id: int
    inserted: bool = False


class _DocumentWrites:
    """The search documents one transaction changed, written just before it commits (in
    it), from what the database then holds."""

    def __init__(self):
        self.tasks: set[_Task] = set()

    def __call__(self) -> None:
        upserts, deletes = _resolve(sorted(self.tasks))
        postgresql.write(upserts, deletes)


def enqueue(doc_type: str, doc_id: int, inserted: bool = False) -> None:
    """Bring the search entry of a document up to date with the current transaction (the
    caller commits): an index task in the transaction (Whoosh), or the search document
    itself written just before the commit (PostgreSQL).

    Args:
        doc_type: ``comment``, ``consultation``, ``response``, ``consultation_comments`` (every comment
            of a consultation) or ``user_comments`` (every comment of a user).
        doc_id: the id of the comment, consultation or user.
        inserted: (PostgreSQL) the comment was added through the ORM session in this
            transaction, and no bulk ``UPDATE`` changes it before the commit: its document is
            built from the session's object (with its consultation and author, when the session
            holds them) instead of reading it back, one query less for each new comment.
    """
    if in_database():
        waiting = db.session.info.setdefault(BEFORE_COMMIT, [])
        writes = next((w for w in waiting if isinstance(w, _DocumentWrites)), None)
        if writes is None:
            writes = _DocumentWrites()
            waiting.append(writes)
        writes.tasks.add(_Task(doc_type, doc_id, inserted and doc_type == "comment"))
        return
    db.session.add(IndexTask(doc_type=doc_type, doc_id=doc_id))
    jobs.after_commit("apply_index_tasks")  # with jobs in Redis: the worker applies it at once
    if has_request_context():
        g.search_tasks_pending = True


def process_pending(max_rounds: int = 100) -> int:
    """Apply pending index tasks, batch by batch, while this process holds the writer lock
    (with the PostgreSQL backend: tasks left from before it was chosen, written at once).

    Returns:
        The number of tasks applied (0 when another process held the lock: its holder
        looks for new tasks after it lets go, so none is stranded).
    """
    index = None if in_database() else get_index()
    applied = 0
    for _ in range(max_rounds):
        tasks = db.session.scalars(sa.select(IndexTask).order_by(IndexTask.id).limit(BATCH)).all()
        if not tasks:
            break
        upserts, deletes = _resolve(tasks)
        if index is None:
            postgresql.write(upserts, deletes)
        elif not index.apply(upserts, deletes):
            break
        # Delete exactly the tasks applied: a range could catch a task written meanwhile.
        db.session.execute(sa.delete(IndexTask).where(IndexTask.id.in_([t.id for t in tasks]))
                           .execution_options(synchronize_session=False))
        db.session.commit()
        applied += len(tasks)
    return applied


def _resolve(tasks) -> tuple[list[IndexDocument], list[str]]:
    comment_ids, consultation_ids, meeting_ids, response_ids = set(), set(), set(), set()
    for task in tasks:
        if task.doc_type == "meeting":
            meeting_ids.add(task.doc_id)
        elif task.doc_type == "response":
            response_ids.add(task.doc_id)
        elif task.doc_type == "comment":
            comment_ids.add(task.doc_id)
        elif task.doc_type == "consultation":
            consultation_ids.add(task.doc_id)
        elif task.doc_type == "consultation_comments":
            consultation_ids.add(task.doc_id)
            comment_ids.update(db.session.scalars(sa.select(Comment.id).where(Comment.consultation_id == task.doc_id)))
        elif task.doc_type == "user_comments":  # the author's display name changed
            comment_ids.update(db.session.scalars(sa.select(Comment.id).where(Comment.author_id == task.doc_id)))
    upserts, deletes = [], []
    found = _inserted_comments(tasks, comment_ids)
    found.update((c.id, c) for c in _load_comments(comment_ids - found.keys()))
    for comment_id in comment_ids:
        comment = found.get(comment_id)
        if comment is None or comment.state not in INDEXED_STATES:
            deletes.append(f"comment:{comment_id}")
        else:
            upserts.append(comment_document(comment))
    consultations = {c.id: c for c in db.session.scalars(
        sa.select(Consultation).where(Consultation.id.in_(consultation_ids))
        .execution_options(populate_existing=True))} if consultation_ids else {}
    for consultation_id in consultation_ids:
        consultation = consultations.get(consultation_id)
        if consultation is None:
            deletes.append(f"consultation:{consultation_id}")
        else:
            upserts.append(consultation_document(consultation))
    meeting_upserts, meeting_deletes = meeting_search.resolve(meeting_ids)
    responses, gone = response_documents(response_ids)
    return upserts + meeting_upserts + responses, deletes + meeting_deletes + gone


def _inserted_comments(tasks, comment_ids: set[int]) -> dict[int, Comment]:
    """``{id: comment}`` of the comments that only tasks marked ``inserted`` name and the
    session holds: added in this transaction, they are what it writes (:func:`enqueue`)."""
    inserted = {t.doc_id for t in tasks if getattr(t, "inserted", False)}
    inserted -= {t.doc_id for t in tasks if t.doc_type == "comment" and not getattr(t, "inserted", False)}
    found = {}
    for comment_id in inserted & comment_ids:
        comment = db.session.identity_map.get(identity_key(Comment, comment_id))
        if comment is not None and not sa.inspect(comment).expired_attributes:
            found[comment_id] = comment
    return found


def _load_comments(ids) -> list[Comment]:
    ids = list(ids)
    rows = []
    for start in range(0, len(ids), BATCH):
        # populate_existing: within the writing transaction, rows changed by UPDATE
        # statements are read afresh, not taken from the session as they were loaded.
        rows.extend(db.session.scalars(sa.select(Comment).where(Comment.id.in_(ids[start:start + BATCH]))
                                       .options(joinedload(Comment.consultation))
                                       .execution_options(populate_existing=True)))
    return rows


def all_documents() -> Iterator[IndexDocument]:
    """Every document the index should hold, read from the database in batches."""
    for consultation in db.session.scalars(sa.select(Consultation)):
        yield consultation_document(consultation)
    for meeting in meeting_search.public_meetings():
        yield meeting_document(meeting)
    yield from all_response_documents()
    last = 0
    while True:
        rows = db.session.scalars(
            sa.select(Comment).where(Comment.id > last, Comment.state.in_(INDEXED_STATES)).order_by(Comment.id)
            .limit(BATCH).options(joinedload(Comment.consultation))).all()
        if not rows:
            return
        for comment in rows:
            yield comment_document(comment)
        last = rows[-1].id
        db.session.expunge_all()


def reindex() -> int:
    """Rebuild the index from the database; the tasks it covers are then redundant and
    dropped, and the tasks other processes queued while it held the lock are applied.
    With the PostgreSQL backend, every search document is written again in one
    transaction."""
    if in_database():
        db.session.execute(sa.delete(IndexTask))
        postgresql.clear()
        count = 0
        batch: list[IndexDocument] = []
        for document in all_documents():
            batch.append(document)
            if len(batch) == BATCH:
                postgresql.write(batch, [])
                count, batch = count + len(batch), []
        postgresql.write(batch, [])
        db.session.commit()
        return count + len(batch)
    covered: list[int] = []

    def note_covered_tasks():  # with the lock held: changes committed so far are read below
        covered.extend(db.session.scalars(sa.select(IndexTask.id)))

    count = get_index().rebuild(all_documents, before_reading=note_covered_tasks)
    for start in range(0, len(covered), BATCH):
        db.session.execute(sa.delete(IndexTask).where(IndexTask.id.in_(covered[start:start + BATCH])))
    db.session.commit()
    # Writes during the rebuild could not take the lock and left their tasks for the lock
    # holder: this process.
    process_pending()
    return count


@dataclass
class CheckResult:
    """Differences between the database and the index."""

    missing: list[str]
    stale: list[str]
    extra: list[str]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def check() -> CheckResult:
    """Compare every document the database implies with the index."""
    stamps = postgresql.stamps() if in_database() else get_index().stamps()
    missing, stale, seen = [], [], set()
    for document in all_documents():
        seen.add(document.key)
        stamp = stamps.get(document.key)
        if stamp is None:
            missing.append(document.key)
        elif stamp != document.stamp:
            stale.append(document.key)
    extra = sorted(set(stamps) - seen)
    return CheckResult(missing, stale, extra)


# --- searching -------------------------------------------------------------------------------

@dataclass
class SearchFilters:
    """Filters of the search page and API."""

    consultation_id: int | None = None
    status: str | None = None  # consultation status: open, upcoming, closed, summarized
    since: dt.date | None = None
    until: dt.date | None = None
    state: str | None = None  # comment state; staff only
    doc_type: str | None = None  # comment, consultation, meeting or response
    theme_id: int | None = None  # comments tagged with this theme; staff only


def search(text: str, viewer, filters: SearchFilters | None = None, page: int = 1, per_page: int = 20,
           sort: str = "relevance", staff_scope: bool | None = None) -> SearchResult:
    """Search consultations, comments and meetings as ``viewer`` may see them.

    The public sees published consultations and their published comments, the meetings
    whose agenda is published (with minutes once approved) and the public version of the
    published formal responses; moderators also pending, hidden and rejected comments
    (``staff_scope``, default: whether the viewer may moderate); case officers also the
    responses not yet published (:mod:`hoering.search.responses`). ``counts`` tells the
    kinds apart.
    """
    filters = filters or SearchFilters()
    staff = permissions.can_moderate(viewer) if staff_scope is None else staff_scope
    case_officer = permissions.can_screen_responses(viewer) if staff_scope is None else staff_scope
    scope = _scope(filters, staff, case_officer)
    prepared, truncated = prepare_query_text(text)
    wanted, excluded = words.split_exclusions(prepared)
    if excluded and not words.has_words(wanted, QUERY_STOP_WORDS):
        # "-sykkel" alone would list everything without the word: say what is missing instead.
        return SearchResult([], 0, {}, 1, 1, prepared, truncated, None, excluded=tuple(excluded),
                            only_exclusions=True)
    if scope is None:
        return SearchResult([], 0, {}, 1, 1, prepared, truncated, None, excluded=tuple(excluded))
    result = replace(_counted(text, scope, page, per_page, sort), excluded=tuple(excluded))
    if excluded and not result.total:
        # Nothing is left after the exclusions: offer the search without them.
        without = _counted(wanted, scope, 1, 1, sort)
        result = replace(result, without_exclusions=wanted, without_exclusions_total=without.total)
    return result


def _counted(text: str, scope: Scope, page: int, per_page: int, sort: str) -> SearchResult:
    """One search in ``scope``, with the meetings among its results counted apart."""
    result = _search_in(text, scope, page, per_page, sort)
    if "meeting" in scope.doc_types and result.total:
        # The backends count consultations and the rest; the meetings among the rest are
        # counted by a second search of the meetings alone (there are few).
        meetings = _search_in(text, replace(scope, doc_types=frozenset({"meeting"})), 1, 1, sort).total
        if meetings:
            counts = dict(result.counts)
            counts["comment"] = max(0, counts.get("comment", 0) - meetings)
            counts["meeting"] = meetings
            result = replace(result, counts=counts)
    return result


def _search_in(text: str, scope: Scope, page: int, per_page: int, sort: str) -> SearchResult:
    if in_database():
        return postgresql.search(text, scope=scope, page=page, per_page=per_page, sort=sort,
                                 count_limit=int(current_app.config.get("SEARCH_COUNT_LIMIT") or 1000))
    return backend_search(get_index(), text, scope=scope, page=page, per_page=per_page, sort=sort)


def _scope(filters: SearchFilters, staff: bool, case_officer: bool = False) -> Scope | None:
    """The :class:`Scope` of a search with ``filters`` (``staff``: pending, hidden and
    rejected comments too, and the theme filter; ``case_officer``: responses not yet
    published too); ``None`` when no consultation is left."""
    consultations = db.session.scalars(sa.select(Consultation).where(Consultation.published_at.is_not(None))).all()
    if filters.status:
        consultations = [c for c in consultations if c.status().value == filters.status]
    allowed = [c.id for c in consultations]
    if filters.consultation_id is not None:
        allowed = [i for i in allowed if i == filters.consultation_id]
    # Meetings belong to no consultation: found unless the search is of one consultation,
    # of consultations in one status, or of one kind of document other than meetings.
    with_meetings = filters.consultation_id is None and not filters.status and not (
        staff and filters.theme_id is not None) and filters.doc_type in (None, "meeting")
    if with_meetings:
        allowed.append(NO_CONSULTATION)
    if not allowed:
        return None
    states = STAFF_STATES if staff else (CommentState.PUBLISHED.value,)
    if staff and filters.state in STAFF_STATES:
        states = (filters.state,)
    if case_officer:
        states = (*states, *PRIVATE_STATES)
    doc_types = {"comment", "consultation", "response"} | ({"meeting"} if with_meetings else set())
    if filters.doc_type in doc_types:
        doc_types = {filters.doc_type}
    start = end = None
    if filters.since:
        start = dt.datetime.combine(filters.since, dt.time(), tzinfo=OSLO)
    if filters.until:
        end = dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time(), tzinfo=OSLO)
    keys = None
    if staff and filters.theme_id is not None:
        # Themes are moderators' working data: the filter reads the tags from the database
        # (always current), and the public has no such filter.
        keys = frozenset(f"comment:{comment_id}" for comment_id in db.session.scalars(
            sa.select(CommentTheme.comment_id).where(CommentTheme.theme_id == filters.theme_id)))
        doc_types = {"comment"}
    return Scope(consultation_ids=frozenset(allowed), comment_states=frozenset(states),
                 doc_types=frozenset(doc_types), created_from=start, created_before=end, keys=keys)


def comment_ids_found(text: str, viewer, filters: SearchFilters) -> list[int]:
    """Ids of every comment (not just a page) a search for ``text`` with ``filters`` finds
    for ``viewer``, best first: what the search page lists, for acting on all of it (tagging
    the results with a theme).

    Raises:
        SearchUnavailable: the Whoosh index could not be read.
    """
    scope = _scope(filters, permissions.can_moderate(viewer))
    if scope is None or (scope.doc_types is not None and "comment" not in scope.doc_types):
        return []
    scope = replace(scope, doc_types=frozenset({"comment"}))
    if in_database():
        return postgresql.matching_ids(text, scope=scope, limit=None)
    return matching_ids(get_index(), text, scope=scope, limit=None)


def wait_for_index(seconds: float = 5.0) -> bool:
    """Process pending tasks until none are left or ``seconds`` pass (tests, CLI)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        process_pending()
        if not db.session.scalar(sa.select(IndexTask.id).limit(1)):
            return True
        time.sleep(0.05)
    return False


def comment_ids_matching(text: str, within: list[int]) -> list[int]:
    """Those of the comments ``within`` (any indexed state) whose text matches ``text``."""
    if not within:
        return []
    scope = Scope(keys=frozenset(f"comment:{comment_id}" for comment_id in within))
    if in_database():
        return postgresql.matching_ids(text, scope=scope, limit=None)
    return matching_ids(get_index(), text, scope=scope, limit=None)


def document_count() -> int:
    """How many documents the index holds.

    Raises:
        SearchUnavailable: the Whoosh index could not be read.
    """
    if in_database():
        return postgresql.count()
    return get_index().read(lambda searcher: searcher.doc_count())
