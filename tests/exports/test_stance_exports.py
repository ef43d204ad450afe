"""Agree, disagree and contested in what staff take away: the comment exports (CSV, XLSX,
JSON), the statistics, the summary report (DOCX, PDF, printable page) and the API; a
contested comment or theme is never summarised as support."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa

from hoering.consultations.models import Consultation
from hoering.extensions import db
from tests.exports.test_exports import REPORT, download
from tests.summaries.test_themes_and_summary import create_theme, summary_data, tag, theme_id


def spaced(text: str) -> str:
    """``text`` with the no-break spaces that group digits ("2 031") as plain spaces."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def split_hearing(make_consultation, make_user, make_comment, app):
    """A closed consultation with a split comment (567 agree, 455 disagree, 279 passed, as
    Bowling Green's fairness ordinance statement), a clear one, and a Polis-like voter count."""
    consultation = make_consultation(title="Rettferdighetsvedtekt", status="closed")
    split = make_comment(consultation, make_user(name="Deltaker 20"), "Det er pinlig at byen mangler en vedtekt",
                         support_count=567, disagree_count=455, pass_count=279)
    clear = make_comment(consultation, make_user(name="Deltaker 7"), "Bredere fortau i sentrum",
                         support_count=120, disagree_count=3)
    with app.app_context():
        db.session.execute(sa.update(Consultation).where(Consultation.id == consultation.id)
                           .values(imported_voters=2031))
        db.session.commit()
    return consultation, split, clear


def test_csv_xlsx_and_json_have_agree_disagree_pass_and_contested(browser_for, make_consultation, make_user,
                                                                  make_comment, app):
    from openpyxl import load_workbook

    consultation, split, clear = split_hearing(make_consultation, make_user, make_comment, app)
    officer = browser_for("case_officer")

    rows = list(csv.DictReader(io.StringIO(download(officer, consultation.slug, "csv").get_data(as_text=True)
                                           .lstrip("\ufeff"))))
    by_id = {int(row["Nummer"]): row for row in rows}
    assert "supports" not in rows[0] and "Støtte" not in rows[0]
    assert {k: by_id[split.id][k] for k in ("Enig", "Uenig", "Stod over", "Omstridt")} == \
        {"Enig": "567", "Uenig": "455", "Stod over": "279", "Omstridt": "1"}
    assert {k: by_id[clear.id][k] for k in ("Enig", "Uenig", "Stod over", "Omstridt")} == \
        {"Enig": "120", "Uenig": "3", "Stod over": "0", "Omstridt": "0"}

    data = json.loads(download(officer, consultation.slug, "json").get_data(as_text=True))
    found = {item["id"]: item for item in data["comments"]}
    assert (found[split.id]["agree"], found[split.id]["disagree"], found[split.id]["pass"]) == (567, 455, 279)
    assert found[split.id]["contested"] is True and found[clear.id]["contested"] is False

    sheet = load_workbook(io.BytesIO(download(officer, consultation.slug, "xlsx").get_data())).active
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert ["Enig", "Uenig", "Stod over", "Omstridt"] == header[header.index("Enig"):header.index("Enig") + 4]
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    start = header.index("Enig")
    assert values[split.id][start:start + 4] == (567, 455, 279, 1)


def test_the_report_says_contested_with_both_numbers_never_support_alone(browser_for, make_consultation, make_user,
                                                                         make_comment, app, client):
    from docx import Document
    from pypdf import PdfReader

    consultation, split, clear = split_hearing(make_consultation, make_user, make_comment, app)
    moderator, officer = browser_for("moderator"), browser_for("case_officer")
    create_theme(moderator, consultation, "Vedtekt")
    create_theme(moderator, consultation, "Fortau")
    vedtekt, fortau = theme_id(app, "Vedtekt"), theme_id(app, "Fortau")
    tag(moderator, vedtekt, [split.id])
    tag(moderator, fortau, [clear.id])
    themes_page = moderator.get(f"/moderering/hoeringer/{consultation.slug}/temaer").get_data(as_text=True)
    assert "Omstridt: 567 enig, 455 uenig" in themes_page and "120 enig, 3 uenig" in themes_page
    response = summary_data(moderator, consultation, overview="Byen er delt i spørsmålet om vedtekten.",
                            overview_quotes=str(split.id), action="publish",
                            **{f"theme-{vedtekt}-text": "Delt.", f"theme-{vedtekt}-quote": str(split.id),
                               f"theme-{fortau}-text": "Bred støtte.", f"theme-{fortau}-quote": str(clear.id)})
    assert response.status_code == 303

    docx = Document(io.BytesIO(download(officer, consultation.slug, "docx", REPORT).get_data()))
    text = spaced("\n".join(p.text for p in docx.paragraphs))
    cells = [spaced(cell.text) for table in docx.tables for row in table.rows for cell in row.cells]
    assert "omstridt: 567 enig, 455 uenig" in text  # the quotes and the theme's counts
    assert "120 enig, 3 uenig" in text
    assert "omstridt: 567 enig, 455 uenig" in cells and "120 enig, 3 uenig" in cells  # the theme table
    assert "2 031 deltakere stemte; enig og uenig er stemmer, ikke personer" in cells and "Stemmer" in cells
    assert "567 støtter" not in text and "Støtter" not in cells

    pdf = PdfReader(io.BytesIO(download(officer, consultation.slug, "pdf", REPORT).get_data()))
    pdf_text = spaced("\n".join(page.extract_text() for page in pdf.pages))
    assert "omstridt: 567 enig, 455 uenig" in pdf_text and "2 031 deltakere stemte" in pdf_text

    page = spaced(client.get(f"/hoeringer/{consultation.slug}/rapport").get_data(as_text=True))  # the print page
    assert "omstridt: 567 enig, 455 uenig" in page and "Omstridt: 567 enig, 455 uenig" in page  # quote, table
    assert "2 031 deltakere stemte" in page
    # The published summary on the consultation page quotes it the same way.
    public = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    heard = public[public.index('id="heard-heading"'):]
    assert "omstridt: 567 enig, 455 uenig" in heard
    # And the API's summary: the quotes' and the themes' votes, contested or not.
    summary = client.get(f"/api/v1/consultations/{consultation.slug}").get_json()["summary"]
    assert [(q["agree_count"], q["disagree_count"], q["contested"]) for q in summary["quotes"]] == [(567, 455, True)]
    themes = {theme["name"]: theme for theme in summary["themes"]}
    assert (themes["Vedtekt"]["agree_count"], themes["Vedtekt"]["contested"]) == (567, True)
    assert (themes["Fortau"]["disagree_count"], themes["Fortau"]["contested"]) == (3, False)


def test_the_api_gives_both_counts_and_keeps_support_count(client, browser_for, make_consultation, make_user,
                                                           make_comment):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Del byen", support_count=5, disagree_count=4)
    url = f"/api/v1/consultations/{consultation.slug}/comments"
    item = client.get(url).get_json()["threads"][0]
    assert (item["support_count"], item["agree_count"], item["disagree_count"], item["pass_count"]) == (5, 5, 4, 0)
    assert item["contested"] is False  # nine votes: fewer than ten
    reader = browser_for()
    assert reader.submit(f"/hoeringer/{consultation.slug}", f"/kommentarer/{comment.id}/stotte",
                         data={"stance": "disagree"}).status_code == 303
    item = client.get(url).get_json()["threads"][0]  # the cached answer is made again at once
    assert (item["agree_count"], item["disagree_count"], item["contested"]) == (5, 5, True)
