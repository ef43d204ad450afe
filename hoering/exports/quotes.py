"""Quotes as the report prints them (HTML, PDF, DOCX): a quoted comment, or the public
version of a quoted formal response (høringssvar), each with its source and a link to it
on the site."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from hoering.responses.models import FormalResponse, ResponseState
from hoering.summaries.services import response_excerpt
from hoering.urls import site_url_for


@dataclass
class ReportQuote:
    """A quote: its text, its source (a comment's author; a response's sender as the public
    list names it), the comment's id or the response's reference, the absolute address on
    the site, and a comment's votes in words ("" when nobody voted, and for responses)."""

    text: str
    author: str
    comment_id: int | None
    url: str
    votes: str = ""
    #: A formal response's reference ("HS-2026-0042"); "" for a comment.
    reference: str = ""
    #: Said after the link: "published with parts removed" for a redacted response.
    note: str = ""

    @property
    def link_label(self) -> str:
        """The link's text in the current language: "kommentar #12" or "høringssvar HS-2026-0042"."""
        if self.reference:
            return _("formal response %(reference)s", reference=self.reference)
        return _("comment #%(id)d", id=self.comment_id)


def response_quote(response: FormalResponse) -> ReportQuote:
    """A quoted formal response as the report prints it: only its public text (cut as on
    the page, :func:`hoering.summaries.services.response_excerpt`), its sender as the
    public list names it ("Name not published" when withheld), linked to its place on the
    public list."""
    sender = _("Name not published") if response.name_withheld else response.public_sender
    url = site_url_for("responses.public_list", slug=response.consultation.slug) + f"#{response.reference}"
    note = _("published with parts removed") if response.state == ResponseState.REDACTED.value else ""
    return ReportQuote(response_excerpt(response.public_text), sender, None, url, reference=response.reference,
                       note=note)
