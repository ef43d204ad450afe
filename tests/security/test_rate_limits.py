"""Which requests the rate limiter looks at. Every limit of the site counts POSTs, but the
API's, which counts its reads; other reads skip the limiter altogether
(:func:`hoering.extensions.no_limit_applies`), so a limit that counts reads elsewhere must
not be added without changing that rule, and this test says so."""

from __future__ import annotations

from flask_limiter.util import get_qualified_name

from hoering.extensions import limiter


def test_every_limit_outside_the_api_counts_posts_only(app):
    checked = 0
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            view = app.view_functions[rule.endpoint]
            blueprint = rule.endpoint.rpartition(".")[0] or None
            defaults, decorated = limiter.limit_manager.resolve_limits(
                app, rule.endpoint, blueprint, get_qualified_name(view), in_middleware=False, marked_for_limiting=True)
            for one in (*defaults, *decorated):
                checked += 1
                if blueprint == "api":
                    continue
                assert one.methods == ("post",), (rule.rule, one.limit, one.methods)
    assert checked > 10  # the comment, support, report, login and API limits were seen
    assert not app.config.get("RATELIMIT_DEFAULT") and not app.config.get("RATELIMIT_APPLICATION")


def test_a_read_outside_the_api_is_not_counted_and_the_api_still_is(client, app, monkeypatch, make_consultation):
    monkeypatch.setitem(app.config, "RATELIMIT_API", "2 per minute")
    page = f"/hoeringer/{make_consultation().slug}"

    assert all(client.get(page).status_code == 200 for _ in range(5))
    assert "X-RateLimit-Limit" not in client.get(page).headers
    assert [client.get("/api/v1/consultations").status_code for _ in range(3)] == [200, 200, 429]

