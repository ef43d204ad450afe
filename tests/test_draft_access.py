"""Draft consultations × every route that can take one × every kind of visitor.

The role matrix gives drafts to case officers and administrators only (``can_view_consultation``).
A moderator who is not an administrator must not reach a draft through any door: the
consultation's pages, its staff page and exports, its themes and summary, its comments in
the moderation queue, the overview, search or the filters that list consultations.
The draft here had been published and then taken back, so it has comments, a theme and a
document, as a real one can.
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from hoering.accounts.models import User
from hoering.comments.models import Comment
from hoering.consultations.documents import add_document
from hoering.consultations.models import Consultation, Section
from hoering.exceptions import PermissionDenied
from hoering.extensions import db
from hoering.moderation.decisions import moderate
from hoering.summaries.models import Theme
from tests.conftest import Browser, csrf_token_from
from tests.consultations.test_documents import pdf_bytes
from tests.test_access_matrix import snapshot

ROLES = ("anonymous", "citizen", "moderator", "case_officer", "admin")
CASE_OFFICERS = {"case_officer", "admin"}
ADMINS = {"admin"}  # the only role that may both see drafts and moderate
NOBODY: set = set()

#: Route variables that name a consultation or something belonging to one.
DRAFT_ARGUMENTS = {"slug", "comment_id", "theme_id", "document_id", "consultation_id"}
#: Routes that take a draft's comment or theme from the form rather than the URL.
FORM_ROUTES = {("moderation.bulk", "POST"), ("summaries.tag", "POST"), ("summaries.bulk_search", "POST")}
#: Routes whose ``slug`` or ``document_id`` is a political body's or a meeting document's,
#: never a consultation's (tests/meetings test that unpublished meetings stay hidden).
NOT_CONSULTATION_ROUTES = {"outreach.body_feed", "api.body_meetings", "meetings.body", "meetings.document",
                           "meetings.follow", "meetings.confirm_follow", "meetings.edit_body", "meetings.add_member", "meetings.new_meeting",
                           "meetings.delete_document"}
#: Routes that act on many comments and refuse each one it may not touch, with a message.
REFUSED_PER_ITEM = {"moderation.bulk"}

# (endpoint, method, url template, form data, roles allowed, statuses when allowed)
DRAFT_MATRIX = [
    ("consultations.draft_text", "GET", "/hoeringer/{slug}/utkast", None, CASE_OFFICERS, 200),
    ("consultations.draft_section", "GET", "/hoeringer/{slug}/utkast/{section}", None, CASE_OFFICERS, 200),
    ("consultations.edit_sections", "GET", "/saksbehandling/hoeringer/{slug}/utkast", None, CASE_OFFICERS, 200),
    ("consultations.edit_sections", "POST", "/saksbehandling/hoeringer/{slug}/utkast",
     {"number": "§ 2", "heading": "Virkeområde", "text_markdown": "Gjelder hele kommunen."}, CASE_OFFICERS, 303),
    ("consultations.detail", "GET", "/hoeringer/{slug}", None, CASE_OFFICERS, 200),
    ("dashboard.read_new", "GET", "/personale/hoeringer/{consultation_id}/nye", None, CASE_OFFICERS, 303),
    ("consultations.thread", "GET", "/hoeringer/{slug}/traad/{comment}", None, CASE_OFFICERS, 200),
    ("consultations.edit", "GET", "/saksbehandling/hoeringer/{slug}/rediger", None, CASE_OFFICERS, 200),
    ("consultations.edit", "POST", "/saksbehandling/hoeringer/{slug}/rediger", "consultation", CASE_OFFICERS, 303),
    ("consultations.lifecycle", "GET", "/saksbehandling/hoeringer/{slug}/livslop", None, CASE_OFFICERS, 200),
    ("consultations.lifecycle", "POST", "/saksbehandling/hoeringer/{slug}/livslop",
     {"action": "extend", "deadline": "2199-12-31", "reason": "Mer tid"}, CASE_OFFICERS, (303, 422)),
    ("consultations.upload_document", "POST", "/saksbehandling/hoeringer/{slug}/dokumenter", {"title": "x"},
     CASE_OFFICERS, 303),
    ("consultations.document", "GET", "/dokumenter/{document}/utkast.pdf", None, CASE_OFFICERS, 200),
    ("consultations.delete_document", "POST", "/saksbehandling/dokumenter/{document}/slett", {}, CASE_OFFICERS, 303),
    ("notifications.follow", "POST", "/hoeringer/{slug}/folg", {"follow": "1"}, NOBODY, 303),
    ("comments.create", "POST", "/hoeringer/{slug}/kommentarer", {"text": "Et innspill"}, NOBODY, 303),
    ("comments.permalink", "GET", "/kommentarer/{comment}", None, CASE_OFFICERS, 303),
    ("comments.edit", "GET", "/kommentarer/{comment}/rediger", None, NOBODY, 200),
    ("comments.edit", "POST", "/kommentarer/{comment}/rediger", {"text": "kapret"}, NOBODY, 303),
    ("comments.remove", "GET", "/kommentarer/{comment}/fjern", None, NOBODY, 200),
    ("comments.remove", "POST", "/kommentarer/{comment}/fjern", {}, NOBODY, 303),
    ("comments.support", "POST", "/kommentarer/{comment}/stotte", {"supported": "1"}, NOBODY, 303),
    ("moderation.report", "GET", "/kommentarer/{comment}/rapporter", None, NOBODY, 200),
    ("moderation.report", "POST", "/kommentarer/{comment}/rapporter", {"reason": "spam"}, NOBODY, 303),
    ("moderation.comment", "GET", "/moderering/kommentarer/{pending}", None, ADMINS, 200),
    ("moderation.act", "POST", "/moderering/kommentarer/{pending}/handling",
     {"action": "approve", "version": "0"}, ADMINS, 303),
    ("moderation.bulk", "POST", "/moderering/samlet",
     {"action": "approve", "comment": "{pending}", "version-{pending}": "0"}, ADMINS, 303),
    ("summaries.themes", "GET", "/moderering/hoeringer/{slug}/temaer", None, ADMINS, 200),
    ("summaries.themes", "POST", "/moderering/hoeringer/{slug}/temaer", {"name": "Nytt tema"}, ADMINS, 303),
    ("summaries.theme", "GET", "/moderering/temaer/{theme}", None, ADMINS, 200),
    ("summaries.theme_draft", "GET", "/moderering/temaer/{theme}/utkast", None, ADMINS, 200),
    ("summaries.theme_draft", "POST", "/moderering/temaer/{theme}/utkast", {"text": "Utkast", "quotes": ""}, ADMINS,
     303),
    ("summaries.theme", "POST", "/moderering/temaer/{theme}", {"name": "Nytt navn"}, ADMINS, 303),
    ("summaries.delete_theme", "POST", "/moderering/temaer/{theme}/slett", {}, ADMINS, 303),
    ("summaries.merge_themes", "POST", "/moderering/temaer/{theme}/slaa-sammen", {"other": "{other_theme}"},
     ADMINS, 303),
    ("summaries.tag", "POST", "/moderering/temaer/merk", {"theme": "{theme}", "comment": "{comment}", "remove": "0"},
     ADMINS, 303),
    ("summaries.summary", "GET", "/moderering/hoeringer/{slug}/oppsummering", None, ADMINS, 200),
    ("summaries.summary", "POST", "/moderering/hoeringer/{slug}/oppsummering",
     {"overview": "Oppsummert", "overview_quotes": "", "action": "save"}, ADMINS, 303),
    ("summaries.summary_drafts", "POST", "/moderering/hoeringer/{slug}/oppsummering/utkast", {}, ADMINS, 303),
    ("summaries.suggestions", "GET", "/moderering/hoeringer/{slug}/temaforslag", None, ADMINS, 200),
    ("summaries.suggestions", "POST", "/moderering/hoeringer/{slug}/temaforslag",
     {"proposal-1-accept": "1", "proposal-1-name": "Forslag", "proposal-1-tag": "1",
      "proposal-1-comment": "{comment}"}, ADMINS, 303),
    ("summaries.duplicates_page", "GET", "/moderering/hoeringer/{slug}/duplikater", None, ADMINS, 200),
    ("summaries.mark_read", "POST", "/moderering/hoeringer/{slug}/lest-uten-tema",
     {"comment": "{comment}", "unmark": "0"}, ADMINS, 303),
    ("summaries.one_by_one", "GET", "/moderering/hoeringer/{slug}/en-og-en", None, ADMINS, 200),
    ("summaries.one_by_one_action", "POST", "/moderering/hoeringer/{slug}/en-og-en/{comment}",
     {"action": "tag", "theme": "{theme}"}, ADMINS, 303),
    ("summaries.bulk", "POST", "/moderering/hoeringer/{slug}/merk-alle",
     {"filter": "all", "action": "tag", "theme": "{theme}", "confirm": "1"}, ADMINS, 303),
    ("summaries.bulk_search", "POST", "/moderering/sok/merk-alle",
     {"q": "innlegg", "theme": "{theme}", "confirm": "1"}, ADMINS, 303),
    ("summaries.theme_proposals", "GET", "/moderering/hoeringer/{slug}/foreslatte-temaer", None, ADMINS, 200),
    ("summaries.theme_proposals", "POST", "/moderering/hoeringer/{slug}/foreslatte-temaer",
     {"action": "group", "group": "{theme}", "row": "{comment}", "accept": "{comment}"}, ADMINS, 303),
    ("exports.staff_page", "GET", "/saksbehandling/hoeringer/{slug}", None, CASE_OFFICERS, 200),
    ("exports.comments_export", "GET", "/saksbehandling/hoeringer/{slug}/kommentarer.csv", None, CASE_OFFICERS, 200),
    ("exports.comments_export", "GET", "/saksbehandling/hoeringer/{slug}/kommentarer.xlsx", None, CASE_OFFICERS,
     200),
    ("exports.comments_export", "GET", "/saksbehandling/hoeringer/{slug}/kommentarer.json", None, CASE_OFFICERS,
     200),
    ("exports.report_download", "GET", "/saksbehandling/hoeringer/{slug}/rapport.pdf", None, CASE_OFFICERS, 200),
    ("exports.report_download", "GET", "/saksbehandling/hoeringer/{slug}/rapport.docx", None, CASE_OFFICERS, 200),
    ("exports.archive_page", "GET", "/saksbehandling/hoeringer/{slug}/arkivpakke", None, CASE_OFFICERS, 200),
    ("exports.archive_page", "POST", "/saksbehandling/hoeringer/{slug}/arkivpakke", {"case_number": "2026/9"},
     CASE_OFFICERS, 303),
    ("exports.archive_download", "GET", "/saksbehandling/hoeringer/{slug}/arkivpakke.zip", None, CASE_OFFICERS, 303),
    ("exports.report_page", "GET", "/hoeringer/{slug}/rapport", None, CASE_OFFICERS, 200),
    ("exports.chart", "GET", "/hoeringer/{slug}/kommentarer-per-dag.png", None, CASE_OFFICERS, 200),
    ("outreach.consultation_feed", "GET", "/hoeringer/{slug}/feed.atom", None, NOBODY, 200),
    ("api.consultation", "GET", "/api/v1/consultations/{slug}", None, NOBODY, 200),
    ("api.consultation_comments", "GET", "/api/v1/consultations/{slug}/comments", None, NOBODY, 200),
    ("api.thread", "GET", "/api/v1/consultations/{slug}/threads/{comment}", None, NOBODY, 200),
    ("api.consultation_by_id", "GET", "/api/v1/consultations/by-id/{consultation_id}", None, NOBODY, 303),
    ("api.consultation_responses", "GET", "/api/v1/consultations/{slug}/responses", None, NOBODY, 200),
    ("responses.send", "GET", "/hoeringer/{slug}/hoeringssvar/send", None, CASE_OFFICERS, 200),  # a preview
    ("responses.send", "POST", "/hoeringer/{slug}/hoeringssvar/send",
     {"sender_name": "Kari", "sender_email": "kari@example.org", "text": "Svar", "consent": "yes"}, NOBODY, 303),
    ("responses.public_list", "GET", "/hoeringer/{slug}/hoeringssvar", None, CASE_OFFICERS, 200),
    ("responses.staff_list", "GET", "/saksbehandling/hoeringer/{slug}/hoeringssvar", None, CASE_OFFICERS, 200),
    ("responses.register", "GET", "/saksbehandling/hoeringer/{slug}/hoeringssvar/ny", None, CASE_OFFICERS, 200),
    ("responses.register", "POST", "/saksbehandling/hoeringer/{slug}/hoeringssvar/ny",
     {"channel": "letter", "received_on": "2026-01-02", "sender_name": "Per", "text": "Brev", "consent": "no"},
     CASE_OFFICERS, 303),
    ("exports.responses_export", "GET", "/saksbehandling/hoeringer/{slug}/hoeringssvar.csv", None, CASE_OFFICERS,
     200),
    ("exports.responses_export", "GET", "/saksbehandling/hoeringer/{slug}/hoeringssvar.xlsx", None, CASE_OFFICERS,
     200),
]


def draft_form(draft) -> dict:
    """The draft's edit form, still not published."""
    return {"title": draft.title, "summary": draft.summary, "language": "nb", "moderation_mode": "post",
            "opens_at": draft.opens_at.strftime("%Y-%m-%dT%H:%M"), "deadline": str(draft.closes_at.date())}


