"""The document store: the same interface on a local folder and on S3; documents streamed
through the app with the headers a file had; a store that does not answer is a 503 in the
user's language (the upload form kept, no document row), never a 500."""

from __future__ import annotations

import hashlib
import io
import logging
import re

import pytest
import sqlalchemy as sa

from hoering import ConfigurationError, create_app
from hoering.consultations.models import Document
from hoering.extensions import db
from hoering.storage import LocalStorage, NotStored, StorageError, get_storage, settings_problems
from tests.consultations.conftest import S3_BUCKET, use_s3
from tests.consultations.test_documents import pdf_bytes, upload

#: A port nothing listens on: an S3 store that is down.
UNREACHABLE = "http://127.0.0.1:9"
UNAVAILABLE_UPLOAD = "dokumentlageret svarer ikke"


def key_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def document_rows() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Document))


def heard(app, monkeypatch) -> None:
    """Let the app's log reach ``caplog`` (the test database's Alembic migrations switch
    existing loggers off when they set up their own logging)."""
    monkeypatch.setattr(app.logger, "disabled", False)


def store_unreachable(app, monkeypatch) -> None:
    """S3 settings whose endpoint refuses connections, tried once."""
    pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    use_s3(app, monkeypatch, S3_ENDPOINT_URL=UNREACHABLE, S3_ADDRESSING_STYLE="path", S3_CONNECT_TIMEOUT_SECONDS=1)


def attached_link(browser, consultation, title: str) -> str:
    page = browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    return re.search(rf'href="(/dokumenter/\d+/[^"]+)">{title}</a>', page).group(1)


def test_the_interface_is_the_same_on_either_store(app, document_store):
    content, other = b"%PDF-1.4 first", b"%PDF-1.4 second"
    with app.test_request_context():
        store = get_storage()
        assert store.kind == document_store.kind
        key = key_of(content)
        assert not store.exists(key)
        with pytest.raises(NotStored):
            store.open(key)
        store.put(key, io.BytesIO(content))
        store.put(key, io.BytesIO(content))  # again: replaced, still one
        assert store.exists(key)
        with store.open(key) as stored:
            assert stored.read() == content and stored.size == len(content) and stored.modified is not None
        store.put(key_of(other), io.BytesIO(other))
        assert sorted(document_store.files()) == sorted([content, other])
        store.delete(key)
        store.delete(key)  # nothing there: nothing happens
        assert not store.exists(key) and document_store.files() == [other]
        for bad in ("../../etc/passwd", key.upper(), key[:-1], ""):
            with pytest.raises(ValueError):
                store.put(bad, io.BytesIO(content))


def test_the_layout_is_the_same_in_the_folder_and_the_bucket(app, document_store):
    content = pdf_bytes()
    key = key_of(content)
    with app.test_request_context():
        get_storage().put(key, io.BytesIO(content))
    [location] = document_store.locations()
    assert location.endswith(f"documents/{key[:2]}/{key}")
    if document_store.kind == "s3":
        assert location == f"s3://{S3_BUCKET}/documents/{key[:2]}/{key}"


