"""From character spans to words: the text stage hides word boxes, not characters.

OCR gives lines of words, each word with a box. :func:`find_in_words` joins them into one text (words by
spaces, lines by newlines, so that layout rules such as a badge's name line above a role still work),
runs the recognisers once, and says for every word which identifier, if any, it belongs to.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from wardsafe.identifiers.analyzer import IdentifierAnalyzer, find_identifiers
from wardsafe.identifiers.model import Identifier

WordSpan = tuple[int, int]


def word_spans(text: str) -> list[WordSpan]:
    """(start, end) of each whitespace-separated word of ``text``."""
    return [m.span() for m in re.finditer(r"\S+", text)]


def identifiers_by_word(spans: Sequence[WordSpan], found: Sequence[Identifier]) -> list[Identifier | None]:
    """For each word span, the strongest identifier sharing a character with it, or None.

    A word touched by an identifier belongs to it whole ("J.SMITH" is hidden when "SMITH" is a name).
    """
    ordered = sorted(found, key=lambda i: i.start)
    starts = [i.start for i in ordered]
    out: list[Identifier | None] = []
    for start, end in spans:
        best: Identifier | None = None
        # Only identifiers starting before the word ends can overlap it.
        for ident in ordered[: bisect.bisect_left(starts, end)]:
            if ident.overlaps(start, end) and (best is None or ident.score > best.score):
                best = ident
        out.append(best)
    return out


def join_lines(lines: Sequence[Sequence[str]]) -> tuple[str, list[list[WordSpan]]]:
    """One text from lines of words (spaces between words, newlines between lines), with each word's span."""
    parts: list[str] = []
    spans: list[list[WordSpan]] = []
    pos = 0
    for n, words in enumerate(lines):
        if n:
            parts.append("\n")
            pos += 1
        line_spans = []
        for k, word in enumerate(words):
            if k:
                parts.append(" ")
                pos += 1
            parts.append(word)
            line_spans.append((pos, pos + len(word)))
            pos += len(word)
        spans.append(line_spans)
    return "".join(parts), spans


def find_in_words(
    lines: Sequence[Sequence[str]],
    hide_names: Sequence[str] = (),
    keep_names: Sequence[str] = (),
    *,
    analyzer: IdentifierAnalyzer | None = None,
) -> list[list[Identifier | None]]:
    """For OCR output: for each line, for each word, the identifier it belongs to (None for ordinary words).

    Pass one line ``[words]`` for a flat list of words. Offsets in the returned identifiers refer to the
    joined text (see :func:`join_lines`); use them for the type and score, the word index for the box.
    """
    text, spans = join_lines(lines)
    found = find_identifiers(text, hide_names, keep_names, analyzer=analyzer)
    flat = identifiers_by_word([s for line in spans for s in line], found)
    out: list[list[Identifier | None]] = []
    k = 0
    for line in spans:
        out.append(flat[k : k + len(line)])
        k += len(line)
    return out
