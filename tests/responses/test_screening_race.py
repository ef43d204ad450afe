"""Two case officers screening one response at once: the second decision, made on what it
loaded before the first was saved, is refused, and nothing of the two is mixed."""

from __future__ import annotations

import pytest

from hoering.accounts.models import User
from hoering.exceptions import Conflict
from hoering.extensions import db
from hoering.responses.models import FormalResponse
from hoering.responses.screening import screen_response
from tests.consultations.test_documents import pdf_bytes
from tests.responses.test_responses import GROUND, responses_in_db, screen, send


def test_a_decision_on_a_response_screened_meanwhile_is_refused_and_nothing_mixes(
        app, make_consultation, browser, browser_for, make_user, client):
    consultation = make_consultation(accepts_responses=True)
    send(browser, consultation.slug, text="Legeerklæringen ligger ved", files=[(pdf_bytes("lege"), "lege.pdf")])
    [response] = responses_in_db(app)
    attachment_id = response.attachments[0].id
    first = browser_for("case_officer")
    other = make_user("admin")
    with app.app_context():
        stale = db.session.get(FormalResponse, response.id)  # the other officer's request loads it now
        _ = stale.attachments
        db.session.expunge(stale)  # and keeps it as loaded, whatever the first request does
        assert screen(first, response.id, decision="redacted", public_text="Legeerklæringen [unntatt]",
                      legal_ground=GROUND, withhold=str(attachment_id)).status_code == 303
        with pytest.raises(Conflict):
            screen_response(stale, db.session.get(User, other.id), "published")
    with app.app_context():
        saved = db.session.get(FormalResponse, response.id)
        assert (saved.state, saved.legal_ground, saved.public_text) == ("redacted", GROUND, "Legeerklæringen [unntatt]")
        assert [a.withheld for a in saved.attachments] == [True]
    assert client.get(f"/hoeringssvar/vedlegg/{attachment_id}/lege.pdf").status_code == 404


def test_screening_again_later_works(app, make_consultation, browser, browser_for):
    consultation = make_consultation(accepts_responses=True)
    send(browser, consultation.slug)
    [response] = responses_in_db(app)
    officer = browser_for("case_officer")
    assert screen(officer, response.id, decision="held_back", legal_ground=GROUND).status_code == 303
    assert screen(officer, response.id, decision="published").status_code == 303
    [saved] = responses_in_db(app)
    assert (saved.state, saved.legal_ground) == ("published", "")


def test_an_address_with_reversing_characters_or_quotes_is_refused(app, make_consultation, browser):
    consultation = make_consultation(accepts_responses=True)
    for address in ("a\u202e@example.no", '"<x>"@example.no'):
        refused = send(browser, consultation.slug, sender_email=address)
        assert refused.status_code == 422
        assert "Skriv en e-postadresse som navn@example.no." in refused.get_data(as_text=True)
    assert responses_in_db(app) == []
