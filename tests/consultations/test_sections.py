"""The draft text in sections: case officers edit them; citizens read them and comment on
a section; the comments are grouped by section."""

from __future__ import annotations

import sqlalchemy as sa

from hoering.comments.models import Comment
from hoering.consultations.models import Section
from hoering.extensions import db


def add(officer, slug: str, number: str, heading: str = "", text: str = "", place: str = ""):
    return officer.submit(f"/saksbehandling/hoeringer/{slug}/utkast",
                          data={"number": number, "heading": heading, "text_markdown": text, "place": place})


def sections(app, consultation_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(s.number, s.heading) for s in db.session.scalars(
            sa.select(Section).where(Section.consultation_id == consultation_id).order_by(Section.position))]


def test_a_case_officer_publishes_the_draft_as_numbered_sections(browser_for, make_consultation, app, client):
    consultation = make_consultation()
    officer = browser_for("case_officer")

    assert add(officer, consultation.slug, "§ 2", "Virkeområde", "Gjelder **hele** kommunen.").status_code == 303
    assert add(officer, consultation.slug, "§ 1", "Formål", "<script>x</script>Formålet er ro.", place="1") \
        .status_code == 303
    add(officer, consultation.slug, "Kapittel 3.2", "Støy")

    assert sections(app, consultation.id) == [("§ 1", "Formål"), ("§ 2", "Virkeområde"), ("Kapittel 3.2", "Støy")]
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Utkastet har 3 paragrafer" in page and f'href="/hoeringer/{consultation.slug}/utkast"' in page
    draft = client.get(f"/hoeringer/{consultation.slug}/utkast").get_data(as_text=True)
    assert '<h2 id="del-' in draft and "§ 1 Formål</h2>" in draft
    assert "<strong>hele</strong>" in draft and "<script>" not in draft
    assert draft.index("§ 1 Formål</h2>") < draft.index("§ 2 Virkeområde</h2>")


def test_a_section_is_changed_moved_and_removed_unless_comments_are_about_it(
        browser_for, make_consultation, app, make_user):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    for number in ("§ 1", "§ 2", "§ 3"):
        add(officer, consultation.slug, number, "Tittel")
    with app.app_context():
        ids = list(db.session.scalars(sa.select(Section.id).order_by(Section.position)))

    moved = officer.submit(f"/saksbehandling/seksjoner/{ids[2]}", data={
        "number": "§ 3", "heading": "Ny tittel", "text_markdown": "", "place": "1"})
    assert moved.status_code == 303
    assert sections(app, consultation.id)[0] == ("§ 3", "Ny tittel")

    citizen = browser_for()
    citizen.comment(consultation.slug, "Om paragraf 1", section_id=str(ids[0]))
    refused = officer.submit(f"/saksbehandling/hoeringer/{consultation.slug}/utkast",
                             f"/saksbehandling/seksjoner/{ids[0]}/slett", follow_redirects=True)
    assert "kan ikke fjernes" in refused.get_data(as_text=True)
    officer.submit(f"/saksbehandling/hoeringer/{consultation.slug}/utkast", f"/saksbehandling/seksjoner/{ids[1]}/slett")
    assert [n for n, _h in sections(app, consultation.id)] == ["§ 3", "§ 1"]


def test_bad_section_input_comes_back_with_a_message_and_what_was_typed(browser_for, make_consultation, app):
    consultation = make_consultation()
    officer = browser_for("case_officer")

    response = add(officer, consultation.slug, "", "Formål", "Teksten min")

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Skriv inn nummeret" in html and "Teksten min" in html and 'value="Formål"' in html
    assert add(officer, consultation.slug, "§ 1", place="-4").status_code == 422
    assert sections(app, consultation.id) == []


