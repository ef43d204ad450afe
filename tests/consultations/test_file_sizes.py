"""File sizes are written as readers of each language write them: "1,2 kB" and "992 byte" in
Norwegian, "1.2 kB" and "992 bytes" in English; never "Bytes" in a Norwegian page."""

from __future__ import annotations

import re

import pytest

from hoering.templating import file_size
from tests.consultations.test_documents import pdf_bytes, upload


def test_a_documents_size_is_written_in_the_readers_style(app, browser_for, make_consultation, browser):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    content = pdf_bytes("Plankart") + b"\n%" + b"x" * 1500  # a comment after the end: a bigger PDF
    assert len(content) > 1000
    assert upload(officer, consultation, content, "plankart.pdf", "Plankart").status_code == 303
    norwegian = browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert re.search(r"\(PDF, \d+(,\d)?\xa0kB\)", norwegian) and "Bytes" not in norwegian
    browser.submit("/", "/sprak", data={"lang": "en", "next": "/"})
    english = browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert re.search(r"\(PDF, \d+(\.\d)?\xa0kB\)", english)


@pytest.mark.parametrize("language, size, written", [
    ("nb", 992, "992 byte"), ("en", 992, "992 bytes"), ("nb", 1, "1 byte"), ("en", 1, "1 byte"),
    ("nb", 1234, "1,2\xa0kB"), ("en", 1234, "1.2\xa0kB"), ("nn", 25_000_000, "25\xa0MB"), ("nb", 1_000, "1\xa0kB"),
])
def test_sizes_in_each_language(app, language, size, written):
    from hoering.i18n import in_language

    with app.test_request_context(), in_language(language):
        assert file_size(size) == written
