"""Participation statistics of a consultation, and the comments-per-day chart.

Everything counts published comments only (what the public sees); a constant number of
queries whatever the size of the consultation.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import sqlalchemy as sa

from hoering import isolation
from hoering.comments.models import Comment, CommentState, count_participants
from hoering.consultations.models import Consultation, Question, Section
from hoering.consultations.pagecache import per_version
from hoering.consultations.versions import head_of
from hoering.extensions import db
from hoering.summaries.duplicates import groups_of
from hoering.summaries.themes import ThemeCount, theme_overview
from hoering.timeutil import to_oslo


@dataclass
class Statistics:
    """Counts of one consultation's published comments.

    Attributes:
        participants: distinct authors (official replies not counted).
        comments: top-level comments.
        replies: replies (any depth).
        supports: "agree" marks on published comments (with imported agree votes).
        disagrees: "disagree" marks on them (with imported disagree votes).
        themes: per theme, as :func:`hoering.summaries.themes.theme_overview` counts.
        uncovered: published comments without a theme.
        questions: ``[(question text, top-level comments answering it)]`` in question order.
        sections: ``[(section as cited, published top-level comments about it)]`` in the
            order of the draft text (:class:`hoering.consultations.models.Section`).
        per_day: ``[(Oslo date, comments and replies posted that day)]``, every day from
            the first to the last comment (days without comments count 0).
    """

    participants: int
    comments: int
    replies: int
    supports: int
    themes: list[ThemeCount]
    uncovered: int
    questions: list[tuple[str, int]]
    per_day: list[tuple[dt.date, int]] = field(default_factory=list)
    #: Comments and replies with each near-duplicate group counted once
    #: (:mod:`hoering.summaries.duplicates`).
    distinct: int = 0
    disagrees: int = 0
    sections: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Comments and replies together."""
        return self.comments + self.replies


def statistics(consultation: Consultation) -> Statistics:
    """Compute :class:`Statistics` for ``consultation``."""
    published = sa.and_(Comment.consultation_id == consultation.id, Comment.state == CommentState.PUBLISHED.value)
    participants, comments, replies, supports, disagrees = db.session.execute(sa.select(
        count_participants(),
        sa.func.count(Comment.id).filter(Comment.parent_id.is_(None)),
        sa.func.count(Comment.id).filter(Comment.parent_id.is_not(None)),
        sa.func.coalesce(sa.func.sum(Comment.support_count), 0),
        sa.func.coalesce(sa.func.sum(Comment.disagree_count), 0),
    ).where(published)).one()
    overview = theme_overview(consultation, uncovered_limit=0)
    answered = dict(db.session.execute(
        sa.select(Comment.question_id, sa.func.count(Comment.id))
        .where(published, Comment.parent_id.is_(None), Comment.question_id.is_not(None))
        .group_by(Comment.question_id)).all())
    questions = [(q.text, answered.get(q.id, 0)) for q in db.session.scalars(
        sa.select(Question).where(Question.consultation_id == consultation.id).order_by(Question.position))]
    about = dict(db.session.execute(
        sa.select(Comment.section_id, sa.func.count(Comment.id))
        .where(published, Comment.parent_id.is_(None), Comment.section_id.is_not(None))
        .group_by(Comment.section_id)).all())
    sections = [(s.label, about.get(s.id, 0)) for s in db.session.scalars(
        sa.select(Section).where(Section.consultation_id == consultation.id).order_by(Section.position))]
    groups = groups_of(consultation, (CommentState.PUBLISHED.value,))
    distinct = comments + replies - sum(len(group) - 1 for group in groups)
    return Statistics(participants, comments, replies, int(supports), overview.themes, overview.uncovered_total,
                      questions, comments_per_day(consultation), distinct, int(disagrees), sections)


def comments_per_day(consultation: Consultation) -> list[tuple[dt.date, int]]:
    """``[(Oslo date, published comments and replies that day)]`` from the first to the
    last day with comments, days without any counting 0."""
    days: dict[dt.date, int] = {}
    for (created,) in db.session.execute(sa.select(Comment.created_at).where(
            Comment.consultation_id == consultation.id, Comment.state == CommentState.PUBLISHED.value)):
        day = to_oslo(created).date()
        days[day] = days.get(day, 0) + 1
    per_day = []
    if days:
        day, last = min(days), max(days)
        while day <= last:
            per_day.append((day, days.get(day, 0)))
            day += dt.timedelta(days=1)
    return per_day


def comments_per_day_chart(consultation: Consultation, title: str) -> bytes:
    """The comments-per-day chart of ``consultation`` as PNG bytes
    (:func:`comments_per_day_png`), drawn in a child process (:mod:`hoering.isolation`:
    matplotlib and NumPy, about 40 MiB, never load into the web worker) once per content
    version and language, then taken from the cache: a public address cannot make the
    server draw (or fork) on every request.

    Args:
        consultation: a loaded consultation.
        title: the chart's title (already translated; the key holds the language).

    Raises:
        hoering.isolation.Overran: the child took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    return per_version(head_of(consultation), "chart-per-day",
                       lambda: isolation.run(comments_per_day_png, comments_per_day(consultation), str(title)))


def comments_per_day_png(per_day: list[tuple[dt.date, int]], title: str, *, width_inches: float = 8.0,
                         dpi: int = 120) -> bytes:
    """A bar chart of comments per day as PNG bytes, drawn with matplotlib (Agg, no
    display, safe in threads: a ``Figure`` of its own, not pyplot).

    Args:
        per_day: ``[(date, count)]`` as :func:`comments_per_day` gives them.
        title: the chart's title (already translated).
        width_inches: figure width; the height is 45 % of it.
        dpi: resolution, dots per inch.
    """
    from babel.dates import format_skeleton
    from flask_babel import get_locale
    from matplotlib.dates import AutoDateLocator, num2date
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure = Figure(figsize=(width_inches, width_inches * 0.45), dpi=dpi)
    axes = figure.add_subplot()
    if per_day:
        axes.bar([day for day, _ in per_day], [count for _, count in per_day], color="#1f5f8b", width=0.8)
        axes.xaxis.set_major_locator(AutoDateLocator(maxticks=8))
        # Day and month as the reader's language writes them ("5. feb.", "5 Feb"; CLDR's
        # "MMMd" skeleton), not matplotlib's English; the first tick and the first of a new
        # year carry the year too ("5. feb. 2018"), so that the chart says when.
        locale = get_locale()
        first_year = per_day[0][0].year

        def tick(value, pos):
            day = num2date(value).date()
            with_year = pos == 0 or (day.year != first_year and day.month == 1 and day.day <= 7)
            return format_skeleton("yMMMd" if with_year else "MMMd", day, locale=locale)

        axes.xaxis.set_major_formatter(FuncFormatter(tick))
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    output = io.BytesIO()
    figure.savefig(output, format="png", metadata={"Software": None})
    return output.getvalue()
