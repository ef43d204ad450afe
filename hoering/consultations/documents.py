"""Documents attached to a consultation: PDF, DOCX, ODT, XLSX, PNG and JPEG.

The type is read from the content (the ``filetype`` library looks at the bytes, and into
the ZIP container of office files), never from the name; anything else is refused. An
upload is copied to a temporary file and checked there; only a file that passed is handed
to the document store (:mod:`hoering.storage`: a folder outside ``static/``, or an S3
bucket) under its SHA-256, so the same file is stored once, and served only through
:func:`hoering.consultations.views.document` with safe headers.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass

import filetype
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from hoering.archives import ArchiveDamaged, ArchiveLimits, ArchiveTooLarge, open_checked
from hoering.consultations.models import Consultation, Document
from hoering.exceptions import Unavailable, ValidationFailed
from hoering.extensions import db
from hoering.meetings.models import MeetingDocument
from hoering.responses.models import ResponseAttachment
from hoering.sanitize import contains_bidi_controls, normalize_line
from hoering.storage import StorageError, StoredFile, get_storage

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


#: What a case officer is told when the document store cannot take an upload.
STORE_UNAVAILABLE = _l("The document was not attached: the document storage does not answer just now. "
                       "Try again in a few minutes.")


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
            text-direction control characters. Nothing is stored.
        Unavailable: the document store (or the folder for the temporary file) cannot
            take the file just now. Nothing is stored and no document row is written.
    """
    title = normalize_line(title or "")[:200]
    if contains_bidi_controls(title):
        raise ValidationFailed(_l("The title cannot contain characters that reverse the direction of text."))
    content_hash, size, mime = store_upload(stream)
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


def store_upload(stream) -> tuple[str, int, str]:
    """Check an uploaded file and put it in the document store (:mod:`hoering.storage`)
    under its SHA-256; used for consultations' and meetings' documents alike.

    Args:
        stream: a binary file object (the upload), read in chunks.

    Returns:
        ``(content hash as hex, size in bytes, MIME type found in the content)``.

    Raises:
        ValidationFailed: empty, larger than ``DOCUMENT_MAX_BYTES``, a type not accepted,
            or an office file that unpacks past the ``DOCUMENT_ZIP_*`` caps or cannot be
            unpacked. Nothing is stored.
        Unavailable: the document store cannot take the file just now.
    """
    staged = stage_checked(stream, current_app.config["DOCUMENT_MAX_BYTES"], ACCEPTED_TYPES, _l(
        "Only PDF, Word (DOCX), OpenDocument text (ODT), Excel (XLSX), PNG and JPEG files can be attached; the "
        "content of this file is none of these."))
    keep_staged(staged)
    return staged.content_hash, staged.size, staged.mime


@dataclass(frozen=True)
class StagedFile:
    """An upload copied to a temporary file and checked: its path, SHA-256 (hex), size in
    bytes and the MIME type found in its content."""

    path: str
    content_hash: str
    size: int
    mime: str


def stage_checked(stream, limit: int, accepted: dict[str, str], refusal) -> StagedFile:
    """Copy an upload to a temporary file and check its type from the content.

    Args:
        stream: a binary file object (the upload), read in chunks.
        limit: the largest size accepted, in bytes.
        accepted: the accepted types, MIME type → file name suffix (a subset of
            :data:`ACCEPTED_TYPES`).
        refusal: the message when the content is none of ``accepted``.

    Returns:
        The :class:`StagedFile`; hand it to :func:`keep_staged` or :func:`discard_staged`.

    Raises:
        ValidationFailed: empty, larger than ``limit``, another type, or an office file
            that unpacks past the ``DOCUMENT_ZIP_*`` caps. The temporary file is removed.
        Unavailable: the temporary file cannot be written.
    """
    temporary, content_hash, size, head = _stage_upload(stream, get_storage().staging_dir(), limit)
    try:
        mime = detect_type(head) or (_office_type(temporary) if head.startswith(b"PK") else None)
        if mime in OFFICE_PARTS and not _is_office_file(temporary, mime):
            mime = None
        if mime not in accepted:
            raise ValidationFailed(refusal)
    except BaseException:
        _remove_quietly(temporary)
        raise
    return StagedFile(temporary, content_hash, size, mime)


