"""Opening and deadline boundaries in Oslo time, across the daylight-saving changes."""

from __future__ import annotations

import datetime as dt

import pytest

from hoering.exceptions import PermissionDenied
from hoering.timeutil import OSLO, end_of_oslo_day, oslo_to_utc


@pytest.mark.parametrize("deadline", [dt.date(2026, 3, 29), dt.date(2026, 10, 25), dt.date(2026, 7, 1)])
def test_comments_until_235959_oslo_time_on_the_deadline_day(app, make_consultation, make_user, deadline):
    from hoering.comments.services import post_comment
    from hoering.consultations.models import Consultation
    from hoering.extensions import db

    opens = oslo_to_utc(dt.datetime.combine(deadline - dt.timedelta(days=10), dt.time(10, 0)))
    consultation = make_consultation(opens_at=opens, closes_at=end_of_oslo_day(deadline))
    author = make_user()
    last_second = dt.datetime.combine(deadline, dt.time(23, 59, 59), tzinfo=OSLO).astimezone(dt.UTC)
    next_midnight = dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time(0, 0), tzinfo=OSLO).astimezone(dt.UTC)
    assert next_midnight - last_second == dt.timedelta(seconds=1)
    with app.app_context():
        row = db.session.get(Consultation, consultation.id)
        user = db.session.get(type(author), author.id)
        assert post_comment(row, user, "I siste sekund", now=last_second).state == "published"
        with pytest.raises(PermissionDenied):
            post_comment(row, user, "Ett sekund for sent", now=next_midnight)


def test_a_scheduled_opening_on_the_day_summer_time_starts(app, make_consultation, make_user):
    from hoering.comments.services import post_comment
    from hoering.consultations.models import Consultation, Status
    from hoering.extensions import db

    opening = dt.datetime(2026, 3, 29, 10, 0, tzinfo=OSLO)  # 08:00 UTC on that day
    consultation = make_consultation(opens_at=opening.astimezone(dt.UTC),
                                     closes_at=end_of_oslo_day(dt.date(2026, 4, 30)))
    author = make_user()
    with app.app_context():
        row = db.session.get(Consultation, consultation.id)
        user = db.session.get(type(author), author.id)
        assert row.status(opening.astimezone(dt.UTC) - dt.timedelta(seconds=1)) == Status.UPCOMING
        assert row.status(opening.astimezone(dt.UTC)) == Status.OPEN
        with pytest.raises(PermissionDenied):
            post_comment(row, user, "For tidlig", now=opening.astimezone(dt.UTC) - dt.timedelta(seconds=1))
        assert post_comment(row, user, "Akkurat tidsnok", now=opening.astimezone(dt.UTC)).state == "published"
        assert opening.astimezone(dt.UTC).hour == 8
