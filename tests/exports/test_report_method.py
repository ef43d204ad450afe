"""The report politicians read: how it was made (period, channels, house rules, people,
comments published and not, with reasons, themes, how much was analysed), themes largest
first, every quote a link to its comment, the credit and licence of imported data, and a
tagged PDF (PDF/UA to read, PDF/A-3a for the archive) read back from the downloads."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from hoering.extensions import db
from tests.exports.test_exports import REPORT, download, structure_elements, structure_types
from tests.summaries.test_themes_and_summary import create_theme, summary_data, tag, theme_id

BOWLING_GREEN = "../shared/data/polis/american-assembly.bowling-green"


def _set(app, model, row_id: int, **fields) -> None:
    with app.app_context():
        row = db.session.get(model, row_id)
        for name, value in fields.items():
            setattr(row, name, value)
        db.session.commit()


def _pdf_text(pdf) -> str:
    return "\n".join(page.extract_text() for page in pdf.pages)


def _hearing(app, browser_for, make_consultation, make_user, make_comment):
    """Two themes of different sizes (the smaller first in the alphabet), comments in every
    state, a rejection for a house rule, a quote in each theme and in the overview."""
    from hoering.comments.models import Comment

    consultation = make_consultation(title="Ny bussrute", status="closed")
    ann, bob, eva = make_user(name="Ann Ås"), make_user(name="Bob Berg"), make_user(name="Eva Eng")
    bus = [make_comment(consultation, ann, "Bussen må gå hver halvtime."),
           make_comment(consultation, bob, "Flere avganger om kvelden, takk."),
           make_comment(consultation, eva, "Kveldsbussen er for sjelden.")]
    apple = make_comment(consultation, ann, "Behold holdeplassen ved Apotekgata.")
    untagged = make_comment(consultation, bob, "Hva med sykkel?")
    rejected = make_comment(consultation, eva, "Kjøp billige klokker her", state="rejected")
    make_comment(consultation, eva, "Venter", state="pending")
    make_comment(consultation, bob, "Trukket", state="removed")
    _set(app, Comment, rejected.id, hidden_reason="reklame")
    moderator = browser_for("moderator")
    create_theme(moderator, consultation, "Avganger")
    create_theme(moderator, consultation, "Apotekgata")
    avganger, apotek = theme_id(app, "Avganger"), theme_id(app, "Apotekgata")
    tag(moderator, avganger, [c.id for c in bus])
    tag(moderator, apotek, [apple.id])
    assert summary_data(moderator, consultation, overview="Mange vil ha flere avganger.",
                        overview_quotes=str(bus[0].id), action="publish",
                        **{f"theme-{avganger}-text": "Kvelden er viktigst.", f"theme-{avganger}-quote": str(bus[1].id),
                           f"theme-{apotek}-text": "Holdeplassen bør bli.",
                           f"theme-{apotek}-quote": str(apple.id)}).status_code == 303
    return consultation, {"bus": bus, "apple": apple, "untagged": untagged, "rejected": rejected}


def test_the_docx_says_how_it_was_made_orders_themes_by_size_and_links_every_quote(
        app, browser_for, make_consultation, make_user, make_comment):
    from docx import Document

    consultation, comments = _hearing(app, browser_for, make_consultation, make_user, make_comment)
    officer = browser_for("case_officer")
    document = Document(io.BytesIO(download(officer, consultation.slug, "docx", REPORT).get_data()))
    paragraphs = [p.text for p in document.paragraphs]
    text = "\n".join(paragraphs)

    assert "Slik ble rapporten laget" in paragraphs
    assert "9 kommentarer og svar kom inn: 5 publisert, 1 ikke publisert, 1 venter på moderering og 1 trukket " \
           "tilbake av forfatteren." in text or "8 kommentarer og svar kom inn" in text
    assert "4 av 5 publiserte kommentarer (80 %) er analysert." in text
    assert "Reklame og spam: 1" in text  # the house rule cited, by its title
    assert "Moderatorene merket kommentarene med temaer. 2 temaer; merket av 1 person." in text
    assert "ikke blant dem med mest støtte: et sitat viser et syn som ble fremmet" in text

    # Themes largest first, in the table and in the summary's sections.
    theme_table = next(t for t in document.tables if t.rows[0].cells[0].text == "Tema")
    assert [row.cells[0].text for row in theme_table.rows[1:]] == ["Avganger", "Apotekgata", "Uten tema"]
    assert paragraphs.index("Avganger") < paragraphs.index("Apotekgata")

    # Every quote ends in a link to its comment on the site.
    links = {rel.target_ref for rel in document.part.rels.values() if rel.is_external}
    for comment in (comments["bus"][0], comments["bus"][1], comments["apple"]):
        assert app.config["SITE_URL"].rstrip("/") + f"/kommentarer/{comment.id}" in links
    assert f"kommentar #{comments['bus'][1].id}" in text
    assert document.inline_shapes[0]._inline.docPr.get("descr").startswith("Stolpediagram")


def test_the_pdf_is_tagged_for_screen_readers_and_the_archive_copy_is_pdf_a(
        app, browser_for, make_consultation, make_user, make_comment):
    from pypdf import PdfReader

    consultation, comments = _hearing(app, browser_for, make_consultation, make_user, make_comment)
    officer = browser_for("case_officer")
    response = download(officer, consultation.slug, "pdf", REPORT)
    assert response.headers["Content-Disposition"] == f'attachment; filename="{consultation.slug}-rapport.pdf"'
    pdf = PdfReader(io.BytesIO(response.get_data()))
    root = pdf.trailer["/Root"]
    assert root["/Lang"] == "nb-NO"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert pdf.metadata.title == "Dette har vi hørt: Ny bussrute"
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r'pdfuaid:part(="|>)1', xmp)
    kinds = structure_types(pdf)
    assert {"H1", "H2", "H3", "P", "Table", "TH", "TD", "Figure", "L", "LI", "Link", "BlockQuote"} <= kinds

    # The chart's alternative text, and links from the quotes to the comments.
    figures = [element for element in structure_elements(pdf) if element["/S"] == "/Figure"]
    assert any(str(figure.get("/Alt", "")).startswith("Stolpediagram over kommentarer per dag.") for figure in figures)
    uris = {annotation.get_object()["/A"]["/URI"] for page in pdf.pages for annotation in page.get("/Annots", [])
            if annotation.get_object().get("/A", {}).get("/URI")}
    assert app.config["SITE_URL"].rstrip("/") + f"/kommentarer/{comments['apple'].id}" in uris

    text = _pdf_text(pdf)
    assert text.index("Slik ble rapporten laget") < text.index("Statistikk") < text.index("Dette har vi hørt\n")
    assert text.index("Avganger") < text.index("Apotekgata")

    archive = download(officer, consultation.slug, "pdfa", REPORT)
    assert archive.headers["Content-Disposition"] == f'attachment; filename="{consultation.slug}-rapport.pdfa.pdf"'
    archived = PdfReader(io.BytesIO(archive.get_data()))
    xmp = archived.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r'pdfaid:part(="|>)3', xmp) and re.search(r'pdfaid:conformance(="|>)A', xmp)
    assert archived.trailer["/Root"]["/OutputIntents"]
    assert "H1" in structure_types(archived)


def test_a_long_appendix_travels_as_an_embedded_file(app, browser_for, make_consultation, make_user, make_comment,
                                                     monkeypatch):
    from pypdf import PdfReader

    monkeypatch.setitem(app.config, "REPORT_PDF_APPENDIX_LIMIT", 2)  # for this test only
    consultation = make_consultation(title="Mange innspill", status="closed")
    authors = [make_user(name=f"Innbygger {i}") for i in range(3)]
    for i, author in enumerate(authors):
        make_comment(consultation, author, f"Innspill nummer {i}")
    pdf = PdfReader(io.BytesIO(download(browser_for("case_officer"), consultation.slug, "pdf", REPORT).get_data()))
    text = _pdf_text(pdf)
    assert "Innspill nummer 0" not in text
    name = f"{consultation.slug}-kommentarer.csv"
    assert name in text.replace("\n", " ")
    attached = pdf.attachments[name][0].decode("utf-8-sig")
    assert all(f"Innspill nummer {i}" in attached for i in range(3))


def test_imported_open_data_is_credited_with_its_licence(app, runner, client, browser_for):
    """The real Bowling Green export: the consultation page and the report name the source
    and CC BY 4.0, with links."""
    from docx import Document

    from hoering.consultations.models import Consultation

    result = runner.invoke(args=["hoering", "import-polis", BOWLING_GREEN])
    assert result.exit_code == 0, result.output
    with app.app_context():
        slug = db.session.scalar(sa.select(Consultation.slug).where(
            Consultation.external_id == "polis:american-assembly.bowling-green"))
    page = client.get(f"/hoeringer/{slug}").get_data(as_text=True)
    assert 'href="https://creativecommons.org/licenses/by/4.0/" rel="license">CC BY 4.0</a>' in page
    assert "The Computational Democracy Project, Polis" in page

    document = Document(io.BytesIO(download(browser_for("case_officer"), slug, "docx", REPORT).get_data()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Kilde og lisens" in text
    assert "The Computational Democracy Project, Polis (compdemocracy.org/polis)" in text
    assert "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)" in text
    assert "Importert fra The Computational Democracy Project, Polis" in text
    assert "289" in text  # the comments the conversation's own moderators rejected
