"""A form with several mistakes shows all of them at once, each at its field, with what
was typed kept; a document that is too large (413) brings the form back with its title
and a clear message (tests/consultations/test_document_too_large.py)."""

from __future__ import annotations

import re


def error_ids(page: str) -> set[str]:
    return set(re.findall(r'<p class="error" id="([^"]+)"', page))


def test_the_comment_form_shows_the_missing_text_and_the_missing_consent_together(browser_for, make_consultation):
    newcomer = browser_for(consented=False)
    consultation = make_consultation()
    page = f"/hoeringer/{consultation.slug}"
    response = newcomer.submit(page, f"{page}/kommentarer", data={"text": "   "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert {"comment-text-error", "comment-consent-error"} <= error_ids(html)
    assert "Skriv noe før du sender." in html and "Kryss av for at du godtar" in html
    assert html.count(" autofocus") == 1  # the first mistake has the focus


def test_the_reply_form_shows_every_mistake_and_keeps_the_text(browser_for, make_consultation, make_comment,
                                                               make_user, app):
    newcomer = browser_for(consented=False)
    consultation = make_consultation()
    top = make_comment(consultation, make_user(), "Et innlegg")
    page = f"/hoeringer/{consultation.slug}"
    long_reply = "Lang tekst. " * (app.config["COMMENT_MAX_LENGTH"] // 10)
    response = newcomer.submit(page, f"{page}/kommentarer", data={"text": long_reply, "parent_id": str(top.id)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert {f"reply-error-{top.id}", f"reply-consent-error-{top.id}"} <= error_ids(html)
    assert long_reply.strip() in html  # what was typed is in the reply form again


def test_the_report_form_shows_the_missing_reason_and_the_too_long_text_together(browser_for, make_consultation,
                                                                                 make_comment, make_user):
    citizen = browser_for()
    comment = make_comment(make_consultation(), make_user(), "Et innlegg")
    url = f"/kommentarer/{comment.id}/rapporter"
    response = citizen.submit(url, data={"text": "for mye " * 200})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert {"reason-error", "text-error"} <= error_ids(html)
    assert "Velg hvorfor du rapporterer kommentaren." in html and "for mye for mye" in html


def test_registration_shows_the_forms_and_the_accounts_mistakes_together(browser, make_user):
    make_user(email="kari@example.org", name="Kari Nordmann")
    response = browser.submit("/registrer", data={
        "display_name": "Kari Nordmann", "email": "kari@example.org", "password": "kari@example.org",
        "password_again": "noe annet"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert {"display_name-error", "email-error", "password-error", "password_again-error"} <= error_ids(html)
    assert "Noen andre har dette visningsnavnet" in html and "finnes allerede en konto" in html
    assert "Passordet kan ikke være e-postadressen eller visningsnavnet ditt." in html and "Passordene er ikke like." in html
    assert 'value="kari@example.org"' in html  # what was typed comes back (not the passwords)


def test_registration_refused_by_the_account_rules_alone_lists_every_one(browser, make_user):
    make_user(email="ola@example.org", name="Ola")
    response = browser.submit("/registrer", data={
        "display_name": "Ola", "email": "ola@example.org", "password": "ola@example.org",
        "password_again": "ola@example.org"})
    html = response.get_data(as_text=True)
    assert response.status_code in (409, 422)
    assert {"display_name-error", "email-error", "password-error"} <= error_ids(html)


def test_wtforms_own_messages_follow_the_chosen_language(browser_for, make_consultation):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    expected = {
        "nb": ("Feltet kan ikke være lenger enn 200 tegn.", "Tallet må være mellom 1 og 1000."),
        "nn": ("Feltet kan ikkje vere lengre enn 200 teikn.", "Talet må vere mellom 1 og 1000."),
        "en": ("Field cannot be longer than 200 characters.", "Number must be between 1 and 1000."),
    }
    for language, (too_long, out_of_range) in expected.items():
        officer.client.set_cookie("hoering_lang", language)
        response = officer.submit(f"/saksbehandling/hoeringer/{consultation.slug}/utkast",
                                  data={"number": "§ 1", "heading": "x" * 201, "place": "-4"})
        errors = re.findall(r'<p class="error"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S)
        assert response.status_code == 422
        assert too_long in errors and out_of_range in errors, (language, errors)
