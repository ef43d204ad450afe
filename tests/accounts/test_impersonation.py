"""Display names that pass for the municipality, its staff or another participant are
refused; staff comments carry a badge that no name can fake."""

from __future__ import annotations

import html
import threading
import unicodedata

import pytest
import sqlalchemy as sa

from hoering.accounts import services
from hoering.accounts.models import User
from hoering.extensions import db
from tests.conftest import Browser, csrf_token_from

RESERVED_MESSAGE = "Visningsnavn kan ikke inneholde"
TAKEN_MESSAGE = "Noen andre har dette visningsnavnet, eller et som ser likt ut."


@pytest.fixture(autouse=True)
def _site_owner(app, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_OWNER", "Fjordvik kommune")


def register(browser, name, email="ny@example.org"):
    return browser.submit("/registrer", data={"display_name": name, "email": email, "password": "langt-passord-1",
                                              "password_again": "langt-passord-1"})


def stored_name(app, email):
    with app.app_context():
        return db.session.scalar(sa.select(User.display_name).where(User.email == email))


def user_count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(User.id)))


RESERVED_DISGUISES = [
    "Moderator", "moderator", "M0derator", "\uff2doderator", "mode\u200brator", "\u039coderator",  # Greek Mu
    "Mode\u00adrator", "Fjordvik kommune", "FjordvikKommune", "Fjordvik Kommune Plan", "Kommunen",
    "Saksbehandler Siri", "Admin", "Admin1", "Administratoren", "Redaksjonen", "Brukerstøtte", "Support",
    "Hoering", "Slettet bruker", "Sletta brukar", "Deleted user",
    # combining marks, below, through or above a letter
    "M\u1ecdderator", "Mod\u0332erator", "\u1ea0dmin", "Saksbehandl\u1eb9r", "Fjordvik kommu\u0331ne",
    "M\u00f6d\u00e9rator",
    "Ordføreren", "Kommunedirektøren", "Deltaker 12",
]


@pytest.mark.parametrize("name", RESERVED_DISGUISES)
def test_reserved_words_in_any_disguise_are_refused_at_registration(browser, app, name):
    response = register(browser, name)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert RESERVED_MESSAGE in page and "Velg et annet navn." in page
    assert 'value="ny@example.org"' in page  # the form comes back filled in
    assert user_count(app) == 0


@pytest.mark.parametrize("name", ["M0derator", "\uff2doderator", "mode\u200brator", "Fjordvik kommune"])
def test_reserved_words_are_refused_when_a_citizen_changes_name(browser, make_user, app, name):
    user = make_user(name="Kari Nordmann")
    browser.login(user)
    response = browser.submit("/min-side", data={"display_name": name})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and RESERVED_MESSAGE in page
    assert stored_name(app, user.email) == "Kari Nordmann"


@pytest.mark.parametrize("lookalike", [
    "Åse Ødegård",  # the same name
    "åse ødegård",  # another case
    "Åse\u200b Ødegård",  # an invisible character
    "\u00c5se Ødeg\u00e5rd\u2060",  # a word joiner at the end
    "\u0410\u030ase Ødegård",  # Cyrillic А with a combining ring
    unicodedata.normalize("NFD", "Åse Ødegård"),  # the same letters, decomposed
    "Åse  Ødegård",  # two spaces
    "Åse \u00d8d\u1eb9g\u00e5rd",  # a dot below a letter
    "\u00c5se\u0332 Ødegård",  # a line below a letter
])
def test_a_lookalike_of_another_participants_name_is_refused(browser, make_user, app, lookalike):
    make_user(name="Åse Ødegård")
    response = register(browser, lookalike)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422, lookalike
    assert TAKEN_MESSAGE in page and "mellomnavn" in page
    assert 'value="ny@example.org"' in page
    assert user_count(app) == 1


def test_a_homoglyph_of_another_participants_name_is_refused_at_name_change(browser, make_user, app):
    make_user(name="Per Hansen")
    user = make_user(name="Kari Nordmann")
    browser.login(user)
    response = browser.submit("/min-side", data={"display_name": "P\u0435r H\u0430nsen"})  # Cyrillic е and а
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and TAKEN_MESSAGE in page
    assert 'value="P\u0435r H\u0430nsen"' in page  # what was typed comes back
    assert stored_name(app, user.email) == "Kari Nordmann"
    # one's own name, in another case, is not someone else's
    assert browser.submit("/min-side", data={"display_name": "KARI NORDMANN"}).status_code == 303
    assert stored_name(app, user.email) == "KARI NORDMANN"