@pytest.fixture
def draft_scene(app, make_user, make_consultation, make_comment, tmp_path, monkeypatch):
    published = make_consultation(title="Offentlig høring")
    draft = make_consultation(status="draft", title="Hemmelig utkast", accepts_responses=True)
    author = make_user(name="Innbygger i utkastet")
    users = {role: make_user(role=role) for role in ROLES if role != "anonymous"}
    comment = make_comment(draft, author, "Et innlegg i utkastet")
    pending = make_comment(draft, author, "Venter i utkastet", state="pending")
    make_comment(published, author, "Venter i den offentlige", state="pending")
    monkeypatch.setitem(app.config, "DOCUMENT_DIR", str(tmp_path / "documents"))
    with app.app_context():
        document_id = add_document(db.session.get(Consultation, draft.id), None, io.BytesIO(pdf_bytes("utkast")),
                                   "utkast.pdf")[0].id
        themes = [Theme(consultation_id=draft.id, name=name) for name in ("Utkasttema", "Annet utkasttema")]
        section = Section(consultation_id=draft.id, number="§ 1", heading="Formål i utkastet", position=0)
        db.session.add_all([*themes, section])
        db.session.commit()
        theme_ids = [theme.id for theme in themes]
        section_id = section.id
    values = {"slug": draft.slug, "consultation_id": draft.id, "comment": comment.id, "pending": pending.id,
              "document": document_id, "theme": theme_ids[0], "other_theme": theme_ids[1],
              "published_slug": published.slug, "section": section_id}
    return values, users, draft


