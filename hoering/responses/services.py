"""Formal responses (høringssvar): receiving them on the web, registering those that came
by letter or e-mail, reading them for the public and for staff.

Screening (the decision whether and how a response is published) is in
:mod:`hoering.responses.screening`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from hoering import permissions
from hoering.consultations import documents
from hoering.consultations.models import Consultation
from hoering.events import ResponseReceived, announce
from hoering.exceptions import PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.responses.models import PUBLIC_STATES, Channel, FormalResponse, ResponseAttachment, ResponseState
from hoering.responses.orgnumber import is_valid_org_number, normalize_org_number
from hoering.sanitize import contains_bidi_controls, has_visible_text, normalize_line, normalize_text
from hoering.storage import get_storage
from hoering.timeutil import to_oslo, utcnow

#: The types a response may attach: PDF, Word (DOCX) and OpenDocument text (ODT).
ATTACHMENT_TYPES = {mime: suffix for mime, suffix in documents.ACCEPTED_TYPES.items()
                    if suffix in ("pdf", "docx", "odt")}
#: Longest response text, in characters.
TEXT_MAX_LENGTH = 100_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class ResponseData:
    """What a sender (or a case officer, from a letter) enters for a response.

    ``received_at`` is aware UTC; ``None`` means now. ``channel`` is a :class:`Channel` value.
    """

    sender_name: str
    sender_email: str
    text: str
    consent_to_publication: bool
    organisation_name: str = ""
    organisation_number: str = ""
    on_behalf_of_organisation: bool = False
    channel: str = Channel.WEB.value
    received_at: dt.datetime | None = None
    language: str = "nb"


@dataclass
class Upload:
    """A file sent with a response: its name on the sender's computer and a binary stream."""

    filename: str
    stream: object


