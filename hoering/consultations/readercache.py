"""The consultation page as a logged-in citizen sees it, cached once per content version
and reader class, with the few parts that differ from one citizen to the next filled in
per request (issue 14; Decidim's fragment caching with per-user parts is the model).

Every plain citizen who may take part sees the same page except in a few places, so the
page is rendered once for a *stand-in reader* (:class:`StandInReader`: a citizen with no
id, name or e-mail address, whom no comment, support, report or subscription belongs to)
with markers where the per-reader parts go:

* the CSRF token and every comment and reply form's submission key (a fresh key for
  each form at each fill-in, as a page rendered for the request has);
* the state of each comment's "Enig" and "Uenig" buttons (``aria-pressed`` and the
  value each button sends: its stance, or "" to take back the stance the reader holds);
* the "follow this consultation" part of the share box (both variants are stored).

The key adds the *reader class* to what the anonymous page's key names (content head, Oslo
day, language, sort, page): what changes the page among eligible citizens and is not per
comment. That is only whether the reader has agreed to publication (the consent box of
the comment and reply forms); banned readers and staff are not eligible at all.

Per request, one query reads the user with their ban (Flask-Login's user loader for this
page, :func:`load_reader`) together with the content head (for the key), the reader's
stances (agree or disagree) and reports in the consultation, whether they have a comment waiting there, and
whether they follow it (or, when the user was loaded before, :func:`head_and_state` reads
the rest in one query of its own); then one cache get and one pass of one regular
expression (:func:`fill`). A reader who has
reported a comment on the page, wrote one of its comments, or has a comment waiting
(which only they see) gets the page rendered for them, as before: right, and rare.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from hoering import cache, permissions
from hoering.accounts.models import Role, User
from hoering.comments.forms import new_submission_token
from hoering.comments.models import Comment, CommentState, Support
from hoering.consultations import versions
from hoering.consultations.models import Consultation, could_be_slug
from hoering.consultations.pagecache import CACHED_ARGS, page_key_parts
from hoering.consultations.versions import ContentHead
from hoering.extensions import USER_LOADERS, db
from hoering.moderation.models import Report, active_ban, user_with_active_ban
from hoering.notifications.models import Subscription
from hoering.stances import Stance

#: Reader classes: has agreed to publication (no consent box) or not (the box is shown).
CONSENTED, NOT_CONSENTED = "consented", "no-consent"
#: The moment a stand-in of the consented class agreed (only "is it set" is ever shown).
_CONSENT_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class StandInReader:
    """A citizen who is logged in, active and not banned, for the permission functions,
    the templates and :func:`hoering.moderation.models.active_ban`, but is nobody: the id
    is ``0`` (falsy, so ``active_ban`` asks nothing; no row has it, so no comment is
    theirs and no support, report or subscription is found), no name, no e-mail address.

    Args:
        reader_class: :data:`CONSENTED` or :data:`NOT_CONSENTED`.
    """

    id = 0
    is_authenticated = True
    is_active = True
    is_anonymous = False
    role = Role.CITIZEN.value
    is_staff = False
    has_two_factor = False
    is_pseudonymous = False
    is_deleted = False
    deleted_at = None
    display_name = ""
    email = None
    language = None
    email_verified_at = _CONSENT_AT

    def __init__(self, reader_class: str):
        self.publication_consent_at = _CONSENT_AT if reader_class == CONSENTED else None

    def has_role(self, *_roles) -> bool:
        """A citizen has none of the staff roles."""
        return False

    def get_id(self) -> None:
        """Flask-Login's id: none (the stand-in is never put in a session)."""
        return None


def reader_class(user) -> str | None:
    """The reader class of ``user`` (:data:`CONSENTED` or :data:`NOT_CONSENTED`) when the
    page the request asks for may come from the cache, else ``None``: an anonymous,
    inactive or banned reader, any staff role (their page has moderation and
    officer tools), a flash message waiting, a query string other than ``sort``/``page``.
    The ban was read with the user (:func:`hoering.moderation.models.user_with_active_ban`),
    so this asks the database nothing."""
    if not permissions.is_logged_in(user) or user.role != Role.CITIZEN.value or user.is_staff:
        return None
    if session.get("_flashes") or set(request.args) - CACHED_ARGS or active_ban(user) is not None:
        return None
    return CONSENTED if user.publication_consent_at is not None else NOT_CONSENTED


def reader_key(head: ContentHead, cls: str) -> str | None:
    """The cache key of the page of reader class ``cls``, or ``None`` when the sort or
    page asked for is not one that is cached (as :func:`pagecache.anonymous_key`)."""
    parts = page_key_parts(head)
    # "reader-s": the pages with the "Enig"/"Uenig" markers, never read as the older ones
    return None if parts is None else f"reader-s:{parts}:{cls}"