def test_every_route_that_can_take_a_draft_is_in_the_matrix(app):
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.arguments & DRAFT_ARGUMENTS
              and rule.endpoint not in NOT_CONSULTATION_ROUTES for method in rule.methods - {"HEAD", "OPTIONS"}} \
        | FORM_ROUTES
    covered = {(endpoint, method) for endpoint, method, *_ in DRAFT_MATRIX}
    assert routes - covered == set()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint, method, template, data, allowed, ok_status", DRAFT_MATRIX,
                         ids=[f"{m[0]}-{m[1]}-{i}" for i, m in enumerate(DRAFT_MATRIX)])
def test_draft_route_matrix(app, draft_scene, role, endpoint, method, template, data, allowed, ok_status):
    values, users, draft = draft_scene
    browser = Browser(app.test_client())
    if role != "anonymous":
        browser.login(users[role])
    url = template.format(**values)
    before = None
    if method == "GET":
        response = browser.get(url)
    else:
        token = csrf_token_from(browser.get("/hoeringer/" + values["published_slug"]).get_data(as_text=True))
        payload = draft_form(draft) if data == "consultation" else {
            key.format(**values): value.format(**values) for key, value in (data or {}).items()}
        before = snapshot(app)
        response = browser.client.post(url, data={"csrf_token": token, **payload})
    body = response.get_data()
    if role in allowed:
        expected = ok_status if isinstance(ok_status, tuple) else (ok_status,)
        assert response.status_code in expected, (role, url, body[:500])
    else:
        refused_to_login = response.status_code == 302 and "/logg-inn" in response.headers["Location"]
        if endpoint in REFUSED_PER_ITEM and role == "moderator":
            # A bulk action refuses item by item and goes back to the queue with the reason.
            assert response.status_code == 303
            assert "Kommentaren finnes ikke lenger." in browser.get(response.headers["Location"]).get_data(as_text=True)
        else:
            assert response.status_code in (403, 404) or refused_to_login, (role, url, response.status_code)
        if role == "moderator" and endpoint.split(".")[0] in ("moderation", "summaries", "exports") \
                and endpoint not in REFUSED_PER_ITEM:
            # The moderator's own pages do not reveal that the draft exists.
            assert response.status_code == 404, (url, response.status_code)
        if role not in CASE_OFFICERS:
            assert b"Hemmelig utkast" not in body and b"i utkastet" not in body
        if before is not None:
            assert snapshot(app) == before, (role, url)
    response.close()


