"""The archive package of a consultation, for the municipality's records system.

A ZIP file holding the consultation's documents in an archival format and a description of
them structured after the concepts of Noark 5, the Norwegian standard for records
management (Arkivverket): one case file (``saksmappe``) with its registry entries
(``registrering``/``journalpost``), each with document descriptions
(``dokumentbeskrivelse``) and document objects (``dokumentobjekt``: file, format,
SHA-256 checksum, size). It is **structured after Noark 5, not a certified Noark 5
export** (``arkivuttrekk``): the records system imports it, or staff file its documents
by hand, and the case officer checks the case number and classification.

The package::

    noark5-metadata.xml        the case file and its entries
    manifest-sha256.txt        SHA-256 of every other file, as ``sha256sum -c`` reads it
    LESMEG.txt                 what the package is, in Norwegian
    dokumenter/01-hoering.pdf  the consultation as published (PDF/A-3a)
    dokumenter/02-rapport.pdf  the summary report with every published comment (PDF/A-3a)
    dokumenter/03-vedtak.pdf   the decision, once recorded (PDF/A-3a)
    vedlegg/…                  the consultation's attached documents, as uploaded
    hoeringssvar/<ref>.pdf     each formal response as received (PDF/A-3a), with its
                               attachments beside it; held-back parts are marked with
                               their legal ground (``skjerming``) in the metadata

Noark 5 names the archival formats (PDF/A among them; Riksarkivarens forskrift § 5-17);
the attachments keep the format they were uploaded in, and the metadata says which.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

import sqlalchemy as sa
from flask import abort, current_app, render_template
from flask_babel import gettext as _

from hoering import isolation
from hoering.accounts.models import User
from hoering.consultations.documents import documents_of, open_document
from hoering.consultations.lifecycle import public_events
from hoering.consultations.models import CaseRecord, Consultation, Status
from hoering.exceptions import ValidationFailed
from hoering.exports.files import report_file
from hoering.exports.pdf import ARCHIVE, document_pdf
from hoering.extensions import db
from hoering.responses.models import PUBLIC_STATES, FormalResponse, ResponseState
from hoering.sanitize import contains_bidi_controls, normalize_line
from hoering.storage import get_storage
from hoering.timeutil import to_oslo, utcnow

#: The namespace of the package's own metadata format (Noark 5's terms, not its schema).
NAMESPACE = "urn:hoering:arkivpakke:1"
METADATA_NAME = "noark5-metadata.xml"
MANIFEST_NAME = "manifest-sha256.txt"
#: Longest case number and classification fields, in characters (the columns' sizes).
CASE_NUMBER_MAX = 40
CLASS_MAX = 100


@dataclass
class PackageFile:
    """A file of the package: its path in the ZIP, its bytes, and its format as Noark 5
    names it (``PDF/A-3a``, or the type of an attachment)."""

    path: str
    data: bytes
    file_format: str

    @property
    def sha256(self) -> str:
        """The hex SHA-256 of the file's bytes."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class DocumentDescription:
    """A ``dokumentbeskrivelse``: a title, the document's role in its entry
    (``Hoveddokument`` or ``Vedlegg``) and its file."""

    title: str
    role: str
    file: PackageFile


@dataclass
class RegistryEntry:
    """A ``journalpost``: a type (``Utgående dokument``, ``Inngående dokument``,
    ``Organinternt notat``), a title, its date (aware UTC), the correspondent, and its
    documents, the main document first."""

    entry_type: str
    title: str
    date: dt.datetime
    documents: list[DocumentDescription]
    correspondent: str = ""
    #: The legal ground for keeping (part of) it from the public (``skjermingshjemmel``),
    #: ``""`` when it is public; and the title the public may see when the name is withheld.
    restriction: str = ""
    public_title: str = ""
    #: Not yet screened for publication: the records system must screen it (``skjerming``
    #: "Ikke vurdert", no legal ground).
    unscreened: bool = False


@dataclass
class ArchivePackage:
    """A built package: the consultation, its case record and entries, and every file."""

    consultation: Consultation
    record: CaseRecord | None
    entries: list[RegistryEntry] = field(default_factory=list)
    made_at: dt.datetime = field(default_factory=utcnow)


def case_record(consultation: Consultation) -> CaseRecord | None:
    """The consultation's case number and classification, if a case officer set them."""
    return db.session.get(CaseRecord, consultation.id)


