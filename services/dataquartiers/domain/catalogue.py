"""The indicator catalogue: what each indicator is, how it is measured and how it is protected.

The catalogue ships as ``services/dataquartiers/data/catalogue.toml`` (its header documents the
fields). :func:`load_catalogue` reads and checks it; nothing is read at import time. An
indicator's secrecy rule and ``additive`` flag decide what :mod:`.secrecy` does with its values;
``base`` says where the count behind a value comes from: ``"self"`` (the value is the count),
another indicator's id (the poverty rate's households), or nothing, in which case the file must
give it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from contracts.base import Theme
from services.dataquartiers.domain.secrecy import RuleKind, SecrecyRule
from services.dataquartiers.domain.territories import LEVEL_ALIASES, Level
from services.runtime.errors import InvalidInput

SELF = "self"


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    label: str
    definition: str
    unit: str
    source: str
    theme: Theme
    levels: tuple[Level, ...]
    vintages: tuple[int, ...]
    secrecy: SecrecyRule
    additive: bool
    comparability: str = ""
    base: str | None = None
    columns: tuple[str, ...] = ()

    @property
    def is_rate(self) -> bool:
        """A percentage: values must lie between 0 and 100."""
        return self.unit == "%"


class Catalogue:
    """The indicators by id, and by the column names files use for them."""

    def __init__(self, indicators: list[Indicator]) -> None:
        self._by_id = {indicator.id: indicator for indicator in indicators}
        if len(self._by_id) != len(indicators):
            raise InvalidInput("Catalogue : identifiant d'indicateur en double.")
        self._by_column: dict[str, Indicator] = {}
        for indicator in indicators:
            for name in (indicator.id, *indicator.columns):
                other = self._by_column.setdefault(column_key(name), indicator)
                if other is not indicator:
                    raise InvalidInput(
                        f"Catalogue : la colonne « {name} » désigne {other.id} et {indicator.id}."
                    )
        for indicator in indicators:
            if indicator.base not in (None, SELF) and indicator.base not in self._by_id:
                raise InvalidInput(
                    f"Catalogue : {indicator.id} a pour base {indicator.base}, qui n'existe pas."
                )

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, indicator_id: str) -> Indicator | None:
        return self._by_id.get(indicator_id)

    def by_column(self, name: str) -> Indicator | None:
        """The indicator a file's column (or a long file's indicator cell) names."""
        return self._by_column.get(column_key(name))


def column_key(name: str) -> str:
    """How column names are compared: lower case, no spaces, ``-`` as ``_``."""
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read the shipped catalogue (or ``path``); a malformed entry raises ``InvalidInput``."""
    if path is None:
        text = (files("services.dataquartiers") / "data" / "catalogue.toml").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"Catalogue : fichier TOML invalide ({error}).") from None
    return Catalogue([_indicator(entry) for entry in data.get("indicator", [])])


def _indicator(entry: Mapping[str, Any]) -> Indicator:
    name = entry.get("id", "?")
    try:
        rule = entry.get("secrecy", {})
        kind = RuleKind(rule.get("kind", "none"))
        return Indicator(
            id=str(entry["id"]),
            label=str(entry["label"]),
            definition=str(entry["definition"]),
            unit=str(entry["unit"]),
            source=str(entry["source"]),
            theme=Theme(entry["theme"]),
            levels=tuple(LEVEL_ALIASES[str(level).lower()] for level in entry["levels"]),
            vintages=tuple(int(v) for v in entry.get("vintages", ())),
            secrecy=SecrecyRule(kind, int(rule.get("min_count", 0)), rule.get("dominance")),
            additive=bool(entry["additive"]),
            comparability=str(entry.get("comparability", "")),
            base=entry.get("base"),
            columns=tuple(str(c) for c in entry.get("columns", ())),
        )
    except (KeyError, ValueError, TypeError) as error:
        raise InvalidInput(f"Catalogue : indicateur {name} mal décrit ({error!r}).") from None
