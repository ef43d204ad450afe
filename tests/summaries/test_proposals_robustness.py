"""The moderators' analysis pages under wrong, stale and hostile input: a refused form
leaves the rest of "Foreslåtte temaer" as it was, "Temaforslag" saves every kept group or
none, and the one-at-a-time view survives comments hidden while shown."""

from __future__ import annotations

import re

import sqlalchemy as sa

from hoering.comments.models import Comment
from hoering.extensions import db
from hoering.summaries import themes as theme_services
from hoering.summaries.models import Theme
from tests.summaries.test_coding import act, shown
from tests.summaries.test_themes_by_meaning import (  # noqa: F401 (hearing is a fixture)
    CYCLING,
    group_data,
    groups,
    hearing,
    state,
    suggestion_form,
    tags,
)


def ticks(html: str) -> dict[int, bool]:
    """``{comment id: ticked}`` for every row of the page."""
    return {int(c): bool(checked) for c, checked in re.findall(
        r'name="accept" value="(\d+)" id="accept-\d+" class="proposal-tick"( checked)?', html)}


def test_a_refused_form_leaves_the_other_groups_ticked(hearing, browser_for, app):  # noqa: F811
    """A refused "accept all above" or group used to show every other row unticked, so the
    next group accepted declined all its comments."""
    consultation, ids, themes, foreign = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    found = groups(moderator.get(url).get_data(as_text=True))
    assert len(found) >= 2 and len(found[0][1]) >= 2
    before = state(app, consultation.id)

    response = moderator.submit(url, data={"action": "above", "above": "mye"})
    assert response.status_code == 422
    shown = ticks(response.get_data(as_text=True))
    assert shown and all(shown.values())

    (theme_id, rows), (_, others) = found[0], found[1]
    unticked = rows[0][0]
    response = moderator.submit(url, data={
        "action": "group", "group": str(theme_id), "row": [str(c) for c, _ in rows] + [str(foreign)],
        "accept": [str(c) for c, _ in rows[1:]]})
    assert response.status_code == 422
    shown = ticks(response.get_data(as_text=True))
    assert shown[unticked] is False  # what the moderator unticked in the group posted stays so
    assert all(shown[c] for c, _ in rows[1:]) and all(shown[c] for c, _ in others)
    assert state(app, consultation.id) == before


def theme_names(app, consultation_id: int) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Theme.name).where(Theme.consultation_id == consultation_id)))


def test_kept_groups_are_saved_all_or_none(hearing, browser_for, app):  # noqa: F811
    """A kept group whose name only looks like an existing theme's, or like another kept
    group's, used to be refused after the groups before it were saved."""
    consultation, *_ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/temaforslag"
    number, members = suggestion_form(moderator.get(url).get_data(as_text=True))
    names = theme_names(app, consultation.id)
    for second in ("Bibli\u043eteket", "Byl\u0456v"):  # a Cyrillic o; a Cyrillic i
        response = moderator.submit(url, data={
            f"proposal-{number}-accept": "1", f"proposal-{number}-name": "Byliv",
            f"proposal-{number}-comment": members,
            "proposal-99-accept": "1", "proposal-99-name": second})
        assert response.status_code == 422
        assert "Forslag 99: " in response.get_data(as_text=True)
        assert theme_names(app, consultation.id) == names
    # The same name in another case keeps the groups as one theme, and an existing
    # theme's name reuses it.
    response = moderator.submit(url, data={
        f"proposal-{number}-accept": "1", f"proposal-{number}-name": "Byliv", f"proposal-{number}-comment": members,
        "proposal-98-accept": "1", "proposal-98-name": "BYLIV", "proposal-99-accept": "1",
        "proposal-99-name": "biblioteket"})
    assert response.status_code == 303
    assert theme_names(app, consultation.id) == names | {"Byliv"}


def test_a_comment_hidden_while_shown_one_at_a_time_is_passed_by(hearing, browser_for, app):  # noqa: F811
    """Hidden by another moderator while shown: tagging it, or going on from it, used to
    end on a 404 page; now nothing is saved, the page says why, and the next comment comes."""

    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/en-og-en"
    target = shown(moderator.get(url).get_data(as_text=True))
    assert target
    with app.app_context():
        db.session.get(Comment, target).state = "hidden"
        db.session.commit()
    before = tags(app, consultation.id)
    response = act(moderator, consultation, target, action="tag", theme=str(themes["cycling"]))
    assert response.status_code == 303
    page = moderator.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Kommentar #{target} er ikke lenger publisert, så ingenting ble lagret for den." in html
    assert shown(html) not in (None, target)
    assert tags(app, consultation.id) == before
    for order in ("", "&rekkefolge=forslag&hoppet=abc,0,-4"):
        page = moderator.get(f"{url}?etter={target}{order}")
        assert page.status_code == 200 and shown(page.get_data(as_text=True)) not in (None, target)
    # The skipped comments kept in the address are comment numbers only.
    page = moderator.get(f"{url}?rekkefolge=forslag&hoppet=abc,0,-4,{ids[CYCLING[2]]}").get_data(as_text=True)
    skips = set(re.findall(r"hoppet=([^&\"]*)", page)) - {f"abc,0,-4,{ids[CYCLING[2]]}"}
    assert skips and all(re.fullmatch(r"\d+((,|%2C)\d+)*", s) for s in skips), skips


