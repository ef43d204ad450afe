"""The OpenAPI document at /api/v1/openapi.json stays true: it names every route under
/api/v1, and schemathesis sends each operation generated requests (a few a time) and the
requests of a real thread, checking that every answer matches the document and none is a
500."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

NOW = dt.datetime.now(dt.UTC)
#: Generated requests per operation: enough to walk the parameters, short enough for every run.
EXAMPLES_PER_OPERATION = 8


def test_the_document_is_served_with_the_site_address_and_the_rate_limit(client, app):
    response = client.get("/api/v1/openapi.json")
    document = response.get_json()
    assert response.status_code == 200 and document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": app.config["SITE_URL"] + "/api/v1"}]
    assert app.config["RATELIMIT_API"] in document["info"]["description"]
    assert "ETag" in response.headers and response.headers["Access-Control-Allow-Origin"] == "*"


def test_every_api_route_is_in_the_document(client, app):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    documented = {(path, method.upper()) for path, item in paths.items() for method in item}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented


@pytest.fixture
def published_data(make_consultation, make_comment, make_user):
    """A consultation with threads, replies and a removed placeholder, for real answers."""
    consultation = make_consultation(title="Skolebruksplan", questions=("Hva mener du?",))
    user = make_user(name="Kari")
    tops = [make_comment(consultation, user, f"innspill {i} om skolen", created_at=NOW - dt.timedelta(minutes=i))
            for i in range(3)]
    removed = make_comment(consultation, user, "", parent=tops[0], state="removed")
    for i in range(3):
        make_comment(consultation, user, f"svar {i}", parent=removed if i == 0 else tops[0])
    return consultation, tops[0]


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_generated_requests_get_answers_that_match_the_document(app, published_data):
    operations = _operations(app)
    # Every route but the one serving the document itself, which schemathesis leaves out
    # (the first test here checks it).
    assert len(operations) == 10
    for operation in operations:
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate()

        check()


def test_malformed_requests_get_json_errors_never_a_500(app, published_data):
    """Negative mode: parameters outside the document. The lenient search filters (an
    unreadable date or id does not apply) may still answer 200, so only the answer's shape
    and its status below 500 are checked. The list of consultations and one consultation
    take no parameter that could be malformed and still be sent (a slug is any text), nor do
    the list of bodies and a body's meetings, a consultation's formal responses."""
    for operation in _operations(app):
        if operation.definition.raw["operationId"] in ("listConsultations", "getConsultation", "listBodies",
                                                       "listBodyMeetings", "listResponses"):
            continue

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        def check(case):
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        check()


def test_real_answers_match_the_document(app, client, published_data):
    consultation, top = published_data
    by_id = {operation.definition.raw["operationId"]: operation for operation in _operations(app)}
    first = client.get(f"/api/v1/consultations/{consultation.slug}/comments?per_page=1").get_json()
    cursor = parse_qs(urlsplit(first["links"]["next"]).query)["cursor"][0]
    replies = client.get(f"/api/v1/consultations/{consultation.slug}/threads/{top.id}?per_page=2").get_json()
    reply_cursor = parse_qs(urlsplit(replies["links"]["next"]).query)["cursor"][0]
    slug = {"slug": consultation.slug}
    cases = [
        by_id["listConsultations"].Case(),
        by_id["getConsultation"].Case(path_parameters=slug),
        by_id["listThreads"].Case(path_parameters=slug, query={"per_page": 1}),
        by_id["listThreads"].Case(path_parameters=slug, query={"cursor": cursor}),
        by_id["listThreads"].Case(path_parameters=slug, query={"page": 2, "per_page": 1, "sort": "supported"}),
        by_id["listThreads"].Case(path_parameters=slug, query={"cursor": "not-a-cursor"}),
        by_id["getThread"].Case(path_parameters={**slug, "thread_id": top.id}, query={"per_page": 2}),
        by_id["getThread"].Case(path_parameters={**slug, "thread_id": top.id}, query={"cursor": reply_cursor}),
        by_id["getThread"].Case(path_parameters={**slug, "thread_id": top.id + 1000}),
        by_id["search"].Case(query={"q": "skolen"}),
        by_id["search"].Case(query={"q": "skolen", "type": "consultation"}),
        by_id["consultationById"].Case(path_parameters={"consultation_id": consultation.id}),
    ]
    statuses = [case.call_and_validate().status_code for case in cases]
    assert statuses == [200, 200, 200, 200, 200, 400, 200, 200, 404, 200, 200, 303]
