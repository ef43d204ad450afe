"""Documents: the type is read from the content, files are stored by hash outside the web
root and served with safe headers; only case officers attach them. Each test that stores
a document runs on the local folder and on S3 (``document_store``, tests/consultations/conftest.py)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest


def pdf_bytes(text: str = "Planbeskrivelse") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def docx_bytes() -> bytes:
    from docx import Document

    out = io.BytesIO()
    Document().save(out)
    return out.getvalue()


def upload(browser, consultation, content: bytes, name: str, title: str = ""):
    """Post the upload form as a browser does (multipart/form-data, built here in memory)."""
    return post_upload(browser, f"/saksbehandling/hoeringer/{consultation.slug}/rediger",
                       f"/saksbehandling/hoeringer/{consultation.slug}/dokumenter", content, name, {"title": title})


def post_upload(browser, page: str, action: str, content: bytes, name: str, fields: dict):
    """Post an upload form found on ``page`` to ``action`` with the file field ``file`` and
    ``fields``, as a browser does (multipart/form-data built in memory: the test client would
    spool a large body to a temporary file it never closes)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(page).get_data(as_text=True)).group(1)
    boundary = "hoering-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"\r\n\r\n{value}\r\n'.encode()
             for field, value in (("csrf_token", token), *fields.items())]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return browser.client.post(action, input_stream=io.BytesIO(body), content_length=len(body),
                               content_type=f"multipart/form-data; boundary={boundary}")


def test_a_pdf_is_attached_stored_by_hash_and_served_safely(browser_for, make_consultation, client, document_store):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    content = pdf_bytes()
    response = upload(officer, consultation, content, "Planbeskrivelse v2.PDF", "Planbeskrivelse")
    assert response.status_code == 303
    assert document_store.files() == [content]
    assert not any("static" in location for location in document_store.locations())
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    link = re.search(r'href="(/dokumenter/\d+/[^"]+)">Planbeskrivelse</a>', page).group(1)
    assert link.endswith("/Planbeskrivelse%20v2.pdf") or link.endswith("/Planbeskrivelse v2.pdf")
    served = client.get(link)
    assert served.status_code == 200 and served.get_data() == content
    served.close()
    assert served.mimetype == "application/pdf"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["Content-Disposition"].startswith("attachment")  # no PDF viewer under a sandbox
    again = upload(officer, consultation, content, "igjen.pdf")  # the same file: kept once, and said so
    assert "allerede lagt ved" in officer.get(again.headers["Location"]).get_data(as_text=True)
    assert len(document_store.files()) == 1


def test_file_names_lose_folders_and_odd_characters():
    from hoering.consultations.documents import clean_filename

    assert clean_filename("C:\\Saker\\Plan v2.PDF", "pdf") == "Plan v2.pdf"
    assert clean_filename("../../etc/passwd", "pdf") == "passwd.pdf"
    assert clean_filename('a<b>:"c".docx', "docx") == "a-b-c-.docx"
    assert clean_filename("", "png") == "dokument.png"


def test_office_files_are_downloaded_not_shown(browser_for, make_consultation, client, document_store):
    consultation = make_consultation()
    upload(browser_for("case_officer"), consultation, docx_bytes(), "notat.docx", "Notat")
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    link = re.search(r'href="(/dokumenter/\d+/[^"]+)">Notat</a>', page).group(1)
    served = client.get(link)
    served.close()
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize("content, name", [
    (b"<html><script>alert(1)</script></html>", "planbeskrivelse.pdf"),
    (b"MZ\x90\x00" + b"\x00" * 100, "vedlegg.docx"),
    (b"GIF89a" + b"\x00" * 20, "bilde.png"),
    (b"", "tom.pdf"),
])
def test_a_file_whose_content_is_not_an_accepted_type_is_refused(browser_for, make_consultation, client, content,
                                                                 name, document_store, app):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    response = upload(officer, consultation, content, name)
    assert response.status_code == 303
    follow = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "kan legges ved" in follow or "Filen er tom" in follow
    assert document_store.files() == []


def test_a_zip_that_is_not_an_office_file_is_refused(browser_for, make_consultation, document_store):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("virus.exe", "MZ")
    response = upload(browser_for("case_officer"), make_consultation(), out.getvalue(), "rapport.xlsx")
    assert response.status_code == 303
    assert document_store.files() == []


def test_a_zip_with_a_telling_first_entry_is_not_an_office_file(browser_for, make_consultation, document_store):
    for entries in ([("word/evil.html", "<script>alert(1)</script>")],
                    [("[Content_Types].xml", "<Types/>"), ("xl/x", "x" * 1000)]):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in entries:
                archive.writestr(name, data)
        upload(browser_for("case_officer"), make_consultation(), out.getvalue(), "rapport.docx")
    assert document_store.files() == []


def test_a_refused_title_leaves_no_file_behind(browser_for, make_consultation, document_store):
    response = upload(browser_for("case_officer"), make_consultation(), pdf_bytes(), "plan.pdf", "Plan \u202egnirts")
    assert response.status_code == 303
    assert document_store.files() == []


def test_the_size_limit_is_configurable(browser_for, make_consultation, app, monkeypatch, document_store):
    monkeypatch.setitem(app.config, "DOCUMENT_MAX_BYTES", 2000)
    officer = browser_for("case_officer")
    consultation = make_consultation()
    response = upload(officer, consultation, pdf_bytes("x" * 50) + b"%" * 5000, "stor.pdf")
    follow = officer.get(response.headers["Location"]).get_data(as_text=True) if response.status_code == 303 else ""
    assert response.status_code in (303, 413) and ("større enn" in follow or response.status_code == 413)
    assert document_store.files() == []
    # More than the global request limit of 1 MB, less than the default document limit.
    monkeypatch.setitem(app.config, "DOCUMENT_MAX_BYTES", 25 * 1024 * 1024)
    big = pdf_bytes() + b"%" * (2 * 1024 * 1024)
    assert upload(officer, consultation, big, "plan.pdf").status_code == 303
    assert document_store.files()


def test_documents_of_drafts_are_not_public_and_only_case_officers_attach(browser_for, make_consultation, client,
                                                                         document_store):
    draft = make_consultation(status="draft")
    officer = browser_for("case_officer")
    upload(officer, draft, pdf_bytes(), "utkast.pdf", "Utkast")
    page = officer.get(f"/hoeringer/{draft.slug}").get_data(as_text=True)
    link = re.search(r'href="(/dokumenter/\d+/[^"]+)">Utkast</a>', page).group(1)
    seen = officer.get(link)
    seen.close()
    assert seen.status_code == 200 and seen.headers["Cache-Control"] == "private, no-store"
    assert client.get(link).status_code == 404
    citizen = browser_for()
    refused = citizen.client.post(f"/saksbehandling/hoeringer/{draft.slug}/dokumenter", data={"title": "x"})
    assert refused.status_code == 403
    document_id = re.search(r"/dokumenter/(\d+)/", link).group(1)
    assert citizen.submit("/", f"/saksbehandling/dokumenter/{document_id}/slett").status_code == 403
    assert officer.submit(f"/saksbehandling/hoeringer/{draft.slug}/rediger",
                          f"/saksbehandling/dokumenter/{document_id}/slett").status_code == 303
    assert officer.get(link).status_code == 404
    assert document_store.files() == []
