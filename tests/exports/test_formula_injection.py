"""Spreadsheet formula injection: every text a citizen or moderator controls (comment,
display name, theme, question, moderation reason, moderator's note) leaves every CSV and
XLSX export — the download routes and the CLI — as inert text, whatever control
characters, white space or Unicode look-alikes stand before the trigger character."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from hoering.accounts.models import User
from hoering.comments.models import Comment
from hoering.extensions import db
from hoering.moderation.models import ModerationAction
from hoering.summaries.models import CommentTheme, Theme
from tests.moderation.helpers import act

EXPORT = "/saksbehandling/hoeringer/{slug}/kommentarer.{fmt}"
LOG = "/moderering/logg.csv"

#: (payload as stored, the cell a spreadsheet must get). Characters XML 1.0 cannot hold
#: (C0 controls but tab, LF and CR; U+FFFE) are left out of every spreadsheet cell; a cell
#: that then reads as a formula gets a leading apostrophe.
PAYLOADS = [
    ('=HYPERLINK("http://evil.example","klikk")', '\'=HYPERLINK("http://evil.example","klikk")'),
    ('\x01=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
    ("\x0b+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("\x1f-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("\x01\x02\x03@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\ufffe=1+1", "'=1+1"),
    (" =1+1", "' =1+1"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("\n=1+1", "'\n=1+1"),
    ("\u00a0=1+1", "'\u00a0=1+1"),
    ("\u3000=1+1", "'\u3000=1+1"),
    ("\u200b=1+1", "'\u200b=1+1"),
    ("\ufeff=1+1", "'\ufeff=1+1"),
    ("\u2060\u200e+1+1", "'\u2060\u200e+1+1"),
    ("\uff1d1+1", "'\uff1d1+1"),  # FULLWIDTH EQUALS SIGN
    ("\uff0bcmd|' /C calc'!A0", "'\uff0bcmd|' /C calc'!A0"),  # FULLWIDTH PLUS SIGN
    ("\uff0d1+1", "'\uff0d1+1"),  # FULLWIDTH HYPHEN-MINUS
    ("\uff20SUM(A1)", "'\uff20SUM(A1)"),  # FULLWIDTH COMMERCIAL AT
    ("\ufe66HYPERLINK(A1)", "'\ufe66HYPERLINK(A1)"),  # SMALL EQUALS SIGN
    ("\ufe621+1", "'\ufe621+1"),  # SMALL PLUS SIGN
    ("\ufe631+1", "'\ufe631+1"),  # SMALL HYPHEN-MINUS
    ("\ufe6bSUM(A1)", "'\ufe6bSUM(A1)"),  # SMALL COMMERCIAL AT
    ("\u22121+1", "'\u22121+1"),  # MINUS SIGN
    ("\u207b1", "'\u207b1"),  # SUPERSCRIPT MINUS
    ("\u207c1", "'\u207c1"),  # SUPERSCRIPT EQUALS SIGN
    ("\u208a1", "'\u208a1"),  # SUBSCRIPT PLUS SIGN
    ("\u2a751", "'\u2a751"),  # TWO CONSECUTIVE EQUALS SIGNS (NFKC: ==)
    ("\x01\u200b\uff1dHYPERLINK(A1)", "'\u200b\uff1dHYPERLINK(A1)"),
]

#: Text that is not a formula and leaves unchanged (the judgement: dashes other than the
#: minus signs are punctuation; Norwegian lists begin with "– ").
HARMLESS = [
    ("– barna trenger nærskole", "– barna trenger nærskole"),
    ("'allerede sitert", "'allerede sitert"),
    ("Skolen på Øyane 🙂", "Skolen på Øyane 🙂"),
    ("x=1+1", "x=1+1"),
]


@pytest.fixture
def hostile(app, make_consultation, make_user, make_comment):
    """A closed consultation in which every payload is a comment's text, its author's
    display name, the name of a theme it is tagged with, a guiding question it answers,
    its moderation reason and a moderator's note in the audit log (written by a
    moderator whose display name is the payload too)."""
    cases = PAYLOADS + HARMLESS
    consultation = make_consultation(status="closed", questions=tuple(payload for payload, _ in cases))
    moderators = [make_user(role="moderator") for _ in cases]
    authors = [make_user() for _ in cases]
    comments = []
    for n, (payload, _) in enumerate(cases):
        comments.append(make_comment(consultation, authors[n], payload, state="hidden" if n % 2 else "published"))
    with app.app_context():
        # The names as they could stand in the table (written before today's name rules, or
        # by an import): set in SQL, past the model's rules, since several look alike.
        names = User.__table__.c.display_name
        for n, (payload, _) in enumerate(cases):
            for user in (moderators[n], authors[n]):
                db.session.execute(sa.update(User.__table__).where(User.__table__.c.id == user.id)
                                   .values({names: payload}))
        questions = {q.text: q.id for q in db.session.get(type(consultation), consultation.id).questions}
        for n, ((payload, _), comment) in enumerate(zip(cases, comments, strict=True)):
            theme = Theme(consultation_id=consultation.id, name=payload)
            db.session.add(theme)
            db.session.flush()
            db.session.add(CommentTheme(comment_id=comment.id, theme_id=theme.id))
            db.session.execute(sa.update(Comment).where(Comment.id == comment.id).values(
                question_id=questions[payload], hidden_reason=payload[:60] if n % 2 else None))
            db.session.add(ModerationAction(action="hide", actor_id=moderators[n].id, comment_id=comment.id,
                                            consultation_id=consultation.id, reason=payload[:60], note=payload,
                                            state_before="published", state_after="hidden"))
        db.session.commit()
    return consultation


def assert_every_cell_is_inert(cells: list[str], columns: int) -> None:
    """Every payload shows up as the expected inert text in each of ``columns`` columns,
    and no cell at all reads as a formula."""
    for payload, wanted in PAYLOADS + HARMLESS:
        found = sum(1 for cell in cells if cell == wanted)
        assert found >= columns, (payload, wanted, found)
    for cell in cells:
        assert not looks_like_formula(cell), cell


def looks_like_formula(cell: str) -> bool:
    """A spreadsheet's view: after the characters it may drop or skip (controls, format
    characters, white space), does the cell begin with a formula trigger or a look-alike?
    Written out by hand here, independent of the application's code."""
    if cell.startswith("'"):
        return False
    visible = cell.lstrip("\x00\x01\x02\x03\x0b\x1f \t\r\n\u00a0\u3000\u200b\u200e\ufeff\u2060\ufffe")
    return visible[:1] in set("=+-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b\u2212\u207b\u207c\u208a\u2a75")


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def read_xlsx(body: bytes) -> list[str]:
    """Every text cell of the first sheet, after checking none is a formula."""
    sheet = load_workbook(io.BytesIO(body)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert cells
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    return [cell.value for cell in cells if isinstance(cell.value, str)]


@pytest.mark.parametrize("role", ["case_officer", "moderator"])
def test_comment_downloads_neutralize_every_payload(browser_for, hostile, role):
    staff = browser_for(role)
    # text, author, themes, question (and, for moderators, the moderation reason of hidden comments)
    columns = 4
    csv_response = staff.get(EXPORT.format(slug=hostile.slug, fmt="csv"))
    assert csv_response.status_code == 200
    rows = read_csv(csv_response.get_data(as_text=True))
    csv_cells = [cell for row in rows[1:] for cell in row]
    xlsx_response = staff.get(EXPORT.format(slug=hostile.slug, fmt="xlsx"))
    assert xlsx_response.status_code == 200
    xlsx_cells = read_xlsx(xlsx_response.get_data())
    if role == "case_officer":  # published comments only: every other payload as text
        published = [cell for n, (_, cell) in enumerate(PAYLOADS + HARMLESS) if n % 2 == 0]
        texts = {row[rows[0].index("Tekst")] for row in rows[1:]}
        assert texts == set(published)
        for cell in csv_cells + xlsx_cells:
            assert not looks_like_formula(cell), cell
    else:
        assert_every_cell_is_inert(csv_cells, columns)
        assert_every_cell_is_inert(xlsx_cells, columns)


def test_the_cli_export_neutralizes_every_payload(hostile, runner, tmp_path):
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"kommentarer.{fmt}"
        result = runner.invoke(args=["hoering", "export", hostile.slug, "--format", fmt, "--all-states",
                                     "--output", str(target)])
        assert result.exit_code == 0, result.output
        if fmt == "csv":
            with open(target, encoding="utf-8", newline="") as handle:  # keep a CR inside a cell
                rows = read_csv(handle.read())
            cells = [cell for row in rows[1:] for cell in row]
        else:
            cells = read_xlsx(target.read_bytes())
        assert_every_cell_is_inert(cells, 4)


def test_the_audit_log_download_neutralizes_every_payload(browser_for, hostile):
    rows = read_csv(browser_for("moderator").get(LOG).get_data(as_text=True))
    cells = [cell for row in rows[1:] for cell in row]
    assert_every_cell_is_inert(cells, 2)  # the moderator's name and the note (reasons are cut at 60)


def test_a_note_and_a_comment_typed_into_the_forms_come_out_inert(browser_for, make_consultation, app):
    consultation = make_consultation()
    citizen, moderator = browser_for(), browser_for("moderator")
    comment_id = citizen.comment(consultation.slug, '\x01=HYPERLINK("http://evil.example","klikk")')
    act(moderator, comment_id, "hide", reason="reklame", note="\x01@SUM(1+1)*cmd|' /C calc'!A0")
    log = read_csv(moderator.get(LOG).get_data(as_text=True))
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in [row[log[0].index("note")] for row in log[1:]]
    sheet = read_xlsx(moderator.get(EXPORT.format(slug=consultation.slug, fmt="xlsx")).get_data())
    assert '\'=HYPERLINK("http://evil.example","klikk")' in sheet


def test_json_keeps_the_exact_text_for_machines(browser_for, hostile, runner, tmp_path):
    """Open data is exact: JSON is read by programs, which never run formulas, so the text
    is kept as stored (docs/SECURITY.md)."""
    data = json.loads(browser_for("moderator").get(EXPORT.format(slug=hostile.slug, fmt="json"))
                      .get_data(as_text=True))
    assert {c["text"] for c in data["comments"]} == {payload for payload, _ in PAYLOADS + HARMLESS}
    target = tmp_path / "kommentarer.json"
    runner.invoke(args=["hoering", "export", hostile.slug, "--format", "json", "--all-states",
                        "--output", str(target)])
    assert {c["author"] for c in json.loads(target.read_text(encoding="utf-8"))["comments"]} == \
        {payload for payload, _ in PAYLOADS + HARMLESS}


def test_every_character_nfkc_folds_to_a_trigger_is_neutralized(browser_for, make_consultation, make_user,
                                                                make_comment):
    import unicodedata

    look_alikes = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF
                   and unicodedata.normalize("NFKC", chr(c))[:1] in ("=", "+", "-", "@", "\u2212")]
    assert len(look_alikes) > 20  # the ASCII four, full-width, small, super- and subscript forms …
    consultation = make_consultation(status="closed")
    author = make_user(name="Ola")
    for char in look_alikes:
        make_comment(consultation, author, f"\x01{char}HYPERLINK(A1)")
    officer = browser_for("case_officer")
    rows = read_csv(officer.get(EXPORT.format(slug=consultation.slug, fmt="csv")).get_data(as_text=True))
    texts = sorted(row[rows[0].index("Tekst")] for row in rows[1:])
    assert texts == sorted(f"'{char}HYPERLINK(A1)" for char in look_alikes)
    sheet = read_xlsx(officer.get(EXPORT.format(slug=consultation.slug, fmt="xlsx")).get_data())
    assert set(texts) <= set(sheet)
