""""Foreslåtte temaer" in a real browser: a moderator unticks a wrong proposal, "accept all
above" leaves it out (static/js/proposals.js) and asks first, then the group's form
declines it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from hoering.extensions import db
from hoering.summaries.models import CommentTheme, DeclinedProposal, ReadWithoutTheme, Theme
from tests.browser.conftest import assert_clean, log_in

CYCLING = ["Vi trenger flere sykkelveier langs hovedveien.", "Sykkelfeltet i sentrum er for smalt og farlig.",
           "Bygg en sammenhengende sykkelvei til skolen.", "Syklister trenger egne felt adskilt fra bilene."]
LIBRARY = ["Biblioteket bør ha lengre åpningstider om kvelden.", "Flere bøker for barn på biblioteket.",
           "Lesesalen på biblioteket er alltid full.", "Gi biblioteket penger til nye bøker."]


def _byplan(app, make_consultation, make_user, make_comment, tagged: list[tuple[int, str]]):
    """A consultation with the cycling and library comments, the themes "Sykkel" and
    "Biblioteket", and the comments ``tagged`` (``[(index in CYCLING + LIBRARY, theme
    name)]``): ``(consultation, comment ids, {theme name: id})``."""
    consultation = make_consultation(title="Byplan")
    author = make_user()
    ids = [make_comment(consultation, author, text).id for text in CYCLING + LIBRARY]
    with app.app_context():
        themes = [Theme(consultation_id=consultation.id, name="Sykkel", description="Sykkelveier og sykkelfelt."),
                  Theme(consultation_id=consultation.id, name="Biblioteket", description="Åpningstider og bøker.")]
        db.session.add_all(themes)
        db.session.flush()
        theme_ids = {t.name: t.id for t in themes}
        db.session.add_all([CommentTheme(comment_id=ids[index], theme_id=theme_ids[name]) for index, name in tagged])
        db.session.commit()
    return consultation, ids, theme_ids


@pytest.mark.browser
def test_an_unticked_proposal_is_left_out_of_accept_all_above_and_declined_with_its_group(
        page, app, make_consultation, make_user, make_comment):
    consultation, _ids, _themes = _byplan(app, make_consultation, make_user, make_comment,
                                          [(0, "Sykkel"), (4, "Biblioteket")])
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


@pytest.mark.browser
def test_a_group_is_settled_from_the_keyboard(page, app, make_consultation, make_user, make_comment):
    """j moves down the rows, a theme's key chooses it in the row, l "read, no theme", the
    space bar unticks, Enter accepts the row's group."""
    # Two tags for Sykkel: the largest theme, key 1; Biblioteket key 2.
    consultation, _ids, theme_ids = _byplan(app, make_consultation, make_user, make_comment,
                                            [(0, "Sykkel"), (1, "Sykkel"), (4, "Biblioteket")])
    log_in(page, make_user(role="moderator"))
    page.goto(f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer")
    assert_clean(page)
    assert page.inner_text("details.proposal-keys summary") == "Tastatur"
    form = page.query_selector("form.proposal-group")
    rows = [int(box.get_attribute("value")) for box in form.query_selector_all("input.proposal-tick")]
    assert len(rows) >= 3
    page.keyboard.press("j")  # the first row
    other = "2" if int(form.query_selector('input[name="group"]').get_attribute("value")) == theme_ids["Sykkel"] \
        else "1"
    page.keyboard.press(other)
    page.keyboard.press("j")
    page.keyboard.press("l")
    page.keyboard.press("ArrowDown")
    page.keyboard.press(" ")
    assert page.evaluate(f"document.activeElement.matches('li.pick.is-current:has(#accept-{rows[2]})')")
    assert not page.is_checked(f"#accept-{rows[2]}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_clean(page)
    with app.app_context():
        tagged = dict(db.session.execute(sa.select(CommentTheme.comment_id, CommentTheme.theme_id)).all())
        read = set(db.session.scalars(sa.select(ReadWithoutTheme.comment_id)))
    chosen = next(t for name, t in theme_ids.items() if (name == "Biblioteket") == (other == "2"))
    assert tagged[rows[0]] == chosen
    assert rows[1] in read and rows[1] not in tagged
    assert rows[2] not in tagged and rows[2] not in read
