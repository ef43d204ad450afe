"""Documents attached to a consultation: PDF, DOCX, ODT, XLSX, PNG and JPEG.

The type is read from the content (the ``filetype`` library looks at the bytes, and into
the ZIP container of office files), never from the name; anything else is refused. Files
are stored outside ``static/`` under their SHA-256, so the same file is stored once, and
served only through :func:`hoering.consultations.views.document` with safe headers.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata

import filetype
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from hoering.archives import ArchiveDamaged, ArchiveLimits, ArchiveTooLarge, open_checked
from hoering.consultations.models import Consultation, Document
from hoering.exceptions import ValidationFailed
from hoering.extensions import db
from hoering.sanitize import contains_bidi_controls, normalize_line

#: Accepted types: MIME type → file name suffix.
ACCEPTED_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "image/png": "png",
    "image/jpeg": "jpg",
}
#: Types a browser may show itself; the others are downloaded. PDFs are downloaded too:
#: browsers refuse to run their PDF viewer under the sandbox policy documents are served with.
INLINE_TYPES = {"image/png", "image/jpeg"}


def document_dir() -> str:
    """The folder documents are stored in (``DOCUMENT_DIR``, default ``instance/documents``)."""
    return current_app.config.get("DOCUMENT_DIR") or os.path.join(current_app.instance_path, "documents")


def stored_path(content_hash: str) -> str:
    """Where the file with this SHA-256 (hex) is stored."""
    return os.path.join(document_dir(), content_hash[:2], content_hash)


def detect_type(head: bytes) -> str | None:
    """The MIME type the content shows, if it is one of :data:`ACCEPTED_TYPES`."""
    kind = filetype.guess_mime(head)
    return kind if kind in ACCEPTED_TYPES else None


def clean_filename(name: str, suffix: str) -> str:
    """A safe file name: the base of ``name`` without folders or control characters,
    with the suffix of the detected type."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFC", "".join(ch for ch in base if ch.isprintable()))
    base = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", base).strip(" .") or "dokument"
    base = re.sub(r'[<>:"/\\|?*]+', "-", base)[:150]
    return f"{base}.{suffix}"


