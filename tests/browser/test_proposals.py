""""Foreslåtte temaer" in a real browser: a moderator unticks a wrong proposal, "accept all
above" leaves it out (static/js/proposals.js) and asks first, then the group's form
declines it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from hoering.extensions import db
from hoering.summaries.models import CommentTheme, DeclinedProposal, Theme
from tests.browser.conftest import assert_clean, log_in

CYCLING = ["Vi trenger flere sykkelveier langs hovedveien.", "Sykkelfeltet i sentrum er for smalt og farlig.",
           "Bygg en sammenhengende sykkelvei til skolen.", "Syklister trenger egne felt adskilt fra bilene."]
LIBRARY = ["Biblioteket bør ha lengre åpningstider om kvelden.", "Flere bøker for barn på biblioteket.",
           "Lesesalen på biblioteket er alltid full.", "Gi biblioteket penger til nye bøker."]


@pytest.mark.browser
def test_an_unticked_proposal_is_left_out_of_accept_all_above_and_declined_with_its_group(
        page, app, make_consultation, make_user, make_comment):
    consultation = make_consultation(title="Byplan")
    author = make_user()
    ids = [make_comment(consultation, author, text).id for text in CYCLING + LIBRARY]
    with app.app_context():
        themes = [Theme(consultation_id=consultation.id, name="Sykkel", description="Sykkelveier og sykkelfelt."),
                  Theme(consultation_id=consultation.id, name="Biblioteket", description="Åpningstider og bøker.")]
        db.session.add_all(themes)
        db.session.flush()
        db.session.add_all([CommentTheme(comment_id=ids[0], theme_id=themes[0].id),
                            CommentTheme(comment_id=ids[4], theme_id=themes[1].id)])
        db.session.commit()
    log_in(page, make_user(role="moderator"))
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    page.goto(url)
    assert_clean(page)
    boxes = page.query_selector_all("input.proposal-tick")
    assert len(boxes) >= 3 and all(box.is_checked() for box in boxes)
    unticked = int(boxes[0].get_attribute("value"))
    boxes[0].uncheck()
    page.fill("#above", "0")
    with page.expect_navigation():
        page.click("#proposals-above button[type=submit]")
    assert_clean(page)
    text = page.inner_text("main")
    assert re.search(rf"{len(boxes) - 1} kommentarer får temaet sitt", text)
    assert "1 kommentar du fjernet krysset for, er holdt utenfor." in text
    assert page.query_selector(f'input[name="exclude"][value="{unticked}"]')
    page.goto(url)  # back without confirming: nothing was tagged
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentTheme)) == 2
    page.uncheck(f"#accept-{unticked}")
    form = page.query_selector(f"form.proposal-group:has(#accept-{unticked})")
    group = int(form.query_selector('input[name="group"]').get_attribute("value"))
    with page.expect_navigation():
        form.query_selector("button[type=submit]").click()
    assert_clean(page)
    with app.app_context():
        assert db.session.get(DeclinedProposal, (unticked, group)) is not None
        tagged = set(db.session.scalars(sa.select(CommentTheme.comment_id)))
    assert unticked not in tagged and len(tagged) > 2
