"""Office documents are ZIP archives: an upload that unpacks to far more than it weighs,
holds a huge number of parts or lies in its headers is refused with a clear message,
through the real upload form, without the server holding more than a little of it in
memory; real DOCX, XLSX and ODT files are still attached."""

from __future__ import annotations

import functools
import io
import struct
import tracemalloc
import zipfile
import zlib

import pytest

from tests.consultations.test_documents import docx_bytes, upload

ODT_MIME = b"application/vnd.oasis.opendocument.text"
#: Bytes of memory an upload may take at its peak while it is checked (Python allocations).
PEAK_LIMIT = 20 * 1024 * 1024
BOMB_BYTES = 200 * 1024 * 1024
TOO_LARGE = "utpakket ville den blitt for stor"
DAMAGED = "den er skadet"


def write_zeros(archive: zipfile.ZipFile, name: str, size: int, prefix: bytes = b"") -> None:
    """A deflated member of ``prefix`` and then zeros, ``size`` bytes in all, written in
    pieces so the test itself never holds it."""
    with archive.open(deflated(name), "w") as member:
        member.write(prefix)
        block = bytes(1024 * 1024)
        left = size - len(prefix)
        while left > 0:
            member.write(block[:left])
            left -= len(block)


def deflated(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def odt_bytes(extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal OpenDocument text as office programs write it: ``mimetype`` first and
    stored, then the manifest and the content."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT_MIME)
        archive.writestr(deflated("META-INF/manifest.xml"),
                         b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                         b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
        archive.writestr(deflated("content.xml"),
                         b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
                         b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">'
                         + "<p>Planbeskrivelse for Øyane skole</p>".encode() * 200 + b"</office:document-content>")
        for name, data in (extra or {}).items():
            archive.writestr(deflated(name), data)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in range(3000):
        workbook.active.append([row, "Innspill om skolestruktur", row * 2.5])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@functools.cache
def mimetype_bomb(mime: bytes = ODT_MIME) -> bytes:
    """An OpenDocument file whose ``mimetype`` member inflates to 200 MB of zeros: the type
    detector sees an honest stored ``mimetype`` at the start (a local header no directory
    entry names), while the archive's directory names a deflated one that is the bomb."""
    honest = io.BytesIO()
    with zipfile.ZipFile(honest, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mime)
    lead = honest.getvalue()[:30 + len("mimetype") + len(mime)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        write_zeros(archive, "mimetype", BOMB_BYTES, prefix=mime)
        archive.writestr(deflated("content.xml"), b"<office:document-content/>")
    return lead + out.getvalue()  # readers find the directory from the end, past the lead


@functools.cache
def lying_odt() -> bytes:
    """An ODT whose ``content.xml`` says, in the archive's directory, that it unpacks to
    1 KB (with the checksum of that first KB), while its data inflates to 200 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT_MIME)
        write_zeros(archive, "content.xml", BOMB_BYTES, prefix=b"<office:document-content>")
    data = bytearray(out.getvalue())
    entry = data.rfind(b"content.xml") - 46  # the directory entry, after every local header
    assert data[entry:entry + 4] == b"PK\x01\x02"
    first_kb = (b"<office:document-content>" + bytes(1024))[:1024]
    struct.pack_into("<L", data, entry + 16, zlib.crc32(first_kb))
    struct.pack_into("<L", data, entry + 24, 1024)
    return bytes(data)


@functools.cache
def bzip2_docx() -> bytes:
    """A real DOCX plus a BZIP2-packed part that says it unpacks to 50,000 bytes while its
    data (a few hundred bytes) unpacks to 64 MB: the standard library unpacks BZIP2 and
    LZMA in one piece, so no reading in small chunks could bound it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes())) as real, zipfile.ZipFile(out, "w") as archive:
        for info in real.infolist():
            archive.writestr(info, real.read(info))
        info = zipfile.ZipInfo("word/media/image1.bin")
        info.compress_type = zipfile.ZIP_BZIP2
        with archive.open(info, "w") as member:
            block = bytes(1024 * 1024)
            for _ in range(64):
                member.write(block)
    data = bytearray(out.getvalue())
    entry = data.rfind(b"word/media/image1.bin") - 46
    assert data[entry:entry + 4] == b"PK\x01\x02"
    struct.pack_into("<L", data, entry + 16, zlib.crc32(bytes(50_000)))
    struct.pack_into("<L", data, entry + 24, 50_000)
    return bytes(data)


def docx_with_members(count: int) -> bytes:
    """A real DOCX whose directory lists ``count`` more (empty) members, with ZIP64 end
    records as writers make them for more than 65,535 entries. Built directly: writing
    100,000 members with zipfile takes seconds."""
    base = docx_bytes()
    _, _, _, _, entries, size, offset, _ = struct.unpack("<4s4H2LH", base[-22:])
    directory = bytearray(base[offset:offset + size])
    for n in range(count):
        name = f"word/media/{n}.png".encode()
        directory += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0, 0, 0, 0x21, 0, 0, 0,
                                 len(name), 0, 0, 0, 0, 0, 0) + name
    total = entries + count
    end64_at = offset + len(directory)
    end64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, total, total, len(directory), offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end64_at, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, len(directory), offset, 0)
    return base[:offset] + bytes(directory) + end64 + locator + end


