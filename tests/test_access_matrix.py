"""Role × route matrix: every route of the app, for every kind of visitor.

Allowed requests get their normal answer; refused ones get 403 or a redirect to the login
page, and leave the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from hoering.extensions import db
from hoering.moderation.models import Ban, HouseRule
from hoering.summaries.models import Theme
from tests.conftest import TEST_PASSWORD, Browser, csrf_token_from

ROLES = ("anonymous", "citizen", "banned", "moderator", "case_officer", "admin")
EVERYONE = set(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
PARTICIPANTS = {"citizen", "moderator", "case_officer", "admin"}  # logged in and not banned
MODERATORS = {"moderator", "admin"}
CASE_OFFICERS = {"case_officer", "admin"}
ADMINS = {"admin"}
STAFF = MODERATORS | CASE_OFFICERS


# (endpoint, method, url template, form data, roles allowed, status when allowed)
MATRIX = [
    ("consultations.index", "GET", "/", None, EVERYONE, 200),
    ("consultations.detail", "GET", "/hoeringer/{slug}", None, EVERYONE, 200),
    ("consultations.archive", "GET", "/arkiv", None, EVERYONE, 200),
    ("consultations.thread", "GET", "/hoeringer/{slug}/traad/{other_comment}", None, EVERYONE, 200),
    ("consultations.thread", "GET", "/hoeringer/{slug}/traad/{pending_comment}", None, set(), 200),
    ("consultations.detail", "GET", "/hoeringer/{draft_slug}", None, CASE_OFFICERS, 200),
    ("consultations.create", "GET", "/saksbehandling/hoeringer/ny", None, CASE_OFFICERS, 200),
    ("consultations.create", "POST", "/saksbehandling/hoeringer/ny", "consultation", CASE_OFFICERS, 303),
    ("consultations.edit", "GET", "/saksbehandling/hoeringer/{slug}/rediger", None, CASE_OFFICERS, 200),
    ("consultations.edit", "POST", "/saksbehandling/hoeringer/{slug}/rediger", "consultation", CASE_OFFICERS, 303),
    ("consultations.upload_document", "POST", "/saksbehandling/hoeringer/{slug}/dokumenter", {"title": "x"},
     CASE_OFFICERS, 303),
    ("consultations.delete_document", "POST", "/saksbehandling/dokumenter/{document}/slett", {}, CASE_OFFICERS, 303),
    ("consultations.document", "GET", "/dokumenter/{document}/plan.pdf", None, EVERYONE, 200),
    ("consultations.document", "GET", "/dokumenter/{draft_document}/utkast.pdf", None, CASE_OFFICERS, 200),
    ("notifications.follow", "POST", "/hoeringer/{slug}/folg", {"follow": "1"}, PARTICIPANTS, 303),
    ("notifications.follow", "POST", "/hoeringer/{draft_slug}/folg", {"follow": "1"}, set(), 303),
    ("notifications.unsubscribe_page", "GET", "/avmelding/{unsubscribe_token}", None, EVERYONE, 200),
    ("notifications.unsubscribe_page", "POST", "/avmelding/{unsubscribe_token}", {}, EVERYONE, 200),
    ("consultations.lifecycle", "GET", "/saksbehandling/hoeringer/{slug}/livslop", None, CASE_OFFICERS, 200),
    ("consultations.lifecycle", "POST", "/saksbehandling/hoeringer/{slug}/livslop",
     {"action": "extend", "deadline": "2199-12-31", "reason": "Mer tid"}, CASE_OFFICERS, 303),
    ("comments.create", "POST", "/hoeringer/{slug}/kommentarer", {"text": "Et nytt innspill"}, PARTICIPANTS, 303),
    ("comments.permalink", "GET", "/kommentarer/{other_comment}", None, EVERYONE, 303),
    ("comments.permalink", "GET", "/kommentarer/{pending_comment}", None, MODERATORS, 303),
    ("comments.edit", "GET", "/kommentarer/{own_comment}/rediger", None, PARTICIPANTS, 200),
    ("comments.edit", "POST", "/kommentarer/{other_comment}/rediger", {"text": "kapret"}, set(), 200),
    ("comments.edit", "POST", "/kommentarer/{own_comment}/rediger", {"text": "rettet"}, PARTICIPANTS, 303),
    ("comments.remove", "GET", "/kommentarer/{other_comment}/fjern", None, set(), 200),
    ("comments.remove", "POST", "/kommentarer/{own_comment}/fjern", {}, LOGGED_IN, 303),
    ("comments.support", "POST", "/kommentarer/{other_comment}/stotte", {"supported": "1"}, PARTICIPANTS, 303),
    ("comments.support", "POST", "/kommentarer/{other_comment}/stotte", {"stance": "disagree"}, PARTICIPANTS, 303),
    ("comments.support", "POST", "/kommentarer/{own_comment}/stotte", {"stance": "agree"}, set(), 303),
    ("moderation.report", "GET", "/kommentarer/{other_comment}/rapporter", None, PARTICIPANTS, 200),
    ("moderation.report", "POST", "/kommentarer/{other_comment}/rapporter", {"reason": "spam"}, PARTICIPANTS, 303),
    ("moderation.house_rules", "GET", "/ordensregler", None, EVERYONE, 200),
    ("moderation.queue", "GET", "/moderering", None, MODERATORS, 200),
    ("moderation.overview", "GET", "/moderering/oversikt", None, MODERATORS, 200),
    ("moderation.comment", "GET", "/moderering/kommentarer/{other_comment}", None, MODERATORS, 200),
    ("moderation.act", "POST", "/moderering/kommentarer/{pending_comment}/handling",
     {"action": "approve", "version": "0"}, MODERATORS, 303),
    ("moderation.bulk", "POST", "/moderering/samlet",
     {"action": "approve", "comment": "{pending_comment}", "version-{pending_comment}": "0"}, MODERATORS, 303),
    ("moderation.log", "GET", "/moderering/logg", None, MODERATORS, 200),
    ("moderation.log_csv", "GET", "/moderering/logg.csv", None, MODERATORS, 200),
    ("moderation.ban", "GET", "/moderering/brukere/{target_user}/utesteng", None, MODERATORS, 200),
    ("moderation.ban", "POST", "/moderering/brukere/{target_user}/utesteng",
     {"duration": "7", "reason": "Personangrep"}, MODERATORS, 303),
    ("moderation.lift_ban", "POST", "/moderering/utestengninger/{ban}/opphev", {}, MODERATORS, 303),
    ("moderation.restore_ban_comments", "POST", "/moderering/utestengninger/{ban}/gjenopprett", {}, MODERATORS, 303),
    ("admin.users", "GET", "/admin/brukere", None, ADMINS, 200),
    ("admin.user", "GET", "/admin/brukere/{target_user}", None, ADMINS, 200),
    ("admin.user", "POST", "/admin/brukere/{target_user}", {"role": "moderator"}, ADMINS, 303),
    ("admin.house_rules", "GET", "/admin/ordensregler", None, ADMINS, 200),
    ("admin.new_house_rule", "GET", "/admin/ordensregler/ny", None, ADMINS, 200),
    ("admin.new_house_rule", "POST", "/admin/ordensregler/ny",
     {"code": "ny-regel", "title": "Ny regel", "position": "9", "is_active": "y"}, ADMINS, 303),
    ("admin.edit_house_rule", "GET", "/admin/ordensregler/{rule}", None, ADMINS, 200),
    ("admin.edit_house_rule", "POST", "/admin/ordensregler/{rule}",
     {"title": "Endret", "position": "0", "is_active": "y"}, ADMINS, 303),
    ("accounts.profile", "GET", "/min-side", None, LOGGED_IN, 200),
    ("accounts.profile", "POST", "/min-side", {"display_name": "Nytt navn"}, PARTICIPANTS, 303),
    ("accounts.change_password", "GET", "/min-side/passord", None, LOGGED_IN, 200),
    ("accounts.change_password", "POST", "/min-side/passord",
     {"current_password": TEST_PASSWORD, "new_password": "helt-nytt-passord-1",
      "new_password_again": "helt-nytt-passord-1"}, LOGGED_IN, 303),
    ("accounts.privacy", "GET", "/personvern", None, EVERYONE, 200),
    ("statements.accessibility", "GET", "/tilgjengelighet", None, EVERYONE, 200),
    ("exports.archive_page", "GET", "/saksbehandling/hoeringer/{slug}/arkivpakke", None, CASE_OFFICERS, 200),
    ("exports.archive_page", "POST", "/saksbehandling/hoeringer/{slug}/arkivpakke", {"case_number": "2026/1"},
     CASE_OFFICERS, 303),
    ("exports.archive_download", "GET", "/saksbehandling/hoeringer/{slug}/arkivpakke.zip", None, CASE_OFFICERS, 303),
    ("accounts.my_data", "GET", "/min-side/data.json", None, LOGGED_IN, 200),
    ("accounts.delete_account", "GET", "/min-side/slett", None, LOGGED_IN, 200),
    # The scene's admin is the only one, and the last administrator cannot delete the account.
    ("accounts.delete_account", "POST", "/min-side/slett", {"password": TEST_PASSWORD}, LOGGED_IN - ADMINS, 303),
    ("accounts.verify_email", "GET", "/bekreft-epost/{verify_token}", None, EVERYONE, 200),
    ("accounts.verify_email", "POST", "/bekreft-epost/{verify_token}", {}, EVERYONE, 303),
    ("accounts.resend_verification", "POST", "/min-side/bekreft-epost", {}, LOGGED_IN, 303),
    ("accounts.forgot_password", "GET", "/glemt-passord", None, EVERYONE, 200),
    ("accounts.forgot_password", "POST", "/glemt-passord", {"email": "{other_email}"}, EVERYONE, 200),
    ("accounts.reset_password", "GET", "/nytt-passord/{reset_token}", None, EVERYONE, 200),
    ("accounts.reset_password", "POST", "/nytt-passord/{reset_token}",
     {"new_password": "helt-nytt-passord-2", "new_password_again": "helt-nytt-passord-2"}, EVERYONE, 303),
    ("accounts.two_factor_login", "GET", "/logg-inn/kode", None, EVERYONE, 303),  # nothing waiting: to log in
    ("accounts.two_factor_login", "POST", "/logg-inn/kode", {"code": "123456"}, EVERYONE, 303),
    ("accounts.two_factor", "GET", "/min-side/tofaktor", None, LOGGED_IN, 200),
    ("accounts.two_factor", "POST", "/min-side/tofaktor", {"code": "000000"}, LOGGED_IN, 422),
    ("accounts.two_factor_qr", "GET", "/min-side/tofaktor/qr.svg", None, LOGGED_IN, 200),
    ("accounts.new_recovery_codes", "POST", "/min-side/tofaktor/nye-koder", {"password": TEST_PASSWORD},
     LOGGED_IN, 303),
    ("accounts.disable_two_factor", "POST", "/min-side/tofaktor/slaa-av", {"password": TEST_PASSWORD},
     LOGGED_IN, 303),
    ("admin.security", "GET", "/admin/sikkerhet", None, ADMINS, 200),
    ("admin.security", "POST", "/admin/sikkerhet", {}, ADMINS, 303),
    ("admin.reset_two_factor", "POST", "/admin/brukere/{target_user}/tofaktor", {}, ADMINS, 303),
    ("admin.invitations_page", "GET", "/admin/invitasjoner", None, ADMINS, 200),
    ("admin.invitations_page", "POST", "/admin/invitasjoner", {"email": "kollega@example.org", "role": "moderator"},
     ADMINS, 303),
    ("admin.revoke_invitation", "POST", "/admin/invitasjoner/{invitation}/trekk-tilbake", {}, ADMINS, 303),
    ("accounts.accept_invitation", "GET", "/invitasjon/{invitation_token}", None, EVERYONE, 200),
    ("accounts.accept_invitation", "POST", "/invitasjon/{invitation_token}",
     {"display_name": "Invitert Kollega", "password": "fjord-harbour-lantern-42",
      "password_again": "fjord-harbour-lantern-42"}, EVERYONE, 303),
    ("dashboard.index", "GET", "/personale", None, STAFF, 200),
    ("dashboard.read_new", "GET", "/personale/hoeringer/{consultation_id}/nye", None, STAFF, 303),
    ("accounts.login", "GET", "/logg-inn", None, EVERYONE, 200),
    ("accounts.sign_in_link", "GET", "/logg-inn/lenke/{sign_in_token}", None, EVERYONE, 200),
    ("accounts.sign_in_link", "POST", "/logg-inn/lenke/{sign_in_token}", {}, EVERYONE, 303),
    ("accounts.login", "POST", "/logg-inn", {"email": "{other_email}", "password": TEST_PASSWORD}, EVERYONE, 303),
    ("accounts.register", "GET", "/registrer", None, EVERYONE, (200, 302)),
    ("accounts.register", "POST", "/registrer", {"display_name": "Ny", "email": "ny@example.org",
                                                 "password": "langt-passord-1", "password_again": "langt-passord-1"},
     EVERYONE, (302, 303)),  # logged-in visitors are sent to the front page
    ("accounts.logout", "POST", "/logg-ut", {}, EVERYONE, 303),
    # ID-porten and the staff login, configured at an address where nothing answers (the
    # scene): starting a login says the provider cannot be reached.
    ("accounts.oidc_start", "POST", "/logg-inn/idporten", {}, EVERYONE, 503),
    ("accounts.oidc_link", "POST", "/min-side/koble/idporten", {}, LOGGED_IN, 503),
    ("accounts.oidc_callback", "GET", "/logg-inn/ansatt/tilbake?code=x&state=y", None, EVERYONE, 400),
    ("accounts.oidc_new_account", "GET", "/logg-inn/idporten/ny-konto", None, EVERYONE, 303),  # nothing waiting
    ("accounts.oidc_new_account", "POST", "/logg-inn/idporten/ny-konto", {"display_name": "Ny"}, EVERYONE, 303),
    ("accounts.logged_out", "GET", "/logget-ut", None, EVERYONE, 303),
    ("i18n.set_language", "POST", "/sprak", {"lang": "en"}, EVERYONE, 303),
    ("health.healthz", "GET", "/healthz", None, EVERYONE, 200),
    ("api.consultations", "GET", "/api/v1/consultations", None, EVERYONE, 200),
    ("api.consultation", "GET", "/api/v1/consultations/{slug}", None, EVERYONE, 200),
    ("api.consultation", "GET", "/api/v1/consultations/{draft_slug}", None, set(), 200),
    ("api.consultation_comments", "GET", "/api/v1/consultations/{slug}/comments", None, EVERYONE, 200),
    ("api.consultation_responses", "GET", "/api/v1/consultations/{slug}/responses", None, EVERYONE, 200),
    ("api.consultation_responses", "GET", "/api/v1/consultations/{draft_slug}/responses", None, set(), 200),
    ("api.thread", "GET", "/api/v1/consultations/{slug}/threads/{other_comment}", None, EVERYONE, 200),
    ("api.thread", "GET", "/api/v1/consultations/{draft_slug}/threads/{other_comment}", None, set(), 200),
    ("static", "GET", "/static/css/site.css", None, EVERYONE, 200),
    ("search.search_page", "GET", "/sok?q=innlegg", None, EVERYONE, 200),
    ("api.api_search", "GET", "/api/v1/search?q=innlegg", None, EVERYONE, 200),
    ("api.consultation_by_id", "GET", "/api/v1/consultations/by-id/{consultation_id}", None, EVERYONE, 303),
    ("api.openapi", "GET", "/api/v1/openapi.json", None, EVERYONE, 200),
    ("summaries.themes", "GET", "/moderering/hoeringer/{slug}/temaer", None, MODERATORS, 200),
    ("summaries.themes", "POST", "/moderering/hoeringer/{slug}/temaer", {"name": "Nytt tema"}, MODERATORS, 303),
    ("summaries.theme", "GET", "/moderering/temaer/{theme}", None, MODERATORS, 200),
    ("summaries.theme", "POST", "/moderering/temaer/{theme}", {"name": "Nytt navn"}, MODERATORS, 303),
    ("summaries.delete_theme", "POST", "/moderering/temaer/{theme}/slett", {}, MODERATORS, 303),
    ("summaries.merge_themes", "POST", "/moderering/temaer/{theme}/slaa-sammen", {"other": "{other_theme}"},
     MODERATORS, 303),
    ("summaries.tag", "POST", "/moderering/temaer/merk",
     {"theme": "{theme}", "comment": "{other_comment}", "remove": "0"}, MODERATORS, 303),
    ("summaries.theme_draft", "GET", "/moderering/temaer/{theme}/utkast", None, MODERATORS, 200),
    ("summaries.theme_draft", "POST", "/moderering/temaer/{theme}/utkast", {"text": "Utkast", "quotes": ""},
     MODERATORS, 303),
    ("summaries.summary", "GET", "/moderering/hoeringer/{slug}/oppsummering", None, MODERATORS, 200),
    ("summaries.summary", "POST", "/moderering/hoeringer/{slug}/oppsummering",
     {"overview": "Oppsummert", "overview_quotes": "", "action": "save"}, MODERATORS, 303),
    ("summaries.summary_drafts", "POST", "/moderering/hoeringer/{slug}/oppsummering/utkast", {}, MODERATORS, 303),
    ("summaries.suggestions", "GET", "/moderering/hoeringer/{slug}/temaforslag", None, MODERATORS, 200),
    ("summaries.suggestions", "POST", "/moderering/hoeringer/{slug}/temaforslag",
     {"proposal-1-accept": "1", "proposal-1-name": "Forslag", "proposal-1-tag": "1",
      "proposal-1-comment": "{other_comment}"},
     MODERATORS, 303),
    ("summaries.duplicates_page", "GET", "/moderering/hoeringer/{slug}/duplikater", None, MODERATORS, 200),
    ("summaries.mark_read", "POST", "/moderering/hoeringer/{slug}/lest-uten-tema",
     {"comment": "{other_comment}", "unmark": "0"}, MODERATORS, 303),
    ("summaries.one_by_one", "GET", "/moderering/hoeringer/{slug}/en-og-en", None, MODERATORS, 200),
    ("summaries.one_by_one", "GET", "/moderering/hoeringer/{draft_slug}/en-og-en", None, ADMINS, 200),
    ("summaries.one_by_one_action", "POST", "/moderering/hoeringer/{slug}/en-og-en/{other_comment}",
     {"action": "read"}, MODERATORS, 303),
    ("summaries.one_by_one_action", "POST", "/moderering/hoeringer/{slug}/en-og-en/{other_comment}",
     {"action": "tag", "theme": "{theme}"}, MODERATORS, 303),
    ("summaries.bulk", "POST", "/moderering/hoeringer/{slug}/merk-alle",
     {"filter": "all", "action": "tag", "theme": "{theme}"}, MODERATORS, 200),
    ("summaries.bulk", "POST", "/moderering/hoeringer/{slug}/merk-alle",
     {"filter": "all", "action": "tag", "theme": "{theme}", "confirm": "1"}, MODERATORS, 303),
    ("summaries.bulk", "POST", "/moderering/hoeringer/{slug}/merk-alle", {"action": "read", "confirm": "1"},
     MODERATORS, 303),
    ("summaries.bulk_search", "POST", "/moderering/sok/merk-alle", {"q": "innlegg", "theme": "{theme}"},
     MODERATORS, 200),
    ("summaries.bulk_search", "POST", "/moderering/sok/merk-alle",
     {"q": "innlegg", "theme": "{theme}", "confirm": "1"}, MODERATORS, 303),
    ("summaries.theme_proposals", "GET", "/moderering/hoeringer/{slug}/foreslatte-temaer", None, MODERATORS, 200),
    ("summaries.theme_proposals", "POST", "/moderering/hoeringer/{slug}/foreslatte-temaer",
     {"action": "group", "group": "{theme}", "row": "{other_comment}", "accept": "{other_comment}"}, MODERATORS, 303),
    ("exports.staff_page", "GET", "/saksbehandling/hoeringer/{slug}", None, STAFF, 200),
    ("exports.comments_export", "GET", "/saksbehandling/hoeringer/{slug}/kommentarer.csv", None, STAFF, 200),
    ("exports.comments_export", "GET", "/saksbehandling/hoeringer/{slug}/kommentarer.xlsx", None, STAFF, 200),
    ("exports.report_download", "GET", "/saksbehandling/hoeringer/{slug}/rapport.pdf", None, STAFF, 200),
    ("exports.responses_export", "GET", "/saksbehandling/hoeringer/{slug}/hoeringssvar.csv", None, STAFF, 200),
    ("exports.responses_export", "GET", "/saksbehandling/hoeringer/{slug}/hoeringssvar.xlsx", None, STAFF, 200),
    ("exports.report_download", "GET", "/saksbehandling/hoeringer/{slug}/rapport.pdfa", None, STAFF, 200),
    ("exports.report_download", "GET", "/saksbehandling/hoeringer/{slug}/rapport.docx", None, STAFF, 200),
    ("exports.report_page", "GET", "/hoeringer/{slug}/rapport", None, STAFF, 200),
    ("exports.report_page", "GET", "/hoeringer/{draft_slug}/rapport", None, CASE_OFFICERS, 200),
    ("exports.chart", "GET", "/hoeringer/{slug}/kommentarer-per-dag.png", None, EVERYONE, 200),
    ("alerts.subscribe", "GET", "/varsel", None, EVERYONE, 200),
    ("alerts.subscribe", "POST", "/varsel", {"email": "matrise@example.org", "scope": "all"}, EVERYONE, 200),
    ("alerts.confirm", "GET", "/varsel/bekreft/{alert_confirm_token}", None, EVERYONE, 200),
    ("alerts.confirm", "POST", "/varsel/bekreft/{alert_confirm_token}", {}, EVERYONE, 200),
    ("alerts.change", "GET", "/varsel/endre/{alert_token}", None, EVERYONE, 200),
    ("alerts.change", "POST", "/varsel/endre/{alert_token}", {"scope": "some", "topics": "skole"}, EVERYONE, 200),
    ("alerts.unsubscribe", "GET", "/varsel/avmeld/{alert_token}", None, EVERYONE, 200),
    ("alerts.unsubscribe", "POST", "/varsel/avmeld/{alert_token}", {}, EVERYONE, 200),
    ("consultations.draft_text", "GET", "/hoeringer/{slug}/utkast", None, EVERYONE, 200),
    ("consultations.draft_text", "GET", "/hoeringer/{draft_slug}/utkast", None, CASE_OFFICERS, 200),
    ("consultations.draft_section", "GET", "/hoeringer/{slug}/utkast/{section}", None, EVERYONE, 200),
    ("consultations.draft_section", "GET", "/hoeringer/{draft_slug}/utkast/{draft_section}", None, CASE_OFFICERS, 200),
    ("consultations.edit_sections", "GET", "/saksbehandling/hoeringer/{slug}/utkast", None, CASE_OFFICERS, 200),
    ("consultations.edit_sections", "POST", "/saksbehandling/hoeringer/{slug}/utkast",
     {"number": "§ 9", "heading": "Ny"}, CASE_OFFICERS, 303),
    ("consultations.edit_section", "GET", "/saksbehandling/seksjoner/{section}", None, CASE_OFFICERS, 200),
    ("consultations.edit_section", "POST", "/saksbehandling/seksjoner/{section}",
     {"number": "§ 1", "heading": "Endret"}, CASE_OFFICERS, 303),
    ("consultations.delete_section", "POST", "/saksbehandling/seksjoner/{section}/slett", {}, CASE_OFFICERS, 303),
    ("notices.notices", "GET", "/saksbehandling/viktige-meldinger", None, CASE_OFFICERS, 200),
    ("notices.new_notice", "GET", "/saksbehandling/viktige-meldinger/ny", None, CASE_OFFICERS, 200),
    ("notices.new_notice", "POST", "/saksbehandling/viktige-meldinger/ny",
     {"title": "Stengt vei", "severity": "warning", "starts_at": "{notice_start}", "ends_at": "{notice_end}"},
     CASE_OFFICERS, 303),
    ("notices.edit_notice", "GET", "/saksbehandling/viktige-meldinger/{notice}", None, CASE_OFFICERS, 200),
    ("notices.edit_notice", "POST", "/saksbehandling/viktige-meldinger/{notice}",
     {"title": "Endret", "severity": "info", "starts_at": "{notice_start}", "ends_at": "{notice_end}"},
     CASE_OFFICERS, 303),
    ("notices.end_notice", "POST", "/saksbehandling/viktige-meldinger/{notice}/avslutt", {}, CASE_OFFICERS, 303),
    ("outreach.site_feed", "GET", "/feed.atom", None, EVERYONE, 200),
    ("outreach.consultation_feed", "GET", "/hoeringer/{slug}/feed.atom", None, EVERYONE, 200),
    ("outreach.consultation_feed", "GET", "/hoeringer/{draft_slug}/feed.atom", None, set(), 200),
    ("outreach.calendar", "GET", "/kalender.ics", None, EVERYONE, 200),
    ("outreach.year_plan", "GET", "/arshjul", None, EVERYONE, 200),
    ("exports.chart", "GET", "/hoeringer/{draft_slug}/kommentarer-per-dag.png", None, CASE_OFFICERS, 200),
    ("meetings.bodies", "GET", "/politikk", None, EVERYONE, 200),
    ("meetings.body", "GET", "/politikk/{body_slug}", None, EVERYONE, 200),
    ("meetings.meeting", "GET", "/moter/{meeting}", None, EVERYONE, 200),
    ("meetings.meeting", "GET", "/moter/{draft_meeting}", None, CASE_OFFICERS, 200),
    ("meetings.document", "GET", "/moter/dokumenter/{meeting_document}/sakliste.pdf", None, EVERYONE, 200),
    ("meetings.document", "GET", "/moter/dokumenter/{draft_meeting_document}/utkast.pdf", None, CASE_OFFICERS, 200),
    ("meetings.confirm_follow", "GET", "/politikk/{body_slug}/folg", None, PARTICIPANTS, 200),
    ("meetings.follow", "POST", "/politikk/{body_slug}/folg", {"follow": "1"}, PARTICIPANTS, 303),
    ("meetings.unsubscribe", "GET", "/politikk/avmelding/{body_unsubscribe_token}", None, EVERYONE, 200),
    ("meetings.unsubscribe", "POST", "/politikk/avmelding/{body_unsubscribe_token}", {}, EVERYONE, 200),
    ("meetings.manage_bodies", "GET", "/saksbehandling/politikk", None, CASE_OFFICERS, 200),
    ("meetings.new_body", "GET", "/saksbehandling/politikk/ny", None, CASE_OFFICERS, 200),
    ("meetings.new_body", "POST", "/saksbehandling/politikk/ny", {"name": "Nytt utvalg", "kind": "utvalg"},
     CASE_OFFICERS, 303),
    ("meetings.edit_body", "GET", "/saksbehandling/politikk/{body_slug}", None, CASE_OFFICERS, 200),
    ("meetings.edit_body", "POST", "/saksbehandling/politikk/{body_slug}", {"name": "Endret", "kind": "formannskap"},
     CASE_OFFICERS, 303),
    ("meetings.add_member", "POST", "/saksbehandling/politikk/{body_slug}/medlemmer", {"name": "Ny", "role": "medlem"},
     CASE_OFFICERS, 303),
    ("meetings.edit_member", "GET", "/saksbehandling/medlemmer/{member}", None, CASE_OFFICERS, 200),
    ("meetings.edit_member", "POST", "/saksbehandling/medlemmer/{member}", {"name": "Ola Leder", "role": "nestleder"},
     CASE_OFFICERS, 303),
    ("meetings.remove_member", "POST", "/saksbehandling/medlemmer/{member}/slett", {}, CASE_OFFICERS, 303),
    ("meetings.new_meeting", "GET", "/saksbehandling/politikk/{body_slug}/moter/ny", None, CASE_OFFICERS, 200),
    ("meetings.new_meeting", "POST", "/saksbehandling/politikk/{body_slug}/moter/ny",
     {"starts_at": "2199-01-01T18:00", "place": "Rådhuset", "status": "planned"}, CASE_OFFICERS, 303),
    ("meetings.edit_meeting", "GET", "/saksbehandling/moter/{meeting}", None, CASE_OFFICERS, 200),
    ("meetings.edit_meeting", "POST", "/saksbehandling/moter/{meeting}",
     {"starts_at": "2199-01-01T18:00", "place": "Rådhuset", "status": "planned"}, CASE_OFFICERS, 303),
    ("meetings.publish_agenda", "POST", "/saksbehandling/moter/{draft_meeting}/publiser", {}, CASE_OFFICERS, 303),
    ("meetings.new_item", "GET", "/saksbehandling/moter/{meeting}/saker/ny", None, CASE_OFFICERS, 200),
    ("meetings.new_item", "POST", "/saksbehandling/moter/{meeting}/saker/ny", {"title": "Ny sak", "consultation": ""},
     CASE_OFFICERS, 303),
    ("meetings.edit_item", "GET", "/saksbehandling/saker/{agenda_item}", None, CASE_OFFICERS, 200),
    ("meetings.edit_item", "POST", "/saksbehandling/saker/{agenda_item}", {"title": "Endret", "consultation": ""},
     CASE_OFFICERS, 303),
    ("meetings.remove_item", "POST", "/saksbehandling/saker/{agenda_item}/slett", {}, CASE_OFFICERS, 303),
    ("meetings.minutes", "GET", "/saksbehandling/moter/{meeting}/protokoll", None, CASE_OFFICERS, 200),
    ("meetings.minutes", "POST", "/saksbehandling/moter/{meeting}/protokoll", {"minutes": "Protokoll", "approved_on": ""},
     CASE_OFFICERS, 303),
    ("meetings.upload_document", "POST", "/saksbehandling/moter/{meeting}/dokumenter", {"title": "x"},
     CASE_OFFICERS, 303),
    ("meetings.delete_document", "POST", "/saksbehandling/motedokumenter/{meeting_document}/slett", {},
     CASE_OFFICERS, 303),
    ("outreach.meetings_feed", "GET", "/moter.atom", None, EVERYONE, 200),
    ("outreach.body_feed", "GET", "/politikk/{body_slug}/feed.atom", None, EVERYONE, 200),
    ("api.bodies", "GET", "/api/v1/bodies", None, EVERYONE, 200),
    ("api.body_meetings", "GET", "/api/v1/bodies/{body_slug}/meetings", None, EVERYONE, 200),
    ("api.meeting", "GET", "/api/v1/meetings/{meeting}", None, EVERYONE, 200),
    ("api.meeting", "GET", "/api/v1/meetings/{draft_meeting}", None, set(), 200),
    ("responses.send", "GET", "/hoeringer/{slug}/hoeringssvar/send", None, EVERYONE, 200),
    ("responses.send", "POST", "/hoeringer/{slug}/hoeringssvar/send",
     {"sender_name": "Kari", "sender_email": "kari@example.org", "text": "Svar", "consent": "yes"}, EVERYONE, 303),
    ("responses.send", "GET", "/hoeringer/{draft_slug}/hoeringssvar/send", None, CASE_OFFICERS, 200),  # a preview
    ("responses.receipt", "GET", "/hoeringssvar/kvittering/{response_token}", None, EVERYONE, 200),
    ("responses.permalink", "GET", "/hoeringssvar/{response}", None, CASE_OFFICERS, 303),
    ("responses.permalink", "GET", "/hoeringssvar/{published_response}", None, EVERYONE, 303),
    ("responses.public_list", "GET", "/hoeringer/{slug}/hoeringssvar", None, EVERYONE, 200),
    ("responses.attachment", "GET", "/hoeringssvar/vedlegg/{published_attachment}/svar.pdf", None, EVERYONE, 200),
    ("responses.attachment", "GET", "/hoeringssvar/vedlegg/{response_attachment}/svar.pdf", None, CASE_OFFICERS, 200),
    ("responses.staff_list", "GET", "/saksbehandling/hoeringer/{slug}/hoeringssvar", None, CASE_OFFICERS, 200),
    ("responses.register", "GET", "/saksbehandling/hoeringer/{slug}/hoeringssvar/ny", None, CASE_OFFICERS, 200),
    ("responses.register", "POST", "/saksbehandling/hoeringer/{slug}/hoeringssvar/ny",
     {"channel": "letter", "received_on": "2026-01-02", "sender_name": "Per", "text": "Brev", "consent": "no"},
     CASE_OFFICERS, 303),
    ("responses.tag_themes", "POST", "/saksbehandling/hoeringssvar/{response}/temaer", {"theme": "{theme}"},
     CASE_OFFICERS, 303),
    ("responses.screen", "GET", "/saksbehandling/hoeringssvar/{response}", None, CASE_OFFICERS, 200),
    ("responses.screen", "POST", "/saksbehandling/hoeringssvar/{response}", {"decision": "published"},
     CASE_OFFICERS, 303),
]


def consultation_form() -> dict:
    """A valid consultation; its deadline is the scene consultation's (a published
    consultation's deadline moves only through the lifecycle page)."""
    from hoering.timeutil import oslo_today

    today = oslo_today()
    return {"title": "Matrise", "summary": "Sammendrag", "language": "nb", "moderation_mode": "post",
            "opens_at": f"{today}T08:00", "deadline": str(today + dt.timedelta(days=10)), "publish": "y", "short_period_reason": "Saken må avgjøres før budsjettet."}


