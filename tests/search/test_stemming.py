"""The Norwegian analyzer stems exactly as the classic Snowball Norwegian stemmer."""

from __future__ import annotations

import os

import pytest

from hoering.search.backend import build_schema
from tests.conftest import shared_data

pytestmark = pytest.mark.whoosh_only  # the Whoosh analyzers


def oracle() -> list[tuple[str, str]]:
    folder = shared_data("snowball-norwegian", "classic")
    with open(os.path.join(folder, "voc.txt"), encoding="utf-8") as words, \
            open(os.path.join(folder, "output.txt"), encoding="utf-8") as stems:
        return list(zip((w.strip() for w in words), (s.strip() for s in stems), strict=True))


def test_every_word_of_the_classic_snowball_vocabulary_gets_its_expected_stem():
    analyzer = build_schema()["text_no"].analyzer
    pairs = oracle()
    assert len(pairs) == 20628
    mismatches, dropped = [], []
    for word, stem in pairs:
        tokens = [token.text for token in analyzer(word)]
        if not tokens:
            dropped.append(word)  # stop words and one-letter words are not indexed at all
        elif tokens != [stem]:
            mismatches.append((word, stem, tokens))
    assert mismatches == []
    from whoosh.analysis import StopFilter

    stoplist = next(item.stops for item in analyzer.items if isinstance(item, StopFilter))
    assert all(word in stoplist or len(word) < 2 for word in dropped)  # never a content word


def test_english_content_is_stemmed_as_english():
    analyzer = build_schema()["text_en"].analyzer
    assert [t.text for t in analyzer("Cycling lanes")] == [t.text for t in analyzer("cycle lane")]
