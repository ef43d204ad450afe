"""Formal responses in the exports (CSV, XLSX, JSON: a file of their own, one row per
response) and in the report (a section: how many, from whom, published or held back and
on which grounds, and the published texts).

Exports and report hold only what may be published: the public version of a response's
text, and no text of a response held back or not yet screened (their reference, sender
kind, state and legal ground are there). The text as received stays on the case officers'
screening page; the report goes to politicians and the public, and exports travel on.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hoering import isolation
from hoering.consultations.models import Consultation
from hoering.exports.cells import spreadsheet_cell
from hoering.extensions import db
from hoering.i18n import human_date
from hoering.responses import services as response_services
from hoering.responses.analysis import theme_names_by_response
from hoering.responses.models import FormalResponse, ResponseState
from hoering.timeutil import to_oslo

#: The columns of the responses export, in order.
COLUMNS = ("reference", "received", "channel", "sender", "sender_kind", "organisation_number", "consent", "state",
           "legal_ground", "themes", "attachments", "text")
COLUMN_LABELS = {
    "reference": _l("Reference"), "received": _l("Received"), "channel": _l("Came by"), "sender": _l("Sender"),
    "sender_kind": _l("Person or organisation"), "organisation_number": _l("Organisation number"),
    "consent": _l("Consent to publication"), "state": _l("State"), "legal_ground": _l("Legal ground"),
    "themes": _l("Themes"), "attachments": _l("Published attachments"), "text": _l("Public text"),
}
STATE_LABELS = {"received": _l("Not screened"), "published": _l("Published"),
                "redacted": _l("Published with parts removed"), "held_back": _l("Held back")}
CHANNEL_LABELS = {"web": _l("Web"), "letter": _l("Letter"), "email": _l("E-mail")}
SENDER_KIND_LABELS = {"person": _l("Person"), "organisation": _l("Organisation")}
CONSENT_LABELS = {"yes": _l("Yes"), "no": _l("No")}


def column_labels() -> dict[str, str]:
    """:data:`COLUMN_LABELS` in the current language, as plain strings (for a child process)."""
    return {name: str(label) for name, label in COLUMN_LABELS.items()}


def value_labels() -> dict[str, dict[str, str]]:
    """``{column: {stable value: label}}`` in the current language, for the XLSX file
    (CSV and JSON keep the stable values: "held_back", "letter", "organisation", "yes")."""
    return {column: {value: str(label) for value, label in names.items()} for column, names in (
        ("state", STATE_LABELS), ("channel", CHANNEL_LABELS), ("sender_kind", SENDER_KIND_LABELS),
        ("consent", CONSENT_LABELS))}


def sender_kind(response: FormalResponse) -> str:
    """"organisation" for a response on behalf of an organisation, else "person"."""
    return "organisation" if response.on_behalf_of_organisation else "person"


def response_row(response: FormalResponse, themes: list[str] | None = None) -> dict:
    """One response as exported: only what may be published (module docstring), with the
    names of the ``themes`` it is tagged with."""
    public = response.is_public
    return {
        "reference": response.reference,
        "received": to_oslo(response.received_at).strftime("%Y-%m-%d %H:%M"),
        "channel": response.channel,
        "sender": (response.public_sender if public else "") or "",
        "sender_kind": sender_kind(response),
        "organisation_number": response.organisation_number if response.on_behalf_of_organisation else "",
        "consent": "yes" if response.consent_to_publication else "no",
        "state": response.state,
        "legal_ground": response.legal_ground,
        "themes": "; ".join(themes or []),
        "attachments": "; ".join(a.filename for a in response.public_attachments()),
        "text": response.public_text if public else "",
    }


def response_rows(consultation: Consultation) -> list[dict]:
    """Every response of the consultation as :func:`response_row`, by reference number."""
    themes = theme_names_by_response(consultation.id)
    return [response_row(r, themes.get(r.id)) for r in sorted(response_services.staff_responses(consultation.id),
                                                               key=lambda r: (r.year, r.number))]


def responses_csv(rows: list[dict], labels: dict[str, str] | None = None) -> Iterator[str]:
    """CSV as the comments export writes it: BOM, a header (``labels``, else the column
    names), every cell quoted and neutralized (:func:`~hoering.exports.cells.spreadsheet_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    buffer.write("\ufeff")
    writer.writerow([spreadsheet_cell(labels.get(name, name)) for name in COLUMNS] if labels else COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_cell(row[name]) for name in COLUMNS])
    yield buffer.getvalue()


def responses_json(meta: dict, rows: list[dict]) -> Iterator[str]:
    """``{"consultation": meta, "columns": [...], "responses": [{...}, ...]}``."""
    yield json.dumps({"consultation": meta, "columns": list(COLUMNS), "responses": rows}, ensure_ascii=False)


def responses_xlsx(consultation: Consultation, sheet_title: str, labels: dict[str, str],
                   values: dict[str, dict[str, str]] | None = None) -> bytes:
    """The responses export as XLSX, made in a child process (:mod:`hoering.isolation`, as
    the comments' workbook: openpyxl never loads into the web worker).

    Raises:
        hoering.isolation.Overran: the child took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    return isolation.run(_made_xlsx, consultation.id, str(sheet_title), dict(labels), dict(values or {}))


def _made_xlsx(consultation_id: int, sheet_title: str, labels: dict[str, str],
               values: dict[str, dict[str, str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    rows = response_rows(consultation)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31] or "Responses"
    sheet.append([spreadsheet_cell(labels.get(name, name)) for name in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:  # enumerated values by their labels ("held_back" → "Holdt tilbake")
        sheet.append([spreadsheet_cell(values.get(name, {}).get(row[name], row[name])) for name in COLUMNS])
    widths = {"reference": 14, "received": 17, "sender": 28, "legal_ground": 40, "attachments": 30, "text": 80}
    for index, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(name, 12)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(rows) + 1}"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@dataclass
class ReportResponse:
    """A response as the report shows it: published ones with their public text, held-back
    ones with their legal ground only."""

    reference: str
    sender: str
    received: str
    state: str
    legal_ground: str
    text: str
    attachments: list[str]


@dataclass
class ResponsesSection:
    """The report's section on formal responses."""

    total: int
    persons: int
    organisations: int
    published: int
    redacted: int
    held_back: int
    unscreened: int
    grounds: list[tuple[str, int]] = field(default_factory=list)
    items: list[ReportResponse] = field(default_factory=list)
    #: ``(theme name, responses tagged with it)``, largest first.
    themes: list[tuple[str, int]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The counts as sentences, in the current language."""
        lines = [_("Responses received: %(total)d (%(persons)d from persons, %(organisations)d on behalf of "
                   "organisations).", total=self.total, persons=self.persons, organisations=self.organisations),
                 _("Published: %(published)d, of them %(redacted)d with parts removed. Held back: %(held)d. Not yet "
                   "screened: %(unscreened)d.", published=self.published + self.redacted, redacted=self.redacted,
                   held=self.held_back, unscreened=self.unscreened)]
        lines += [_("Legal ground “%(ground)s”: %(num)s", ground=ground, num=count) for ground, count in self.grounds]
        lines += [_("Theme “%(theme)s”: %(num)s", theme=theme, num=count) for theme, count in self.themes]
        return lines


def responses_section(consultation: Consultation) -> ResponsesSection | None:
    """The report's section on formal responses, or ``None`` when the consultation takes
    none and has none."""
    responses = sorted(response_services.staff_responses(consultation.id), key=lambda r: (r.year, r.number))
    if not responses and not consultation.accepts_responses:
        return None
    states = Counter(r.state for r in responses)
    grounds = Counter(r.legal_ground for r in responses if r.legal_ground and r.state != ResponseState.RECEIVED.value)
    items = []
    for r in responses:
        if r.state == ResponseState.RECEIVED.value:
            continue
        shown = r.is_public
        items.append(ReportResponse(
            reference=r.reference, sender=(r.public_sender or str(_l("Name not published"))) if shown else "",
            received=human_date(r.received_at, "medium"), state=str(STATE_LABELS[r.state]),
            legal_ground=r.legal_ground, text=r.public_text if shown else "",
            attachments=[a.filename for a in r.public_attachments()]))
    organisations = sum(1 for r in responses if r.on_behalf_of_organisation)
    tagged = Counter(name for names in theme_names_by_response(consultation.id).values() for name in names)
    return ResponsesSection(
        total=len(responses), persons=len(responses) - organisations, organisations=organisations,
        published=states[ResponseState.PUBLISHED.value], redacted=states[ResponseState.REDACTED.value],
        held_back=states[ResponseState.HELD_BACK.value], unscreened=states[ResponseState.RECEIVED.value],
        grounds=sorted(grounds.items()), items=items,
        themes=sorted(tagged.items(), key=lambda item: (-item[1], item[0].casefold())))
