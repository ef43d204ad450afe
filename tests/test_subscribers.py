"""Every subscriber runs: each domain event is set off by the service that publishes it,
as a view or command would call it, and every subscriber of the event receives it after the
commit (docs/ARCHITECTURE.md lists them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from hoering import eventlog
from hoering.accounts.models import User
from hoering.accounts.services import change_display_name, delete_account
from hoering.accounts.verification import email_verification_token, verify_email
from hoering.comments.models import Comment
from hoering.comments.services import edit_comment, post_comment, remove_comment, set_support
from hoering.consultations.lifecycle import close_early, extend_deadline, record_decision
from hoering.consultations.models import Consultation
from hoering.consultations.services import ConsultationData, create_consultation
from hoering.eventlog import EventDelivery
from hoering.events import subscribers_of
from hoering.extensions import db
from hoering.moderation.bans import ban_user, lift_ban
from hoering.moderation.decisions import moderate
from hoering.moderation.models import HouseRule
from hoering.summaries.services import SummaryInput, publish_summary, save_summary
from hoering.timeutil import end_of_oslo_day, oslo_today, utcnow
from tests.conftest import TEST_PASSWORD

SCENES: dict[str, Callable] = {}


def scene(event_name: str):
    def register(function):
        SCENES[event_name] = function
        return function

    return register


class Cast:
    """The people and consultations of a scene, loaded in the current session."""

    def __init__(self, ids: dict[str, int]):
        self.ids = ids

    def user(self, key: str) -> User:
        return db.session.get(User, self.ids[key])

    def consultation(self, key: str = "open") -> Consultation:
        return db.session.get(Consultation, self.ids[key])

    def comment(self, text: str = "Et innspill om veilys", consultation: str = "open") -> Comment:
        return post_comment(self.consultation(consultation), self.user("citizen"), text)


@scene("CommentPosted")
def _posted(cast: Cast) -> None:
    cast.comment()


@scene("CommentPublished")
def _approved(cast: Cast) -> None:
    cast.consultation().moderation_mode = "pre"
    db.session.commit()
    comment = cast.comment()
    assert comment.state == "pending"
    moderate(comment, cast.user("moderator"), "approve", comment.moderation_version)


@scene("CommentModerated")
def _hidden(cast: Cast) -> None:
    comment = cast.comment()
    rule = db.session.scalars(sa.select(HouseRule.code).limit(1)).one()
    moderate(comment, cast.user("moderator"), "hide", comment.moderation_version, reason=rule)


@scene("CommentEdited")
def _edited(cast: Cast) -> None:
    edit_comment(cast.comment(), cast.user("citizen"), "Et endret innspill om veilys")


@scene("CommentDeleted")
def _removed(cast: Cast) -> None:
    remove_comment(cast.comment(), cast.user("citizen"))


@scene("CommentSupported")
def _supported(cast: Cast) -> None:
    comment = cast.comment()
    assert set_support(comment, cast.user("officer"), supported=True)
    assert db.session.get(Consultation, comment.consultation_id).content_version > 0


@scene("ConsultationSaved")
def _created(cast: Cast) -> None:
    now = utcnow()
    create_consultation(cast.user("officer"), ConsultationData(
        title="Ny skolevei", summary="Sammendrag", body_markdown="Saken", opens_at=now,
        closes_at=end_of_oslo_day(oslo_today(now) + dt.timedelta(days=90)), publish=True))


@scene("ConsultationPublished")
def _published(cast: Cast) -> None:
    _created(cast)


@scene("DeadlineExtended")
def _extended(cast: Cast) -> None:
    consultation = cast.consultation()
    extend_deadline(consultation, cast.user("officer"), consultation.deadline + dt.timedelta(days=7), "Mer tid")


@scene("ConsultationClosed")
def _closed(cast: Cast) -> None:
    close_early(cast.consultation(), cast.user("officer"), "Saken er trukket")


@scene("ConsultationDecided")
def _decided(cast: Cast) -> None:
    record_decision(cast.consultation("closed"), cast.user("officer"), "Vedtatt som foreslått", "", oslo_today())


@scene("SummaryPublished")
def _summarized(cast: Cast) -> None:
    consultation = cast.consultation("closed")
    save_summary(consultation, cast.user("officer"), SummaryInput("Dette har vi hørt.", {}, [], {}))
    publish_summary(consultation, cast.user("officer"))


@scene("EmailConfirmed")
def _confirmed(cast: Cast) -> None:
    verify_email(email_verification_token(cast.user("unverified")))


@scene("UserRenamed")
def _renamed(cast: Cast) -> None:
    change_display_name(cast.user("citizen"), "Kari Fjordvik")


@scene("UserDeleted")
def _deleted(cast: Cast) -> None:
    delete_account(cast.user("citizen"), TEST_PASSWORD)


@scene("UserBanned")
def _banned(cast: Cast) -> None:
    ban_user(cast.user("citizen"), cast.user("moderator"), "Gjentatte brudd på husreglene", 7)


@scene("BanLifted")
def _lifted(cast: Cast) -> None:
    ban = ban_user(cast.user("citizen"), cast.user("moderator"), "Gjentatte brudd på husreglene", 7)
    lift_ban(ban, cast.user("moderator"))


def _meeting(cast: Cast):
    from hoering.meetings.services import save_body, save_meeting

    officer = cast.user("officer")
    body = save_body(officer, None, name="Formannskapet", kind="formannskap")
    return save_meeting(officer, body, None, starts_at=utcnow() - dt.timedelta(hours=2), place="Rådhuset",
                        status="planned")


@scene("MeetingSaved")
def _meeting_saved(cast: Cast) -> None:
    _meeting(cast)


def _published_agenda(cast: Cast):
    from hoering.meetings.agenda import save_item
    from hoering.meetings.services import publish_agenda

    meeting = _meeting(cast)
    save_item(cast.user("officer"), meeting, None, title="Budsjett", number="PS 1/26")
    publish_agenda(cast.user("officer"), meeting)
    return meeting


@scene("AgendaPublished")
def _agenda_published(cast: Cast) -> None:
    _published_agenda(cast)


@scene("MinutesApproved")
def _minutes_approved(cast: Cast) -> None:
    from hoering.meetings.services import save_minutes

    save_minutes(cast.user("officer"), _published_agenda(cast), markdown="Protokollen.", approved_on=oslo_today())


@scene("AgendaItemSaved")
def _agenda_item_saved(cast: Cast) -> None:
    from hoering.meetings.agenda import save_item

    save_item(cast.user("officer"), _meeting(cast), None, title="Ny skolevei", number="PS 1/26",
              case_number="2026/12", consultation_id=cast.consultation().id)


def _responses_taken(cast: Cast) -> Consultation:
    consultation = cast.consultation()
    consultation.accepts_responses = True
    db.session.commit()
    return consultation


def _response(cast: Cast):
    from hoering.responses.services import ResponseData, StagedUploads, submit_response

    return submit_response(_responses_taken(cast), cast.user("citizen"), ResponseData(
        sender_name="Kari", sender_email="kari@example.org", text="Et høringssvar om veilys",
        consent_to_publication=True), StagedUploads())


@scene("ResponseReceived")
def _response_received(cast: Cast) -> None:
    _response(cast)


@scene("ResponseScreened")
def _response_screened(cast: Cast) -> None:
    from hoering.responses.screening import screen_response

    screen_response(_response(cast), cast.user("officer"), "published")


def test_every_event_has_a_scene(app):
    assert sorted(SCENES) == sorted(eventlog.EVENT_TYPES)


@pytest.mark.parametrize("event_name", sorted(SCENES))
def test_each_subscriber_of_the_event_runs_after_the_commit(
        app, event_name, make_user, make_consultation, monkeypatch):
    event_type = eventlog.EVENT_TYPES[event_name]
    received = []
    for name in subscribers_of(event_type):
        original = eventlog.SUBSCRIBERS[name]

        def spy(event, name=name, original=original):
            received.append((name, type(event).__name__))
            original(event)

        monkeypatch.setitem(eventlog.SUBSCRIBERS, name, spy)
    cast = Cast({
        "citizen": make_user().id, "moderator": make_user(role="moderator").id,
        "officer": make_user(role="case_officer").id, "unverified": make_user(verified=False).id,
        "open": make_consultation().id, "closed": make_consultation(status="closed").id,
    })
    with app.app_context():
        if event_name == "EmailConfirmed":  # a comment waiting for the address
            post_comment(cast.consultation(), cast.user("unverified"), "Venter på e-postadressen")
        SCENES[event_name](cast)
        assert db.session.scalar(sa.select(sa.func.count(EventDelivery.id))) == 0

    expected = {(name, event_name) for name in subscribers_of(event_type)}
    assert expected <= set(received)
