"""The pages of e-mail alerts, urgent notices and the draft text in sections in a real
browser: no serious or critical axe-core violations; screenshots at 320 and 1280 px when
``HOERING_SCREENSHOTS`` names a folder."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from hoering.extensions import db
from tests.browser.test_accessibility import RUN_AXE, axe_script  # noqa: F401  (the fixture)
from tests.conftest import TEST_PASSWORD


def scene(app, make_consultation, make_user, make_comment) -> tuple[dict[str, list[str]], object]:
    from hoering.alerts.models import AlertSubscription
    from hoering.alerts.services import confirm_token, link_token
    from hoering.consultations.models import Section
    from hoering.notices.models import UrgentNotice
    from hoering.sanitize import markdown_html, short_markdown_html
    from hoering.timeutil import utcnow

    consultation = make_consultation(title="Parkeringsforskrift for sentrum", topic="trafikk", area="sentrum")
    now = utcnow()
    with app.app_context():
        sections = [Section(consultation_id=consultation.id, position=i, number=number, heading=heading,
                            text_markdown=text, text_html=markdown_html(text))
                    for i, (number, heading, text) in enumerate([
                        ("§ 1", "Formål", "Forskriften skal gi beboere bedre tilgang til parkering."),
                        ("§ 2", "Virkeområde", "Gjelder sone 1, 2 og 3.\n\n- Sone 1: sentrum\n- Sone 2: Kaia")])]
        waiting = AlertSubscription(email="venter@example.org", key="w" * 32)
        confirmed = AlertSubscription(email="abonnent@example.org", key="a" * 32, topics="skole", confirmed_at=now)
        text = "Bussene kjører **omkjøring** om Nordbygda. Se [vegvesen.no](https://www.vegvesen.no)."
        notice = UrgentNotice(title="Stengt vei ved Strandvegen i natt", severity="danger", body_markdown=text,
                              body_html=short_markdown_html(text), starts_at=now - dt.timedelta(hours=1),
                              ends_at=now + dt.timedelta(days=1))
        db.session.add_all([*sections, waiting, confirmed, notice])
        db.session.commit()
        section_id, notice_id = sections[1].id, notice.id
        tokens = confirm_token(waiting), link_token(confirmed)
    for n in range(2):
        from hoering.comments.models import Comment

        comment = make_comment(consultation, make_user(name=f"Innbygger {n}"), "Sone 2 bør også omfatte Kaigata.")
        with app.app_context():
            db.session.get(Comment, comment.id).section_id = section_id
            db.session.commit()
    slug = consultation.slug
    return {
        "anonymous": ["/", "/varsel", f"/varsel/bekreft/{tokens[0]}", f"/varsel/endre/{tokens[1]}",
                      f"/varsel/avmeld/{tokens[1]}", f"/hoeringer/{slug}", f"/hoeringer/{slug}/utkast",
                      f"/hoeringer/{slug}/utkast/{section_id}"],
        "citizen": [f"/hoeringer/{slug}/utkast/{section_id}", f"/hoeringer/{slug}"],
        "case_officer": ["/saksbehandling/viktige-meldinger", "/saksbehandling/viktige-meldinger/ny",
                         f"/saksbehandling/viktige-meldinger/{notice_id}", f"/saksbehandling/hoeringer/{slug}/utkast",
                         f"/saksbehandling/seksjoner/{section_id}", f"/saksbehandling/hoeringer/{slug}",
                         "/saksbehandling/hoeringer/ny"],
    }, consultation


@pytest.mark.browser
def test_the_new_pages_have_no_serious_violations(app, chromium, live_server, axe_script, make_consultation,  # noqa: F811
                                                  make_user, make_comment):
    pages, _consultation = scene(app, make_consultation, make_user, make_comment)
    shots = os.environ.get("HOERING_SCREENSHOTS")
    found = {}
    for role, paths in pages.items():
        for width in ((320, 1280) if shots else (1280,)):
            context = chromium.new_context(base_url=live_server, bypass_csp=True,
                                           viewport={"width": width, "height": 900})
            page = context.new_page()
            if role != "anonymous":
                user = make_user(role=role)
                page.goto("/logg-inn")
                page.fill("#email", user.email)
                page.fill("#password", TEST_PASSWORD)
                page.press("#password", "Enter")
                page.wait_for_load_state()
            for path in paths:
                response = page.goto(path)
                assert response.ok, (role, path, response.status)
                if shots:
                    name = f"{role}{path.replace('/', '_')[:60]}-{width}.png"
                    page.screenshot(path=os.path.join(shots, name), full_page=True)
                page.add_script_tag(content=axe_script)
                violations = page.evaluate(RUN_AXE)
                if violations:
                    found[f"{role} {path} {width}"] = violations
            context.close()
    assert found == {}
