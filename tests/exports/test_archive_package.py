"""The archive package: the consultation, the report with its comments and the decision as
PDF/A, the attachments, metadata structured after Noark 5 and a checksum manifest, from the
case officers' page and the command line."""

from __future__ import annotations

import hashlib
import io
import zipfile
from xml.etree import ElementTree as ET

import pypdf
import sqlalchemy as sa

from hoering.extensions import db
from hoering.timeutil import oslo_today
from tests.consultations.test_documents import upload
from tests.consultations.test_lifecycle import step

PAGE = "/saksbehandling/hoeringer/{slug}/arkivpakke"
NS = {"a": "urn:hoering:arkivpakke:1"}


def _pdf_document(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def _decided_consultation(browser_for, make_consultation, make_user, make_comment):
    consultation = make_consultation(status="closed", title="Ny skolestruktur i Fjordvik",
                                     body_markdown="## Bakgrunn\n\nTo skoler slås sammen.")
    make_comment(consultation, make_user(name="Kari Nordmann"), "Behold skolen på Øvre Å!")
    officer = browser_for("case_officer")
    assert upload(officer, consultation, _pdf_document("Plankart"), "plankart.pdf", "Plankart").status_code == 303
    assert step(officer, consultation, action="decision", decided_on=oslo_today().isoformat(),
                decision_text="Kommunestyret vedtok at skolene slås sammen fra 2027.").status_code == 303
    return consultation, officer


def _files(response) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_package_holds_every_document_with_checksums_and_noark_metadata(browser_for, make_consultation,
                                                                          make_user, make_comment):
    consultation, officer = _decided_consultation(browser_for, make_consultation, make_user, make_comment)
    page = PAGE.format(slug=consultation.slug)
    assert officer.submit(page, data={"case_number": "2026/1234", "classification_system": "K-koder",
                                      "class_id": "A20"}).status_code == 303
    response = officer.get(page + ".zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f"arkivpakke-{consultation.slug}-" in response.headers["Content-Disposition"]
    files = _files(response)
    assert {"dokumenter/01-hoering.pdf", "dokumenter/02-rapport.pdf", "dokumenter/03-vedtak.pdf",
            "vedlegg/01-plankart.pdf", "noark5-metadata.xml", "manifest-sha256.txt", "LESMEG.txt"} == set(files)

    manifest = dict(reversed(line.split("  ", 1)) for line in files["manifest-sha256.txt"].decode().splitlines())
    assert set(manifest) == set(files) - {"manifest-sha256.txt"}
    assert all(hashlib.sha256(files[name]).hexdigest() == digest for name, digest in manifest.items())

    root = ET.fromstring(files["noark5-metadata.xml"])
    folder = root.find("a:saksmappe", NS)
    assert folder.findtext("a:mappeID", namespaces=NS) == "2026/1234"
    assert (folder.findtext("a:saksaar", namespaces=NS), folder.findtext("a:sakssekvensnummer", namespaces=NS)) \
        == ("2026", "1234")
    assert folder.findtext("a:klassifikasjon/a:klasseID", namespaces=NS) == "A20"
    assert folder.findtext("a:saksstatus", namespaces=NS) == "Avsluttet"
    entries = folder.findall("a:registrering", NS)
    assert [e.findtext("a:journalposttype", namespaces=NS) for e in entries] == [
        "Utgående dokument", "Organinternt notat", "Organinternt notat"]
    assert entries[0].findtext("a:registreringsID", namespaces=NS) == "2026/1234-1"
    objects = root.findall(".//a:dokumentobjekt", NS)
    assert len(objects) == 4
    for stored in objects:
        path = stored.findtext("a:referanseDokumentfil", namespaces=NS)
        assert stored.findtext("a:sjekksum", namespaces=NS) == hashlib.sha256(files[path]).hexdigest()
        assert int(stored.findtext("a:filstoerrelse", namespaces=NS)) == len(files[path])
    roles = [d.findtext("a:tilknyttetRegistreringSom", namespaces=NS) for d in entries[0].findall(
        "a:dokumentbeskrivelse", NS)]
    assert roles == ["Hoveddokument", "Vedlegg"]
    assert "Ikke et sertifisert Noark 5-arkivuttrekk" in files["noark5-metadata.xml"].decode()
    assert "ikke et sertifisert Noark 5-arkivuttrekk" in files["LESMEG.txt"].decode()

    for name in ("dokumenter/01-hoering.pdf", "dokumenter/02-rapport.pdf", "dokumenter/03-vedtak.pdf"):
        reader = pypdf.PdfReader(io.BytesIO(files[name]))
        assert b"pdfaid:part" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    hearing = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(files["dokumenter/01-hoering.pdf"])).pages)
    assert "Ny skolestruktur i Fjordvik" in hearing and "To skoler slås sammen." in hearing
    report = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(files["dokumenter/02-rapport.pdf"])).pages)
    assert "Behold skolen på Øvre Å!" in report
    decision = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(files["dokumenter/03-vedtak.pdf"])).pages)
    assert "skolene slås sammen fra 2027" in decision