def test_two_people_choosing_one_name_at_the_same_moment_get_one_account(app, monkeypatch):
    """Both requests check the name before either has saved its account: the unique index
    on the name's look decides, and the second person is asked for another name."""
    both_checked = threading.Barrier(2, timeout=20)
    check = services._check_display_name

    def check_in_step(*args, **kwargs):
        name = check(*args, **kwargs)
        both_checked.wait()
        return name

    monkeypatch.setattr(services, "_check_display_name", check_in_step)
    pages = [Browser(app.test_client()) for _ in range(2)]
    tokens = [csrf_token_from(page.get("/registrer").get_data(as_text=True)) for page in pages]
    results: list = [None, None]

    def post(n: int) -> None:
        response = pages[n].client.post("/registrer", data={
            "csrf_token": tokens[n], "display_name": "Samme Navn", "email": f"samme{n}@example.org",
            "password": "langt-passord-1", "password_again": "langt-passord-1"})
        results[n] = (response.status_code, html.unescape(response.get_data(as_text=True)))

    threads = [threading.Thread(target=post, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _page in results) == [303, 422]
    assert TAKEN_MESSAGE in next(page for status, page in results if status == 422)
    with app.app_context():
        assert db.session.scalars(sa.select(User.display_name)).all() == ["Samme Navn"]


def test_imported_participants_may_share_a_name(app, make_consultation, runner):
    """Pseudonymous participants of two imports ("Deltaker 1" in each) are not accounts
    people chose names for: the one-name-one-look rule does not apply to them."""
    with app.app_context():
        db.session.add_all([User(display_name="Deltaker 1", is_pseudonymous=True, external_id=f"polis:{n}:1")
                            for n in range(2)])
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2


def test_a_deleted_accounts_name_is_free_again(browser, make_user, app):
    user = make_user(name="Åse Ødegård")
    browser.login(user)
    assert browser.submit("/min-side/slett", data={"password": user.password}).status_code == 303
    browser.logout()
    assert register(browser, "Åse Ødegård").status_code == 303


ORDINARY_NAMES = ["Åse Ødegård", "Per-Øyvind Kjær", "Áilu Čuđe", "Niillas Ánde Gaup", "Ola O'Neill",
                  "Badminton-Bjørn", "Staffan Berg", "李小龙", "Μαρία Παπαδοπούλου", "محمد علي", "Ирина Петрова",
                  "Ase Odegard", "Kjell Moderstad"]


def test_ordinary_names_in_any_script_are_accepted(browser, app):
    for number, name in enumerate(ORDINARY_NAMES):
        response = register(browser, name, email=f"person{number}@example.org")
        assert response.status_code == 303, (name, html.unescape(response.get_data(as_text=True))[-3000:])
        assert stored_name(app, f"person{number}@example.org") == name
        browser.logout()


def test_invisible_characters_are_dropped_from_a_new_name(browser, make_user, app):
    user = make_user(name="Kari Nordmann")
    browser.login(user)
    assert browser.submit("/min-side", data={"display_name": "\ufeffKari\u00ad No\u200brd\u200cmann\u2060"}
                          ).status_code == 303
    assert stored_name(app, user.email) == "Kari Nordmann"


def test_staff_may_use_reserved_words_in_their_own_name(browser, make_user, app):
    moderator = make_user(role="moderator", name="Mona")
    browser.login(moderator)
    assert browser.submit("/min-side", data={"display_name": "Mona, moderator"}).status_code == 303
    assert stored_name(app, moderator.email) == "Mona, moderator"


def test_the_cli_checks_names_and_allows_reserved_words_for_staff_when_told(runner, make_user, app):
    make_user(name="Åse Ødegård")
    base = ["hoering", "create-user", "--password", "et-godt-passord"]
    refused = runner.invoke(args=[*base, "--email", "m@kommune.no", "--name", "Moderator", "--role", "moderator"])
    assert refused.exit_code != 0 and "cannot contain" in refused.output
    allowed = runner.invoke(args=[*base, "--email", "m@kommune.no", "--name", "Moderator, Plan og miljø",
                                  "--role", "moderator", "--allow-reserved-name"])
    assert allowed.exit_code == 0, allowed.output
    assert stored_name(app, "m@kommune.no") == "Moderator, Plan og miljø"
    citizen = runner.invoke(args=[*base, "--email", "c@kommune.no", "--name", "Kommunen", "--allow-reserved-name"])
    assert citizen.exit_code != 0 and "Only staff accounts" in citizen.output
    lookalike = runner.invoke(args=[*base, "--email", "a@kommune.no", "--name", "Åse Ødegård\u200b",
                                    "--role", "admin", "--allow-reserved-name"])
    assert lookalike.exit_code != 0 and "looks the same" in lookalike.output
    assert stored_name(app, "c@kommune.no") is None and stored_name(app, "a@kommune.no") is None


def test_staff_comments_carry_a_badge_that_a_name_cannot_fake(client, make_consultation, make_user, make_comment):
    consultation = make_consultation()
    moderator = make_user(role="moderator", name="Mona Li")
    # A citizen whose name is "Moderator" (from before names were checked; refused now).
    pretender = make_user(name="Moderator")
    make_comment(consultation, moderator, "Husk ordensreglene.")
    make_comment(consultation, pretender, "Jeg er moderator her.")
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert page.count('class="badge badge-staff"') == 1
    badge = page.index('class="badge badge-staff">Moderator i Fjordvik kommune</span>')
    assert page.rindex("Mona Li", 0, badge) > page.rfind("Moderator</span>", 0, badge)
    pretender_at = page.index('>Moderator</span>')
    assert "badge" not in page[pretender_at:page.index("</header>", pretender_at)]


def test_an_official_reply_shows_the_unit_badge_and_not_the_role(browser_for, client, make_consultation, make_user,
                                                                 make_comment):
    consultation = make_consultation(responsible_unit="Plan og miljø")
    question = make_comment(consultation, make_user(), "Når starter byggingen?")
    officer = browser_for("case_officer", name="Siri Saks")
    page_url = f"/hoeringer/{consultation.slug}"
    assert officer.submit(page_url, f"{page_url}/kommentarer", data={
        "text": "Byggingen starter i mai.", "parent_id": str(question.id), "official": "1"}).status_code == 303
    officer.comment(consultation.slug, "Et personlig innspill.")
    page = client.get(page_url).get_data(as_text=True)
    assert page.count("Offisielt svar fra Plan og miljø") == 1
    assert page.count('class="badge badge-staff">Saksbehandler i Fjordvik kommune</span>') == 1
