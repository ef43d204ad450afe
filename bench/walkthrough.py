"""One moderator's whole analysis of the real Bowling Green conversation, in a real browser,
with the moderator's time estimated from every click, key and comment read.

Usage: .venv/bin/python bench/walkthrough.py [--bulk-above PERCENT] [--names-only] [--skip-review]
       [--order forslag]

A fresh instance of its own in a temporary folder (SQLite: ``flask db upgrade``,
``flask hoering demo``, ``flask hoering import-polis``, ``flask hoering vectors``, then
``flask run`` on a free port), driven in headless Chromium (Playwright) in Norwegian
bokmål, as the demo moderator and then the demo case officer:

1. log in, open the consultation's themes;
2. "Temaforslag": read each discovered group's name and the comments nearest its centre;
3. write the themes (the names and descriptions of ``bench/themes.py``, ``THEMES``: the
   themes the hand labels use, written after reading the first comments);
4. with ``--bulk-above``: accept every proposal at or above that confidence together,
   without reading the comments one by one (the report says how many);
5. "Foreslåtte temaer", group by group: read every comment once, change the theme where
   the proposal is wrong (or choose "read, no theme"), accept the group;
6. "Én og én" for the comments left (no proposal): read, press the theme's key;
7. "Bruk utkastene for alle temaer uten tekst", read the drafts; the overall text; publish;
8. the case officer downloads the report as DOCX, PDF and PDF/A.

**The moderator's judgement** is the hand labels (``bench/data/bowling_green_themes.csv``:
every accepted comment): where a proposal differs from a comment's label, the walk
changes it. **Human time** is the keystroke-level model (Card, Moran and Newell, *The
Psychology of Human-Computer Interaction*, 1983: pointing with a mouse and clicking 1.1 s,
a keystroke 0.28 s for an average typist, a mental preparation 1.35 s before each action
that needs a decision), plus reading at 230 words a minute (a careful silent reading rate;
Brysbaert 2019 finds 238 for non-fiction) of everything a moderator must read to decide,
plus the waiting measured in the browser (from the action to the loaded page). A comment
that agrees with its proposal in a group costs its reading only: the decision to leave it
is made while reading, with no action (KLM places M before physical actions only).

Prints a Markdown table per step, the totals, and how the themes agree with the labels.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from bench.themes import THEMES  # noqa: E402

POLIS = os.path.join(ROOT, "..", "shared", "data", "polis", "american-assembly.bowling-green")
LABELS = os.path.join(HERE, "data", "bowling_green_themes.csv")
FLASK = [os.path.join(ROOT, ".venv", "bin", "flask"), "--app", "wsgi"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

#: Keystroke-level model operators, in seconds (Card, Moran and Newell 1983).
POINT_AND_CLICK = 1.1
KEYSTROKE = 0.28
MENTAL = 1.35
#: Careful silent reading, words a minute.
READING_WPM = 230

#: The walk's theme names by label key (the labels' "other" is "read, no theme").
THEME_NAMES = {key: name for key, (name, _description) in THEMES.items()}


@dataclass
class Step:
    """What one step of the walk cost."""

    name: str
    clicks: int = 0
    keys: int = 0
    mentals: int = 0
    loads: int = 0
    words: int = 0
    readings: int = 0
    server: float = 0.0
    waiting: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def klm_minutes(self) -> float:
        return (self.clicks * POINT_AND_CLICK + self.keys * KEYSTROKE + self.mentals * MENTAL) / 60

    @property
    def reading_minutes(self) -> float:
        return self.words / READING_WPM

    @property
    def minutes(self) -> float:
        return self.klm_minutes + self.reading_minutes + self.waiting / 60


class Walk:
    """Drives the page and counts what a person would do."""

    def __init__(self, page, base: str, texts: dict[int, str]):
        self.page = page
        self.base = base
        self.texts = texts
        self.steps: list[Step] = []
        self.read_ids: set[int] = set()
        self.reread = 0
        #: Pages that answered 503 and were loaded again.
        self.busy = 0

    @contextlib.contextmanager
    def step(self, name: str):
        self.steps.append(Step(name))
        yield self.steps[-1]

    @property
    def now(self) -> Step:
        return self.steps[-1]

    def _loaded(self, started: float) -> None:
        self.page.wait_for_load_state("load")
        self.now.waiting += time.perf_counter() - started
        self.now.loads += 1
        timing = self.page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
            return n ? (n.responseEnd - n.requestStart) / 1000 : 0; }""")
        self.now.server += timing

    def open(self, path: str, decide: bool = True) -> None:
        """Follow a link to ``path`` (a point and click, with a decision)."""
        self.now.clicks += 1
        self.now.mentals += int(decide)
        started = time.perf_counter()
        response = self.page.goto(self.base + path)
        self._loaded(started)
        self._retry_busy(response)

    def click(self, locator, decide: bool = True, navigates: bool = True) -> None:
        self.now.clicks += 1
        self.now.mentals += int(decide)
        if navigates:
            started = time.perf_counter()
            with self.page.expect_navigation() as navigation:
                locator.click()
            self._loaded(started)
            self._retry_busy(navigation.value)
        else:
            locator.click()

    def _retry_busy(self, response) -> None:
        """A page that answered 503 (the server busy: it says to try again) is reloaded,
        as a person would, counting the click and the waiting; up to five times."""
        for _ in range(5):
            if response is None or response.status != 503:
                return
            self.busy += 1
            self.now.clicks += 1
            started = time.perf_counter()
            response = self.page.reload()
            self._loaded(started)

    def type(self, locator, text: str) -> None:
        """Click into a field and type ``text``."""
        self.now.clicks += 1
        self.now.keys += len(text)
        locator.fill(text)

    def choose(self, locator, value: str) -> None:
        """Pick an option of a select: open it, point at the option."""
        self.now.clicks += 2
        self.now.mentals += 1
        locator.select_option(value)

    def key(self, key: str, decide: bool = True, navigates: bool = True) -> None:
        self.now.keys += 1
        self.now.mentals += int(decide)
        if navigates:
            started = time.perf_counter()
            with self.page.expect_navigation() as navigation:
                self.page.keyboard.press(key)
            self._loaded(started)
            self._retry_busy(navigation.value)
        else:
            self.page.keyboard.press(key)

    def read_comment(self, comment_id: int) -> None:
        if comment_id in self.read_ids:
            self.reread += 1
        self.read_ids.add(comment_id)
        self.now.readings += 1
        self.now.words += words(self.texts.get(comment_id, ""))

    def read_text(self, text: str) -> None:
        self.now.words += words(text)


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([*FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def prepare(folder: str) -> tuple[dict, str, float]:
    """A fresh instance in ``folder``: its environment, the consultation's slug, and the
    seconds ``flask hoering vectors`` took."""
    env = dict(os.environ, HOERING_SECRET_KEY="walk-" + "x" * 40,
               HOERING_DATABASE_URL=f"sqlite:///{folder}/walk.db", HOERING_SEARCH_INDEX_DIR=f"{folder}/index",
               HOERING_DOCUMENT_DIR=f"{folder}/documents", HOERING_MAIL_DIR=f"{folder}/mail",
               HOERING_RATELIMIT_ENABLED="false", HOERING_SITE_OWNER="Bowling Green (walk-through)")
    flask(env, "db", "upgrade")
    flask(env, "hoering", "demo")
    flask(env, "hoering", "import-polis", POLIS)
    slug = sqlite3.connect(f"{folder}/walk.db").execute(
        "SELECT slug FROM consultation WHERE external_id LIKE 'polis:%'").fetchone()[0]
    started = time.perf_counter()
    flask(env, "hoering", "vectors", "--slug", slug)
    return env, slug, time.perf_counter() - started


def load_comments(folder: str, slug: str) -> tuple[dict[int, str], dict[int, str]]:
    """``({comment id: text}, {comment id: label key})`` of the published comments."""
    with open(LABELS, newline="", encoding="utf-8") as handle:
        by_polis = {row["comment_id"]: row["theme"] for row in csv.DictReader(handle)}
    rows = sqlite3.connect(f"{folder}/walk.db").execute(
        "SELECT c.id, c.external_id, c.body_text FROM comment c JOIN consultation k ON k.id = c.consultation_id "
        "WHERE k.slug = ? AND c.state = 'published'", (slug,)).fetchall()
    texts = {cid: text for cid, _external, text in rows}
    labels = {cid: by_polis[external] for cid, external, _text in rows if external in by_polis}
    return texts, labels


def theme_ids(folder: str, slug: str) -> dict[str, int]:
    """``{theme name: id}`` of the consultation."""
    rows = sqlite3.connect(f"{folder}/walk.db").execute(
        "SELECT t.name, t.id FROM theme t JOIN consultation k ON k.id = t.consultation_id WHERE k.slug = ?",
        (slug,)).fetchall()
    return dict(rows)


def tags(folder: str, slug: str, labels: dict[int, str] | None = None
         ) -> tuple[dict[int, set[str]], set[int], Counter]:
    """The comments' theme names, the comments read without a theme, and the tags by
    source (with ``labels``, also ``"<source> agreeing with the labels"``)."""
    db = sqlite3.connect(f"{folder}/walk.db")
    tagged: dict[int, set[str]] = {}
    sources: Counter = Counter()
    for comment_id, name, source in db.execute(
            "SELECT ct.comment_id, t.name, ct.source FROM comment_theme ct JOIN theme t ON t.id = ct.theme_id "
            "JOIN consultation k ON k.id = t.consultation_id WHERE k.slug = ?", (slug,)):
        tagged.setdefault(comment_id, set()).add(name)
        sources[source] += 1
        if labels is not None and wanted_theme(labels, comment_id) == name:
            sources[f"{source} agreeing with the labels"] += 1
    read = {row[0] for row in db.execute("SELECT comment_id FROM comment_read_without_theme")}
    return tagged, read, sources


def log_in(walk: Walk, email: str, password: str) -> None:
    walk.open("/logg-inn")
    page = walk.page
    walk.type(page.locator("#email"), email)
    walk.type(page.locator("#password"), password)
    walk.click(page.locator("form", has=page.locator("#password")).locator("button[type=submit]").first)
    if "/logg-inn" in page.url:
        raise RuntimeError(f"could not log in as {email}")


def read_suggestions(walk: Walk, slug: str) -> None:
    """Read each discovered group's key phrases and the comments nearest its centre."""
    walk.open(f"/moderering/hoeringer/{slug}/temaforslag")
    for fieldset in walk.page.locator("fieldset.proposal").all():
        walk.read_text(fieldset.locator("p.meta").inner_text())
        for quote in fieldset.locator("blockquote.quote footer").all():
            match = re.search(r"#(\d+)", quote.inner_text())
            if match:
                walk.read_comment(int(match.group(1)))
        walk.now.mentals += 1  # keep it or not


def write_themes(walk: Walk, slug: str, descriptions: bool = True) -> None:
    """Write every theme of the labels, with its description (or without), on the themes
    page."""
    walk.open(f"/moderering/hoeringer/{slug}/temaer")
    page = walk.page
    for name, description in THEMES.values():
        walk.now.mentals += 1
        walk.type(page.locator("#name"), name)
        if descriptions:
            walk.type(page.locator("#description"), description)
        walk.click(page.locator("form", has=page.locator("#name")).locator("button[type=submit]"), decide=False)


def drafts(walk: Walk, slug: str) -> None:
    """On the summary page, "Bruk utkastene for alle temaer uten tekst", then read every
    theme's text (the drafts: counts, quotes, contested comments) on the page."""
    walk.open(f"/moderering/hoeringer/{slug}/oppsummering")
    page = walk.page
    walk.click(page.locator("form[action$='/oppsummering/utkast'] button[type=submit]"))
    for area in page.locator("fieldset.summary-theme textarea").all():
        walk.read_text(area.input_value())


OVERVIEW = ("Bowling Green talked most about roads and traffic, housing and schools. Downtown, parks and jobs "
            "followed. People split on the fairness ordinance and on marijuana: see the contested comments under "
            "each theme. Votes are votes on statements, not people; early statements were shown to more people.")


def publish(walk: Walk, slug: str) -> None:
    walk.open(f"/moderering/hoeringer/{slug}/oppsummering")
    page = walk.page
    walk.now.mentals += 1
    walk.type(page.locator("#overview"), OVERVIEW)
    walk.click(page.locator("button[name=action][value=publish]").first)
    anyway = page.locator("button[name=action][value=publish]", has_text=re.compile("likevel|anyway"))
    if anyway.count():
        walk.click(anyway.first)


def case_officer(walk: Walk, slug: str, keep: str | None = None) -> dict[str, float]:
    """Log in as the case officer, open the staff page, download the three report files
    (kept in the folder ``keep`` when given)."""
    walk.now.clicks += 1  # "Logg ut"
    walk.page.context.clear_cookies()
    log_in(walk, "saksbehandler@fjordvik.example", "demo-saksbehandler")
    walk.open(f"/saksbehandling/hoeringer/{slug}")
    seconds = {}
    for fmt in ("docx", "pdf", "pdfa"):
        walk.now.clicks += 1
        walk.now.mentals += 1
        started = time.perf_counter()
        for _attempt in range(5):
            response = walk.page.request.get(f"{walk.base}/saksbehandling/hoeringer/{slug}/rapport.{fmt}",
                                             timeout=300_000)
            if response.status != 503:
                break
            walk.busy += 1
            walk.now.clicks += 1
        elapsed = time.perf_counter() - started
        assert response.ok, (fmt, response.status)
        seconds[fmt] = elapsed
        if keep:
            os.makedirs(keep, exist_ok=True)
            with open(os.path.join(keep, f"rapport.{fmt}"), "wb") as handle:
                handle.write(response.body())
        walk.now.waiting += elapsed
        walk.now.server += elapsed
        walk.now.loads += 1
    return seconds


def wanted_theme(labels: dict[int, str], comment_id: int) -> str | None:
    """The theme name the moderator gives the comment (``None``: read, no theme)."""
    key = labels.get(comment_id, "other")
    return None if key == "other" else THEME_NAMES[key]


def one_by_one(walk: Walk, slug: str, labels: dict[int, str], order: str | None = None) -> None:
    """"Én og én": read each comment left, press the key of its theme (Enter for the
    proposal when it is right, ``l`` for read, no theme), until none is left."""
    query = f"?rekkefolge={order}" if order else ""
    walk.open(f"/moderering/hoeringer/{slug}/en-og-en{query}")
    page = walk.page
    while True:
        form = page.locator("form[action*='/en-og-en/']").first
        if not form.count():
            break
        comment_id = int(re.search(r"/en-og-en/(\d+)", form.get_attribute("action")).group(1))
        walk.read_comment(comment_id)
        theme = wanted_theme(labels, comment_id)
        proposal = page.locator("form.one-by-one-proposal strong")
        if theme is not None and proposal.count() and proposal.first.inner_text().strip() == theme:
            walk.key("Enter")
            continue
        if theme is None:
            walk.key("l")
            continue
        button = page.locator("ul.theme-buttons button", has_text=theme).first
        key = button.get_attribute("data-key")
        if key:
            walk.key(key)
        else:
            walk.click(button)


def bulk_above(walk: Walk, slug: str, percent: int) -> None:
    """Accept every proposal at or above ``percent`` together (nothing read), confirmed."""
    walk.open(f"/moderering/hoeringer/{slug}/foreslatte-temaer")
    page = walk.page
    form = page.locator("form#proposals-above")
    walk.type(form.locator("input[name=above]"), str(percent))
    walk.click(form.locator("button[type=submit]"))
    confirm = page.locator("form", has=page.locator("input[name=confirm]")).locator("button[type=submit]")
    if confirm.count():
        walk.read_text(page.locator("main").inner_text()[:400])  # "Tag N comments?"
        walk.click(confirm.first)


def review_proposals(walk: Walk, slug: str, labels: dict[int, str]) -> None:
    """"Foreslåtte temaer", group by group (largest first, then the comments without a
    proposal, set to "read, no theme"), from the keyboard: ``j`` to each comment, read it;
    where the row's choice is wrong, the right theme's key (or ``l``); Enter accepts the
    group. Until no group is left."""
    walk.open(f"/moderering/hoeringer/{slug}/foreslatte-temaer")
    page = walk.page
    while True:
        form = page.locator("form.proposal-group").first
        if not form.count():
            break
        for row in form.locator("li.pick").all():
            walk.key("j", decide=False, navigates=False)
            comment_id = int(row.locator("input.proposal-tick").get_attribute("value"))
            walk.read_comment(comment_id)
            select = row.locator("select")
            checked = select.locator("option:checked")
            wanted = wanted_theme(labels, comment_id)
            if wanted == checked.inner_text().strip() or (wanted is None and checked.get_attribute("value") == "read"):
                continue
            option = select.locator("option", has_text=wanted) if wanted is not None else \
                select.locator("option[value=read]")
            key = option.first.get_attribute("data-key")
            if key:
                walk.key(key, navigates=False)
            else:
                walk.choose(select, option.first.get_attribute("value"))
        walk.key("Enter")


def run(walk: Walk, folder: str, slug: str, labels: dict[int, str], arguments) -> None:
    with walk.step("Log in, the consultation's themes"):
        log_in(walk, "moderator@fjordvik.example", "demo-moderator")
        walk.open(f"/moderering/hoeringer/{slug}/temaer")
    with walk.step("\"Temaforslag\": read the groups' key phrases and the comments nearest their centres"):
        read_suggestions(walk, slug)
    with walk.step(f"Write the {len(THEMES)} themes" + ("" if arguments.names_only else ", each with a description")):
        write_themes(walk, slug, descriptions=not arguments.names_only)
    if arguments.bulk_above is not None:
        with walk.step(f"\"Foreslåtte temaer\": accept every proposal at {arguments.bulk_above} % or more, "
                       "unread"):
            bulk_above(walk, slug, arguments.bulk_above)
    if not arguments.skip_review:
        with walk.step("\"Foreslåtte temaer\" group by group: read each comment, change the wrong ones, accept"):
            review_proposals(walk, slug, labels)
    with walk.step("\"Én og én\": the comments left, one key each"):
        one_by_one(walk, slug, labels, order=arguments.order)
    with walk.step("\"Bruk utkastene for alle temaer uten tekst\", read them on the summary page"):
        drafts(walk, slug)
    with walk.step("The overall text, \"Lagre og publiser\""):
        publish(walk, slug)
    with walk.step("Case officer: log in, staff page, DOCX, PDF, PDF/A"):
        seconds = case_officer(walk, slug, arguments.keep_report)
        walk.now.notes.append(", ".join(f"{fmt} {value:.1f} s" for fmt, value in seconds.items()))


def table(walk: Walk) -> str:
    lines = ["| step | clicks | keys | decisions | page loads | comments read (words) | server (s) | waiting (s) "
             "| KLM (min) | reading (min) | minutes |", "|---|" + "---|" * 10]
    total = Step("**total**")
    for number, step in enumerate(walk.steps, start=1):
        lines.append(f"| {number}. {step.name} | {step.clicks} | {step.keys} | {step.mentals} | {step.loads} "
                     f"| {step.readings} ({step.words:,}) | {step.server:.1f} | {step.waiting:.1f} "
                     f"| {step.klm_minutes:.1f} | {step.reading_minutes:.1f} | **{step.minutes:.1f}** |")
        for name in ("clicks", "keys", "mentals", "loads", "words", "readings", "server", "waiting"):
            setattr(total, name, getattr(total, name) + getattr(step, name))
    lines.append(f"| **total** | **{total.clicks}** | **{total.keys:,}** | **{total.mentals}** | **{total.loads}** "
                 f"| **{total.readings} ({total.words:,})** | **{total.server:.1f}** | **{total.waiting:.0f}** "
                 f"| **{total.klm_minutes:.1f}** | **{total.reading_minutes:.1f}** | **{total.minutes:.0f}** |")
    return "\n".join(lines)


def agreement(folder: str, slug: str, labels: dict[int, str], texts: dict[int, str]) -> dict:
    """How the walk's result compares with the labels, and what was analysed."""
    tagged, read, sources = tags(folder, slug, labels)
    names = {name: key for key, name in THEME_NAMES.items()}
    same = sum(1 for cid, key in labels.items()
               if (key == "other" and cid in read and cid not in tagged)
               or (key != "other" and THEME_NAMES[key] in tagged.get(cid, set())))
    analysed = sum(1 for cid in texts if cid in tagged or cid in read)
    return {"published": len(texts), "analysed": analysed, "with_theme": sum(1 for cid in texts if cid in tagged),
            "read_no_theme": sum(1 for cid in texts if cid in read and cid not in tagged),
            "labelled": len(labels), "agree_with_labels": same, "tags_by_source": dict(sources),
            "unknown_theme_names": sorted({n for ns in tagged.values() for n in ns} - set(names))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bulk-above", type=int, default=None,
                        help="accept every proposal at or above this confidence (per cent) without reading it")
    parser.add_argument("--keep-report", default=None, help="a folder to keep the downloaded report files in")
    parser.add_argument("--names-only", action="store_true", help="themes without descriptions")
    parser.add_argument("--skip-review", action="store_true", help="no group-by-group review: all in \"Én og én\"")
    parser.add_argument("--order", default=None, help="the order of \"Én og én\" (rekkefolge=...)")
    arguments = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="walk-") as folder:
        env, slug, vector_seconds = prepare(folder)
        texts, labels = load_comments(folder, slug)
        print(f"{len(texts)} published comments, {len(labels)} labelled; vectors in {vector_seconds:.1f} s",
              flush=True)
        port = free_port()
        server = subprocess.Popen([*FLASK, "run", "--port", str(port)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
                time.sleep(0.1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(locale="nb-NO", viewport={"width": 1280, "height": 900})
                page.set_default_timeout(300_000)
                walk = Walk(page, f"http://127.0.0.1:{port}", texts)
                run(walk, folder, slug, labels, arguments)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
        print(table(walk))
        print(json.dumps(agreement(folder, slug, labels, texts), indent=2, ensure_ascii=False))
        print(f"re-read comments: {walk.reread}; pages reloaded after a 503: {walk.busy}")


if __name__ == "__main__":
    main()
