"""What follows a formal response (:mod:`hoering.events`): the receipt mail to its sender."""

from __future__ import annotations

from flask_babel import gettext as _

from hoering.events import ResponseReceived, subscriber
from hoering.extensions import db
from hoering.i18n import human_datetime, in_language
from hoering.notifications.outbox import add_to_address
from hoering.responses.models import Channel, FormalResponse
from hoering.urls import site_url_for


@subscriber(ResponseReceived)
def send_receipt(event: ResponseReceived) -> None:
    """The sender of a response sent on the web gets a receipt with its reference number
    and the address of the receipt page, in the language they used, through the outbox
    (once: the mail's dedupe key is the response)."""
    response = db.session.get(FormalResponse, event.response_id)
    if response is None or response.channel != Channel.WEB.value or not response.sender_email:
        return
    with in_language(response.language):
        subject = _("Receipt for your response %(reference)s", reference=response.reference)
        lines = [
            _("Thank you for your response to “%(title)s”.", title=response.consultation.title),
            _("Reference number: %(reference)s", reference=response.reference),
            _("Received: %(time)s", time=human_datetime(response.received_at, "long")),
            _("Attachments: %(count)d", count=len(response.attachments)),
            _("You can see what we received here: %(url)s",
              url=site_url_for("responses.receipt", token=response.token)),
            _("The municipality checks every response before it is published. You did not consent to "
              "publication, so your name is never published.") if not response.consent_to_publication else
            _("The municipality checks every response before it is published with your name."),
        ]
    add_to_address(response.sender_email, "response_receipt", subject, "\n\n".join(lines) + "\n",
                   dedupe_key=f"response_receipt:{response.id}")
