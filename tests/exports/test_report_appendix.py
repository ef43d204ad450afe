"""The report's appendix (all published comments) as read back from the DOCX and PDF:
author in bold, the time in Oslo as the reader's language writes it, the comment answered,
and the text with its line breaks and tabs kept."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

REPORT = "/saksbehandling/hoeringer/{slug}/rapport.{fmt}"
OSLO = ZoneInfo("Europe/Oslo")
#: Around the switch to summer time (02:00 → 03:00 Oslo time on 29 March 2026), and later.
TIMES = [dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC), dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC),
         dt.datetime(2026, 10, 25, 23, 7, tzinfo=dt.UTC)]


def format_stamp(moment, locale: str) -> str:
    """A comment's time as the appendix writes it: the medium date and the short time, in
    Oslo time (``hoering.i18n.human_datetime``)."""
    return (f"{format_date(moment.astimezone(OSLO).date(), 'medium', locale=locale)}, "
            f"{format_time(moment, 'short', tzinfo=OSLO, locale=locale)}")


def _comments(make_consultation, make_user, make_comment):
    consultation = make_consultation(title="Vedleggstest", status="closed")
    ola, kari = make_user(name="Ola Ærlig"), make_user(name="Kari Østby")
    first = make_comment(consultation, ola, "Første linje\nandre\tlinje", created_at=TIMES[0])
    reply = make_comment(consultation, kari, "  Enig  ", parent=first, created_at=TIMES[1])
    last = make_comment(consultation, ola, "Siste innspill 🙂", created_at=TIMES[2])
    return consultation, [first, reply, last]


def _appendix(document) -> list[list[tuple[str, bool]]]:
    """``[[(run text, bold)]]`` of the paragraphs after the appendix heading."""
    paragraphs = document.paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.style.name.startswith("Heading")
                 and ("Vedlegg" in p.text or "Appendix" in p.text))
    return [[(run.text, bool(run.bold)) for run in p.runs] for p in paragraphs[start + 1:]]


def test_the_docx_and_pdf_appendix_hold_each_comment_with_its_oslo_time(
        browser_for, make_consultation, make_user, make_comment):
    from docx import Document
    from pypdf import PdfReader

    consultation, (first, reply, last) = _comments(make_consultation, make_user, make_comment)
    officer = browser_for("case_officer")
    response = officer.get(REPORT.format(slug=consultation.slug, fmt="docx"))
    assert response.status_code == 200

    def when(moment):
        return format_stamp(moment, "nb_NO")

    assert _appendix(Document(io.BytesIO(response.get_data()))) == [
        [(f"#{first.id} Ola Ærlig", True), (f" · {when(TIMES[0])}\n", False), ("Første linje\nandre\tlinje", False)],
        [(f"#{reply.id} Kari Østby", True), (f" · {when(TIMES[1])} · Svar på #{first.id}\n", False),
         ("  Enig  ", False)],
        [(f"#{last.id} Ola Ærlig", True), (f" · {when(TIMES[2])}\n", False), ("Siste innspill 🙂", False)],
    ]
    assert when(TIMES[0]) == "29. mars 2026, 01:59" and when(TIMES[1]) == "29. mars 2026, 03:00"  # never digits only

    pdf = PdfReader(io.BytesIO(officer.get(REPORT.format(slug=consultation.slug, fmt="pdf")).get_data()))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for moment in TIMES:
        assert when(moment) in text


def test_the_cli_writes_the_appendix_times_in_the_language_asked_for(
        runner, tmp_path, make_consultation, make_user, make_comment):
    from docx import Document

    consultation, (first, reply, last) = _comments(make_consultation, make_user, make_comment)
    target = tmp_path / "rapport.docx"
    result = runner.invoke(args=["hoering", "export", consultation.slug, "--format", "docx", "--language", "en",
                                 "--output", str(target)])
    assert result.exit_code == 0, result.output
    metas = [paragraph[1][0] for paragraph in _appendix(Document(str(target)))]
    assert metas == [f" · {format_stamp(moment, 'en_GB')}"
                     + (f" · Reply to #{first.id}" if moment == TIMES[1] else "") + "\n" for moment in TIMES]
    assert metas[0] == " · 29 Mar 2026, 01:59\n"


def test_exports_name_a_deleted_account_as_deleted(app, browser_for, make_consultation, make_user, make_comment):
    import csv

    import sqlalchemy as sa

    from hoering.accounts.models import User
    from hoering.extensions import db

    consultation = make_consultation(title="Slettet konto")
    gone, kept = make_user(name="Borte Bruker"), make_user(name="Kari Østby")
    make_comment(consultation, gone, "Et innspill fra en konto som er slettet")
    make_comment(consultation, kept, "Et innspill som står")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == gone.id).values(deleted_at=dt.datetime.now(dt.UTC)))
        db.session.commit()
    response = browser_for("case_officer").get(f"/saksbehandling/hoeringer/{consultation.slug}/kommentarer.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(row["Forfatter"] for row in rows) == ["Kari Østby", "Slettet bruker"]


def _text_and_letters_off_the_page(pdf: bytes) -> tuple[str, list[str]]:
    """The PDF's text (without line breaks) and the letters that lie beyond a page's right edge."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTTextContainer

    text, outside = [], []
    for page in extract_pages(io.BytesIO(pdf)):
        for box in page:
            if isinstance(box, LTTextContainer):
                text.append(box.get_text())
                outside += [char.get_text() for line in box for char in line
                            if isinstance(char, LTChar) and char.x1 > page.width]
    return "".join(text).replace("\n", ""), outside


def test_a_very_long_word_in_the_pdf_is_broken_at_the_margin_not_cut_off(
        browser_for, make_consultation, make_user, make_comment):
    consultation = make_consultation(title="Lange ord", status="closed")
    link = "https://example.org/" + "sti/" * 60 + "slutt"
    make_comment(consultation, make_user(name="Ola"), f"Se {link} og " + "Å" * 300)
    response = browser_for("case_officer").get(REPORT.format(slug=consultation.slug, fmt="pdf"))
    assert response.status_code == 200

    text, outside = _text_and_letters_off_the_page(response.get_data())
    assert not outside  # every letter is on the page
    assert link in text and "Å" * 300 in text


def test_a_theme_with_a_long_one_word_name_keeps_the_theme_table_on_the_page(
        browser_for, make_consultation, make_user, make_comment, app):
    from tests.summaries.test_themes_and_summary import create_theme, tag, theme_id

    consultation = make_consultation(title="Langt tema", status="closed")
    comment = make_comment(consultation, make_user(name="Ola"), "Innspill", support_count=3)
    moderator = browser_for("moderator")
    name = "Sykkelparkering" + "x" * 105  # the longest name a theme may have (120)
    assert create_theme(moderator, consultation, name).status_code == 303
    tag(moderator, theme_id(app, name), [comment.id])
    response = browser_for("case_officer").get(REPORT.format(slug=consultation.slug, fmt="pdf"))
    assert response.status_code == 200

    text, outside = _text_and_letters_off_the_page(response.get_data())
    assert not outside  # the name wraps; the counts beside it stay on the page
    squeezed = "".join(text.split())  # a wrapped cell's lines are joined without a space
    assert name in squeezed and "3enig,0uenig" in squeezed