def _tag() -> str:
    """The markers' tag: the same in every process that shares the cache (from the secret
    key), and with ``<`` in front, which escaped or sanitized text never has."""
    found = current_app.extensions.get("hoering_reader_marks")
    if found is None:
        digest = hashlib.sha256(b"reader-page:" + str(current_app.config["SECRET_KEY"]).encode()).hexdigest()
        tag = f"<@r{digest[:10]}"
        pattern = re.compile(
            rf"{re.escape(tag)} (?:(csrf|submission)|(pressed|stance) (\d+) (agree|disagree)|follow@>(.*?)"
            rf"{re.escape(tag)} not-following@>(.*?){re.escape(tag)} end-follow)@>", re.DOTALL)
        found = current_app.extensions["hoering_reader_marks"] = (tag, pattern)
    return found[0]


def _pattern() -> re.Pattern:
    _tag()
    return current_app.extensions["hoering_reader_marks"][1]


@dataclass
class Marks:
    """What the templates put where a reader's own part goes, when the page is rendered
    for the stand-in (``reader_marks`` in the template context); it also collects the
    page's comments (``(id, author id)`` pairs, set by the view)."""

    tag: str
    comments: list[tuple[int, int]] = field(default_factory=list)

    def submission_token(self, _form=None) -> Markup:
        """Stands for a form's submission key (replaces the template global)."""
        return Markup(f"{self.tag} submission@>")

    def pressed(self, comment_id: int, stance: str) -> Markup:
        """Stands for ``aria-pressed`` of the button of ``stance`` of ``comment_id``."""
        return Markup(f"{self.tag} pressed {int(comment_id)} {Stance(stance).value}@>")

    def stance_value(self, comment_id: int, stance: str) -> Markup:
        """Stands for the value the button of ``stance`` sends (what a click asks for)."""
        return Markup(f"{self.tag} stance {int(comment_id)} {Stance(stance).value}@>")

    def follow(self, following: Markup, not_following: Markup) -> Markup:
        """Both variants of the follow form's inside, the right one chosen per request."""
        return Markup(f"{self.tag} follow@>{following}{self.tag} not-following@>{not_following}"
                      f"{self.tag} end-follow@>")

    @property
    def csrf(self) -> str:
        return f"{self.tag} csrf@>"


@dataclass(frozen=True)
class CachedPage:
    """The page of a reader class with its markers, and the page's comments and their
    authors (ids), for the one query and the fall-back rule of :func:`fill`."""

    html: str
    comment_ids: tuple[int, ...]
    author_ids: frozenset[int]


def render_for_class(cls: str, render) -> CachedPage | None:
    """Render the page for the stand-in reader of ``cls`` and return it with markers.

    Flask-Login keeps the request's user in ``g._login_user``: it is the stand-in for the
    render only, and is put back whatever happens.

    Args:
        cls: the reader class (:func:`reader_class`).
        render: ``render(marks) -> (html, status)``, the view's page renderer, which passes
            ``marks`` to the template and fills ``marks.comments``.

    Returns:
        The :class:`CachedPage`, or ``None`` when the render answered another status than 200.
    """
    marks = Marks(_tag())
    real = g._login_user
    g._login_user = StandInReader(cls)
    try:
        html, status = render(marks)
        token = generate_csrf()
    finally:
        g._login_user = real
    if status != 200:
        return None
    return CachedPage(html=html.replace(token, marks.csrf), comment_ids=tuple(i for i, _a in marks.comments),
                      author_ids=frozenset(a for _i, a in marks.comments))


def cached(key: str) -> CachedPage | None:
    """The :class:`CachedPage` under ``key``, or ``None``."""
    found = cache.get(key)
    return found if isinstance(found, CachedPage) else None


def keep(key: str, page: CachedPage) -> None:
    """Cache ``page`` under ``key``."""
    cache.put(key, page)


_USER = sa.bindparam("user_id")
_TABLE = Consultation.__table__
#: The consultation of the slug asked for, if published (as :func:`versions.content_head`).
_CONSULTATION = (sa.select(_TABLE.c.id).where(_TABLE.c.slug == sa.bindparam("slug"), _TABLE.c.published_at.is_not(None))
                 .scalar_subquery())
_WAITING = (sa.select(Comment.id).where(Comment.author_id == _USER, Comment.consultation_id == _CONSULTATION,
                                        Comment.state == CommentState.PENDING.value).limit(1).subquery("waiting"))
_NO_TIME = sa.null()


def _kind(letter, id_column, *rest) -> list:
    """The columns of a row of :data:`_HEAD_AND_STATE`: a kind (a letter, or an expression
    giving one), an id, then the content head's other six columns (NULL but in its own row)."""
    kind = sa.literal_column(f"'{letter}'") if isinstance(letter, str) else letter
    return [kind, id_column, *(rest or (_NO_TIME,) * 6)]


