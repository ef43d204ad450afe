"""JSON API views of the political bodies and their meetings (those whose agenda is
published): ``/bodies``, ``/bodies/<slug>/meetings``, ``/meetings/<id>`` (docs/API.md)."""

from __future__ import annotations

from flask_babel import gettext as _

from hoering.api import answer, bp
from hoering.api.serializers import body_json, meeting_json
from hoering.errors import json_error
from hoering.forms import MAX_ID
from hoering.meetings import agenda
from hoering.meetings import services as meeting_services


@bp.get("/bodies")
def bodies():
    """Every political body with its members."""
    items = meeting_services.list_bodies()
    return answer({"items": [body_json(b, detail=True) for b in items], "total": len(items)},
                  last_modified=max((b.updated_at for b in items), default=None))


@bp.get("/bodies/<slug>/meetings")
def body_meetings(slug: str):
    """A body's meetings with a published agenda, soonest first."""
    body = meeting_services.get_body_by_slug(slug)
    if body is None:
        return json_error(404, "not_found", _("No political body has this address."))
    meetings = meeting_services.meetings_of(body.id)
    return answer({"body": body_json(body), "items": [meeting_json(m) for m in meetings], "total": len(meetings)},
                  last_modified=max((m.updated_at for m in meetings), default=body.updated_at))


@bp.get("/meetings/<int:meeting_id>")
def meeting(meeting_id: int):
    """One meeting with its agenda, documents and approved minutes."""
    found = meeting_services.get_meeting(meeting_id) if meeting_id <= MAX_ID else None
    if found is None or not found.is_public:
        return json_error(404, "not_found", _("No published meeting has this number."))
    return answer(meeting_json(found, agenda.documents_of(found.id), detail=True), last_modified=found.updated_at)
