"""Korean text → sentences of lemmas, for the answer check (Kiwi, loaded lazily, once).

Kiwi (`kiwipiepy`; its model ships inside the PyPI package `kiwipiepy_model`) splits a text
into sentences and morphemes. Each sentence becomes a list of ``Lemma``: particles, endings,
하다/되다 and auxiliary verbs are dropped, verbs keep their dictionary stem, every negation or
reversal word becomes ``NOT``, loanwords and English terms are mapped to one form through the
bank's table of equivalent words, and numbers and identifiers (0.25, 1,024, β1, L2) become one
token each. Clause numbers inside a sentence let the grader decide which words a negation
covers.

Loading Kiwi takes about 2 s and 0.3 GB (holding the GIL throughout), so it happens once, on
first use or in ``load()`` (the app calls it in a background thread once it is idle,
``ui.resources.start_answer_check_loading``); importing this module is cheap. Kiwi's
multi-word dictionary (proper nouns such as place and product names) is not loaded: it took
another 2 s and 0.2 GB, and the labelled corpus grades the same without it
(benchmarks/bench_grading.py). Its default dictionary is kept: without it 282 of the bank's
2,235 texts analyse differently, although the corpus would grade the same.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

NOT = "NOT"
EQUIVALENTS_FILE = "_equivalents.yaml"

# Connective endings after which a new clause starts (a negation in one clause does not
# reach the other). Endings such as 거나, 지 (in 하지 않다) or 어 (in 느려지다) do not.
_CLAUSE_ENDINGS = frozenset(
    "고 며 으며 지만 는데 은데 ᆫ데 던데 으나 나 면서 으면서 어서 아서 라서 여서 니까 으니까 "
    "므로 으므로 면 으면 거든 다가 어도 아도 더라도 는데도 지만요 서 라 이라 니 으니".split()
)
_NEGATIONS = {
    ("않", "VX"),
    ("못하", "VX"),
    ("말", "VX"),
    ("안", "MAG"),
    ("못", "MAG"),
    ("없", "VA"),
    ("아니", "VCN"),
    ("상관없", "VA"),
    ("관계없", "VA"),
    ("무관하", "VA"),
    ("필요없", "VA"),
}
_DROPPED_FORMS = {"것", "거", "등", "들", "하", "되"}
_ENGLISH_NEGATIONS = {"not", "no", "never", "isn't", "doesn't", "don't", "cannot"}
# Suffixes that mean "per" or "each" (파라미터별 = 파라미터마다): dropped, not glued on.
_DISTRIBUTIVE_SUFFIXES = {"들", "별", "당", "마다"}
_KEPT_TAGS = ("NN", "NR", "NP", "VV", "VA", "MAG", "MM", "XR", "SL", "SH", "SN", "SW", "NA")
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2044": "/"})
# One token for numbers (1,024 · 0.25 · 1e-3 · .5) and for identifiers with digits (β1, L2).
_IDENTIFIER = re.compile(r"[A-Za-zα-ωΑ-Ω]+_?\d+(?:\.\d+)?")
_NUMBER = re.compile(
    r"(?<![A-Za-z\d.,])(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?"
    r"(?![A-Za-z\d])"
)
_ENGLISH_PLURAL = re.compile(r"^([a-z]{3,}[^s])s$")
# Kiwi keeps "…빨라요. β1은 …" together; a full stop, ? or ! before a space always ends one.
_SENTENCE_END = re.compile(r"(?<=[.?!。])\s+|\n+")


@dataclass(frozen=True)
class Lemma:
    text: str
    clause: int
    start: int  # character offsets in the analysed (NFKC) text
    end: int
    number: float | None = None
    adverb: bool = False
    adnominal: bool = False  # a negation inside a relative clause ("켜지지 않는 뉴런")


@dataclass(frozen=True)
class Sentence:
    text: str
    lemmas: tuple[Lemma, ...]


def normalize(text: str) -> str:
    """NFKC, with the Unicode minus, dashes and fraction slash as ASCII."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