@pytest.mark.parametrize("page", ["/moderering", "/moderering/oversikt", "/moderering/logg",
                                  "/sok?q=innlegg", "/moderering?q=venter"])
def test_staff_lists_show_drafts_only_to_those_who_may_see_them(app, search_inline, draft_scene, page):
    values, users, _draft = draft_scene
    moderator = Browser(app.test_client())
    moderator.login(users["moderator"])
    seen = moderator.get(page).get_data(as_text=True)
    assert "Hemmelig utkast" not in seen and "Venter i utkastet" not in seen
    assert "Offentlig høring" in seen
    if page.startswith("/moderering") and "logg" not in page and "oversikt" not in page:
        assert "Venter i den offentlige" in seen
        admin = Browser(app.test_client())
        admin.login(users["admin"])
        assert "Venter i utkastet" in admin.get(page).get_data(as_text=True)


def test_the_staff_page_of_a_published_consultation_links_only_what_the_role_may_open(app, draft_scene):
    """Every link on a moderator's and a case officer's staff page opens (no link to a 403 or 404)."""
    values, users, _draft = draft_scene
    for role in ("moderator", "case_officer"):
        browser = Browser(app.test_client())
        browser.login(users[role])
        page = browser.get(f"/saksbehandling/hoeringer/{values['published_slug']}").get_data(as_text=True)
        for href in set(re.findall(r'href="(/(?:saksbehandling|moderering|hoeringer)/[^"#?]+)"', page)):
            assert browser.get(href).status_code in (200, 303), (role, href)


