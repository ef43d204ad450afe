"""Administrators invite colleagues with a staff role: the mailed single-use link, its
expiry and revocation, the roles that may and may not, and the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import sqlalchemy as sa

from hoering.accounts.models import Invitation, SiteSetting, User
from hoering.extensions import db
from hoering.moderation.models import ModerationAction
from hoering.notifications.models import OutboxMail
from tests.conftest import Browser

LINK = re.compile(r"http://\S+(/invitasjon/\S+)")
NEW_PASSWORD = "fjord-harbour-lantern-42"


def invite(admin, email: str = "ny.kollega@fjordvik.example", role: str = "moderator"):
    return admin.submit("/admin/invitasjoner", data={"email": email, "role": role})


def invitation_link(app, email: str) -> str:
    with app.app_context():
        mail = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.to_address == email)
                                  .order_by(OutboxMail.id.desc())).first()
        assert mail is not None and mail.kind == "staff_invitation"
        return LINK.search(mail.body).group(1)


def accept(browser: Browser, link: str, name: str = "Nina Kollega", password: str = NEW_PASSWORD):
    return browser.submit(link, data={"display_name": name, "password": password, "password_again": password})


def audit(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        return [(a.action, a.state_after or a.state_before) for a in db.session.scalars(
            sa.select(ModerationAction).where(ModerationAction.action.like("invitation_%")).order_by(ModerationAction.id))]


def test_an_invited_colleague_sets_name_and_password_and_gets_the_role(app, browser_for, client):
    admin = browser_for("admin")
    assert invite(admin, "Ny.Kollega@Fjordvik.example", "case_officer").status_code == 303
    link = invitation_link(app, "ny.kollega@fjordvik.example")
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalar(sa.select(Invitation))
        # Only the token's hash is kept.
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in stored.token_hash
    listing = admin.get("/admin/invitasjoner").get_data(as_text=True)
    assert "ny.kollega@fjordvik.example" in listing and "Saksbehandler" in listing and "Åpen til" in listing

    invitee = Browser(app.test_client())
    page = invitee.get(link)
    assert page.status_code == 200 and "ny.kollega@fjordvik.example" in page.get_data(as_text=True)
    weak = accept(invitee, link, password="ny.kollega@fjordvik.example")
    assert weak.status_code == 422 and "Nina Kollega" in weak.get_data(as_text=True)  # nothing typed is lost
    done = accept(invitee, link)
    assert done.status_code == 303 and done.headers["Location"] == "/personale"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "ny.kollega@fjordvik.example"))
        assert user.role == "case_officer" and user.display_name == "Nina Kollega"
        assert user.email_verified_at is not None
        assert db.session.scalar(sa.select(Invitation)).accepted_user_id == user.id
    assert invitee.get("/personale").status_code == 200
    assert invitee.get("/saksbehandling/hoeringer/ny").status_code == 200  # the role's powers
    assert audit(app) == [("invitation_sent", "case_officer"), ("invitation_accepted", "case_officer")]
    assert "Ansatt invitert" in admin.get("/moderering/logg").get_data(as_text=True)

    # The link works once.
    again = Browser(app.test_client()).get(link)
    assert again.status_code == 410 and "er brukt" in again.get_data(as_text=True)


def test_a_used_link_cannot_make_a_second_account(app, browser_for):
    admin = browser_for("admin")
    invite(admin)
    link = invitation_link(app, "ny.kollega@fjordvik.example")
    first, second = Browser(app.test_client()), Browser(app.test_client())
    form_page = second.get(link).get_data(as_text=True)  # opened in two places before either sent
    assert accept(first, link).status_code == 303
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form_page).group(1)
    late = second.client.post(link, data={"csrf_token": token, "display_name": "Noen Andre",
                                          "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert late.status_code == 410
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
            User.display_name == "Noen Andre")) == 0


def test_an_expired_or_revoked_invitation_is_refused(app, browser_for):
    admin = browser_for("admin")
    invite(admin, "sein@fjordvik.example")
    late_link = invitation_link(app, "sein@fjordvik.example")
    with app.app_context():
        row = db.session.scalar(sa.select(Invitation).where(Invitation.email == "sein@fjordvik.example"))
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        db.session.commit()
    expired = Browser(app.test_client()).get(late_link)
    assert expired.status_code == 410 and "utløpt" in expired.get_data(as_text=True)
    assert "Utløpt" in admin.get("/admin/invitasjoner").get_data(as_text=True)

    invite(admin, "trukket@fjordvik.example")
    link = invitation_link(app, "trukket@fjordvik.example")
    with app.app_context():
        invitation_id = db.session.scalar(sa.select(Invitation.id).where(Invitation.email == "trukket@fjordvik.example"))
    assert admin.submit("/admin/invitasjoner", f"/admin/invitasjoner/{invitation_id}/trekk-tilbake").status_code == 303
    revoked = Browser(app.test_client())
    assert revoked.get(link).status_code == 410
    assert Browser(app.test_client()).get("/invitasjon/" + "x" * 43).status_code == 410
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
            User.email.in_(("sein@fjordvik.example", "trukket@fjordvik.example")))) == 0
    assert ("invitation_revoked", "moderator") in audit(app)


def test_an_address_with_an_account_or_an_open_invitation_is_not_invited_again(app, browser_for, make_user):
    admin = browser_for("admin")
    existing = make_user(email="har.konto@fjordvik.example")
    refused = invite(admin, existing.email)
    assert refused.status_code == 409 and "har.konto@fjordvik.example" in refused.get_data(as_text=True)
    assert invite(admin, "en@fjordvik.example").status_code == 303
    assert invite(admin, "en@fjordvik.example").status_code == 409
    assert invite(admin, "to@fjordvik.example", role="citizen").status_code == 422
    assert invite(admin, "ikke en adresse").status_code == 422


@pytest.mark.parametrize("role", ["anonymous", "citizen", "moderator", "case_officer"])
def test_only_administrators_invite_or_revoke(app, browser_for, role):
    admin = browser_for("admin")
    invite(admin)
    with app.app_context():
        invitation_id = db.session.scalar(sa.select(Invitation.id))
    other = Browser(app.test_client()) if role == "anonymous" else browser_for(role)
    page = other.get("/admin/invitasjoner")
    assert page.status_code in (302, 403)
    token = admin.client.get("/admin/invitasjoner").get_data(as_text=True)  # a valid-looking form, posted by another
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', token).group(1)
    for url, data in (("/admin/invitasjoner", {"email": "x@fjordvik.example", "role": "admin"}),
                      (f"/admin/invitasjoner/{invitation_id}/trekk-tilbake", {})):
        assert other.client.post(url, data={"csrf_token": token, **data}).status_code in (302, 400, 403)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 1
        assert db.session.scalar(sa.select(Invitation.revoked_at)) is None


def test_where_staff_must_use_two_factor_the_invitee_switches_it_on_first(app, browser_for):
    admin = browser_for("admin")
    invite(admin, "sikker@fjordvik.example")
    with app.app_context():  # required from now on (the scene's admin has no second factor herself)
        db.session.add(SiteSetting(key="require_two_factor_for_staff", value="1"))
        db.session.commit()
    link = invitation_link(app, "sikker@fjordvik.example")
    invitee = Browser(app.test_client())
    assert "tofaktorinnlogging" in invitee.get(link).get_data(as_text=True)
    done = accept(invitee, link)
    assert done.status_code == 303 and done.headers["Location"].startswith("/min-side/tofaktor?next=")
    assert invitee.get("/moderering").status_code in (302, 303)  # not a moderator's powers until then


@pytest.mark.parametrize("token", ["%00", "a" * 5000, "%ED%A0%80", "..%2F..%2Fadmin", "x y"])
def test_odd_invitation_links_answer_gone_not_an_error(app, token):
    response = Browser(app.test_client()).get(f"/invitasjon/{token}")
    assert response.status_code in (404, 410)
