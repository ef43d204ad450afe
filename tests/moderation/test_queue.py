"""The moderation queue, bulk actions, the overview and audit-log completeness."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from hoering.comments.models import Comment
from hoering.extensions import db
from hoering.moderation.models import ModerationAction
from tests.conftest import csrf_token_from, shared_data

NOW = dt.datetime.now(dt.UTC)


def queue_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="queue-item" id="sak-(\d+)">', html)]


def bulk(browser, ids, action, reason="", page="/moderering"):
    html = browser.get(page).get_data(as_text=True)
    versions = dict(re.findall(r'name="version-(\d+)" value="(\d+)"', html))
    data = {"csrf_token": csrf_token_from(html), "action": action, "reason": reason, "back": page,
            "comment": [str(i) for i in ids]}
    data.update({f"version-{i}": versions.get(str(i), "0") for i in ids})
    return browser.client.post("/moderering/samlet", data=data)


def test_queue_lists_pending_and_reported_comments_oldest_first(browser_for, make_consultation, make_comment,
                                                                make_user):
    consultation = make_consultation()
    author = make_user()
    newer_pending = make_comment(consultation, author, "ny ventende", state="pending", created_at=NOW)
    older_pending = make_comment(consultation, author, "gammel ventende", state="pending",
                                 created_at=NOW - dt.timedelta(days=2))
    reported = make_comment(consultation, author, "rapportert", created_at=NOW - dt.timedelta(days=5))
    make_comment(consultation, author, "vanlig publisert")
    browser_for().submit(f"/kommentarer/{reported.id}/rapporter", data={"reason": "spam", "text": "kjøp nå"})

    html = browser_for("moderator").get("/moderering").get_data(as_text=True)

    # a reported comment waits from the time of its first report, a pending one from its posting
    assert queue_ids(html) == [older_pending.id, newer_pending.id, reported.id]
    assert "kjøp nå" in html and "vanlig publisert" not in html


def test_queue_filters(browser_for, make_consultation, make_comment, make_user, search_inline):
    first, second = make_consultation(title="Første"), make_consultation(title="Andre")
    author = make_user()
    a = make_comment(first, author, "eple ventende", state="pending")
    b = make_comment(second, author, "pære ventende", state="pending")
    c = make_comment(second, author, "rapportert banan")
    browser_for().submit(f"/kommentarer/{c.id}/rapporter", data={"reason": "off_topic"})
    moderator = browser_for("moderator")

    def ids(query):
        return sorted(queue_ids(moderator.get(f"/moderering?{query}").get_data(as_text=True)))

    assert ids(f"consultation={first.id}") == [a.id]
    assert ids("state=pending") == sorted([a.id, b.id])
    assert ids("state=reported") == [c.id]
    assert ids("reason=off_topic") == [c.id] and ids("reason=spam") == []
    assert ids("q=pære") == [b.id]
    assert ids("q=VENTENDE") == sorted([a.id, b.id])
    assert ids("q=50%25_") == []
    assert ids("consultation=abc&state=nonsense&reason=x") == sorted([a.id, b.id, c.id])


def test_queue_shows_thread_context_and_deep_link(browser_for, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    parent = make_comment(consultation, make_user(name="Foreldre"), "Opprinnelig innlegg")
    reply = make_comment(consultation, make_user(), "Ventende svar", parent=parent, state="pending")
    html = browser_for("moderator").get("/moderering").get_data(as_text=True)
    assert "Opprinnelig innlegg" in html and f"/kommentarer/{reply.id}" in html


def test_queue_pages_hold_fifty(browser_for, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    author = make_user()
    for i in range(55):
        make_comment(consultation, author, f"ventende {i}", state="pending", created_at=NOW - dt.timedelta(minutes=i))
    moderator = browser_for("moderator")
    first = moderator.get("/moderering").get_data(as_text=True)
    second = moderator.get("/moderering?page=2").get_data(as_text=True)
    assert len(queue_ids(first)) == 50 and len(queue_ids(second)) == 5
    assert "(55)" in first


def test_bulk_approve_logs_every_comment(browser_for, make_consultation, make_comment, make_user, app, client):
    consultation = make_consultation(moderation_mode="pre")
    author = make_user()
    comments = [make_comment(consultation, author, f"bulk {i}", state="pending") for i in range(12)]
    moderator = browser_for("moderator")

    response = bulk(moderator, [c.id for c in comments[:10]], "approve")

    assert response.status_code == 303
    with app.app_context():
        states = dict(db.session.execute(sa.select(Comment.id, Comment.state)).all())
        entries = db.session.scalars(sa.select(ModerationAction)).all()
    assert [states[c.id] for c in comments] == ["published"] * 10 + ["pending"] * 2
    assert sorted(e.comment_id for e in entries) == sorted(c.id for c in comments[:10])
    assert all(e.action == "approve" and e.actor_id == moderator.user.id for e in entries)
    assert "10 kommentarer er behandlet." in moderator.get("/moderering").get_data(as_text=True)


def test_bulk_hide_reports_conflicts_per_comment(browser_for, make_consultation, make_comment, make_user, app):
    consultation = make_consultation()
    author = make_user()
    comments = [make_comment(consultation, author, f"k {i}", state="pending") for i in range(3)]
    first, second = browser_for("moderator"), browser_for("moderator")
    html = second.get("/moderering").get_data(as_text=True)  # second loads the queue …
    act_first = bulk(first, [comments[0].id], "approve")  # … first approves one meanwhile
    assert act_first.status_code == 303
    data = {"csrf_token": csrf_token_from(html), "action": "hide", "reason": "reklame", "back": "/moderering",
            "comment": [str(c.id) for c in comments]}
    data.update(dict((f"version-{i}", v) for i, v in re.findall(r'name="version-(\d+)" value="(\d+)"', html)))
    second.client.post("/moderering/samlet", data=data)

    with app.app_context():
        states = [db.session.get(Comment, c.id).state for c in comments]
    assert states == ["published", "hidden", "hidden"]
    assert "Allerede behandlet" in second.get("/moderering").get_data(as_text=True)


def test_single_item_quick_action(browser_for, make_consultation, make_comment, make_user, app):
    comment = make_comment(make_consultation(), make_user(), "ventende", state="pending")
    moderator = browser_for("moderator")
    html = moderator.get("/moderering").get_data(as_text=True)
    moderator.client.post("/moderering/samlet", data={
        "csrf_token": csrf_token_from(html), "single": f"{comment.id}:approve", f"version-{comment.id}": "0"})
    with app.app_context():
        assert db.session.get(Comment, comment.id).state == "published"


def test_overview_counts_per_consultation(browser_for, make_consultation, make_comment, make_user):
    consultation = make_consultation(title="Travel høring")
    author = make_user()
    make_comment(consultation, author, "a", state="pending", created_at=NOW - dt.timedelta(days=3))
    make_comment(consultation, author, "b", state="pending")
    make_comment(consultation, author, "c", state="hidden")
    html = browser_for("moderator").get("/moderering/oversikt").get_data(as_text=True)
    row = html[html.index("Travel høring"):]
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)[:4]
    assert re.sub(r"<[^>]+>", "", cells[0]) == "2" and cells[1] == "0" and cells[2] == "1"
    assert "3 døgn" in cells[3]  # CLDR bokmål for a span of days
    analysis = re.findall(r"<td>(.*?)</td>", row, re.S)[4]
    assert f'href="/moderering/hoeringer/{consultation.slug}/temaer"' in analysis and "Temaer" in analysis


def test_the_audit_log_chains_every_state_change(browser_for, make_consultation, make_user, app):
    """Replay the log: each entry starts where the previous one ended, and the last one
    ends in the comment's current state."""
    consultation = make_consultation(moderation_mode="pre")
    citizen, moderator = browser_for(), browser_for("moderator")
    for i in range(4):
        citizen.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                       data={"text": f"innspill {i}"})
    with app.app_context():
        ids = [c.id for c in db.session.scalars(sa.select(Comment).order_by(Comment.id))]
    from tests.moderation.helpers import act

    act(moderator, ids[0], "approve")
    act(moderator, ids[0], "hide", reason="utenfor-tema")
    act(moderator, ids[0], "restore")
    act(moderator, ids[1], "reject")
    act(moderator, ids[1], "approve")
    bulk(moderator, [ids[2], ids[3]], "approve")
    citizen.submit(f"/kommentarer/{ids[3]}/fjern")
    for _ in range(3):
        browser_for().submit(f"/kommentarer/{ids[2]}/rapporter", data={"reason": "spam"})

    with app.app_context():
        for comment in db.session.scalars(sa.select(Comment)):
            entries = db.session.scalars(sa.select(ModerationAction).where(ModerationAction.comment_id == comment.id)
                                         .order_by(ModerationAction.id)).all()
            state = "pending"
            for entry in entries:
                if entry.state_before is not None:
                    assert entry.state_before == state, (comment.id, entry.action)
                state = entry.state_after
            assert state == comment.state, comment.id


