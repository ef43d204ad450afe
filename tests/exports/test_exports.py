"""Exports and reports: the right rows for each role, spreadsheet safety, DOCX and PDF read
back, the printable page, the chart and the CLI."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.summaries.test_themes_and_summary import create_theme, summary_data, tag, theme_id

EXPORT = "/saksbehandling/hoeringer/{slug}/kommentarer.{fmt}"
REPORT = "/saksbehandling/hoeringer/{slug}/rapport.{fmt}"


@pytest.fixture
def hearing(make_consultation, make_user, make_comment):
    """A consultation with comments in every state, formula-like texts, Norwegian letters
    and emoji, and a reply."""
    consultation = make_consultation(title="Ny skolestruktur i Fjordvik", status="closed")
    ola = make_user(name="Ola Ærlig", email="ola.hemmelig@example.org")
    kari = make_user(name="Kari Østby")
    comments = {
        "published": make_comment(consultation, ola, "Skolen på Øyane må bestå 🙂 – barna trenger nærskole"),
        "formula": make_comment(consultation, kari, "=HYPERLINK(\"http://evil\",\"klikk\")"),
        "plus": make_comment(consultation, kari, "+47 er retningsnummeret"),
        "hidden": make_comment(consultation, ola, "Skjult innspill", state="hidden"),
        "rejected": make_comment(consultation, kari, "Avvist reklame", state="rejected"),
        "pending": make_comment(consultation, ola, "Venter på godkjenning", state="pending"),
    }
    comments["reply"] = make_comment(consultation, kari, "Enig, nærskolen er viktig", parent=comments["published"])
    return consultation, comments


def download(browser, slug, fmt, url=EXPORT):
    response = browser.get(url.format(slug=slug, fmt=fmt))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return response


def csv_rows(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_case_officers_get_published_comments_and_moderators_every_state(browser_for, hearing):
    consultation, comments = hearing
    officer, moderator = browser_for("case_officer"), browser_for("moderator")

    officer_rows = csv_rows(download(officer, consultation.slug, "csv"))
    assert {int(r["Nummer"]) for r in officer_rows} == {comments[k].id for k in ("published", "formula", "plus", "reply")}
    assert {r["Tilstand"] for r in officer_rows} == {"published"}

    moderator_rows = csv_rows(download(moderator, consultation.slug, "csv"))
    assert {int(r["Nummer"]) for r in moderator_rows} == {c.id for c in comments.values()}
    states = {int(r["Nummer"]): r["Tilstand"] for r in moderator_rows}
    assert states[comments["hidden"].id] == "hidden" and states[comments["rejected"].id] == "rejected"

    reply = next(r for r in officer_rows if int(r["Nummer"]) == comments["reply"].id)
    assert reply["Svar på"] == str(comments["published"].id) and reply["Nivå"] == "1"
    assert reply["Tråd"] == str(comments["published"].id)
    for fmt in ("csv", "json", "xlsx"):
        body = download(moderator, consultation.slug, fmt).get_data()
        assert b"ola.hemmelig" not in body and b"example.org" not in body


def test_citizens_and_visitors_get_no_exports(browser_for, client, hearing):
    consultation, _ = hearing
    citizen = browser_for()
    for fmt in ("csv", "xlsx", "json"):
        assert citizen.get(EXPORT.format(slug=consultation.slug, fmt=fmt)).status_code == 403
        assert client.get(EXPORT.format(slug=consultation.slug, fmt=fmt)).status_code == 302
    for fmt in ("docx", "pdf"):
        assert citizen.get(REPORT.format(slug=consultation.slug, fmt=fmt)).status_code == 403


def test_formula_cells_are_neutralized_in_csv_and_xlsx(browser_for, hearing):
    from openpyxl import load_workbook

    consultation, comments = hearing
    officer = browser_for("case_officer")
    rows = {int(r["Nummer"]): r for r in csv_rows(download(officer, consultation.slug, "csv"))}
    assert rows[comments["formula"].id]["Tekst"] == "'=HYPERLINK(\"http://evil\",\"klikk\")"
    assert rows[comments["plus"].id]["Tekst"] == "'+47 er retningsnummeret"
    assert rows[comments["published"].id]["Tekst"].startswith("Skolen på Øyane må bestå 🙂")

    book = load_workbook(io.BytesIO(download(officer, consultation.slug, "xlsx").get_data()))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Nummer", "Tråd", "Svar på"] and "Tekst" in header
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    created = sheet.cell(row=2, column=header.index("Opprettet") + 1).value
    assert created.year >= 2026 and created.tzinfo is None  # a real date, in Oslo time
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    texts = [row[header.index("Tekst")].value for row in sheet.iter_rows(min_row=2)]
    assert "'=HYPERLINK(\"http://evil\",\"klikk\")" in texts


def test_json_export_lists_themes_and_the_consultation(browser_for, hearing, app):
    consultation, comments = hearing
    moderator = browser_for("moderator")
    create_theme(moderator, consultation, "Nærskole")
    tag(moderator, theme_id(app, "Nærskole"), [comments["published"].id])
    data = json.loads(download(moderator, consultation.slug, "json").get_data(as_text=True))
    assert data["consultation"]["slug"] == consultation.slug
    by_id = {c["id"]: c for c in data["comments"]}
    assert by_id[comments["published"].id]["themes"] == ["Nærskole"]
    assert by_id[comments["hidden"].id]["state"] == "hidden"


def publish_summary_with_theme(moderator, consultation, comments, app):
    create_theme(moderator, consultation, "Nærskole")
    theme = theme_id(app, "Nærskole")
    tag(moderator, theme, [comments["published"].id, comments["reply"].id])
    response = summary_data(moderator, consultation, overview="Foreldrene ønsker å beholde skolene på øyene.",
                            overview_quotes="", action="publish",
                            **{f"theme-{theme}-text": "Nærskolen er viktig for små barn og for bygda.",
                               f"theme-{theme}-quote": str(comments["published"].id)})
    assert response.status_code == 303


def test_docx_and_pdf_reports_hold_the_summary_and_the_appendix(browser_for, hearing, app):
    from docx import Document
    from pypdf import PdfReader

    consultation, comments = hearing
    moderator, officer = browser_for("moderator"), browser_for("case_officer")
    publish_summary_with_theme(moderator, consultation, comments, app)

    docx = Document(io.BytesIO(download(officer, consultation.slug, "docx", REPORT).get_data()))
    text = "\n".join(p.text for p in docx.paragraphs)
    assert "Dette har vi hørt: Ny skolestruktur i Fjordvik" in text
    assert "Nærskole" in text and "Nærskolen er viktig for små barn og for bygda." in text
    assert "Skolen på Øyane må bestå 🙂" in text  # quoted, and in the appendix
    assert "Venter på godkjenning" not in text and "Skjult innspill" not in text
    assert len(docx.inline_shapes) == 1  # the chart

    pdf = PdfReader(io.BytesIO(download(officer, consultation.slug, "pdf", REPORT).get_data()))
    pdf_text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Nærskolen er viktig for små barn og for bygda." in pdf_text
    assert "Foreldrene ønsker å beholde skolene på øyene." in pdf_text
    assert "Kari Østby" in pdf_text and "Skjult innspill" not in pdf_text


def structure_elements(pdf) -> list[dict]:
    """Every structure element of a tagged PDF read by pypdf, in reading order."""
    found: list[dict] = []

    def walk(node) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if "/S" in node:
                found.append(node)
            if "/K" in node:
                walk(node["/K"])

    walk(pdf.trailer["/Root"]["/StructTreeRoot"])
    return found


def structure_types(pdf) -> set[str]:
    """The kinds of structure element (``H1``, ``P``, ``L`` …) in a tagged PDF read by pypdf."""
    return {str(element["/S"]).lstrip("/") for element in structure_elements(pdf)}


def test_the_reports_keep_the_summarys_headings_lists_and_emphasis(browser_for, hearing, app):
    from docx import Document
    from pypdf import PdfReader

    consultation, comments = hearing
    moderator, officer = browser_for("moderator"), browser_for("case_officer")
    create_theme(moderator, consultation, "Nærskole")
    theme = theme_id(app, "Nærskole")
    tag(moderator, theme, [comments["published"].id])
    overview = ("## Hovedfunn\n\nDe fleste mener skolen er **svært viktig** for *bygda*.\n\n"
                "- Kortere skolevei\n- Trygg **kryssing**\n\n1. Først bussen\n2. Så fergen\n\n> Et sitat fra møtet")
    assert summary_data(moderator, consultation, overview=overview, overview_quotes="", action="publish",
                        **{f"theme-{theme}-text": "Punktene:\n\n- Øyane\n- Nes",
                           f"theme-{theme}-quote": ""}).status_code == 303

    docx = Document(io.BytesIO(download(officer, consultation.slug, "docx", REPORT).get_data()))
    by_text = {p.text: p for p in docx.paragraphs}
    assert by_text["Hovedfunn"].style.name.startswith("Heading")
    emphasis = by_text["De fleste mener skolen er svært viktig for bygda."]
    assert [(r.text, bool(r.bold), bool(r.italic)) for r in emphasis.runs] == [
        ("De fleste mener skolen er ", False, False), ("svært viktig", True, False), (" for ", False, False),
        ("bygda", False, True), (".", False, False)]
    assert by_text["Kortere skolevei"].style.name == "List Bullet"
    assert [r.text for r in by_text["Trygg kryssing"].runs if r.bold] == ["kryssing"]
    assert by_text["Først bussen"].style.name == "List Number" and by_text["Øyane"].style.name == "List Bullet"
    assert by_text["Et sitat fra møtet"].style.name == "Quote"
    assert not any("**" in text or text.startswith("- ") or text.startswith("## ") for text in by_text)

    pdf = PdfReader(io.BytesIO(download(officer, consultation.slug, "pdf", REPORT).get_data()))
    pdf_text = "\n".join(page.extract_text() for page in pdf.pages)
    for expected in ("Hovedfunn", "svært viktig", "Kortere skolevei", "Først bussen", "Så fergen", "Øyane",
                     "Et sitat fra møtet"):
        assert expected in pdf_text, expected
    assert "**" not in pdf_text
    # The lists are lists, and the quote a quote, in the PDF's structure (what a screen reader reads).
    assert {"L", "LI", "BlockQuote"} <= structure_types(pdf)


def test_the_print_page_is_public_only_once_published(browser_for, client, hearing, app):
    consultation, comments = hearing
    moderator = browser_for("moderator")
    url = f"/hoeringer/{consultation.slug}/rapport"
    assert client.get(url).status_code == 404
    summary_data(moderator, consultation, overview="Et utkast", overview_quotes="", action="save")
    draft = moderator.get(url).get_data(as_text=True)
    assert "Et utkast" in draft and "Utkast – ikke publisert" in draft
    assert client.get(url).status_code == 404
    publish_summary_with_theme(moderator, consultation, comments, app)
    page = client.get(url).get_data(as_text=True)
    assert "Nærskolen er viktig" in page and "Vedlegg: alle publiserte kommentarer" in page
    assert "Venter på godkjenning" not in page


def test_the_staff_page_shows_statistics_and_the_chart(browser_for, client, hearing):
    consultation, _ = hearing
    page = browser_for("case_officer").get(f"/saksbehandling/hoeringer/{consultation.slug}").get_data(as_text=True)
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page))
    assert facts == {"Deltakere": "2", "Kommentarer utenom svar": "3", "Svar": "1", "Enig": "0", "Uenig": "0"}
    chart = client.get(f"/hoeringer/{consultation.slug}/kommentarer-per-dag.png")
    assert chart.status_code == 200 and chart.mimetype == "image/png"
    assert chart.get_data().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_staff_page_writes_large_counts_the_norwegian_way(browser_for, make_consultation, make_user,
                                                              make_comment):
    consultation = make_consultation(status="closed")
    make_comment(consultation, make_user(), "Mange er enige", support_count=109658, disagree_count=2031)
    staff = browser_for("case_officer")
    page = staff.get(f"/saksbehandling/hoeringer/{consultation.slug}").get_data(as_text=True)
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert facts["Enig"] == "109\u00a0658" and facts["Uenig"] == "2\u00a0031"
    staff.client.set_cookie("hoering_lang", "en")
    page = staff.get(f"/saksbehandling/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))["Agree"] == "109,658"


def test_cli_export_writes_every_format(hearing, runner, tmp_path, app, browser_for):
    from docx import Document
    from openpyxl import load_workbook
    from pypdf import PdfReader

    consultation, comments = hearing
    for fmt in ("csv", "xlsx", "json", "docx", "pdf"):
        target = tmp_path / f"out.{fmt}"
        result = runner.invoke(args=["hoering", "export", consultation.slug, "--format", fmt,
                                     "--output", str(target)])
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 0
    assert "Skjult innspill" not in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    runner.invoke(args=["hoering", "export", consultation.slug, "--format", "csv", "--all-states",
                        "--output", str(tmp_path / "all.csv")])
    assert "Skjult innspill" in (tmp_path / "all.csv").read_text(encoding="utf-8-sig")
    assert load_workbook(tmp_path / "out.xlsx").active.max_row == 5
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["consultation"]["slug"] == consultation.slug
    assert "Vedlegg: alle publiserte kommentarer" in "\n".join(
        p.text for p in Document(str(tmp_path / "out.docx")).paragraphs)
    assert PdfReader(str(tmp_path / "out.pdf")).pages
    missing = runner.invoke(args=["hoering", "export", "finnes-ikke", "--format", "csv", "--output", "-"])
    assert missing.exit_code != 0 and "No consultation" in missing.output


def test_control_characters_from_citizens_do_not_break_xlsx_or_docx(browser_for, make_consultation, make_user,
                                                                    make_comment, runner, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    consultation = make_consultation(status="closed")
    make_comment(consultation, make_user(name="Navn\x07 med bjelle"), "Hei\x07 på deg \ufffe og \x1b[31m farge")
    officer = browser_for("case_officer")
    book = load_workbook(io.BytesIO(download(officer, consultation.slug, "xlsx").get_data()))
    texts = [cell.value for row in book.active.iter_rows(min_row=2) for cell in row]
    assert "Hei på deg  og [31m farge" in texts and "Navn med bjelle" in texts
    docx = Document(io.BytesIO(download(officer, consultation.slug, "docx", REPORT).get_data()))
    assert any("Hei på deg" in p.text for p in docx.paragraphs)
    assert download(officer, consultation.slug, "pdf", REPORT).get_data().startswith(b"%PDF")
    result = runner.invoke(args=["hoering", "export", consultation.slug, "--format", "xlsx",
                                 "--output", str(tmp_path / "no" / "such" / "folder.xlsx")])
    assert result.exit_code != 0 and "Cannot write" in result.output and "Traceback" not in result.output


def test_case_officers_duplicate_groups_only_among_published_comments(browser_for, make_consultation, make_user,
                                                                      make_comment):
    consultation = make_consultation(status="closed")
    published = make_comment(consultation, make_user(), "Vi trenger en ny svømmehall i sentrum nå")
    make_comment(consultation, make_user(), "Vi trenger en ny svømmehall i sentrum nå!", state="hidden")
    officer_rows = csv_rows(download(browser_for("case_officer"), consultation.slug, "csv"))
    assert [r["Gruppe av nesten like"] for r in officer_rows if int(r["Nummer"]) == published.id] == [""]
    moderator_rows = csv_rows(download(browser_for("moderator"), consultation.slug, "csv"))
    assert {r["Gruppe av nesten like"] for r in moderator_rows} == {"1"}


def test_the_public_print_page_names_only_the_themes_the_summary_speaks_of(browser_for, client, hearing, app):
    consultation, comments = hearing
    moderator = browser_for("moderator")
    create_theme(moderator, consultation, "Intern: mulige troll")
    tag(moderator, theme_id(app, "Intern: mulige troll"), [comments["formula"].id])
    publish_summary_with_theme(moderator, consultation, comments, app)
    public = client.get(f"/hoeringer/{consultation.slug}/rapport").get_data(as_text=True)
    assert "Nærskole" in public and "mulige troll" not in public
    staff = moderator.get(f"/hoeringer/{consultation.slug}/rapport").get_data(as_text=True)
    assert "mulige troll" in staff


def test_statistics_per_question_and_per_day(browser_for, make_consultation, app):
    from hoering.consultations.models import Question
    from hoering.extensions import db

    consultation = make_consultation(questions=("Hva mener du om parken?", "Hva mener du om veien?"))
    with app.app_context():
        park, road = [q.id for q in db.session.query(Question).order_by(Question.position)]
    citizen = browser_for()
    page = f"/hoeringer/{consultation.slug}"
    for text, question in (("Parken er fin", park), ("Parken trenger lys", park), ("Veien er smal", road),
                           ("Generelt innspill", "")):
        citizen.submit(page, f"{page}/kommentarer", data={"text": text, "question_id": str(question)})
    staff = browser_for("case_officer").get(f"/saksbehandling/hoeringer/{consultation.slug}").get_data(as_text=True)
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td></tr>', staff))
    assert rows["Hva mener du om parken?"] == "2" and rows["Hva mener du om veien?"] == "1"
    per_day = re.findall(r"<tr><td>[^<]+</td><td>(\d+)</td></tr>", staff)
    assert sum(int(n) for n in per_day) == 4
