"""The API as a product for other systems: cursor pagination, CORS, caching headers and
the rate limit, through the test client."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

NOW = dt.datetime.now(dt.UTC)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _cursor(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


def test_cursor_pages_follow_links_next_and_stay_put_as_new_threads_arrive(
        client, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    user = make_user()
    for i in range(5):
        make_comment(consultation, user, f"k{i}", created_at=NOW - dt.timedelta(minutes=10 + i))
    url = f"/api/v1/consultations/{consultation.slug}/comments?per_page=2"

    first = client.get(url).get_json()
    assert first["page"] == 1 and [t["text"] for t in first["threads"]] == ["k0", "k1"]
    assert "cursor=" in first["links"]["next"] and first["next_cursor"] == _cursor(first["links"]["next"])
    # New threads arrive in front: a page number would shift, the cursor does not.
    make_comment(consultation, user, "ny", created_at=NOW)
    second = client.get(_path(first["links"]["next"])).get_json()
    third = client.get(_path(second["links"]["next"])).get_json()

    assert second["page"] is None and [t["text"] for t in second["threads"]] == ["k2", "k3"]
    assert [t["text"] for t in third["threads"]] == ["k4"]
    assert third["links"]["next"] is None and third["next_cursor"] is None and third["links"]["prev"] is None
    assert third["total_threads"] == 6


def test_cursor_keeps_its_sort_order(client, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    user = make_user()
    for i, support in enumerate([5, 1, 9, 3]):
        make_comment(consultation, user, f"s{support}", created_at=NOW - dt.timedelta(minutes=i),
                     support_count=support)
    base = f"/api/v1/consultations/{consultation.slug}/comments"

    for sort, expected in [("supported", ["s9", "s5", "s3", "s1"]), ("oldest", ["s3", "s9", "s1", "s5"])]:
        seen, url = [], f"{base}?per_page=1&sort={sort}"
        while url:
            data = client.get(url).get_json()
            assert data["sort"] == sort
            seen += [t["text"] for t in data["threads"]]
            url = _path(data["links"]["next"]) if data["links"]["next"] else None
        assert seen == expected, sort


def test_bad_cursors_are_json_400(client, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    other = make_consultation()
    user = make_user()
    for i in range(3):
        make_comment(consultation, user, f"k{i}", created_at=NOW - dt.timedelta(minutes=i))
    base = f"/api/v1/consultations/{consultation.slug}/comments"
    cursor = _cursor(client.get(f"{base}?per_page=1").get_json()["links"]["next"])
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")

    for url in [f"{base}?cursor=nonsense", f"{base}?cursor=", f"{base}?cursor={tampered}",
                f"{base}?cursor={'x' * 5000}", f"{base}?cursor={cursor}&page=2",
                f"{base}?cursor={cursor}&sort=oldest",
                f"/api/v1/consultations/{other.slug}/comments?cursor={cursor}"]:
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.get_json()["error"]["code"] == "bad_request"
    assert client.get(f"{base}?cursor={cursor}&sort=newest").status_code == 200


def test_thread_replies_by_cursor(client, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    user = make_user()
    top = make_comment(consultation, user, "topp")
    replies = [make_comment(consultation, user, f"svar {i}", parent=top) for i in range(3)]
    url = f"/api/v1/consultations/{consultation.slug}/threads/{top.id}?per_page=2"

    first = client.get(url).get_json()
    # A reply to the first reply sorts before the page's end: the cursor still goes on
    # from where the first page stopped.
    make_comment(consultation, user, "nytt svar", parent=replies[0])
    second = client.get(_path(first["links"]["next"])).get_json()

    assert [r["id"] for r in first["replies"]] == [replies[0].id, replies[1].id]
    assert [r["id"] for r in second["replies"]] == [replies[2].id] and second["links"]["next"] is None
    other_top = make_comment(consultation, user, "annen")
    wrong = client.get(f"/api/v1/consultations/{consultation.slug}/threads/{other_top.id}"
                       f"?cursor={_cursor(first['links']['next'])}")
    assert wrong.status_code == 400 and wrong.get_json()["error"]["code"] == "bad_request"
    assert client.get(f"{url}&page=2").get_json()["links"]["prev"].endswith("page=1&per_page=2")


def test_get_answers_allow_any_origin_without_credentials(client, make_consultation):
    response = client.get("/api/v1/consultations", headers={"Origin": "https://data.example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Set-Cookie" not in response.headers


def test_preflight_is_answered(client, make_consultation):
    consultation = make_consultation()
    response = client.options(f"/api/v1/consultations/{consultation.slug}/comments", headers={
        "Origin": "https://data.example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "POST" not in response.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    assert client.options("/api/v1/openapi.json").headers["Access-Control-Allow-Origin"] == "*"


def test_etag_revalidation_answers_304_until_the_data_changes(client, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    user = make_user()
    url = f"/api/v1/consultations/{consultation.slug}/comments"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"

    make_comment(consultation, user, "ny kommentar")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_last_modified_revalidation(client, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    user = make_user()
    make_comment(consultation, user, "gammel", created_at=NOW - dt.timedelta(days=1))
    for url in ["/api/v1/consultations", f"/api/v1/consultations/{consultation.slug}",
                f"/api/v1/consultations/{consultation.slug}/comments"]:
        first = client.get(url)
        last_modified = first.headers["Last-Modified"]
        assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304, url
    url = f"/api/v1/consultations/{consultation.slug}/comments"
    last_modified = client.get(url).headers["Last-Modified"]
    make_comment(consultation, user, "ny", created_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2))
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "not a date"}).status_code == 200


def test_errors_carry_no_etag(client):
    response = client.get("/api/v1/consultations/finnes-ikke")
    assert response.status_code == 404 and "ETag" not in response.headers


def test_api_cache_seconds_allow_shared_caches(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "API_CACHE_SECONDS", 30)
    assert client.get("/api/v1/consultations").headers["Cache-Control"] == "public, max-age=30"


def test_api_rate_limit_is_a_json_429_with_retry_after(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_API", "2 per minute")
    statuses = [client.get("/api/v1/consultations").status_code for _ in range(2)]
    limited = client.get("/api/v1/consultations")

    assert statuses == [200, 200] and limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["X-RateLimit-Limit"] == "2"
    assert limited.headers["Access-Control-Allow-Origin"] == "*"
