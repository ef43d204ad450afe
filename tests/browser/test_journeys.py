"""Staff journeys in a real browser, through the pages as people use them (links, buttons
and forms; the database is only used to create the accounts and the consultation to start
from): a moderator working the queue, and a case officer taking a consultation from a new
draft to an exported report. Every page on the way is checked for dialogs, the trap and
the DOM check, and the site speaks Norwegian (bokmål), its default."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import pytest

from tests.browser.conftest import assert_clean, visit

HARASSMENT = "Trakassering og personangrep"  # a default house rule (migrations)


def follow(page, action) -> None:
    """Do ``action`` (a click), wait for the page it leads to, and check that page."""
    with page.expect_navigation():
        action()
    assert_clean(page)


def main_text(page) -> str:
    return page.inner_text("main")


def flashes(page) -> list[str]:
    return page.locator(".messages .message, .comment-confirmation").all_inner_texts()


def post_comment(page, slug: str, text: str) -> None:
    visit(page, f"/hoeringer/{slug}")
    page.get_by_label("Din kommentar").fill(text)
    follow(page, lambda: page.get_by_role("button", name="Send kommentar").click())


@pytest.mark.browser
def test_moderator_approves_rejects_hides_and_finds_it_in_the_log(open_page, make_user, make_consultation):
    consultation = make_consultation(title="Ny barnehage på Nordbyen", moderation_mode="pre")
    slug = consultation.slug
    kari = make_user(name="Kari Innbygger")
    ola = make_user(name="Ola Nabo")
    mona = make_user(role="moderator", name="Mona Moderator")
    good, bad = "Barnehagen trengs, og tomta er god.", "Naboen min er en idiot som ikke skjønner noe."

    # Under pre-moderation Kari's comments wait: she sees them, the public does not.
    kari_page = open_page(kari)
    for text in (good, bad):
        post_comment(kari_page, slug, text)
        assert "Takk! Kommentaren din publiseres når en moderator har godkjent den." in flashes(kari_page)
        assert text in main_text(kari_page)
    public = open_page()
    visit(public, f"/hoeringer/{slug}")
    assert good not in main_text(public) and bad not in main_text(public)

    # The moderator logs in and opens the queue from the menu.
    mod = open_page(mona)
    follow(mod, lambda: mod.get_by_role("navigation", name="Meny for ansatte").get_by_role("link", name="Moderering").click())
    assert mod.url.endswith("/moderering")
    assert mod.get_by_role("heading", level=1).inner_text().startswith("Modereringskø")
    good_item = mod.locator("li.queue-item", has_text=good)
    bad_item = mod.locator("li.queue-item", has_text=bad)
    assert good_item.count() == 1 and bad_item.count() == 1
    assert "Kari Innbygger" in good_item.inner_text() and "Venter på godkjenning" in good_item.inner_text()

    # Approve one from the queue.
    follow(mod, lambda: good_item.get_by_role("button", name=re.compile("^Godkjenn")).click())
    assert "/moderering" in mod.url and "1 kommentar er behandlet." in flashes(mod)
    assert mod.locator("li.queue-item", has_text=good).count() == 0

    # Reject the other on its own page, citing a house rule.
    follow(mod, lambda: bad_item.get_by_role("link", name=re.compile("^Åpne")).click())
    assert re.search(r"/moderering/kommentarer/\d+$", mod.url)
    reject = mod.locator("form.action-form", has=mod.locator("input[name=action][value=reject]"))
    reject.get_by_label("Ordensregel").select_option(label=HARASSMENT)
    reject.get_by_label("Notat til loggen (valgfritt)").fill("Personangrep på en nabo")
    follow(mod, lambda: reject.get_by_role("button", name="Avvis").click())
    assert "Utført: Avvist." in flashes(mod)

    # The public sees the approved comment only; Kari sees why the other was rejected.
    visit(public, f"/hoeringer/{slug}")
    assert good in main_text(public) and bad not in main_text(public)
    visit(kari_page, "/min-side")
    rejected = kari_page.locator("ol.my-comments li", has_text=bad).inner_text()
    assert "Avvist" in rejected and f"Begrunnelse: {HARASSMENT}" in rejected

    # Ola answers Kari (the answer waits too) and reports her comment.
    ola_page = open_page(ola)
    visit(ola_page, f"/hoeringer/{slug}")
    kari_comment = ola_page.locator("article.comment", has_text=good)
    kari_comment.locator("details.reply summary").click()
    kari_comment.locator("details.reply textarea").fill("Enig, men tenk på trafikken.")
    follow(ola_page, lambda: kari_comment.get_by_role("button", name="Send svar").click())
    assert "Takk! Kommentaren din publiseres når en moderator har godkjent den." in flashes(ola_page)
    kari_comment = ola_page.locator("article.comment", has_text=good)
    follow(ola_page, lambda: kari_comment.get_by_role("link", name=re.compile("^Rapporter")).click())
    assert ola_page.url.endswith("/rapporter") and good in main_text(ola_page)
    ola_page.get_by_label("Krenkende eller hatefullt").check()
    ola_page.get_by_label("Forklaring (valgfritt)").fill("Hun kaller folk ting")
    follow(ola_page, lambda: ola_page.get_by_role("button", name="Send rapport").click())
    assert "Takk. Moderatorene ser på kommentaren." in flashes(ola_page)

    # The report, with its reason and text, and the answer are in the queue.
    follow(mod, lambda: mod.get_by_role("link", name="Modereringskø").click())
    # (Ola's answer shows Kari's comment as its context, so the items are told apart by author.)
    reported = mod.locator("li.queue-item", has=mod.get_by_label("Velg kommentaren fra Kari Innbygger"))
    assert "Krenkende eller hatefullt: «Hun kaller folk ting»" in reported.inner_text()
    answer = mod.locator("li.queue-item", has=mod.get_by_label("Velg kommentaren fra Ola Nabo"))
    assert "Enig, men tenk på trafikken." in answer.inner_text() and "Venter på godkjenning" in answer.inner_text()

    # Approve the answer with the bulk form, then hide Kari's comment citing a rule.
    mod.get_by_label("Velg kommentaren fra Ola Nabo").check()
    mod.get_by_label("Handling").select_option(label="Godkjenn")
    follow(mod, lambda: mod.get_by_role("button", name="Utfør på valgte").click())
    assert "1 kommentar er behandlet." in flashes(mod)
    follow(mod, lambda: reported.get_by_role("link", name=re.compile("^Åpne")).click())
    hide = mod.locator("form.action-form", has=mod.locator("input[name=action][value=hide]"))
    hide.get_by_label("Ordensregel").select_option(label=HARASSMENT)
    follow(mod, lambda: hide.get_by_role("button", name="Skjul").click())
    assert "Utført: Skjult." in flashes(mod)

    # The thread keeps the answer under a placeholder that names the rule.
    visit(public, f"/hoeringer/{slug}")
    text = main_text(public)
    assert f"Skjult av moderator: {HARASSMENT}" in text and "Enig, men tenk på trafikken." in text
    assert good not in text and bad not in text
    visit(mod, "/moderering")
    assert "Ingenting venter. Godt jobbet!" in main_text(mod)

    # The audit log lists every action, with the moderator, the rule and the note.
    follow(mod, lambda: mod.get_by_role("link", name="Modereringslogg").click())
    assert mod.url.endswith("/moderering/logg")
    rows = mod.locator("table.log tbody tr").all_inner_texts()
    assert len(rows) == 4, rows
    for action in ("Godkjent", "Avvist", "Skjult"):
        assert any(row.startswith(action) or f"\t{action}" in row for row in rows), (action, rows)
    assert all("Mona Moderator" in row for row in rows)
    assert sum(HARASSMENT in row for row in rows) == 2 and any("Personangrep på en nabo" in row for row in rows)
    mod.get_by_label("Hva").select_option(label="Skjult")
    follow(mod, lambda: mod.get_by_role("button", name="Filtrer").click())
    assert "action=hide" in mod.url and len(mod.locator("table.log tbody tr").all()) == 1


@pytest.mark.browser
def test_case_officer_creates_publishes_and_exports_a_consultation(open_page, make_user):
    officer = make_user(role="case_officer", name="Siri Saksbehandler")
    kari = make_user(name="Kari Innbygger")
    title = "Ny gang- og sykkelvei langs Fjordveien"
    today = dt.date.today()
    page = open_page(officer)

    # A new consultation, saved as a draft.
    follow(page, lambda: page.get_by_role("navigation", name="Meny for ansatte").get_by_role("link", name="Ny høring").click())
    assert page.url.endswith("/saksbehandling/hoeringer/ny")
    page.fill("#title", title)
    page.fill("#summary", "Kommunen vil bygge en trygg vei for gående og syklende. Hva mener du om traseen?")
    page.fill("#body_markdown", "## Bakgrunn\n\nVeien skal gå **langs sjøen** fra sentrum til skolen.")
    page.fill("#questions", "Hvor bør traseen gå?\nHva er viktigst for deg?")
    page.fill("#responsible_unit", "Plan og bygg")
    page.select_option("#moderation_mode", "post")
    page.fill("#opens_at", f"{today - dt.timedelta(days=1):%Y-%m-%d}T09:00")
    page.fill("#deadline", f"{today + dt.timedelta(days=14):%Y-%m-%d}")
    assert not page.is_checked("#publish")
    follow(page, lambda: page.get_by_role("button", name="Lagre").click())
    assert "Høringen er lagret." in flashes(page)
    slug = page.url.rsplit("/", 1)[-1]
    assert page.url.endswith(f"/hoeringer/{slug}") and slug.startswith("ny-gang-og-sykkelvei")
    text = main_text(page)
    assert title in text and "Forhåndsvisning: dette utkastet er ikke publisert." in text
    assert "Hvor bør traseen gå?" in text and "langs sjøen" in text
    public = open_page()
    visit(public, f"/hoeringer/{slug}", status=404)

    # The lifecycle page shows the draft; the edit form publishes it.
    follow(page, lambda: page.get_by_role("link", name="Frist, vedtak og arkiv").click())
    assert page.url.endswith(f"/saksbehandling/hoeringer/{slug}/livslop")
    assert f"Frist, vedtak og arkiv: {title}" in main_text(page) and "Utkast" in main_text(page)
    follow(page, lambda: page.get_by_role("link", name="Rediger høringen").click())
    assert page.url.endswith(f"/saksbehandling/hoeringer/{slug}/rediger")
    assert page.input_value("#title") == title
    page.check("#publish")
    follow(page, lambda: page.get_by_role("button", name="Lagre").click())
    # Fifteen days is under the six weeks of utredningsinstruksen § 3-3: a public reason first.
    assert "Høringsperioden er 15 dager, kortere enn 6 uker." in main_text(page)
    page.fill("#short_period_reason", "Kommunestyret behandler saken før jul.")
    page.check("#publish")
    follow(page, lambda: page.get_by_role("button", name="Lagre").click())
    assert "Høringen er lagret." in flashes(page)
    assert "Kommunestyret behandler saken før jul." in main_text(page)
    assert "Forhåndsvisning" not in main_text(page) and "Åpen for innspill" in main_text(page)

    # Extend the deadline, with a reason the public sees.
    follow(page, lambda: page.get_by_role("link", name="Frist, vedtak og arkiv").click())
    page.fill("#extend-deadline", f"{today + dt.timedelta(days=21):%Y-%m-%d}")
    page.fill("#extend-reason", "Flere har bedt om mer tid.")
    follow(page, lambda: page.get_by_role("button", name="Forleng fristen").click())
    assert "Fristen er flyttet; siden forteller hvorfor." in flashes(page)

    # The public finds it on the front page and reads it.
    visit(public, "/")
    follow(public, lambda: public.get_by_role("link", name=title).first.click())
    assert public.url.endswith(f"/hoeringer/{slug}")
    text = main_text(public)
    assert title in text and "Fristen ble forlenget fra" in text and "Flere har bedt om mer tid." in text
    post_comment(open_page(kari), slug, "Traseen bør gå nærmest mulig sjøen.")

    # Statistics and exports: CSV, XLSX and the Word report are downloaded.
    visit(page, f"/hoeringer/{slug}")
    follow(page, lambda: page.get_by_role("link", name="Statistikk og eksport").click())
    assert page.url.endswith(f"/saksbehandling/hoeringer/{slug}")
    assert f"Statistikk og eksport: {title}" in main_text(page)

    def download(link: str):
        with page.expect_download() as info:
            page.get_by_role("link", name=link).click()
        download = info.value
        assert download.failure() is None
        with open(download.path(), "rb") as handle:
            return download.suggested_filename, handle.read()

    name, body = download("Kommentarene som CSV")
    assert name == f"{slug}-kommentarer.csv" and body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Nummer", "Tråd", "Svar på"] and len(rows) == 2
    assert "Traseen bør gå nærmest mulig sjøen." in rows[1] and "Kari Innbygger" in rows[1]
    name, body = download("Kommentarene som regneark (XLSX)")
    assert name.endswith(".xlsx") and body.startswith(b"PK\x03\x04")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert any(n.startswith("xl/worksheets/") for n in archive.namelist())
    name, body = download("Rapporten som Word (DOCX)")
    assert name == f"{slug}-rapport.docx" and body.startswith(b"PK\x03\x04")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert title in archive.read("word/document.xml").decode("utf-8")
    assert_clean(page)

    # The report as a page to print.
    follow(page, lambda: page.get_by_role("link", name="Rapporten som side for utskrift").click())
    assert page.url.endswith(f"/hoeringer/{slug}/rapport")
    text = main_text(page)
    assert f"Dette har vi hørt: {title}" in text and "Vedlegg: alle publiserte kommentarer" in text
    assert "Traseen bør gå nærmest mulig sjøen." in text
