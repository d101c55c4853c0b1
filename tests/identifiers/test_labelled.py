"""Precision and recall on the hand-labelled set in labelled.py, with the real model and lists.

Run ``python tests/identifiers/test_labelled.py`` for the figures, the misses and ms per call.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from wardsafe.identifiers import IdentifierAnalyzer, find_identifiers
from wardsafe.identifiers.model import Identifier


@dataclass
class Scores:
    """Word-level and identifier-level counts over the labelled set."""

    words_tp: int = 0
    words_fp: int = 0
    words_fn: int = 0
    spans: int = 0
    spans_hidden: int = 0
    spans_typed: int = 0

    @property
    def precision(self) -> float:
        return self.words_tp / max(1, self.words_tp + self.words_fp)

    @property
    def recall(self) -> float:
        return self.words_tp / max(1, self.words_tp + self.words_fn)


def _truth_spans(text: str, labels: list[tuple[str, str]]) -> list[tuple[str, int, int]]:
    spans, taken = [], set()
    for kind, value in labels:
        for m in re.finditer(re.escape(value), text):
            if m.start() not in taken:
                taken.add(m.start())
                spans.append((kind, m.start(), m.end()))
                break
        else:
            raise AssertionError(f"label {value!r} not in {text!r}")
    return spans


def score(
    analyzer: IdentifierAnalyzer, cases: list[tuple[str, list[tuple[str, str]]]], misses: list[str] | None = None
) -> Scores:
    """Scores of the analyzer on ``cases``; ``misses`` collects a line per wrong word or span."""
    s = Scores()
    for text, labels in cases:
        truth = _truth_spans(text, labels)
        found: list[Identifier] = find_identifiers(text, analyzer=analyzer)
        for m in re.finditer(r"\S+", text):
            is_id = any(a < m.end() and m.start() < b for _, a, b in truth)
            flagged = any(i.overlaps(*m.span()) for i in found)
            if is_id and flagged:
                s.words_tp += 1
            elif flagged:
                s.words_fp += 1
                if misses is not None:
                    misses.append(f"false alarm {m.group()!r} in {text!r}")
            elif is_id:
                s.words_fn += 1
                if misses is not None:
                    misses.append(f"missed {m.group()!r} in {text!r}")
        for kind, a, b in truth:
            s.spans += 1
            chars = [k for k in range(a, b) if not text[k].isspace()]
            if all(any(i.start <= k < i.end for i in found) for k in chars):
                s.spans_hidden += 1
                if any(i.type == kind and i.overlaps(a, b) for i in found):
                    s.spans_typed += 1
                elif misses is not None:
                    misses.append(f"hidden but typed {[i.type.value for i in found if i.overlaps(a, b)]} "
                                  f"not {kind}: {text[a:b]!r}")
    return s


def _sets() -> dict[str, list[tuple[str, list[tuple[str, str]]]]]:
    # Imported here, so that this file also runs as a script (see main).
    from identifiers.labelled import CASES, HELD_OUT

    return {"tuning set": CASES, "held-out set": HELD_OUT}


@pytest.mark.parametrize("name", ["tuning set", "held-out set"])
def test_precision_and_recall_on_the_labelled_sets(analyzer: IdentifierAnalyzer, name: str) -> None:
    misses: list[str] = []
    s = score(analyzer, _sets()[name], misses)
    assert s.recall >= 0.95, misses
    assert s.precision >= 0.95, misses
    assert s.spans_hidden / s.spans >= 0.95, misses


def main() -> None:
    """Print the scores, the misses and the time per call."""
    from wardsafe.identifiers import IdentifierSettings, get_analyzer

    t0 = time.perf_counter()
    analyzer = get_analyzer(IdentifierSettings())
    print(f"analyzer built in {time.perf_counter() - t0:.2f} s")
    for name, cases in _sets().items():
        misses: list[str] = []
        s = score(analyzer, cases, misses)
        print("\n".join(misses))
        print(
            f"{name} ({len(cases)} texts) words: precision {s.precision:.3f} recall {s.recall:.3f} "
            f"(tp {s.words_tp}, fp {s.words_fp}, fn {s.words_fn}); identifiers fully hidden "
            f"{s.spans_hidden}/{s.spans}, with the right type {s.spans_typed}/{s.spans}"
        )
    line = "Patient: Tom BAKER  DOB 23/06/1945  NHS No 115 631 8645"
    words = ("Good morning Mrs Okafor, I am Sarah, one of the radiographers looking after you today. " * 8).split()
    paragraph = " ".join(words[:100])
    for name, text in (("OCR line", line), ("100-word paragraph", paragraph)):
        find_identifiers(text, analyzer=analyzer)
        n = 50
        t0 = time.perf_counter()
        for _ in range(n):
            find_identifiers(text, analyzer=analyzer)
        print(f"{name}: {(time.perf_counter() - t0) / n * 1000:.1f} ms per call")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
