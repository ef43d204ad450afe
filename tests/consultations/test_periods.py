"""The consultation period (utredningsinstruksen § 3-3): normally three months, at least six
weeks; a shorter period is published only with a public reason, shown on the page, in the
API and in the report, and deadline changes keep their reasons."""

from __future__ import annotations

import datetime as dt
import io
import re

from docx import Document

from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.timeutil import oslo_today
from tests.consultations.test_pages import consultation_form

NEW = "/saksbehandling/hoeringer/ny"


def _form(days: int, **overrides) -> dict:
    today = oslo_today()
    data = {"opens_at": f"{today}T08:00", "deadline": str(today + dt.timedelta(days=days)), "short_period_reason": ""}
    return consultation_form(**(data | overrides))


def test_a_short_period_is_not_published_without_a_reason_and_nothing_typed_is_lost(browser_for, app):
    officer = browser_for("case_officer")
    refused = officer.submit(NEW, data=_form(20, title="Ny gangbru over elva"))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Høringsperioden er 20 dager, kortere enn 6 uker" in page
    assert "Ny gangbru over elva" in page and "Hvor bør den ligge?" in page
    with app.app_context():
        assert db.session.query(Consultation).count() == 0


def test_a_short_period_with_a_reason_is_published_and_the_reason_shown(browser_for, client, app):
    officer = browser_for("case_officer")
    reason = "Statsforvalteren krever svar før 1. februar."
    saved = officer.submit(NEW, data=_form(20, title="Ny gangbru", short_period_reason=reason))
    assert saved.status_code == 303
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Høringsperioden er kortere enn 6 uker (20 dager). Begrunnelse:" in page and reason in page
    slug = saved.headers["Location"].rsplit("/", 1)[-1]
    detail = client.get(f"/api/v1/consultations/{slug}").get_json()
    assert (detail["period_days"], detail["short_period_reason"]) == (20, reason)


def test_six_weeks_need_no_reason_and_show_none(browser_for, client):
    officer = browser_for("case_officer")
    saved = officer.submit(NEW, data=_form(42, title="Seks uker"))
    assert saved.status_code == 303
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "kortere enn 6 uker" not in page
    assert officer.submit(NEW, data=_form(41, title="Nesten seks uker")).status_code == 422


def test_a_draft_with_a_short_period_is_saved_with_a_warning(browser_for):
    officer = browser_for("case_officer")
    saved = officer.submit(NEW, data=_form(14, title="Utkast", publish=None))
    assert saved.status_code == 303
    page = officer.get(saved.headers["Location"]).get_data(as_text=True)
    assert "For å publisere må du skrive en begrunnelse for den korte fristen." in page
    edit = officer.get(saved.headers["Location"].replace("/hoeringer/", "/saksbehandling/hoeringer/") + "/rediger")
    assert "Høringsperioden er 14 dager, kortere enn 6 uker." in edit.get_data(as_text=True)


def test_the_minimum_is_configurable_and_the_message_is_in_nynorsk(browser_for, app, monkeypatch):
    monkeypatch.setitem(app.config, "CONSULTATION_MINIMUM_DAYS", 84)
    officer = browser_for("case_officer")
    officer.submit("/", "/sprak", data={"lang": "nn", "next": "/"})
    refused = officer.submit(NEW, data=_form(60, title="Ny plan"))
    assert refused.status_code == 422
    assert "Høyringsperioden er 60 dagar, kortare enn 12 veker" in refused.get_data(as_text=True)


def test_the_report_gives_the_period_its_reason_and_the_deadline_changes(browser_for, make_consultation, app):
    consultation = make_consultation(short_period_reason="Vedtak må fattes før sommeren.")
    officer = browser_for("case_officer")
    old = consultation.deadline
    new = old + dt.timedelta(days=7)
    assert officer.submit(f"/saksbehandling/hoeringer/{consultation.slug}/livslop",
                          data={"action": "extend", "deadline": new.isoformat(),
                                "reason": "Mange ba om mer tid."}).status_code == 303
    response = officer.get(f"/saksbehandling/hoeringer/{consultation.slug}/rapport.docx")
    text = " ".join(p.text for p in Document(io.BytesIO(response.get_data())).paragraphs)
    with app.app_context():
        days = db.session.get(Consultation, consultation.id).period_days
    assert re.search(rf"Perioden var {days} dager\.", text)
    assert "Begrunnelsen for at den var kortere enn seks uker: Vedtak må fattes før sommeren." in text
    assert "Mange ba om mer tid." in text and "Fristen ble forlenget fra" in text