def upload_measured(browser, consultation, content: bytes, name: str):
    """Upload through the form; returns (the page the browser is sent to, peak bytes of
    Python memory while the server handled the upload)."""
    tracemalloc.start()
    try:
        response = upload(browser, consultation, content, name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 303
    return browser.get(response.headers["Location"]).get_data(as_text=True), peak


@pytest.mark.parametrize("build, name, message", [
    (mimetype_bomb, "bombe.odt", TOO_LARGE),
    (lying_odt, "lyver.odt", TOO_LARGE),
    (lambda: docx_with_members(100_000), "mange-deler.docx", TOO_LARGE),
    (bzip2_docx, "bzip2.docx", DAMAGED),
], ids=["mimetype-inflates-to-200MB", "lying-header", "100000-members", "bzip2-part"])
def test_zip_bombs_are_refused_with_a_message_and_little_memory(browser_for, make_consultation, document_store,
                                                                build, name, message):
    content = build()
    assert len(content) < 8 * 1024 * 1024  # well under DOCUMENT_MAX_BYTES
    officer = browser_for("case_officer")
    page, peak = upload_measured(officer, make_consultation(), content, name)
    assert peak < PEAK_LIMIT, f"{peak / 1024 / 1024:.0f} MB"
    assert message in page
    assert document_store.files() == []


def test_an_opendocument_spreadsheet_bomb_is_refused_too(browser_for, make_consultation, document_store):
    content = mimetype_bomb(b"application/vnd.oasis.opendocument.spreadsheet")
    page, peak = upload_measured(browser_for("case_officer"), make_consultation(), content, "regneark.ods")
    assert "kan legges ved" in page  # not an accepted type: refused before it is opened
    assert peak < PEAK_LIMIT and document_store.files() == []


def test_a_damaged_archive_gets_its_own_message(browser_for, make_consultation, document_store):
    content = bytearray(odt_bytes())
    data_start = content.find(b"content.xml") + len("content.xml")  # after the local header's name
    content[data_start + 10:data_start + 30] = b"\xff" * 20  # inside the deflated data
    page, _ = upload_measured(browser_for("case_officer"), make_consultation(), bytes(content), "skadet.odt")
    assert DAMAGED in page
    assert document_store.files() == []


@pytest.mark.parametrize("build, name", [(docx_bytes, "notat.docx"), (xlsx_bytes, "tall.xlsx"),
                                         (odt_bytes, "plan.odt")])
def test_real_office_files_are_still_attached(browser_for, make_consultation, document_store, build, name):
    consultation = make_consultation()
    page, _ = upload_measured(browser_for("case_officer"), consultation, build(), name)
    assert "er lagt ved" in page, page[:2000]
    assert len(document_store.files()) == 1


def test_the_caps_are_settings(browser_for, make_consultation, document_store, app, monkeypatch):
    officer = browser_for("case_officer")
    consultation = make_consultation()
    many_parts = odt_bytes({f"Pictures/{n}.xml": b"<x/>" for n in range(30)})
    monkeypatch.setitem(app.config, "DOCUMENT_ZIP_MAX_MEMBERS", 20)
    page, _ = upload_measured(officer, consultation, many_parts, "deler.odt")
    assert TOO_LARGE in page and "høyst 20" in page
    monkeypatch.setitem(app.config, "DOCUMENT_ZIP_MAX_MEMBERS", 1000)
    monkeypatch.setitem(app.config, "DOCUMENT_ZIP_MAX_UNPACKED_BYTES", 4 * 1024)
    page, _ = upload_measured(officer, consultation, odt_bytes(), "plan.odt")
    assert TOO_LARGE in page
    monkeypatch.setitem(app.config, "DOCUMENT_ZIP_MAX_UNPACKED_BYTES", 256 * 1024 * 1024)
    squeezable = odt_bytes({"styles.xml": b"<style/>" * 100_000})  # 800 KB that pack to about 2 KB
    monkeypatch.setitem(app.config, "DOCUMENT_ZIP_MAX_RATIO", 50)
    page, _ = upload_measured(officer, consultation, squeezable, "stil.odt")
    assert TOO_LARGE in page
    monkeypatch.setitem(app.config, "DOCUMENT_ZIP_MAX_RATIO", 1000)
    page, _ = upload_measured(officer, consultation, squeezable, "stil.odt")
    assert "er lagt ved" in page
    assert len(document_store.files()) == 1


def test_a_refused_upload_keeps_the_title_that_was_typed(browser_for, make_consultation, document_store):
    officer = browser_for("case_officer")
    consultation = make_consultation()
    response = upload(officer, consultation, mimetype_bomb(), "bombe.odt", "Planbeskrivelse <Øyane>")
    page = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert TOO_LARGE in page
    assert 'name="title" maxlength="200" value="Planbeskrivelse &lt;Øyane&gt;"' in page
    again = officer.get(f"/saksbehandling/hoeringer/{consultation.slug}/rediger").get_data(as_text=True)
    assert "Planbeskrivelse" not in again  # kept once, for the page the refusal leads to
