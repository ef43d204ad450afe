"""A ban can hide the banned person's comments, lifting it restores exactly those, and she
is told why and until when: by e-mail in her language and on the site."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from hoering.extensions import db
from hoering.moderation.models import Ban, ModerationAction
from hoering.notifications.models import OutboxMail
from hoering.timeutil import OSLO
from tests.conftest import Browser
from tests.moderation.helpers import comment_row, log_of, open_report_count
from tests.moderation.test_self_moderation import post_action

REASON = "Gjentatte personangrep mot naboer"


def ban(moderator, user, hide: bool, duration: str = "30", reason: str = REASON):
    data = {"duration": duration, "reason": reason}
    if hide:
        data["hide_comments"] = "y"
    return moderator.submit(f"/moderering/brukere/{user.id}/utesteng", data=data)


def lift(moderator, user, restore: bool):
    page = moderator.get(f"/moderering/brukere/{user.id}/utesteng").get_data(as_text=True)
    ban_id = re.search(r'action="/moderering/utestengninger/(\d+)/opphev"', page).group(1)
    return moderator.submit(f"/moderering/brukere/{user.id}/utesteng", f"/moderering/utestengninger/{ban_id}/opphev",
                            data={"restore_comments": "1"} if restore else {})


def test_a_ban_with_hiding_hides_her_comments_everywhere_and_logs_each(
        app, search_inline, browser_for, make_consultation, make_comment, make_user, client):
    consultation = make_consultation()
    citizen, moderator = browser_for(), browser_for("moderator")
    first = make_comment(consultation, citizen.user, "Gulrotkaken hos naboen er elendig")
    other = make_comment(consultation, make_user(), "Et helt vanlig innlegg om gulrotkaken")
    make_comment(consultation, make_user(), "Et svar som blir stående", parent=first)
    reply = make_comment(consultation, citizen.user, "Gulrotkaken igjen", parent=other)
    browser_for().submit(f"/kommentarer/{first.id}/rapporter", data={"reason": "offensive"})

    assert ban(moderator, citizen.user, hide=True).status_code == 303

    for comment in (first, reply):
        row = comment_row(app, comment.id)
        assert (row.state, row.hidden_reason) == ("hidden", "ban")
        assert log_of(app, comment.id)[-1] == ("hide", moderator.user.id, "ban", "published", "hidden", False)
    with app.app_context():
        notes = set(db.session.scalars(sa.select(ModerationAction.note).where(
            ModerationAction.comment_id.in_([first.id, reply.id]))))
    assert notes == {REASON}
    assert open_report_count(app, first.id) == 0  # upheld, as when a moderator hides a comment
    assert comment_row(app, other.id).state == "published"
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Gulrotkaken hos naboen" not in page and "Gulrotkaken igjen" not in page
    assert "Et helt vanlig innlegg" in page and "Et svar som blir stående" in page
    assert "Skjult av moderator: forfatteren ble utestengt" in page  # the reply keeps its parent's place
    assert REASON not in page  # the reason is hers and the moderators', not the public's
    found = client.get("/sok?q=gulrotkaken").get_data(as_text=True)
    assert "Et helt vanlig innlegg" in found and "naboen er elendig" not in found
    api = client.get(f"/api/v1/consultations/{consultation.slug}/comments").get_data(as_text=True)
    assert "Gulrotkaken" not in api


def test_a_ban_without_hiding_leaves_her_comments(app, browser_for, make_consultation, make_comment):
    consultation = make_consultation()
    citizen, moderator = browser_for(), browser_for("moderator")
    comment = make_comment(consultation, citizen.user, "Blir stående")

    assert ban(moderator, citizen.user, hide=False).status_code == 303

    assert comment_row(app, comment.id).state == "published"


def test_lifting_the_ban_restores_exactly_the_comments_it_hid(app, search_inline, browser_for, make_consultation,
                                                              make_comment, client):
    consultation = make_consultation()
    citizen, moderator, other_moderator = browser_for(), browser_for("moderator"), browser_for("moderator")
    moderator.app = other_moderator.app = app
    hidden_by_ban = make_comment(consultation, citizen.user, "Skjult av utestengningen, så tilbake")
    hidden_before = make_comment(consultation, citizen.user, "Skjult for personopplysninger før")
    rehidden_after = make_comment(consultation, citizen.user, "Skjult igjen etterpå for reklame")
    pending = make_comment(consultation, citizen.user, "Venter på godkjenning", state="pending")
    assert post_action(moderator, hidden_before.id, "hide", "personopplysninger").status_code == 303
    assert ban(moderator, citizen.user, hide=True).status_code == 303
    assert post_action(other_moderator, rehidden_after.id, "restore").status_code == 303
    assert post_action(other_moderator, rehidden_after.id, "hide", "reklame").status_code == 303

    assert lift(moderator, citizen.user, restore=True).status_code == 303

    assert comment_row(app, hidden_by_ban.id).state == "published"
    assert log_of(app, hidden_by_ban.id)[-1] == ("restore", moderator.user.id, None, "hidden", "published", False)
    assert (comment_row(app, hidden_before.id).state, comment_row(app, hidden_before.id).hidden_reason) == \
        ("hidden", "personopplysninger")
    assert (comment_row(app, rehidden_after.id).state, comment_row(app, rehidden_after.id).hidden_reason) == \
        ("hidden", "reklame")
    assert comment_row(app, pending.id).state == "pending"
    assert "Skjult av utestengningen, så tilbake" in client.get(f"/hoeringer/{consultation.slug}").get_data(
        as_text=True)
    assert "så tilbake" in client.get("/sok?q=utestengningen").get_data(as_text=True)


def test_lifting_without_restoring_leaves_them_hidden_and_an_expired_ban_can_restore_them_later(
        app, browser_for, make_consultation, make_comment):
    consultation = make_consultation()
    citizen, moderator = browser_for(), browser_for("moderator")
    comment = make_comment(consultation, citizen.user, "Skjult til noen gjenoppretter")
    ban(moderator, citizen.user, hide=True)

    assert lift(moderator, citizen.user, restore=False).status_code == 303
    assert comment_row(app, comment.id).state == "hidden"

    page = moderator.get(f"/moderering/brukere/{citizen.user.id}/utesteng").get_data(as_text=True)
    action = re.search(r'action="(/moderering/utestengninger/\d+/gjenopprett)"', page).group(1)
    assert moderator.submit(f"/moderering/brukere/{citizen.user.id}/utesteng", action).status_code == 303
    assert comment_row(app, comment.id).state == "published"


def test_an_expired_ban_that_was_never_lifted_can_restore_its_comments(app, browser_for, make_consultation,
                                                                       make_comment):
    consultation = make_consultation()
    citizen, moderator = browser_for(), browser_for("moderator")
    comment = make_comment(consultation, citizen.user, "Utløpt utestengning")
    ban(moderator, citizen.user, hide=True, duration="1")
    with app.app_context():
        ban_id = db.session.scalar(sa.select(Ban.id))
    action = f"/moderering/utestengninger/{ban_id}/gjenopprett"
    # While the ban is in force, restoring goes through lifting it.
    assert moderator.submit(f"/moderering/brukere/{citizen.user.id}/utesteng", action).status_code == 303
    assert comment_row(app, comment.id).state == "hidden"
    with app.app_context():
        db.session.execute(sa.update(Ban).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        db.session.commit()

    assert moderator.submit(f"/moderering/brukere/{citizen.user.id}/utesteng", action).status_code == 303
    assert comment_row(app, comment.id).state == "published"


@pytest.mark.parametrize("chosen", ["after logging in", "before logging in"])
def test_the_banned_user_is_mailed_why_and_until_when_in_her_language(app, browser_for, make_consultation,
                                                                      make_comment, make_user, chosen):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    if chosen == "after logging in":
        citizen = browser_for()
        citizen.submit("/", "/sprak", data={"lang": "nn", "next": "/"})
    else:
        citizen = Browser(app.test_client())
        citizen.submit("/", "/sprak", data={"lang": "nn", "next": "/"})
        citizen.user = make_user()
        citizen.login(citizen.user)
    make_comment(consultation, citizen.user, "Ett innlegg")

    assert ban(moderator, citizen.user, hide=True, duration="7").status_code == 303

    with app.app_context():
        mails = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.user_id == citizen.user.id,
                                                               OutboxMail.kind == "ban")).all()
        expires_at = db.session.scalar(sa.select(Ban.expires_at))
    assert len(mails) == 1 and mails[0].to_address == citizen.user.email
    body = mails[0].body
    assert mails[0].subject == "Du er utestengd frå å delta"
    assert REASON in body and "Den publiserte kommentaren din er gøymd saman med utestenginga." in body
    until = expires_at.astimezone(OSLO)
    assert f"{format_date(until.date(), 'medium', locale='nn')}, {until:%H:%M}" in body  # "11. des. 2026, 11:50"


def test_the_banned_user_sees_why_and_until_when_on_the_site(app, browser_for, make_consultation):
    consultation = make_consultation()
    citizen, moderator = browser_for(), browser_for("moderator")
    ban(moderator, citizen.user, hide=False, duration="permanent")

    front = citizen.get("/").get_data(as_text=True)
    form_page = citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)

    for page in (front, form_page):
        assert "Du er utestengt inntil videre" in page and REASON in page
        assert page.count(REASON) == 1  # once, not in two notices
    assert moderator.get("/").get_data(as_text=True).count("Du er utestengt") == 0


def test_a_ban_leaves_what_the_moderator_may_not_decide_to_others(app, browser_for, make_consultation, make_comment):
    """Hiding by ban is a moderation decision like any other: not on a comment she has
    reported herself (her report stays open for another moderator), nor in a draft she may
    not see."""
    citizen, moderator = browser_for(), browser_for("moderator")
    reported = make_comment(make_consultation(), citizen.user, "Hun har rapportert denne")
    in_draft = make_comment(make_consultation(status="draft"), citizen.user, "I et utkast")
    plain = make_comment(make_consultation(), citizen.user, "En vanlig kommentar")
    assert moderator.submit(f"/kommentarer/{reported.id}/rapporter", data={"reason": "offensive"}).status_code == 303

    assert ban(moderator, citizen.user, hide=True).status_code == 303

    assert comment_row(app, plain.id).state == "hidden"
    assert comment_row(app, reported.id).state == "published"
    assert open_report_count(app, reported.id) == 1
    assert comment_row(app, in_draft.id).state == "published"


def test_lifting_one_ban_restores_nothing_while_another_is_in_force(app, browser_for, make_consultation, make_comment):
    citizen, moderator = browser_for(), browser_for("moderator")
    comment = make_comment(make_consultation(), citizen.user, "Skjult av to utestengninger")
    assert ban(moderator, citizen.user, hide=True, duration="1").status_code == 303
    assert ban(moderator, citizen.user, hide=True, duration="permanent").status_code == 303  # a second ban
    with app.app_context():
        first_ban = db.session.scalars(sa.select(Ban.id).where(Ban.user_id == citizen.user.id).order_by(Ban.id)).first()

    response = moderator.submit(f"/moderering/brukere/{citizen.user.id}/utesteng",
                                f"/moderering/utestengninger/{first_ban}/opphev", data={"restore_comments": "1"})

    assert response.status_code == 303
    assert comment_row(app, comment.id).state == "hidden"
