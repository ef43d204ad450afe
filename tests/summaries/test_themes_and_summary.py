"""Themes, tagging, the theme overview and the summary ("Dette har vi hørt"), through HTTP."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.summaries.models import CommentTheme, Theme
from tests.conftest import csrf_token_from


def theme_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Theme.id).where(Theme.name == name))


def tagged(app, theme: int) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(sa.select(CommentTheme.comment_id).where(CommentTheme.theme_id == theme)))


def create_theme(moderator, consultation, name: str, description: str = ""):
    url = f"/moderering/hoeringer/{consultation.slug}/temaer"
    return moderator.submit(url, data={"name": name, "description": description})


def tag(moderator, theme: int, comment_ids: list[int], remove: bool = False, back: str = "/moderering"):
    return moderator.submit("/moderering", "/moderering/temaer/merk",
                            data={"theme": str(theme), "comment": [str(i) for i in comment_ids],
                                  "remove": "1" if remove else "0", "back": back})


def test_moderators_create_tag_and_count_themes(browser_for, make_consultation, make_user, make_comment, app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    ann, bob = make_user(name="Ann"), make_user(name="Bob")
    first = make_comment(consultation, ann, "Flere sykkelveier, takk", support_count=3)
    second = make_comment(consultation, bob, "Sykkelparkering ved stasjonen", support_count=2)
    third = make_comment(consultation, ann, "Lengre åpningstid på biblioteket")
    hidden = make_comment(consultation, bob, "Skjult sykkelinnspill", state="hidden")

    assert create_theme(moderator, consultation, "Sykkel", "Alt om sykling").status_code == 303
    assert create_theme(moderator, consultation, "Bibliotek").status_code == 303
    sykkel, bibliotek = theme_id(app, "Sykkel"), theme_id(app, "Bibliotek")

    assert tag(moderator, sykkel, [first.id, second.id, hidden.id]).status_code == 303
    assert tagged(app, sykkel) == {first.id, second.id, hidden.id}

    page = moderator.get(f"/moderering/hoeringer/{consultation.slug}/temaer").get_data(as_text=True)
    row = re.search(r'Sykkel</a>.*?</tr>', page, re.S).group(0)
    # Two published comments (the hidden one is not counted), two participants, five agree.
    assert re.findall(r"<td>(\d+)</td>", row) == ["2", "2"]
    assert "<td>5 enig, 0 uenig</td>" in row
    assert "Lengre åpningstid på biblioteket" in page  # not covered yet
    assert "Flere sykkelveier" not in page.split("Not covered")[-1] if "Not covered" in page else True

    tag(moderator, bibliotek, [third.id])
    page = moderator.get(f"/moderering/hoeringer/{consultation.slug}/temaer").get_data(as_text=True)
    assert "Every published comment has a theme." in page or "Alle publiserte kommentarer har et tema." in page

    tag(moderator, sykkel, [second.id], remove=True)
    assert tagged(app, sykkel) == {first.id, hidden.id}


def test_a_theme_never_tags_another_consultations_comment(browser_for, make_consultation, make_user, make_comment,
                                                           app):
    mine, other = make_consultation(), make_consultation()
    moderator = browser_for("moderator")
    author = make_user()
    foreign = make_comment(other, author, "Innspill til en annen sak")
    create_theme(moderator, mine, "Trafikk")
    response = tag(moderator, theme_id(app, "Trafikk"), [foreign.id, 999999])
    assert response.status_code == 303
    assert tagged(app, theme_id(app, "Trafikk")) == set()
    follow = moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 kommentarer ble utelatt" in follow


def test_theme_names_are_unique_per_consultation_and_kept_on_error(browser_for, make_consultation, app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    create_theme(moderator, consultation, "Skole")
    response = create_theme(moderator, consultation, "skole", "beskrivelse som ikke skal forsvinne")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "allerede et tema" in html and "beskrivelse som ikke skal forsvinne" in html
    empty = create_theme(moderator, consultation, "   ")
    assert empty.status_code == 422


@pytest.mark.parametrize("look_alike", [
    "Sk\u043ele",  # a Cyrillic "о"
    "Sk\u200bole",  # an invisible space
    "Sko\u0323le",  # a dot below the "o"
])
def test_a_theme_name_that_only_looks_different_is_refused(browser_for, make_consultation, look_alike):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    create_theme(moderator, consultation, "Skole")
    response = create_theme(moderator, consultation, look_alike)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "allerede et tema" in html and "Skole" in html
    assert create_theme(moderator, consultation, "Skolevei").status_code == 303


def test_merge_and_delete_themes(browser_for, make_consultation, make_user, make_comment, app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    author = make_user()
    a = make_comment(consultation, author, "Veilys langs skoleveien")
    b = make_comment(consultation, author, "Fartsdumper ved skolen")
    create_theme(moderator, consultation, "Skolevei")
    create_theme(moderator, consultation, "Trafikksikkerhet")
    skolevei, trafikk = theme_id(app, "Skolevei"), theme_id(app, "Trafikksikkerhet")
    tag(moderator, skolevei, [a.id])
    tag(moderator, trafikk, [a.id, b.id])

    moderator.submit(f"/moderering/temaer/{skolevei}", f"/moderering/temaer/{skolevei}/slaa-sammen",
                     data={"other": [str(trafikk)]})
    assert tagged(app, skolevei) == {a.id, b.id}
    assert theme_id(app, "Trafikksikkerhet") is None

    moderator.submit(f"/moderering/temaer/{skolevei}", f"/moderering/temaer/{skolevei}/slett")
    assert theme_id(app, "Skolevei") is None
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentTheme)) == 0


def test_tagging_from_the_thread_view(browser_for, make_consultation, make_user, make_comment, app, client):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    comment = make_comment(consultation, make_user(), "Bedre busstilbud om kvelden")
    create_theme(moderator, consultation, "Kollektivtransport")
    page_url = f"/hoeringer/{consultation.slug}"
    page = moderator.get(page_url).get_data(as_text=True)
    assert 'action="/moderering/temaer/merk"' in page
    response = moderator.submit(page_url, "/moderering/temaer/merk", data={
        "theme": str(theme_id(app, "Kollektivtransport")), "comment": str(comment.id), "remove": "0",
        "back": f"{page_url}#kommentar-{comment.id}"})
    assert response.headers["Location"].endswith(f"{page_url}#kommentar-{comment.id}")
    assert "Kollektivtransport" in moderator.get(page_url).get_data(as_text=True)
    public = client.get(page_url).get_data(as_text=True)
    assert "/moderering/temaer/merk" not in public and "Kollektivtransport" not in public


def summary_data(moderator, consultation, **fields):
    """Post the summary form as a moderator who just opened it (its token and version).
    Publishing confirms the warning about comments not analysed yet unless
    ``confirm_unanalysed`` is given (tests/summaries/test_coding.py tests the warning)."""
    if fields.get("action") == "publish":
        fields.setdefault("confirm_unanalysed", "1")
    url = f"/moderering/hoeringer/{consultation.slug}/oppsummering"
    page = moderator.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    return moderator.submit(url, data={"version": version, **fields})


def test_summary_draft_is_invisible_and_publication_sets_the_status(browser_for, make_consultation, make_user,
                                                                    make_comment, app, client, search_inline):
    consultation = make_consultation(status="closed")
    moderator = browser_for("moderator")
    quoted = make_comment(consultation, make_user(name="Kari"), "Vi trenger trygg skolevei langs fjorden")
    other = make_comment(consultation, make_user(), "Et innspill som ikke siteres")
    create_theme(moderator, consultation, "Skolevei")
    skolevei = theme_id(app, "Skolevei")
    tag(moderator, skolevei, [quoted.id, other.id])

    response = summary_data(moderator, consultation, overview="Mange ønsker **tryggere** veier.",
                            overview_quotes="", action="save",
                            **{f"theme-{skolevei}-text": "Foreldre er bekymret for skoleveien.",
                               f"theme-{skolevei}-quote": str(quoted.id)})
    assert response.status_code == 303
    public = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Dette har vi hørt" not in public and "Foreldre er bekymret" not in public
    assert client.get(f"/api/v1/consultations/{consultation.slug}").get_json().get("summary") is None

    response = summary_data(moderator, consultation, overview="Mange ønsker **tryggere** veier.",
                            overview_quotes="", action="publish",
                            **{f"theme-{skolevei}-text": "Foreldre er bekymret for skoleveien.",
                               f"theme-{skolevei}-quote": str(quoted.id)})
    assert response.status_code == 303, re.findall(r"<li>([^<]*)</li>", response.get_data(as_text=True))[:5]
    public = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Dette har vi hørt" in public and "<strong>tryggere</strong>" in public
    assert "Foreldre er bekymret for skoleveien." in public
    assert f'href="/kommentarer/{quoted.id}"' in public and "Kari" in public
    assert "Oppsummert" in public  # the status badge
    data = client.get(f"/api/v1/consultations/{consultation.slug}").get_json()
    assert data["status"] == "summarized"
    assert data["summary"]["themes"][0]["name"] == "Skolevei"
    assert data["summary"]["themes"][0]["quotes"][0]["id"] == quoted.id

    summary_data(moderator, consultation, overview="Mange ønsker tryggere veier.", overview_quotes="",
                 action="unpublish")
    assert "Dette har vi hørt" not in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)


def test_headings_in_the_summary_sit_below_the_pages_own(browser_for, make_consultation, make_user, make_comment,
                                                         app, client):
    consultation = make_consultation(status="closed")
    moderator = browser_for("moderator")
    make_comment(consultation, make_user(), "Et innspill")
    create_theme(moderator, consultation, "Trafikk")
    trafikk = theme_id(app, "Trafikk")
    assert summary_data(moderator, consultation, overview="## Hovedinntrykk\n\nMange svar.", overview_quotes="",
                        action="publish", **{f"theme-{trafikk}-text": "## Fart\n\nFor høy fart.",
                                             f"theme-{trafikk}-quote": ""}).status_code == 303
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    headings = re.findall(r"<h(\d)[^>]*>([^<]+)</h\d>", page[page.index('id="heard-heading"') - 10:])
    assert headings[:4] == [("2", "Dette har vi hørt"), ("3", "Hovedinntrykk"), ("3", "Trafikk"), ("4", "Fart")]


def test_only_published_comments_of_the_consultation_can_be_quoted(browser_for, make_consultation, make_user,
                                                                   make_comment, app, client, search_inline):
    consultation, other_consultation = make_consultation(status="closed"), make_consultation()
    moderator = browser_for("moderator")
    hidden = make_comment(consultation, make_user(), "Skjult tekst som ikke skal siteres", state="hidden")
    foreign = make_comment(other_consultation, make_user(), "Fra en annen høring")
    response = summary_data(moderator, consultation, overview="Teksten min skal ikke gå tapt",
                            overview_quotes=f"{hidden.id}, {foreign.id}", action="publish")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Teksten min skal ikke gå tapt" in html and f"#{hidden.id}" in html
    response = summary_data(moderator, consultation, overview="Tekst", overview_quotes="tolv", action="save")
    assert response.status_code == 422 and "kommanumre" not in response.get_data(as_text=True).lower()

    # A quote whose comment is hidden after publication disappears from the page.
    shown = make_comment(consultation, make_user(), "Dette sitatet skjules senere")
    summary_data(moderator, consultation, overview="Oppsummert", overview_quotes=str(shown.id), action="publish")
    assert "Dette sitatet skjules senere" in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    from tests.moderation.helpers import act
    act(moderator, shown.id, "hide", reason="utenfor-tema")
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    heard = page.split('id="heard-heading"')[1].split('id="comments-heading"')[0]
    assert "Dette sitatet skjules senere" not in heard


def test_publishing_an_empty_summary_is_refused(browser_for, make_consultation):
    consultation = make_consultation(status="closed")
    moderator = browser_for("moderator")
    response = summary_data(moderator, consultation, overview="", overview_quotes="", action="publish")
    assert response.status_code == 422
    assert "Skriv oppsummeringen" in response.get_data(as_text=True)


def test_a_summary_waits_until_the_consultation_closes(browser_for, make_consultation, app):
    consultation = make_consultation()  # open: citizens may still comment
    moderator, citizen = browser_for("moderator"), browser_for()
    response = summary_data(moderator, consultation, overview="For tidlig", overview_quotes="", action="publish")
    assert response.status_code == 422 and "når høringen er avsluttet" in response.get_data(as_text=True)
    posted = citizen.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                            data={"text": "Jeg kan fortsatt kommentere"})
    assert posted.status_code == 303
    with app.app_context():
        assert db.session.get(Consultation, consultation.id).summarized_at is None


def test_a_stale_summary_form_does_not_overwrite_a_newer_save(browser_for, make_consultation, client):
    consultation = make_consultation(status="closed")
    first, second = browser_for("moderator"), browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/oppsummering"
    stale_page = first.get(url).get_data(as_text=True)
    stale_version = re.search(r'name="version" value="([^"]*)"', stale_page).group(1)
    assert summary_data(second, consultation, overview="Den andres ferdige tekst", overview_quotes="",
                        action="publish").status_code == 303
    response = first.client.post(url, data={"csrf_token": csrf_token_from(stale_page),
                                            "version": stale_version, "overview": "Mitt gamle utkast",
                                            "overview_quotes": "", "action": "save"})
    assert response.status_code == 409
    assert "Mitt gamle utkast" in response.get_data(as_text=True)
    assert "Den andres ferdige tekst" in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)


def test_tagging_from_the_queue_and_from_search_results(browser_for, make_consultation, make_user, make_comment, app,
                                                        search_inline):
    consultation = make_consultation(moderation_mode="pre", title="Parkering i sentrum")
    moderator = browser_for("moderator")
    waiting = make_comment(consultation, make_user(), "Parkeringshus ved kaia", state="pending")
    published = make_comment(consultation, make_user(), "Gratis parkering for elbiler")
    create_theme(moderator, consultation, "Parkering")
    parkering = theme_id(app, "Parkering")

    queue = moderator.get("/moderering").get_data(as_text=True)
    assert '<optgroup label="Parkering i sentrum">' in queue and f'<option value="{parkering}">' in queue
    assert tag(moderator, parkering, [waiting.id], back="/moderering").headers["Location"].endswith("/moderering")

    results = moderator.get("/sok?q=parkering").get_data(as_text=True)
    assert f'name="comment" value="{published.id}"' in results and 'formaction="/moderering/temaer/merk"' in results
    tag(moderator, parkering, [published.id], back="/sok?q=parkering")
    assert tagged(app, parkering) == {waiting.id, published.id}


def test_moderators_filter_search_by_theme_and_the_public_cannot(browser_for, make_consultation, make_user,
                                                                 make_comment, app, client, search_inline):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    tagged_one = make_comment(consultation, make_user(), "Brøyting av fortau om vinteren")
    other = make_comment(consultation, make_user(), "Brøyting av skoleveien først")
    create_theme(moderator, consultation, "Vintervedlikehold")
    vinter = theme_id(app, "Vintervedlikehold")
    tag(moderator, vinter, [tagged_one.id])

    from tests.search.test_search import found_ids

    staff = moderator.get(f"/sok?q=brøyting&theme={vinter}").get_data(as_text=True)
    assert found_ids(staff) == [tagged_one.id] and "Temaer: Vintervedlikehold" in staff
    assert set(found_ids(moderator.get("/sok?q=brøyting").get_data(as_text=True))) == {tagged_one.id, other.id}
    public = client.get(f"/sok?q=brøyting&theme={vinter}").get_data(as_text=True)
    assert set(found_ids(public)) == {tagged_one.id, other.id} and "Vintervedlikehold" not in public
    assert found_ids(moderator.get("/sok?q=brøyting&theme=999999").get_data(as_text=True)) == []


def test_all_on_a_queue_page_can_be_tagged_at_once(browser_for, make_consultation, make_user, make_comment, app):
    consultation = make_consultation(moderation_mode="pre")
    moderator = browser_for("moderator")
    waiting = [make_comment(consultation, make_user(), f"Ventende innspill {n}", state="pending") for n in range(3)]
    create_theme(moderator, consultation, "Alt")
    alle = theme_id(app, "Alt")
    response = moderator.submit("/moderering", "/moderering/temaer/merk", data={
        "theme": str(alle), "all_on_page": "1", "page_item": [str(c.id) for c in waiting], "remove": "0",
        "back": "/moderering"})
    assert response.status_code == 303
    assert tagged(app, alle) == {c.id for c in waiting}


def test_merging_keeps_the_summary_text_and_quotes_of_the_merged_theme(browser_for, make_consultation, make_user,
                                                                       make_comment, app, client):
    consultation = make_consultation(status="closed")
    moderator = browser_for("moderator")
    comment = make_comment(consultation, make_user(), "Flere benker langs elva")
    create_theme(moderator, consultation, "Friluft")
    create_theme(moderator, consultation, "Benker")
    friluft, benker = theme_id(app, "Friluft"), theme_id(app, "Benker")
    tag(moderator, benker, [comment.id])
    summary_data(moderator, consultation, overview="Samlet", overview_quotes="", action="publish",
                 **{f"theme-{benker}-text": "Folk vil sitte ved elva.", f"theme-{benker}-quote": str(comment.id)})
    moderator.submit(f"/moderering/temaer/{friluft}", f"/moderering/temaer/{friluft}/slaa-sammen",
                     data={"other": [str(benker)]})
    heard = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True).split('id="heard-heading"')[1]
    assert "Friluft" in heard and "Folk vil sitte ved elva." in heard and "Flere benker langs elva" in heard


def test_a_theme_suggestion_named_like_an_existing_theme_joins_it(runner, app, browser_for):
    from tests.conftest import shared_data

    runner.invoke(args=["hoering", "import-polis", shared_data("polis", "brexit-consensus")])
    with app.app_context():
        slug = db.session.scalar(sa.select(Consultation.slug))
        consultation = db.session.scalar(sa.select(Consultation))
    moderator = browser_for("moderator")
    create_theme(moderator, consultation, "Sykkel")
    url = f"/moderering/hoeringer/{slug}/temaforslag"
    page = moderator.get(url).get_data(as_text=True)
    first = re.findall(r'name="proposal-(\d+)-comment" value="(\d+)"', page)
    number, comment_id = first[0]
    response = moderator.submit(url, data={f"proposal-{number}-accept": "1", f"proposal-{number}-name": "Sykkel\x00",
                                           f"proposal-{number}-tag": "1", f"proposal-{number}-comment": comment_id})
    assert response.status_code == 303
    with app.app_context():
        assert [t.name for t in db.session.scalars(sa.select(Theme))] == ["Sykkel"]
    too_long = moderator.submit(url, data={f"proposal-{number}-accept": "1", f"proposal-{number}-name": "x" * 200,
                                           f"proposal-{number}-comment": comment_id})
    assert too_long.status_code == 422


def test_the_preview_shows_the_summary_as_the_page_will_and_saves_nothing(browser_for, make_consultation, make_user,
                                                                          make_comment, app, client):
    from hoering.summaries.models import Summary

    consultation = make_consultation(status="closed")
    moderator = browser_for("moderator")
    quoted = make_comment(consultation, make_user(name="Kari"), "Vi trenger trygg skolevei")
    create_theme(moderator, consultation, "Skolevei")
    skolevei = theme_id(app, "Skolevei")
    tag(moderator, skolevei, [quoted.id])
    form_page = moderator.get(f"/moderering/hoeringer/{consultation.slug}/oppsummering").get_data(as_text=True)
    assert 'name="action" value="preview"' in form_page and "Forhåndsvis" in form_page
    response = summary_data(moderator, consultation, action="preview",
                            overview='## Hovedinntrykk\n\nMange ønsker **tryggere** veier. <script>alert("x")</script>',
                            overview_quotes="",
                            **{f"theme-{skolevei}-text": "- Foreldre er bekymret",
                               f"theme-{skolevei}-quote": str(quoted.id)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = html[html.index('id="forhandsvisning"'):html.index('action="/moderering/hoeringer/')]
    assert "<h3>Hovedinntrykk</h3>" in preview and "<strong>tryggere</strong>" in preview
    assert "<li>Foreldre er bekymret</li>" in preview and "Vi trenger trygg skolevei" in preview
    assert "alert" not in preview and "Kari" in preview
    # What was typed stays in the form, and nothing is saved or published.
    assert "Mange ønsker **tryggere** veier." in html, html[html.index("<textarea"):][:400]
    assert re.search(rf'value="{quoted.id}" id="quote-{skolevei}-{quoted.id}" checked', html)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Summary)) == 0
    assert "Dette har vi hørt" not in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    too_long = summary_data(moderator, consultation, action="preview", overview="x" * 20_001, overview_quotes="")
    assert too_long.status_code == 422 and 'id="forhandsvisning"' not in too_long.get_data(as_text=True)
