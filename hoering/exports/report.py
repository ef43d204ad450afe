"""The summary report for politicians: consultation facts, how the consultation and its
analysis were done (:mod:`hoering.exports.methodology`), statistics and chart, the summary
per theme (largest theme first) with quotes and counts, the credit and licence of
imported data, and an appendix of all published comments.

Summed votes are said to be votes, not people, beside the sums, with the number of people
who voted; under a contested theme the comments people split on are listed with their votes.

One :class:`Report` is built from the database, then written as DOCX (python-docx), as a
tagged, accessible PDF (WeasyPrint, from ``templates/exports/report_document.html``:
PDF/UA-1 to read, PDF/A-3a for the archive; :mod:`hoering.exports.pdf`) or shown as a
printable page. Every quote links to its comment, or its formal response, on the site. Labels are translated in the
current locale.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation, Status
from hoering.exports.methodology import Methodology, methodology
from hoering.exports.quotes import ReportQuote, response_quote
from hoering.exports.responses import ResponsesSection, responses_section
from hoering.exports.richtext import Block, html_blocks
from hoering.exports.rows import CommentRow, comment_rows
from hoering.extensions import db
from hoering.i18n import current_language_code, human_datetime, ngettext
from hoering.stances import Tally, is_contested, stance_counts_text, tally_of
from hoering.summaries.models import CommentTheme, TagSource, Theme
from hoering.summaries.services import SummaryView, summary_view
from hoering.summaries.statistics import Statistics, comments_per_day_chart, statistics
from hoering.timeutil import to_oslo
from hoering.urls import site_url_for

#: Contested comments listed under a contested theme (the most voted on first).
SPLIT_COMMENTS_SHOWN = 3
#: Characters of a contested comment's text shown beside its number.
SPLIT_EXCERPT_CHARS = 160


@dataclass
class ContestedTheme:
    """Where the people voting on a contested theme split.

    Attributes:
        name: the theme's name.
        contested: how many of its published comments are contested
            (:func:`hoering.stances.is_contested`).
        comments: the :data:`SPLIT_COMMENTS_SHOWN` of them with the most agree and
            disagree votes, as quotes whose ``text`` is an excerpt and ``votes`` the two
            counts without the word "contested".
    """

    name: str
    contested: int
    comments: list[ReportQuote]

    @property
    def lead(self) -> str:
        """The sentence before the list, in the current language."""
        if not self.contested:
            return _("Where people split: no single comment of this theme is contested; people agree with some of "
                     "its comments and disagree with others.")
        return ngettext("Where people split: %(count)s of its comments is contested. The most voted on:",
                        "Where people split: %(count)s of its comments are contested. The most voted on:",
                        self.contested, count=format_decimal(self.contested))


@dataclass
class ReportSection:
    """One theme in the report: name, counts, the moderators' text and quotes, and where
    people split when the theme is contested (``None`` otherwise)."""

    name: str
    counts: str
    blocks: list[Block]
    html: str
    quotes: list[ReportQuote]
    split: ContestedTheme | None = None


@dataclass
class Report:
    """Everything the report shows, as plain text or styled blocks (no HTML), ready for
    any format."""

    consultation: Consultation
    title: str
    facts: list[tuple[str, str]]
    stats: Statistics
    chart_png: bytes
    summary: SummaryView | None
    overview: list[Block]
    overview_quotes: list[ReportQuote]
    sections: list[ReportSection]
    appendix: list[CommentRow]
    generated_at: dt.datetime
    method: Methodology | None = None
    owner: str = ""
    language: str = "nb"
    #: Said beside the theme table's summed votes (:func:`votes_not_people`; "" without votes).
    votes_note: str = ""
    #: Contested themes without a section in the summary: their splits follow the theme table.
    splits: list[ContestedTheme] = field(default_factory=list)
    #: The formal responses (høringssvar), when the consultation takes them or has some.
    responses: ResponsesSection | None = None

    @property
    def generated_label(self) -> str:
        """"Laget 29. november 2026" in the report's language."""
        return _("Made %(date)s", date=format_date(to_oslo(self.generated_at).date(), "long"))

    @property
    def is_draft(self) -> bool:
        """True when the summary shown is not published yet."""
        return self.summary is not None and self.summary.published_at is None


