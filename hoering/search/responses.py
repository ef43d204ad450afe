"""Formal responses in the search index (both backends), beside comments and consultations.

A response is one document, ``response:<id>``, titled with its reference number:

* published (whole, or with parts removed): its **public** text and the sender the public
  list names, with state ``published``, so everyone finds it, by the public words only;
* not yet screened or held back: the text as received and the sender's name, with its own
  state (``received``, ``held_back``), which only case officers' searches include
  (:func:`private_states`); moderators who are not case officers do not see them.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from hoering.extensions import db
from hoering.responses.models import FormalResponse, ResponseState
from hoering.search.backend import IndexDocument

#: The state a published response is indexed with: the comments' public state, so the
#: public scope finds both.
PUBLIC_STATE = "published"
#: States only case officers' searches include.
PRIVATE_STATES = (ResponseState.RECEIVED.value, ResponseState.HELD_BACK.value)


def response_document(response: FormalResponse) -> IndexDocument:
    """The index document of a response (plain text, never HTML; see the module docstring)."""
    public = response.is_public
    return IndexDocument(
        doc_type="response", doc_id=response.id, consultation_id=response.consultation_id,
        state=PUBLIC_STATE if public else response.state, language=response.consultation.language,
        author=(response.public_sender if public else response.sender_name) or "",
        title=response.reference, body=response.public_text if public else response.text,
        created_at=response.received_at,
    )


def response_documents(ids) -> tuple[list[IndexDocument], list[str]]:
    """``(documents to write, keys to delete)`` for the responses with ``ids``."""
    ids = set(ids)
    found = {r.id: r for r in db.session.scalars(
        sa.select(FormalResponse).where(FormalResponse.id.in_(ids)).options(joinedload(FormalResponse.consultation))
        .execution_options(populate_existing=True))} if ids else {}
    return ([response_document(found[i]) for i in sorted(found)],
            [f"response:{i}" for i in sorted(ids - found.keys())])


def all_response_documents() -> Iterator[IndexDocument]:
    """Every response's document, for a rebuild or a check."""
    for response in db.session.scalars(sa.select(FormalResponse).options(joinedload(FormalResponse.consultation))
                                       .order_by(FormalResponse.id)):
        yield response_document(response)
