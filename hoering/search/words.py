"""Norwegian words for search, shared by both backends: compound words split into their
parts, spelling variants treated alike, and the words a query leaves out.

**Compounds.** Norwegian writes compounds as one word ("sykkelveien", "gangvei"), so a
search for "sykkel" or "vei" would not find them. :func:`compound_parts` splits each word
of a Norwegian text against a lexicon, and both backends index the parts in a separate
field that weighs less than the text itself (Whoosh's ``parts_no`` with
:data:`PARTS_BOOST`; PostgreSQL's weight C), so exact matches rank above part matches.
The lexicon is the Norwegian Bokmål word list of the ``wordfreq`` package (words with a
Zipf frequency of at least :data:`LEXICON_MIN_ZIPF`, read once per process when text is
first indexed) plus the words of the text being indexed. The method is the usual one for
Germanic compounds (Koehn & Knight, "Empirical Methods for Compound Splitting", EACL 2003):
every split into known words is tried, with the linking letters ``s`` and ``e``
("trafikksikkerhet", "barnehage"), and the split into the fewest, longest parts is kept.

**Spelling variants.** Bokmål allows forms side by side ("vei"/"veg", "hjem"/"heim",
"bro"/"bru") and nynorsk uses others ("skule", "veke", "sjuk"); :data:`VARIANT_GROUPS`
lists such forms (source: Språkrådet's official bokmål and nynorsk dictionaries, ordbokene.no,
and the 2005 bokmål reform's optional forms), and a query word of a group also finds the
other forms of its group. The feminine definite forms "-a"/"-en" ("gata"/"gaten",
"boka"/"boken") need no list: the Norwegian Snowball stemmer of both backends strips both.
"""

from __future__ import annotations

import functools
import re

from whoosh.lang import stopwords_for_language
from whoosh.lang.snowball.norwegian import NorwegianStemmer

#: Words with a Zipf frequency (log10 of occurrences per billion words) below this are not
#: in the lexicon: the long tail of ``wordfreq``'s list holds misspellings and fragments
#: ("kel", "munen") that would split words wrongly. 3.0 keeps about 26,000 words.
LEXICON_MIN_ZIPF = 3.0
#: Shortest word that is split, shortest part (the first part and the rest), most parts.
MIN_COMPOUND = 6
MIN_HEAD = 4
MIN_TAIL = 3
MAX_PARTS = 4
#: Letters that may join the parts of a compound ("trafikk-s-regler", "barn-e-hage").
LINKING = ("s", "e")
#: Endings taken off the last part before it is looked up ("sykkelveien": "veien", "vei").
ENDINGS = ("ene", "ane", "en", "et", "er", "ar", "a", "e")
#: Weight of a part match relative to a match of the word itself (Whoosh's field boost).
PARTS_BOOST = 0.3
#: Content languages whose texts are split (``nb``, ``nn`` and Whoosh's ``no``).
NORWEGIAN = frozenset({"nb", "nn", "no"})

_WORD = re.compile(r"\w+")
#: Never a part: stop words, and endings that make words of words ("undersøk-else",
#: "sikker-het") rather than a second word.
_NOT_PARTS = frozenset(stopwords_for_language("no")) | frozenset(
    {"else", "elsen", "elser", "het", "heten", "heter", "ing", "ingen", "inger", "skap", "skapet", "lig", "lige",
     "ende", "ene", "ane", "ert", "ere", "isk", "iske", "ning", "ninga", "ningen", "sjon", "sjonen"})