def build_report(consultation: Consultation, *, include_draft: bool, with_chart: bool = True) -> Report:
    """Gather the report of ``consultation``.

    Args:
        include_draft: show the summary even while it is a draft (staff), marked as such.
        with_chart: draw the chart (the printable page links to it instead).
    """
    stats = statistics(consultation)
    view = summary_view(consultation, include_draft=include_draft)
    method = methodology(consultation)
    has_votes = bool(stats.supports or stats.disagrees)
    facts = [
        (_("Consultation"), consultation.title),
        (_("Responsible unit"), consultation.responsible_unit or "–"),
        (_("Opened") if consultation.status() not in (Status.DRAFT, Status.UPCOMING) else _("Opens"),
         human_datetime(consultation.opens_at)),
        (_("Deadline"), format_date(consultation.deadline, "long")),
        (_("Participants"), format_decimal(stats.participants)),
        (_("Comments, not counting replies"), format_decimal(stats.comments)),
        (_("Replies"), format_decimal(stats.replies)),
        (_("Agree"), format_decimal(stats.supports)),
        (_("Disagree"), format_decimal(stats.disagrees)),
    ]
    if method.voters:
        facts.append((_("Voting"), _("%(num)s participants voted", num=format_decimal(method.voters)) + "; "
                      + _("agree and disagree are votes, not people")))
    elif has_votes:  # votes without a record of who cast them (an import that did not count its voters)
        facts.append((_("Voting"), _("Agree and disagree are votes, not people.")))
    if stats.distinct != stats.total:
        facts.append((_("Distinct comments (near-duplicates counted once)"), format_decimal(stats.distinct)))

    def quotes(items) -> list[ReportQuote]:
        return [response_quote(q.response) if q.response is not None else
                ReportQuote(q.comment.body_text, q.comment.author.display_name, q.comment.id,
                            site_url_for("comments.permalink", comment_id=q.comment.id),
                            votes_text(tally_of(q.comment))) for q in items]

    # Largest theme first: the order of weight, not of the alphabet.
    stats.themes.sort(key=lambda count: (-count.comments, count.theme.name.casefold()))
    splits = contested_themes(consultation, [count.theme for count in stats.themes if count.tally.contested])
    sections = []
    if view is not None:
        for section in sorted(view.sections, key=lambda part: (-(part.count.comments if part.count else 0),
                                                               part.theme.name.casefold())):
            counts = ""
            if section.count:
                counts = (ngettext("%(num)s comment", "%(num)s comments", section.count.comments) + " · "
                          + ngettext("%(num)s participant", "%(num)s participants", section.count.participants))
                votes = votes_text(section.count.tally)
                counts += " · " + _("%(votes)s (votes on its comments, not people)", votes=votes) if votes else ""
            sections.append(ReportSection(section.theme.name, counts, html_blocks(section.text_html),
                                          section.text_html, quotes(section.quotes), splits.pop(section.theme.id, None)))
    return Report(
        consultation=consultation, title=_("What we heard: %(title)s", title=consultation.title), facts=facts,
        stats=stats, chart_png=comments_per_day_chart(consultation, _("Comments per day")) if with_chart else b"",
        summary=view,
        overview=html_blocks(view.overview_html) if view else [], overview_quotes=quotes(view.quotes) if view else [],
        sections=sections, appendix=list(comment_rows(consultation, full=False)),
        generated_at=dt.datetime.now(dt.UTC), owner=current_app.config.get("SITE_OWNER") or "",
        method=method,
        language={"nb": "nb-NO", "nn": "nn-NO", "en": "en-GB"}.get(current_language_code(), "nb-NO"),
        votes_note=votes_not_people(method.voters) if has_votes and stats.themes else "",
        splits=list(splits.values()), responses=responses_section(consultation),
    )


