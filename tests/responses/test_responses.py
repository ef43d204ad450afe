"""Formal responses (høringssvar): the switch on a consultation, the public form, the
receipt, staff registration, screening and the public list, through HTTP."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import sqlalchemy as sa

from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from hoering.responses.models import FormalResponse, ScreeningEntry
from hoering.responses.orgnumber import is_valid_org_number
from tests.conftest import csrf_token_from
from tests.consultations.test_documents import docx_bytes, pdf_bytes


@pytest.fixture(autouse=True)
def document_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENT_DIR", str(tmp_path / "documents"))


def odt_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
    return out.getvalue()


def send(browser, slug: str, files=(), **fields):
    """Post the response form as a browser does; ``files`` are ``(bytes, name)`` pairs."""
    page = f"/hoeringer/{slug}/hoeringssvar/send"
    token = csrf_token_from(browser.get(page).get_data(as_text=True))
    data = {"csrf_token": token, "sender_name": "Kari Nordmann", "sender_email": "kari@example.org",
            "text": "Vi støtter forslaget, men ber om gang- og sykkelvei.", "consent": "yes", **fields}
    data["attachments"] = [(io.BytesIO(content), name) for content, name in files]
    return browser.client.post(page, data=data, content_type="multipart/form-data")


def responses_in_db(app) -> list[FormalResponse]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(FormalResponse).order_by(FormalResponse.id)))
        for row in rows:
            _ = row.attachments
        db.session.expunge_all()
        return rows


@pytest.mark.parametrize("number", ["974760673", "923609016", "991825827", "974 760 673"])
def test_real_organisation_numbers_pass_the_mod_11_rule(number):
    assert is_valid_org_number(number)


@pytest.mark.parametrize("number", ["974760672", "97476067", "9747606731", "abcdefghi", "", "١٢٣٤٥٦٧٨٩",
                                    "123456761"])  # the last: control digit 10, no such number
def test_malformed_organisation_numbers_are_refused(number):
    assert not is_valid_org_number(number)


def test_a_case_officer_switches_responses_on_and_the_page_offers_the_form(browser_for, make_consultation, client):
    consultation = make_consultation()
    assert "Send høringssvar" not in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    officer = browser_for("case_officer")
    edit = f"/saksbehandling/hoeringer/{consultation.slug}/rediger"
    form = officer.get(edit).get_data(as_text=True)
    assert 'name="accepts_responses"' in form
    data = {"title": consultation.title, "summary": "S", "language": "nb", "moderation_mode": "post",
            "opens_at": "2020-01-01T08:00", "deadline": consultation.closes_at.date().isoformat(),
            "publish": "y", "accepts_responses": "y"}
    with client.application.app_context():
        from hoering.consultations.models import Consultation
        from hoering.timeutil import to_oslo
        stored = db.session.get(Consultation, consultation.id)
        data["opens_at"] = to_oslo(stored.opens_at).strftime("%Y-%m-%dT%H:%M")
        data["deadline"] = stored.deadline.isoformat()
    assert officer.submit(edit, data=data).status_code == 303
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Send høringssvar" in page and f"/hoeringer/{consultation.slug}/hoeringssvar/send" in page


def test_no_form_where_responses_are_off_or_the_consultation_closed(make_consultation, browser):
    off = make_consultation()
    assert browser.get(f"/hoeringer/{off.slug}/hoeringssvar/send").status_code == 404
    closed = make_consultation(status="closed", accepts_responses=True)
    assert "Send høringssvar" not in browser.get(f"/hoeringer/{closed.slug}").get_data(as_text=True)
    response = send(browser, closed.slug)
    assert response.status_code == 403
    assert "Kari Nordmann" in response.get_data(as_text=True)  # what was typed comes back


def test_anyone_sends_a_response_with_attachments_and_gets_a_receipt(app, make_consultation, browser):
    consultation = make_consultation(accepts_responses=True)
    response = send(browser, consultation.slug, files=[(pdf_bytes(), "innspill.pdf"), (docx_bytes(), "vedlegg.docx"),
                                                       (odt_bytes(), "notat.odt")],
                    organisation_name="Brønnøysundregistrene", organisation_number="974760673",
                    on_behalf_of_organisation="y")
    assert response.status_code == 303, response.get_data(as_text=True)
    receipt_url = response.headers["Location"]
    [stored] = responses_in_db(app)
    assert re.fullmatch(r"HS-\d{4}-0001", stored.reference)
    assert stored.token in receipt_url and len(stored.token) >= 40
    assert sorted(a.filename for a in stored.attachments) == ["innspill.pdf", "notat.odt", "vedlegg.docx"]
    assert stored.state == "received" and stored.on_behalf_of_organisation
    page = browser.get(receipt_url)
    assert page.status_code == 200 and stored.reference in page.get_data(as_text=True)
    assert "no-store" in page.headers["Cache-Control"]
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail).where(OutboxMail.kind == "response_receipt"))
        assert mail.to_address == "kari@example.org" and stored.reference in mail.subject
        assert stored.token in mail.body
    # a second response gets the next number
    assert send(browser, consultation.slug).status_code == 303
    assert responses_in_db(app)[1].reference.endswith("-0002")


def test_a_logged_in_sender_finds_name_and_address_filled_in(browser_for, make_consultation):
    consultation = make_consultation(accepts_responses=True)
    citizen = browser_for("citizen", name="Ola Innbygger")
    page = citizen.get(f"/hoeringer/{consultation.slug}/hoeringssvar/send").get_data(as_text=True)
    assert 'value="Ola Innbygger"' in page and f'value="{citizen.user.email}"' in page


def test_every_error_is_shown_at_once_and_the_typing_comes_back(app, make_consultation, browser):
    consultation = make_consultation(accepts_responses=True)
    response = send(browser, consultation.slug, files=[(pdf_bytes(), "falsk.docx"), (b"MZ\x90\x00", "virus.pdf")],
                    sender_email="ikke-en-adresse", organisation_number="974760672", on_behalf_of_organisation="y",
                    consent="", text="Teksten min blir med tilbake")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Teksten min blir med tilbake" in page and 'value="974760672"' in page
    assert "not a valid organisation number" in page or "ikke et gyldig organisasjonsnummer" in page
    assert page.count('class="error"') >= 3  # e-mail, organisation name, consent
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert "virus.pdf" in summary  # the file that is no PDF is named; the PDF renamed .docx is fine
    assert "falsk" not in summary
    assert "choose your attachments again" in page.lower() or "velg vedleggene på nytt" in page.lower()
    assert responses_in_db(app) == []


def test_a_pdf_renamed_docx_is_stored_as_pdf_and_other_content_refused(app, make_consultation, browser):
    consultation = make_consultation(accepts_responses=True)
    refused = send(browser, consultation.slug, files=[(b"<html><script>alert(1)</script></html>", "brev.docx")])
    assert refused.status_code == 422 and responses_in_db(app) == []
    zip_only = io.BytesIO()
    with zipfile.ZipFile(zip_only, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")  # no word/document.xml: not a Word file
    refused = send(browser, consultation.slug, files=[(zip_only.getvalue(), "tom.docx")])
    assert refused.status_code == 422 and responses_in_db(app) == []
    accepted = send(browser, consultation.slug, files=[(pdf_bytes(), "egentlig-pdf.docx")])
    assert accepted.status_code == 303
    [stored] = responses_in_db(app)
    assert stored.attachments[0].mime == "application/pdf" and stored.attachments[0].filename == "egentlig-pdf.pdf"


def test_a_too_large_file_is_refused_with_the_form_back(app, make_consultation, browser, monkeypatch):
    monkeypatch.setitem(app.config, "RESPONSE_ATTACHMENT_MAX_BYTES", 2000)
    consultation = make_consultation(accepts_responses=True)
    response = send(browser, consultation.slug, files=[(pdf_bytes("x" * 5000) + b"0" * 3000, "stor.pdf")],
                    text="Dette skal ikke gå tapt")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Dette skal ikke gå tapt" in page and "stor" in page
    assert responses_in_db(app) == []


def test_too_many_bytes_together_are_refused(app, make_consultation, browser, monkeypatch):
    monkeypatch.setitem(app.config, "RESPONSE_ATTACHMENTS_MAX_TOTAL_BYTES", len(pdf_bytes()) + 10)
    consultation = make_consultation(accepts_responses=True)
    response = send(browser, consultation.slug, files=[(pdf_bytes("a"), "a.pdf"), (pdf_bytes("b"), "b.pdf")])
    assert response.status_code == 422 and responses_in_db(app) == []


def register(officer, slug: str, files=(), **fields):
    page = f"/saksbehandling/hoeringer/{slug}/hoeringssvar/ny"
    token = csrf_token_from(officer.get(page).get_data(as_text=True))
    data = {"csrf_token": token, "channel": "letter", "received_on": "2026-01-15", "sender_name": "Per Brevskriver",
            "text": "Innspill sendt i posten.", "consent": "no", **fields}
    data["attachments"] = [(io.BytesIO(content), name) for content, name in files]
    return officer.client.post(page, data=data, content_type="multipart/form-data")


def test_a_case_officer_registers_a_letter_with_its_scan(app, make_consultation, browser_for):
    consultation = make_consultation(accepts_responses=True)
    officer = browser_for("case_officer")
    response = register(officer, consultation.slug, files=[(pdf_bytes("skann"), "skann.pdf")])
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    [stored] = responses_in_db(app)
    assert stored.channel == "letter" and stored.registered_by_id == officer.user.id
    assert stored.reference.startswith("HS-2026-") and stored.received_at.date().isoformat() <= "2026-01-16"
    with app.app_context():
        assert db.session.scalar(sa.select(OutboxMail).where(OutboxMail.kind == "response_receipt")) is None


@pytest.mark.parametrize("role", ["citizen", "moderator"])
def test_only_case_officers_register_and_screen(make_consultation, browser_for, role):
    consultation = make_consultation(accepts_responses=True)
    other = browser_for(role)
    assert other.get(f"/saksbehandling/hoeringer/{consultation.slug}/hoeringssvar/ny").status_code == 403
    assert other.get(f"/saksbehandling/hoeringer/{consultation.slug}/hoeringssvar").status_code == 403


def screen(officer, response_id: int, **fields):
    return officer.submit(f"/saksbehandling/hoeringssvar/{response_id}", data=fields)


GROUND = "offentleglova § 13 jf. forvaltningsloven § 13 første ledd nr. 1 (personlige forhold)"


def test_screening_publishes_redacts_or_holds_back_and_the_log_remembers(app, make_consultation, browser,
                                                                         browser_for, client):
    consultation = make_consultation(accepts_responses=True)
    kart = pdf_bytes("kart")
    send(browser, consultation.slug, text="Helt offentlig tekst", sender_name="Anne Åpen")
    send(browser, consultation.slug, text="Naboen min Hemmelig Hansen er syk", sender_name="Redigert Person",
         files=[(pdf_bytes("legeerklæring"), "legeerklaering.pdf"), (kart, "kart.pdf")])
    send(browser, consultation.slug, text="Forretningshemmelig kalkyle", sender_name="Holdt Tilbake")
    send(browser, consultation.slug, text="Uten samtykke men publiserbar", sender_name="Ikke Samtykket",
         consent="no")
    ids = [r.id for r in responses_in_db(app)]
    officer = browser_for("case_officer")
    staff_list = officer.get(f"/saksbehandling/hoeringer/{consultation.slug}/hoeringssvar").get_data(as_text=True)
    assert staff_list.count("HS-") >= 4
    public = f"/hoeringer/{consultation.slug}/hoeringssvar"
    assert "Helt offentlig tekst" not in client.get(public).get_data(as_text=True)  # not screened: not shown

    assert screen(officer, ids[0], decision="published").status_code == 303
    refused = screen(officer, ids[1], decision="redacted", public_text="Naboen min [unntatt]")
    assert refused.status_code == 422 and "Naboen min [unntatt]" in refused.get_data(as_text=True)
    with app.app_context():
        attachment_ids = [a.id for a in db.session.get(FormalResponse, ids[1]).attachments]
    assert screen(officer, ids[1], decision="redacted", public_text="Naboen min [unntatt]", legal_ground=GROUND,
                  withhold=str(attachment_ids[0])).status_code == 303
    assert screen(officer, ids[2], decision="held_back",
                  legal_ground="offentleglova § 13 jf. forvaltningsloven § 13 første ledd nr. 2 "
                               "(forretningshemmeligheter)").status_code == 303
    assert screen(officer, ids[3], decision="published").status_code == 303

    page = client.get(public).get_data(as_text=True)
    assert "Helt offentlig tekst" in page and "Anne Åpen" in page
    assert "Naboen min [unntatt]" in page and "Hemmelig Hansen" not in page and GROUND in page
    assert "Forretningshemmelig kalkyle" not in page and "Holdt Tilbake" not in page
    assert "forretningshemmeligheter" in page
    assert "Uten samtykke men publiserbar" in page and "Ikke Samtykket" not in page
    assert "legeerklaering.pdf" not in page and "kart.pdf" in page
    assert client.get(f"/hoeringssvar/vedlegg/{attachment_ids[0]}/legeerklaering.pdf").status_code == 404
    download = client.get(f"/hoeringssvar/vedlegg/{attachment_ids[1]}/kart.pdf")
    try:
        assert download.status_code == 200 and download.get_data() == kart
    finally:
        download.close()
    detail = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "3 published responses" in detail or "3 publiserte høringssvar" in detail

    assert screen(officer, ids[0], decision="held_back", legal_ground="offentleglova § 24 andre ledd").status_code == 303
    with app.app_context():
        log = list(db.session.scalars(sa.select(ScreeningEntry).where(ScreeningEntry.response_id == ids[0])))
        assert [e.decision for e in log] == ["published", "held_back"] and log[0].actor_id == officer.user.id
    assert "Helt offentlig tekst" not in client.get(public).get_data(as_text=True)


def test_the_receipt_needs_its_token(app, make_consultation, browser, client):
    consultation = make_consultation(accepts_responses=True)
    send(browser, consultation.slug)
    [stored] = responses_in_db(app)
    assert client.get(f"/hoeringssvar/kvittering/{stored.reference}").status_code == 404
    assert client.get("/hoeringssvar/kvittering/" + "x" * 500).status_code == 404


def test_an_unknown_legal_ground_is_refused(app, make_consultation, browser, browser_for):
    consultation = make_consultation(accepts_responses=True)
    send(browser, consultation.slug)
    [stored] = responses_in_db(app)
    response = screen(browser_for("case_officer"), stored.id, decision="held_back", legal_ground="fordi")
    assert response.status_code == 422


def test_the_form_is_rate_limited_and_keeps_what_was_typed(app, make_consultation, browser, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_RESPONSES", "2 per minute")
    consultation = make_consultation(accepts_responses=True)
    assert [send(browser, consultation.slug).status_code for _ in range(2)] == [303, 303]
    limited = send(browser, consultation.slug, text="Dette må ikke forsvinne")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "Dette må ikke forsvinne" in limited.get_data(as_text=True)
    assert len(responses_in_db(app)) == 2


def test_the_cached_consultation_page_counts_a_response_once_it_is_screened(app, make_consultation, browser,
                                                                            browser_for, client):
    consultation = make_consultation(accepts_responses=True)
    send(browser, consultation.slug, text="Snart publisert")
    assert "0 publiserte høringssvar" in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    [stored] = responses_in_db(app)
    assert screen(browser_for("case_officer"), stored.id, decision="published").status_code == 303
    assert "1 publisert høringssvar" in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)


def test_a_request_larger_than_any_allowed_comes_back_as_the_form(app, make_consultation, browser, monkeypatch):
    monkeypatch.setitem(app.config, "RESPONSE_ATTACHMENT_MAX_BYTES", 1000)
    monkeypatch.setitem(app.config, "RESPONSE_ATTACHMENTS_MAX_TOTAL_BYTES", 1000)
    consultation = make_consultation(accepts_responses=True)
    page_url = f"/hoeringer/{consultation.slug}/hoeringssvar/send"
    token = csrf_token_from(browser.get(page_url).get_data(as_text=True))
    boundary = "respons-grense"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="enorm.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n").encode() + b"%PDF-1.4\n" + b"0" * 6_000_000 \
        + f"\r\n--{boundary}--\r\n".encode()
    response = browser.client.post(page_url, input_stream=io.BytesIO(body), content_length=len(body),
                                   content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert 'name="sender_name"' in page and "MB" in page
    assert responses_in_db(app) == []


def test_a_request_over_the_limit_but_readable_keeps_what_was_typed(app, make_consultation, browser, monkeypatch):
    monkeypatch.setitem(app.config, "RESPONSE_ATTACHMENT_MAX_BYTES", 1000)
    monkeypatch.setitem(app.config, "RESPONSE_ATTACHMENTS_MAX_TOTAL_BYTES", 1000)
    consultation = make_consultation(accepts_responses=True)
    page_url = f"/hoeringer/{consultation.slug}/hoeringssvar/send"
    token = csrf_token_from(browser.get(page_url).get_data(as_text=True))
    boundary = "respons-grense"
    fields = {"csrf_token": token, "sender_name": "Kari Lang", "sender_email": "kari@example.org",
              "text": "En lang tekst som ikke må gå tapt", "consent": "yes"}
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                   for name, value in fields.items()).encode()
    # over the request limit (about 1 MB here), under four times it; built here, not spooled by the test client
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="stor.pdf"\r\n'
             f"Content-Type: application/pdf\r\n\r\n").encode() + b"%PDF-1.4\n" + b"0" * 2_000_000 \
        + f"\r\n--{boundary}--\r\n".encode()
    response = browser.client.post(page_url, input_stream=io.BytesIO(body), content_length=len(body),
                                   content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "En lang tekst som ikke må gå tapt" in page and "Kari Lang" in page and "stor" in page
    assert responses_in_db(app) == []


@pytest.mark.parametrize("fields", [
    {"sender_name": "\x00", "text": "\x00\x00"},
    {"organisation_number": "9" * 500, "on_behalf_of_organisation": "y"},
    {"sender_name": "Ola\u202eNordmann"},
    {"consent": "kanskje"},
    {"sender_email": "a@b.c" * 100},
])
def test_hostile_input_gets_a_message_never_a_500(app, make_consultation, browser, fields):
    consultation = make_consultation(accepts_responses=True)
    response = send(browser, consultation.slug, **fields)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert responses_in_db(app) == []


def test_a_letter_from_a_year_out_of_range_is_refused_with_the_form(app, make_consultation, browser_for):
    consultation = make_consultation(accepts_responses=True)
    response = register(browser_for("case_officer"), consultation.slug, received_on="1066-10-14")
    assert response.status_code == 422 and "Per Brevskriver" in response.get_data(as_text=True)
    future = register(browser_for("case_officer"), consultation.slug, received_on="2199-01-01")
    assert future.status_code == 422 and responses_in_db(app) == []
