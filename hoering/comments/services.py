"""Comment services: post, reply, edit, remove and support comments, and release those
that waited for their author's e-mail address. Threads and their pages are read in
:mod:`hoering.comments.threads`.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from hoering import permissions
from hoering.accounts.services import needs_email_verification
from hoering.accounts.verification import require_confirmed_email
from hoering.comments.models import PATH_SEGMENT_WIDTH, Comment, CommentState, Support
from hoering.consultations.models import Consultation, ModerationMode, Question, Section, Status
from hoering.database import insert_unless_present
from hoering.events import CommentDeleted, CommentEdited, CommentPosted, CommentPublished, CommentSupported, announce
from hoering.exceptions import ErrorCollector, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.moderation.audit import record
from hoering.moderation.holds import automatic_holds
from hoering.moderation.models import ActionType, Report
from hoering.sanitize import comment_html, has_visible_text, normalize_text
from hoering.stances import Stance
from hoering.timeutil import utcnow

#: A second identical post by the same author within this many seconds returns the first.
DUPLICATE_WINDOW_SECONDS = 120

PUBLISHED = CommentState.PUBLISHED.value
#: States in which the author may still edit the text.
EDITABLE_STATES = (CommentState.PUBLISHED.value, CommentState.PENDING.value)


def path_segment(comment_id: int) -> str:
    """The zero-padded id used in :attr:`Comment.path` (10 digits sort like integers)."""
    return str(comment_id).zfill(PATH_SEGMENT_WIDTH)


def check_text(text: str) -> str:
    """Normalize and validate comment text.

    Returns:
        The normalized text (line endings ``\\n``, no NUL, trimmed).

    Raises:
        ValidationFailed: empty, or longer than ``COMMENT_MAX_LENGTH`` characters
            (default 4,000).
    """
    text = normalize_text(text or "")
    if not has_visible_text(text):
        raise ValidationFailed(_l("Write something before you send."))
    limit = current_app.config["COMMENT_MAX_LENGTH"]
    if len(text) > limit:
        raise ValidationFailed(
            _l("The comment is %(length)d characters long; the limit is %(max)d. Shorten it and send again.",
               length=len(text), max=limit)
        )
    return text


def closed_message(consultation: Consultation, now: dt.datetime | None = None):
    """Why comments are not accepted on ``consultation`` now (a lazy string)."""
    status = consultation.status(now)
    if status == Status.UPCOMING:
        return _l("This consultation has not opened yet. You can comment when it opens.")
    if status == Status.DRAFT:
        return _l("This consultation is not published.")
    return _l("This consultation is closed. Comments are no longer accepted.")


def place_in_thread(comment: Comment, parent: Comment | None, max_depth: int) -> None:
    """Set ``thread_id``, ``depth`` and ``path`` of a flushed ``comment`` (it has an id).

    A reply to a comment at ``max_depth`` is shown at ``max_depth`` too, after its parent's
    siblings' replies in time order, and names whom it answers (DESIGN §3).
    """
    segment = path_segment(comment.id)
    if parent is None:
        comment.thread_id, comment.depth, comment.path = comment.id, 0, segment
    elif parent.depth < max_depth:
        comment.thread_id, comment.depth, comment.path = parent.thread_id, parent.depth + 1, f"{parent.path}.{segment}"
    else:
        prefix = parent.path.rsplit(".", 1)[0]
        comment.thread_id, comment.depth, comment.path = parent.thread_id, parent.depth, f"{prefix}.{segment}"


def _earlier_submission(author, submission_token: str | None) -> Comment | None:
    """The comment ``author`` stored from the form with ``submission_token``, if any."""
    if submission_token is None:
        return None
    return db.session.scalar(sa.select(Comment).where(Comment.author_id == author.id,
                                                      Comment.submission_token == submission_token))


def _earlier_posts(author, submission_token: str | None, consultation: Consultation, parent_id: int | None,
                   text: str, now: dt.datetime) -> tuple[Comment | None, Comment | None]:
    """``(the comment stored from the form with submission_token, an identical comment)``
    of ``author``, each ``None`` when there is none, read in one query.

    The identical comment is ``text`` (normalized) by ``author`` in the same place
    (consultation and ``parent_id``) since ``now`` less ``DUPLICATE_WINDOW_SECONDS``.
    """
    same_text = sa.and_(
        Comment.consultation_id == consultation.id,
        Comment.parent_id.is_(None) if parent_id is None else Comment.parent_id == parent_id,
        Comment.body_text == text, Comment.created_at >= now - dt.timedelta(seconds=DUPLICATE_WINDOW_SECONDS))
    same_form = Comment.submission_token == submission_token if submission_token is not None else sa.false()
    rows = db.session.execute(sa.select(Comment, same_text.label("same_text"))
                              .where(Comment.author_id == author.id, sa.or_(same_form, same_text))
                              .order_by(Comment.id)).all()
    earlier = next((c for c, _same in rows if submission_token is not None and c.submission_token == submission_token),
                   None)
    duplicate = next((c for c, same in rows if same), None)
    return earlier, duplicate


def _is_same_submission(earlier: Comment, consultation: Consultation, parent_id: int | None, text: str) -> bool:
    """True if ``earlier`` (stored with the same form key) holds what is posted now. A
    browser may restore a used form, key and all, for new text: that is a new submission."""
    return (earlier.consultation_id, earlier.parent_id, earlier.body_text) == (consultation.id, parent_id, text)


def post_comment(consultation: Consultation, author, text: str, parent_id: int | None = None,
                 question_id: int | None = None, now: dt.datetime | None = None, official: bool = False,
                 consent: bool = False, submission_token: str | None = None,
                 section_id: int | None = None) -> Comment:
    """Post and commit a top-level comment, or a reply when ``parent_id`` is given.

    Exactly one comment per submission: ``submission_token`` is the random key of the
    form (:func:`hoering.comments.forms.new_submission_token`), stored with the comment
    under a unique constraint per author. The same form sent again, or several times at
    once (a double click, a resend, several tabs), stores nothing more and returns the
    comment the first sending stored. Without a key (an older form), and for another form
    with the same text, the same text from the same author in the same place within
    ``DUPLICATE_WINDOW_SECONDS`` returns the earlier comment too.

    Under pre-moderation the comment is ``pending`` until a moderator approves it. With
    ``official`` a case officer or moderator answers on behalf of the municipality: the
    comment carries the consultation's responsible unit (or the site owner) and is
    published at once.

    At a user's first comment ``consent`` must be given: that their display name and text
    are published (GDPR art. 6 and 7); it is recorded and not asked again. A comment by a
    user whose e-mail address is not verified yet is ``pending`` and out of the moderation
    queue until it is (:func:`release_comments_awaiting_email`).

    Raises:
        PermissionDenied: not logged in, the consultation is not open, or ``official``
            from someone who may not answer for the municipality.
        ValidationFailed: empty or too long text; a parent that is not a published comment
            of this consultation; a question or a section (``section_id``, a section of
            the draft text the top-level comment is about) of another consultation.
    """
    now = now or utcnow()
    if not permissions.is_logged_in(author):
        raise PermissionDenied(_l("Log in to comment."))
    earlier, duplicate = _earlier_posts(author, submission_token, consultation, parent_id,
                                        normalize_text(text or ""), now)
    if earlier is not None:
        if _is_same_submission(earlier, consultation, parent_id, normalize_text(text or "")):
            return earlier  # this form was sent before: answer as then
        submission_token = None
    if not permissions.can_comment(author, consultation, now):
        raise PermissionDenied(closed_message(consultation, now))
    errors = ErrorCollector()  # the text and the consent are both reported when both are missing
    with errors.check():
        text = check_text(text)
    if getattr(author, "publication_consent_at", True) is None and not consent:
        with errors.check():
            raise ValidationFailed(_l("Tick that you agree to your display name and comment being published."),
                                   field="consent")
    errors.raise_any()
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.consultation_id != consultation.id or parent.state != PUBLISHED:
            raise ValidationFailed(_l("The comment you are replying to is no longer available."))
        root = parent if parent.parent_id is None else db.session.get(Comment, parent.thread_id)
        if not permissions.can_reply(author, consultation, root):
            raise PermissionDenied(_l("A moderator has locked this thread. You can still comment on the consultation."))
        question_id = section_id = None
    if section_id is not None:
        section = db.session.get(Section, section_id)
        if section is None or section.consultation_id != consultation.id:
            raise ValidationFailed(_l("Choose one of the sections of this consultation's draft text."))
    if question_id is not None:
        question = db.session.get(Question, question_id)
        if question is None or question.consultation_id != consultation.id:
            raise ValidationFailed(_l("Choose one of this consultation's questions."))
    if duplicate is not None:  # a double click or a resent form: keep one comment
        return duplicate
    if official and not permissions.can_reply_officially(author):
        raise PermissionDenied(_l("Only case officers and moderators can answer on behalf of the municipality."))
    awaiting_email = not official and needs_email_verification(author)
    holds = [] if official or awaiting_email else automatic_holds(text, author, consultation.id)
    pre_moderated = consultation.moderation_mode == ModerationMode.PRE.value and not official
    state = CommentState.PENDING if pre_moderated or holds or awaiting_email else CommentState.PUBLISHED
    comment = Comment(
        consultation_id=consultation.id, author_id=author.id, parent_id=parent_id, question_id=question_id,
        section_id=section_id, state=state.value, body_text=text, body_html=comment_html(text), created_at=now,
        official_unit=(consultation.responsible_unit or current_app.config["SITE_OWNER"]) if official else "",
        submission_token=submission_token,
    )
    db.session.add(comment)
    if getattr(author, "publication_consent_at", True) is None:
        author.publication_consent_at = now
    try:
        db.session.flush()
    except IntegrityError:
        # The same form, sent at the same moment, was stored by a parallel request (on
        # PostgreSQL this insert waited for it to commit). Nothing of this one is kept.
        db.session.rollback()
        earlier = _earlier_submission(author, submission_token)
        if earlier is None:
            raise
        if _is_same_submission(earlier, consultation, parent_id, text):
            return earlier
        # The key was taken at the same moment by other text from a restored form: this
        # text is a submission of its own.
        return post_comment(consultation, author, text, parent_id=parent_id, question_id=question_id, now=now,
                            official=official, consent=consent, section_id=section_id)
    place_in_thread(comment, parent, current_app.config["MAX_REPLY_DEPTH"])
    if holds and not pre_moderated:
        record(ActionType.AUTO_HOLD, comment=comment, reason=holds[0], note=", ".join(holds),
               after=CommentState.PENDING.value, automatic=True, at=now)
    announce(CommentPosted(comment.id, comment.consultation_id, comment.author_id, comment.state))
    _commit_keeping(comment, _KEPT_AFTER_POSTING)
    return comment


#: What the answer to a post reads of the new comment (its address, the thank-you message):
#: kept loaded through the commit, so that reading it costs no query.
_KEPT_AFTER_POSTING = ("id", "consultation_id", "author_id", "parent_id", "thread_id", "state")


def _commit_keeping(comment: Comment, keys: tuple[str, ...]) -> None:
    """Commit, and keep the attributes ``keys`` of ``comment`` loaded with the values it
    had before the commit (a commit expires every loaded attribute; reading an expired one
    reads the whole row again). Only for values nothing changes inside the commit."""
    kept = {key: getattr(comment, key) for key in keys}
    db.session.commit()
    for key, value in kept.items():
        set_committed_value(comment, key, value)


def _no_longer_publishable(comment: Comment, author) -> bool:
    """True if what allowed ``comment`` when it was posted has changed since: the author is
    banned, its thread locked, or the comment it answers is no longer published."""
    if permissions.is_banned(author) or not comment.consultation.published_at:
        return True
    if comment.parent_id is None:
        return False
    parent = db.session.get(Comment, comment.parent_id)
    root = db.session.get(Comment, comment.thread_id) if comment.thread_id else None
    return parent is None or parent.state != PUBLISHED or (root is not None and root.locked_at is not None)


def release_comments_awaiting_email(author, now: dt.datetime | None = None) -> int:
    """The author's e-mail address has just been verified: each comment that waited for
    it now goes through the checks a new comment goes through (pre-moderation, automatic
    holds) and is published or enters the moderation queue. A comment whose situation
    changed meanwhile (the author banned, the thread locked, the answered comment gone)
    enters the queue too. No commit (the caller's transaction). Returns how many were
    published.
    """
    waiting = list(db.session.scalars(sa.select(Comment).where(
        Comment.author_id == author.id, Comment.state == CommentState.PENDING.value).order_by(Comment.id)))
    published = 0
    now = now or utcnow()
    for comment in waiting:
        consultation = comment.consultation
        if consultation.moderation_mode == ModerationMode.PRE.value or _no_longer_publishable(comment, author):
            continue  # a moderator decides, in the queue
        holds = automatic_holds(comment.body_text, author, consultation.id,
                                exclude_ids=[c.id for c in waiting])
        if holds:
            record(ActionType.AUTO_HOLD, comment=comment, reason=holds[0], note=", ".join(holds),
                   after=CommentState.PENDING.value, automatic=True, at=now)
            continue
        comment.state = CommentState.PUBLISHED.value
        announce(CommentPublished(comment.id, comment.consultation_id))
        published += 1
    return published


def edit_comment(comment: Comment, user, text: str, now: dt.datetime | None = None) -> Comment:
    """Replace the text of one's own comment within the edit window; marks it edited.

    Raises:
        PermissionDenied: not the author, the window (``COMMENT_EDIT_WINDOW_SECONDS``) has
            passed, or the consultation has closed.
        ValidationFailed: empty or too long text.
    """
    now = now or utcnow()
    if not permissions.can_edit_comment(user, comment, now):
        raise PermissionDenied(_l("This comment can no longer be edited."))
    text = check_text(text)
    if text != comment.body_text:
        # Every edit counts as a new version, so a moderator who looked at the old text
        # cannot approve the new one unseen.
        values = {"body_text": text, "body_html": comment_html(text), "edited_at": now,
                  "moderation_version": Comment.moderation_version + 1}
        holds = [rule for rule in automatic_holds(text, user, comment.consultation_id) if rule != "first_comment"]
        if comment.consultation.moderation_mode == ModerationMode.PRE.value:
            holds = ["pre_moderation", *holds]  # an approved text, once changed, needs approval again
        held = bool(holds) and comment.state == PUBLISHED
        if held:  # an edit may not slip past the rules a new comment meets
            values["state"] = CommentState.PENDING.value
        # Conditional on the state, so an edit racing a removal cannot bring text back.
        updated = db.session.execute(
            sa.update(Comment)
            .where(Comment.id == comment.id, Comment.state == comment.state, Comment.state.in_(EDITABLE_STATES))
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if updated != 1:
            db.session.rollback()
            raise PermissionDenied(_l("This comment can no longer be edited."))
        if held:
            record(ActionType.AUTO_HOLD, comment=comment, reason=holds[0], note=", ".join(holds),
                   before=PUBLISHED, after=CommentState.PENDING.value, automatic=True, at=now)
        announce(CommentEdited(comment.id, comment.consultation_id))
    db.session.commit()
    db.session.refresh(comment)
    return comment


def remove_comment(comment: Comment, user, now: dt.datetime | None = None) -> Comment:
    """The author removes their comment: the text is blanked, replies stay under a placeholder.

    Raises:
        PermissionDenied: not the author, or already removed.
    """
    if not permissions.can_remove_comment(user, comment):
        raise PermissionDenied(_l("You cannot remove this comment."))
    now = now or utcnow()
    before = comment.state
    updated = db.session.execute(
        sa.update(Comment).where(Comment.id == comment.id, Comment.state == before)
        .values(state=CommentState.REMOVED.value, body_text="", body_html="", removed_at=now,
                moderation_version=Comment.moderation_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if updated != 1:
        db.session.rollback()
        raise PermissionDenied(_l("You cannot remove this comment."))
    record(ActionType.AUTHOR_REMOVE, actor=user, comment=comment, before=before,
           after=CommentState.REMOVED.value, at=now)
    announce(CommentDeleted(comment.id, comment.consultation_id))
    db.session.execute(  # nothing is left to judge: close the reports
        sa.update(Report).where(Report.comment_id == comment.id, Report.resolved_at.is_(None))
        .values(resolved_at=now, resolution="author_removed").execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(comment)
    return comment


def set_support(comment: Comment, user, supported: bool, now: dt.datetime | None = None) -> bool:
    """Agree with a comment ("enig"), or take one's stance back: :func:`set_stance` with
    ``agree`` or nothing. Returns whether ``user`` agrees afterwards."""
    return set_stance(comment, user, Stance.AGREE if supported else None, now) == Stance.AGREE


#: The count column of each stance.
_COUNT_OF = {Stance.AGREE: "support_count", Stance.DISAGREE: "disagree_count"}


def set_stance(comment: Comment, user, stance: Stance | None, now: dt.datetime | None = None) -> Stance | None:
    """Agree ("enig") or disagree ("uenig") with a comment, switch sides, or take one's
    stance back (``None``). Idempotent: one stance per user and comment.

    Args:
        comment: the comment.
        user: the reader (a ``User``).
        stance: the wanted stance, or ``None`` for none.
        now: the time to judge "open" at (aware UTC; default now).

    Returns:
        The stance of ``user`` on ``comment`` afterwards (as stored, also when another
        request changed it a moment before).

    Raises:
        PermissionDenied: not logged in, own comment, comment not published, consultation
            not open, banned (:func:`hoering.permissions.can_support_comment`), or e-mail
            address not confirmed.
    """
    if not permissions.can_support_comment(user, comment, now):
        raise PermissionDenied(_l("You cannot agree or disagree with this comment."))
    require_confirmed_email(user)
    # The counts change only when this request really inserted, changed or deleted the
    # row, in the same transaction, so parallel clicks (several tabs) cannot count twice
    # and the counts always equal the rows.
    mine = (Support.comment_id == comment.id, Support.user_id == user.id)
    deltas: dict[str, int] = {}
    if stance is None:
        before = db.session.scalar(sa.delete(Support).where(*mine).returning(Support.stance).execution_options(synchronize_session=False))
        if before is None:
            db.session.rollback()
            return None
        deltas[_COUNT_OF[Stance(before)]] = -1
    elif insert_unless_present(Support, {"comment_id": comment.id, "user_id": user.id, "stance": stance.value},
                               unique=("comment_id", "user_id")):
        deltas[_COUNT_OF[stance]] = 1
    else:
        other = Stance.DISAGREE if stance == Stance.AGREE else Stance.AGREE
        switched = db.session.execute(
            sa.update(Support).where(*mine, Support.stance == other.value).values(stance=stance.value)
        ).rowcount
        if switched != 1:  # held that stance already (or set by a parallel request)
            db.session.rollback()
            return _stance_of(comment, user)
        deltas = {_COUNT_OF[stance]: 1, _COUNT_OF[other]: -1}
    db.session.execute(sa.update(Comment).where(Comment.id == comment.id).values(
        {name: getattr(Comment, name) + delta for name, delta in deltas.items()}))
    announce(CommentSupported(comment.id, comment.consultation_id, stance is not None,
                              stance.value if stance is not None else ""))
    db.session.commit()
    return stance


def _stance_of(comment: Comment, user) -> Stance | None:
    found = db.session.scalar(sa.select(Support.stance).where(Support.comment_id == comment.id,
                                                              Support.user_id == user.id))
    return Stance(found) if found else None
