"""Demo formal responses for Fjordvik kommune (:mod:`hoering.demo`): invented senders and
organisation numbers that pass the modulus 11 rule but belong to no real organisation."""

from __future__ import annotations

import datetime as dt
import io
import secrets

import sqlalchemy as sa
from flask import current_app

from hoering.consultations.documents import keep_staged, stage_checked
from hoering.extensions import db
from hoering.responses.models import Channel, FormalResponse, ResponseAttachment, ResponseState, ScreeningEntry
from hoering.timeutil import to_oslo

PERSONAL = "offentleglova § 13 jf. forvaltningsloven § 13 første ledd nr. 1 (personlige forhold)"
BUSINESS = "offentleglova § 13 jf. forvaltningsloven § 13 første ledd nr. 2 (forretningshemmeligheter)"

#: (days before now, sender, e-mail, organisation, number, on behalf, consent, channel, text,
#:  attachment text or None, decision, public text, legal ground)
RESPONSES = [
    (-8, "Trine Fossum", "leder@fjordvik-il.example", "Fjordvik idrettslag", "923456783", True, True, "web",
     "Fjordvik idrettslag støtter gang- og sykkelveien. Mange barn sykler til trening på Strandvegen, og i dag "
     "må de ut i kjørebanen ved bussholdeplassen. Vi ber om belysning hele strekningen.",
     "Uttalelse fra styret i Fjordvik idrettslag", "published", None, ""),
    (-6, "Ola Strand", "ola.strand@example.org", "", "", False, True, "web",
     "Jeg bor i Strandvegen 14. Naboen min, som er syk og bruker rullator, kommer seg ikke fram når fortauet "
     "er brøytet bort. Traseen bør ligge på sjøsiden.",
     None, "redacted",
     "Jeg bor i Strandvegen. [unntatt] Traseen bør ligge på sjøsiden.", PERSONAL),
    (-5, "Knut Bakke", "post@strandvegen-marina.example", "Strandvegen Marina AS", "998877660", True, True, "web",
     "Marinaen planlegger en utvidelse med 40 båtplasser. Vedlagt er våre kalkyler for investering og drift, som "
     "viser at innkjøringen må flyttes.",
     "Kalkyler for utvidelse av marinaen", "held_back", "", BUSINESS),
    (-3, "Gunnhild Haugen", "", "", "", False, False, "letter",
     "Brev: Jeg er imot at hekken langs hagen min fjernes. Jeg har bodd her i 50 år.",
     "Skannet brev fra Gunnhild Haugen", "received", "", ""),
    (-2, "Amir Hassan", "amir.hassan@example.org", "", "", False, False, "email",
     "Fint at det kommer sykkelvei. Husk sykkelparkering ved butikken.",
     None, "published", None, ""),
]


def _pdf(text: str) -> bytes:
    from fpdf import FPDF  # only here: the demo's scans are made when the demo is loaded

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text.encode("latin-1", "replace").decode("latin-1"))
    return bytes(pdf.output())


def add_demo_responses(consultation, officer, now: dt.datetime) -> list[int]:
    """Add the demo responses to ``consultation`` (no commit): published, published with
    parts removed, held back, a letter not yet screened, and an e-mail published without
    the name (the sender did not consent). Returns their ids, for the search index."""
    consultation.accepts_responses = True
    prefix = current_app.config["RESPONSE_REFERENCE_PREFIX"]
    made = []
    for (days, name, email, org, org_number, behalf, consent, channel, text, scan, decision, public,
                ground) in RESPONSES:
        received = now + dt.timedelta(days=days)
        year = to_oslo(received).year
        number = (db.session.scalar(sa.select(sa.func.max(FormalResponse.number)).where(FormalResponse.year == year))
                  or 0) + 1
        response = FormalResponse(
            consultation_id=consultation.id, year=year, number=number, reference=f"{prefix}-{year}-{number:04d}", token=secrets.token_urlsafe(32), channel=channel,
            received_at=received, sender_name=name, sender_email=email, organisation_name=org,
            organisation_number=org_number, on_behalf_of_organisation=behalf, text=text, consent_to_publication=consent,
            language="nb", state=decision, registered_by_id=officer.id if channel != Channel.WEB.value else None)
        if scan:
            staged = stage_checked(io.BytesIO(_pdf(scan)), 10 * 1024 * 1024, {"application/pdf": "pdf"}, "")
            keep_staged(staged)
            response.attachments.append(ResponseAttachment(
                filename=f"{scan[:40].lower().replace(' ', '-')}.pdf", content_hash=staged.content_hash,
                size=staged.size, mime="application/pdf", withheld=decision == ResponseState.HELD_BACK.value))
        if decision != ResponseState.RECEIVED.value:
            response.public_text = "" if decision == ResponseState.HELD_BACK.value else (public or text)
            response.legal_ground = ground
            response.name_withheld = not consent
            response.screened_by_id, response.screened_at = officer.id, received + dt.timedelta(days=1)
        db.session.add(response)
        db.session.flush()
        if decision != ResponseState.RECEIVED.value:
            db.session.add(ScreeningEntry(response_id=response.id, actor_id=officer.id, decision=decision,
                                          legal_ground=ground, created_at=received + dt.timedelta(days=1)))
        made.append(response.id)
    return made
