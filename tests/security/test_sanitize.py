"""The sanitizer module against the bleach regression and advisory corpora."""

from __future__ import annotations

import glob
import json
import os

import html5lib
import markdown
import pytest

from hoering.sanitize import (
    COMMENT_TAGS,
    DROPPED_WITH_CONTENT,
    MARKDOWN_TAGS,
    clean_html,
    comment_html,
    markdown_html,
    short_markdown_html,
)
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


def xss_payloads() -> list[str]:
    lines = []
    for path in sorted(glob.glob(os.path.join(shared_data("xss-payloads"), "*.txt"))):
        if "LICENSE" not in path:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines += [line.rstrip("\n") for line in handle if line.strip()]
    return lines


def _text(html: str) -> str:
    return "".join(html5lib.parseFragment(html, namespaceHTMLElements=False).itertext())


def _dropped_and_kept_text(source: str) -> tuple[list[str], str]:
    """The texts inside unsafe elements of ``source`` rendered by Markdown (as a browser
    parses it), and the text outside them."""
    fragment = html5lib.parseFragment(markdown.markdown(source, extensions=["tables", "sane_lists"]),
                                      namespaceHTMLElements=False)
    inside, kept = [], []

    def walk(element):
        for child in element:
            if not isinstance(child.tag, str):
                kept.append(child.tail or "")
                continue
            if child.tag.rpartition("}")[2] in DROPPED_WITH_CONTENT:
                inside.append("".join(child.itertext()).strip())
            else:
                kept.append(child.text or "")
                walk(child)
            kept.append(child.tail or "")

    kept.append(fragment.text or "")
    walk(fragment)
    return [text for text in inside if text], "".join(kept)


def test_unsafe_elements_in_markdown_disappear_with_their_content():
    html = markdown_html('Før <script>alert("x")</script> <style>p{color:red}</style>'
                         '<iframe src="https://e.org">ramme</iframe><object data="x">objekt</object> **etter**')
    assert " ".join(html.split()) == "<p>Før <strong>etter</strong></p>"
    assert short_markdown_html("<script>alert(1)</script>Varsel").strip() == "<p>Varsel</p>"


def test_other_disallowed_tags_are_stripped_and_their_text_kept():
    assert markdown_html('Tekst <span onclick="x">her</span> &amp; <b>fet</b> <img src=x onerror=alert(1)>') == \
        "<p>Tekst her &amp; <b>fet</b> </p>"


def test_no_xss_payload_leaves_script_debris_in_markdown():
    payloads = xss_payloads()
    assert len(payloads) > 1500
    for source in payloads:
        rendered = markdown_html(source)
        for element in elements(rendered):
            assert element.tag in MARKDOWN_TAGS, (source, element.tag)
        inside, kept = _dropped_and_kept_text(source)
        text = _text(rendered)
        for debris in inside:
            assert debris not in text or debris in kept, (source, debris, text)
