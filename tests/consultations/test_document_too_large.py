"""A document that is too large (413) brings the upload form back with the title that was
typed and a clear message at the file field; nothing is stored."""

from __future__ import annotations

import pytest

from tests.consultations.test_documents import pdf_bytes, upload


@pytest.mark.parametrize("document_store", ["local"], indirect=True)
def test_a_document_that_is_too_large_brings_the_form_back_with_its_title(browser_for, make_consultation, app,
                                                                          monkeypatch, document_store):
    monkeypatch.setitem(app.config, "DOCUMENT_MAX_BYTES", 2 * 1024 * 1024)
    officer = browser_for("case_officer")
    consultation = make_consultation()
    big = pdf_bytes() + b"%" * (3 * 1024 * 1024)  # over the limit, and over the 1 MB of any other form
    response = upload(officer, consultation, big, "plan.pdf", "Planbeskrivelse med kart")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert 'id="document-title" type="text" name="title" maxlength="200" value="Planbeskrivelse med kart"' in html
    assert 'id="document-file-error" role="alert">Filen er større enn 2 MB, som er det største' in html
    assert 'aria-invalid="true"' in html and "<h2 id=\"documents-heading\">" in html
    assert document_store.files() == []
    # Far larger than is read at all: the form and the message still, without the title.
    huge = pdf_bytes() + b"%" * (9 * 1024 * 1024)
    response = upload(officer, consultation, huge, "plan.pdf", "Kart")
    assert response.status_code == 413 and "Filen er større enn 2 MB" in response.get_data(as_text=True)
    assert document_store.files() == []
