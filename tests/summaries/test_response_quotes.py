"""Formal responses (høringssvar) quoted in the summary ("Dette har vi hørt"): picked in the
editor, shown on the consultation page, in the report and in the API with only their public
version and their sender as the public list names them; a response held back later, or
of a consultation taken back to draft, never shows through a quote."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.responses.models import FormalResponse
from hoering.timeutil import utcnow
from tests.responses.test_responses import GROUND, screen, send
from tests.summaries.test_themes_and_summary import create_theme, summary_data, theme_id

SECRET = "Hemmelig Hansen"


@pytest.fixture
def scene(app, make_consultation, browser, browser_for):
    """A closed consultation with a response published on behalf of an organisation (tagged
    "Idrett"), one published with parts removed, and one not screened yet."""
    consultation = make_consultation(accepts_responses=True)
    send(browser, consultation.slug, text="Idrettslaget ønsker kunstgress ved skolen", sender_name="Ola Leder",
         organisation_name="Fjordvik IL", organisation_number="974760673", on_behalf_of_organisation="y")
    send(browser, consultation.slug, text=f"Naboen {SECRET} er syk. Vi ønsker mer lys langs vegen.",
         sender_name="Rita Redigert")
    send(browser, consultation.slug, text="Uscreenet svar om skolen", sender_name="Vera Venter")
    with app.app_context():
        ids = list(db.session.scalars(sa.select(FormalResponse.id).order_by(FormalResponse.id)))
        refs = list(db.session.scalars(sa.select(FormalResponse.reference).order_by(FormalResponse.id)))
    officer = browser_for("case_officer")
    assert screen(officer, ids[0], decision="published").status_code == 303
    assert screen(officer, ids[1], decision="redacted", public_text="[unntatt] Vi ønsker mer lys langs vegen.",
                  legal_ground=GROUND).status_code == 303
    moderator = browser_for("moderator")
    create_theme(moderator, consultation, "Idrett")
    idrett = theme_id(app, "Idrett")
    assert officer.submit(f"/saksbehandling/hoeringssvar/{ids[0]}", f"/saksbehandling/hoeringssvar/{ids[0]}/temaer",
                          data={"theme": str(idrett)}).status_code == 303
    with app.app_context():  # the deadline has passed: the summary may be published
        db.session.execute(sa.update(Consultation).where(Consultation.id == consultation.id)
                           .values(closes_at=utcnow() - dt.timedelta(days=1)))
        db.session.commit()
    return consultation, moderator, officer, idrett, ids, refs


def publish_with_response_quotes(moderator, consultation, idrett, ids, **extra):
    return summary_data(moderator, consultation, overview="Mange svarte.", action="publish",
                        **{"overview_quotes": "", "overview-response": str(ids[1]), f"theme-{idrett}-text": "Idretten vil ha baner.",
                           f"theme-{idrett}-response": str(ids[0]), **extra})


def heard(client, consultation) -> str:
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    return page.split('id="heard-heading"')[1].split('id="comments-heading"')[0]


def test_the_editor_offers_published_responses_overall_and_the_tagged_ones_under_their_theme(scene):
    consultation, moderator, _officer, idrett, ids, refs = scene
    page = moderator.get(f"/moderering/hoeringer/{consultation.slug}/oppsummering").get_data(as_text=True)
    overall = re.findall(r'name="overview-response" value="(\d+)"', page)
    under_theme = re.findall(rf'name="theme-{idrett}-response" value="(\d+)"', page)
    assert overall == [str(ids[0]), str(ids[1])] and under_theme == [str(ids[0])]
    assert "[unntatt] Vi ønsker mer lys" in page and "Fjordvik IL" in page
    assert SECRET not in page and "Uscreenet svar" not in page and refs[2] not in page


def test_quoted_responses_show_their_public_version_sender_and_link(scene, client):
    consultation, moderator, _officer, idrett, ids, refs = scene
    assert publish_with_response_quotes(moderator, consultation, idrett, ids).status_code == 303

    part = heard(client, consultation)
    assert "[unntatt] Vi ønsker mer lys langs vegen." in part and SECRET not in part
    assert "Idrettslaget ønsker kunstgress ved skolen" in part and "Fjordvik IL" in part
    assert "Ola Leder" not in part  # sent on the organisation's behalf: the organisation is named
    assert f'href="/hoeringer/{consultation.slug}/hoeringssvar#{refs[0]}"' in part
    assert f"høringssvar {refs[1]}" in part and "publisert med deler fjernet" in part
    theme_part = part.split('id="heard-theme-')[1]
    assert "kunstgress" in theme_part and "mer lys" not in theme_part  # each quote where it was put
    editor = moderator.get(f"/moderering/hoeringer/{consultation.slug}/oppsummering").get_data(as_text=True)
    assert re.search(rf'name="overview-response" value="{ids[1]}" id="[^"]+" checked', editor)
    assert re.search(rf'name="theme-{idrett}-response" value="{ids[0]}" id="[^"]+" checked', editor)


def test_the_api_gives_quoted_responses_with_their_kind_and_public_text(scene, client, app):
    consultation, moderator, _officer, idrett, ids, refs = scene
    publish_with_response_quotes(moderator, consultation, idrett, ids)
    answer = client.get(f"/api/v1/consultations/{consultation.slug}")
    summary = answer.get_json()["summary"]
    assert summary["quotes"] == [{
        "kind": "response", "reference": refs[1], "author": "Rita Redigert",
        "text": "[unntatt] Vi ønsker mer lys langs vegen.", "parts_removed": True,
        "url": f"{app.config['SITE_URL'].rstrip('/')}/hoeringer/{consultation.slug}/hoeringssvar#{refs[1]}"}]
    theme_quote = summary["themes"][0]["quotes"][0]
    assert theme_quote["kind"] == "response" and theme_quote["author"] == "Fjordvik IL"
    assert SECRET not in answer.get_data(as_text=True)


def test_the_report_prints_quoted_responses_in_html_docx_and_pdf(scene, client):
    from docx import Document
    from pypdf import PdfReader

    consultation, moderator, officer, idrett, ids, refs = scene
    publish_with_response_quotes(moderator, consultation, idrett, ids)

    page = client.get(f"/hoeringer/{consultation.slug}/rapport").get_data(as_text=True)
    assert f">høringssvar {refs[0]}</a>" in page and "Fjordvik IL" in page
    assert "[unntatt] Vi ønsker mer lys" in page and SECRET not in page
    docx = Document(io.BytesIO(officer.get(f"/saksbehandling/hoeringer/{consultation.slug}/rapport.docx").get_data()))
    text = "\n".join(p.text for p in docx.paragraphs)
    assert "Idrettslaget ønsker kunstgress ved skolen" in text and f"høringssvar {refs[0]}" in text
    assert SECRET not in text
    pdf = PdfReader(io.BytesIO(officer.get(f"/saksbehandling/hoeringer/{consultation.slug}/rapport.pdf").get_data()))
    pdf_text = "\n".join(p.extract_text() for p in pdf.pages)
    assert f"høringssvar {refs[1]}" in pdf_text and SECRET not in pdf_text


def test_only_published_responses_of_the_consultation_can_be_quoted(scene, make_consultation, browser,
                                                                    browser_for, app):
    consultation, moderator, _officer, idrett, ids, refs = scene
    response = publish_with_response_quotes(moderator, consultation, idrett, ids,
                                            **{"overview-response": [str(ids[1]), str(ids[2])]})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"ikke: {refs[2]}" in html and "Mange svarte." in html  # named, and the text kept


def test_a_response_held_back_later_drops_out_of_the_summary_and_the_editor_says_so(scene, client):
    consultation, moderator, officer, idrett, ids, refs = scene
    publish_with_response_quotes(moderator, consultation, idrett, ids)
    assert "kunstgress" in heard(client, consultation)

    assert screen(officer, ids[0], decision="held_back", legal_ground=GROUND).status_code == 303

    assert "kunstgress" not in heard(client, consultation) and "mer lys" in heard(client, consultation)
    api = client.get(f"/api/v1/consultations/{consultation.slug}").get_data(as_text=True)
    assert "kunstgress" not in api and "Fjordvik IL" not in api
    assert "kunstgress" not in client.get(f"/hoeringer/{consultation.slug}/rapport").get_data(as_text=True)
    editor = moderator.get(f"/moderering/hoeringer/{consultation.slug}/oppsummering").get_data(as_text=True)
    assert f"Siterte høringssvar som ikke lenger er publisert, ble tatt ut: {refs[0]}" in editor
    assert f'value="{ids[0]}"' not in editor


def test_a_quote_does_not_outlive_its_theme_tag_or_the_consultations_publication(scene, client, app):
    consultation, moderator, officer, idrett, ids, refs = scene
    publish_with_response_quotes(moderator, consultation, idrett, ids)
    officer.submit(f"/saksbehandling/hoeringssvar/{ids[0]}", f"/saksbehandling/hoeringssvar/{ids[0]}/temaer",
                   data={})
    assert "kunstgress" not in heard(client, consultation)  # untagged: no longer under the theme
    report = f"/saksbehandling/hoeringer/{consultation.slug}/rapport.docx"
    assert f"høringssvar {refs[1]}" in docx_text(officer.get(report).get_data())

    with app.app_context():
        db.session.execute(sa.update(Consultation).where(Consultation.id == consultation.id).values(published_at=None))
        db.session.commit()
    # Taken back to draft: even the staff's report of the draft quotes no response.
    docx = officer.get(report)
    assert docx.status_code == 200 and f"høringssvar {refs[1]}" not in docx_text(docx.get_data())
    assert client.get(f"/api/v1/consultations/{consultation.slug}").status_code == 404


def docx_text(data: bytes) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_the_api_answer_with_both_kinds_of_quote_matches_the_openapi_document(scene, client, app, make_comment,
                                                                               make_user):
    from tests.api.test_openapi import _operations

    consultation, moderator, _officer, idrett, ids, _refs = scene
    comment = make_comment(consultation, make_user(name="Kari"), "Et innspill om lys")
    publish_with_response_quotes(moderator, consultation, idrett, ids, overview_quotes=str(comment.id))
    data = client.get(f"/api/v1/consultations/{consultation.slug}").get_json()
    assert [q["kind"] for q in data["summary"]["quotes"]] == ["comment", "response"]

    operation = next(op for op in _operations(app) if op.definition.raw["operationId"] == "getConsultation")
    assert operation.Case(path_parameters={"slug": consultation.slug}).call_and_validate().status_code == 200


def test_the_database_refuses_a_quote_of_both_or_neither_and_a_response_quoted_twice(
        scene, app, make_comment, make_user):
    from hoering.summaries.models import Summary, SummaryQuote

    consultation, moderator, _officer, idrett, ids, _refs = scene
    comment = make_comment(consultation, make_user(), "Et innspill")
    publish_with_response_quotes(moderator, consultation, idrett, ids)
    with app.app_context():
        summary_id = db.session.scalar(sa.select(Summary.id).where(Summary.consultation_id == consultation.id))
        for row in ({"theme_id": idrett, "response_id": ids[0]},  # already quoted under "Idrett"
                    {"theme_id": None, "response_id": ids[1]},  # already quoted in the overall part
                    {"theme_id": None},  # neither a comment nor a response
                    {"theme_id": None, "response_id": ids[1], "comment_id": comment.id}):  # both
            db.session.add(SummaryQuote(summary_id=summary_id, position=9, **row))
            with pytest.raises(sa.exc.IntegrityError):
                db.session.flush()
            db.session.rollback()
        db.session.add(SummaryQuote(summary_id=summary_id, position=9, theme_id=None, response_id=ids[0]))
        db.session.flush()  # the same response may be quoted overall as well as under its theme
        db.session.rollback()
