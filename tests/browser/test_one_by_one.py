"""The one-at-a-time view of the moderators' analysis ("Én og én") in a real browser, with
the keyboard: digits tag, "l" marks read without a theme, "s" skips, "n" and the right
arrow go on; keys typed in a field are left alone."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import sqlalchemy as sa

from hoering.extensions import db
from hoering.summaries.models import CommentTheme, ReadWithoutTheme, Theme
from hoering.timeutil import utcnow
from tests.browser.conftest import assert_clean, log_in


def heading(page) -> str:
    return page.inner_text("#comment-heading") if page.query_selector("#comment-heading") else ""


def press(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.mark.browser
def test_a_moderator_analyses_comments_one_at_a_time_with_the_keyboard(page, app, make_consultation, make_user,
                                                                      make_comment, tmp_path):
    consultation = make_consultation(title="Bussruter i sentrum")
    author = make_user(name="Kari")
    start = utcnow() - dt.timedelta(days=1)
    texts = ["Bussen til sykehuset går for sjelden om kvelden.", "Jeg har ingen mening om dette.",
             "Det trengs flere sykkelstativer ved stasjonen.", "Nattbuss i helgene, takk!"]
    first, second, third, fourth = [make_comment(consultation, author, text, created_at=start + dt.timedelta(minutes=i))
                                    for i, text in enumerate(texts)]
    with app.app_context():
        db.session.add_all([Theme(consultation_id=consultation.id, name=name) for name in ("Kollektiv", "Sykkel")])
        db.session.commit()
        kollektiv, sykkel = (db.session.scalar(sa.select(Theme.id).where(Theme.name == name))
                             for name in ("Kollektiv", "Sykkel"))
    log_in(page, make_user(role="moderator"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/moderering/hoeringer/{consultation.slug}/en-og-en")
    assert_clean(page)
    assert heading(page).startswith(f"Kommentar #{first.id}")
    assert "Hurtigtaster" in page.content()
    assert page.get_attribute("progress#analysis-progress-bar", "value") == "0"

    press(page, "1")  # Kollektiv, the first theme by name
    assert heading(page).startswith(f"Kommentar #{second.id}")
    press(page, "l")  # read, no theme
    assert heading(page).startswith(f"Kommentar #{third.id}")

    # Typing in the new-theme field does not act on the comment.
    page.focus("#new-theme")
    page.keyboard.type("ls12n")
    assert page.input_value("#new-theme") == "ls12n"
    assert heading(page).startswith(f"Kommentar #{third.id}")
    page.fill("#new-theme", "")
    page.evaluate("document.activeElement.blur()")

    press(page, "2")  # Sykkel
    assert heading(page).startswith(f"Kommentar #{fourth.id}")
    assert page.get_attribute("progress#analysis-progress-bar", "value") == "3"
    assert "3 av 4 publiserte kommentarer analysert" in page.content()
    screenshot = os.path.join(tmp_path, "one-by-one.png")
    page.screenshot(path=screenshot, full_page=True)
    if os.environ.get("HOERING_SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["HOERING_SCREENSHOT_DIR"], "one-by-one-desktop.png"), full_page=True)
    assert os.path.getsize(screenshot) > 10_000

    press(page, "s")  # skip the last one: nothing after it
    assert heading(page) == ""
    assert "1 hoppet over" in page.content()
    press(page, "n")  # start again from the oldest: the skipped one
    assert heading(page).startswith(f"Kommentar #{fourth.id}")
    press(page, "l")
    assert "Ferdig: alle publiserte kommentarer er analysert." in page.content()
    assert_clean(page)

    with app.app_context():
        tags = set(db.session.execute(sa.select(CommentTheme.comment_id, CommentTheme.theme_id)).all())
        marks = set(db.session.scalars(sa.select(ReadWithoutTheme.comment_id)))
    assert tags == {(first.id, kollektiv), (third.id, sykkel)}
    assert marks == {second.id, fourth.id}


@pytest.mark.browser
def test_the_right_arrow_goes_on_after_tagging_and_staying(page, app, make_consultation, make_user, make_comment):
    consultation = make_consultation()
    author = make_user()
    start = utcnow() - dt.timedelta(days=1)
    first, second = [make_comment(consultation, author, f"Innspill {i}", created_at=start + dt.timedelta(minutes=i))
                     for i in range(2)]
    with app.app_context():
        db.session.add(Theme(consultation_id=consultation.id, name="Trafikk"))
        db.session.commit()
    log_in(page, make_user(role="moderator"))
    page.goto(f"/moderering/hoeringer/{consultation.slug}/en-og-en")
    page.check("#stay")
    page.evaluate("document.activeElement.blur()")
    press(page, "1")  # tagged, and stays to add another theme
    assert heading(page).startswith(f"Kommentar #{first.id}")
    press(page, "ArrowRight")
    assert heading(page).startswith(f"Kommentar #{second.id}")


@pytest.mark.browser
def test_keys_that_are_not_shortcuts_do_nothing_and_raise_no_script_error(page, app, make_consultation, make_user,
                                                                         make_comment):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Innspill")
    log_in(page, make_user(role="moderator"))
    page.goto(f"/moderering/hoeringer/{consultation.slug}/en-og-en")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for key in ('"', "\\", "]", "'", "Enter", "F5", "å"):
        page.keyboard.press(key) if key not in ('"', "'", "å") else page.keyboard.type(key)
    assert errors == []
    assert heading(page).startswith(f"Kommentar #{comment.id}")


@pytest.mark.browser
def test_fifteen_themes_each_have_a_key_and_enter_accepts_the_proposal(page, app, make_consultation, make_user,
                                                                      make_comment, monkeypatch):
    from hoering.summaries import suggestions

    consultation = make_consultation(title="Byplan")
    author = make_user()
    start = utcnow() - dt.timedelta(days=1)
    first, second, third = [make_comment(consultation, author, f"Innspill nummer {i} om byen og trafikken.",
                                         created_at=start + dt.timedelta(minutes=i)) for i in range(3)]
    tagged = [make_comment(consultation, author, f"Merket {i}", created_at=start - dt.timedelta(hours=1, minutes=i))
              for i in range(15)]
    names = [f"Tema {chr(ord('A') + i)} med et ganske langt navn" for i in range(15)]
    with app.app_context():
        themes = [Theme(consultation_id=consultation.id, name=name) for name in names]
        db.session.add_all(themes)
        db.session.flush()
        # Tema A is the largest, then B, …: the keys follow the sizes (Tema J, the tenth, is "a").
        db.session.add_all([CommentTheme(comment_id=tagged[j].id, theme_id=theme.id)
                            for i, theme in enumerate(themes) for j in range(15 - i)])
        db.session.commit()
        ids = [theme.id for theme in themes]
    monkeypatch.setattr(suggestions, "proposed_themes",
                        lambda consultation: {first.id: (ids[4], 0.87), second.id: (ids[2], 0.6)})
    log_in(page, make_user(role="moderator"))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/moderering/hoeringer/{consultation.slug}/en-og-en")
    assert_clean(page)
    assert heading(page).startswith(f"Kommentar #{first.id}")
    assert page.evaluate("document.activeElement.id") == "comment"  # the comment has the focus
    assert "Forslag: Tema E med et ganske langt navn (87 %)" in " ".join(page.inner_text(".one-by-one-proposal").split())
    buttons = page.query_selector_all(".theme-buttons button")
    assert len(buttons) == 15
    assert [b.get_attribute("data-key") for b in buttons] == [*"123456789", *"abcdef"]
    # Every theme button is on the screen without scrolling.
    assert all(0 <= b.bounding_box()["y"] and b.bounding_box()["y"] + b.bounding_box()["height"] <= 800
               for b in buttons)

    press(page, "Enter")  # accept the proposal
    assert heading(page).startswith(f"Kommentar #{second.id}")
    press(page, "a")  # the tenth theme
    assert heading(page).startswith(f"Kommentar #{third.id}")

    with app.app_context():
        rows = sorted(db.session.execute(sa.select(CommentTheme.comment_id, CommentTheme.theme_id, CommentTheme.source,
                                                   CommentTheme.confidence)
                                         .where(CommentTheme.comment_id.in_([first.id, second.id]))).all())
    assert rows == [(first.id, ids[4], "proposal", pytest.approx(0.87)), (second.id, ids[9], "manual", None)]

    # At 320 px the buttons wrap inside the page: nothing sticks out sideways.
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert all(b.bounding_box()["x"] >= 0 and b.bounding_box()["x"] + b.bounding_box()["width"] <= 320
               for b in page.query_selector_all(".theme-buttons button"))
    if os.environ.get("HOERING_SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["HOERING_SCREENSHOT_DIR"], "one-by-one-narrow.png"), full_page=True)