def save_case_record(consultation: Consultation, case_number: str, classification_system: str,
                     class_id: str) -> CaseRecord:
    """Set and commit where the consultation is filed.

    Args:
        case_number: the records system's case number (saksnummer), e.g. ``2026/1234``;
            may be empty.
        classification_system, class_id: e.g. ``K-koder`` and ``033``; may be empty.

    Raises:
        ValidationFailed: a value too long, on several lines' worth of control characters,
            or reversing the direction of text.
    """
    values = [normalize_line(value or "") for value in (case_number, classification_system, class_id)]
    if len(values[0]) > CASE_NUMBER_MAX or any(len(value) > CLASS_MAX for value in values[1:]):
        raise ValidationFailed(_("The case number can be at most %(number)d characters and the classification "
                                 "%(class)d.", number=CASE_NUMBER_MAX, **{"class": CLASS_MAX}))
    if any(contains_bidi_controls(value) for value in values):
        raise ValidationFailed(_("The text cannot contain characters that reverse the direction of text."))
    record = case_record(consultation) or CaseRecord(consultation_id=consultation.id)
    record.case_number, record.classification_system, record.class_id = values
    db.session.add(record)
    db.session.commit()
    return record


def unscreened_references(consultation: Consultation) -> list[str]:
    """The reference numbers of the consultation's formal responses not yet screened: the
    package marks them "Ikke vurdert for offentlighet", and the page warns before it is made."""
    return list(db.session.scalars(sa.select(FormalResponse.reference).where(
        FormalResponse.consultation_id == consultation.id, FormalResponse.state == ResponseState.RECEIVED.value)
        .order_by(FormalResponse.reference)))


def check_ready(consultation: Consultation) -> None:
    """A package is made for a consultation that has closed: what it holds is final.

    Raises:
        ValidationFailed: the consultation is a draft, upcoming or still open.
    """
    if consultation.status() in (Status.DRAFT, Status.UPCOMING, Status.OPEN):
        raise ValidationFailed(_("The archive package is made once the consultation has closed."))


def build_package(consultation: Consultation) -> ArchivePackage:
    """Render the documents and describe them.

    The PDFs are made in child processes (:mod:`hoering.isolation`), as the report is.

    Raises:
        ValidationFailed: see :func:`check_ready`.
        hoering.isolation.Overran: a PDF took longer than ``ISOLATION_TIMEOUT_SECONDS``.
        hoering.storage.StorageError: an attachment cannot be read just now.
    """
    check_ready(consultation)
    package = ArchivePackage(consultation, case_record(consultation))
    owner = current_app.config["SITE_OWNER"]
    hearing = PackageFile("dokumenter/01-hoering.pdf",
                          isolation.run(_made_document_pdf, consultation.id, "consultation"), "PDF/A-3a")
    attachments = []
    for number, document in enumerate(documents_of(consultation.id), start=1):
        with open_document(document) as stored:
            data = stored.read()
        attachments.append(DocumentDescription(
            document.title, "Vedlegg", PackageFile(f"vedlegg/{number:02d}-{document.filename}", data, document.mime)))
    package.entries.append(RegistryEntry(
        "Utgående dokument", _("Consultation: %(title)s", title=consultation.title),
        consultation.published_at or consultation.opens_at,
        [DocumentDescription(consultation.title, "Hoveddokument", hearing), *attachments], owner))
    report = PackageFile("dokumenter/02-rapport.pdf", report_file(consultation, "pdfa"), "PDF/A-3a")
    package.entries.append(RegistryEntry(
        "Organinternt notat", _("Summary report: %(title)s", title=consultation.title),
        consultation.summarized_at or consultation.closes_at,
        [DocumentDescription(_("Summary report with every published comment"), "Hoveddokument", report)], owner))
    package.entries.extend(_response_entries(consultation))
    if consultation.decision_text:
        decision = PackageFile("dokumenter/03-vedtak.pdf",
                               isolation.run(_made_document_pdf, consultation.id, "decision"), "PDF/A-3a")
        package.entries.append(RegistryEntry(
            "Organinternt notat", _("Decision: %(title)s", title=consultation.title), consultation.decided_at,
            [DocumentDescription(_("Decision"), "Hoveddokument", decision)], consultation.political_body or owner))
    return package