def keep_staged(staged: StagedFile) -> None:
    """Put a checked upload into the document store under its hash; the temporary file goes.

    Raises:
        Unavailable: the store does not take it just now.
    """
    try:
        with open(staged.path, "rb") as checked:
            get_storage().put(staged.content_hash, checked)
    except StorageError as error:
        current_app.logger.error("document not stored: %s", error)
        raise Unavailable(STORE_UNAVAILABLE) from error
    finally:
        _remove_quietly(staged.path)


def discard_staged(staged: StagedFile) -> None:
    """Remove a checked upload's temporary file without storing it."""
    _remove_quietly(staged.path)


def _stage_upload(stream, folder: str | None, limit: int) -> tuple[str, str, int, bytes]:
    """Copy the upload to a temporary file in ``folder`` (the system's temporary folder
    when ``None``), counting and hashing it on the way.

    Returns:
        ``(path of the temporary file, SHA-256 as hex, size, first 8 KiB)``; the caller
        removes the file.

    Raises:
        ValidationFailed: empty, or larger than ``limit`` bytes (the file is removed).
        Unavailable: the temporary file cannot be written (no space, no permission).
    """
    digest, size, head, temporary = hashlib.sha256(), 0, b"", None
    try:
        if folder:
            os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
        with os.fdopen(handle, "wb") as out:
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
    except OSError as error:
        if temporary:
            _remove_quietly(temporary)
        current_app.logger.error("upload not staged in %s: %s", folder or tempfile.gettempdir(), error)
        raise Unavailable(STORE_UNAVAILABLE) from error
    except BaseException:
        if temporary:
            _remove_quietly(temporary)
        raise
    return temporary, digest.hexdigest(), size, head


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


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
    """Detach a document; the stored file goes when no consultation uses it any more.

    The row is deleted first: a store that cannot delete the file just now leaves it
    unused in the store (logged as a warning), and the document is detached all the same.
    """
    content_hash = document.content_hash
    db.session.delete(document)
    db.session.commit()
    if not hash_in_use(content_hash):
        try:
            get_storage().delete(content_hash)
        except StorageError as error:
            current_app.logger.warning("stored document left behind, unused: %s", error)


def hash_in_use(content_hash: str) -> bool:
    """Whether a consultation's or a meeting's document or a formal response's attachment
    still uses the stored file ``content_hash`` (a file is deleted from the store only when
    none does)."""
    return any(db.session.scalar(sa.select(model.id).where(model.content_hash == content_hash).limit(1)) is not None
               for model in (Document, MeetingDocument, ResponseAttachment))


def open_document(document: Document | MeetingDocument) -> StoredFile:
    """The stored file of ``document``, to be read as a stream and closed.

    Raises:
        hoering.storage.NotStored: the store has no file for it.
        hoering.storage.StorageError: the store cannot be read just now.
    """
    return get_storage().open(document.content_hash)


def documents_without_file() -> list[Document]:
    """The documents whose file the configured store does not have (after moving the files
    to another store, or restoring a backup), oldest first. Each stored file is asked for
    once, however many documents share it.

    Raises:
        hoering.storage.StorageError: the store cannot be asked.
    """
    store = get_storage()
    documents = list(db.session.scalars(sa.select(Document).order_by(Document.id)))
    present = {content_hash: store.exists(content_hash) for content_hash in {d.content_hash for d in documents}}
    return [document for document in documents if not present[document.content_hash]]


def documents_of(consultation_id: int) -> list[Document]:
    """The consultation's documents, oldest first."""
    return list(db.session.scalars(sa.select(Document).where(Document.consultation_id == consultation_id)
                                   .order_by(Document.id)))
