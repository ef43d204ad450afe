"""Import a Polis open-data export folder as one consultation.

Format (compdemocracy/openData): ``summary.csv`` holds ``key,value`` rows without a header
(topic, url, conversation-description …); ``comments.csv`` has the columns
``timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body`` with
``timestamp`` in Unix milliseconds and ``moderated`` 1 (accepted), -1 (rejected) or 0
(not yet moderated). ``votes.csv`` and ``participants-votes.csv`` may be present.

Every vote is kept as a count: ``agrees`` becomes the comment's agree count (its
``support_count``), ``disagrees`` its disagree count, and the passes (a cell of ``0`` in the
comment's column of ``participants-votes.csv``, one row per participant; the file is optional)
its pass count. The conversation's voters (``voters`` in ``summary.csv``, or else the
participants with ``n-votes`` above 0) are kept on the consultation (``imported_voters``).

Polis comments are flat, so every comment is a thread of its own. Authors become
pseudonymous accounts named "Deltaker N" (N is the Polis author id). Importing the same
folder again adds nothing, but brings the counts of the comments imported before up to
date (an import made before disagreeing was kept gets its disagree and pass counts).
Citizens' own stances given here on an imported comment (rows of ``support``) are added to
the source's counts, so a count always equals the source plus the rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from dataclasses import dataclass

import sqlalchemy as sa

from hoering.accounts.models import User
from hoering.comments.models import Comment, CommentState, Support
from hoering.comments.services import path_segment
from hoering.consultations.models import Consultation
from hoering.consultations.services import slugify, unique_slug
from hoering.extensions import db
from hoering.moderation.audit import record
from hoering.moderation.models import ActionType
from hoering.sanitize import (
    comment_html,
    has_visible_text,
    markdown_html,
    normalize_line,
    normalize_text,
    without_bidi_controls,
)
from hoering.search.services import enqueue
from hoering.stances import Stance
from hoering.timeutil import UTC, end_of_oslo_day, to_oslo

REQUIRED_COMMENT_COLUMNS = ("timestamp", "comment-id", "author-id", "agrees", "moderated", "comment-body")
#: Polis ``moderated`` value → comment state.
STATE_BY_MODERATED = {1: CommentState.PUBLISHED, -1: CommentState.REJECTED, 0: CommentState.PENDING}
ATTRIBUTION = (
    "Data gathered using the Polis software (compdemocracy.org/polis), sub-licensed under "
    "CC BY 4.0 with attribution to The Computational Democracy Project."
)
#: The credit and licence stored on the consultation (shown on its page and in the report).
SOURCE_ATTRIBUTION = "The Computational Democracy Project, Polis (compdemocracy.org/polis)"
SOURCE_LICENCE = "CC BY 4.0"
SOURCE_LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_GERMAN_WORDS = re.compile(r"\b(und|der|die|das|nicht|ist|für|mit|sollen|werden)\b", re.IGNORECASE)
_ENGLISH_WORDS = re.compile(r"\b(the|and|is|of|to|should|be|for|with|not)\b", re.IGNORECASE)


class PolisFormatError(ValueError):
    """The folder is not a Polis export; the message says what is wrong."""


@dataclass
class PolisComment:
    """One row of ``comments.csv``."""

    comment_id: int
    author_id: int
    created_at: dt.datetime
    agrees: int
    moderated: int
    text: str
    disagrees: int = 0


@dataclass
class PolisImportResult:
    """What an import did. Counts are of comments added by this run."""

    slug: str
    title: str
    created: bool
    published: int = 0
    rejected: int = 0
    pending: int = 0
    participants_added: int = 0
    #: Comments imported before whose agree, disagree or pass count this run changed.
    counts_updated: int = 0
    #: The conversation's voters (``None`` when the export does not say).
    voters: int | None = None
    #: Rows left out because their text has nothing to read (empty, or only spaces and
    #: invisible characters): a comment nobody can read, quote or analyse.
    skipped_empty: int = 0

    @property
    def comments_added(self) -> int:
        return self.published + self.rejected + self.pending


def read_summary(path: str) -> dict[str, str]:
    """Read ``summary.csv`` (``key,value`` rows, values may span lines).

    Raises:
        PolisFormatError: no ``topic`` row.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        summary = {row[0].strip(): (row[1] if len(row) > 1 else "") for row in csv.reader(handle) if row}
    if "topic" not in summary:
        raise PolisFormatError(f"{path}: no 'topic' row; this does not look like a Polis summary.csv")
    return summary