def number_value(text: str) -> float:
    return float(text.replace(",", ""))


def number_token(value: float) -> str:
    return format(value, ".12g")


# --- Kiwi, loaded once -------------------------------------------------------------------

_lock = threading.Lock()
_kiwi = None  # ready to use
_constructed = None  # constructed, its first call (which builds internal tables) not yet made


def _construct():
    from kiwipiepy import Kiwi

    return Kiwi(load_multi_dict=False)


def _load():
    global _kiwi
    with _lock:
        if _kiwi is None:
            kiwi = _constructed or _construct()
            kiwi.tokenize("준비")  # the first call builds internal tables
            _kiwi = kiwi
    return _kiwi


def load(between: Callable[[], None] | None = None) -> None:
    """Load Kiwi now, in the calling thread (once: later calls return at once).

    ``between`` is called after the constructor and before the first call, outside the
    lock: each holds the GIL for about a second, and a background load can wait there
    (e.g. until the app is idle) while an answer check finishes the load itself.
    """
    global _constructed
    if between is not None and _kiwi is None:
        with _lock:
            if _kiwi is None and _constructed is None:
                _constructed = _construct()
        between()
    _load()


def is_loaded() -> bool:
    return _kiwi is not None


# --- the table of equivalent words ------------------------------------------------------


@dataclass(frozen=True)
class Equivalents:
    """Phrase → canonical lemma sequence; longest phrases are replaced first."""

    phrases: dict[tuple[str, ...], tuple[str, ...]]
    longest: int

    def apply(self, lemmas: list[Lemma]) -> list[Lemma]:
        out: list[Lemma] = []
        i = 0
        while i < len(lemmas):
            for size in range(min(self.longest, len(lemmas) - i), 0, -1):
                window = lemmas[i : i + size]
                key = tuple(lemma.text for lemma in window)
                canonical = self.phrases.get(key)
                if canonical is not None and len({lemma.clause for lemma in window}) == 1:
                    first, last = window[0], window[-1]
                    out.extend(
                        Lemma(text, first.clause, first.start, last.end) for text in canonical
                    )
                    i += size
                    break
            else:
                out.append(lemmas[i])
                i += 1
        return out


