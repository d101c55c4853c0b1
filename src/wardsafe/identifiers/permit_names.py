"""Names a permit lists: names to hide wherever they appear, and the patient's own name to leave readable.

``hide_names`` ("Sam Patel") hide the full name, any part alone ("Sam", "PATEL") and an initial with the
surname ("S. Patel"), in any case, whether or not a recogniser found them; parts of four letters or more
are also matched through OCR's digit-for-letter confusions ("Pate1"). ``keep_names`` ("Maria Lopez") take
the words of the patient's own name (and its initials) out of recognised names; a name to hide wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from wardsafe.identifiers.model import Identifier
from wardsafe.identifiers.model import IdentifierType as T
from wardsafe.identifiers.names import TITLES, tokens_of
from wardsafe.identifiers.recognizers import Span, SpanRecognizer

_PART = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
# Digits and signs that OCR puts in place of letters; only used for parts of four letters or more.
_LOOKALIKES = {"o": "o0", "i": "il1|!", "l": "li1|", "s": "s5", "b": "b8", "z": "z2", "e": "e3", "a": "a4@", "g": "g9"}


def name_parts(name: str) -> list[str]:
    """The words of a name without titles, in lower case: "Dr Sam Patel" -> ["sam", "patel"]."""
    return [p.lower() for p in _PART.findall(name) if p.lower() not in TITLES]


def _part_regex(part: str) -> str:
    """A regex for one name part; long parts tolerate OCR look-alikes ("Pate1" for "Patel")."""
    if len(part) < 4:
        return re.escape(part)
    return "".join(f"[{re.escape(_LOOKALIKES[c])}]" if c in _LOOKALIKES else re.escape(c) for c in part)


def _name_regexes(name: str) -> list[re.Pattern[str]]:
    """Full name, initial(s) + surname, and each part alone (at least two letters)."""
    parts = name_parts(name)
    if not parts:
        return []
    sep = r"[\s.,]+"
    patterns = [sep.join(_part_regex(p) for p in parts)]
    if len(parts) > 1:
        initials = r"[\s.]*".join(re.escape(p[0]) for p in parts[:-1])
        patterns.append(rf"{initials}[\s.]+{_part_regex(parts[-1])}")
        patterns.append(rf"{re.escape(parts[0][0])}[\s.]+{_part_regex(parts[-1])}")
    patterns += [_part_regex(p) for p in parts if len(p) >= 2]
    # Boundaries: not inside a longer word (digits count as letters here: "Pate1" is a whole word).
    return [re.compile(rf"(?<![^\W_])(?:{p})(?![^\W_])", re.IGNORECASE) for p in patterns]


class PermitNamesRecognizer(SpanRecognizer):
    """The permit's names to hide, as an ad-hoc Presidio recogniser for one call (score 1.0)."""

    ENTITIES = (T.NAME,)
    NAME = "PermitNamesRecognizer"

    def __init__(self, names: Iterable[str]) -> None:
        super().__init__(name=self.NAME)
        self.patterns = [p for name in names for p in _name_regexes(name)]

    def spans(self, text: str) -> Iterator[Span]:
        """Every occurrence of a listed name, or of a part of one."""
        for pattern in self.patterns:
            for m in pattern.finditer(text):
                yield T.NAME, m.start(), m.end(), 1.0


class KeepNames:
    """The patient's own names: a recognised name made only of their parts is left readable."""

    def __init__(self, keep_names: Sequence[str], hide_names: Sequence[str]) -> None:
        kept = {p for name in keep_names for p in name_parts(name)}
        hidden = {p for name in hide_names for p in name_parts(name)}
        self.parts = kept - hidden
        self.initials = {p[0] for p in self.parts} - {p[0] for p in hidden}

    def __bool__(self) -> bool:
        return bool(self.parts)

    def _kept(self, word: str, whole: str) -> bool:
        w = word.lower()
        return w in self.parts or w in TITLES or (len(whole) == 1 and w in self.initials)

    def trim(self, text: str, found: Identifier) -> list[Identifier]:
        """``found`` without the words of the kept names: nothing when it is all theirs ("Maria LOPEZ"),
        the rest when it is not ("Maria Patel" with Patel to hide -> "Patel"). Other types pass unchanged."""
        if found.type is not T.NAME or not self.parts:
            return [found]
        out: list[Identifier] = []
        run: list[tuple[int, int]] = []
        for tok in [*tokens_of(text, found.start, found.end), None]:
            if tok is not None and not (tok.is_word and self._kept(tok.lower, tok.word)):
                if tok.is_word or run:
                    run.append((tok.start, tok.end))
                continue
            while run and not text[run[-1][0] : run[-1][1]][:1].isalnum():
                run.pop()  # a trailing comma or dash is not part of the name
            if run:
                out.append(Identifier(found.type, run[0][0], run[-1][1], found.score, found.source))
            run = []
        return out