def test_citizens_comment_on_a_section_and_see_the_comments_beside_it(browser_for, make_consultation, app, client):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    add(officer, consultation.slug, "§ 1", "Formål", "Formålet.")
    add(officer, consultation.slug, "§ 2", "Virkeområde", "Hele kommunen.")
    with app.app_context():
        first, second = db.session.scalars(sa.select(Section.id).order_by(Section.position)).all()
    citizen = browser_for(name="Kari Nordmann")

    form = citizen.get(f"/hoeringer/{consultation.slug}/utkast/{second}").get_data(as_text=True)
    assert "Kommenter § 2" in form and f'<option value="{second}" lang="nb" selected>§ 2 Virkeområde</option>' in form
    comment_id = citizen.comment(consultation.slug, "Virkeområdet er for stort.", section_id=str(second))
    citizen.comment(consultation.slug, "Et generelt innspill.")

    with app.app_context():
        assert db.session.get(Comment, comment_id).section_id == second
    draft = client.get(f"/hoeringer/{consultation.slug}/utkast").get_data(as_text=True)
    part_two = draft.split(f'id="del-{second}"', 1)[1]
    assert "Virkeområdet er for stort." in part_two and "Kari Nordmann" in part_two
    assert "Virkeområdet er for stort." not in draft.split(f'id="del-{second}"', 1)[0].split(f'id="del-{first}"', 1)[1]
    assert "Et generelt innspill." not in draft
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Om § 2 Virkeområde" in page


def test_a_section_of_another_consultation_is_refused(browser_for, make_consultation, app):
    consultation, other = make_consultation(), make_consultation()
    officer = browser_for("case_officer")
    add(officer, other.slug, "§ 1", "Annen")
    with app.app_context():
        foreign = db.session.scalar(sa.select(Section.id))
    citizen = browser_for()

    response = citizen.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                              data={"text": "Feil paragraf", "section_id": str(foreign)})

    assert response.status_code == 422
    assert "Feil paragraf" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_the_draft_pages_of_a_draft_consultation_are_hidden(client, make_consultation, browser_for):
    draft = make_consultation(status="draft")
    officer = browser_for("case_officer")
    add(officer, draft.slug, "§ 1", "Formål")

    assert client.get(f"/hoeringer/{draft.slug}/utkast").status_code == 404
    assert officer.get(f"/hoeringer/{draft.slug}/utkast").status_code == 200