def add_document(consultation: Consultation, user, stream, filename: str, title: str = "") -> tuple[Document, bool]:
    """Store an uploaded file and attach it to ``consultation``.

    Args:
        stream: a binary file object (the upload), read in chunks.
        filename: the name the file had on the uploader's computer.
        title: the name to show; the file name when empty.

    Returns:
        ``(document, added)``: ``added`` is false when the same file was attached already.

    Raises:
        ValidationFailed: empty, larger than ``DOCUMENT_MAX_BYTES``, a type not accepted,
            an office file (a ZIP archive) that unpacks past the ``DOCUMENT_ZIP_*`` caps
            or cannot be unpacked (:func:`hoering.archives.open_checked`), or a title with
            text-direction control characters.
    """
    title = normalize_line(title or "")[:200]
    if contains_bidi_controls(title):
        raise ValidationFailed(_l("The title cannot contain characters that reverse the direction of text."))
    limit = current_app.config["DOCUMENT_MAX_BYTES"]
    folder = document_dir()
    os.makedirs(folder, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            head = b""
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise ValidationFailed(_l("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)))
                if len(head) < 8192:
                    head += chunk[:8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed(_l("The file is empty."))
        mime = detect_type(head) or (_office_type(temporary) if head.startswith(b"PK") else None)
        if mime in OFFICE_PARTS and not _is_office_file(temporary, mime):
            mime = None
        if mime is None:
            raise ValidationFailed(_l("Only PDF, Word (DOCX), OpenDocument text (ODT), Excel (XLSX), PNG and JPEG "
                                      "files can be attached; the content of this file is none of these."))
        content_hash = digest.hexdigest()
        target = stored_path(content_hash)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(temporary, target)
        temporary = None
    finally:
        if temporary and os.path.exists(temporary):
            os.remove(temporary)
    existing = db.session.scalar(sa.select(Document).where(
        Document.consultation_id == consultation.id, Document.content_hash == content_hash))
    if existing is not None:
        return existing, False
    name = clean_filename(filename, ACCEPTED_TYPES[mime])
    document = Document(consultation_id=consultation.id, title=title or name.rsplit(".", 1)[0], filename=name,
                        content_hash=content_hash, size=size, mime=mime, uploaded_by_id=user.id if user else None)
    db.session.add(document)
    db.session.commit()
    return document, True


#: What an office file's ZIP container must hold: (entry, exact content or None).
OFFICE_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [
        ("[Content_Types].xml", None), ("word/document.xml", None)],
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [
        ("[Content_Types].xml", None), ("xl/workbook.xml", None)],
    "application/vnd.oasis.opendocument.text": [
        ("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", None)],
}


def archive_limits() -> ArchiveLimits:
    """The caps on an uploaded office file's ZIP archive, from the configuration
    (``DOCUMENT_ZIP_MAX_MEMBERS``, ``DOCUMENT_ZIP_MAX_UNPACKED_BYTES``, ``DOCUMENT_ZIP_MAX_RATIO``)."""
    config = current_app.config
    return ArchiveLimits(max_members=config["DOCUMENT_ZIP_MAX_MEMBERS"],
                         max_unpacked_bytes=config["DOCUMENT_ZIP_MAX_UNPACKED_BYTES"],
                         max_ratio=config["DOCUMENT_ZIP_MAX_RATIO"])


def _is_office_file(path: str, mime: str) -> bool:
    """Whether the ZIP at ``path`` holds the parts of ``mime`` (a ZIP with a telling first
    entry is not enough). The archive is opened only within :func:`archive_limits`, and a
    part whose content is checked is read no further than that content's length.

    Raises:
        ValidationFailed: the archive unpacks past the caps, or cannot be unpacked.
    """
    limits = archive_limits()
    try:
        with open_checked(path, limits) as archive:
            names = set(archive.namelist())
            for entry, content in OFFICE_PARTS[mime]:
                if entry not in names:
                    return False
                if content is not None:
                    with archive.open(entry) as part:
                        if part.read(len(content) + 64).strip() != content:
                            return False
    except ArchiveTooLarge:
        raise ValidationFailed(_l(
            "The file is not attached: unpacked it would be too large (at most %(mb)d MB, and at most %(ratio)d "
            "times its packed size) or have too many parts (at most %(members)d). Save it again from the office "
            "program, or attach it as a PDF.", mb=limits.max_unpacked_bytes // (1024 * 1024),
            ratio=limits.max_ratio, members=limits.max_members)) from None
    except ArchiveDamaged:
        raise ValidationFailed(_l(
            "The file is not attached: it is damaged, and its packed parts cannot be read. Save it again from the "
            "office program, or attach it as a PDF.")) from None
    return True


def _office_type(path: str) -> str | None:
    """Office files whose first bytes alone do not tell (filetype reads the whole ZIP)."""
    with open(path, "rb") as handle:
        kind = filetype.guess_mime(handle.read(262144))
    return kind if kind in ACCEPTED_TYPES else None


def remove_document(document: Document) -> None:
    """Detach a document; the stored file goes when no consultation uses it any more."""
    content_hash = document.content_hash
    db.session.delete(document)
    db.session.commit()
    still_used = db.session.scalar(sa.select(Document.id).where(Document.content_hash == content_hash).limit(1))
    if still_used is None:
        try:
            os.remove(stored_path(content_hash))
        except FileNotFoundError:
            pass


def documents_of(consultation_id: int) -> list[Document]:
    """The consultation's documents, oldest first."""
    return list(db.session.scalars(sa.select(Document).where(Document.consultation_id == consultation_id)
                                   .order_by(Document.id)))
