"""Exports speak the reader's language: CSV headings and the XLSX file's headings and state
values in bokmål, nynorsk or English as chosen; the JSON export and the API keep the
stable machine names that scripts read."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from tests.responses.test_public_data import screened  # noqa: F401  (the fixture)

COMMENTS = "/saksbehandling/hoeringer/{slug}/kommentarer.{fmt}"
RESPONSES = "/saksbehandling/hoeringer/{slug}/hoeringssvar.{fmt}"

EXPECTED = {
    "nb": {"comment_heads": ["Nummer", "Tråd", "Svar på"], "comment_state": "Tilstand", "published": "Publisert",
           "hidden": "Skjult", "response_heads": ["Referanse", "Mottatt", "Kom via"], "held_back": "Holdt tilbake",
           "redacted": "Publisert med deler fjernet", "web": "Nett", "organisation": "Organisasjon"},
    "en": {"comment_heads": ["Number", "Thread", "Reply to"], "comment_state": "State", "published": "Published",
           "hidden": "Hidden", "response_heads": ["Reference", "Received", "Came by"], "held_back": "Held back",
           "redacted": "Published with parts removed", "web": "Web", "organisation": "Organisation"},
}


def csv_table(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.get_data())).active.iter_rows(values_only=True))


@pytest.mark.parametrize("language", ["nb", "en"])
def test_comment_exports_in_the_chosen_language_with_stable_names_in_json(language, browser_for, make_consultation,
                                                                         make_user, make_comment):
    want = EXPECTED[language]
    consultation = make_consultation(status="closed")
    shown = make_comment(consultation, make_user(), "Et synlig innspill")
    hidden = make_comment(consultation, make_user(), "Et skjult innspill", state="hidden")
    moderator = browser_for("moderator")
    moderator.client.set_cookie("hoering_lang", language)

    table = csv_table(moderator.get(COMMENTS.format(slug=consultation.slug, fmt="csv")))
    assert table[0][:3] == want["comment_heads"]
    state = table[0].index(want["comment_state"])
    assert {row[0]: row[state] for row in table[1:]} == {str(shown.id): "published", str(hidden.id): "hidden"}

    rows = sheet_rows(moderator.get(COMMENTS.format(slug=consultation.slug, fmt="xlsx")))
    state = list(rows[0]).index(want["comment_state"])
    assert {row[0]: row[state] for row in rows[1:]} == {shown.id: want["published"], hidden.id: want["hidden"]}

    data = json.loads(moderator.get(COMMENTS.format(slug=consultation.slug, fmt="json")).get_data(as_text=True))
    assert data["columns"][:3] == ["id", "thread", "parent"]
    assert {c["id"]: c["state"] for c in data["comments"]} == {shown.id: "published", hidden.id: "hidden"}


@pytest.mark.parametrize("language", ["nb", "en"])
def test_response_exports_in_the_chosen_language_with_stable_names_in_json_and_the_api(language, screened,  # noqa: F811
                                                                                      client):
    want = EXPECTED[language]
    consultation, officer = screened
    officer.client.set_cookie("hoering_lang", language)

    table = csv_table(officer.get(RESPONSES.format(slug=consultation.slug, fmt="csv")))
    assert table[0][:3] == want["response_heads"]
    assert [row[7] for row in table[1:]] == ["published", "redacted", "held_back", "received"]

    rows = sheet_rows(officer.get(RESPONSES.format(slug=consultation.slug, fmt="xlsx")))
    assert list(rows[0][:3]) == want["response_heads"]
    assert [row[7] for row in rows[1:4]] == [EXPECTED[language]["published"], want["redacted"], want["held_back"]]
    assert rows[1][2] == want["web"] and rows[1][4] == want["organisation"]

    data = json.loads(officer.get(RESPONSES.format(slug=consultation.slug, fmt="json")).get_data(as_text=True))
    assert [r["state"] for r in data["responses"]] == ["published", "redacted", "held_back", "received"]
    assert data["responses"][0]["channel"] == "web" and data["responses"][0]["sender_kind"] == "organisation"
    api = client.get(f"/api/v1/consultations/{consultation.slug}/responses").get_json()
    assert [r["parts_removed"] for r in api["items"]] == [False, True]