#: The largest id or count stored (a 32-bit signed integer column, as on PostgreSQL).
MAX_NUMBER = 2**31 - 1


def _bounded(text, name: str) -> int:
    """``text`` as an integer of at most :data:`MAX_NUMBER`.

    Raises:
        ValueError: not an integer, or one too large to store (named ``name``).
    """
    number = int(text)
    if abs(number) > MAX_NUMBER:
        raise ValueError(f"{name} {str(text)[:30]} is too large")
    return number


def read_comments(path: str) -> list[PolisComment]:
    """Read and check ``comments.csv``.

    Raises:
        PolisFormatError: missing columns, or a row whose numbers do not parse or are too
            large to store, a comment id that comes twice, or a field the csv module refuses
            (with its line).
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COMMENT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise PolisFormatError(f"{path}: missing column(s) {', '.join(missing)}; this is not a Polis comments.csv")
        comments, seen = [], set()
        rows = iter(reader)
        while True:
            try:
                row = next(rows, None)
            except csv.Error as error:  # a field beyond the csv module's limit, a stray NUL
                raise PolisFormatError(f"{path}, after line {reader.line_num}: {error}") from None
            if row is None:
                break
            try:
                moderated = int(row["moderated"])
                if moderated not in STATE_BY_MODERATED:
                    raise ValueError(f"moderated must be -1, 0 or 1, not {moderated}")
                comment_id = _bounded(row["comment-id"], "comment-id")
                if comment_id in seen:
                    raise ValueError(f"comment-id {comment_id} comes twice")
                seen.add(comment_id)
                comments.append(PolisComment(
                    comment_id=comment_id,
                    author_id=_bounded(row["author-id"], "author-id"),
                    created_at=dt.datetime.fromtimestamp(int(row["timestamp"]) / 1000, tz=UTC),
                    agrees=max(0, _bounded(row["agrees"] or 0, "agrees")),
                    moderated=moderated,
                    text=normalize_text(row["comment-body"] or ""),
                    disagrees=max(0, _bounded(row.get("disagrees") or 0, "disagrees")),
                ))
            except (TypeError, ValueError, OverflowError, OSError) as error:
                raise PolisFormatError(f"{path}, line {reader.line_num}: {error}") from None
    if not comments:
        raise PolisFormatError(f"{path}: no comments")
    return comments


@dataclass
class PolisVotes:
    """What ``participants-votes.csv`` says: passes per comment id, and the participants
    who voted at all (``n-votes`` above 0)."""

    passes: dict[int, int]
    voters: int


def read_participant_votes(path: str) -> PolisVotes:
    """Read ``participants-votes.csv``: columns ``participant,group-id,n-comments,n-votes,
    n-agree,n-disagree`` and one per comment id, whose cells are 1 (agree), -1 (disagree),
    0 (pass) or empty (did not vote) (../shared/data/polis/SOURCE.md).

    Raises:
        PolisFormatError: no ``participant`` or ``n-votes`` column, or a cell that is not a
            vote (with its line).
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None) or []
        if "participant" not in header or "n-votes" not in header:
            raise PolisFormatError(f"{path}: no 'participant' or 'n-votes' column; "
                                   "this is not a Polis participants-votes.csv")
        n_votes = header.index("n-votes")
        comment_columns = [(index, int(name)) for index, name in enumerate(header) if name.strip().isdigit()]
        passes = dict.fromkeys((comment_id for _index, comment_id in comment_columns), 0)
        voters = 0
        for row in reader:
            if not row:
                continue
            try:
                voters += int(row[n_votes] or 0) > 0 if n_votes < len(row) else 0
                for index, comment_id in comment_columns:
                    cell = row[index].strip() if index < len(row) else ""
                    if cell not in ("", "1", "-1", "0", "1.0", "-1.0", "0.0"):
                        raise ValueError(f"a vote is 1, -1, 0 or empty, not {cell[:20]!r}")
                    if cell in ("0", "0.0"):
                        passes[comment_id] += 1
            except ValueError as error:
                raise PolisFormatError(f"{path}, line {reader.line_num}: {error}") from None
    return PolisVotes(passes, voters)


