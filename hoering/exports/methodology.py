"""How a consultation's report came about: the method section politicians read first.

A report that counts comments without saying what was counted misleads. Following the
guidance for consultation reports (the UK Government's Consultation Principles, 2018:
"explain the methods used"; Citizen Space's "We asked, you said, we did"), the section
states: when the consultation ran and through which channels; the house rules that
moderation applied; how many people took part and how many voted on comments; how many
comments came in, how many were published and how many were not, with the reasons; how
the themes were made, and how each theme tag came to be (chosen by a moderator, or a
proposal of the computer accepted); how much of what was published was analysed; and,
where readers voted, that comments shown longer collect more votes.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from hoering.comments.models import Comment, CommentState, Support, count_participants
from hoering.consultations.lifecycle import public_events
from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.moderation.models import PENDING_REVIEW
from hoering.moderation.rules import house_rule_titles, house_rules
from hoering.summaries.coding import progress
from hoering.summaries.models import CommentTheme, TagSource, Theme
from hoering.timeutil import to_oslo

#: Fewest published comments for the exposure comparison (a tenth of them is then at least two).
EXPOSURE_MIN_COMMENTS = 20


@dataclass(frozen=True)
class Exposure:
    """Votes by how long comments were shown: the median votes (agree, disagree and pass
    together, per comment) of the earliest and of the latest tenth of the published
    comments by ``created_at``.

    Attributes:
        size: comments in each tenth (``published // 10``).
        earliest: the median votes of the earliest ``size`` comments.
        latest: the median votes of the latest ``size`` comments.
    """

    size: int
    earliest: float
    latest: float


@dataclass
class Methodology:
    """The facts of the method section.

    Attributes:
        opens_at, closes_at: when comments could be sent (UTC).
        channels: the ways comments came in, as sentences in the current language.
        house_rules: the titles of the house rules in force, in their published order.
        authors: people who sent at least one comment (any state; official replies not
            counted).
        participants: people with at least one published comment.
        voters: people who marked agreement on a published comment here, plus the voters an
            import recorded (:attr:`imported_voters`).
        imported_voters: voters counted by the platform the comments were imported from (0
            when none).
        received: every comment and reply sent, in any state.
        published: those shown to the public.
        not_published: ``[(reason, count)]``: comments rejected or hidden, by the house rule
            cited (or why else), largest first.
        waiting: comments still waiting for moderation.
        withdrawn: comments their authors removed.
        themes: themes defined.
        taggers: people who tagged comments with themes.
        analysed: published comments tagged with at least one theme or marked "read, no
            theme" (:func:`hoering.summaries.coding.progress`).
        read_without_theme: of those, the ones marked "read, no theme".
        source: the credit and licence of imported data (``None`` when nothing was imported).
        tag_sources: ``{TagSource value: tags}`` of the theme tags on published comments,
            by how each came to be (:class:`hoering.summaries.models.TagSource`; kinds
            without tags left out).
        lowest_confidence_above: the lowest confidence (0 to 1) among the tags accepted
            together above a confidence (:attr:`TagSource.PROPOSALS_ABOVE`), ``None``
            when there are none or none recorded one.
        exposure: :class:`Exposure`, or ``None`` with fewer than
            :data:`EXPOSURE_MIN_COMMENTS` published comments or no votes.
        short_period_reason: the public reason for a period shorter than six weeks
            (utredningsinstruksen § 3-3), or ``""``.
        deadline_changes: ``(kind, from, to, reason)`` of each deadline extension or early
            close, oldest first; ``kind`` is ``deadline_extended`` or ``closed_early``, the
            dates ISO (Oslo).
    """

    opens_at: dt.datetime
    closes_at: dt.datetime
    channels: list[str]
    house_rules: list[str]
    authors: int
    participants: int
    voters: int
    received: int
    published: int
    not_published: list[tuple[str, int]]
    waiting: int
    withdrawn: int
    themes: int
    taggers: int
    analysed: int
    read_without_theme: int = 0
    imported_voters: int = 0
    source: tuple[str, str, str, str] | None = field(default=None)
    tag_sources: dict[str, int] = field(default_factory=dict)
    lowest_confidence_above: float | None = None
    exposure: Exposure | None = None
    short_period_reason: str = ""
    deadline_changes: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def period_days(self) -> int:
        """Calendar days (Oslo) from the opening day to the deadline day."""
        return (to_oslo(self.closes_at).date() - to_oslo(self.opens_at).date()).days

    @property
    def tags(self) -> int:
        """Theme tags on published comments (a comment with two themes counts twice)."""
        return sum(self.tag_sources.values())

    @property
    def analysed_percent(self) -> int:
        """Analysed published comments as a whole percentage, rounded down (100 only when
        every one is analysed; 0 when nothing is published)."""
        return self.analysed * 100 // self.published if self.published else 0

    @property
    def not_published_total(self) -> int:
        """Comments rejected or hidden, whatever the reason."""
        return sum(count for _, count in self.not_published)


def _reason_label(code: str | None, titles: dict[str, str], imported: bool) -> str:
    if code == PENDING_REVIEW:
        return _("Hidden after reports by readers, waiting for a moderator")
    if code and code in titles:
        return titles[code]
    if imported:
        return _("Rejected by the moderators of the platform the comments were imported from (no reason given)")
    return _("No reason recorded")


def tag_provenance(consultation_id: int) -> tuple[dict[str, int], float | None]:
    """How the theme tags on the published comments of consultation ``consultation_id``
    came to be.

    Returns:
        ``({TagSource value: tags}, lowest confidence)``: the kinds with at least one tag,
        in the order of :class:`TagSource`; the lowest confidence (0 to 1) among the tags
        accepted together above a confidence, or ``None``.
    """
    rows = db.session.execute(
        sa.select(CommentTheme.source, sa.func.count(), sa.func.min(CommentTheme.confidence))
        .join(Theme, Theme.id == CommentTheme.theme_id).join(Comment, Comment.id == CommentTheme.comment_id)
        .where(Theme.consultation_id == consultation_id, Comment.state == CommentState.PUBLISHED.value)
        .group_by(CommentTheme.source)).all()
    counts = {source: count for source, count, _lowest in rows}
    lowest = next((low for source, _count, low in rows if source == TagSource.PROPOSALS_ABOVE.value), None)
    ordered = {kind.value: counts.pop(kind.value) for kind in TagSource if counts.get(kind.value)}
    ordered.update({source: count for source, count in counts.items() if count})  # unknown kinds last
    return ordered, lowest


def exposure(consultation_id: int) -> Exposure | None:
    """The votes of the earliest and latest tenth of the published comments of
    consultation ``consultation_id`` (:class:`Exposure`), or ``None`` when fewer than
    :data:`EXPOSURE_MIN_COMMENTS` are published or nobody voted.

    Polis and similar platforms show a comment for voting from when it is posted to the
    end, so the first comments are voted on by nearly everyone and the last by few
    (Bowling Green: the opening statements have a median of 252 votes, the last day's
    comments 84 on average): a comparison of votes is fair only between comments posted
    around the same time.
    """
    votes = [int(a or 0) + int(d or 0) + int(p or 0) for a, d, p in db.session.execute(
        sa.select(Comment.support_count, Comment.disagree_count, Comment.pass_count)
        .where(Comment.consultation_id == consultation_id, Comment.state == CommentState.PUBLISHED.value)
        .order_by(Comment.created_at, Comment.id))]
    if len(votes) < EXPOSURE_MIN_COMMENTS or not any(votes):
        return None
    size = len(votes) // 10
    return Exposure(size, statistics.median(votes[:size]), statistics.median(votes[-size:]))


def methodology(consultation: Consultation) -> Methodology:
    """Gather :class:`Methodology` for ``consultation`` in a constant number of queries.

    Args:
        consultation: a loaded consultation.
    """
    mine = Comment.consultation_id == consultation.id
    imported = bool(consultation.source_attribution)  # set by the importers of open data
    states = dict(db.session.execute(
        sa.select(Comment.state, sa.func.count(Comment.id)).where(mine).group_by(Comment.state)).all())
    authors = db.session.scalar(sa.select(count_participants()).where(mine)) or 0
    participants = db.session.scalar(sa.select(count_participants()).where(
        mine, Comment.state == CommentState.PUBLISHED.value)) or 0
    voters = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Support.user_id))).join(Comment, Comment.id == Support.comment_id)
        .where(mine, Comment.state == CommentState.PUBLISHED.value)) or 0
    titles = house_rule_titles()
    reasons: dict[str, int] = {}
    for code, count in db.session.execute(
            sa.select(Comment.hidden_reason, sa.func.count(Comment.id))
            .where(mine, Comment.state.in_((CommentState.REJECTED.value, CommentState.HIDDEN.value)))
            .group_by(Comment.hidden_reason)).all():
        label = _reason_label(code, titles, imported)
        reasons[label] = reasons.get(label, 0) + count
    themes = db.session.scalar(sa.select(sa.func.count(Theme.id)).where(Theme.consultation_id == consultation.id))
    tagged = (sa.select(CommentTheme.comment_id, CommentTheme.tagged_by_id)
              .join(Theme, Theme.id == CommentTheme.theme_id)
              .join(Comment, Comment.id == CommentTheme.comment_id)
              .where(Theme.consultation_id == consultation.id, Comment.state == CommentState.PUBLISHED.value)
              .subquery())
    taggers = db.session.scalar(sa.select(sa.func.count(sa.distinct(tagged.c.tagged_by_id))))
    analysis = progress(consultation.id)
    channels = [_("The consultation's page on this site, where signed-in citizens wrote comments and replies "
                  "and marked agreement.")]
    if imported:
        channels = [_("Imported from %(source)s: comments, votes and the original moderators' decisions.",
                      source=consultation.source_attribution or consultation.external_id)]
    source = None
    if consultation.source_licence:
        source = (consultation.source_attribution, consultation.source_url or "", consultation.source_licence,
                  consultation.source_licence_url)
    imported_voters = int(consultation.imported_voters or 0)
    tag_sources, lowest_confidence = tag_provenance(consultation.id)
    return Methodology(
        opens_at=consultation.opens_at, closes_at=consultation.closes_at, channels=channels,
        house_rules=[rule.title for rule in house_rules()], authors=authors, participants=participants,
        voters=voters + imported_voters, imported_voters=imported_voters, received=sum(states.values()),
        published=states.get(CommentState.PUBLISHED.value, 0),
        not_published=sorted(reasons.items(), key=lambda item: (-item[1], item[0])),
        waiting=states.get(CommentState.PENDING.value, 0), withdrawn=states.get(CommentState.REMOVED.value, 0),
        themes=themes or 0, taggers=taggers or 0, analysed=analysis.analysed,
        read_without_theme=analysis.read_without_theme, source=source, tag_sources=tag_sources,
        lowest_confidence_above=lowest_confidence, exposure=exposure(consultation.id),
        short_period_reason=consultation.short_period_reason,
        deadline_changes=[(e.kind, e.old_value, e.new_value, e.reason) for e in public_events(consultation)],
    )
