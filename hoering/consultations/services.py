"""Consultation services: create, edit, list and count."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hoering import permissions
from hoering.comments.models import Comment, CommentState, count_participants
from hoering.consultations import topics
from hoering.consultations.models import (
    QUESTION_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    Consultation,
    ModerationMode,
    Question,
    Status,
    could_be_slug,
)
from hoering.events import ConsultationPublished, ConsultationSaved, announce
from hoering.exceptions import Conflict, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.sanitize import contains_bidi_controls, has_visible_text, markdown_html, normalize_line, normalize_text
from hoering.timeutil import to_oslo, utcnow

_SLUG_TRANSLITERATION = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a", "ß": "ss"})
_SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Longest reason for a short consultation period, in characters.
SHORT_PERIOD_REASON_MAX_LENGTH = 2000


def slugify(text: str) -> str:
    """Make a URL slug: Norwegian letters transliterated (æ→ae, ø→o, å→a), other accents
    dropped, anything else a hyphen; a long title is cut between words, at most
    ``SLUG_MAX_LENGTH`` characters. ``"Ny skole på Øvre Å"`` → ``"ny-skole-pa-ovre-a"``,
    ``"Vei – ny trasé"`` → ``"vei-ny-trase"``."""
    text = (text or "").translate(_SLUG_TRANSLITERATION)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > SLUG_MAX_LENGTH:
        cut = slug[:SLUG_MAX_LENGTH + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:SLUG_MAX_LENGTH]
    return slug


def unique_slug(base: str, exclude_id: int | None = None) -> str:
    """Return ``base`` or ``base-2``, ``base-3`` … whichever is not taken."""
    base = base or "horing"
    candidate, n = base, 1
    while True:
        query = sa.select(Consultation.id).where(Consultation.slug == candidate)
        if exclude_id is not None:
            query = query.where(Consultation.id != exclude_id)
        if db.session.scalar(query) is None:
            return candidate
        n += 1
        candidate = f"{base[: SLUG_MAX_LENGTH - len(str(n)) - 1]}-{n}"


@dataclass
class ConsultationData:
    """What a case officer enters for a consultation.

    ``opens_at`` and ``closes_at`` are aware UTC datetimes; ``closes_at`` is normally
    :func:`hoering.timeutil.end_of_oslo_day` of the deadline day. ``questions`` is a list of
    question texts in order.
    """

    title: str
    summary: str
    body_markdown: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    language: str = "nb"
    responsible_unit: str = ""
    moderation_mode: str = ModerationMode.POST.value
    questions: list[str] | None = None
    slug: str | None = None
    publish: bool = False
    hashtag: str = ""
    political_body: str = ""
    meeting_at: dt.datetime | None = None  # aware UTC
    short_period_reason: str = ""
    topic: str = ""  # a key of CONSULTATION_TOPICS, or ""
    area: str = ""  # a key of CONSULTATION_AREAS, or ""
    accepts_responses: bool = False


def _validate(data: ConsultationData) -> None:
    if not has_visible_text(normalize_line(data.title)):
        raise ValidationFailed(_l("Enter a title."))
    if any(contains_bidi_controls(text) for text in (data.title, data.responsible_unit, data.political_body,
                                                     *(data.questions or []))):
        raise ValidationFailed(_l("The title, unit, political body and questions cannot contain characters that "
                                  "reverse the direction of text."))
    if data.closes_at <= data.opens_at:
        raise ValidationFailed(_l("The deadline must be after the opening."))
    if data.meeting_at is not None and data.meeting_at < data.opens_at:
        raise ValidationFailed(_l("The meeting that decides cannot be before the consultation opens."))
    if data.slug and not _SLUG_PATTERN.match(data.slug):
        raise ValidationFailed(_l("The address may only contain a–z, 0–9 and hyphens."))
    if not topics.is_known(topics.TOPICS, data.topic):
        raise ValidationFailed(_l("Choose one of the topics in the list."))
    if not topics.is_known(topics.AREAS, data.area):
        raise ValidationFailed(_l("Choose one of the areas in the list."))
    if any(len(q.strip()) > QUESTION_MAX_LENGTH for q in data.questions or []):
        raise ValidationFailed(_l("A question can be at most %(max)d characters.", max=QUESTION_MAX_LENGTH))


def minimum_period_days() -> int:
    """The shortest consultation period, in days, that needs no public justification
    (``CONSULTATION_MINIMUM_DAYS``, six weeks by default after utredningsinstruksen § 3-3)."""
    return int(current_app.config["CONSULTATION_MINIMUM_DAYS"])


def period_days(opens_at: dt.datetime, closes_at: dt.datetime) -> int:
    """Whole calendar days (Oslo) from the opening day to the deadline day."""
    return (to_oslo(closes_at).date() - to_oslo(opens_at).date()).days


def is_short_period(consultation: Consultation) -> bool:
    """True when ``consultation``'s period is shorter than :func:`minimum_period_days`."""
    return consultation.period_days < minimum_period_days()


