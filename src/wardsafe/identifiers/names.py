"""Person names: rules for how names appear on badges, screens, whiteboards and in speech, and a gate on
the spaCy model's PERSON entities.

Rules (each works on one line at a time, so a name never runs across a line break):

- a title: Mr, Mrs, Ms, Miss, Mx, Dr, Doctor, Nurse, Sister, Matron, Prof ... then capitalised words;
- a label: ``Name:``, ``Patient:``, ``Surname:``, ``Consultant:`` ... then the words that follow;
- speech: "my name is ...", "name's ...", "call me ...";
- a badge: a line of capitalised words directly above a role ("Sarah Jones" / "Therapeutic Radiographer"),
  or before a dash or comma and a role on the same line;
- a surname in capitals after a first name or an initial ("Tom BAKER", "J. SMITH"), or before one
  ("BAKER, Tom");
- a first name and a surname from the name lists ("Maria Lopez");
- a whiteboard: the words after a bay or bed number ("Bay 2 - J. SMITH").

The spaCy model's PERSON entities are kept when a word in them is a listed name or in no list at all;
ordinary words it takes for a name ("Oxygen in use") are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from wardsafe.identifiers.model import IdentifierType as T
from wardsafe.identifiers.name_lists import NameLists
from wardsafe.identifiers.recognizers import Span, SpanRecognizer

TITLES = frozenset(
    "mr mrs ms miss mx dr doctor nurse sister matron prof professor sr rev revd sir dame lady lord master".split()
)
# Words that end a run of name words: roles, departments, field labels, ward vocabulary and the makers and
# models of ward equipment (spaCy takes "Elekta Synergy" for a person). A role word
# after a name also marks the line above as a badge's name line.
ROLE_WORDS = frozenset(
    """
    nurse sister doctor radiographer therapeutic diagnostic staff consultant registrar physician surgeon
    therapist physiotherapist physio occupational healthcare assistant support worker midwife matron manager
    lead specialist practitioner advanced clinical student volunteer porter receptionist pharmacist technician
    technologist dietitian dietician radiologist oncologist sonographer phlebotomist anaesthetist paramedic
    housekeeper domestic administrator coordinator co-ordinator secretary officer senior junior charge deputy
    head chief trainee apprentice medical nursing dosimetrist physicist engineer scientist psychologist
    counsellor chaplain mentor educator director fellow houseman sho fy1 fy2 gp hca rn rgn ward
    """.split()
)
STOP_WORDS = ROLE_WORDS | frozenset(
    """
    bay bed beds room department dept unit clinic hospital trust nhs foundation centre center service services
    team exit fire door entrance reception toilet lift stairs oxygen emergency stop patient patients name dob
    mrn no number date birth age sex gender address tel phone mobile email ext bleep hello my is the and of in
    for to on at with from please thank thanks you your good morning afternoon evening today tomorrow
    yesterday allergies allergy weight height admitted discharge discharged consent machine linac scanner
    ct mri xray x-ray pet scan treatment radiotherapy chemotherapy oncology outpatients theatre theatres
    general visiting visitors hours keep shut open closed push pull caution warning danger laser radiation
    controlled area authorised only hand hands hygiene wash gel mask masks apron gloves clean dirty sluice
    utility store cupboard kitchen office side day night shift handover notes plan status obs nbm nil by mouth
    surname forename forenames first given family full last print signed signature contact kin nok
    elekta varian siemens philips toshiba canon accuray cyberknife tomotherapy truebeam halcyon ethos synergy
    versa infinity unity aria mosaiq eclipse monaco brainlab exactrac healthineers mindray baxter alaris
    fresenius stryker arjo welch allyn datix cerner epic lorenzo medtronic olympus dräger drager
    """.split()
)
LABELS = (
    r"patient(?:'?s)?\s+name|name|patient|pt|surname|forenames?|first\s+names?|family\s+name|given\s+names?"
    r"|full\s+name|last\s+name|consultant|named\s+nurse|nurse|doctor|dr|gp|nok|next\s+of\s+kin|contact"
    r"|clinician|key\s*worker|radiographer|carer|relative|visitor|signed|signature|print\s+name|staff\s+member"
    r"|in\s+charge|nurse\s+in\s+charge|nic|seen\s+by|booked\s+by|checked\s+by"
)
# Cues after which the next words on the line (or, at the end of a line, the next line) are a name.
_LABEL = re.compile(rf"(?i:\b(?:{LABELS}))[ \t]*[:=][ \t]*")
_SPEECH = re.compile(
    r"(?i:\b(?:(?:my|your|his|her|their|the\s+patient'?s?)\s+name\s+is|name'?s|call\s+me|i'?m\s+called))[ \t]*"
)
_BAY = re.compile(r"(?i:\b(?:bay|bed|side\s*room|room|chair|cubicle|trolley)[ \t]*\d{1,3}[a-z]?)[ \t]*[-:–—.)=]?[ \t]*")
# Letters and digits together are one token, so that OCR's "D0B" or "RXH123" is not read as initials.
_TOKEN = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*\.?|[^\w\s]")
_SEPARATORS = frozenset("-–—|,:/")


@dataclass(frozen=True)
class Token:
    """One token of a line: letters and digits (inner apostrophes or hyphens, maybe a final dot) or one sign."""

    text: str
    start: int
    end: int

    @property
    def word(self) -> str:
        """The token without a final dot, e.g. ``J`` for ``J.``."""
        return self.text.rstrip(".")

    @property
    def is_word(self) -> bool:
        """Whether the token is made of letters (with inner apostrophes or hyphens)."""
        return bool(self.word) and all(c.isalpha() or c in "'’-" for c in self.word) and self.word[0].isalpha()

    @property
    def is_initial(self) -> bool:
        """A single capital, with or without a dot ("J.", "J")."""
        return len(self.word) == 1 and self.word.isupper()

    @property
    def is_caps(self) -> bool:
        """An all-capitals word of two letters or more ("BAKER")."""
        letters = [c for c in self.word if c.isalpha()]
        return len(letters) >= 2 and all(c.isupper() for c in letters)

    @property
    def is_camel(self) -> bool:
        """A word with a capital inside ("TrueBeam", "iPad"): a brand, not a name ("McDonald", "O'Brien" are)."""
        if self.is_caps:
            return False
        for part in re.split(r"[-'’]", self.word):
            prefix = 4 if part[:3].lower() == "mac" and len(part) > 4 else 3 if part[:2].lower() == "mc" else 1
            if any(c.isupper() for c in part[prefix:]):
                return True
        return False

    @property
    def lower(self) -> str:
        """The word in lower case, without a final dot."""
        return self.word.lower()

    @property
    def is_title(self) -> bool:
        """Whether the word is a title such as Mr, Dr or Nurse."""
        return self.lower in TITLES

    @property
    def is_stop(self) -> bool:
        """Whether the word ends a run of name words."""
        return self.lower in STOP_WORDS or self.lower in TITLES

    @property
    def is_capitalised(self) -> bool:
        """A word that starts with a capital and is not a title or a stop word."""
        return self.is_word and self.word[0].isupper() and not self.is_stop


def tokens_of(text: str, start: int, end: int) -> list[Token]:
    """The tokens of ``text[start:end]``, with offsets into ``text``."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text, start, end)]


