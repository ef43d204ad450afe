"""The report is honest about how its numbers were made: how each theme tag came to be
(by hand, in bulk, a proposal accepted, all above a confidence, a kept group), that summed
votes are votes and not people, that votes follow how long a comment was shown, and where
people split in a contested theme. Read back from the DOCX (python-docx), the PDF
(pdfminer), the printable page and the JSON export, built through the staff routes."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import sqlalchemy as sa

from hoering.consultations.models import Consultation
from hoering.extensions import db
from tests.conftest import csrf_token_from
from tests.exports.test_exports import REPORT, download
from tests.exports.test_stance_exports import spaced
from tests.summaries.test_themes_and_summary import create_theme, summary_data, tag, theme_id
from tests.summaries.test_themes_by_meaning import CYCLING, LIBRARY, proposals


def _docx_text(response) -> tuple[str, list[str], set[str], object]:
    """The paragraphs' text (digit groups with plain spaces), the table cells and the
    links of a DOCX download."""
    from docx import Document

    document = Document(io.BytesIO(response.get_data()))
    text = spaced("\n".join(p.text for p in document.paragraphs))
    cells = [spaced(cell.text) for table in document.tables for row in table.rows for cell in row.cells]
    links = {rel.target_ref for rel in document.part.rels.values() if rel.is_external}
    return text, cells, links, document


def _pdf_text(response) -> str:
    """The PDF's text as pdfminer reads it, on one line (the layout breaks lines anywhere),
    without list bullets (pdfminer reads them apart from their items)."""
    from pdfminer.high_level import extract_text

    return " ".join(spaced(extract_text(io.BytesIO(response.get_data()))).replace("•", " ").split())


def _pdf_links(response) -> set[str]:
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(response.get_data()))
    return {annotation.get_object()["/A"]["/URI"] for page in pdf.pages for annotation in page.get("/Annots", [])
            if annotation.get_object().get("/A", {}).get("/URI")}


# --- 1. How the tags came to be ------------------------------------------------------------------

def _tagged_every_way(app, browser_for, make_consultation, make_user, make_comment):
    """Ten comments about cycling and the library tagged in each of the five ways, through
    the moderators' pages. Returns the consultation, the comments' ids by text and the
    counts the report must give."""
    consultation = make_consultation(title="Byplan for Fjordvik", status="closed")
    citizen = make_user(name="Innbygger")
    ids = {text: make_comment(consultation, citizen, text).id for text in CYCLING + LIBRARY}
    moderator = browser_for("moderator")
    slug = consultation.slug
    create_theme(moderator, consultation, "Sykkel", "Sykkelveier, sykkelfelt og sykkelparkering.")
    create_theme(moderator, consultation, "Biblioteket", "Åpningstider og bøker.")
    # By hand, comment by comment.
    tag(moderator, theme_id(app, "Sykkel"), [ids[CYCLING[0]]])
    tag(moderator, theme_id(app, "Biblioteket"), [ids[LIBRARY[0]]])
    # A group of similar comments kept as a theme ("Temaforslag").
    kept = moderator.submit(f"/moderering/hoeringer/{slug}/temaer", f"/moderering/hoeringer/{slug}/temaforslag",
                            data={"proposal-1-accept": "1", "proposal-1-name": "Lesesal", "proposal-1-tag": "1",
                                  "proposal-1-comment": [str(ids[LIBRARY[3]]), str(ids[LIBRARY[4]])]})
    assert kept.status_code == 303
    # The computer's proposals: one accepted on its own, then all the others above the lowest.
    url = f"/moderering/hoeringer/{slug}/foreslatte-temaer"
    (c1, t1, _p1), *_rest = proposals(moderator.get(url).get_data(as_text=True))
    assert moderator.submit(url, data={"action": "group", "group": str(t1), "row": [str(c1)],
                                       "accept": [str(c1)]}).status_code == 303
    left = proposals(moderator.get(url).get_data(as_text=True))
    assert len(left) >= 2
    lowest = min(percent for _c, _t, percent in left)
    assert moderator.submit(url, data={"action": "above", "above": str(lowest), "confirm": "1"}).status_code == 303
    # In bulk: every published comment, from the filter "all".
    create_theme(moderator, consultation, "Byplan")
    bulk_url = f"/moderering/hoeringer/{slug}/merk-alle"
    confirm = moderator.submit(f"/moderering/hoeringer/{slug}/temaer", bulk_url,
                               data={"filter": "all", "action": "tag", "theme": str(theme_id(app, "Byplan"))})
    assert confirm.status_code == 200
    done = moderator.client.post(bulk_url, data={
        "csrf_token": csrf_token_from(confirm.get_data(as_text=True)), "filter": "all", "action": "tag",
        "theme": str(theme_id(app, "Byplan")), "confirm": "1"})
    assert done.status_code == 303
    counts = {"manual": 2, "discovered": 2, "proposal": 1, "above": len(left), "lowest": lowest, "bulk": 10}
    counts["total"] = 2 + 2 + 1 + len(left) + 10
    return consultation, ids, counts


def test_the_method_section_says_how_every_tag_came_about(app, browser_for, make_consultation, make_user,
                                                            make_comment):
    consultation, ids, n = _tagged_every_way(app, browser_for, make_consultation, make_user, make_comment)
    officer = browser_for("case_officer")
    text, _cells, _links, _doc = _docx_text(download(officer, consultation.slug, "docx", REPORT))
    expected = (f"Slik kom de {n['total']} temamerkene på publiserte kommentarer til: "
                f"{n['manual']} ble valgt av en moderator kommentar for kommentar, "
                f"{n['bulk']} ble satt samlet på kommentarene et filter eller søk fant, "
                f"{n['proposal']} var datamaskinens forslag, godtatt av en moderator som fikk det vist "
                "(alene eller i en liste), "
                f"{n['above']} ble godtatt samlet med alle forslag med minst {n['lowest']} % sikkerhet og "
                f"{n['discovered']} kom fra grupper av like kommentarer som datamaskinen fant og som ble beholdt "
                "som temaer. Merker som ble satt samlet, er ikke nødvendigvis lest ett og ett. Sikkerheten til et "
                "forslag sier hvor mye nærmere kommentaren ligger dette temaet enn de andre; den er ikke en målt "
                "andel riktige forslag.")
    assert expected in text

    # The same in nynorsk and English (the reader's language).
    officer.submit("/", "/sprak", data={"lang": "nn", "next": "/"})
    text, *_ = _docx_text(download(officer, consultation.slug, "docx", REPORT))
    assert f"Slik kom dei {n['total']} temamerka på publiserte kommentarar til: {n['manual']} vart valde av ein " \
           "moderator kommentar for kommentar" in text
    assert f"med minst {n['lowest']} % tryggleik og {n['discovered']} kom frå grupper" in text
    officer.submit("/", "/sprak", data={"lang": "en", "next": "/"})
    text, *_ = _docx_text(download(officer, consultation.slug, "docx", REPORT))
    assert f"How the {n['total']} theme tags on published comments came about: {n['manual']} were chosen by a " \
           f"moderator comment by comment, {n['bulk']} were set in bulk" in text
    assert f"{n['above']} were accepted together as every proposal at or above {n['lowest']} % confidence and" in text


def test_only_the_kinds_used_are_named(app, browser_for, make_consultation, make_user, make_comment):
    consultation = make_consultation(title="Liten høring", status="closed")
    comment = make_comment(consultation, make_user(), "Flere benker i parken.")
    moderator = browser_for("moderator")
    create_theme(moderator, consultation, "Parker")
    tag(moderator, theme_id(app, "Parker"), [comment.id])
    text, *_ = _docx_text(download(browser_for("case_officer"), consultation.slug, "docx", REPORT))
    assert "Slik kom 1 temamerke på publiserte kommentarer til: 1 ble valgt av en moderator kommentar for " \
           "kommentar." in text
    assert "samlet" not in text and "datamaskinens forslag, godtatt" not in text
    assert "nødvendigvis lest" not in text  # nothing was set together


def test_the_json_export_gives_each_tag_its_source(app, browser_for, make_consultation, make_user, make_comment):
    consultation, ids, n = _tagged_every_way(app, browser_for, make_consultation, make_user, make_comment)
    data = json.loads(download(browser_for("case_officer"), consultation.slug, "json").get_data(as_text=True))
    by_id = {item["id"]: item for item in data["comments"]}
    first = by_id[ids[CYCLING[0]]]
    assert first["themes"] == ["Byplan", "Sykkel"]
    assert first["theme_tags"] == [{"theme": "Byplan", "source": "bulk", "confidence": None},
                                   {"theme": "Sykkel", "source": "manual", "confidence": None}]
    assert {tag["source"] for tag in by_id[ids[LIBRARY[3]]]["theme_tags"]} == {"bulk", "discovered"}
    sources = [t["source"] for item in data["comments"] for t in item["theme_tags"]]
    assert sources.count("proposal") == 1 and sources.count("proposals_above") == n["above"]
    above = [t for item in data["comments"] for t in item["theme_tags"] if t["source"] == "proposals_above"]
    assert all(t["confidence"] * 100 >= n["lowest"] for t in above)
    assert [t["theme"] for t in first["theme_tags"]] == first["themes"]  # same order as the names


# --- 2-4. Votes: not people, exposure, where people split -------------------------------------------

#: (text, agree, disagree, passed, theme) in the order posted, an hour apart.
VOTED = [
    ("Byen trenger vedtekten.", 300, 250, 50, "Vedtekt"),
    ("Vedtekten er unødvendig.", 200, 150, 0, "Vedtekt"),
    ("Vedtekten bør gjelde alle.", 100, 90, 10, "Vedtekt"),
    ("Vedtekten kommer for sent.", 40, 30, 0, "Vedtekt"),
    ("Vedtekten må forklares bedre.", 90, 5, 0, "Vedtekt"),
    ("Bredere fortau i sentrum.", 120, 3, 0, "Fortau"),
    ("Gratis parkering i sentrum.", 50, 0, 0, "Parkering"),
    ("Fjern all parkering i sentrum.", 0, 40, 0, "Parkering"),
    *[(f"Innspill nummer {i}.", 5, 1, 0, None) for i in range(12)],
    ("Et sent innspill.", 10, 5, 0, None),
    ("Det siste innspillet.", 20, 5, 5, None),
]


def _voted_hearing(app, browser_for, make_consultation, make_user, make_comment):
    """22 published comments, the earliest with the most votes, Polis-like 40 voters; a
    contested theme with four contested comments and a clear one, a clear theme, and a
    theme contested only as a sum (its comments one-sided in opposite directions), left
    out of the published summary."""
    consultation = make_consultation(title="Vedtekt og sentrum", status="closed")
    start = dt.datetime(2026, 10, 1, 8, tzinfo=dt.UTC)
    made = [make_comment(consultation, make_user(name=f"Deltaker {i}"), text, created_at=start + dt.timedelta(hours=i),
                         support_count=agree, disagree_count=disagree, pass_count=passed)
            for i, (text, agree, disagree, passed, _theme) in enumerate(VOTED)]
    with app.app_context():
        db.session.execute(sa.update(Consultation).where(Consultation.id == consultation.id).values(imported_voters=40))
        db.session.commit()
    moderator = browser_for("moderator")
    for name in ("Vedtekt", "Fortau", "Parkering"):
        create_theme(moderator, consultation, name)
        tag(moderator, theme_id(app, name), [c.id for c, row in zip(made, VOTED, strict=True) if row[4] == name])
    vedtekt, fortau = theme_id(app, "Vedtekt"), theme_id(app, "Fortau")
    assert summary_data(moderator, consultation, overview="Byen er delt om vedtekten.", action="publish",
                        **{f"theme-{vedtekt}-text": "Delt.", f"theme-{fortau}-text": "Bred støtte."}).status_code == 303
    return consultation, made


def test_summed_votes_are_called_votes_beside_the_sums_with_the_voters(app, browser_for, make_consultation,
                                                                      make_user, make_comment, client):
    consultation, _made = _voted_hearing(app, browser_for, make_consultation, make_user, make_comment)
    officer = browser_for("case_officer")
    text, cells, _links, _doc = _docx_text(download(officer, consultation.slug, "docx", REPORT))
    note = "Stemmene for et tema er summen av stemmene på kommentarene: stemmer, ikke personer. 40 personer stemte i alt."
    assert "40 deltakere stemte; enig og uenig er stemmer, ikke personer" in cells  # beside the totals
    assert note in text  # below the theme table
    # Every voter voted on the platform the comments came from: said once, not counted twice.
    assert "40 personer stemte over kommentarer (enig eller uenig)." in text
    assert "Alle stemte på plattformen som kommentarene ble importert fra." in text
    assert "40 av disse stemte" not in text
    assert "5 kommentarer · 5 deltakere · omstridt: 730 enig, 525 uenig (stemmer på kommentarene, ikke personer)" \
        in text  # the theme's section

    pdf = _pdf_text(download(officer, consultation.slug, "pdf", REPORT))
    assert "40 deltakere stemte; enig og uenig er stemmer, ikke personer" in pdf
    assert note in pdf
    assert "omstridt: 730 enig, 525 uenig (stemmer på kommentarene, ikke personer)" in pdf

    page = " ".join(spaced(client.get(f"/hoeringer/{consultation.slug}/rapport").get_data(as_text=True)).split())
    assert note in page and "40 deltakere stemte; enig og uenig er stemmer, ikke personer" in page


def test_the_method_section_says_votes_follow_exposure(app, browser_for, make_consultation, make_user, make_comment):
    consultation, _made = _voted_hearing(app, browser_for, make_consultation, make_user, make_comment)
    officer = browser_for("case_officer")
    sentence = ("Kommentarer som er vist lenger, samler flere stemmer: den tidligste tidelen av de publiserte "
                "kommentarene (2 kommentarer) har en median på 475 stemmer hver (enig, uenig og stod over til "
                "sammen), den seneste tidelen 22,5. Sammenlign stemmer bare mellom kommentarer som kom inn omtrent "
                "samtidig.")
    text, *_ = _docx_text(download(officer, consultation.slug, "docx", REPORT))
    assert "Stemmer og synlighet" in text and sentence in text
    assert sentence in _pdf_text(download(officer, consultation.slug, "pdf", REPORT))


def test_no_exposure_sentence_without_votes_or_with_few_comments(app, browser_for, make_consultation, make_user,
                                                                 make_comment):
    officer = browser_for("case_officer")
    quiet = make_consultation(title="Uten stemmer", status="closed")
    for i in range(20):
        make_comment(quiet, make_user(), f"Stille innspill {i}.")
    text, cells, *_ = _docx_text(download(officer, quiet.slug, "docx", REPORT))
    assert "Stemmer og synlighet" not in text and "ikke personer" not in " ".join(cells)

    few = make_consultation(title="Få innspill", status="closed")
    for i in range(19):
        make_comment(few, make_user(), f"Innspill {i}.", support_count=50 - i, disagree_count=3)
    text, cells, *_ = _docx_text(download(officer, few.slug, "docx", REPORT))
    assert "Stemmer og synlighet" not in text
    assert "Enig og uenig er stemmer, ikke personer." in cells  # votes, though no record of who voted


def test_a_contested_theme_lists_the_comments_people_split_on(app, browser_for, make_consultation, make_user,
                                                              make_comment, client):
    consultation, made = _voted_hearing(app, browser_for, make_consultation, make_user, make_comment)
    officer = browser_for("case_officer")
    site = app.config["SITE_URL"].rstrip("/")
    top, fourth = made[:3], made[3]

    text, _cells, links, document = _docx_text(download(officer, consultation.slug, "docx", REPORT))
    paragraphs = [spaced(p.text) for p in document.paragraphs]
    start = paragraphs.index("Der stemmene delte seg: 4 av kommentarene er omstridte. De med flest stemmer:")
    assert paragraphs.index("Vedtekt") < start  # under the theme's section
    assert paragraphs[start + 1:start + 4] == [
        f"kommentar #{top[0].id}: «Byen trenger vedtekten.» · 300 enig, 250 uenig",
        f"kommentar #{top[1].id}: «Vedtekten er unødvendig.» · 200 enig, 150 uenig",
        f"kommentar #{top[2].id}: «Vedtekten bør gjelde alle.» · 100 enig, 90 uenig"]
    assert f"kommentar #{fourth.id}" not in text  # the three with the most votes only
    assert all(f"{site}/kommentarer/{comment.id}" in links for comment in top)
    # A theme contested only as a sum, with no section in the summary: after the theme table.
    assert "Der stemmene delte seg i de omstridte temaene" in paragraphs
    assert "Der stemmene delte seg: ingen enkeltkommentar i temaet er omstridt; folk er enige i noen av " \
           "kommentarene og uenige i andre." in paragraphs
    assert text.count("Der stemmene delte seg:") == 2  # not under the clear theme

    response = download(officer, consultation.slug, "pdf", REPORT)
    pdf = _pdf_text(response)
    assert ("Der stemmene delte seg: 4 av kommentarene er omstridte. De med flest stemmer: "
            f"kommentar #{top[0].id}: «Byen trenger vedtekten.» · 300 enig, 250 uenig") in pdf
    assert f"kommentar #{top[2].id}: «Vedtekten bør gjelde alle.» · 100 enig, 90 uenig" in pdf
    assert f"kommentar #{fourth.id}" not in pdf
    assert pdf.index("Der stemmene delte seg i de omstridte temaene") < pdf.index("Dette har vi hørt Byen")
    assert all(f"{site}/kommentarer/{comment.id}" in _pdf_links(response) for comment in top)
    assert re.search(r"Der stemmene delte seg: ingen enkeltkommentar i temaet er omstridt", pdf)

    # The printable page: staff see every contested theme, the public the summary's themes only.
    staff_page = spaced(officer.get(f"/hoeringer/{consultation.slug}/rapport").get_data(as_text=True))
    assert "Der stemmene delte seg: Vedtekt" in staff_page and "Der stemmene delte seg: Parkering" in staff_page
    assert f'href="{site}/kommentarer/{top[0].id}"' in staff_page
    public = spaced(client.get(f"/hoeringer/{consultation.slug}/rapport").get_data(as_text=True))
    assert "Der stemmene delte seg: Vedtekt" in public and "Parkering" not in public
