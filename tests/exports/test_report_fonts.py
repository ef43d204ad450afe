"""The PDF report draws every script and emoji a comment may hold, with a font that has the
character (fontconfig's fallback: docs/DEPLOY.md "Fonts for the report"), and its first
page's labels never run into their values."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTTextContainer

REPORT = "/saksbehandling/hoeringer/{slug}/rapport.pdf"
SAMPLES = {"🌳": "emoji", "中": "Chinese", "ع": "Arabic", "Ж": "Cyrillic", "λ": "Greek", "å": "Norwegian"}


def _families_with(character: str) -> set[str]:
    """The font families installed here that have ``character`` (fontconfig)."""
    listed = subprocess.run(["fc-list", f":charset={ord(character):x}", "family"], capture_output=True, text=True,
                            check=True).stdout
    return {name.replace(" ", "").replace("-", "").lower()
            for line in listed.splitlines() for name in line.split(",") if name}


def _chars(pdf: bytes):
    def walk(node):
        if isinstance(node, LTChar):
            yield node
        elif hasattr(node, "__iter__"):
            for child in node:
                yield from walk(child)

    for page in extract_pages(io.BytesIO(pdf)):
        yield from walk(page)


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
def test_every_script_and_emoji_is_drawn_with_a_font_that_has_it(browser_for, make_consultation, make_user,
                                                                  make_comment):
    consultation = make_consultation(status="closed")
    author = make_user(name="Ola")
    for text in ("Jeg liker parken 🌳", "我们需要中文自行车道", "تعليق عربي", "Жёлтый дом", "λέξη", "Blåbær på Øvre Å"):
        make_comment(consultation, author, text)
    missing = [name for character, name in SAMPLES.items() if not _families_with(character)]
    if missing:
        pytest.skip(f"no installed font has these scripts: {', '.join(missing)} (docs/DEPLOY.md)")
    pdf = browser_for("case_officer").get(REPORT.format(slug=consultation.slug)).get_data()
    drawn = {}
    for char in _chars(pdf):
        if char.get_text() in SAMPLES:
            drawn.setdefault(char.get_text(), char.fontname.split("+", 1)[-1].replace("-", "").lower())
    assert set(drawn) == set(SAMPLES)  # none vanished
    for character, font in drawn.items():
        assert any(font.startswith(family) for family in _families_with(character)), (character, font)


@pytest.mark.parametrize("language, label_text", [("nb", "Kommentarer utenom svar"),
                                                 ("nn", "Kommentarar utanom svar"),
                                                 ("en", "Comments, not counting replies")])
def test_the_first_pages_labels_end_before_their_values(browser_for, make_consultation, language, label_text):
    consultation = make_consultation(status="closed")
    officer = browser_for("case_officer")
    officer.submit("/", "/sprak", data={"lang": language, "next": "/"})
    pdf = officer.get(REPORT.format(slug=consultation.slug)).get_data()
    first = next(extract_pages(io.BytesIO(pdf)))
    lines = [line for box in first if isinstance(box, LTTextContainer) for line in box]
    label = next(line for line in lines if line.get_text().strip() == label_text)  # on one line, whole
    values = [line for line in lines if line is not label and abs(line.y0 - label.y0) < 2 and line.x0 > label.x0]
    assert values, "the value beside the label"
    gap = min(value.x0 for value in values) - label.x1
    assert gap > 4 * 72 / 25.4, gap  # at least 4 mm between them
