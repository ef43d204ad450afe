"""Fixtures for political bodies and meetings: a body, meetings made through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from hoering.extensions import db
from hoering.timeutil import utcnow


@pytest.fixture
def make_meeting(app, make_user):
    """``make_meeting(body_name="Formannskapet", days=7, items=(("PS 1/26", "Budsjett"),), published=True,
    status="planned", consultation_id=None, decision="")`` → ``(body slug, meeting id, [item ids])``,
    written through the services as a case officer would."""
    from hoering.accounts.models import User
    from hoering.meetings import agenda, services
    from hoering.meetings.models import Body
    from hoering.search.services import process_pending
    officer_id = make_user(role="case_officer").id

    def make(body_name: str = "Formannskapet", days: float = 7, items=(("PS 1/26", "Budsjett 2027"),),
             published: bool = True, status: str = "planned", consultation_id: int | None = None,
             decision: str = "", place: str = "Rådhuset"):
        with app.app_context():
            officer = db.session.get(User, officer_id)
            body = db.session.scalar(db.select(Body).where(Body.name == body_name))
            if body is None:
                body = services.save_body(officer, None, name=body_name, kind="formannskap",
                                          portal_url="https://fjordvik.example/politikk")
            meeting = services.save_meeting(officer, body, None, starts_at=utcnow() + dt.timedelta(days=days),
                                            place=place, status=status)
            ids = []
            for i, (number, title) in enumerate(items):
                item = agenda.save_item(officer, meeting, None, number=number, title=title, case_number="2026/12",
                                        consultation_id=consultation_id if i == 0 else None,
                                        decision_text=decision if i == 0 else "")
                ids.append(item.id)
            if published:
                services.publish_agenda(officer, services.get_meeting(meeting.id))
            if app.config["SEARCH_INDEX_INLINE"]:
                process_pending()  # as after a request
            return body.slug, meeting.id, ids

    return make