def votes_not_people(voters: int) -> str:
    """The note beside summed votes: they are votes, not people, and ``voters`` people
    (a count, ``>= 0``; left out when 0: the votes' casters were not recorded) voted."""
    if not voters:
        return _("The votes of a theme are the sums of the votes on its comments: votes, not people.")
    return ngettext("The votes of a theme are the sums of the votes on its comments: votes, not people. "
                    "%(count)s person voted in all.",
                    "The votes of a theme are the sums of the votes on its comments: votes, not people. "
                    "%(count)s people voted in all.", voters, count=format_decimal(voters))


def _excerpt(text: str, limit: int = SPLIT_EXCERPT_CHARS) -> str:
    """``text`` on one line, cut at a word before ``limit`` characters with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def contested_themes(consultation: Consultation, themes: list[Theme]) -> dict[int, ContestedTheme]:
    """Where people split in each of ``themes`` (the contested ones, in the order given):
    ``{theme id: ContestedTheme}``, from the theme's published comments that are
    contested by :func:`hoering.stances.is_contested`, the most agree and disagree votes
    first (then the oldest). One query.

    Args:
        consultation: whose comments.
        themes: themes of ``consultation``.
    """
    if not themes:
        return {}
    found: dict[int, list[tuple]] = {theme.id: [] for theme in themes}
    for theme_id, comment_id, text, agree, disagree in db.session.execute(
            sa.select(CommentTheme.theme_id, Comment.id, Comment.body_text, Comment.support_count,
                      Comment.disagree_count)
            .join(Comment, Comment.id == CommentTheme.comment_id)
            .where(CommentTheme.theme_id.in_(list(found)), Comment.consultation_id == consultation.id,
                   Comment.state == CommentState.PUBLISHED.value)
            .order_by(Comment.created_at, Comment.id)):
        if is_contested(agree, disagree):
            found[theme_id].append((comment_id, text, agree or 0, disagree or 0))
    result = {}
    for theme in themes:
        rows = sorted(found[theme.id], key=lambda row: -(row[2] + row[3]))  # stable: the oldest first among equals
        result[theme.id] = ContestedTheme(theme.name, len(rows), [
            ReportQuote(_excerpt(text), "", comment_id, site_url_for("comments.permalink", comment_id=comment_id),
                        _("%(agree)s agree, %(disagree)s disagree", agree=format_decimal(agree),
                          disagree=format_decimal(disagree)))
            for comment_id, text, agree, disagree in rows[:SPLIT_COMMENTS_SHOWN]])
    return result


@dataclass
class MethodItem:
    """One point of the method section: a label, a sentence and, optionally, a list."""

    label: str
    text: str
    items: list[str]


def _iso_date(value: str) -> str:
    """A stored ISO date (``2026-03-15``) as a long date in the current language; the
    text as it is when it is not a date."""
    try:
        return format_date(dt.date.fromisoformat(value), "long")
    except ValueError:
        return value


def method_items(report: Report) -> list[MethodItem]:
    """The method section of ``report`` as labelled sentences in the current language
    (:mod:`hoering.exports.methodology` says what it holds and why)."""
    method = report.method
    if method is None:
        return []
    number = format_decimal
    period = _("Comments could be sent from %(start)s to %(end)s.",
               start=format_date(to_oslo(method.opens_at).date(), "long"),
               end=format_date(to_oslo(method.closes_at).date(), "long"))
    period += " " + ngettext("The period was %(count)s day.", "The period was %(count)s days.", method.period_days,
                             count=number(method.period_days))
    if method.short_period_reason:
        period += " " + _("The reason it was shorter than six weeks: %(reason)s", reason=method.short_period_reason)
    changes = [_("The deadline was extended from %(old)s to %(new)s: %(reason)s", old=_iso_date(old),
                 new=_iso_date(new), reason=reason) if kind == "deadline_extended"
               else _("The consultation was closed before its deadline, on %(date)s: %(reason)s",
                      date=_iso_date(new), reason=reason)
               for kind, old, new, reason in method.deadline_changes]
    voters = ngettext("%(count)s person voted on comments (agree or disagree).",
                      "%(count)s people voted on comments (agree or disagree).", method.voters,
                      count=number(method.voters))
    voters += " " + _("The agree and disagree figures count votes, not people: one person may vote on many comments.")
    if method.imported_voters and method.imported_voters < method.voters:  # some voted here too
        voters += " " + _("%(num)s of them voted on the platform the comments were imported from.",
                          num=number(method.imported_voters))
    elif method.imported_voters:
        voters += " " + _("They all voted on the platform the comments were imported from.")
    people = ngettext("%(count)s person sent comments", "%(count)s people sent comments", method.authors,
                      count=number(method.authors)) + "; " + ngettext(
        "%(count)s of them had a comment published.", "%(count)s of them had comments published.",
        method.participants, count=number(method.participants))
    comments = _("%(received)s comments and replies came in: %(published)s published, %(rejected)s not published, "
                 "%(waiting)s waiting for moderation and %(withdrawn)s withdrawn by their authors.",
                 received=number(method.received), published=number(method.published),
                 rejected=number(method.not_published_total), waiting=number(method.waiting),
                 withdrawn=number(method.withdrawn))
    rules = (_("Moderators checked comments against the published house rules:") if method.house_rules
             else _("No house rules were published."))
    rule_list = method.house_rules
    if method.source:  # imported: the original platform's moderators decided
        rules, rule_list = _("The moderators of the platform the comments were imported from decided which were "
                             "shown; their decisions are kept here."), []
    themes = (_("Moderators tagged the comments with themes.") + " "
              + ngettext("%(count)s theme", "%(count)s themes", method.themes, count=number(method.themes)) + "; "
              + ngettext("%(count)s person tagged.", "%(count)s people tagged.", method.taggers,
                         count=number(method.taggers)) + " "
              + _("Themes the computer proposes, by grouping comments of similar meaning, are used only when a "
                  "moderator accepts them. A comment may have several themes."))
    provenance = tag_provenance_text(method)
    if provenance:
        themes += " " + provenance
    themes += " " + _("The quotes were chosen by the moderators among the comments most like the rest of their "
                      "theme in meaning, not among the most supported: a quote shows a view that was put "
                      "forward, and its votes do not say how common that view is.")
    analysed = _("%(analysed)s of %(published)s published comments (%(percent)s %%) have been analysed.",
                 analysed=number(method.analysed), published=number(method.published),
                 percent=method.analysed_percent)
    if method.read_without_theme:
        analysed += " " + _("%(num)s of them were read and fit no theme.", num=number(method.read_without_theme))
    items = [
        MethodItem(_("Period"), period, changes),
        MethodItem(_("Channels"), "", method.channels),
        MethodItem(_("Participants"), people + " " + voters, []),
        MethodItem(_("Comments"), comments, [f"{reason}: {number(count)}" for reason, count in method.not_published]),
        MethodItem(_("Moderation"), rules, rule_list),
        MethodItem(_("Themes"), themes, []),
        MethodItem(_("Analysed"), analysed, []),
    ]
    if method.exposure:
        items.append(MethodItem(_("Votes and exposure"), exposure_text(method), []))
    if report.stats.distinct != report.stats.total:
        items.append(MethodItem(_("Near-duplicates"), _(
            "%(total)s published comments hold %(distinct)s distinct ones: comments with the same or nearly the same "
            "text are counted once where the report says so.", total=number(report.stats.total),
            distinct=number(report.stats.distinct)), []))
    if method.source:
        credit, url, licence, licence_url = method.source
        items.append(MethodItem(_("Source and licence"), _(
            "The comments and votes are open data from %(credit)s (%(url)s), used under the licence %(licence)s "
            "(%(licence_url)s).", credit=credit, url=url or "–", licence=licence, licence_url=licence_url or "–"),
            []))
    return items


def tag_provenance_text(method: Methodology) -> str:
    """How the theme tags came to be, in the current language, naming only the kinds with
    tags ("Slik kom de 574 temamerkene til: 224 valgte moderatorene kommentar for
    kommentar, …"), and, when some were set together rather than one by one, that those
    were not necessarily read one by one; "" when nothing is tagged."""
    if not method.tags:
        return ""
    number = format_decimal
    counts = method.tag_sources
    parts = []
    for kind in TagSource:
        count = counts.get(kind.value, 0)
        if not count:
            continue
        if kind is TagSource.MANUAL:
            parts.append(ngettext("%(count)s was chosen by a moderator comment by comment",
                                  "%(count)s were chosen by a moderator comment by comment", count,
                                  count=number(count)))
        elif kind is TagSource.BULK:
            parts.append(ngettext("%(count)s was set in bulk on the comments a filter or search found",
                                  "%(count)s were set in bulk on the comments a filter or search found", count,
                                  count=number(count)))
        elif kind is TagSource.PROPOSAL:
            parts.append(ngettext("%(count)s was the computer's proposal, accepted by a moderator who was shown it "
                                  "(alone or in a list)",
                                  "%(count)s were the computer's proposals, accepted by a moderator who was shown "
                                  "each of them (alone or in a list)", count, count=number(count)))
        elif kind is TagSource.PROPOSALS_ABOVE:
            if method.lowest_confidence_above is None:
                parts.append(ngettext("%(count)s was accepted together with every proposal above a confidence",
                                      "%(count)s were accepted together as every proposal above a confidence",
                                      count, count=number(count)))
            else:
                # Rounded down: "at or above 90 %" must not hide a proposal of 89.9 %.
                percent = math.floor(method.lowest_confidence_above * 100 + 1e-9)
                parts.append(ngettext(
                    "%(count)s was accepted together with every proposal at or above %(percent)s %% confidence",
                    "%(count)s were accepted together as every proposal at or above %(percent)s %% confidence",
                    count, count=number(count), percent=percent))
        elif kind is TagSource.DISCOVERED:
            parts.append(ngettext("%(count)s came from keeping as a theme a group of similar comments the computer "
                                  "found",
                                  "%(count)s came from keeping as themes groups of similar comments the computer "
                                  "found", count, count=number(count)))
    unknown = sum(count for kind, count in counts.items() if kind not in set(TagSource))
    if unknown:
        parts.append(ngettext("%(count)s came about in a way not recorded", "%(count)s came about in ways not recorded",
                              unknown, count=number(unknown)))
    listed = parts[0] if len(parts) == 1 else _("%(items)s and %(last)s", items=", ".join(parts[:-1]), last=parts[-1])
    text = ngettext("How the %(count)s theme tag on published comments came about: %(parts)s.",
                    "How the %(count)s theme tags on published comments came about: %(parts)s.", method.tags,
                    count=number(method.tags), parts=listed)
    together = sum(counts.get(kind.value, 0) for kind in (TagSource.BULK, TagSource.PROPOSALS_ABOVE,
                                                          TagSource.DISCOVERED))
    if together:
        text += " " + _("Tags set together were not necessarily read one by one.")
    if counts.get(TagSource.PROPOSAL.value) or counts.get(TagSource.PROPOSALS_ABOVE.value):
        text += " " + _("A proposal's confidence says how much closer the comment is to that theme than to the "
                        "others; it is not a measured share of right proposals.")
    return text


def exposure_text(method: Methodology) -> str:
    """That comments shown longer collect more votes, with the medians of
    :attr:`Methodology.exposure`, and the advice that follows; "" without it."""
    if method.exposure is None:
        return ""
    return _("Comments shown longer collect more votes: the earliest tenth of the published comments (%(count)s "
             "comments) has a median of %(earliest)s votes each (agree, disagree and pass together), the latest "
             "tenth %(latest)s. Compare votes only between comments posted around the same time.",
             count=format_decimal(method.exposure.size), earliest=format_decimal(method.exposure.earliest),
             latest=format_decimal(method.exposure.latest))


def votes_text(counts: Tally) -> str:
    """The votes of a quote or theme in words (:func:`hoering.stances.stance_counts_text`:
    "omstridt: 567 enig, 455 uenig"), or "" when nobody voted."""
    return stance_counts_text(counts) if counts.agree or counts.disagree else ""


def chart_alt(report: Report) -> str:
    """The chart's alternative text: what it shows and its largest bar."""
    alt = _("Bar chart of comments per day.")
    if report.stats.per_day:
        alt += " " + _("Most in a day: %(num)s.", num=max(count for _day, count in report.stats.per_day))
    return alt
