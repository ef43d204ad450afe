"""Formal responses where they leave the pages: the API, the exports, the report and search.
A response held back never shows its text or sender there; a redacted one only its public version."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from hoering.extensions import db
from hoering.responses.models import FormalResponse
from tests.responses.test_responses import GROUND, screen, send

HELD_GROUND = "offentleglova § 24 andre ledd"


@pytest.fixture
def screened(app, make_consultation, browser, browser_for):
    """A consultation with a published, a redacted, a held-back and an unscreened response."""
    consultation = make_consultation(accepts_responses=True)
    send(browser, consultation.slug, text="Publisert innspill om fotballbane", sender_name="Idrettslaget",
         organisation_name="Fjordvik IL", organisation_number="974760673", on_behalf_of_organisation="y")
    send(browser, consultation.slug, text="Sensurert Syknavn og fotballbane", sender_name="Redigert Rita")
    send(browser, consultation.slug, text="Tilbakeholdt hemmelighet fotballbane", sender_name="Skjult Sverre")
    send(browser, consultation.slug, text="Uscreenet tekst fotballbane", sender_name="Ventende Vera")
    with app.app_context():
        ids = list(db.session.scalars(sa.select(FormalResponse.id).order_by(FormalResponse.id)))
    officer = browser_for("case_officer")
    assert screen(officer, ids[0], decision="published").status_code == 303
    assert screen(officer, ids[1], decision="redacted", public_text="[unntatt] og fotballbane",
                  legal_ground=GROUND).status_code == 303
    assert screen(officer, ids[2], decision="held_back", legal_ground=HELD_GROUND).status_code == 303
    return consultation, officer


SECRETS = ("Sensurert Syknavn", "Tilbakeholdt hemmelighet", "Skjult Sverre", "Uscreenet tekst", "Ventende Vera",
           "kari@example.org")


def assert_no_secrets(text: str):
    for secret in SECRETS:
        assert secret not in text, secret


def test_the_api_lists_only_published_public_versions(screened, client):
    consultation, _officer = screened
    answer = client.get(f"/api/v1/consultations/{consultation.slug}/responses")
    assert answer.status_code == 200
    data = answer.get_json()
    assert data["total"] == 2 and data["held_back"] == 1
    first, second = data["items"]
    assert first["sender"] == "Fjordvik IL" and first["organisation_number"] == "974760673"
    assert first["text"] == "Publisert innspill om fotballbane" and not first["parts_removed"]
    assert second["text"] == "[unntatt] og fotballbane" and second["parts_removed"] and second["legal_ground"] == GROUND
    assert_no_secrets(answer.get_data(as_text=True))
    assert client.get("/api/v1/consultations/finnes-ikke/responses").status_code == 404


def test_the_openapi_document_describes_the_responses(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/consultations/{slug}/responses" in document["paths"]
    assert "FormalResponse" in document["components"]["schemas"]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_exports_hold_only_what_may_be_published(screened, fmt):
    consultation, officer = screened
    answer = officer.get(f"/saksbehandling/hoeringer/{consultation.slug}/hoeringssvar.{fmt}")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "Publisert innspill om fotballbane" in text and "[unntatt] og fotballbane" in text
    assert HELD_GROUND in text and text.count("HS-") == 4
    assert_no_secrets(text)
    if fmt == "json":
        assert len(json.loads(text)["responses"]) == 4


def test_the_xlsx_export_has_a_sheet_of_responses(screened, app, monkeypatch):
    monkeypatch.setitem(app.config, "ISOLATION_FORK", False)
    consultation, officer = screened
    answer = officer.get(f"/saksbehandling/hoeringer/{consultation.slug}/hoeringssvar.xlsx")
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.get_data())) as workbook:
        strings = workbook.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in workbook.namelist() \
            else "".join(workbook.read(n).decode() for n in workbook.namelist() if n.startswith("xl/worksheets/"))
    assert "Publisert innspill om fotballbane" in strings
    assert_no_secrets(strings)


def test_the_report_has_a_section_on_responses(screened, app, monkeypatch):
    monkeypatch.setitem(app.config, "ISOLATION_FORK", False)
    consultation, officer = screened
    page = officer.get(f"/hoeringer/{consultation.slug}/rapport").get_data(as_text=True)
    assert "report-responses" in page and "Publisert innspill om fotballbane" in page and HELD_GROUND in page
    assert_no_secrets(page)
    docx = officer.get(f"/saksbehandling/hoeringer/{consultation.slug}/rapport.docx")
    assert docx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(docx.get_data())) as document:
        body = document.read("word/document.xml").decode()
    assert "Publisert innspill om fotballbane" in body and "HS-" in body
    assert_no_secrets(body)


def test_the_pdf_report_has_the_section_too(screened, app, monkeypatch):
    from pypdf import PdfReader

    monkeypatch.setitem(app.config, "ISOLATION_FORK", False)
    consultation, officer = screened
    answer = officer.get(f"/saksbehandling/hoeringer/{consultation.slug}/rapport.pdf")
    assert answer.status_code == 200
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.get_data())).pages).split())
    assert "HS-" in text and "Publisert innspill om fotballbane" in text and "24 andre ledd" in text
    assert_no_secrets(text)


def test_case_officers_tag_responses_with_themes_and_the_report_counts_them(screened, app, browser_for,
                                                                            monkeypatch):
    from hoering.summaries.models import Theme

    monkeypatch.setitem(app.config, "ISOLATION_FORK", False)
    consultation, officer = screened
    with app.app_context():
        themes = [Theme(consultation_id=consultation.id, name=name) for name in ("Trafikksikkerhet", "Idrett")]
        db.session.add_all(themes)
        db.session.commit()
        theme_ids = [t.id for t in themes]
        first = db.session.scalar(sa.select(FormalResponse.id).order_by(FormalResponse.id))
    url = f"/saksbehandling/hoeringssvar/{first}/temaer"
    assert "Trafikksikkerhet" in officer.get(f"/saksbehandling/hoeringssvar/{first}").get_data(as_text=True)
    assert officer.submit(f"/saksbehandling/hoeringssvar/{first}", url,
                          data={"theme": [str(i) for i in theme_ids]}).status_code == 303
    assert browser_for("moderator").submit("/", url, data={"theme": str(theme_ids[0])}).status_code == 403
    export = officer.get(f"/saksbehandling/hoeringer/{consultation.slug}/hoeringssvar.csv").get_data(as_text=True)
    assert "Idrett; Trafikksikkerhet" in export
    page = officer.get(f"/hoeringer/{consultation.slug}/rapport").get_data(as_text=True)
    assert "Trafikksikkerhet" in page and ("Tema «Idrett»: 1" in page or "Theme “Idrett”: 1" in page)
    assert officer.submit(f"/saksbehandling/hoeringssvar/{first}", url, data={"theme": "999999"}).status_code == 303
    with app.app_context():  # a theme of no response's consultation is refused; deleting a theme drops its tags
        from hoering.responses.analysis import theme_ids_of

        assert theme_ids_of(first) == set(theme_ids)
        db.session.delete(db.session.get(Theme, theme_ids[0]))
        db.session.commit()
        assert theme_ids_of(first) == {theme_ids[1]}


def test_the_staff_list_shows_the_unscreened_first_and_filters(screened):
    consultation, officer = screened
    base = f"/saksbehandling/hoeringer/{consultation.slug}/hoeringssvar"
    everything = officer.get(base).get_data(as_text=True)
    assert everything.index("Ventende Vera") < everything.index("Idrettslaget")  # not screened comes first
    received = officer.get(base + "?status=received").get_data(as_text=True)
    assert "Ventende Vera" in received and "Idrettslaget" not in received
    held = officer.get(base + "?status=held_back").get_data(as_text=True)
    assert "Skjult Sverre" in held and "Ventende Vera" not in held
    assert officer.get(base + "?status=%00").status_code == 200
