"""The read-only JSON API under /api/v1."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

NOW = dt.datetime.now(dt.UTC)


def test_consultations_lists_published_consultations_only(client, make_consultation, make_comment, make_user):
    open_one = make_consultation(title="Åpen høring")
    make_consultation(status="draft", title="Hemmelig utkast")
    make_comment(open_one, make_user(), "hei")

    data = client.get("/api/v1/consultations").get_json()

    assert [item["slug"] for item in data["items"]] == [open_one.slug]
    item = data["items"][0]
    assert item["title"] == "Åpen høring" and item["status"] == "open"
    assert item["comment_count"] == 1 and item["participant_count"] == 1
    assert item["closes_at"].endswith("Z")
    assert item["deadline"] == open_one.closes_at.astimezone(ZoneInfo("Europe/Oslo")).date().isoformat()


def test_consultation_detail_includes_questions(client, make_consultation):
    consultation = make_consultation(questions=("Hva mener du?",))
    data = client.get(f"/api/v1/consultations/{consultation.slug}").get_json()
    assert [q["text"] for q in data["questions"]] == ["Hva mener du?"]
    assert "<strong>gjelder</strong>" in data["body_html"]


def test_draft_and_missing_consultations_are_json_404(client, make_consultation):
    draft = make_consultation(status="draft")
    for slug in [draft.slug, "finnes-ikke"]:
        response = client.get(f"/api/v1/consultations/{slug}/comments")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/nothing-here").get_json()["error"]["code"] == "not_found"


def test_comments_come_as_nested_threads_with_placeholders(client, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    user = make_user(name="Kari")
    top = make_comment(consultation, user, "topp", created_at=NOW - dt.timedelta(hours=2))
    removed = make_comment(consultation, user, "", parent=top, state="removed")
    reply = make_comment(consultation, user, "svar", parent=removed)
    make_comment(consultation, user, "ventende", state="pending")
    make_comment(consultation, user, "avvist", state="rejected")

    data = client.get(f"/api/v1/consultations/{consultation.slug}/comments").get_json()

    assert data["total"] == 2 and data["total_threads"] == 1
    [thread] = data["threads"]
    assert thread["id"] == top.id and thread["text"] == "topp" and thread["author"] == "Kari"
    [placeholder] = thread["replies"]
    assert placeholder["state"] == "removed" and placeholder["text"] is None and placeholder["author"] is None
    assert [r["id"] for r in placeholder["replies"]] == [reply.id]
    assert placeholder["hidden_reason"] is None


def test_comments_are_paginated(client, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    user = make_user()
    for i in range(5):
        make_comment(consultation, user, f"k{i}", created_at=NOW - dt.timedelta(minutes=i))

    first = client.get(f"/api/v1/consultations/{consultation.slug}/comments?per_page=2&page=1").get_json()
    last = client.get(f"/api/v1/consultations/{consultation.slug}/comments?per_page=2&page=3").get_json()
    beyond = client.get(f"/api/v1/consultations/{consultation.slug}/comments?per_page=2&page=9").get_json()

    assert first["pages"] == 3 and [t["text"] for t in first["threads"]] == ["k0", "k1"]
    assert first["links"]["next"].endswith("page=2&per_page=2&sort=newest") and first["links"]["prev"] is None
    assert [t["text"] for t in last["threads"]] == ["k4"] and last["links"]["next"] is None
    assert beyond["threads"] == [] and beyond["total"] == 5


def test_bad_query_parameters_are_json_400(client, make_consultation):
    consultation = make_consultation()
    for query in ["page=abc", "per_page=0", "per_page=101", "page=-1", "sort=random"]:
        response = client.get(f"/api/v1/consultations/{consultation.slug}/comments?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]["code"] == "bad_request"


def test_api_errors_are_json_for_wrong_methods(client):
    response = client.post("/api/v1/consultations")
    assert response.status_code == 405
    assert "error" in response.get_json()


def test_hidden_placeholder_names_its_house_rule(client, make_consultation, make_comment, make_user, app):
    from hoering.comments.models import Comment
    from hoering.extensions import db

    consultation = make_consultation()
    user = make_user()
    hidden = make_comment(consultation, user, "skjult tekst", state="hidden")
    make_comment(consultation, user, "svar", parent=hidden)
    with app.app_context():
        db.session.get(Comment, hidden.id).hidden_reason = "personopplysninger"
        db.session.commit()
    [thread] = client.get(f"/api/v1/consultations/{consultation.slug}/comments").get_json()["threads"]
    assert thread["state"] == "hidden" and thread["text"] is None
    assert thread["hidden_reason"] == "personopplysninger"
