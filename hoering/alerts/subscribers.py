"""Alert subscribers hear of a consultation once it is published."""

from __future__ import annotations

from hoering.alerts.services import tell_subscribers
from hoering.consultations.models import Consultation
from hoering.events import ConsultationPublished, subscriber
from hoering.extensions import db


@subscriber(ConsultationPublished)
def tell_alert_subscribers(event: ConsultationPublished) -> None:
    """Each confirmed subscriber the consultation matches gets one mail (through the outbox)."""
    consultation = db.session.get(Consultation, event.consultation_id)
    if consultation is not None and consultation.published_at is not None:
        tell_subscribers(consultation)