#: Built once: the content head of the consultation (kind ``h``; :func:`versions.content_head`)
#: and the reader's own rows in it, one query: their agreements (``s``), disagreements (``d``), reports (``r``)
#: of its comments, one of their comments waiting in it (``p``), their subscription (``f``).
#: Each part reads the reader's own rows by an index; none counts or reads every comment.
_HEAD_AND_STATE = sa.union_all(
    sa.select(*_kind("h", _TABLE.c.id, _TABLE.c.created_at, _TABLE.c.content_version, _TABLE.c.published_at,
                     _TABLE.c.opens_at, _TABLE.c.closes_at, _TABLE.c.summarized_at))
    .where(_TABLE.c.slug == sa.bindparam("slug"), _TABLE.c.published_at.is_not(None)),
    sa.select(*_kind(sa.case((Support.stance == Stance.DISAGREE.value, "d"), else_="s"), Support.comment_id))
    .join(Comment, Comment.id == Support.comment_id)
    .where(Support.user_id == _USER, Comment.consultation_id == _CONSULTATION),
    sa.select(*_kind("r", Report.comment_id)).join(Comment, Comment.id == Report.comment_id)
    .where(Report.reporter_id == _USER, Comment.consultation_id == _CONSULTATION),
    sa.select(*_kind("p", _WAITING.c.id)),
    sa.select(*_kind("f", Subscription.id))
    .where(Subscription.user_id == _USER, Subscription.consultation_id == _CONSULTATION),
)


@dataclass(frozen=True)
class ReaderState:
    """The reader's own part of a consultation's page: the comments of the consultation
    they agree with, disagree with and have reported (ids), whether a comment of theirs
    waits in it, whether they follow it."""

    supported: frozenset[int]
    reported: frozenset[int]
    has_waiting: bool
    following: bool
    disagreed: frozenset[int] = frozenset()


def head_and_state(slug: str, user_id: int) -> tuple[ContentHead | None, ReaderState]:
    """The content head of the published consultation ``slug`` (``None`` if there is no
    such consultation) and the reader's :class:`ReaderState` in it, read with one query
    on the session's connection (a ``UNION ALL`` of five small selects).

    The stances and reports are the reader's in the whole consultation rather than
    among the page's comments (which are known only once the head has given the key):
    their own rows, as few as they have made, so the page's head and their state cost
    one round trip instead of two.

    Args:
        slug: the consultation's slug (anything else is answered with ``None``).
        user_id: the reader's id.
    """
    head, supported, disagreed, reported, waiting, following = None, set(), set(), set(), False, False
    if not could_be_slug(slug):
        return None, ReaderState(frozenset(), frozenset(), False, False)
    for kind, number, *times in db.session.connection().execute(_HEAD_AND_STATE, {"slug": slug,
                                                                                   "user_id": user_id}):
        if kind == "h":
            head = ContentHead(number, *times)
        elif kind == "s":
            supported.add(number)
        elif kind == "d":
            disagreed.add(number)
        elif kind == "r":
            reported.add(number)
        elif kind == "p":
            waiting = True
        else:
            following = True
    return head, ReaderState(frozenset(supported), frozenset(reported), waiting, following, frozenset(disagreed))


#: ``g`` key: ``(slug, ContentHead | None, ReaderState)`` read with the user (:func:`load_reader`).
_READ_WITH_USER = "hoering_reader_state"


def _with_page_state(dialect_name: str):
    """``extended(statement)`` for :func:`user_with_active_ban`: the consultation of the
    slug joined (at most one row: ``LEFT JOIN … ON slug = :slug``), its content head's
    columns, and the reader's own rows in it as columns: the ids of the comments they
    agree with, disagree with and have reported (comma-separated), whether one of theirs waits, whether
    they follow it. Each part reads the reader's own rows by an index."""
    def ids(column, table, who, join_on):
        text = sa.cast(column, sa.Text)
        joined = (sa.func.string_agg(text, ",") if dialect_name == "postgresql" else sa.func.group_concat(text, ","))
        return (sa.select(joined).select_from(table).join(Comment, join_on)
                .where(who, Comment.consultation_id == _TABLE.c.id).scalar_subquery())

    def extend(statement):
        return (statement.outerjoin(_TABLE, sa.and_(_TABLE.c.slug == sa.bindparam("slug"),
                                                     _TABLE.c.published_at.is_not(None)))
                .add_columns(_TABLE.c.id, _TABLE.c.created_at, _TABLE.c.content_version, _TABLE.c.published_at,
                             _TABLE.c.opens_at, _TABLE.c.closes_at, _TABLE.c.summarized_at,
                             ids(Support.comment_id, Support,
                                 sa.and_(Support.user_id == User.id, Support.stance != Stance.DISAGREE.value),
                                 Comment.id == Support.comment_id),
                             ids(Support.comment_id, Support,
                                 sa.and_(Support.user_id == User.id, Support.stance == Stance.DISAGREE.value),
                                 Comment.id == Support.comment_id),
                             ids(Report.comment_id, Report, Report.reporter_id == User.id,
                                 Comment.id == Report.comment_id),
                             sa.exists().where(Comment.author_id == User.id, Comment.consultation_id == _TABLE.c.id,
                                               Comment.state == CommentState.PENDING.value),
                             sa.exists().where(Subscription.user_id == User.id,
                                               Subscription.consultation_id == _TABLE.c.id)))

    return extend


