"""Official replies: case officers and moderators answer on behalf of the municipality."""

from __future__ import annotations

import re


def reply(browser, consultation, parent_id, text, official=True):
    page = f"/hoeringer/{consultation.slug}"
    data = {"text": text, "parent_id": str(parent_id)}
    if official:
        data["official"] = "1"
    return browser.submit(page, f"{page}/kommentarer", data=data)


def test_an_official_reply_carries_the_badge_and_the_unit(browser_for, make_consultation, make_user, make_comment,
                                                          client):
    consultation = make_consultation(responsible_unit="Plan og miljø", moderation_mode="pre")
    question = make_comment(consultation, make_user(), "Når starter byggingen?")
    officer = browser_for("case_officer")
    page = officer.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Svar på vegne av Plan og miljø" in page
    assert reply(officer, consultation, question.id, "Byggingen starter i mai.").status_code == 303
    public = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Offisielt svar fra Plan og miljø" in public and "Byggingen starter i mai." in public  # no pre-moderation
    data = client.get(f"/api/v1/consultations/{consultation.slug}/comments").get_json()
    answers = [r for t in data["threads"] for r in t["replies"]]
    assert answers[0]["official_unit"] == "Plan og miljø"


def test_official_replies_do_not_count_as_participants(browser_for, make_consultation, make_user, make_comment,
                                                      client):
    consultation = make_consultation(title="Ny barnehage", responsible_unit="Oppvekst")
    question = make_comment(consultation, make_user(), "Hvor mange plasser blir det?")
    officer = browser_for("case_officer")
    assert reply(officer, consultation, question.id, "Det blir 80 plasser.").status_code == 303
    front = client.get("/").get_data(as_text=True)
    assert "2 kommentarer · 1 deltaker" in front  # the official answer is a comment, its author no participant
    staff_page = officer.get(f"/saksbehandling/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert re.search(r"<dt>Deltakere</dt><dd>1</dd>", staff_page)
    detail = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert re.search(r"<dt>Deltakere</dt><dd>1</dd>", detail)
    # The same person writing as a resident does count.
    assert reply(officer, consultation, question.id, "Som nabo er jeg glad for dette", official=False
                 ).status_code == 303
    assert "3 kommentarer · 2 deltakere" in client.get("/").get_data(as_text=True)


def test_citizens_cannot_answer_officially(browser_for, make_consultation, make_user, make_comment, client):
    consultation = make_consultation(responsible_unit="Plan og miljø")
    question = make_comment(consultation, make_user(), "Hvem bestemmer?")
    citizen = browser_for()
    assert "Svar på vegne av" not in citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    forged = reply(citizen, consultation, question.id, "Jeg later som jeg er kommunen")
    assert forged.status_code == 403 and "Jeg later som jeg er kommunen" in forged.get_data(as_text=True)
    assert "Offisielt svar" not in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)


def test_the_first_comment_asks_for_consent_to_publication(browser_for, make_consultation, app):
    from hoering.accounts.models import User
    from hoering.extensions import db

    consultation = make_consultation()
    newcomer = browser_for(consented=False)
    page = f"/hoeringer/{consultation.slug}"
    assert "Jeg godtar at visningsnavnet mitt" in newcomer.get(page).get_data(as_text=True)
    refused = newcomer.submit(page, f"{page}/kommentarer", data={"text": "Mitt første innspill"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Kryss av for at du godtar" in html and "Mitt første innspill" in html
    # The message belongs to the tick box, not to the text.
    assert 'aria-describedby="comment-consent-error"' in html and 'id="comment-consent-error"' in html
    assert 'id="comment-text-error"' not in html
    accepted = newcomer.submit(page, f"{page}/kommentarer", data={"text": "Mitt første innspill", "consent": "1"})
    assert accepted.status_code == 303
    with app.app_context():
        assert db.session.get(User, newcomer.user.id).publication_consent_at is not None
    assert "Jeg godtar at visningsnavnet mitt" not in newcomer.get(page).get_data(as_text=True)
    again = newcomer.submit(page, f"{page}/kommentarer", data={"text": "Et innspill til"})
    assert again.status_code == 303
