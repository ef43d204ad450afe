"""The sanitizer module against the bleach regression and advisory corpora."""

from __future__ import annotations

import glob
import json
import os

import html5lib
import pytest

from hoering.sanitize import COMMENT_TAGS, MARKDOWN_TAGS, clean_html, comment_html, markdown_html
from tests.conftest import shared_data


def regression_cases() -> list[tuple[str, str]]:
    cases = []
    for path in sorted(glob.glob(os.path.join(shared_data("bleach-vectors", "regression"), "*.test"))):
        with open(path, encoding="utf-8") as handle:
            source, expected = handle.read().split("\n--\n")
        cases.append((source.strip(), expected.strip()))
    return cases


def advisory_inputs() -> list[str]:
    with open(shared_data("bleach-vectors", "ghsa_mxss_vectors.json"), encoding="utf-8") as handle:
        return [case["input"] for case in json.load(handle)]


def elements(html: str) -> list:
    fragment = html5lib.parseFragment(html, namespaceHTMLElements=False)
    return list(fragment.iter())[1:]


def test_bleach_regression_vectors_give_their_expected_output():
    cases = regression_cases()
    assert len(cases) == 20
    for source, expected in cases:
        assert clean_html(source) == expected


@pytest.mark.parametrize("render, allowed", [(comment_html, COMMENT_TAGS), (markdown_html, MARKDOWN_TAGS)])
def test_mxss_advisory_vectors_leave_only_allowlisted_elements(render, allowed):
    inputs = advisory_inputs() + [source for source, _ in regression_cases()]
    for source in inputs:
        for element in elements(render(source)):
            assert element.tag in allowed, (source, element.tag)
            assert not any(name.startswith("on") or name == "style" for name in element.attrib), source
            assert "javascript" not in element.get("href", "").lower(), source


def test_comment_text_keeps_paragraphs_and_line_breaks():
    assert comment_html("a\nb\n\n\nc") == "<p>a<br>b</p><p>c</p>"


def test_comment_text_is_escaped_not_interpreted():
    text = '<b onclick="x">fet</b> & "sitat"'
    [paragraph] = elements(comment_html(text))
    assert paragraph.tag == "p" and paragraph.text == text and len(paragraph) == 0


def test_markdown_top_heading_becomes_h2_and_unsafe_links_lose_their_href():
    html = markdown_html("# Tittel\n\n[klikk](javascript:alert(1)) [ok](https://example.org)")
    assert html.startswith("<h2>Tittel</h2>")
    assert "<a>klikk</a>" in html and '<a href="https://example.org">ok</a>' in html