def test_the_exports_the_statistics_the_report_and_the_api_name_the_section(browser_for, make_consultation, app,
                                                                             client):
    import csv
    import io
    import json

    import openpyxl

    consultation = make_consultation()
    officer = browser_for("case_officer")
    add(officer, consultation.slug, "§ 1", "Formål")
    add(officer, consultation.slug, "§ 2", "Virkeområde")
    with app.app_context():
        first, second = db.session.scalars(sa.select(Section.id).order_by(Section.position)).all()
    citizen = browser_for()
    about = citizen.comment(consultation.slug, "For stort område.", section_id=str(second))
    general = citizen.comment(consultation.slug, "Generelt.")
    base = f"/saksbehandling/hoeringer/{consultation.slug}/kommentarer"

    rows = {int(r["Nummer"]): r for r in csv.DictReader(io.StringIO(officer.get(f"{base}.csv").get_data(as_text=True)
                                                                .lstrip("\ufeff")))}
    assert rows[about]["Del av utkastet"] == "§ 2 Virkeområde" and rows[general]["Del av utkastet"] == ""
    exported = json.loads(officer.get(f"{base}.json").get_data(as_text=True))
    assert {r["id"]: r["section"] for r in exported["comments"]}[about] == "§ 2 Virkeområde"
    sheet = openpyxl.load_workbook(io.BytesIO(officer.get(f"{base}.xlsx").get_data())).active
    header = [cell.value for cell in sheet[1]]
    assert "Del av utkastet" in header
    column = header.index("Del av utkastet")
    assert "§ 2 Virkeområde" in [row[column].value for row in sheet.iter_rows(min_row=2)]

    staff = officer.get(f"/saksbehandling/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Kommentarer per del av utkastet" in staff
    assert '<th scope="row">§ 1 Formål</th><td>0</td>' in staff and '<th scope="row">§ 2 Virkeområde</th><td>1</td>' in staff
    report = officer.get(f"/hoeringer/{consultation.slug}/rapport").get_data(as_text=True)
    assert '<th scope="row">§ 2 Virkeområde</th><td>1</td>' in report

    detail = client.get(f"/api/v1/consultations/{consultation.slug}").get_json()
    assert [s["number"] for s in detail["sections"]] == ["§ 1", "§ 2"] and detail["sections"][0]["id"] == first
    comments = client.get(f"/api/v1/consultations/{consultation.slug}/comments").get_json()
    assert {c["id"]: c["section_id"] for c in _comments_in(comments)}[about] == second


def _comments_in(value):
    """Every object with a "section_id" in an API answer, however the threads nest."""
    if isinstance(value, dict):
        if "section_id" in value:
            yield value
        for item in value.values():
            yield from _comments_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _comments_in(item)


def test_the_demo_has_topics_a_draft_in_sections_with_comments_and_an_urgent_notice(runner, client):
    assert runner.invoke(args=["hoering", "demo"]).exit_code == 0

    front = client.get("/").get_data(as_text=True)
    assert "Stengt vei ved Strandvegen i natt" in front and "Vei og trafikk" in front
    draft = client.get("/hoeringer/parkeringsforskrift-sentrum/utkast").get_data(as_text=True)
    assert "§ 4 Beboerparkering</h2>" in draft and "Beboerkort bør kunne deles" in draft


def test_moderators_analyse_the_comments_about_one_section(browser_for, make_consultation, app):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    add(officer, consultation.slug, "§ 1", "Formål")
    add(officer, consultation.slug, "§ 2", "Virkeområde")
    with app.app_context():
        first, second = db.session.scalars(sa.select(Section.id).order_by(Section.position)).all()
    citizen = browser_for()
    citizen.comment(consultation.slug, "Om formålet.", section_id=str(first))
    citizen.comment(consultation.slug, "Om virkeområdet.", section_id=str(second))
    moderator = browser_for("moderator")
    themes = f"/moderering/hoeringer/{consultation.slug}/temaer"

    listed = moderator.get(f"{themes}?filter=section&filter_section={second}").get_data(as_text=True)

    assert "Om § 2 Virkeområde" in listed and '<label for="filter-section">Kommentarer om paragrafen</label>' in listed
    assert "Om virkeområdet." in listed and "Om formålet." not in listed
    other = make_consultation()
    add(officer, other.slug, "§ 9", "Annen")
    with app.app_context():
        foreign = db.session.scalar(sa.select(Section.id).where(Section.consultation_id == other.id))
    assert moderator.get(f"{themes}?filter=section&filter_section={foreign}").status_code == 404


def test_two_sections_added_at_the_same_moment_both_get_their_own_place(app, make_consultation, make_user,
                                                                       monkeypatch):
    import threading

    from hoering.consultations import sections as section_services
    from tests.concurrency import answers, at_once, tabs_of

    consultation = make_consultation()
    officer = make_user(role="case_officer")
    page = f"/saksbehandling/hoeringer/{consultation.slug}/utkast"
    tabs = tabs_of(app, officer, 2, page)
    # Both requests have read the (empty) list of sections before either places its own:
    # the moment two case officers press "Add" together.
    both_read = threading.Barrier(2, timeout=60)
    first_tries: set[int] = set()
    place = section_services._place

    def place_after_both_read(*args):
        if threading.get_ident() not in first_tries:
            first_tries.add(threading.get_ident())
            both_read.wait()
        return place(*args)

    monkeypatch.setattr(section_services, "_place", place_after_both_read)
    responses = at_once([lambda tab=tab, token=token, number=number: tab.client.post(page, data={
        "csrf_token": token, "number": number, "heading": "", "text_markdown": "", "place": ""})
        for (tab, token), number in zip(tabs, ("§ 1", "§ 2"), strict=True)])

    assert answers(responses) == [303, 303]
    with app.app_context():
        stored = db.session.execute(sa.select(Section.number, Section.position)
                                    .where(Section.consultation_id == consultation.id)).all()
    assert sorted(number for number, _ in stored) == ["§ 1", "§ 2"]
    assert sorted(position for _, position in stored) == [0, 1]
