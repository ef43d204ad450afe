"""Demo content: the fictional Fjordvik kommune, written for Hoering.

Everything here is invented. Times are relative to the moment of loading, so the open
consultations are open whenever the demo is loaded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from hoering.accounts.models import Role, User
from hoering.accounts.services import hash_password
from hoering.comments.models import Comment, CommentState
from hoering.comments.services import place_in_thread
from hoering.consultations.models import Consultation, Question
from hoering.demo_informing import add_informing_content
from hoering.extensions import db
from hoering.meetings.demo import load_meetings
from hoering.responses.demo import add_demo_responses
from hoering.sanitize import comment_html, markdown_html
from hoering.search.services import enqueue
from hoering.timeutil import end_of_oslo_day, oslo_to_utc, oslo_today, utcnow

DEMO_MARKER = "demo:fjordvik"


@dataclass(frozen=True)
class DemoAccount:
    """A demo login (the passwords are public: never load the demo in production)."""

    email: str
    display_name: str
    password: str
    role: str


DEMO_ACCOUNTS = (
    DemoAccount("innbygger@fjordvik.example", "Kari Nordmann", "demo-innbygger", Role.CITIZEN.value),
    DemoAccount("moderator@fjordvik.example", "Mona Moderator", "demo-moderator", Role.MODERATOR.value),
    DemoAccount("saksbehandler@fjordvik.example", "Sindre Saksbehandler", "demo-saksbehandler", Role.CASE_OFFICER.value),
    DemoAccount("admin@fjordvik.example", "Anne Admin", "demo-administrator", Role.ADMIN.value),
)

#: Other residents who appear in the threads; they have no password and cannot log in.
RESIDENTS = ("Ola Hansen", "Ingrid Berg", "Ahmed Ali", "Siri Johansen", "Per Olsen", "Maja Lund")

#: A comment long enough to be folded behind "Vis mer" on the consultation page.
LONG_DEMO_COMMENT = "\n\n".join([
    "Jeg har lest planen nøye og har noen innspill, punkt for punkt.",
    "1. Traseen: Den foreslåtte traseen langs sjøen er fin på sommeren, men utsatt for vind og sjøsprøyt om "
    "vinteren. Vurder å legge den delen som går forbi Kaia litt lenger inn, bak lagerbygningene.",
    "2. Krysset ved skolen: Her må det være planskilt kryssing. Det går over tre hundre barn forbi her hver "
    "morgen, og mange av dem sykler.",
    "3. Belysning: Hele strekningen bør ha lys, ikke bare de første to kilometerne. Det er mørkt fra tre "
    "om ettermiddagen store deler av vinteren.",
    "4. Vedlikehold: Planen sier lite om brøyting. Skriv inn hvem som har ansvaret, og hvor raskt veien skal "
    "være brøytet etter snøfall.",
    "5. Anleggsperioden: Sørg for en trygg omkjøring for gående og syklende mens det bygges.",
    "Takk for at vi får si vår mening!",
])


CONSULTATIONS = [
    {
        "slug": "gang-og-sykkelvei-strandvegen",
        "title": "Ny gang- og sykkelvei langs Strandvegen",
        "summary": "Kommunen foreslår en sammenhengende gang- og sykkelvei fra Fjordvik sentrum til "
                   "Nesodden skole. Vi vil høre hva du mener om traseen, kryssingspunktene og belysningen.",
        "body": "## Bakgrunn\n\nStrandvegen er skolevei for over 300 barn, men har i dag fortau bare på "
                "deler av strekningen. Trafikkmengden har økt med 20 prosent siden 2019.\n\n"
                "## Forslaget\n\n- 2,4 km gang- og sykkelvei på sjøsiden av vegen\n"
                "- tre nye, opphøyde gangfelt\n- LED-belysning langs hele strekningen\n\n"
                "Saken skal behandles i **kommunestyret** etter høringen.",
        "questions": ["Hva mener du om den foreslåtte traseen?", "Hvor trenger vi trygge kryssingspunkter?"],
        "opens_days": -10, "deadline_days": 21, "unit": "Kommunalteknikk",
        "hashtag": "FjordvikSykkel", "body_politic": "Kommunestyret", "meeting_days": 42,
        "threads": [
            ("Ola Hansen", -9, "Endelig! Jeg sykler her hver dag, og strekningen forbi Kaia er livsfarlig om vinteren.", 0, [
                ("Ingrid Berg", -8, "Enig. Husk brøyting og strøing av sykkelveien også, ellers blir den ikke brukt fra november til mars.", [
                    ("Ola Hansen", -8, "Godt poeng. Kanskje kommunen kan svare på hvem som skal brøyte?", [
                        ("Ahmed Ali", -7, "Det står i planen at kommunen tar over vedlikeholdet fra fylket.", []),
                    ]),
                ]),
            ]),
            ("Siri Johansen", -6, "Gangfeltet ved butikken trenger lys. Det er mørkt og uoversiktlig der på ettermiddagen.\n\n"
                                  "Se også trafikksikkerhetsplanen: https://www.fjordvik.kommune.no/trafikksikkerhet", 1, [
                ("Per Olsen", -5, "Ja, og fartsdemping før gangfeltet.", []),
            ]),
            ("Maja Lund", -3, "Jeg er bekymret for at trærne langs sjøen må felles. Kan traseen legges på den andre siden?", 0, []),
            # A long comment and a long thread: folded behind "Vis mer" and "Vis alle 9 svar".
            ("Ahmed Ali", -4, LONG_DEMO_COMMENT, 0, [
                (name, -4 + (n + 1) / 4, text, []) for n, (name, text) in enumerate([
                    ("Ingrid Berg", "Takk for en grundig gjennomgang!"),
                    ("Per Olsen", "Enig i punktet om skolebarna. Det er der behovet er størst."),
                    ("Siri Johansen", "Belysningen bør komme først, før selve sykkelveien er ferdig."),
                    ("Ola Hansen", "Hvor mye koster alternativ to sammenlignet med det første?"),
                    ("Maja Lund", "Trærne ved Kaia må bevares uansett alternativ."),
                    ("Ingrid Berg", "Kanskje en befaring med naboene før vedtaket?"),
                    ("Per Olsen", "Godt forslag, jeg blir gjerne med."),
                    ("Siri Johansen", "Husk sykkelparkering ved butikken også."),
                    ("Ola Hansen", "Flott at så mange engasjerer seg i dette."),
                ])]),
        ],
    },
    {
        "slug": "parkeringsforskrift-sentrum",
        "title": "Forslag til ny parkeringsforskrift for sentrum",
        "summary": "Forslaget innfører beboerparkering i tre soner og avgift på kommunale plasser i sentrum.",
        "body": "Forskriften skal gi beboere bedre tilgang til parkering og frigjøre plass til varelevering.\n\n"
                "Les forslaget og si din mening før fristen.",
        "questions": [],
        "opens_days": -20, "deadline_days": 3, "unit": "Plan og miljø",
        "hashtag": "FjordvikPlan", "body_politic": "Kommunestyret", "meeting_days": 30,
        "threads": [
            ("Per Olsen", -15, "Beboerparkering er bra, men prisen for sone 1 er for høy for pensjonister.", None, [
                ("Ingrid Berg", -14, "Kanskje redusert pris for dem med lav inntekt?", []),
            ]),
        ],
    },
    {
        "slug": "kommunedelplan-idrett-friluftsliv",
        "title": "Kommunedelplan for idrett og friluftsliv 2027–2030",
        "summary": "Planen prioriterer nye anlegg og turstier de neste fire årene. Høringen åpner snart.",
        "body": "Planen bygger på innspill fra lag og foreninger.",
        "questions": ["Hvilke anlegg mangler i ditt nærmiljø?"],
        "opens_days": 7, "deadline_days": 45, "unit": "Kultur og idrett",
        "threads": [],
    },
    {
        "slug": "skolebruksplan",
        "title": "Skolebruksplan: framtidig skolestruktur i Fjordvik",
        "summary": "Høringen om skolestrukturen er avsluttet. Innspillene legges fram for kommunestyret.",
        "body": "Tre alternativer for skolestrukturen ble lagt fram.",
        "questions": [],
        "opens_days": -90, "deadline_days": -30, "unit": "Oppvekst",
        "body_politic": "Kommunestyret", "meeting_days": 10,
        "threads": [
            ("Ahmed Ali", -60, "Alternativ B gir kortest skolevei for flest barn. Det bør veie tyngst.", None, [
                ("Siri Johansen", -58, "Men alternativ B betyr at Nes skole legges ned, og den er samlingspunktet i bygda.", []),
            ]),
            ("Maja Lund", -45, "Uansett alternativ: bygg ut SFO-tilbudet.", None, []),
        ],
    },
    {
        "slug": "kulturskole-gamle-banken",
        "title": "Kulturskolen flytter inn i gamle Fjordvik bank",
        "summary": "Forslaget var å bygge om den gamle bankbygningen til lokaler for kulturskolen. "
                   "Kommunestyret har vedtatt saken, og høringen er arkivert.",
        "body": "Kulturskolen har i dag undervisning på fire steder. Forslaget samler den i én bygning "
                "med øvingsrom, en liten sal og plass til utstillinger.",
        "questions": [],
        "opens_days": -200, "deadline_days": -160, "unit": "Kultur og idrett",
        "body_politic": "Kommunestyret", "meeting_days": -130,
        "decision": "Kommunestyret vedtok ombyggingen med 27 mot 6 stemmer. Innspillene om universell "
                    "utforming og sykkelparkering er tatt inn i byggeprogrammet.",
        "decided_days": -130, "archived_days": -100,
        "threads": [
            ("Ingrid Berg", -190, "Flott bruk av et gammelt bygg. Husk heis, så alle kommer opp i andre etasje.", None, [
                ("Per Olsen", -188, "Og sykkelparkering, mange av elevene sykler.", []),
            ]),
        ],
    },
    {
        "slug": "gebyrforskrift-vann-avlop",
        "title": "Ny gebyrforskrift for vann og avløp",
        "summary": "Utkast til ny gebyrforskrift. Ikke publisert ennå.",
        "body": "Utkast.",
        "questions": [],
        "opens_days": 14, "deadline_days": 60, "unit": "Kommunalteknikk",
        "threads": [],
        "draft": True,
    },
]


def demo_loaded() -> bool:
    """True if the demo content is already in the database."""
    return db.session.scalar(sa.select(Consultation.id).where(Consultation.external_id.like(f"{DEMO_MARKER}:%"))) is not None


def load_demo(now: dt.datetime | None = None) -> bool:
    """Load the demo accounts, consultations and threads, unless already loaded.

    Returns:
        ``True`` if it loaded the content, ``False`` if it was already there.
    """
    if demo_loaded():
        return False
    now = now or utcnow()
    staff = {}
    for account in DEMO_ACCOUNTS:
        user = db.session.scalar(sa.select(User).where(User.email == account.email))
        if user is None:
            user = User(email=account.email, display_name=account.display_name, email_verified_at=now,
                        password_hash=hash_password(account.password), role=account.role)
            db.session.add(user)
        staff[account.role] = user
    residents = {name: User(display_name=name, is_pseudonymous=True, external_id=f"{DEMO_MARKER}:{name}")
                 for name in RESIDENTS}
    residents["Kari Nordmann"] = staff[Role.CITIZEN.value]
    db.session.add_all(residents.values())
    db.session.flush()

    today = oslo_today(now)
    for spec in CONSULTATIONS:
        consultation = Consultation(
            slug=spec["slug"], title=spec["title"], summary=spec["summary"],
            body_markdown=spec["body"], body_html=markdown_html(spec["body"]), language="nb",
            responsible_unit=spec["unit"], opens_at=now + dt.timedelta(days=spec["opens_days"]),
            closes_at=end_of_oslo_day(today + dt.timedelta(days=spec["deadline_days"])),
            published_at=None if spec.get("draft") else now + dt.timedelta(days=min(spec["opens_days"], 0) - 1),
            external_id=f"{DEMO_MARKER}:{spec['slug']}", created_by_id=staff[Role.CASE_OFFICER.value].id,
            questions=[Question(text=text, position=i) for i, text in enumerate(spec["questions"])],
            hashtag=spec.get("hashtag", ""), political_body=spec.get("body_politic", ""),
            meeting_at=_meeting(today, spec["meeting_days"]) if "meeting_days" in spec else None,
            decision_text=spec.get("decision", ""),
            decided_at=now + dt.timedelta(days=spec["decided_days"]) if "decided_days" in spec else None,
            archived_at=now + dt.timedelta(days=spec["archived_days"]) if "archived_days" in spec else None,
        )
        db.session.add(consultation)
        db.session.flush()
        enqueue("consultation_comments", consultation.id)
        enqueue("consultation", consultation.id)
        for author, days, text, question_index, replies in spec["threads"]:
            question = consultation.questions[question_index] if question_index is not None and consultation.questions else None
            top = _add_comment(consultation, residents[author], text, now + dt.timedelta(days=days), None, question)
            _add_replies(consultation, residents, top, replies, now)
    for meeting_id in load_meetings(today, now, {c.slug: c for c in db.session.scalars(
            sa.select(Consultation).where(Consultation.external_id.like(f"{DEMO_MARKER}:%")))}):
        enqueue("meeting", meeting_id)
    cycle_path = db.session.scalar(sa.select(Consultation).where(Consultation.slug == "gang-og-sykkelvei-strandvegen"))
    for response_id in add_demo_responses(cycle_path, staff[Role.CASE_OFFICER.value], now):
        enqueue("response", response_id)
    _add_comment(  # Kari's own comment, so the demo citizen has something to edit or remove.
        cycle_path,
        staff[Role.CITIZEN.value], "Kan kommunen vurdere en egen sykkelparkering ved skolen?",
        now - dt.timedelta(days=1), None, None,
    )
    demo = {c.slug: c for c in db.session.scalars(sa.select(Consultation).where(
        Consultation.external_id.like(f"{DEMO_MARKER}:%")))}
    add_informing_content(demo, residents, staff[Role.CASE_OFFICER.value], now)
    db.session.commit()
    return True


def _add_replies(consultation, residents, parent, replies, now) -> None:
    for author, days, text, nested in replies:
        reply = _add_comment(consultation, residents[author], text, now + dt.timedelta(days=days), parent, None)
        _add_replies(consultation, residents, reply, nested, now)


def _meeting(today: dt.date, days: int) -> dt.datetime:
    """A political meeting at 18:00 Oslo time ``days`` after ``today``, as aware UTC."""
    return oslo_to_utc(dt.datetime.combine(today + dt.timedelta(days=days), dt.time(18, 0)))


def _add_comment(consultation, author, text, created_at, parent, question) -> Comment:
    comment = Comment(
        consultation_id=consultation.id, author_id=author.id, parent_id=parent.id if parent else None,
        question_id=question.id if question else None, state=CommentState.PUBLISHED.value,
        body_text=text, body_html=comment_html(text), created_at=created_at,
    )
    db.session.add(comment)
    db.session.flush()
    place_in_thread(comment, parent, max_depth=3)
    return comment
