"""Hostile and unusual input through the real forms: BLNS strings and XSS payloads.

Corpora: ../shared/data/blns/blns.json (the Big List of Naughty Strings) and every line of
../shared/data/xss-payloads/*.txt (PayloadsAllTheThings).
"""

from __future__ import annotations

import glob
import json
import os
from urllib.parse import urlsplit

import html5lib
import pytest
import sqlalchemy as sa

from hoering.accounts.models import User
from hoering.accounts.services import normalize_display_name
from hoering.comments import services as comment_services
from hoering.extensions import db
from hoering.names import reserved_word_in
from hoering.sanitize import (
    COMMENT_ATTRIBUTES,
    COMMENT_TAGS,
    PROTOCOLS,
    contains_bidi_controls,
    has_visible_text,
    normalize_text,
)
from tests.conftest import csrf_token_from, shared_data

URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "xlink:href", "background", "poster")


def blns() -> list[str]:
    with open(shared_data("blns", "blns.json"), encoding="utf-8") as handle:
        return json.load(handle)


def xss_payloads() -> list[str]:
    payloads = []
    for path in sorted(glob.glob(os.path.join(shared_data("xss-payloads"), "*.txt"))):
        if "LICENSE" in path:
            continue
        with open(path, encoding="utf-8") as handle:
            payloads.extend(line.rstrip("\r\n") for line in handle if line.strip())
    return payloads


@pytest.fixture(autouse=True)
def _repeats_are_one_comment_however_slow_the_machine(monkeypatch):
    """The corpora repeat some strings, and the tests expect a repeat to be one comment: the
    duplicate window is widened so that holds when posting them all takes longer than it
    (a loaded machine), not only within ``DUPLICATE_WINDOW_SECONDS`` of the first."""
    monkeypatch.setattr(comment_services, "DUPLICATE_WINDOW_SECONDS", 24 * 3600)


def post_all(browser, consultation, texts):
    """Post every text as a comment with the page's CSRF token; return the status codes."""
    page = browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    token = csrf_token_from(page)
    statuses = []
    for text in texts:
        statuses.append(browser.client.post(f"/hoeringer/{consultation.slug}/kommentarer",
                                            data={"csrf_token": token, "text": text}).status_code)
        with browser.client.session_transaction() as session:  # the redirects are not followed,
            session.pop("_flashes", None)  # so nobody reads the "thank you" messages
    return statuses


def api_texts(client, consultation) -> list[str]:
    texts, page = [], 1
    while True:
        data = client.get(f"/api/v1/consultations/{consultation.slug}/comments?sort=oldest&per_page=100"
                          f"&page={page}").get_json()
        texts.extend(thread["text"] for thread in data["threads"])
        if page >= data["pages"]:
            return texts
        page += 1


def test_every_blns_string_posted_as_a_comment_reads_back_unchanged(browser, make_user, make_consultation, client):
    strings = blns()
    browser.login(make_user())
    consultation = make_consultation()

    statuses = post_all(browser, consultation, strings)

    assert all(status < 500 for status in statuses)
    # the same text posted again within two minutes is kept once
    expected = list(dict.fromkeys(normalize_text(s) for s in strings if has_visible_text(s)))
    # only the blank or invisible ones are refused
    assert [s for s, status in zip(strings, statuses, strict=True) if status != 303] == \
        [s for s in strings if not has_visible_text(s)]
    assert api_texts(client, consultation) == expected
    for page in range(1, len(expected) // 20 + 2):
        assert browser.get(f"/hoeringer/{consultation.slug}?page={page}").status_code == 200


def test_every_blns_string_as_a_display_name_is_kept_or_refused_with_a_message(browser, make_user, app):
    user = make_user()
    browser.login(user)
    token = csrf_token_from(browser.get("/min-side").get_data(as_text=True))
    for name in blns():
        response = browser.client.post("/min-side", data={"csrf_token": token, "display_name": name})
        # stored without invisible characters, on one line; refused when empty, too long,
        # with direction controls or with a reserved word ("admin", "support" …)
        expected = normalize_display_name(name)
        reserved = reserved_word_in(expected, [*app.config["RESERVED_NAMES"], app.config["SITE_OWNER"]])
        if (has_visible_text(expected) and len(expected) <= 80 and not contains_bidi_controls(expected)
                and reserved is None):
            assert response.status_code == 303, repr(name)
            with app.app_context():
                assert db.session.get(User, user.id).display_name == expected
            assert browser.get("/min-side").status_code == 200
        else:
            assert response.status_code == 422, repr(name)
            assert 'class="error"' in response.get_data(as_text=True)


def test_blns_strings_in_registration_never_fail_the_server(browser, app):
    for i, name in enumerate(blns()[::5]):
        response = browser.submit("/registrer", data={"display_name": name, "email": f"u{i}@example.org",
                                                      "password": "langt-passord-1", "password_again": "langt-passord-1"})
        assert response.status_code in (303, 422), repr(name)
        if response.status_code == 303:
            with app.app_context():
                assert db.session.scalar(sa.select(User.display_name).where(User.email == f"u{i}@example.org")) \
                    == normalize_display_name(name)
            browser.logout()


def assert_only_allowed_markup(html: str) -> int:
    """Check a page: comment bodies hold only allowlisted markup; nothing anywhere runs script.

    Returns:
        The number of comment bodies checked.
    """
    document = html5lib.parse(html, namespaceHTMLElements=False)
    for element in document.iter():
        if element.tag == "script":  # the site's own file (static/js), never inline code
            assert element.attrib.get("src", "").startswith("/static/js/") and not (element.text or "").strip()
            continue
        assert element.tag not in ("iframe", "object", "embed", "svg", "math", "style", "base"), element.tag
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert name != "style", element.tag
            if name in URL_ATTRIBUTES:
                scheme = urlsplit(value.strip()).scheme.lower()
                assert scheme in ("", "http", "https", "mailto"), (element.tag, name, value)
    bodies = [e for e in document.iter("div") if e.get("class") == "comment-body"]
    for body in bodies:
        for element in body.iter():
            if element is body:
                continue
            assert element.tag in COMMENT_TAGS, element.tag
            assert set(element.attrib) <= set(COMMENT_ATTRIBUTES.get(element.tag, [])), (element.tag, element.attrib)
            if element.tag == "a":
                assert urlsplit(element.get("href", "")).scheme in PROTOCOLS
                assert element.get("rel") == "nofollow ugc noopener"
    return len(bodies)


def test_xss_payloads_posted_as_comments_render_only_allowlisted_markup(browser, make_user, make_consultation, client):
    payloads = xss_payloads()
    assert len(payloads) > 1500
    browser.login(make_user())
    consultation = make_consultation()

    statuses = post_all(browser, consultation, payloads)

    assert set(statuses) <= {303, 422}
    pages = client.get(f"/api/v1/consultations/{consultation.slug}/comments").get_json()["pages"]
    shown = sum(
        assert_only_allowed_markup(client.get(f"/hoeringer/{consultation.slug}?page={page}").get_data(as_text=True))
        for page in range(1, pages + 1)
    )
    expected = list(dict.fromkeys(normalize_text(p) for p, s in zip(payloads, statuses, strict=True) if s == 303))
    assert shown == len(expected)
    assert api_texts(client, consultation) == expected


@pytest.mark.parametrize("query", ["page=abc", "page=-5", "page=99999999999999999999", "sort=%00", "sort=' OR 1=1"])
def test_odd_query_parameters_on_the_consultation_page(client, make_consultation, query):
    consultation = make_consultation()
    assert client.get(f"/hoeringer/{consultation.slug}?{query}").status_code == 200
