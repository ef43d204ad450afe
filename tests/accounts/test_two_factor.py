"""Two-factor login (TOTP, pyotp) with recovery codes, and admins requiring it for staff."""

from __future__ import annotations

import re
import time

import pyotp
import sqlalchemy as sa

from hoering.extensions import db
from tests.conftest import TEST_PASSWORD, Browser

SECRET = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')
RECOVERY = re.compile(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>")


def code_at(secret: str, seconds_from_now: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + seconds_from_now)


def switch_on(browser: Browser) -> tuple[str, list[str]]:
    """Switch two-factor login on through its page; returns the secret and the recovery codes."""
    page = browser.get("/min-side/tofaktor").get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    qr = browser.get("/min-side/tofaktor/qr.svg")
    assert qr.mimetype == "image/svg+xml" and b"<script" not in qr.data and b"<path" in qr.data
    wrong = browser.submit("/min-side/tofaktor", data={"code": "000000" if code_at(secret) != "000000" else "111111",
                                                       "password": TEST_PASSWORD})
    assert wrong.status_code == 422 and "Koden er ikke riktig" in wrong.get_data(as_text=True)
    shown = browser.submit("/min-side/tofaktor", data={"code": code_at(secret), "password": TEST_PASSWORD})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    codes = RECOVERY.findall(shown.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def password_step(client, user):
    browser = Browser(client)
    response = browser.submit("/logg-inn", data={"email": user.email, "password": user.password})
    return browser, response


def test_two_factor_login_with_the_app_and_with_recovery_codes(app, make_user):
    user = make_user(email="toril@example.org")
    browser = Browser(app.test_client())
    browser.login(user)
    secret, codes = switch_on(browser)
    assert "tofaktor" in browser.get("/min-side").get_data(as_text=True).lower()
    with app.app_context():
        from hoering.accounts.models import RecoveryCode, User

        stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10 and not set(codes) & set(stored)  # only digests are kept
        assert db.session.get(User, user.id).totp_secret == secret

    # The password alone does not log in.
    second, answer = password_step(app.test_client(), user)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/logg-inn/kode")
    assert second.get("/min-side").status_code == 302
    wrong = second.submit("/logg-inn/kode", data={"code": "12345"})
    assert wrong.status_code == 401 and second.get("/min-side").status_code == 302
    fresh_code = code_at(secret, 30)  # the step after the one used to switch it on
    assert second.submit("/logg-inn/kode", data={"code": fresh_code}).status_code == 303
    assert second.get("/min-side").status_code == 200

    # The same code never works twice.
    third, _ = password_step(app.test_client(), user)
    replayed = third.submit("/logg-inn/kode", data={"code": fresh_code})
    assert replayed.status_code == 401 and "Vent til appen viser neste kode" in replayed.get_data(as_text=True)

    # A recovery code works once, with or without its dash and in any case.
    assert third.submit("/logg-inn/kode", data={"code": codes[0].upper().replace("-", " ")}).status_code == 303
    told = third.get("/").get_data(as_text=True)
    assert "Du brukte en gjenopprettingskode" in told and "Du har 9 igjen" in told
    fourth, _ = password_step(app.test_client(), user)
    assert fourth.submit("/logg-inn/kode", data={"code": codes[0]}).status_code == 401
    page = browser.get("/min-side/tofaktor").get_data(as_text=True)
    assert "9 ubrukte gjenopprettingskoder" in page


def test_the_second_step_expires_and_cannot_be_skipped(app, make_user, monkeypatch):
    import hoering.accounts.views as views

    user = make_user()
    browser = Browser(app.test_client())
    browser.login(user)
    secret, _codes = switch_on(browser)
    nobody = Browser(app.test_client())
    assert nobody.submit("/logg-inn", "/logg-inn/kode", data={"code": code_at(secret, 30)}).status_code == 303
    assert nobody.get("/min-side").status_code == 302  # nothing was waiting: back to the login page
    late, _ = password_step(app.test_client(), user)
    monkeypatch.setattr(views, "TWO_FACTOR_SECONDS", -1)
    answer = late.submit("/logg-inn", "/logg-inn/kode", data={"code": code_at(secret, 30)})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/logg-inn")
    assert late.get("/min-side").status_code == 302


def test_guessing_codes_is_rate_limited_per_account(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_TWO_FACTOR", "3 per hour")
    user = make_user()
    browser = Browser(app.test_client())
    browser.login(user)
    secret, _codes = switch_on(browser)
    statuses = []
    for _ in range(2):  # from two "devices": the limit follows the account
        guesser, _answer = password_step(app.test_client(), user)
        statuses += [guesser.submit("/logg-inn/kode", data={"code": "999999"}).status_code for _ in range(2)]
    assert statuses == [401, 401, 401, 429]


def test_new_recovery_codes_and_switching_off_need_the_password(app, make_user):
    user = make_user()
    browser = Browser(app.test_client())
    browser.login(user)
    _secret, codes = switch_on(browser)
    refused = browser.submit("/min-side/tofaktor", "/min-side/tofaktor/slaa-av",
                             data={"password": "feil-passord-1"}, follow_redirects=True)
    assert "Passordet er ikke riktig" in refused.get_data(as_text=True)
    with app.app_context():
        from hoering.accounts.models import User

        assert db.session.get(User, user.id).totp_secret is not None
    renewed = browser.submit("/min-side/tofaktor", "/min-side/tofaktor/nye-koder", data={"password": TEST_PASSWORD})
    new_codes = RECOVERY.findall(renewed.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    other, _ = password_step(app.test_client(), user)
    assert other.submit("/logg-inn/kode", data={"code": codes[1]}).status_code == 401  # old codes stopped
    browser.submit("/min-side/tofaktor", "/min-side/tofaktor/slaa-av", data={"password": TEST_PASSWORD})
    plain, answer = password_step(app.test_client(), user)
    assert answer.headers["Location"].endswith("/") and plain.get("/min-side").status_code == 200


def test_admins_can_require_two_factor_login_for_staff(app, make_user, make_consultation, make_comment):
    admin, moderator, citizen = make_user(role="admin"), make_user(role="moderator"), make_user()
    consultation = make_consultation()
    pending = make_comment(consultation, citizen, "Venter på godkjenning", state="pending")
    admin_browser = Browser(app.test_client())
    admin_browser.login(admin)
    refused = admin_browser.submit("/admin/sikkerhet", data={"require_two_factor": "y"})
    assert refused.status_code == 403 and "for deg selv først" in refused.get_data(as_text=True)
    assert 'href="/min-side/tofaktor"' in refused.get_data(as_text=True)
    assert 'id="require_two_factor-help"' in refused.get_data(as_text=True)  # what aria-describedby names
    secret, _codes = switch_on(admin_browser)
    assert admin_browser.submit("/admin/sikkerhet", data={"require_two_factor": "y"}).status_code == 303
    page = admin_browser.get("/admin/sikkerhet").get_data(as_text=True)
    assert moderator.display_name in page  # listed as staff without it

    mod_browser = Browser(app.test_client())
    logged_in = mod_browser.login(moderator)
    assert "/min-side/tofaktor" in logged_in.headers["Location"]  # told at once
    answer = mod_browser.get("/moderering")
    assert answer.status_code == 303 and "/min-side/tofaktor?next=/moderering" in answer.headers["Location"]
    acted = mod_browser.submit("/min-side", f"/moderering/kommentarer/{pending.id}/handling",
                               data={"action": "approve", "version": "0"})
    assert acted.status_code == 303 and "/min-side/tofaktor" in acted.headers["Location"]
    with app.app_context():
        from hoering.comments.models import Comment

        assert db.session.get(Comment, pending.id).state == "pending"
    citizen_browser = Browser(app.test_client())
    citizen_browser.login(citizen)
    assert citizen_browser.get("/min-side").status_code == 200  # citizens are not asked

    officer = Browser(app.test_client())
    officer.login(make_user(role="case_officer"))
    sent = officer.get("/saksbehandling/hoeringer/ny")  # case officers' pages send them to set it up too
    assert sent.status_code == 303 and sent.headers["Location"].startswith("/min-side/tofaktor?next=")
    assert "krever tofaktorinnlogging" in officer.get(sent.headers["Location"]).get_data(as_text=True)
    assert officer.get("/moderering").status_code == 403  # not theirs even with two-factor: no detour

    page = mod_browser.get("/min-side/tofaktor?next=/moderering").get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    codes_page = mod_browser.submit("/min-side/tofaktor?next=/moderering",
                                    data={"code": code_at(secret), "password": TEST_PASSWORD})
    assert 'href="/moderering"' in codes_page.get_data(as_text=True)  # back to where they were going
    assert mod_browser.get("/moderering").status_code == 200
    cannot = mod_browser.submit("/min-side/tofaktor", "/min-side/tofaktor/slaa-av", data={"password": TEST_PASSWORD},
                                follow_redirects=True)
    assert "kan derfor ikke slås av" in cannot.get_data(as_text=True)

    # An admin switches it off for someone who lost phone and codes; the log says so.
    assert admin_browser.submit(f"/admin/brukere/{moderator.id}", f"/admin/brukere/{moderator.id}/tofaktor"
                                ).status_code == 303
    assert mod_browser.get("/min-side").status_code == 302  # their sessions ended
    with app.app_context():
        from hoering.notifications.models import OutboxMail

        [notice] = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.kind == "two_factor_reset")).all()
        assert notice.to_address == moderator.email and "/min-side/tofaktor" in notice.body
        assert "En administrator har slått av tofaktorinnlogging" in notice.body
    log = admin_browser.get("/moderering/logg").get_data(as_text=True)
    assert "Tofaktorinnlogging nullstilt" in log and "Innstilling endret" in log
    assert "Tofaktorinnlogging påkrevd for ansatte: Av → På" in log and "require_two_factor_for_staff" not in log


def test_the_command_line_switches_it_off_for_a_locked_out_admin(app, make_user, runner):
    admin = make_user(role="admin", email="eneste@example.org")
    browser = Browser(app.test_client())
    browser.login(admin)
    switch_on(browser)
    result = runner.invoke(args=["hoering", "reset-two-factor", "--email", "ENESTE@example.org"])
    assert result.exit_code == 0, result.output
    assert browser.get("/min-side").status_code == 302  # sessions ended
    plain, answer = password_step(app.test_client(), admin)
    assert plain.get("/min-side").status_code == 200
    missing = runner.invoke(args=["hoering", "reset-two-factor", "--email", "ingen@example.org"])
    assert missing.exit_code != 0 and "No account" in missing.output


def test_switching_it_on_logs_out_every_other_session(app, make_user):
    user = make_user()
    phone, laptop = Browser(app.test_client()), Browser(app.test_client())
    phone.login(user, remember=True)
    laptop.login(user)
    switch_on(laptop)
    assert laptop.get("/min-side").status_code == 200
    phone.client.delete_cookie("session")  # the remember-me cookie no longer logs in either
    assert phone.get("/min-side").status_code == 302


def test_odd_codes_get_a_message_not_an_error(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_PASSWORD_CHECK", "1000 per minute")
    user = make_user()
    browser = Browser(app.test_client())
    browser.login(user)
    for code in ("١٢٣٤٥٦", "１２３４５６", "²²²²²²", "1" * 10_000, "\x00" * 6, " ", "12345\u200b6"):
        answer = browser.submit("/min-side/tofaktor", data={"code": code, "password": TEST_PASSWORD})
        assert answer.status_code == 422, (code[:10], answer.status_code)
    secret, _codes = switch_on(browser)
    waiting, _ = password_step(app.test_client(), user)
    for code in ("١٢٣٤٥٦", "１２３４５６", "ab" * 3000):
        assert waiting.submit("/logg-inn", "/logg-inn/kode", data={"code": code}).status_code in (401, 422)


def test_switching_it_on_needs_the_password(app, make_user):
    """Someone who has only the session (a borrowed, unlocked computer) cannot lock the
    owner out by switching two-factor login on."""
    user = make_user()
    browser = Browser(app.test_client())
    browser.login(user)
    secret = SECRET.search(browser.get("/min-side/tofaktor").get_data(as_text=True)).group(1)
    for password in ("", "feil-passord-1"):
        refused = browser.submit("/min-side/tofaktor", data={"code": code_at(secret), "password": password})
        assert refused.status_code in (403, 422)
        assert 'id="password-error"' in refused.get_data(as_text=True)
    with app.app_context():
        from hoering.accounts.models import User

        assert db.session.get(User, user.id).totp_secret is None


def test_the_session_cookie_never_holds_the_secret_being_set_up(app, make_user):
    import base64
    import zlib

    user = make_user()
    browser = Browser(app.test_client())
    browser.login(user)
    secret = SECRET.search(browser.get("/min-side/tofaktor").get_data(as_text=True)).group(1)
    cookie = browser.client.get_cookie("session").value
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()
    assert "two_factor_secret" in text and secret not in text


def test_a_half_set_up_secret_is_not_shown_to_the_next_person_on_the_browser(app, make_user):
    first, second = make_user(), make_user()
    browser = Browser(app.test_client())
    browser.login(first)
    page = browser.get("/min-side/tofaktor")
    assert page.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(page.get_data(as_text=True)).group(1)
    browser.logout()
    browser.login(second)
    assert SECRET.search(browser.get("/min-side/tofaktor").get_data(as_text=True)).group(1) != secret


def test_password_confirmations_are_rate_limited(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_PASSWORD_CHECK", "3 per hour")
    user = make_user()
    browser = Browser(app.test_client())
    browser.login(user)
    switch_on(browser)
    statuses = [browser.submit("/min-side/tofaktor", "/min-side/tofaktor/slaa-av",
                               data={"password": f"gjett-{n}-passord"}).status_code for n in range(3)]
    statuses.append(browser.submit("/min-side/tofaktor", "/min-side/tofaktor/slaa-av",
                                   data={"password": TEST_PASSWORD}).status_code)
    assert statuses == [303, 303, 303, 429]
    with app.app_context():
        from hoering.accounts.models import User

        assert db.session.get(User, user.id).totp_secret is not None


def test_password_guesses_through_the_set_up_form_are_rate_limited(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_PASSWORD_CHECK", "3 per hour")
    browser = Browser(app.test_client())
    browser.login(make_user())
    statuses = [browser.submit("/min-side/tofaktor", data={"code": "123456", "password": f"gjett-{n}-passord"}
                               ).status_code for n in range(4)]
    assert statuses == [403, 403, 403, 429]


def test_an_admin_cannot_reset_their_own_two_factor_login(app, make_user):
    admin = make_user(role="admin")
    browser = Browser(app.test_client())
    browser.login(admin)
    switch_on(browser)
    answer = browser.submit(f"/admin/brukere/{admin.id}", f"/admin/brukere/{admin.id}/tofaktor", follow_redirects=True)
    assert "på din egen side" in answer.get_data(as_text=True)
    with app.app_context():
        from hoering.accounts.models import User

        assert db.session.get(User, admin.id).totp_secret is not None


def test_the_daily_digest_goes_only_to_moderators_who_may_moderate(app, make_user, make_consultation, make_comment):
    from hoering.accounts import twofactor
    from hoering.accounts.models import User
    from hoering.notifications.models import OutboxMail
    from hoering.notifications.services import queue_moderator_digests

    admin = make_user(role="admin")
    make_user(role="moderator")
    make_comment(make_consultation(), make_user(), "Venter i køen", state="pending")
    browser = Browser(app.test_client())
    browser.login(admin)
    switch_on(browser)
    with app.app_context():
        twofactor.set_required_for_staff(True, db.session.get(User, admin.id))
        assert queue_moderator_digests() == 1
        # Not the moderator, who lacks the required second factor.
        assert db.session.scalars(sa.select(OutboxMail.to_address)).all() == [admin.email]