def test_a_moderator_cannot_act_on_a_draft_comment_through_the_service(app, draft_scene):
    values, users, _draft = draft_scene
    with app.test_request_context():
        with pytest.raises(PermissionDenied):
            moderate(db.session.get(Comment, values["pending"]), db.session.get(User, users["moderator"].id),
                     "approve", None)
        state = db.session.scalar(sa.select(Comment.state).where(Comment.id == values["pending"]))
    assert state == "pending"


def test_the_audit_log_keeps_a_drafts_entries_from_moderators(app, draft_scene):
    values, users, _draft = draft_scene
    admin, moderator = Browser(app.test_client()), Browser(app.test_client())
    admin.login(users["admin"])
    moderator.login(users["moderator"])
    page = admin.get(f"/moderering/kommentarer/{values['pending']}").get_data(as_text=True)
    assert admin.client.post(f"/moderering/kommentarer/{values['pending']}/handling", data={
        "csrf_token": csrf_token_from(page), "action": "approve", "version": "0"}).status_code == 303
    link = f"/moderering/kommentarer/{values['pending']}\""

    assert link in admin.get("/moderering/logg").get_data(as_text=True)
    assert link not in moderator.get("/moderering/logg").get_data(as_text=True)
    assert f",{values['pending']}," not in moderator.get("/moderering/logg.csv").get_data(as_text=True).replace('"', "")
    assert f",{values['pending']}," in admin.get("/moderering/logg.csv").get_data(as_text=True).replace('"', "")
