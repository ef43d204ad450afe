"""The JSON API of the political bodies and meetings: only published agendas, minutes only
once approved, JSON errors."""

from __future__ import annotations

from hoering.timeutil import oslo_today


def test_bodies_their_meetings_and_one_meeting(client, make_meeting, make_consultation, browser_for):
    consultation = make_consultation(status="closed", title="Ny skolestruktur")
    slug, meeting_id, items = make_meeting(body_name="Kommunestyret", days=-1, consultation_id=consultation.id,
                                           decision="Vedtatt som innstilt.")
    _slug, hidden_id, _items = make_meeting(body_name="Kommunestyret", published=False)
    bodies = client.get("/api/v1/bodies").get_json()
    assert bodies["total"] == 1 and bodies["items"][0]["slug"] == slug
    assert bodies["items"][0]["portal_url"] == "https://fjordvik.example/politikk"
    meetings = client.get(f"/api/v1/bodies/{slug}/meetings").get_json()
    assert [m["id"] for m in meetings["items"]] == [meeting_id]
    meeting = client.get(f"/api/v1/meetings/{meeting_id}").get_json()
    item = meeting["items"][0]
    assert item["number"] == "PS 1/26" and item["case_number"] == "2026/12" and item["decision"] == "Vedtatt som innstilt."
    assert item["consultation"].endswith(f"/api/v1/consultations/{consultation.slug}")
    assert meeting["minutes_html"] is None and meeting["minutes_approved_on"] is None
    officer = browser_for("case_officer")
    officer.submit(f"/saksbehandling/moter/{meeting_id}/protokoll",
                   data={"minutes": "**Protokoll**", "approved_on": oslo_today().isoformat()})
    meeting = client.get(f"/api/v1/meetings/{meeting_id}").get_json()
    assert "<strong>Protokoll</strong>" in meeting["minutes_html"]
    assert meeting["minutes_approved_on"] == oslo_today().isoformat()
    missing = client.get(f"/api/v1/meetings/{hidden_id}")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/bodies/finnes-ikke/meetings").get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/meetings/99999999999").status_code == 404


def test_real_meeting_answers_match_the_openapi_document(app, make_meeting, browser_for):
    import schemathesis

    slug, meeting_id, _items = make_meeting(days=-1)
    officer = browser_for("case_officer")
    officer.submit(f"/saksbehandling/moter/{meeting_id}/protokoll",
                   data={"minutes": "Godkjent.", "approved_on": oslo_today().isoformat()})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    by_id = {op.definition.raw["operationId"]: op for op in (r.ok() for r in schema.get_all_operations())}
    statuses = [case.call_and_validate().status_code for case in (
        by_id["listBodies"].Case(), by_id["listBodyMeetings"].Case(path_parameters={"slug": slug}),
        by_id["getMeeting"].Case(path_parameters={"meeting_id": meeting_id}),
        by_id["getMeeting"].Case(path_parameters={"meeting_id": meeting_id + 1000}))]
    assert statuses == [200, 200, 200, 404]
