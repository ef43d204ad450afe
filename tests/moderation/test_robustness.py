"""Regression tests for races and bad input found by probing the moderation features."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
import sqlalchemy as sa

from hoering.accounts.models import User
from hoering.comments.models import Comment
from hoering.extensions import db
from hoering.moderation.models import Ban, ModerationAction
from tests.conftest import csrf_token_from
from tests.moderation.helpers import act, comment_row, log_of, open_report_count


def parallel(functions) -> None:
    threads = [threading.Thread(target=f) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_rate_limited_report_page_reveals_nothing_about_hidden_comments(browser_for, make_consultation,
                                                                       make_comment, make_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_REPORTS", "1 per minute")
    consultation = make_consultation()
    public = make_comment(consultation, make_user(), "offentlig")
    secret = make_comment(consultation, make_user(), "hemmelig ventende tekst", state="pending")
    citizen = browser_for()
    citizen.submit(f"/kommentarer/{public.id}/rapporter", data={"reason": "spam"})
    token = csrf_token_from(citizen.get("/").get_data(as_text=True))
    response = citizen.client.post(f"/kommentarer/{secret.id}/rapporter", data={"csrf_token": token, "reason": "spam"})
    assert response.status_code in (404, 429)
    assert "hemmelig ventende tekst" not in response.get_data(as_text=True)


def test_editing_an_approved_comment_under_pre_moderation_needs_approval_again(browser_for, make_consultation, app,
                                                                              client):
    consultation = make_consultation(moderation_mode="pre")
    citizen, moderator = browser_for(), browser_for("moderator")
    citizen.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                   data={"text": "Uskyldig tekst"})
    with app.app_context():
        comment_id = db.session.scalar(sa.select(Comment.id))
    act(moderator, comment_id, "approve")

    citizen.submit(f"/kommentarer/{comment_id}/rediger", data={"text": "Noe helt annet"})

    assert comment_row(app, comment_id).state == "pending"
    assert "Noe helt annet" not in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert log_of(app, comment_id)[-1][:5] == ("auto_hold", None, "pre_moderation", "published", "pending")


def test_an_edit_makes_a_moderators_open_page_stale(browser_for, make_consultation, app):
    consultation = make_consultation(moderation_mode="pre")
    citizen, moderator = browser_for(), browser_for("moderator")
    citizen.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                   data={"text": "Første versjon"})
    with app.app_context():
        comment_id = db.session.scalar(sa.select(Comment.id))
    seen = int(re.search(r'name="version" value="(\d+)"', moderator.get(f"/moderering/kommentarer/{comment_id}")
                         .get_data(as_text=True)).group(1))
    citizen.submit(f"/kommentarer/{comment_id}/rediger", data={"text": "Andre versjon"})
    assert act(moderator, comment_id, "approve", version=seen).status_code == 409
    assert comment_row(app, comment_id).state == "pending"


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, browser_for):
    first, second = browser_for("admin"), browser_for("admin")

    def demote(browser, target):
        def run():
            browser.submit(f"/admin/brukere/{target.id}", data={"role": "citizen"})
        return run

    parallel([demote(first, second.user), demote(second, first.user)])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == "admin")) >= 1


def test_imported_participants_cannot_be_given_a_role(browser_for, app):
    with app.app_context():
        participant = User(display_name="Deltaker 1", is_pseudonymous=True, external_id="polis:x:1")
        db.session.add(participant)
        db.session.commit()
        participant_id = participant.id
    admin = browser_for("admin")
    assert admin.submit(f"/admin/brukere/{participant_id}", data={"role": "admin"}).status_code == 403
    assert admin.submit(f"/admin/brukere/{admin.user.id}", data={"role": "citizen"}).status_code == 403


def test_parallel_reports_hide_a_comment_exactly_once(app, make_consultation, make_comment, make_user, browser_for):
    comment = make_comment(make_consultation(), make_user(), "omstridt")
    reporters = [browser_for() for _ in range(4)]
    tokens = [csrf_token_from(r.get(f"/kommentarer/{comment.id}/rapporter").get_data(as_text=True))
              for r in reporters]

    def report(browser, token):
        return lambda: browser.client.post(f"/kommentarer/{comment.id}/rapporter",
                                           data={"csrf_token": token, "reason": "spam"})

    parallel([report(b, t) for b, t in zip(reporters, tokens, strict=True)])
    assert comment_row(app, comment.id).state == "hidden"
    assert [e[0] for e in log_of(app, comment.id)] == ["auto_hide"]


def test_banned_users_cannot_edit_comments_or_rename_themselves(browser_for, make_consultation, make_comment, app):
    citizen, moderator = browser_for(), browser_for("moderator")
    comment = make_comment(make_consultation(), citizen.user, "før utestengning")
    moderator.submit(f"/moderering/brukere/{citizen.user.id}/utesteng", data={"duration": "7", "reason": "Hets"})
    token = csrf_token_from(citizen.get("/").get_data(as_text=True))
    edit = citizen.client.post(f"/kommentarer/{comment.id}/rediger", data={"csrf_token": token, "text": "etter"})
    rename = citizen.client.post("/min-side", data={"csrf_token": token, "display_name": "Moderator"})
    assert edit.status_code == 403 and rename.status_code == 403
    assert comment_row(app, comment.id).body_text == "før utestengning"
    with app.app_context():
        assert db.session.get(User, citizen.user.id).display_name == citizen.user.display_name


def test_removing_a_comment_that_reports_just_hid_closes_its_reports(browser_for, make_consultation, app):
    consultation = make_consultation()
    author, moderator = browser_for(), browser_for("moderator")
    author.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                  data={"text": "Snart borte"})
    with app.app_context():
        comment_id = db.session.scalar(sa.select(Comment.id))
    token = csrf_token_from(author.get(f"/kommentarer/{comment_id}/fjern").get_data(as_text=True))
    for _ in range(3):
        browser_for().submit(f"/kommentarer/{comment_id}/rapporter", data={"reason": "spam"})

    response = author.client.post(f"/kommentarer/{comment_id}/fjern", data={"csrf_token": token})

    assert response.status_code == 303
    assert comment_row(app, comment_id).state == "removed"
    assert open_report_count(app, comment_id) == 0
    assert f"sak-{comment_id}" not in moderator.get("/moderering").get_data(as_text=True)


def test_reason_is_kept_only_for_hide_and_reject_and_notes_are_capped(browser_for, make_consultation,
                                                                      make_comment, make_user, app):
    comment = make_comment(make_consultation(), make_user(), "x", state="pending")
    moderator = browser_for("moderator")
    assert act(moderator, comment.id, "approve", reason="=1+1" * 30).status_code == 303
    assert log_of(app, comment.id)[-1][2] is None
    assert act(moderator, comment.id, "hide", reason="reklame", note="n" * 2001).status_code == 422


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=notadate", "page=99999999999999999999",
                                   "page=-3", "actor=abc", "consultation=%00"])
def test_odd_audit_log_filters_answer_normally(browser_for, query):
    moderator = browser_for("moderator")
    assert moderator.get(f"/moderering/logg?{query}").status_code == 200
    assert moderator.get(f"/moderering/logg.csv?{query}").status_code == 200


@pytest.mark.parametrize("url", ["/moderering?q=%00", "/moderering?page=99999999999999999999",
                                 "/admin/brukere?q=%00", "/admin/brukere?page=99999999999999999999"])
def test_odd_staff_queries_answer_normally(browser_for, url):
    assert browser_for("admin").get(url).status_code == 200


def test_odd_versions_and_back_addresses_are_refused_cleanly(browser_for, make_consultation, make_comment,
                                                             make_user, app):
    comment = make_comment(make_consultation(), make_user(), "x", state="pending")
    moderator = browser_for("moderator")
    assert act(moderator, comment.id, "approve", version="²").status_code == 409
    token = csrf_token_from(moderator.get("/moderering").get_data(as_text=True))
    response = moderator.client.post("/moderering/samlet", data={
        "csrf_token": token, "single": f"{comment.id}:approve", f"version-{comment.id}": "0",
        "back": "/moderering\r\nSet-Cookie: x=1"})
    assert response.status_code == 303 and response.headers["Location"] == "/moderering"
    assert comment_row(app, comment.id).state == "published"


def test_csv_quotes_every_cell(browser_for, make_consultation, make_comment, make_user):
    comment = make_comment(make_consultation(), make_user(), "x", state="pending")
    moderator = browser_for("moderator")
    act(moderator, comment.id, "approve", note="ok;=2+2")
    text = moderator.get("/moderering/logg.csv").get_data(as_text=True)
    assert '"ok;=2+2"' in text


def test_an_expired_ban_cannot_be_lifted(browser_for, app):
    citizen, moderator = browser_for(), browser_for("moderator")
    moderator.submit(f"/moderering/brukere/{citizen.user.id}/utesteng", data={"duration": "1", "reason": "Hets"})
    with app.app_context():
        db.session.execute(sa.update(Ban).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
        db.session.commit()
        ban_id = db.session.scalar(sa.select(Ban.id))
    moderator.submit(f"/moderering/brukere/{citizen.user.id}/utesteng", f"/moderering/utestengninger/{ban_id}/opphev")
    with app.app_context():
        assert db.session.scalar(sa.select(Ban.lifted_at)) is None
        assert db.session.scalar(sa.select(sa.func.count(ModerationAction.id))
                                 .where(ModerationAction.action == "unban")) == 0


def test_a_role_change_to_the_same_role_is_not_logged(browser_for, make_user, app):
    user = make_user()
    browser_for("admin").submit(f"/admin/brukere/{user.id}", data={"role": "citizen"})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ModerationAction.id))) == 0


