"""The demo municipality has political bodies, meetings with agendas and approved minutes,
and consultations linked to the agenda items where they are decided."""

from __future__ import annotations

import re


def test_the_demo_has_bodies_meetings_minutes_and_linked_consultations(runner, client):
    assert runner.invoke(args=["hoering", "demo"]).exit_code == 0
    bodies = client.get("/politikk").get_data(as_text=True)
    for name in ("Kommunestyret", "Formannskapet", "Hovedutvalg for oppvekst og kultur"):
        assert name in bodies
    council = client.get("/politikk/kommunestyret").get_data(as_text=True)
    assert "Eva Fjeld" in council and "Varamedlem" in council
    assert "https://fjordvik.example/innsyn/politikk/kommunestyret" in council
    meeting_ids = [int(i) for i in re.findall(r'href="/moter/(\d+)"', council)]
    assert len(set(meeting_ids)) == 2  # one past, one upcoming
    pages = [client.get(f"/moter/{i}").get_data(as_text=True) for i in sorted(set(meeting_ids))]
    past = next(page for page in pages if "PS 20/26" in page)
    assert "Protokoll" in past and "27 mot 6 stemmer" in past and "/hoeringer/kulturskole-gamle-banken" in past
    upcoming = next(page for page in pages if "PS 45/26" in page)
    assert "/hoeringer/skolebruksplan" in upcoming and "2026/1234" in upcoming
    school = client.get("/hoeringer/skolebruksplan").get_data(as_text=True)
    assert re.search(r'href="/moter/\d+#sak-\d+"', school)
    culture = client.get("/hoeringer/kulturskole-gamle-banken").get_data(as_text=True)
    assert "27 mot 6 stemmer" in culture and re.search(r'/moter/\d+#sak-\d+', culture)
    assert client.get("/api/v1/bodies").get_json()["total"] == 3