def test_an_open_consultation_has_no_package_yet(browser_for, make_consultation):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    page = PAGE.format(slug=consultation.slug)
    assert "Arkivpakken lages når høringen er avsluttet." in officer.get(page).get_data(as_text=True)
    refused = officer.get(page + ".zip")
    assert refused.status_code == 303
    assert "Arkivpakken lages når høringen er avsluttet." in officer.get(refused.headers["Location"]).get_data(
        as_text=True)


def test_bad_case_record_input_comes_back_with_a_message(browser_for, make_consultation):
    consultation = make_consultation(status="closed")
    officer = browser_for("case_officer")
    refused = officer.submit(PAGE.format(slug=consultation.slug), data={"case_number": "2026/" + "1" * 50,
                                                                        "class_id": "A20"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "2026/1111" in html and 'value="A20"' in html


def test_the_command_line_writes_the_package(browser_for, make_consultation, make_user, make_comment, runner,
                                             tmp_path):
    consultation, _officer = _decided_consultation(browser_for, make_consultation, make_user, make_comment)
    target = tmp_path / "pakke.zip"
    result = runner.invoke(args=["hoering", "archive-package", consultation.slug, "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "3 registry entries, 4 documents" in result.output
    with zipfile.ZipFile(target) as archive:
        assert "noark5-metadata.xml" in archive.namelist()
    missing = runner.invoke(args=["hoering", "archive-package", "finnes-ikke"])
    assert missing.exit_code != 0 and "No consultation" in missing.output
    open_one = make_consultation()
    refused = runner.invoke(args=["hoering", "archive-package", open_one.slug, "--output", str(tmp_path / "x.zip")])
    assert refused.exit_code != 0 and not (tmp_path / "x.zip").exists()


def test_formal_responses_are_incoming_entries_with_their_scan_and_legal_ground(app, browser_for, make_consultation):
    from tests.responses.test_responses import GROUND, pdf_bytes, register, responses_in_db, screen

    consultation = make_consultation(status="closed", accepts_responses=True)
    officer = browser_for("case_officer")
    assert register(officer, consultation.slug, files=[(pdf_bytes("skann"), "skann.pdf")], received_on=str(
        oslo_today()), sender_name="Per Brevskriver", text="Naboen min er syk.").status_code == 303
    [response] = responses_in_db(app)
    page = officer.get(PAGE.format(slug=consultation.slug)).get_data(as_text=True)
    assert f"1 høringssvar er ikke gjennomgått ennå ({response.reference})" in page
    assert screen(officer, response.id, decision="held_back", legal_ground=GROUND).status_code == 303
    assert "ikke gjennomgått" not in officer.get(PAGE.format(slug=consultation.slug)).get_data(as_text=True)
    files = _files(officer.get(PAGE.format(slug=consultation.slug) + ".zip"))
    main, scan = f"hoeringssvar/{response.reference}.pdf", f"hoeringssvar/{response.reference}-vedlegg-01-skann.pdf"
    assert {main, scan} <= set(files)
    with app.app_context():
        from hoering.responses.models import ResponseAttachment

        stored_hash = db.session.scalar(sa.select(ResponseAttachment.content_hash))
    assert hashlib.sha256(files[scan]).hexdigest() == stored_hash  # the scan as it was stored
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(files[main])).pages)
    assert "Naboen min er syk." in text and "Per Brevskriver" in text and GROUND.split(" (")[0] in text
    root = ET.fromstring(files["noark5-metadata.xml"])
    [incoming] = [e for e in root.findall(".//a:registrering", NS)
                  if e.findtext("a:journalposttype", namespaces=NS) == "Inngående dokument"]
    assert incoming.findtext("a:skjerming/a:skjermingshjemmel", namespaces=NS) == GROUND
    assert incoming.findtext("a:korrespondansepart/a:korrespondansepartNavn", namespaces=NS) == "Per Brevskriver"
    assert "Per Brevskriver" in incoming.findtext("a:tittel", namespaces=NS)
    assert "Per Brevskriver" not in incoming.findtext("a:offentligTittel", namespaces=NS)
    paths = [d.findtext("a:dokumentobjekt/a:referanseDokumentfil", namespaces=NS)
             for d in incoming.findall("a:dokumentbeskrivelse", NS)]
    assert paths == [main, scan]
    manifest = files["manifest-sha256.txt"].decode()
    assert f"{hashlib.sha256(files[scan]).hexdigest()}  {scan}" in manifest
