"""The political bodies of the demo municipality (Fjordvik kommune): the municipal
council, the executive committee and a committee with members; past meetings with agendas
and approved minutes, upcoming meetings with agendas; two demo consultations linked to the
agenda items where they are decided. Called by :func:`hoering.demo.load_demo`.

Everything here is invented. Times are relative to the moment of loading.
"""

from __future__ import annotations

import datetime as dt

from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.meetings.models import ROLE_ORDER, AgendaItem, Body, BodyMember, Meeting
from hoering.sanitize import markdown_html
from hoering.timeutil import oslo_to_utc, to_oslo
from hoering.urls import site_url_for

PORTAL = "https://fjordvik.example/innsyn/politikk"

BODIES = [
    {"slug": "kommunestyret", "name": "Kommunestyret", "kind": "kommunestyre", "position": 0,
     "description": "Kommunestyret er kommunens øverste organ. Det vedtar budsjett, planer og forskrifter, "
                    "og velger formannskap og utvalg.",
     "members": [("Eva Fjeld", "leder", "Arbeiderpartiet"), ("Nils Strand", "nestleder", "Høyre"),
                 ("Hanne Vik", "medlem", "Senterpartiet"), ("Jon Bakke", "medlem", "Fremskrittspartiet"),
                 ("Lise Moe", "medlem", "Sosialistisk Venstreparti"), ("Kjell Aas", "medlem", "Arbeiderpartiet"),
                 ("Tone Lie", "varamedlem", "Høyre")]},
    {"slug": "formannskapet", "name": "Formannskapet", "kind": "formannskap", "position": 1,
     "description": "Formannskapet innstiller til kommunestyret i saker om budsjett og økonomi, og avgjør "
                    "saker kommunestyret har delegert.",
     "members": [("Eva Fjeld", "leder", "Arbeiderpartiet"), ("Nils Strand", "nestleder", "Høyre"),
                 ("Hanne Vik", "medlem", "Senterpartiet"), ("Lise Moe", "medlem", "Sosialistisk Venstreparti"),
                 ("Jon Bakke", "medlem", "Fremskrittspartiet")]},
    {"slug": "hovedutvalg-oppvekst-og-kultur", "name": "Hovedutvalg for oppvekst og kultur", "kind": "utvalg",
     "position": 2,
     "description": "Utvalget behandler saker om skole, barnehage, kultur og idrett.",
     "members": [("Kjell Aas", "leder", "Arbeiderpartiet"), ("Marte Dahl", "nestleder", "Venstre"),
                 ("Rune Berg", "medlem", "Høyre"), ("Sara Nilsen", "medlem", "Rødt")]},
]

#: (body slug, days from today, place, [(number, title, case number, description, decision, consultation slug)],
#:  minutes or None)
MEETINGS = [
    ("kommunestyret", -130, "Kommunestyresalen, Rådhuset", [
        ("PS 20/26", "Kulturskolen i gamle Fjordvik bank", "2026/311",
         "Ombygging av gamle Fjordvik bank til kulturskole. Høringsinnspillene er lagt ved saken.",
         "Kommunestyret vedtok ombyggingen med 27 mot 6 stemmer. Innspillene om universell utforming og "
         "sykkelparkering er tatt inn i byggeprogrammet.", "kulturskole-gamle-banken"),
        ("PS 21/26", "Årsmelding 2025", "2026/120", "Kommunens årsmelding og årsregnskap for 2025.",
         "Årsmeldingen tas til orientering.", None),
     ], "## Protokoll\n\nMøtet ble satt kl. 18.00. 33 av 33 representanter var til stede.\n\n"
        "- **PS 20/26** ble vedtatt med 27 mot 6 stemmer.\n- **PS 21/26** ble enstemmig tatt til orientering."),
    ("formannskapet", -20, "Formannskapssalen, Rådhuset", [
        ("PS 31/26", "Budsjettjustering for andre tertial", "2026/588",
         "Justering av driftsbudsjettet etter andre tertialrapport.", "Budsjettjusteringen vedtas som innstilt.", None),
     ], "## Protokoll\n\nAlle medlemmer møtte.\n\n- **PS 31/26** ble enstemmig vedtatt."),
    ("hovedutvalg-oppvekst-og-kultur", 5, "Møterom Fjorden, Rådhuset", [
        ("PS 12/26", "Åpningstider i Fjordvik bibliotek", "2026/701",
         "Forslag om meråpent bibliotek på kveldstid.", "", None),
     ], None),
    ("kommunestyret", 10, "Kommunestyresalen, Rådhuset", [
        ("PS 45/26", "Skolebruksplan: framtidig skolestruktur i Fjordvik", "2026/1234",
         "Rådmannens forslag til skolestruktur etter høringen. Innspillene er oppsummert i saksframlegget.", "",
         "skolebruksplan"),
        ("PS 46/26", "Ny gebyrforskrift for vann og avløp – oppstart", "2026/1302",
         "Oppstart av arbeidet med ny gebyrforskrift.", "", None),
     ], None),
]


def load_meetings(today: dt.date, now: dt.datetime, consultations: dict[str, Consultation]) -> list[int]:
    """Add the demo bodies, members and meetings, linking the agenda items to the demo
    consultations (``consultations`` by slug) the way the meetings feature keeps them in
    step (the item's decision is the source). No commit: :func:`hoering.demo.load_demo`
    commits (and has the meetings indexed).

    Returns:
        The ids of the meetings added.
    """
    bodies, meeting_ids = {}, []
    for spec in BODIES:
        body = Body(slug=spec["slug"], name=spec["name"], kind=spec["kind"], description=spec["description"],
                    portal_url=f"{PORTAL}/{spec['slug']}", position=spec["position"])
        body.members = [BodyMember(name=name, role=role, role_order=ROLE_ORDER[role], party=party, position=i)
                        for i, (name, role, party) in enumerate(spec["members"])]
        db.session.add(body)
        bodies[spec["slug"]] = body
    db.session.flush()
    for body_slug, days, place, items, minutes in MEETINGS:
        starts = oslo_to_utc(dt.datetime.combine(today + dt.timedelta(days=days), dt.time(18, 0)))
        meeting = Meeting(body_id=bodies[body_slug].id, starts_at=starts, place=place,
                          status="held" if days < 0 else "planned",
                          agenda_published_at=min(now, starts) - dt.timedelta(days=10),
                          minutes_markdown=minutes or "", minutes_html=markdown_html(minutes) if minutes else "",
                          minutes_approved_on=(today + dt.timedelta(days=days + 14)) if minutes else None)
        db.session.add(meeting)
        db.session.flush()
        for position, (number, title, case_number, description, decision, slug) in enumerate(items, 1):
            consultation = consultations.get(slug) if slug else None
            item = AgendaItem(meeting_id=meeting.id, position=position, number=number, title=title,
                              case_number=case_number, description=description, decision_text=decision,
                              consultation_id=consultation.id if consultation else None)
            db.session.add(item)
            db.session.flush()
            if consultation is not None:
                consultation.political_body, consultation.meeting_at = bodies[body_slug].name, starts
                if decision:
                    consultation.decision_text = decision
                    consultation.decision_url = site_url_for("meetings.meeting", meeting_id=meeting.id) \
                        + f"#sak-{item.id}"
                    consultation.decided_at = oslo_to_utc(dt.datetime.combine(to_oslo(starts).date(), dt.time(12)))
        meeting_ids.append(meeting.id)
    return meeting_ids