def _raw_lemmas(text: str) -> list[Sentence]:
    """Sentences of lemmas before the equivalence table is applied."""
    text = normalize(text)
    if not text.strip():
        return []
    spans: list[tuple[int, int, str, float | None]] = []
    taken = [False] * len(text)
    for pattern in (_IDENTIFIER, _NUMBER):
        for match in pattern.finditer(text):
            if any(taken[match.start() : match.end()]):
                continue
            start, word = match.start(), match.group()
            if pattern is _NUMBER:
                negative = start > 0 and text[start - 1] == "-"
                negative = negative and (start == 1 or text[start - 2] in " (=:~")
                value = -number_value(word) if negative else number_value(word)
                spans.append((start, match.end(), number_token(value), value))
            else:
                spans.append((start, match.end(), word.lower().replace("_", ""), None))
            for k in range(match.start(), match.end()):
                taken[k] = True
    spans.sort()
    sentences = []
    chunks, offset = [], 0
    for piece in _SENTENCE_END.split(text):
        offset = text.index(piece, offset)
        chunks.append((offset, piece))
        offset += len(piece)
    kiwi_sentences = [
        (offset, sentence)
        for offset, piece in chunks
        if piece.strip()
        for sentence in _load().split_into_sents(piece, return_tokens=True)
    ]
    for chunk_offset, sentence in kiwi_sentences:
        lemmas: list[Lemma] = []
        clause = 0
        used_spans: set[int] = set()
        pending_prefix = ""
        previous_tag = ""
        conditional_ends: set[int] = set()
        skip_next = False
        tokens = sentence.tokens
        for index, token in enumerate(tokens):
            if skip_next:  # the 가능 of 불가능, already emitted
                skip_next = False
                continue
            start, end, form = chunk_offset + token.start, chunk_offset + token.end, token.form
            tag = token.tag.split("-")[0]  # VA-I, VV-R: irregular conjugation classes
            after = [(t.form, t.tag.split("-")[0]) for t in tokens[index + 1 : index + 3]]
            previous_form = tokens[index - 1].form if index else ""
            span_index = next(
                (i for i, (s, e, _, _) in enumerate(spans) if s < end and start < e), None
            )
            if span_index is not None:
                if span_index not in used_spans:
                    used_spans.add(span_index)
                    s, e, canonical, value = spans[span_index]
                    lemmas.append(Lemma(canonical, clause, s, e, value))
                continue
            if _permission(form, tag, after):
                continue  # "지나지 않아도 되다" (need not): not a denial of the clause
            if (
                (tag == "EC" and form in _CLAUSE_ENDINGS)
                or tag in ("MAJ", "SF")
                or (tag == "EC" and form in ("어", "아", "여") and after and after[0][1] != "VX")
            ):
                clause += 1
                if form in ("면", "으면"):
                    conditional_ends.add(clause - 1)
                continue
            if tag == "SP" and form in ",;":
                clause += 1
                continue
            if form == "안" and previous_form == "밖에":
                continue  # "0.25밖에 안 된다" means "only 0.25": no negation
            if form == "아니" and previous_form in ("뿐", "만"):
                continue  # "A뿐 아니라 B": not only A but also B
            if (form, tag) == ("없이", "MAG"):  # "지수 연산 없이": negates what comes before
                lemmas.append(Lemma(NOT, clause, start, end, adnominal=True))
                continue
            if (form, tag) == ("없", "VA") and after == [("어", "EC"), ("지", "VX")]:
                lemmas.append(Lemma("소실", clause, start, end))  # 없어지다: disappear
                continue
            if (form, tag) in _NEGATIONS or (tag == "SL" and form.lower() in _ENGLISH_NEGATIONS):
                adnominal = bool(after) and after[0][1] == "ETM"
                lemmas.append(Lemma(NOT, clause, start, end, adnominal=adnominal))
                continue
            if tag == "XPN" and form == "불" and after and after[0][0] in ("가능", "필요"):
                lemmas.append(Lemma(after[0][0], clause, start, end))  # 불가능 = 가능 + NOT
                lemmas.append(Lemma(NOT, clause, start, end))
                skip_next = True
                continue
            if tag == "XPN":
                pending_prefix = form
                continue
            # Kiwi sometimes reads 기울기 as 기울/VV + 기/ETN: keep the noun.
            nominal = tag == "ETN" and form == "기" and previous_tag in ("VV", "VA")
            previous_tag = tag
            if tag == "XSN" and form in _DISTRIBUTIVE_SUFFIXES:
                continue
            if (tag == "XSN" and lemmas) or (nominal and lemmas):
                last = lemmas[-1]
                lemmas[-1] = Lemma(last.text + form, last.clause, last.start, end)
                continue
            if not tag.startswith(_KEPT_TAGS) or form in _DROPPED_FORMS:
                continue
            if tag == "SL":
                form = form.lower()
                form = _ENGLISH_PLURAL.sub(r"\1", form)
            if tag in ("VV", "VA") and len(form) > 1 and form.endswith("하"):
                form = form[:-1]  # 곱하다 = 곱 + 하다: Kiwi reads either way
            adverb = tag == "MAG"
            lemmas.append(Lemma(pending_prefix + form, clause, start, end, adverb=adverb))
            pending_prefix = ""
        lemmas = _join_must_clauses(lemmas, conditional_ends)
        sentences.append(Sentence(sentence.text, tuple(lemmas)))
    return sentences