def _voters(summary: dict[str, str], votes: PolisVotes | None) -> int | None:
    """The conversation's voters: ``voters`` of ``summary.csv``, else those of
    ``participants-votes.csv``, else ``None``."""
    try:
        return max(0, _bounded(summary.get("voters", "").strip(), "voters"))
    except ValueError:
        return votes.voters if votes is not None else None


def detect_language(texts: list[str]) -> str:
    """Guess the content language of a conversation: ``zh-Hant``, ``de`` or ``en``.

    A crude but sufficient rule for the Polis open data: Han characters make it
    Traditional Chinese; otherwise German if common German words outnumber common English
    ones. Pass ``language`` to :func:`import_polis` to override.
    """
    sample = " ".join(texts)[:200_000]
    if len(_CJK.findall(sample)) > 0.2 * max(1, len(sample.replace(" ", ""))):
        return "zh-Hant"
    return "de" if len(_GERMAN_WORDS.findall(sample)) > len(_ENGLISH_WORDS.findall(sample)) else "en"


def _split_description(summary: dict[str, str]) -> tuple[str, str]:
    """The description's first paragraph (the consultation summary) and the rest (the body)."""
    description = summary.get("conversation-description", "").strip()
    first, _, rest = description.partition("\n\n")
    return first.strip(), rest.strip()


def _body_markdown(summary: dict[str, str]) -> str:
    parts = [_split_description(summary)[1]]
    url = summary.get("url", "").strip()
    source = f"[{url}]({url})" if url.startswith("https://") else url
    parts.append(f"---\n\n{ATTRIBUTION} {source}".strip())
    return "\n\n".join(p for p in parts if p)