def test_the_audit_log_page_filters_and_exports_csv(browser_for, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    author = make_user()
    comment = make_comment(consultation, author, "x", state="pending")
    moderator = browser_for("moderator", name="=HYPERLINK(\"evil\")")
    from tests.moderation.helpers import act

    act(moderator, comment.id, "approve", note="+SUM(A1)")
    act(moderator, comment.id, "hide", reason="reklame")

    html = moderator.get("/moderering/logg?action=hide").get_data(as_text=True)
    assert "Skjult" in html and "+SUM(A1)" not in html
    csv_response = moderator.get("/moderering/logg.csv")
    text = csv_response.get_data(as_text=True)
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    assert text.startswith('\ufeff"id","created_at","action"')
    assert "'=HYPERLINK" in text and "'+SUM(A1)" in text
    assert len(text.strip().splitlines()) == 3


def test_audit_log_rows_cannot_be_changed(app, make_user):
    import pytest

    from hoering.moderation.models import AuditLogIsAppendOnly

    with app.app_context():
        entry = ModerationAction(action="ban", target_user_id=make_user().id, note="x")
        db.session.add(entry)
        db.session.commit()
        entry.note = "rewritten"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.delete(db.session.get(ModerationAction, entry.id))
            db.session.commit()
        db.session.rollback()


def test_polis_decisions_are_imported_actions_and_all_pending_leaves_them_out(runner, app):
    runner.invoke(args=["hoering", "import-polis", shared_data("polis", "15-per-hour-seattle")])
    result = runner.invoke(args=["hoering", "import-polis", "--all-pending",
                                 shared_data("polis", "london.youth.policing")])
    assert result.exit_code == 0 and "0 published, 0 rejected, 39 pending" in result.output
    with app.app_context():
        imported = db.session.execute(sa.select(ModerationAction.state_after, sa.func.count())
                                      .where(ModerationAction.action == "import")
                                      .group_by(ModerationAction.state_after)).all()
    assert dict(imported) == {"published": 30, "rejected": 23}


def test_all_on_page_applies_to_every_comment_listed(browser_for, make_consultation, make_comment, make_user, app):
    consultation = make_consultation()
    author = make_user()
    comments = [make_comment(consultation, author, f"k {i}", state="pending") for i in range(4)]
    moderator = browser_for("moderator")
    html = moderator.get("/moderering").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(html), "action": "approve", "all_on_page": "1", "back": "/moderering",
            "page_item": re.findall(r'name="page_item" value="(\d+)"', html)}
    data.update({f"version-{i}": v for i, v in re.findall(r'name="version-(\d+)" value="(\d+)"', html)})
    moderator.client.post("/moderering/samlet", data=data)
    with app.app_context():
        assert {db.session.get(Comment, c.id).state for c in comments} == {"published"}
    assert "Ingenting venter" in moderator.get("/moderering").get_data(as_text=True)
    assert "Ingen kommentarer passer med filteret." in moderator.get("/moderering?q=xyz").get_data(as_text=True)


def test_moderators_permalink_to_a_pending_comment_opens_its_moderation_page(browser_for, make_consultation,
                                                                          make_comment, make_user):
    comment = make_comment(make_consultation(), make_user(), "venter", state="pending")
    response = browser_for("moderator").get(f"/kommentarer/{comment.id}")
    assert response.status_code == 303 and response.headers["Location"] == f"/moderering/kommentarer/{comment.id}"


def test_queue_text_filter_is_the_full_text_search(browser_for, make_consultation, make_comment, make_user,
                                                   search_inline):
    consultation = make_consultation()
    skoler = make_comment(consultation, make_user(), "Skolene trenger flere lærere", state="pending")
    make_comment(consultation, make_user(), "Veiene trenger asfalt", state="pending")
    html = browser_for("moderator").get("/moderering?q=skolen").get_data(as_text=True)
    assert queue_ids(html) == [skoler.id]