def _response_entries(consultation: Consultation) -> list[RegistryEntry]:
    """An incoming registry entry per formal response, oldest first: the response as
    received (PDF/A-3a, rendered in one child process for all of them) and its attachments
    as stored. A response not yet screened is included as it stands; one held back or
    published with parts removed carries its legal ground as ``skjerming``."""
    responses = list(db.session.scalars(sa.select(FormalResponse).where(
        FormalResponse.consultation_id == consultation.id).order_by(FormalResponse.received_at, FormalResponse.id)))
    if not responses:
        return []
    pdfs = dict(isolation.run(_made_response_pdfs, consultation.id))
    entries = []
    for response in responses:
        sender = response.organisation_name if response.on_behalf_of_organisation and response.organisation_name \
            else response.sender_name
        main = PackageFile(f"hoeringssvar/{response.reference}.pdf", pdfs[response.id], "PDF/A-3a")
        documents = [DocumentDescription(_("Formal response %(reference)s", reference=response.reference),
                                         "Hoveddokument", main)]
        for number, attachment in enumerate(response.attachments, start=1):
            with get_storage().open(attachment.content_hash) as stored:
                data = stored.read()
            documents.append(DocumentDescription(attachment.filename, "Vedlegg", PackageFile(
                f"hoeringssvar/{response.reference}-vedlegg-{number:02d}-{attachment.filename}", data, attachment.mime)))
        held = response.state in (ResponseState.HELD_BACK.value, ResponseState.REDACTED.value) \
            or any(a.withheld for a in response.attachments)
        unscreened = response.state == ResponseState.RECEIVED.value
        title = _("Formal response %(reference)s from %(sender)s", reference=response.reference, sender=sender)
        public_title = title if response.state in PUBLIC_STATES and not response.name_withheld else \
            _("Formal response %(reference)s", reference=response.reference)
        entries.append(RegistryEntry("Inngående dokument", title, response.received_at, documents, sender,
                                     restriction=response.legal_ground if held else "", public_title=public_title,
                                     unscreened=unscreened))
    return entries


def _made_response_pdfs(consultation_id: int) -> list[tuple[int, bytes]]:
    """In the child: ``(response id, PDF/A-3a)`` of each formal response of the consultation."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    owner = current_app.config["SITE_OWNER"]
    made = []
    for response in db.session.scalars(sa.select(FormalResponse).where(
            FormalResponse.consultation_id == consultation_id)):
        html = render_template("exports/archive_document.html", consultation=consultation, part="response",
                               response=response, events=[], owner=owner, questions=[], made_at=utcnow())
        made.append((response.id, document_pdf(html, ARCHIVE, f"{owner} · {response.reference}")))
    return made


def _made_document_pdf(consultation_id: int, part: str) -> bytes:
    """In the child: the consultation (``part="consultation"``) or its decision
    (``"decision"``) as a PDF/A-3a."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    html = render_template("exports/archive_document.html", consultation=consultation, part=part,
                           events=public_events(consultation), owner=current_app.config["SITE_OWNER"],
                           questions=list(consultation.questions), made_at=utcnow())
    return document_pdf(html, ARCHIVE, f"{current_app.config['SITE_OWNER']} · {consultation.title}")


def _text(parent: ET.Element, tag: str, value) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = "" if value is None else str(value)
    return element