#: Forms that are the same word (each tuple: bokmål forms first, then the others).
#: Sources: ordbokene.no (Bokmålsordboka and Nynorskordboka, Språkrådet and the University
#: of Bergen), Språkrådet's list of the 2005 bokmål reform's optional forms.
VARIANT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("vei", "veien", "veier", "veiene", "veg", "vegen", "veger", "vegene", "vegar", "vegane"),
    ("hjem", "hjemme", "hjemmet", "heim", "heime", "heimen"),
    ("bro", "broen", "broer", "broene", "bru", "brua", "brui", "bruer", "bruene"),
    ("skole", "skolen", "skoler", "skolene", "skule", "skulen", "skular", "skulane"),
    ("uke", "uken", "uka", "uker", "ukene", "veke", "veka", "veker", "vekene"),
    ("syk", "syke", "sjuk", "sjuke"),
    ("sykehus", "sykehuset", "sjukehus", "sjukehuset"),
    ("sykehjem", "sykehjemmet", "sjukeheim", "sjukeheimen"),
    ("kirke", "kirken", "kirka", "kirker", "kirkene", "kyrkje", "kyrkja", "kyrkjer", "kyrkjene"),
    ("hvit", "hvite", "kvit", "kvite"),
    ("fram", "frem"),
    ("høy", "høg", "høye", "høge"),
    ("løype", "løypa", "løypen", "løyper", "løypene"),
    ("tunnel", "tunnelen", "tunell", "tunellen"),
    ("miljø", "miljøet"),
    ("barnehage", "barnehagen", "barnehagar", "barnehager"),
)
_GROUP_OF: dict[str, tuple[str, ...]] = {}
for _group in VARIANT_GROUPS:
    for _word in _group:
        _GROUP_OF.setdefault(_word, tuple(dict.fromkeys(_group)))


def variants(word: str) -> tuple[str, ...]:
    """The other forms of ``word`` (lower-cased) that count as the same word: its
    :data:`VARIANT_GROUPS` group without itself; ``()`` if it has none.

    Args:
        word: a word as typed.
    """
    word = word.lower()
    return tuple(form for form in _GROUP_OF.get(word, ()) if form != word)


@functools.cache
def _stemmer() -> NorwegianStemmer:
    return NorwegianStemmer()


@functools.cache
def variant_stems() -> dict[str, tuple[str, ...]]:
    """``{stem: stems of its group}`` under the Norwegian Snowball stemmer (the Whoosh
    index holds stems, so a query's stems are widened with these)."""
    stem = _stemmer().stem
    found: dict[str, set[str]] = {}
    for group in VARIANT_GROUPS:
        stems = {stem(word) for word in group}
        for one in stems:
            found.setdefault(one, set()).update(stems)
    return {one: tuple(sorted(stems)) for one, stems in found.items() if len(stems) > 1}


@functools.cache
def lexicon() -> frozenset[str]:
    """The Norwegian Bokmål words of ``wordfreq`` at or above :data:`LEXICON_MIN_ZIPF`,
    lower-cased (read on first use, about half a second)."""
    import wordfreq  # noqa: PLC0415 - only processes that index text load the word list

    # The list's buckets hold the words of each centibel of frequency, most frequent first
    # (bucket i: 10 ** (-i / 100)); only the buckets down to the threshold are kept, and
    # wordfreq's own caches of the whole list (318,000 words, about 40 MB) are emptied.
    buckets = wordfreq.get_frequency_list("nb")[:round((9 - LEXICON_MIN_ZIPF) * 100) + 1]
    found = frozenset(word for bucket in buckets for word in bucket if word.isalpha())
    wordfreq.get_frequency_list.cache_clear()
    wordfreq.get_frequency_dict.cache_clear()
    return found


def _known(word: str, known) -> bool:
    return len(word) >= MIN_TAIL and word not in _NOT_PARTS and word in known


def _known_tail(word: str, known) -> bool:
    if _known(word, known):
        return True
    return any(word.endswith(end) and _known(word[:-len(end)], known) for end in ENDINGS
               if len(word) - len(end) >= MIN_TAIL)