def name_evidence(lists: NameLists, tok: Token) -> bool:
    """Whether a word speaks for a name: a listed name that is no ordinary word, or a plain word in no list
    (a rarer name) that is not a brand-like "TrueBeam" or a short code like "LS"."""
    w = tok.word.lower()
    # The plural of an ordinary word ("Sharps", "Stairs") is listed as a surname but reads as the word.
    if w.endswith("s") and lists.is_common(w[:-1]) and not lists.is_first(w[:-1]):
        return False
    if lists.is_only_name(tok.word):
        return True
    return lists.is_unknown(tok.word) and len(tok.word) >= 3 and not tok.is_camel and tok.word.isalpha()


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of ``text``."""
    for m in re.finditer(r"[^\n]+", text):
        yield m.span()


def name_run(tokens: list[Token], i: int, max_words: int = 3, any_case: bool = False) -> int:
    """The end index of the run of name words starting at ``tokens[i]`` (``i`` when there is none).

    A run is up to ``max_words`` capitalised words (initials included), e.g. "J. SMITH", "Sarah Jane Jones";
    with ``any_case`` (after a strong cue such as "Name:") lower-case words count too. The run must hold
    at least one word longer than an initial. "BAKER, Tom" (surname, comma, forename) is one run.
    """
    j, words = i, 0
    while j < len(tokens) and words < max_words:
        tok = tokens[j]
        if tok.is_capitalised or (any_case and tok.is_word and not tok.is_stop):
            j, words = j + 1, words + 1
            continue
        # "BAKER, Tom": a comma after a capitalised surname, then a forename.
        if (
            tok.text == ","
            and words == 1
            and tokens[j - 1].is_caps
            and j + 1 < len(tokens)
            and tokens[j + 1].is_capitalised
            and not tokens[j + 1].is_caps
        ):
            j += 1
            continue
        break
    if not any(not t.is_initial for t in tokens[i:j] if t.is_word):
        return i
    return j


class NameRulesRecognizer(SpanRecognizer):
    """Person names found by layout and wording rules, helped by the first-name and surname lists."""

    ENTITIES = (T.NAME,)

    def __init__(self, lists: NameLists) -> None:
        super().__init__()
        self.lists = lists

    def spans(self, text: str) -> Iterable[Span]:
        """Names in ``text``."""
        lines = list(_lines(text))
        line_tokens = [tokens_of(text, s, e) for s, e in lines]
        for n, ((start, end), toks) in enumerate(zip(lines, line_tokens, strict=True)):
            yield from self._cued(text, (start, end), toks, line_tokens[n + 1] if n + 1 < len(lines) else [])
            yield from self._by_lists(toks)
            if n + 1 < len(lines):
                yield from self._badge_line(toks, line_tokens[n + 1])
            yield from self._badge_same_line(toks)

    @staticmethod
    def _span(tokens: list[Token], i: int, j: int, score: float) -> Span:
        words = [t for t in tokens[i:j] if t.is_word]
        return T.NAME, words[0].start, words[-1].end, score

    def _cued(self, text: str, line: tuple[int, int], toks: list[Token], next_line: list[Token]) -> Iterator[Span]:
        """Names after a title, a label ("Name:"), a spoken introduction ("my name is") or a bay number."""
        for i, tok in enumerate(toks):
            if tok.is_title and tok.is_word:
                j = name_run(toks, i + 1)
                if j > i + 1:
                    yield self._span(toks, i + 1, j, 0.9)
        starts = {t.start: i for i, t in enumerate(toks)}
        for cue, any_case, score in ((_LABEL, True, 0.9), (_SPEECH, False, 0.9), (_BAY, False, 0.8)):
            for m in cue.finditer(text, *line):
                if m.end() == line[1] and cue is not _BAY:
                    # The cue ends the line: the name is on the next one ("Hello my name is" / "Sarah").
                    j = name_run(next_line, 0, any_case=True)
                    if j > 0:
                        yield self._span(next_line, 0, j, score)
                    continue
                at = starts.get(m.end())
                if at is None:
                    continue
                i = at
                j = name_run(toks, i, any_case=any_case)
                if j > i and (cue is not _BAY or self._plausible(toks[i:j])):
                    yield self._span(toks, i, j, score)

    def _plausible(self, toks: list[Token]) -> bool:
        """Whether capitalised words could be a name: one is a listed name, unlisted, or an initial and a word."""
        words = [t for t in toks if t.is_word]
        if any(t.is_initial for t in words) and len(words) > 1:
            return True
        return any(name_evidence(self.lists, t) for t in words if not t.is_initial)

    def _by_lists(self, toks: list[Token]) -> Iterator[Span]:
        """A first name (or initial) and a surname: "Tom BAKER", "J. SMITH", "BAKER, Tom", "Maria Lopez"."""
        lists = self.lists
        for i in range(len(toks) - 1):
            a, b = toks[i], toks[i + 1]
            if not (a.is_word and b.is_word) or a.is_stop or b.is_stop:
                continue
            # In an all-capitals line ("FIRE EXIT") only a first name that is no ordinary word counts.
            first_ok = a.is_initial or (
                a.word[0].isupper() and lists.is_first(a.word) and (not a.is_caps or lists.is_only_name(a.word))
            )
            # A surname in capitals after a first name or initial: "Tom BAKER", "J. SMITH".
            if first_ok and b.is_caps and (lists.is_last(b.word) or not lists.is_common(b.word)):
                j = i + 2
                if j < len(toks) and toks[j].is_caps and not toks[j].is_stop and not lists.is_common(toks[j].word):
                    j += 1
                yield self._span(toks, i, j, 0.85)
            # A listed first name that is no ordinary word, then a name-like word: "Maria Lopez", "Maria Okonkwo".
            elif (
                not a.is_initial
                and a.word[0].isupper()
                and b.word[0].isupper()
                and lists.is_only_name(a.word)
                and lists.is_first(a.word)
                and name_evidence(lists, b)
            ):
                yield self._span(toks, i, i + 2, 0.7)
        # "BAKER, Tom" / "SMITH, J."
        for i in range(len(toks) - 2):
            a, comma, b = toks[i], toks[i + 1], toks[i + 2]
            if (
                comma.text == ","
                and a.is_caps
                and not a.is_stop
                and (lists.is_last(a.word) or not lists.is_common(a.word))
                and b.is_word
                and not b.is_stop
                and (b.is_initial or (not b.is_caps and lists.is_first(b.word)))
            ):
                yield self._span(toks, i, i + 3, 0.8)

    def _name_line(self, toks: list[Token]) -> bool:
        """Whether a whole line looks like a person's name (a badge's first line)."""
        words = [t for t in toks if t.is_word]
        if not 1 <= len(words) <= 4 or len(words) != len([t for t in toks if t.text not in ".,"]):
            return False
        if not all(t.is_capitalised or t.is_initial for t in words):
            return False
        first = next((t for t in words if not t.is_initial), None)
        return first is not None and (self.lists.is_first(first.word) or self._plausible(words))

    @staticmethod
    def _role_line(toks: list[Token]) -> bool:
        """Whether a line names a role ("Therapeutic Radiographer", "Staff Nurse", "Healthcare Assistant")."""
        words = [t for t in toks if t.is_word]
        return bool(words) and len(words) <= 6 and any(t.lower in ROLE_WORDS for t in words)

    def _badge_line(self, toks: list[Token], next_toks: list[Token]) -> Iterator[Span]:
        """A badge: the line above a role line is a name line."""
        if toks and self._role_line(next_toks) and self._name_line(toks):
            yield self._span(toks, 0, len(toks), 0.85)

    def _badge_same_line(self, toks: list[Token]) -> Iterator[Span]:
        """A badge written on one line: "Sarah Jones — Therapeutic Radiographer", "Sarah Jones, Staff Nurse"."""
        for i, tok in enumerate(toks):
            if tok.text in _SEPARATORS and i > 0 and self._role_line(toks[i + 1 :]):
                if self._name_line(toks[:i]):
                    yield self._span(toks, 0, i, 0.85)
                return


class NameModelRecognizer(SpacyRecognizer):
    """The spaCy model's PERSON entities (mapped to NAME), checked against the word lists.

    en_core_web_sm tags some capitalised signs as people ("Oxygen in use"); a span is kept at the model's
    score when one of its words is a listed name or in no list, and dropped when all are ordinary words.
    """

    def __init__(self, lists: NameLists) -> None:
        super().__init__(supported_entities=[str(T.NAME)], ner_strength=0.85)
        self.lists = lists

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """PERSON spans from the model whose words look like a name, trimmed of titles and spaces."""
        kept = []
        for result in super().analyze(text, entities, nlp_artifacts):
            # The model's spans can run past a name ("Emma Clarke - Healthcare", or over a line break):
            # keep each run of name-like words on one line that has a word speaking for a name.
            run: list[Token] = []
            for tok in [*tokens_of(text, result.start, result.end), None]:
                if tok is not None and run and "\n" in text[run[-1].end : tok.start]:
                    kept.extend(self._run_result(result, run))
                    run = []
                # Names are written with capitals; a lower-case word ends the run ("Sharps bin").
                if tok is not None and (tok.is_capitalised or tok.is_initial):
                    run.append(tok)
                    continue
                kept.extend(self._run_result(result, run))
                run = []
        return kept

    def _run_result(self, result: RecognizerResult, run: list[Token]) -> list[RecognizerResult]:
        """A result for ``run`` when one of its words speaks for a name."""
        if not any(name_evidence(self.lists, t) for t in run if t.is_word and not t.is_initial):
            return []
        return [
            RecognizerResult(
                entity_type=result.entity_type,
                start=run[0].start,
                end=run[-1].end,
                score=result.score,
                recognition_metadata=result.recognition_metadata,
            )
        ]
