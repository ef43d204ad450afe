"""Domain events: what has happened in the domain, announced by the services that made it
happen and handled by subscribers in the features that care.

Each event is a frozen dataclass named in the past tense, carrying ids and short values,
never ORM objects (it is stored as JSON until delivered). A service announces an event
inside its transaction; its subscribers run after the commit (:mod:`hoering.eventlog`), so
a subscriber never sees a change that was rolled back, and a failing subscriber never undoes
the change: its delivery is retried.

A subscriber is a function of the event, registered with :func:`subscriber` in its feature's
``subscribers`` module, which the application factory imports at start-up. It does its
work in ``db.session`` and does not commit: the delivery commits its work together with
the deletion of the delivery row (database work is thus done exactly once). Each event
class has a blinker signal (``CommentPosted.signal``), the registry of its subscribers.

docs/ARCHITECTURE.md lists every event with its publishers and subscribers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import ClassVar, TypeVar

from blinker import Namespace, Signal

from hoering import eventlog

_signals = Namespace()

E = TypeVar("E", bound="DomainEvent")
#: Each registered subscriber function's name in the event log.
_subscriber_names: dict[Callable, str] = {}
#: Subscribers run inside the announcing transaction, by event class name.
_in_transaction: dict[str, list[Callable]] = {}


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """Base of the domain events; each subclass gets its own blinker signal, named after
    the class, and is known to the event log by that name."""

    signal: ClassVar[Signal]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.signal = _signals.signal(cls.__name__, doc=cls.__doc__)
        eventlog.EVENT_TYPES[cls.__name__] = cls

    def payload(self) -> dict:
        """The event's fields, as stored in the event log (JSON)."""
        return dataclasses.asdict(self)


def subscriber(*event_types: type[DomainEvent]) -> Callable:
    """Register the decorated function as a subscriber of each of ``event_types``.

    The function takes the event and returns nothing; it is known to the event log by its
    ``module.qualname``, so renaming it leaves undelivered rows of the old name failing
    (``flask hoering events status`` shows them).

    Raises:
        ValueError: another function is already registered under the same name.
    """

    def register(function: Callable) -> Callable:
        name = f"{function.__module__}.{function.__qualname__}"
        known = eventlog.SUBSCRIBERS.get(name)
        if known is not None and known is not function:
            raise ValueError(f"two subscribers named {name}")
        eventlog.SUBSCRIBERS[name] = function
        _subscriber_names[function] = name
        for event_type in event_types:
            event_type.signal.connect(function, weak=False)
        return function

    return register


def transaction_subscriber(*event_types: type[DomainEvent]) -> Callable:
    """Register the decorated function to run inside the transaction that announces each of
    ``event_types``, at the moment of :func:`announce`.

    For work that must commit together with the change or not at all (a search document
    written in the database). The function should only note what is to be done and leave
    the work to a callable in ``db.session.info[BEFORE_COMMIT]``
    (:class:`hoering.extensions.Session`), which sees the transaction's final state; an
    exception there stops the commit. It has no delivery row and is never retried.
    """

    def register(function: Callable) -> Callable:
        for event_type in event_types:
            known = _in_transaction.setdefault(event_type.__name__, [])
            if function not in known:
                known.append(function)
        return function

    return register


def subscribers_of(event_type: type[DomainEvent]) -> list[str]:
    """Names of the subscribers registered for ``event_type``, in registration order."""
    return [_subscriber_names[receiver] for receiver in event_type.signal.receivers_for(None)
            if receiver in _subscriber_names]


def announce(event: DomainEvent) -> None:
    """Announce ``event`` in the current transaction: its :func:`transaction_subscriber`
    functions run now, its subscribers once the caller commits (nothing happens if it
    rolls back).

    Args:
        event: an instance of a :class:`DomainEvent` subclass, with its ids set (flush
            the session first for the id of a new row).
    """
    for function in _in_transaction.get(type(event).__name__, ()):
        function(event)
    eventlog.record(type(event).__name__, event.payload(), subscribers_of(type(event)))


def is_waiting(event: DomainEvent) -> bool:
    """True while one of ``event``'s subscribers has yet to handle it (an event of the
    same class and fields): after the commit, it failed and waits for a retry, or another
    process is delivering it. A service that reports what a subscriber did asks this
    first, so that it does not report work that has not happened yet."""
    return eventlog.is_waiting(type(event).__name__, event.payload())


# --- comments --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class CommentPosted(DomainEvent):
    """A comment or reply was stored, published at once or waiting (``state``) for
    moderation or for its author's e-mail address. Publisher: comments."""

    comment_id: int
    consultation_id: int
    author_id: int
    state: str


@dataclasses.dataclass(frozen=True)
class CommentPublished(DomainEvent):
    """A comment that waited became visible to everyone for the first time: approved by
    a moderator, or released when its author's e-mail address was verified. (A comment
    posted visible announces only :class:`CommentPosted`.) Publishers: comments, moderation."""

    comment_id: int
    consultation_id: int


@dataclasses.dataclass(frozen=True)
class CommentModerated(DomainEvent):
    """A comment's state changed by moderation other than by approving a waiting one: a
    moderator hid, rejected or restored it or dismissed the reports that had it held for
    review, a ban hid it or its lifting restored it, or enough reports hid it
    (``moderator_id`` None). ``action`` is the audit log's action name. Publisher: moderation."""

    comment_id: int
    consultation_id: int
    action: str
    state_before: str
    state_after: str
    moderator_id: int | None = None


