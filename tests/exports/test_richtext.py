"""Staff Markdown, rendered and cleaned, read back as styled blocks for the reports."""

from __future__ import annotations

from hoering.exports.richtext import html_blocks
from hoering.sanitize import markdown_html


def shape(markdown: str) -> list[tuple]:
    return [(b.kind, b.level, b.number, [(r.text, r.bold, r.italic, r.code) for r in b.runs])
            for b in html_blocks(markdown_html(markdown))]


def test_headings_paragraphs_and_emphasis():
    assert shape("## Funn\n\nDet er **viktig** og *litt* `kode`.") == [
        ("heading", 2, 0, [("Funn", False, False, False)]),
        ("paragraph", 1, 0, [("Det er ", False, False, False), ("viktig", True, False, False),
                             (" og ", False, False, False), ("litt", False, True, False), (" ", False, False, False),
                             ("kode", False, False, True), (".", False, False, False)]),
    ]


def test_nested_and_numbered_lists_keep_their_depth_and_numbers():
    blocks = shape("- en\n- to\n    - under\n\n1. først\n2. så")
    assert [(kind, level, number, runs[0][0]) for kind, level, number, runs in blocks] == [
        ("bullet", 1, 1, "en"), ("bullet", 1, 2, "to"), ("bullet", 2, 1, "under"),
        ("number", 1, 1, "først"), ("number", 1, 2, "så")]


def test_quotes_line_breaks_tables_and_entities():
    blocks = html_blocks("<blockquote><p>Sitat</p></blockquote><p>linje én<br>linje to</p>"
                         "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>"
                         "<p>&lt;b&gt; &amp; &quot;</p>")
    assert [(b.kind, b.text) for b in blocks] == [
        ("quote", "Sitat"), ("paragraph", "linje én\nlinje to"), ("paragraph", "A | B"), ("paragraph", "1 | 2"),
        ("paragraph", '<b> & "')]


def test_nothing_in_gives_nothing_out():
    assert html_blocks("") == [] and html_blocks("<p>   </p><hr>") == []