def split_compound(word: str, known=None) -> list[str] | None:
    """The parts of a compound word, or ``None`` if it is not one the lexicon explains.

    Args:
        word: one lower-case word.
        known: a container of known words (default :func:`lexicon`).

    Returns:
        The parts in order as written, linking letters left out ("trafikksikkerhet" →
        ``["trafikk", "sikkerhet"]``, "sykkelveien" → ``["sykkel", "veien"]``); of several
        possible splits the one with the fewest parts, then the longest shortest part.
    """
    known = lexicon() if known is None else known
    if len(word) < MIN_COMPOUND or not word.isalpha():
        return None
    return _splits(word, known, MAX_PARTS)


def _splits(word: str, known, most: int) -> list[str] | None:
    best: list[str] | None = None
    for cut in range(MIN_HEAD, len(word) - MIN_TAIL + 1):
        head, rest = word[:cut], word[cut:]
        heads = [head] if _known(head, known) else []
        if not heads and head[-1] in LINKING and _known(head[:-1], known) and len(head) - 1 >= MIN_HEAD:
            heads = [head[:-1]]
        if not heads:
            continue
        if _known_tail(rest, known):
            found = [heads[0], rest]
        elif most > 2 and len(rest) >= MIN_HEAD + MIN_TAIL:
            tail = _splits(rest, known, most - 1)
            if tail is None:
                continue
            found = [heads[0], *tail]
        else:
            continue
        if best is None or (len(found), -min(map(len, found))) < (len(best), -min(map(len, best))):
            best = found
    return best


def compound_parts(text: str, language: str | None, known=None) -> str:
    """The parts of the compound words of a Norwegian ``text``, space-separated, for the
    parts field of the index (``""`` for other languages or when there are none).

    The lexicon is :func:`lexicon` plus the words of ``text`` itself.

    Args:
        text: plain text.
        language: the content's language code; only ``nb``, ``nn`` and ``no`` are split.
        known: a container of known words instead of :func:`lexicon` (tests).
    """
    if language not in NORWEGIAN or not text:
        return ""
    words = [word.lower() for word in _WORD.findall(text)]
    base = lexicon() if known is None else known
    lexicon_here = _Union(base, set(words))
    parts: list[str] = []
    seen: set[str] = set()
    for word in words:
        if word in seen:
            continue
        seen.add(word)
        found = split_compound(word, lexicon_here)
        if found:
            parts.extend(found)
    return " ".join(parts)


class _Union:
    """Membership in either of two sets, without copying the large one."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def __contains__(self, word: str) -> bool:
        return word in self.first or word in self.second


# --- exclusions ------------------------------------------------------------------------------

#: A phrase in quotes (the closing quote may be missing), or a run of other characters.
_TOKEN = re.compile(r'-?"[^"]*"?|[^\s"]+')


def split_exclusions(prepared: str) -> tuple[str, list[str]]:
    """A query without what it leaves out, and what it leaves out.

    ``-word``, ``-"a phrase"`` and ``NOT word`` leave out (a hyphen inside a word, as in
    "sykkel-vei", does not).

    Args:
        prepared: a cleaned query (:func:`hoering.search.querying.prepare_query_text`).

    Returns:
        ``(the rest of the query, the excluded words and phrases as typed)``.
    """
    kept: list[str] = []
    excluded: list[str] = []
    negate = False
    for token in _TOKEN.findall(prepared):
        if token == "NOT":
            negate = True
            continue
        if token.startswith("-") and len(token) > 1:
            token, negate = token[1:], True
        elif token == "-" and not negate:
            continue
        if negate:
            if re.search(r"\w", token):
                excluded.append(token)
            negate = False
            continue
        kept.append(token)
    while kept and kept[-1] in ("AND", "OR"):
        kept.pop()
    while kept and kept[0] in ("AND", "OR"):
        kept.pop(0)
    return " ".join(kept), excluded


def has_words(text: str, stop_words: frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` has a word to search for: not only operators, nor (with
    ``stop_words``) only stop words, which a query leaves out when it has other words."""
    return any(_WORD.search(token) and token not in ("AND", "OR", "NOT") and token.strip('"').lower() not in stop_words
               for token in text.split())