@pytest.fixture
def scene(app, make_user, make_consultation, make_comment, tmp_path, monkeypatch):
    for provider in ("IDPORTEN", "STAFF_OIDC"):
        monkeypatch.setitem(app.config, f"{provider}_ISSUER", "http://localhost:9")  # nothing listens there
        monkeypatch.setitem(app.config, f"{provider}_CLIENT_ID", "matrix")
    consultation = make_consultation(accepts_responses=True)
    draft = make_consultation(status="draft", accepts_responses=True)
    other_author = make_user(name="Annen innbygger")
    users = {role: make_user(role="citizen" if role == "banned" else role) for role in ROLES if role != "anonymous"}
    moderator = users["moderator"]
    target = make_user(name="Mål for utestengning")
    with app.app_context():
        db.session.add(Ban(user_id=users["banned"].id, moderator_id=moderator.id, reason="Tidligere brudd"))
        ban = Ban(user_id=target.id, moderator_id=moderator.id, reason="For å kunne oppheves")
        db.session.add(ban)
        db.session.commit()
        ban_id = ban.id
        rule_id = db.session.scalar(sa.select(HouseRule.id).limit(1))
        monkeypatch.setitem(app.config, "DOCUMENT_DIR", str(tmp_path / "documents"))
        from hoering.consultations.documents import add_document
        from hoering.consultations.models import Consultation
        from tests.consultations.test_documents import pdf_bytes

        document_id = add_document(db.session.get(Consultation, consultation.id), None, io.BytesIO(pdf_bytes()),
                                   "plan.pdf")[0].id
        draft_document_id = add_document(db.session.get(Consultation, draft.id), None,
                                         io.BytesIO(pdf_bytes("utkast")), "utkast.pdf")[0].id
        from hoering.notifications.services import unsubscribe_token as make_token

        unsubscribe_token = make_token(other_author.id, consultation.id)
        from hoering.accounts.models import User
        from hoering.accounts.verification import email_verification_token, password_reset_token, sign_in_token

        author_row = db.session.get(User, other_author.id)
        verify_token, reset_token = email_verification_token(author_row), password_reset_token(author_row)
        sign_in = sign_in_token(author_row, "matrix")
        from hoering.alerts.models import AlertSubscription
        from hoering.alerts.services import confirm_token, link_token
        from hoering.timeutil import utcnow

        waiting = AlertSubscription(email="venter@example.org", key="w" * 32)
        subscriber = AlertSubscription(email="abonnent@example.org", key="a" * 32, confirmed_at=utcnow())
        db.session.add_all([waiting, subscriber])
        db.session.flush()
        alert_tokens = {"alert_confirm_token": confirm_token(waiting), "alert_token": link_token(subscriber)}
        from hoering.consultations.models import Section

        section = Section(consultation_id=consultation.id, number="§ 1", heading="Formål", position=0)
        draft_section = Section(consultation_id=draft.id, number="§ 1", heading="Formål", position=0)
        db.session.add_all([section, draft_section])
        db.session.flush()
        alert_tokens |= {"section": section.id, "draft_section": draft_section.id}
        from hoering.notices.models import UrgentNotice
        from hoering.timeutil import to_oslo

        notice = UrgentNotice(title="Kok vannet", starts_at=utcnow(), ends_at=utcnow() + dt.timedelta(days=1))
        db.session.add(notice)
        db.session.flush()
        alert_tokens |= {"notice": notice.id,
                         "notice_start": to_oslo(utcnow()).strftime("%Y-%m-%dT%H:%M"),
                         "notice_end": to_oslo(utcnow() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}
        from hoering.accounts.invitations import token_hash
        from hoering.accounts.models import Invitation

        invitation = Invitation(email="invitert@example.org", role="moderator", token_hash=token_hash("matrix-invite"),
                                invited_by_id=users["admin"].id, expires_at=utcnow() + dt.timedelta(days=7))
        db.session.add(invitation)
        db.session.flush()
        alert_tokens |= {"invitation": invitation.id, "invitation_token": "matrix-invite"}
        themes = [Theme(consultation_id=consultation.id, name=name) for name in ("Trafikk", "Skole")]
        db.session.add_all(themes)
        db.session.commit()
        theme_ids = [theme.id for theme in themes]
        meeting_values = _meeting_scene(users["admin"].id, io.BytesIO(pdf_bytes("sakliste")),
                                        io.BytesIO(pdf_bytes("utkast til sakliste")))
        responses = _responses(consultation.id)
    values = {
        "slug": consultation.slug, "draft_slug": draft.slug, "consultation_id": consultation.id,
        "other_comment": make_comment(consultation, other_author, "Et innlegg").id,
        "pending_comment": make_comment(consultation, other_author, "Venter", state="pending").id,
        "target_user": target.id, "ban": ban_id, "rule": rule_id, "other_email": other_author.email,
        "theme": theme_ids[0], "other_theme": theme_ids[1], "document": document_id,
        "unsubscribe_token": unsubscribe_token, "verify_token": verify_token, "reset_token": reset_token,
        "sign_in_token": sign_in,
        "draft_document": draft_document_id, **alert_tokens,
        **meeting_values, **responses,
    }
    own = {role: make_comment(consultation, user, f"Mitt innlegg som {role}").id for role, user in users.items()}
    return values, users, own


def _meeting_scene(admin_id: int, document: io.BytesIO, draft_document: io.BytesIO) -> dict:
    """A body with a member, a meeting with a published agenda and one without, each with
    an agenda item and a document (inside the app context)."""
    from hoering.accounts.models import User
    from hoering.meetings import agenda, following, services
    from hoering.timeutil import utcnow

    admin = db.session.get(User, admin_id)
    body = services.save_body(admin, None, name="Formannskapet", kind="formannskap")
    member = services.add_member(admin, body, name="Ola Leder", role="leder")
    ids = {}
    for key, published, upload in (("meeting", True, document), ("draft_meeting", False, draft_document)):
        meeting = services.save_meeting(admin, body, None, starts_at=utcnow() + dt.timedelta(days=3), place="Rådhuset",
                                        status="planned")
        item = agenda.save_item(admin, meeting, None, number="PS 1/26", title="Budsjett")
        name = "sakliste.pdf" if published else "utkast.pdf"
        ids[key], ids[f"{key}_document"] = meeting.id, agenda.add_document(admin, meeting, None, upload, name).id
        ids[f"{key}_item"] = item.id
        if published:
            services.publish_agenda(admin, services.get_meeting(meeting.id))
    return {"body_slug": body.slug, "member": member.id, "meeting": ids["meeting"],
            "draft_meeting": ids["draft_meeting"], "meeting_document": ids["meeting_document"],
            "draft_meeting_document": ids["draft_meeting_document"], "agenda_item": ids["meeting_item"],
            "body_unsubscribe_token": following.unsubscribe_token(admin_id, body.id)}


def _responses(consultation_id: int) -> dict:
    """A response not yet screened with an attachment, and a published one with one."""
    from hoering.consultations.documents import keep_staged, stage_checked
    from hoering.responses.models import FormalResponse, ResponseAttachment
    from tests.consultations.test_documents import pdf_bytes

    made = {}
    for number, state in ((1, "received"), (2, "published")):
        staged = stage_checked(io.BytesIO(pdf_bytes(f"svar {number}")), 10**6, {"application/pdf": "pdf"}, "")
        keep_staged(staged)
        response = FormalResponse(
            consultation_id=consultation_id, year=2026, number=number, reference=f"HS-2026-{number:04d}",
            token=f"matrix-token-{number}-abcdefghijklmnopqrstuvwxyz", sender_name="Kari", text="Svar",
            state=state, public_text="Svar" if state == "published" else "")
        response.attachments.append(ResponseAttachment(filename="svar.pdf", content_hash=staged.content_hash,
                                                       size=staged.size, mime="application/pdf"))
        db.session.add(response)
        db.session.commit()
        made[state] = (response.id, response.attachments[0].id, response.token)
    return {"response": made["received"][0], "response_attachment": made["received"][1],
            "response_token": made["received"][2], "published_attachment": made["published"][1],
            "published_response": made["published"][0]}


def snapshot(app) -> dict:
    with app.app_context():
        return {
            table.name: sorted(map(repr, db.session.execute(table.select()).all()))
            for table in db.metadata.sorted_tables
        }


def test_every_route_is_in_the_matrix(app):
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(endpoint, method) for endpoint, method, *_ in MATRIX}
    assert routes - covered == set()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint, method, template, data, allowed, ok_status", MATRIX,
                         ids=[f"{m[0]}-{m[1]}-{i}" for i, m in enumerate(MATRIX)])
def test_role_route_matrix(app, scene, role, endpoint, method, template, data, allowed, ok_status):
    values, users, own = scene
    values = {**values, "own_comment": own.get(role, values["other_comment"])}
    browser = Browser(app.test_client())
    if role != "anonymous":
        browser.login(users[role])
    url = template.format(**values)
    if method == "GET":
        before = None
        response = browser.get(url)
    else:
        token = csrf_token_from(browser.get("/hoeringer/" + values["slug"]).get_data(as_text=True))
        payload = consultation_form() if data == "consultation" else {
            key.format(**values): value.format(**values) for key, value in (data or {}).items()}
        before = snapshot(app)
        response = browser.client.post(url, data={"csrf_token": token, **payload})

    if role in allowed:
        expected = ok_status if isinstance(ok_status, tuple) else (ok_status,)
        assert response.status_code in expected, (role, url, response.get_data(as_text=True)[:500])
    else:
        refused_to_login = response.status_code == 302 and "/logg-inn" in response.headers["Location"]
        assert response.status_code in (403, 404) or refused_to_login, (role, url, response.status_code)
        if before is not None:
            assert snapshot(app) == before, (role, url)
    response.close()