@dataclass
class StagedUploads:
    """Attachments checked and waiting in temporary files, with the errors of those refused."""

    files: list[tuple[str, documents.StagedFile]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def discard(self) -> None:
        """Remove the temporary files (after a refused form)."""
        for _name, staged in self.files:
            documents.discard_staged(staged)
        self.files = []


def stage_attachments(uploads: list[Upload]) -> StagedUploads:
    """Check each upload (type from the content, ``RESPONSE_ATTACHMENT_MAX_BYTES`` each,
    ``RESPONSE_ATTACHMENTS_MAX_TOTAL_BYTES`` together, ``RESPONSE_ATTACHMENTS_MAX_COUNT``
    files) into temporary files, collecting every refusal instead of stopping at the first.

    Returns:
        The :class:`StagedUploads`; the caller passes it to :func:`submit_response` or
        :func:`register_response`, or calls ``discard()``.

    Raises:
        hoering.exceptions.Unavailable: a temporary file cannot be written.
    """
    config = current_app.config
    result, total = StagedUploads(), 0
    uploads = [upload for upload in uploads if upload.filename]
    if len(uploads) > config["RESPONSE_ATTACHMENTS_MAX_COUNT"]:
        result.errors.append(str(_l("You can attach at most %(count)d files.",
                                    count=config["RESPONSE_ATTACHMENTS_MAX_COUNT"])))
        return result
    refusal = _l("Only PDF, Word (DOCX) and OpenDocument text (ODT) files can be attached; the content of this "
                 "file is none of these.")
    for upload in uploads:
        name = normalize_line(upload.filename.replace("\\", "/").rsplit("/", 1)[-1])[:150]  # as the sender knows it
        try:
            staged = documents.stage_checked(upload.stream, config["RESPONSE_ATTACHMENT_MAX_BYTES"],
                                             ATTACHMENT_TYPES, refusal)
        except ValidationFailed as error:
            result.errors.append(f"{name}: {error.message}")
            continue
        except BaseException:
            result.discard()
            raise
        total += staged.size
        result.files.append((upload.filename, staged))
    if total > config["RESPONSE_ATTACHMENTS_MAX_TOTAL_BYTES"]:
        result.errors.append(str(_l("The attachments together are larger than %(mb)d MB.",
                                    mb=config["RESPONSE_ATTACHMENTS_MAX_TOTAL_BYTES"] // (1024 * 1024))))
    return result


def check_data(data: ResponseData) -> dict[str, str]:
    """The rules a response must meet, as ``{field name: message}`` (empty when it meets
    them all): a name, a valid e-mail address when one is given (required on the web),
    an organisation number that passes the modulus 11 rule
    (:mod:`hoering.responses.orgnumber`), a response on behalf of an organisation names it
    and its number, and a text or an attachment is not checked here (see the callers)."""
    problems = {}
    if not has_visible_text(normalize_line(data.sender_name)):
        problems["sender_name"] = _l("Enter your name.")
    email = (data.sender_email or "").strip()
    if data.channel == Channel.WEB.value and not email:
        problems["sender_email"] = _l("Enter your e-mail address: the receipt is sent there.")
    elif email and (not _EMAIL.match(email) or len(email) > 320 or contains_bidi_controls(email)
                    or any(c in email for c in '"<>()[]\\,;: ')):
        problems["sender_email"] = _l("Enter an e-mail address such as navn@example.no.")
    number = normalize_org_number(data.organisation_number)
    if number and not is_valid_org_number(number):
        problems["organisation_number"] = _l(
            "This is not a valid organisation number: it has nine digits, and the last is a check digit. "
            "Look it up in the Brønnøysund Register Centre (brreg.no).")
    if data.on_behalf_of_organisation:
        if not normalize_line(data.organisation_name):
            problems["organisation_name"] = _l("Enter the name of the organisation you answer on behalf of.")
        if not number:
            problems.setdefault("organisation_number", _l(
                "Enter the organisation number of the organisation you answer on behalf of."))
    if any(contains_bidi_controls(text) for text in (data.sender_name, data.organisation_name)):
        problems["sender_name"] = _l("Names cannot contain characters that reverse the direction of text.")
    if len(data.text or "") > TEXT_MAX_LENGTH:
        problems["text"] = _l("The text can be at most %(max)d characters.", max=TEXT_MAX_LENGTH)
    return problems


def submit_response(consultation: Consultation, user, data: ResponseData, staged: StagedUploads) -> FormalResponse:
    """Receive a response sent through the web form (anyone, no account needed).

    Writes the response, its attachments (put into the document store) and announces
    :class:`hoering.events.ResponseReceived` (the receipt mail follows after the commit);
    commits.

    Raises:
        PermissionDenied: the consultation takes no responses, or is not open.
        ValidationFailed: the data break a rule of :func:`check_data`, or there is neither
            text nor an attachment. Nothing is stored; the staged files are removed.
    """
    if not permissions.can_send_response(user, consultation):
        staged.discard()
        raise PermissionDenied(_l("This consultation does not take responses now."))
    data.channel, data.received_at = Channel.WEB.value, utcnow()
    return _create(consultation, data, staged, user_id=user.id if permissions.is_logged_in(user) else None)


def register_response(consultation: Consultation, officer, data: ResponseData,
                      staged: StagedUploads) -> FormalResponse:
    """Register a response that came by letter or e-mail (case officers), with its scan
    and attachments, the channel and the day it was received; as :func:`submit_response`.

    Raises:
        PermissionDenied: not a case officer, or the consultation takes no responses.
        ValidationFailed: as :func:`submit_response`, or an unknown channel or a day
            received in the future.
    """
    if not permissions.can_screen_responses(officer) or not consultation.accepts_responses:
        staged.discard()
        raise PermissionDenied(_l("Only case officers register responses, to consultations that take them."))
    if data.channel not in {c.value for c in Channel}:
        staged.discard()
        raise ValidationFailed(_l("Choose how the response came."))
    if data.received_at is None or data.received_at > utcnow():
        staged.discard()
        raise ValidationFailed(_l("The day received cannot be in the future."))
    return _create(consultation, data, staged, registered_by_id=officer.id)


def _create(consultation: Consultation, data: ResponseData, staged: StagedUploads, **fields) -> FormalResponse:
    problems = check_data(data)
    text = normalize_text(data.text or "")
    if not has_visible_text(text) and not staged.files:
        problems.setdefault("text", _l("Write your response, or attach it as a file."))
    if problems or staged.errors:
        staged.discard()
        raise ValidationFailed(next(iter(problems.values()), None) or staged.errors[0],
                               field=next(iter(problems), None))
    response = FormalResponse(
        consultation_id=consultation.id, token=secrets.token_urlsafe(32), channel=data.channel,
        received_at=data.received_at or utcnow(), sender_name=normalize_line(data.sender_name)[:200],
        sender_email=(data.sender_email or "").strip()[:320],
        organisation_name=normalize_line(data.organisation_name or "")[:200],
        organisation_number=normalize_org_number(data.organisation_number),
        on_behalf_of_organisation=bool(data.on_behalf_of_organisation), text=text,
        consent_to_publication=bool(data.consent_to_publication), language=(data.language or "nb")[:8],
        state=ResponseState.RECEIVED.value, **fields)
    try:
        for filename, file in staged.files:
            documents.keep_staged(file)
            response.attachments.append(ResponseAttachment(
                filename=documents.clean_filename(filename, ATTACHMENT_TYPES[file.mime]),
                content_hash=file.content_hash, size=file.size, mime=file.mime))
    finally:
        staged.discard()
    _number(response)
    announce(ResponseReceived(response_id=response.id, consultation_id=consultation.id, channel=response.channel))
    db.session.commit()
    return response


def _number(response: FormalResponse) -> None:
    """Give ``response`` the next reference number of the year it was received (Oslo time)
    and flush it; two senders at once both get one (the unique number is tried again)."""
    year = to_oslo(response.received_at).year
    prefix = current_app.config["RESPONSE_REFERENCE_PREFIX"]
    for _attempt in range(5):
        highest = db.session.scalar(sa.select(sa.func.max(FormalResponse.number)).where(FormalResponse.year == year))
        response.year, response.number = year, (highest or 0) + 1
        response.reference = f"{prefix}-{year}-{response.number:04d}"
        try:
            with db.session.begin_nested():
                db.session.add(response)
        except IntegrityError:
            continue
        return
    raise ValidationFailed(_l("The response could not be numbered just now. Send it again."))


def by_token(token: str) -> FormalResponse | None:
    """The response whose receipt page is reached with ``token``, or ``None``."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(FormalResponse).where(FormalResponse.token == token))


def public_responses(consultation_id: int) -> list[FormalResponse]:
    """The responses the public list shows: published ones and held-back ones (only that
    they exist and on which ground), by reference number; received (unscreened) ones are
    not shown."""
    return list(db.session.scalars(
        sa.select(FormalResponse).options(selectinload(FormalResponse.attachments))
        .where(FormalResponse.consultation_id == consultation_id,
               FormalResponse.state != ResponseState.RECEIVED.value)
        .order_by(FormalResponse.year, FormalResponse.number)))


def published_responses(consultation_id: int) -> list[FormalResponse]:
    """Only the published responses (with or without parts removed), by reference number."""
    return [r for r in public_responses(consultation_id) if r.state in PUBLIC_STATES]


def public_counts(consultation_id: int) -> dict[str, int]:
    """``{"published": n, "held_back": n}`` for the consultation page's link."""
    rows = db.session.execute(
        sa.select(FormalResponse.state, sa.func.count(FormalResponse.id))
        .where(FormalResponse.consultation_id == consultation_id).group_by(FormalResponse.state)).all()
    by_state = dict(rows)
    return {"published": sum(by_state.get(s, 0) for s in PUBLIC_STATES),
            "held_back": by_state.get(ResponseState.HELD_BACK.value, 0)}


#: The staff list's filters: name → states.
STAFF_FILTERS = {
    "all": None,
    "received": (ResponseState.RECEIVED.value,),
    "published": PUBLIC_STATES,
    "held_back": (ResponseState.HELD_BACK.value,),
}


def staff_responses(consultation_id: int, status: str = "all") -> list[FormalResponse]:
    """Every response of the consultation for case officers: unscreened first, then by
    reference number; ``status`` is a key of :data:`STAFF_FILTERS` (others mean all)."""
    query = (sa.select(FormalResponse).options(selectinload(FormalResponse.attachments))
             .where(FormalResponse.consultation_id == consultation_id))
    states = STAFF_FILTERS.get(status)
    if states:
        query = query.where(FormalResponse.state.in_(states))
    unscreened_first = sa.case((FormalResponse.state == ResponseState.RECEIVED.value, 0), else_=1)
    return list(db.session.scalars(query.order_by(unscreened_first, FormalResponse.year, FormalResponse.number)))


def response_by_id(response_id: int) -> FormalResponse | None:
    """The response with this id, or ``None``."""
    return db.session.get(FormalResponse, response_id)


def attachment(attachment_id: int) -> ResponseAttachment | None:
    """The attachment with this id, or ``None``."""
    return db.session.get(ResponseAttachment, attachment_id)


def open_attachment(found: ResponseAttachment):
    """The stored file of an attachment, to be read as a stream and closed.

    Raises:
        hoering.storage.NotStored: the store has no file for it.
        hoering.storage.StorageError: the store cannot be read just now.
    """
    return get_storage().open(found.content_hash)