def _iso(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else ""


def metadata_xml(package: ArchivePackage) -> bytes:
    """The package's ``noark5-metadata.xml`` (UTF-8), every name a Noark 5 term."""
    consultation, record = package.consultation, package.record
    root = ET.Element("arkivpakke", {"xmlns": NAMESPACE})
    root.append(ET.Comment(" Strukturert etter begrepene i Noark 5 (mappe, registrering, dokumentbeskrivelse, "
                           "dokumentobjekt). Ikke et sertifisert Noark 5-arkivuttrekk. "))
    _text(root, "system", "Hoering")
    _text(root, "arkivskaper", current_app.config["SITE_OWNER"])
    _text(root, "produsertDato", _iso(package.made_at))
    folder = ET.SubElement(root, "saksmappe")
    _text(folder, "systemID", f"hoering-consultation-{consultation.id}")
    case_number = record.case_number if record else ""
    _text(folder, "mappeID", case_number)
    year, _slash, sequence = case_number.partition("/")
    if year.isdigit() and sequence.isdigit():
        _text(folder, "saksaar", year)
        _text(folder, "sakssekvensnummer", sequence)
    _text(folder, "tittel", consultation.title)
    _text(folder, "offentligTittel", consultation.title)
    if record and (record.classification_system or record.class_id):
        classification = ET.SubElement(folder, "klassifikasjon")
        _text(classification, "klassifikasjonssystem", record.classification_system)
        _text(classification, "klasseID", record.class_id)
    _text(folder, "opprettetDato", _iso(consultation.created_at))
    _text(folder, "saksdato", to_oslo(consultation.opens_at).date().isoformat())
    _text(folder, "administrativEnhet", consultation.responsible_unit)
    creator = db.session.get(User, consultation.created_by_id) if consultation.created_by_id else None
    _text(folder, "saksansvarlig", creator.display_name if creator else "")
    _text(folder, "saksstatus", "Avsluttet" if consultation.decision_text else "Under behandling")
    _text(folder, "referanseNettside", consultation_url(consultation))
    for number, entry in enumerate(package.entries, start=1):
        registry = ET.SubElement(folder, "registrering", {"type": "journalpost"})
        _text(registry, "systemID", f"hoering-consultation-{consultation.id}-{number}")
        _text(registry, "registreringsID", f"{case_number}-{number}" if case_number else str(number))
        _text(registry, "journalposttype", entry.entry_type)
        _text(registry, "journalstatus", "Arkivert")
        _text(registry, "tittel", entry.title)
        if entry.public_title and entry.public_title != entry.title:
            _text(registry, "offentligTittel", entry.public_title)
        if entry.restriction:
            restricted = ET.SubElement(registry, "skjerming")
            _text(restricted, "tilgangsrestriksjon", "Unntatt offentlighet, helt eller delvis")
            _text(restricted, "skjermingshjemmel", entry.restriction)
        elif entry.unscreened:
            restricted = ET.SubElement(registry, "skjerming")
            _text(restricted, "tilgangsrestriksjon", "Ikke vurdert for offentlighet")
        _text(registry, "journaldato", to_oslo(entry.date).date().isoformat())
        _text(registry, "dokumentetsDato", to_oslo(entry.date).date().isoformat())
        if entry.correspondent:
            party = ET.SubElement(registry, "korrespondansepart")
            _text(party, "korrespondanseparttype", "Avsender" if entry.entry_type == "Inngående dokument"
                  else "Intern avsender" if entry.entry_type == "Organinternt notat" else "Avsender")
            _text(party, "korrespondansepartNavn", entry.correspondent)
        for document_number, description in enumerate(entry.documents, start=1):
            described = ET.SubElement(registry, "dokumentbeskrivelse")
            _text(described, "dokumenttype", "Dokument")
            _text(described, "dokumentstatus", "Dokumentet er ferdigstilt")
            _text(described, "tittel", description.title)
            _text(described, "tilknyttetRegistreringSom", description.role)
            _text(described, "dokumentnummer", document_number)
            stored = ET.SubElement(described, "dokumentobjekt")
            _text(stored, "versjonsnummer", 1)
            _text(stored, "variantformat", "Arkivformat" if description.file.file_format == "PDF/A-3a"
                  else "Produksjonsformat")
            _text(stored, "format", description.file.file_format)
            _text(stored, "referanseDokumentfil", description.file.path)
            _text(stored, "sjekksum", description.file.sha256)
            _text(stored, "sjekksumAlgoritme", "SHA-256")
            _text(stored, "filstoerrelse", len(description.file.data))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def consultation_url(consultation: Consultation) -> str:
    """The consultation's public address on the configured site."""
    return current_app.config["SITE_URL"].rstrip("/") + f"/hoeringer/{consultation.slug}"


def readme_text(package: ArchivePackage) -> str:
    """``LESMEG.txt``: what the package is and how to check it (Norwegian: the records
    staff read it)."""
    consultation = package.consultation
    lines = [
        f"Arkivpakke for høringen «{consultation.title}»",
        f"Laget {to_oslo(package.made_at):%d.%m.%Y %H:%M} av Hoering for {current_app.config['SITE_OWNER']}.",
        "",
        "Pakken er strukturert etter begrepene i Noark 5 (saksmappe, journalpost, dokumentbeskrivelse,",
        "dokumentobjekt), men er ikke et sertifisert Noark 5-arkivuttrekk. Beskrivelsen står i",
        f"{METADATA_NAME}; sjekksummene (SHA-256) i {MANIFEST_NAME} kontrolleres med",
        f"  sha256sum -c {MANIFEST_NAME}",
        "",
        "dokumenter/    høringen, rapporten med alle publiserte kommentarer, og vedtaket (PDF/A-3a)",
        "vedlegg/       dokumentene som var lagt ved høringen, i formatet de ble lastet opp i",
        "hoeringssvar/  hvert høringssvar slik det kom inn (PDF/A-3a), med vedleggene; det som er",
        "               unntatt offentlighet, er merket med hjemmel (skjerming) i beskrivelsen",
    ]
    return "\n".join(lines) + "\n"


def package_zip(package: ArchivePackage) -> bytes:
    """The package as ZIP bytes: the documents, the metadata, the read-me and the
    manifest of their checksums."""
    files = [description.file for entry in package.entries for description in entry.documents]
    files.append(PackageFile(METADATA_NAME, metadata_xml(package), "XML"))
    files.append(PackageFile("LESMEG.txt", readme_text(package).encode("utf-8"), "TXT"))
    manifest = "".join(f"{file.sha256}  {file.path}\n" for file in files).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in [*files, PackageFile(MANIFEST_NAME, manifest, "TXT")]:
            archive.writestr(file.path, file.data)
    return buffer.getvalue()


def package_filename(consultation: Consultation) -> str:
    """The ZIP's file name: ``arkivpakke-<slug>-<Oslo date>.zip``."""
    return f"arkivpakke-{consultation.slug}-{to_oslo(utcnow()).date().isoformat()}.zip"
