"""Demo content for keeping people informed and for the draft text (called by
:func:`hoering.demo.load_demo`): topics and areas of the demo consultations, the parking
regulation as numbered sections with comments on them, an urgent notice shown for three
days and one from last week, and a confirmed e-mail alert subscriber. All invented."""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa

from hoering.alerts.models import AlertSubscription
from hoering.comments.models import Comment, CommentState
from hoering.comments.services import place_in_thread
from hoering.consultations.models import Consultation, Section
from hoering.extensions import db
from hoering.notices.models import UrgentNotice
from hoering.sanitize import comment_html, markdown_html, short_markdown_html
from hoering.search.services import enqueue

#: ``{slug: (topic key, area key)}`` of the demo consultations.
TOPICS_AND_AREAS = {
    "gang-og-sykkelvei-strandvegen": ("trafikk", "fjorden"),
    "parkeringsforskrift-sentrum": ("trafikk", "sentrum"),
    "kommunedelplan-idrett-friluftsliv": ("kultur", "hele-kommunen"),
    "skolebruksplan": ("skole", "hele-kommunen"),
    "kulturskole-gamle-banken": ("kultur", "sentrum"),
    "gebyrforskrift-vann-avlop": ("okonomi", "hele-kommunen"),
}

#: The parking regulation, section by section: (number, heading, Markdown text).
PARKING_SECTIONS = (
    ("§ 1", "Formål", "Forskriften skal gi beboere i sentrum bedre tilgang til parkering, sikre plass til "
                      "varelevering og redusere søketrafikken."),
    ("§ 2", "Virkeområde", "Forskriften gjelder kommunale parkeringsplasser i sone 1, 2 og 3 som vist på kartet "
                           "i vedlegg 1."),
    ("§ 3", "Avgiftsparkering", "På kommunale plasser i sone 1 betales avgift **hverdager kl. 08–18** og "
                                "**lørdager kl. 10–16**.\n\nDe første 30 minuttene er gratis."),
    ("§ 4", "Beboerparkering", "Den som er folkeregistrert i sonen, kan søke om beboerkort.\n\n"
                               "- Sone 1: 3 000 kroner i året\n- Sone 2 og 3: 1 500 kroner i året"),
    ("§ 5", "Ikrafttredelse", "Forskriften trer i kraft 1. januar."),
)

#: Comments on the sections: (resident, days before loading, section index, text).
PARKING_COMMENTS = (
    ("Per Olsen", 12, 3, "3 000 kroner for sone 1 er mye for oss som ikke har noe annet valg enn å bo i sentrum."),
    ("Ingrid Berg", 10, 2, "Gratis første halvtime er bra for butikkene. Kan det gjelde lørdag også?"),
    ("Ahmed Ali", 8, 1, "Hører Kaigata med i sone 2? Kartet i vedlegget er vanskelig å lese."),
    ("Kari Nordmann", 2, 3, "Beboerkort bør kunne deles mellom to biler i samme husstand."),
)


def add_informing_content(consultations: dict[str, Consultation], residents: dict, staff_user, now: dt.datetime
                          ) -> None:
    """Add the content named in the module docstring (no commit).

    Args:
        consultations: the demo consultations by slug.
        residents: the demo residents by name (:class:`hoering.accounts.models.User`).
        staff_user: the case officer who writes the notices.
        now: the moment of loading (aware UTC).
    """
    for slug, (topic, area) in TOPICS_AND_AREAS.items():
        if slug in consultations:
            consultations[slug].topic, consultations[slug].area = topic, area
    parking = consultations.get("parkeringsforskrift-sentrum")
    if parking is not None:
        sections = [Section(consultation_id=parking.id, position=position, number=number, heading=heading,
                            text_markdown=text, text_html=markdown_html(text))
                    for position, (number, heading, text) in enumerate(PARKING_SECTIONS)]
        db.session.add_all(sections)
        db.session.flush()
        for name, days, index, text in PARKING_COMMENTS:
            author = residents.get(name)
            if author is None:
                continue
            comment = Comment(consultation_id=parking.id, author_id=author.id, section_id=sections[index].id,
                              state=CommentState.PUBLISHED.value, body_text=text, body_html=comment_html(text),
                              created_at=now - dt.timedelta(days=days))
            db.session.add(comment)
            db.session.flush()
            place_in_thread(comment, None, max_depth=3)
            enqueue("comment", comment.id)
    current = ("Fylkesvei 714 ved Strandvegen er stengt i natt fra kl. 22 til 06 på grunn av asfaltering. "
               "Bussene kjører omkjøring om Nordbygda. Se [Statens vegvesen](https://www.vegvesen.no/trafikk).")
    past = "Vannverket i Nordbygda hadde funn av **E. coli**. Kok vannet før du drikker det."
    db.session.add_all([
        UrgentNotice(title="Stengt vei ved Strandvegen i natt", severity="info", body_markdown=current,
                     body_html=short_markdown_html(current), starts_at=now - dt.timedelta(hours=1),
                     ends_at=now + dt.timedelta(days=3), created_by_id=staff_user.id, created_at=now, updated_at=now),
        UrgentNotice(title="Kok vannet i Nordbygda", severity="danger", body_markdown=past,
                     body_html=short_markdown_html(past), starts_at=now - dt.timedelta(days=9),
                     ends_at=now - dt.timedelta(days=6), created_by_id=staff_user.id,
                     created_at=now - dt.timedelta(days=9), updated_at=now - dt.timedelta(days=6)),
    ])
    if db.session.scalar(sa.select(AlertSubscription.id).where(AlertSubscription.email == "varsel@fjordvik.example")) \
            is None:
        db.session.add(AlertSubscription(email="varsel@fjordvik.example", topics="skole,trafikk", areas="",
                                         language="nb", key=secrets.token_urlsafe(24), created_at=now, confirmed_at=now))