@dataclasses.dataclass(frozen=True)
class CommentEdited(DomainEvent):
    """The author changed the text of a comment. Publisher: comments."""

    comment_id: int
    consultation_id: int


@dataclasses.dataclass(frozen=True)
class CommentDeleted(DomainEvent):
    """The author removed a comment (its text is gone; replies stay). Publisher: comments."""

    comment_id: int
    consultation_id: int


@dataclasses.dataclass(frozen=True)
class CommentSupported(DomainEvent):
    """A reader took a stance on a comment, switched sides (``supported`` true, ``stance``
    "agree" or "disagree") or took their stance back (``supported`` false, ``stance`` "");
    its agree and disagree counts changed. Publisher: comments (``set_stance``)."""

    comment_id: int
    consultation_id: int
    supported: bool
    stance: str = "agree"


# --- consultations ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ConsultationSaved(DomainEvent):
    """A consultation was created or edited (``published`` says whether it is public now).
    ``comments_affected`` is true when what its comments are indexed under changed (the
    title or the language). Publisher: consultations."""

    consultation_id: int
    published: bool
    comments_affected: bool = False


@dataclasses.dataclass(frozen=True)
class ConsultationPublished(DomainEvent):
    """A consultation became public for the first time (created published, or a draft
    published; announced together with :class:`ConsultationSaved`). Taking it back to a
    draft and publishing again announces it again. Publisher: consultations."""

    consultation_id: int


@dataclasses.dataclass(frozen=True)
class DeadlineExtended(DomainEvent):
    """A consultation's deadline was moved later, for ``reason``. Publisher: consultations."""

    consultation_id: int
    reason: str


@dataclasses.dataclass(frozen=True)
class ConsultationClosed(DomainEvent):
    """A consultation was closed before its deadline, for ``reason``. Publisher:
    consultations. (A consultation whose deadline passes closes by the calendar, with no
    event.)"""

    consultation_id: int
    reason: str


@dataclasses.dataclass(frozen=True)
class ConsultationDecided(DomainEvent):
    """The decision of a consultation was recorded. Publisher: consultations."""

    consultation_id: int


@dataclasses.dataclass(frozen=True)
class SummaryPublished(DomainEvent):
    """A consultation's summary ("Dette har vi hørt") was published. Publisher: summaries."""

    consultation_id: int


# --- accounts --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class EmailConfirmed(DomainEvent):
    """A user proved that an e-mail address is theirs. Publisher: accounts."""

    user_id: int


@dataclasses.dataclass(frozen=True)
class UserRenamed(DomainEvent):
    """A user's display name changed (their comments are shown under it). Publisher: accounts."""

    user_id: int


@dataclasses.dataclass(frozen=True)
class UserDeleted(DomainEvent):
    """A user's account was deleted (erased, or its comments kept under a pseudonym).
    Publisher: accounts."""

    user_id: int


@dataclasses.dataclass(frozen=True)
class UserBanned(DomainEvent):
    """A moderator banned a user (``hidden_comments`` of their comments were hidden with
    it, each also announced as :class:`CommentModerated`). Publisher: moderation."""

    user_id: int
    ban_id: int
    hidden_comments: int = 0


@dataclasses.dataclass(frozen=True)
class BanLifted(DomainEvent):
    """A moderator lifted a ban before it ran out (``restored_comments`` of the comments it
    hid were published again, each also announced as :class:`CommentModerated`).
    Publisher: moderation."""

    user_id: int
    ban_id: int
    restored_comments: int = 0


# --- meetings --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class MeetingSaved(DomainEvent):
    """A political body's meeting was created or changed (time, place, status, agenda,
    minutes text). ``is_public`` says whether its agenda is published. Publisher: meetings."""

    meeting_id: int
    body_id: int
    is_public: bool = False


@dataclasses.dataclass(frozen=True)
class AgendaPublished(DomainEvent):
    """A meeting's agenda (saksliste) was published for the first time: the meeting and
    its agenda items are public from now on. Publisher: meetings."""

    meeting_id: int
    body_id: int


@dataclasses.dataclass(frozen=True)
class MinutesApproved(DomainEvent):
    """A meeting's minutes (protokoll) were approved and are public from now on.
    Publisher: meetings."""

    meeting_id: int
    body_id: int


@dataclasses.dataclass(frozen=True)
class AgendaItemSaved(DomainEvent):
    """An agenda item was created, changed or removed (``removed``); ``consultation_id``
    is the consultation it decides now, ``previous_consultation_id`` the one it decided
    before the change (each ``None`` for none). Publisher: meetings."""

    agenda_item_id: int
    meeting_id: int
    consultation_id: int | None = None
    previous_consultation_id: int | None = None
    removed: bool = False


@dataclasses.dataclass(frozen=True)
class ResponseReceived(DomainEvent):
    """A formal response (høringssvar) was sent on the web or registered by a case officer;
    ``channel`` is "web", "letter" or "email"."""

    response_id: int
    consultation_id: int
    channel: str


@dataclasses.dataclass(frozen=True)
class ResponseScreened(DomainEvent):
    """A case officer decided whether and how a formal response is published; ``decision``
    is the state after it ("published", "redacted", "held_back")."""

    response_id: int
    consultation_id: int
    decision: str