_extenders = functools.cache(_with_page_state)


def load_reader(user_id: int):
    """Flask-Login's user loader on the consultation page (``USER_LOADERS``): the user and
    their ban, and with them the content head and the reader's :class:`ReaderState` of the
    consultation asked for, in one round trip (kept in ``g`` for :func:`reader_page`).

    Args:
        user_id: the id from the session.

    Returns:
        The ``User``, or ``None`` when there is none with that id.
    """
    slug = (request.view_args or {}).get("slug")
    if not could_be_slug(slug):
        return user_with_active_ban(user_id)
    found = user_with_active_ban(user_id, extended=_extenders(db.engine.dialect.name), params={"slug": slug})
    if found is None:
        return None
    user, row = found
    head_columns, (supported, disagreed, reported, waiting, following) = row[2:9], row[9:]
    head = ContentHead(*head_columns) if head_columns[0] is not None else None
    state = ReaderState(_id_set(supported), _id_set(reported), bool(waiting), bool(following), _id_set(disagreed))
    setattr(g, _READ_WITH_USER, (slug, head, state))
    return user


def _id_set(joined: str | None) -> frozenset[int]:
    return frozenset(int(part) for part in (joined or "").split(",") if part)


USER_LOADERS["consultations.detail"] = load_reader


def fill(page: CachedPage, user, state: ReaderState) -> str | None:
    """The page of ``user`` made from ``page``: their CSRF token, a fresh submission key
    per form, their "Enig" and "Uenig" buttons and follow form, in one pass of one regular
    expression. ``None`` when the page must be rendered for them instead: they wrote a
    comment on it (Edit and Remove, no stance buttons), reported one ("You have reported
    this comment") or have a comment waiting in the consultation (shown to them alone).

    Args:
        page: the page of their reader class.
        user: the reader (a ``User``).
        state: their :class:`ReaderState` in the consultation.
    """
    if user.id in page.author_ids or state.has_waiting or not state.reported.isdisjoint(page.comment_ids):
        return None
    token, following = generate_csrf(), state.following
    held = {Stance.AGREE.value: state.supported, Stance.DISAGREE.value: state.disagreed}

    def replace(match: re.Match) -> str:
        simple, per_comment = match.group(1), match.group(2)
        if simple == "csrf":
            return token
        if simple == "submission":
            return new_submission_token()
        if per_comment is not None:
            stance, holds = match.group(4), int(match.group(3)) in held[match.group(4)]
            if per_comment == "pressed":
                return "true" if holds else "false"
            return "" if holds else stance  # the button's value: take it back, or take it
        return match.group(5) if following else match.group(6)

    return _pattern().sub(replace, page.html)


def reader_page(slug: str, load, render):
    """The consultation page ``slug`` for the logged-in reader of this request: from the
    cache of their reader class when they may have it (rendered for the class and kept
    on a miss), else rendered for them.

    Args:
        slug: the consultation's slug.
        load: ``load(slug) -> Consultation``, the view's loader (404 for a consultation the
            reader may not see).
        render: ``render(consultation, marks=None) -> (html, status)``, the view's page renderer.

    Returns:
        The page's HTML, or what ``render`` answers.
    """
    user = current_user._get_current_object()
    cls = reader_class(user)
    read_with_user = g.pop(_READ_WITH_USER, None)
    if cls is None:
        head, state = None, None
    elif read_with_user is not None and read_with_user[0] == slug:
        head, state = read_with_user[1], read_with_user[2]  # read in the user's own query
    else:
        head, state = head_and_state(slug, user.id)
    key = reader_key(head, cls) if head is not None else None
    if key is None:
        return render(load(slug))
    page = cached(key)
    if page is None:
        consultation = load(slug)
        if versions.head_of(consultation) != head:  # changed in between: not for this key
            return render(consultation)
        page = render_for_class(cls, lambda marks: render(consultation, marks=marks))
        if page is None:
            return render(consultation)
        keep(key, page)
    html = fill(page, user, state)
    if html is None:  # their own comment, report or waiting comment is on the page
        return render(load(slug))
    return html