def short_period_warning(consultation: Consultation) -> str:
    """The warning for a saved draft whose period is too short to publish without a reason."""
    return _("The consultation period is %(days)d days, shorter than %(weeks)d weeks. To publish it, give the "
             "reason for the short period.", days=consultation.period_days, weeks=minimum_period_days() // 7)


def _check_period(data: ConsultationData, consultation: Consultation | None) -> None:
    """A consultation published with a period under the minimum needs a public reason
    (utredningsinstruksen § 3-3: "ikke kortere enn seks uker", unless it is justified).

    Checked when a consultation is published and when a published one's opening moves; a
    consultation closed early is not asked again.

    Raises:
        ValidationFailed: the period is short, the consultation is to be published and
            no reason is given; or the reason is too long or reverses the text direction.
    """
    reason = normalize_text(data.short_period_reason or "")
    if len(reason) > SHORT_PERIOD_REASON_MAX_LENGTH:
        raise ValidationFailed(_l("The reason for the short period can be at most %(n)d characters.",
                                  n=SHORT_PERIOD_REASON_MAX_LENGTH))
    if contains_bidi_controls(reason):
        raise ValidationFailed(_l("The text cannot contain characters that reverse the direction of text."))
    data.short_period_reason = reason
    days = period_days(data.opens_at, data.closes_at)
    newly_public = consultation is None or consultation.published_at is None \
        or to_oslo(consultation.opens_at).date() != to_oslo(data.opens_at).date()
    if data.publish and newly_public and days < minimum_period_days() and not has_visible_text(reason):
        raise ValidationFailed(_l(
            "The consultation period is %(days)d days, shorter than %(weeks)d weeks. Give the reason for the short "
            "period; it is shown on the consultation page. (Utredningsinstruksen § 3-3: normally three months, "
            "at least six weeks.)", days=days, weeks=minimum_period_days() // 7))


def _apply(consultation: Consultation, data: ConsultationData) -> None:
    consultation.title = normalize_line(data.title)  # one line: it goes into mail subjects and feeds
    consultation.summary = data.summary.strip()
    consultation.body_markdown = data.body_markdown
    consultation.body_html = markdown_html(data.body_markdown)
    consultation.opens_at = data.opens_at
    consultation.closes_at = data.closes_at
    consultation.language = data.language
    consultation.responsible_unit = normalize_line(data.responsible_unit)
    consultation.moderation_mode = data.moderation_mode
    consultation.hashtag = data.hashtag.strip().lstrip("#")
    consultation.political_body = normalize_line(data.political_body)
    consultation.meeting_at = data.meeting_at
    consultation.short_period_reason = data.short_period_reason
    consultation.topic, consultation.area = data.topic, data.area
    consultation.accepts_responses = bool(data.accepts_responses)
    if data.publish and consultation.published_at is None:
        consultation.published_at = utcnow()
    elif not data.publish:
        consultation.published_at = None
    questions = [normalize_line(q) for q in (data.questions or [])]
    _apply_questions(consultation, [q for q in questions if q])


def _apply_questions(consultation: Consultation, texts: list[str]) -> None:
    """Set the guiding questions, keeping each existing question's row by position so that
    comments answering it stay linked when its wording is corrected.

    Raises:
        ValidationFailed: a question that comments answer would be deleted.
    """
    current = list(consultation.questions)
    for question in current[len(texts):]:
        answered = question.id is not None and db.session.scalar(
            sa.select(sa.func.count(Comment.id)).where(Comment.question_id == question.id))
        if answered:
            raise ValidationFailed(_l("The question “%(question)s” has answers and cannot be removed. "
                                      "Change its wording instead.", question=question.text))
    for position, text in enumerate(texts):
        if position < len(current):
            current[position].text = text
            current[position].position = position
        else:
            consultation.questions.append(Question(text=text, position=position))
    for question in current[len(texts):]:
        consultation.questions.remove(question)


def create_consultation(user, data: ConsultationData) -> Consultation:
    """Create and commit a consultation.

    Raises:
        PermissionDenied: ``user`` may not manage consultations.
        ValidationFailed: empty title, deadline not after opening, malformed slug.
        Conflict: the chosen slug is taken.
    """
    if not permissions.can_manage_consultations(user):
        raise PermissionDenied(_l("Only case officers can create consultations."))
    _validate(data)
    _check_period(data, None)
    if data.slug:
        if db.session.scalar(sa.select(Consultation.id).where(Consultation.slug == data.slug)):
            raise Conflict(_l("The address is already in use by another consultation."))
        slug = data.slug
    else:
        slug = unique_slug(slugify(data.title))
    consultation = Consultation(slug=slug, created_by_id=user.id)
    _apply(consultation, data)
    db.session.add(consultation)
    db.session.flush()
    announce(ConsultationSaved(consultation.id, published=consultation.published_at is not None))
    if consultation.published_at is not None:
        announce(ConsultationPublished(consultation.id))
    db.session.commit()
    return consultation


def update_consultation(user, consultation: Consultation, data: ConsultationData) -> Consultation:
    """Change and commit a consultation (same rules and errors as :func:`create_consultation`)."""
    if not permissions.can_manage_consultations(user):
        raise PermissionDenied(_l("Only case officers can edit consultations."))
    _validate(data)
    if consultation.published_at is not None and data.publish:
        # A published consultation's deadline moves only through the lifecycle page, with
        # a public reason; an unchanged deadline day keeps its exact time (an early close).
        if to_oslo(data.closes_at).date() != consultation.deadline:
            raise ValidationFailed(_l("The deadline of a published consultation is changed under “Deadline, "
                                      "decision and archive”, with a reason the public sees."))
        data.closes_at = consultation.closes_at
    _check_period(data, consultation)
    if data.slug and data.slug != consultation.slug:
        if db.session.scalar(sa.select(Consultation.id).where(Consultation.slug == data.slug)):
            raise Conflict(_l("The address is already in use by another consultation."))
        consultation.slug = data.slug
    language_before, title_before = consultation.language, consultation.title
    was_published = consultation.published_at is not None
    _apply(consultation, data)
    # comments are analyzed in their consultation's language and shown with its title
    announce(ConsultationSaved(consultation.id, published=consultation.published_at is not None,
                               comments_affected=(consultation.language, consultation.title)
                               != (language_before, title_before)))
    if consultation.published_at is not None and not was_published:
        announce(ConsultationPublished(consultation.id))
    db.session.commit()
    return consultation


def get_by_slug(slug: str) -> Consultation | None:
    """The consultation with ``slug``, or ``None`` (also for strings no slug can be)."""
    if not could_be_slug(slug):
        return None
    return db.session.scalar(sa.select(Consultation).where(Consultation.slug == slug))


def sort_for_listing(consultations: list[Consultation], now: dt.datetime | None = None) -> list[Consultation]:
    """Order for the front page: open by nearest deadline, then upcoming by nearest opening,
    then closed and summarized with the most recent deadline first; drafts last."""
    now = now or utcnow()
    rank = {Status.OPEN: 0, Status.UPCOMING: 1, Status.CLOSED: 2, Status.SUMMARIZED: 2, Status.DRAFT: 3}

    def key(c: Consultation):
        status = c.status(now)
        if status == Status.OPEN:
            return (rank[status], c.closes_at.timestamp())
        if status == Status.UPCOMING:
            return (rank[status], c.opens_at.timestamp())
        return (rank[status], -c.closes_at.timestamp())

    return sorted(consultations, key=key)


def list_consultations(include_drafts: bool = False) -> list[Consultation]:
    """Published consultations (and drafts when asked), in front-page order; archived
    ones are left out."""
    query = sa.select(Consultation).where(Consultation.archived_at.is_(None))
    if not include_drafts:
        query = query.where(Consultation.published_at.is_not(None))
    return sort_for_listing(list(db.session.scalars(query)))


#: Archived consultations per page of the archive.
ARCHIVE_PER_PAGE = 20


@dataclass(frozen=True)
class ParticipationCounts:
    """Published comments and distinct participants of one consultation."""

    comments: int = 0
    participants: int = 0


def participation_counts(consultation_ids: list[int]) -> dict[int, ParticipationCounts]:
    """Count published comments and distinct authors per consultation in one query."""
    if not consultation_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Comment.consultation_id,
            sa.func.count(Comment.id),
            count_participants(),
        )
        .where(Comment.consultation_id.in_(consultation_ids), Comment.state == CommentState.PUBLISHED.value)
        .group_by(Comment.consultation_id)
    )
    counts = {cid: ParticipationCounts(n, p) for cid, n, p in rows}
    return {cid: counts.get(cid, ParticipationCounts()) for cid in consultation_ids}