def import_polis(directory: str, language: str | None = None, all_pending: bool = False) -> PolisImportResult:
    """Import a Polis export folder; a second run adds nothing.

    Args:
        directory: folder with ``summary.csv`` and ``comments.csv``.
        language: content language; detected from the comments when ``None``.
        all_pending: ignore the ``moderated`` column and leave every comment pending, for a
            moderator to work through; otherwise each Polis decision (1 or -1) is written to
            the audit log as an ``import`` action.

    Returns:
        A :class:`PolisImportResult` with the counts added by this run.

    Raises:
        PolisFormatError: the folder is missing or is not a Polis export.
    """
    directory = os.path.abspath(directory)
    if not os.path.isdir(directory):
        raise PolisFormatError(f"{directory}: no such folder")
    for name in ("summary.csv", "comments.csv"):
        if not os.path.isfile(os.path.join(directory, name)):
            raise PolisFormatError(f"{directory}: {name} is missing; a Polis export has summary.csv and comments.csv")
    summary = read_summary(os.path.join(directory, "summary.csv"))
    rows = read_comments(os.path.join(directory, "comments.csv"))
    votes_path = os.path.join(directory, "participants-votes.csv")
    votes = read_participant_votes(votes_path) if os.path.isfile(votes_path) else None
    passes = votes.passes if votes is not None else {}
    conversation = os.path.basename(directory.rstrip(os.sep))
    external_id = f"polis:{conversation}"

    consultation = db.session.scalar(sa.select(Consultation).where(Consultation.external_id == external_id))
    created = consultation is None
    if created:
        opens_at = min(r.created_at for r in rows)
        closes_at = end_of_oslo_day(to_oslo(max(r.created_at for r in rows)).date())
        first_paragraph = _split_description(summary)[0]
        title = normalize_line(without_bidi_controls(summary["topic"])) or conversation
        consultation = Consultation(
            slug=unique_slug(slugify(conversation)),
            title=title[:200],
            summary=(first_paragraph or title)[:2000],
            language=language or detect_language([r.text for r in rows]),
            opens_at=opens_at,
            closes_at=closes_at,
            published_at=opens_at,
            source_url=summary.get("url", "").strip()[:500] or None,
            external_id=external_id,
        )
        consultation.body_markdown = _body_markdown(summary)
        consultation.body_html = markdown_html(consultation.body_markdown)
        db.session.add(consultation)
        db.session.flush()
    if not consultation.source_licence:  # also for consultations imported before the licence was kept
        consultation.source_attribution = SOURCE_ATTRIBUTION
        consultation.source_licence, consultation.source_licence_url = SOURCE_LICENCE, SOURCE_LICENCE_URL
    result = PolisImportResult(slug=consultation.slug, title=consultation.title, created=created,
                               voters=_voters(summary, votes))
    if result.voters is not None and consultation.imported_voters != result.voters:
        consultation.imported_voters = result.voters

    authors = _participants(conversation, {r.author_id for r in rows}, result)
    known = {comment.external_id: comment for comment in db.session.scalars(
        sa.select(Comment).where(Comment.consultation_id == consultation.id, Comment.external_id.is_not(None)))}
    local = _local_stances(consultation.id)
    new_comments = []
    for row in sorted(rows, key=lambda r: (r.created_at, r.comment_id)):
        counts = (row.agrees, row.disagrees, passes.get(row.comment_id, 0))
        comment = known.get(str(row.comment_id))
        if comment is None and not has_visible_text(row.text):
            result.skipped_empty += 1
            continue
        if comment is not None:
            agree, disagree = local.get((comment.id, Stance.AGREE.value), 0), \
                local.get((comment.id, Stance.DISAGREE.value), 0)
            wanted = (counts[0] + agree, counts[1] + disagree, counts[2])
            if (comment.support_count, comment.disagree_count, comment.pass_count) != wanted:
                comment.support_count, comment.disagree_count, comment.pass_count = wanted
                result.counts_updated += 1
            continue
        state = CommentState.PENDING if all_pending else STATE_BY_MODERATED[row.moderated]
        new_comments.append(Comment(
            consultation_id=consultation.id, author_id=authors[row.author_id].id, state=state.value,
            body_text=row.text, body_html=comment_html(row.text), created_at=row.created_at,
            support_count=counts[0], disagree_count=counts[1], pass_count=counts[2],
            external_id=str(row.comment_id), depth=0,
        ))
        setattr(result, state.value, getattr(result, state.value) + 1)
    db.session.add_all(new_comments)
    db.session.flush()
    for comment in new_comments:
        comment.thread_id, comment.path = comment.id, path_segment(comment.id)
        if comment.state != CommentState.PENDING.value:
            record(ActionType.IMPORT, comment=comment, reason="polis", before=None, after=comment.state,
                   automatic=True, at=comment.created_at,
                   note=f"Polis moderated={'1' if comment.state == CommentState.PUBLISHED.value else '-1'}")
    if created:
        enqueue("consultation", consultation.id)
    if new_comments:
        enqueue("consultation_comments", consultation.id)
    db.session.commit()
    return result


def _local_stances(consultation_id: int) -> dict[tuple[int, str], int]:
    """``{(comment id, stance): rows}`` of the stances citizens took here on the
    consultation's comments (none, for a conversation only imported)."""
    return {(comment_id, stance): count for comment_id, stance, count in db.session.execute(
        sa.select(Support.comment_id, Support.stance, sa.func.count())
        .join(Comment, Comment.id == Support.comment_id).where(Comment.consultation_id == consultation_id)
        .group_by(Support.comment_id, Support.stance))}


def _participants(conversation: str, author_ids: set[int], result: PolisImportResult) -> dict[int, User]:
    """Find or create the pseudonymous account of every author id."""
    keys = {author_id: f"polis:{conversation}:{author_id}" for author_id in author_ids}
    existing = {u.external_id: u for u in db.session.scalars(sa.select(User).where(User.external_id.in_(keys.values())))}
    users = {}
    for author_id, key in keys.items():
        user = existing.get(key)
        if user is None:
            user = User(display_name=f"Deltaker {author_id}", is_pseudonymous=True, external_id=key, role="citizen")
            db.session.add(user)
            result.participants_added += 1
        users[author_id] = user
    db.session.flush()
    return users