def test_a_theme_merged_or_deleted_since_the_page_was_shown_is_a_conflict(hearing, browser_for, app):  # noqa: F811
    """Accepting a group whose theme was merged into another meanwhile used to say only that
    the consultation has no theme with that number (422)."""

    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    found = groups(moderator.get(url).get_data(as_text=True))
    theme_id, rows = found[0]
    other = next(t for t in (themes["cycling"], themes["library"]) if t != theme_id)
    merged = moderator.submit(f"/moderering/temaer/{other}", f"/moderering/temaer/{other}/slaa-sammen",
                              data={"other": str(theme_id)})
    assert merged.status_code == 303
    before = state(app, consultation.id)
    response = moderator.submit(url, data=group_data(theme_id, [c for c, _ in rows], [c for c, _ in rows[1:]]))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Et tema på siden er slått sammen med et annet eller slettet etter at siden ble vist" in html
    assert f'name="group" value="{theme_id}"' not in html
    assert state(app, consultation.id) == before
    # A theme number no theme has is taken for one deleted meanwhile.
    response = moderator.submit(url, data=group_data(999999, [c for c, _ in rows]))
    assert response.status_code == 409 and state(app, consultation.id) == before
    # One at a time: accepting or tagging with it says the same, and saves nothing.
    for action in ("accept", "tag"):
        response = act(moderator, consultation, rows[0][0], action=action, theme=str(theme_id))
        assert response.status_code == 303
        assert "Temaet er slått sammen med et annet eller slettet etter at siden ble vist, så ingenting ble lagret." \
            in moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert state(app, consultation.id) == before


def test_a_group_is_settled_whole_or_not_at_all(hearing, browser_for, app, monkeypatch):  # noqa: F811
    """A failure after the declines were written (here: the second theme's tags, as when
    that theme is deleted at the same moment) used to leave the declines saved."""

    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    theme_id, rows = groups(moderator.get(url).get_data(as_text=True))[0]
    other = next(t for t in (themes["cycling"], themes["library"]) if t != theme_id)
    rows = [c for c, _ in rows]
    real = theme_services.tag_comments

    def fail_for_other(theme, *args, **kwargs):
        if theme.id == other:
            raise RuntimeError("the theme went away")
        return real(theme, *args, **kwargs)

    monkeypatch.setattr(theme_services, "tag_comments", fail_for_other)
    before = state(app, consultation.id)
    app.config["PROPAGATE_EXCEPTIONS"], propagate = False, app.config.get("PROPAGATE_EXCEPTIONS")
    try:
        response = moderator.submit(url, data=group_data(theme_id, rows, rows[1:], **{f"theme_{rows[1]}": other}))
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = propagate
    assert response.status_code == 500
    assert state(app, consultation.id) == before


def test_a_comment_hidden_since_the_page_was_shown_is_a_conflict(hearing, browser_for, app):  # noqa: F811
    """Accepting a group with a comment hidden meanwhile used to call it "not a published
    comment of this consultation" (422); the group is still refused whole, and the page
    shows it again without the comment and with the moderator's ticks."""

    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    theme_id, rows = groups(moderator.get(url).get_data(as_text=True))[0]
    rows = [c for c, _ in rows]
    hidden, unticked = rows[0], rows[1]
    with app.app_context():
        db.session.get(Comment, hidden).state = "hidden"
        db.session.commit()
    before = state(app, consultation.id)
    response = moderator.submit(url, data=group_data(theme_id, rows, [c for c in rows if c != unticked]))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert f"Kommentar #{hidden} er skjult eller fjernet etter at siden ble vist, så ingenting ble lagret." in html
    assert state(app, consultation.id) == before
    shown = ticks(html)
    assert hidden not in shown and shown[unticked] is False


def test_kept_groups_are_one_transaction(hearing, browser_for, app, monkeypatch):  # noqa: F811
    """A failure while keeping the second group (here its tags, as when a second moderator
    saves a theme of that name at the same moment) used to leave the first group saved."""
    consultation, ids, *_ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/temaforslag"
    number, members = suggestion_form(moderator.get(url).get_data(as_text=True))
    real = theme_services.tag_comments

    def fail_for_the_second(theme, *args, **kwargs):
        if theme.name == "Andre":
            raise RuntimeError("saved by someone else at the same moment")
        return real(theme, *args, **kwargs)

    monkeypatch.setattr(theme_services, "tag_comments", fail_for_the_second)
    names, before = theme_names(app, consultation.id), state(app, consultation.id)
    app.config["PROPAGATE_EXCEPTIONS"], propagate = False, app.config.get("PROPAGATE_EXCEPTIONS")
    try:
        response = moderator.submit(url, data={
            f"proposal-{number}-accept": "1", f"proposal-{number}-name": "Byliv", f"proposal-{number}-tag": "1",
            f"proposal-{number}-comment": members, "proposal-99-accept": "1", "proposal-99-name": "Andre",
            "proposal-99-tag": "1", "proposal-99-comment": [str(ids[CYCLING[2]])]})
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = propagate
    assert response.status_code == 500
    assert theme_names(app, consultation.id) == names and state(app, consultation.id) == before
