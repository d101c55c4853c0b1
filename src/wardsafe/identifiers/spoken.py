"""Identifiers in speech: spoken forms normalised to written ones, then the shared recognisers, then back
to the words (and so the times) they came from.

Speech recognition writes numbers as they were said or oddly ("nine four three", "double seven", "oh",
"943, 476, 591, 9", "for one two"), and dates in words ("the fourteenth of March nineteen sixty one").
:func:`normalise` turns a list of timed words into *phrases*: a run of digits becomes one phrase of digits,
a spoken date one phrase "14 March 1961", every other word stays itself. The recognisers run on the joined
phrases; an identifier that touches a phrase hides all of it, so a partly recognised number or date hides
the whole phrase. A long run of digits that no recogniser claims is hidden too, and so is a spoken day and
month, with what was said in the 2 s after it (a year, misheard); words the recogniser was unsure of next to
an identifier join it (uncertain means hide).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from wardsafe.identifiers.analyzer import IdentifierAnalyzer, find_identifiers
from wardsafe.identifiers.model import IdentifierType
from wardsafe.identifiers.names import STOP_WORDS, TITLES
from wardsafe.identifiers.permit_names import KeepNames

_UNITS = {"zero": 0, "nought": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
          "six": 6, "seven": 7, "eight": 8, "nine": 9}
# Words Whisper writes for a digit said among other digits ("for one two"); only read as digits there.
_SOUNDALIKES = {"for": 4, "to": 2, "too": 2, "won": 1, "ate": 8, "no": 0, "low": 0}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
             "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
             "twentieth": 20, "thirtieth": 30}
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]
_MONTH_OF = {m: m for m in _MONTHS} | {m[:3]: m for m in _MONTHS} | {"sept": "september"}
_REPEATS = {"double": 2, "triple": 3, "treble": 3}
# A run of this many digits that no recogniser claims is still hidden: a hospital, NHS or phone number
# misheard by a digit is no less identifying.
UNCLAIMED_DIGITS = 6
NUMBER_KIND = "NUMBER"
# Uncertain means hide: a word next to an identifier that the recogniser is less than UNSURE_P sure of is
# probably part of it misheard (the second half of a name, the last digit of a year: "1970 line." for
# "nineteen seventy nine"), so up to UNSURE_WORDS such words on each side join it (common short words only
# on the way to another: see _with_unsure_neighbours).
UNSURE_P = 0.5
UNSURE_WORDS = 3
# A day and month heard without a year: a year was probably said and misheard (a date of birth is nearly
# always said with one), so the words begun within YEAR_S seconds after the month are hidden too.
YEAR_S = 2.0
_YEAR_WRITTEN = re.compile(r"\d{4}|'\d{2}")


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word: its text as the recogniser wrote it, start and end in seconds, and 0..1 confidence."""

    text: str
    start_s: float
    end_s: float
    probability: float = 1.0


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words ``first`` to ``last`` (inclusive) written as ``text``; ``digits`` when it is a run of digits."""

    first: int
    last: int
    text: str
    digits: bool = False
    date: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """An identifier in speech: its type and the words it covers (indices into the word list), no value."""

    kind: str
    first: int
    last: int


def _core(text: str) -> str:
    """A word without surrounding punctuation, in lower case ("Afford." -> "afford")."""
    return re.sub(r"^[^\w']+|[^\w']+$", "", text.strip()).lower()


def _digit_group(core: str) -> str | None:
    """Digits of a word made only of digits and separators ("943," "-476591." "07700"), else None."""
    if re.fullmatch(r"[\d,\-]*\d[\d,\-]*", core):
        return re.sub(r"\D", "", core)
    return None


def _hyphen_parts(core: str) -> list[str]:
    return [p for p in re.split(r"[-\s]", core) if p]


def _small_number(cores: Sequence[str], i: int) -> tuple[int, int] | None:
    """A cardinal 1-99 said in words at ``i`` ("fourteen", "twenty one", "twenty-one"): (value, words used)."""
    if i >= len(cores):
        return None
    parts = _hyphen_parts(cores[i])
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS and _UNITS[parts[1]]:
        return _TENS[parts[0]] + _UNITS[parts[1]], 1
    word = cores[i]
    if word in _TEENS:
        return _TEENS[word], 1
    if word in _TENS:
        nxt = cores[i + 1] if i + 1 < len(cores) else ""
        if nxt in _UNITS and _UNITS[nxt] and nxt not in ("oh", "o"):
            return _TENS[word] + _UNITS[nxt], 2
        return _TENS[word], 1
    if word in _UNITS and word not in ("oh", "o", "zero", "nought"):
        return _UNITS[word], 1
    return None


def _day(cores: Sequence[str], i: int) -> tuple[int, int] | None:
    """A day of the month at ``i``: "14th", "14", "fourteenth", "twenty first", "twenty-first"."""
    if i >= len(cores):
        return None
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", cores[i])
    if m:
        return int(m.group(1)), 1
    parts = _hyphen_parts(cores[i])
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _ORDINALS:
        return _TENS[parts[0]] + _ORDINALS[parts[1]], 1
    if cores[i] in _ORDINALS:
        return _ORDINALS[cores[i]], 1
    if cores[i] in _TENS and i + 1 < len(cores) and cores[i + 1] in _ORDINALS and _ORDINALS[cores[i + 1]] < 10:
        return _TENS[cores[i]] + _ORDINALS[cores[i + 1]], 2
    return None


def _year(cores: Sequence[str], i: int) -> tuple[str, int] | None:
    """A year at ``i``: "1961", "'61", "nineteen sixty one", "nineteen oh five", "two thousand and five"."""
    if i >= len(cores):
        return None
    if re.fullmatch(r"\d{4}|'\d{2}", cores[i]):
        return cores[i], 1
    if cores[i] == "two" and i + 1 < len(cores) and cores[i + 1] == "thousand":
        j = i + 2
        if j < len(cores) and cores[j] == "and":
            j += 1
        rest = _small_number(cores, j)
        return (str(2000 + rest[0]), j + rest[1] - i) if rest else ("2000", j - i)
    century = _small_number(cores, i)
    if century is None or not 10 <= century[0] <= 20:
        return None
    j = i + century[1]
    if j < len(cores) and cores[j] in ("oh", "o") and j + 1 < len(cores) and cores[j + 1] in _UNITS:
        return f"{century[0]}0{_UNITS[cores[j + 1]]}", j + 2 - i
    rest = _small_number(cores, j)
    if rest is None or rest[0] < 10:
        return None
    return f"{century[0]}{rest[0]:02d}", j + rest[1] - i


def _date(cores: Sequence[str], i: int) -> tuple[str, int] | None:
    """A spoken date at ``i`` ("[the] fourteenth of March nineteen sixty one", "March the 14th 1961"),
    written as "14 March 1961" (or without the year when none was said): (text, words used). Up to two words
    between the day and the month are taken as misheard ("second on July", "the third year of November")."""
    j = i + (1 if i < len(cores) and cores[i] == "the" else 0)
    day = _day(cores, j)
    if day is not None:
        k = j + day[1]
        gap = next((g for g in range(3) if k + g < len(cores) and cores[k + g] in _MONTH_OF), None)
        if gap is None or any(_digit_group(c) is not None for c in cores[k: k + gap]):
            return None
        named = _MONTH_OF[cores[k + gap]]
        k += gap + 1
        year = _year(cores, k)
        text = f"{day[0]} {named.title()}" + (f" {year[0]}" if year else "")
        return text, k + (year[1] if year else 0) - i
    month = _MONTH_OF.get(cores[i]) if i < len(cores) else None
    if month is None or month == "may" and i + 1 < len(cores) and cores[i + 1] not in ("the",) \
            and _day(cores, i + 1) is None:
        return None
    k = i + 1 + (1 if i + 1 < len(cores) and cores[i + 1] == "the" else 0)
    day = _day(cores, k)
    if day is None:
        return None
    k += day[1]
    year = _year(cores, k)
    if year is None:
        return f"{day[0]} {month.title()}", k - i
    return f"{day[0]} {month.title()} {year[0]}", k + year[1] - i


def _digits(cores: Sequence[str], i: int) -> tuple[str, int] | None:
    """A run of digits at ``i``, said one by one, in groups, with "oh", "double"/"triple", or written by the
    recogniser as numerals ("943, 476, 591, 9"): (the digits, words used). Soundalikes ("for", "to") count
    only between other digits."""
    out: list[str] = []
    k = i
    while k < len(cores):
        word = cores[k]
        group = _digit_group(word)
        if group is not None:
            out.append(group)
        elif word in _REPEATS and k + 1 < len(cores) and (cores[k + 1] in _UNITS or cores[k + 1] in _SOUNDALIKES
                                                          or _digit_group(cores[k + 1])):
            nxt = _digit_group(cores[k + 1]) or str({**_SOUNDALIKES, **_UNITS}[cores[k + 1]])
            out.append(nxt[0] * _REPEATS[word] + nxt[1:])
            k += 1
        elif word in _UNITS:
            out.append(str(_UNITS[word]))
        elif word == "hundred" and out:
            out.append("00")  # "nine hundred" in a phone number is 900
        elif out and (word in _TEENS or word in _TENS):
            # "ten", "forty two" among single digits: a misheard digit or a pair said as a number
            pair = _small_number(cores, k)
            assert pair is not None
            out.append(str(pair[0]))
            k += pair[1] - 1
        elif word in _SOUNDALIKES and out and k + 1 < len(cores) and \
                (cores[k + 1] in _UNITS or _digit_group(cores[k + 1]) is not None):
            out.append(str(_SOUNDALIKES[word]))
        elif word in _SOUNDALIKES and not out and k + 2 < len(cores) and all(
                c in _UNITS or _digit_group(c) is not None for c in cores[k + 1: k + 3]):
            out.append(str(_SOUNDALIKES[word]))
        else:
            break
        k += 1
    digits = "".join(out)
    # A lone "one" or "oh" is a word; two spoken digits or a written numeral is a number.
    if not digits or (k - i == 1 and group_is_word(cores[i])):
        return None
    return digits, k - i


def group_is_word(core: str) -> bool:
    """Whether a single word read as a digit is more likely a plain word ("one", "oh", "to")."""
    return _digit_group(core) is None


def normalise(words: Sequence[Word]) -> list[Phrase]:
    """Timed words as phrases ready for the recognisers (see the module's docstring)."""
    cores = [_core(w.text) for w in words]
    phrases: list[Phrase] = []
    i = 0
    while i < len(words):
        date = _date(cores, i)
        if date is not None:
            phrases.append(Phrase(i, i + date[1] - 1, date[0], date=True))
            i += date[1]
            continue
        run = _digits(cores, i)
        if run is not None:
            phrases.append(Phrase(i, i + run[1] - 1, run[0], digits=True))
            i += run[1]
            continue
        phrases.append(Phrase(i, i, words[i].text.strip()))
        i += 1
    return phrases


def join_phrases(phrases: Sequence[Phrase]) -> tuple[str, list[tuple[int, int]]]:
    """One text of the phrases (spaces between), with each phrase's character span."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for phrase in phrases:
        if parts:
            pos += 1
        spans.append((pos, pos + len(phrase.text)))
        parts.append(phrase.text)
        pos += len(phrase.text)
    return " ".join(parts), spans


# The recognisers see this many phrases at once (with an overlap), so a long recording is not one huge text.
WINDOW = 400
OVERLAP = 40


def find_in_speech(
    words: Sequence[Word],
    hide_names: Sequence[str] = (),
    keep_names: Sequence[str] = (),
    *,
    analyzer: IdentifierAnalyzer | None = None,
) -> list[Finding]:
    """Identifiers in timed words, each as the whole phrases (and so the words) it touches, in order."""
    phrases = normalise(words)
    kept = KeepNames(keep_names, hide_names)
    found: set[Finding] = set()
    start = 0
    while start < len(phrases):
        window = phrases[start: start + WINDOW]
        text, spans = join_phrases(window)
        claimed: set[int] = set()
        for ident in find_identifiers(text, hide_names, keep_names, analyzer=analyzer):
            touched = [n for n, (a, b) in enumerate(spans) if ident.overlaps(a, b)]
            if touched:
                found.add(Finding(str(ident.type), window[touched[0]].first, window[touched[-1]].last))
                claimed.update(touched)
        for first, last in [*titled_names(words, window), *answered_names(words, window)]:
            if not kept.parts or not all(_core(w.text).rstrip(".") in kept.parts | TITLES
                                         for w in words[first: last + 1]):
                found.add(Finding(str(IdentifierType.NAME), first, last))
        for n, phrase in enumerate(window):
            if n in claimed:
                continue
            if phrase.digits and len(phrase.text) >= UNCLAIMED_DIGITS:
                found.add(Finding(NUMBER_KIND, phrase.first, phrase.last))
            elif phrase.date:  # a day and a month said without a year (or one no recogniser took): still a date
                found.add(Finding(str(IdentifierType.DATE), phrase.first, phrase.last))
        if start + WINDOW >= len(phrases):
            break
        start += WINDOW - OVERLAP
    yearless = {p.last for p in phrases if p.date and not _YEAR_WRITTEN.search(p.text)}
    grown = (_with_unsure_neighbours(words, _with_year(words, _with_first_name(words, f), yearless)) for f in found)
    return merge_findings(sorted(grown, key=lambda f: (f.first, f.last)))


def _with_year(words: Sequence[Word], found: Finding, yearless: set[int]) -> Finding:
    """A finding that ends with a day and month said without a year, grown over the words begun within
    ``YEAR_S`` seconds after it (the year, misheard)."""
    if found.last not in yearless:
        return found
    until = words[found.last].end_s + YEAR_S
    last = found.last
    while last + 1 < len(words) and words[last + 1].start_s < until:
        last += 1
    return Finding(found.kind, found.first, last)


def _unsure(word: Word) -> bool:
    """Whether the recogniser was less than ``UNSURE_P`` sure of ``word``."""
    return word.probability < UNSURE_P


def _with_unsure_neighbours(words: Sequence[Word], found: Finding) -> Finding:
    """A finding grown over up to ``UNSURE_WORDS`` words on each side that the recogniser was unsure of. A
    common short word ("and", "a") is taken only on the way to an unsure word that is not one ("Here a
    conference" for "Sarah Thompson"): alone it costs ordinary speech and is seldom a misheard name or digit."""
    first, last = found.first, found.last
    for step in (-1, 1):
        edge = first if step < 0 else last
        k = edge
        for _ in range(UNSURE_WORDS):
            k += step
            if not 0 <= k < len(words) or not _unsure(words[k]):
                break
            if _core(words[k].text) not in _FUNCTION_WORDS:
                edge = k
        first, last = (edge, last) if step < 0 else (first, edge)
    return Finding(found.kind, first, last)


def _with_first_name(words: Sequence[Word], found: Finding) -> Finding:
    """A name grown by the capitalised word before it (a first name the recogniser did not know: "Martyr
    Evans" for "Margaret Evans"); uncertain means hide."""
    if found.kind != str(IdentifierType.NAME) or found.first == 0:
        return found
    before = words[found.first - 1].text.strip()
    core = _core(before)
    if before[:1].isupper() and core.isalpha() and core not in _FUNCTION_WORDS and core != "i":
        return Finding(found.kind, found.first - 1, found.last)
    return found


# Titles that are also ordinary words ("sister", "doctor", "nurse") name a person only when capitalised or
# followed by a word that is not an ordinary word.
_FUNCTION_WORDS = STOP_WORDS | frozenset(
    "a an the will can could would should is are was were be been has have had do does did not who which that "
    "this here there now then just so said says says asked told will'll i we they he she it me us them "
    "about any some".split()
)


# Words before a title word that make it a role ("the nurse", "your doctor") rather than a form of address.
_DETERMINERS = frozenset("the a an your my his her our their this that".split())


def titled_names(words: Sequence[Word], window: Sequence[Phrase]) -> list[tuple[int, int]]:
    """Words named by a spoken title ("Mrs Okafor", "doctor Patel", "Sister Mary Jones"), title included,
    whatever their case (speech recognisers do not always capitalise a name they do not know)."""
    out: list[tuple[int, int]] = []
    for n, phrase in enumerate(window[:-1]):
        if _core(phrase.text).rstrip(".") not in TITLES:
            continue
        if phrase.text.strip()[:1].islower() and n > 0 and _core(window[n - 1].text) in _DETERMINERS:
            continue  # "the nurse looking after you", "your doctor said": a role, not a title before a name
        nxt = window[n + 1]
        core = _core(nxt.text)
        if nxt.digits or not core.isalpha() or core in _FUNCTION_WORDS or core in TITLES:
            continue
        last = nxt.last
        if n + 2 < len(window):
            after = window[n + 2]
            if after.text[:1].isupper() and _core(after.text).isalpha() and _core(after.text) not in _FUNCTION_WORDS:
                last = after.last
        out.append((phrase.first, last))
    return out


# Words after which a name is said: "my name is ...", "can I check your name? ...", "a patient called ...".
_NAME_CUES = frozenset(("name", "name's", "names", "named", "called"))
# A cue word "name" counts when the name follows it at once: at the end of a question or clause ("your name?",
# "name,") or before "is" ("my name is").
_NAME_LINKS = frozenset(("is", "was"))
NAME_WORDS = 3  # at most this many words after a cue are taken as the name


def answered_names(words: Sequence[Word], window: Sequence[Phrase]) -> list[tuple[int, int]]:
    """Names said right after a cue ("my name is there Thompson", "your name? Marguerite events?"): up to
    ``NAME_WORDS`` following words that are capitalised (not common words) or that the recogniser was unsure
    of, which is how an unknown name comes out of it; a common short word only on the way to another."""
    out: list[tuple[int, int]] = []
    for n, phrase in enumerate(window[:-1]):
        core = _core(phrase.text)
        if core not in _NAME_CUES:
            continue
        k = n + 1
        ends_clause = phrase.text.rstrip()[-1:] in "?,:.;"
        if core in ("name", "names") and not ends_clause:
            if _core(window[k].text) not in _NAME_LINKS or window[k].text.rstrip()[-1:] in "?.":
                continue
            k += 1
        last = None
        for m in range(k, min(k + NAME_WORDS, len(window))):
            nxt = window[m]
            text = nxt.text.strip()
            word_core = _core(text)
            if nxt.digits or nxt.date or not word_core.replace("'", "").isalpha():
                break
            capital = text[:1].isupper() and word_core not in _FUNCTION_WORDS and word_core != "i"
            unsure = _unsure(words[nxt.first])
            if not capital and not unsure:
                break
            if word_core not in _FUNCTION_WORDS:
                last = nxt.last
            if text.rstrip()[-1:] in ".?!" and m > k:
                break  # the sentence ends: what follows is not the name
        if last is not None:
            out.append((window[k].first, last))
    return out


def merge_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Overlapping findings as one (the first one's kind), in order."""
    out: list[Finding] = []
    for f in findings:
        if out and f.first <= out[-1].last:
            last = out[-1]
            out[-1] = Finding(last.kind, last.first, max(last.last, f.last))
        else:
            out.append(f)
    return out