def _permission(form: str, tag: str, after: list[tuple[str, str]]) -> bool:
    """않 + 아도/어도 + 되다: 'need not', which affirms what the clause is about."""
    if (form, tag) == ("않", "VX") and len(after) == 2:
        (ending, ending_tag), (verb, verb_tag) = after
        return ending in ("아도", "어도") and ending_tag == "EC" and verb == "되"
    return (form, tag) in (("아도", "EC"), ("어도", "EC")) and after[:1] == [("되", "VV")]


def _join_must_clauses(lemmas: list[Lemma], conditional_ends: set[int]) -> list[Lemma]:
    """'안 V-면 안 되다' means 'must V': put the second negation into the first clause."""
    by_clause: dict[int, list[int]] = {}
    for i, lemma in enumerate(lemmas):
        by_clause.setdefault(lemma.clause, []).append(i)
    for clause in conditional_ends:
        following = by_clause.get(clause + 1, [])
        if len(following) == 1 and lemmas[following[0]].text == NOT:
            i = following[0]
            lemmas[i] = Lemma(NOT, clause, lemmas[i].start, lemmas[i].end)
    return lemmas


_HANGUL_NOUN = re.compile(r"[가-힣]{2,}")


@functools.lru_cache(maxsize=4)
def _equivalents(path: str) -> Equivalents:
    groups = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    # Single Hangul words of the table are nouns Kiwi must keep whole (역전파, 헤시안,
    # 드롭아웃), whatever their context; verbs end in 다.
    kiwi = _load()
    for word in {str(w) for group in groups for w in group}:
        if _HANGUL_NOUN.fullmatch(word) and not word.endswith("다"):
            kiwi.add_user_word(word, "NNG", 0.0)
    phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for group in groups:
        words = [str(word) for word in group]
        canonical = _phrase_key(words[0])
        for word in words:
            for key in _phrase_keys(word):
                if key and key != canonical and NOT not in key:
                    phrases[key] = canonical
    return Equivalents(phrases, max((len(k) for k in phrases), default=1))


def _as_sentence(phrase: str) -> str:
    # Kiwi reads a lone "사라지다" as a noun; with a full stop it is the verb 사라지다.
    phrase = phrase.strip()
    return phrase + "." if phrase.endswith("다") else phrase


def _phrase_key(phrase: str) -> tuple[str, ...]:
    sentences = _raw_lemmas(_as_sentence(phrase))
    return tuple(lemma.text for sentence in sentences for lemma in sentence.lemmas)


def _phrase_keys(phrase: str) -> set[tuple[str, ...]]:
    """The phrase as Kiwi reads it alone and inside a sentence (작아지다 → 작 or 작아지)."""
    keys = {_phrase_key(phrase)}
    for sentence in _raw_lemmas(phrase.strip()):
        keys.add(tuple(lemma.text for lemma in sentence.lemmas))
    return keys


class Analyser:
    """Analyse answers and bank phrases with one table of equivalent words."""

    def __init__(self, equivalents_path: Path | str | None):
        self._path = str(equivalents_path) if equivalents_path else None

    @property
    def equivalents(self) -> Equivalents:
        if self._path is None or not Path(self._path).is_file():
            return Equivalents({}, 1)
        return _equivalents(self._path)

    def sentences(self, text: str) -> list[Sentence]:
        table = self.equivalents
        return [Sentence(s.text, tuple(table.apply(list(s.lemmas)))) for s in _raw_lemmas(text)]

    @functools.lru_cache(maxsize=20_000)  # noqa: B019 - one analyser per bank folder
    def phrase(self, phrase: str) -> tuple[str, ...]:
        """A bank phrase as its lemma sequence (all sentences joined)."""
        sentences = self.sentences(_as_sentence(phrase))
        return tuple(lemma.text for s in sentences for lemma in s.lemmas)


@functools.lru_cache(maxsize=8)
def analyser_for(questions_dir: str) -> Analyser:
    return Analyser(Path(questions_dir) / EQUIVALENTS_FILE)