def test_a_document_is_streamed_with_its_size_etag_and_ranges(browser_for, make_consultation, client,
                                                              document_store):
    consultation = make_consultation()
    content = pdf_bytes("Reguleringsplan") + b"%" * (300 * 1024)
    upload(browser_for("case_officer"), consultation, content, "plan.pdf", "Plan")
    link = attached_link(client, consultation, "Plan")
    served = client.get(link)
    assert served.status_code == 200 and served.get_data() == content
    assert served.headers["Content-Length"] == str(len(content))
    assert served.headers["ETag"] == f'"{key_of(content)}"'
    assert served.headers["Accept-Ranges"] == "bytes"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "max-age=300" in served.headers["Cache-Control"]
    served.close()
    part = client.get(link, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.get_data() == content[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(content)}"
    part.close()
    again = client.get(link, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    again.close()


def test_a_document_whose_file_is_gone_is_not_found(app, browser_for, make_consultation, client, document_store):
    consultation = make_consultation()
    content = pdf_bytes("Borte")
    upload(browser_for("case_officer"), consultation, content, "borte.pdf", "Borte")
    with app.test_request_context():
        get_storage().delete(key_of(content))
    assert client.get(attached_link(client, consultation, "Borte")).status_code == 404


def test_an_upload_the_store_cannot_take_is_a_503_with_the_form_kept(app, browser_for, make_consultation,
                                                                      monkeypatch, tmp_path, caplog):
    store_unreachable(app, monkeypatch)
    staging = tmp_path / "tmp"
    staging.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(staging))
    officer = browser_for("case_officer")
    consultation = make_consultation()
    heard(app, monkeypatch)
    with caplog.at_level(logging.ERROR):
        response = upload(officer, consultation, pdf_bytes(), "plan.pdf", "Planbeskrivelse <Øyane>")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert UNAVAILABLE_UPLOAD in page
    assert 'name="title" maxlength="200" value="Planbeskrivelse &lt;Øyane&gt;"' in page
    assert f'value="{consultation.slug}"' in page and f'value="{consultation.title}"' in page  # the edit page
    assert "EndpointConnectionError" in caplog.text and "test-secret" not in caplog.text
    with app.app_context():
        assert document_rows() == 0
    assert list(staging.iterdir()) == []  # the checked upload is not left behind
    refused = upload(officer, consultation, b"not a document", "x.pdf")  # checks still come first
    assert refused.status_code == 303


def test_an_upload_to_a_missing_bucket_is_a_503(app, browser_for, make_consultation, s3_bucket, monkeypatch):
    monkeypatch.setitem(app.config, "S3_BUCKET", "no-such-bucket")
    response = upload(browser_for("case_officer"), make_consultation(), pdf_bytes(), "plan.pdf")
    assert response.status_code == 503 and UNAVAILABLE_UPLOAD in response.get_data(as_text=True)
    with app.app_context():
        assert document_rows() == 0


def test_settings_botocore_refuses_are_a_503_not_a_500(app, browser_for, make_consultation, monkeypatch):
    pytest.importorskip("boto3")
    use_s3(app, monkeypatch, S3_REGION="eu north 1")
    response = upload(browser_for("case_officer"), make_consultation(), pdf_bytes(), "plan.pdf")
    assert response.status_code == 503 and UNAVAILABLE_UPLOAD in response.get_data(as_text=True)
    with app.app_context():
        assert document_rows() == 0


def test_an_upload_to_a_folder_that_cannot_be_written_is_a_503(app, browser_for, make_consultation, monkeypatch,
                                                                tmp_path):
    not_a_folder = tmp_path / "documents"
    not_a_folder.write_text("a file where the folder should be")
    monkeypatch.setitem(app.config, "DOCUMENT_STORAGE", "local")
    monkeypatch.setitem(app.config, "DOCUMENT_DIR", str(not_a_folder))
    response = upload(browser_for("case_officer"), make_consultation(), pdf_bytes(), "plan.pdf", "Plan")
    assert response.status_code == 503 and UNAVAILABLE_UPLOAD in response.get_data(as_text=True)
    with app.app_context():
        assert document_rows() == 0


def test_a_download_from_a_store_that_does_not_answer_is_a_503(app, browser_for, make_consultation, client,
                                                                s3_bucket, monkeypatch):
    consultation = make_consultation()
    upload(browser_for("case_officer"), consultation, pdf_bytes(), "plan.pdf", "Plan")
    link = attached_link(client, consultation, "Plan")
    store_unreachable(app, monkeypatch)
    response = client.get(link)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Dokumentet kan ikke hentes akkurat nå" in response.get_data(as_text=True)
    answer = client.get(link, headers={"Accept": "application/json"})
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "storage_unavailable"


def test_a_document_is_detached_even_when_its_file_cannot_be_deleted(app, browser_for, make_consultation,
                                                                      s3_bucket, monkeypatch, caplog):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    content = pdf_bytes()
    upload(officer, consultation, content, "plan.pdf", "Plan")
    with app.app_context():
        document_id = db.session.scalar(sa.select(Document.id))
    store_unreachable(app, monkeypatch)
    heard(app, monkeypatch)
    with caplog.at_level(logging.WARNING):
        response = officer.submit(f"/saksbehandling/hoeringer/{consultation.slug}/rediger",
                                  f"/saksbehandling/dokumenter/{document_id}/slett")
    assert response.status_code == 303
    assert "left behind, unused" in caplog.text
    with app.app_context():
        assert document_rows() == 0


def test_a_file_used_by_another_consultation_stays(app, browser_for, make_consultation, document_store):
    officer = browser_for("case_officer")
    first, second = make_consultation(), make_consultation()
    content = pdf_bytes("Delt")
    upload(officer, first, content, "delt.pdf", "Delt")
    upload(officer, second, content, "delt.pdf", "Delt")
    assert document_store.files() == [content]
    with app.app_context():
        document_id = db.session.scalar(sa.select(Document.id).where(Document.consultation_id == first.id))
    officer.submit(f"/saksbehandling/hoeringer/{first.slug}/rediger", f"/saksbehandling/dokumenter/{document_id}/slett")
    assert document_store.files() == [content]


@pytest.mark.parametrize("settings, variable", [
    ({"DOCUMENT_STORAGE": "ftp"}, "HOERING_DOCUMENT_STORAGE"),
    ({"DOCUMENT_STORAGE": "s3"}, "HOERING_S3_BUCKET"),
    ({"DOCUMENT_STORAGE": "s3", "S3_BUCKET": "b", "S3_ADDRESSING_STYLE": "sideways"}, "HOERING_S3_ADDRESSING_STYLE"),
    ({"DOCUMENT_STORAGE": "s3", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "id"}, "HOERING_S3_SECRET_ACCESS_KEY"),
    ({"DOCUMENT_STORAGE": "s3", "S3_BUCKET": "b", "S3_ENDPOINT_URL": "minio:9000"}, "HOERING_S3_ENDPOINT_URL"),
])
def test_storage_settings_that_cannot_work_stop_the_start(settings, variable, tmp_path):
    with pytest.raises(ConfigurationError, match=variable):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite", **settings})


def test_storage_settings_come_from_the_environment(monkeypatch, tmp_path):
    pytest.importorskip("boto3")
    for name, value in {"DOCUMENT_STORAGE": "s3", "S3_BUCKET": "hoering", "S3_PREFIX": "fjordvik",
                        "S3_ENDPOINT_URL": "https://objects.example.net", "S3_REGION": "eu-north-1",
                        "S3_ACCESS_KEY_ID": "12345", "S3_SECRET_ACCESS_KEY": "67890",
                        "S3_ADDRESSING_STYLE": "path"}.items():
        monkeypatch.setenv(f"HOERING_{name}", value)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    with app.app_context():
        store = get_storage()
        assert (store.kind, store.bucket, store.prefix) == ("s3", "hoering", "fjordvik/")
        assert store.client.meta.endpoint_url == "https://objects.example.net"
        assert store.client.meta.region_name == "eu-north-1"
        assert store.object_name("a" * 64) == f"fjordvik/aa/{'a' * 64}"


def test_the_local_store_is_the_default_and_uses_instance_documents(app):
    assert settings_problems({}) == []
    with app.test_request_context():
        store = get_storage()
    if app.config.get("DOCUMENT_DIR") is None and app.config["DOCUMENT_STORAGE"] == "local":
        assert isinstance(store, LocalStorage) and store.folder == f"{app.instance_path}/documents"
    with pytest.raises(StorageError):
        LocalStorage("/proc/hoering-cannot-write-here").put("a" * 64, io.BytesIO(b"x"))


def test_documents_check_lists_documents_whose_file_is_missing(app, browser_for, make_consultation, document_store,
                                                               monkeypatch):
    officer = browser_for("case_officer")
    consultation = make_consultation()
    kept, lost = pdf_bytes("Beholdt"), pdf_bytes("Mistet")
    upload(officer, consultation, kept, "beholdt.pdf", "Beholdt")
    upload(officer, consultation, lost, "mistet.pdf", "Mistet")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["hoering", "documents-check"])
    assert result.exit_code == 0 and f"in the {document_store.kind} store" in result.output
    with app.test_request_context():
        get_storage().delete(key_of(lost))
    result = runner.invoke(args=["hoering", "documents-check"])
    assert result.exit_code == 1
    assert "missing: document" in result.output and key_of(lost) in result.output and key_of(kept) not in result.output
    if document_store.kind == "s3":
        store_unreachable(app, monkeypatch)
        result = runner.invoke(args=["hoering", "documents-check"])
        assert result.exit_code == 1 and "cannot be read" in result.output
