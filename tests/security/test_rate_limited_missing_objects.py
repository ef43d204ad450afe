"""A rate-limited POST to something that does not exist (or may not be seen) is answered
429 (or 404), never 500: the 429 renderers look the object up, and must cope when it is
missing."""

from __future__ import annotations

import pytest

from hoering.ratelimit import registered_rate_limit_endpoints
from tests.conftest import csrf_token_from

# Each rate-limited endpoint with a renderer that looks an object up: the limit to lower,
# a URL to exhaust it on (filled with a real object), and URLs of missing objects.
ENDPOINTS_WITH_OBJECTS = {
    "comments.create": ("RATELIMIT_COMMENTS", "/hoeringer/{slug}/kommentarer",
                        ["/hoeringer/finnes-ikke/kommentarer", "/hoeringer/{draft}/kommentarer"]),
    "moderation.report": ("RATELIMIT_REPORTS", "/kommentarer/{comment}/rapporter",
                          ["/kommentarer/2147483647/rapporter", "/kommentarer/{pending}/rapporter"]),
    "comments.support": ("RATELIMIT_SUPPORTS", "/kommentarer/{comment}/stotte",
                         ["/kommentarer/2147483647/stotte", "/kommentarer/{pending}/stotte"]),
    "responses.send": ("RATELIMIT_RESPONSES", "/hoeringer/{slug}/hoeringssvar/send",
                       ["/hoeringer/finnes-ikke/hoeringssvar/send", "/hoeringer/{draft}/hoeringssvar/send"]),
}


def test_every_rate_limit_renderer_with_url_arguments_is_covered(app):
    with app.test_request_context():
        with_arguments = {rule.endpoint for rule in app.url_map.iter_rules()
                          if rule.arguments and rule.endpoint in registered_rate_limit_endpoints()}
    assert with_arguments == set(ENDPOINTS_WITH_OBJECTS)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS_WITH_OBJECTS))
def test_a_rate_limited_post_to_a_missing_object_is_not_an_error(endpoint, app, browser_for, make_consultation,
                                                                 make_comment, make_user, monkeypatch):
    config_key, exhaust_url, missing_urls = ENDPOINTS_WITH_OBJECTS[endpoint]
    monkeypatch.setitem(app.config, config_key, "1 per minute")
    consultation = make_consultation(accepts_responses=True)
    names = {"slug": consultation.slug, "draft": make_consultation(status="draft", accepts_responses=True).slug,
             "comment": make_comment(consultation, make_user(), "offentlig").id,
             "pending": make_comment(consultation, make_user(), "hemmelig ventende", state="pending").id}
    citizen = browser_for()
    token = csrf_token_from(citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True))
    data = {"csrf_token": token, "text": "Teksten min", "reason": "spam", "supported": "1"}
    # a form refused for what it lacks (the response form: a name, an answer on publication) counts too
    assert citizen.client.post(exhaust_url.format(**names), data=data).status_code in (303, 200, 422)
    for url in missing_urls:
        response = citizen.client.post(url.format(**names), data=data)
        assert response.status_code in (404, 429), (url, response.status_code)
        body = response.get_data(as_text=True)
        assert "hemmelig ventende" not in body
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) > 0
