"""The fee schedule a centre configures: dues by member type and kind, and by population bracket
for the kinds that have brackets (local authorities). Loaded from a mapping or TOML."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any, Literal

from services.runtime.errors import InvalidInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MemberType = Literal["organisation", "person"]


class InvalidFeeSchedule(InvalidInput):
    """The fee schedule a centre configured does not hold together; raised when it is loaded."""


def money(value: object, what: str, error: type[InvalidInput] = InvalidInput) -> Decimal:
    """Euros to the cent: from a Decimal, an int, a str or a float (as JSON and TOML give them)."""
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise InvalidOperation
        amount = Decimal(str(value))
        if amount.is_finite() and amount == amount.quantize(CENT):
            return amount.quantize(CENT)
    except InvalidOperation:
        pass
    raise error(f"{what} : montant en euros au centime près attendu, reçu {value!r}.")


# --- Fee schedule ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bracket:
    """Dues up to ``up_to_population`` inhabitants included; None: no cap."""

    up_to_population: int | None
    fee: Decimal


@dataclass(frozen=True)
class Tariff:
    """Dues of one member type: by population bracket for the kinds priced so, else by kind,
    else the default."""

    default: Decimal
    by_kind: Mapping[str, Decimal] = field(default_factory=dict)
    by_population: Mapping[str, tuple[Bracket, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        fees = [("default", self.default), *self.by_kind.items()]
        fees += [(kind, b.fee) for kind, brackets in self.by_population.items() for b in brackets]
        if negative := [name for name, fee in fees if fee < 0]:
            raise InvalidFeeSchedule(
                f"Barème des cotisations : la cotisation « {negative[0]} » est négative."
            )
        if twice := sorted(set(self.by_kind) & set(self.by_population)):
            raise InvalidFeeSchedule(
                f"Barème des cotisations : « {twice[0]} » a un tarif fixe et des tranches."
            )
        for kind, brackets in self.by_population.items():
            caps = [b.up_to_population for b in brackets]
            if not caps or caps[-1] is not None:
                raise InvalidFeeSchedule(
                    f"Barème des cotisations : les tranches de « {kind} » doivent finir par une "
                    "tranche sans plafond."
                )
            bounded = [c for c in caps[:-1] if type(c) is int and c > 0]
            if len(bounded) < len(caps) - 1 or any(a >= b for a, b in pairwise(bounded)):
                raise InvalidFeeSchedule(
                    f"Barème des cotisations : les plafonds de population de « {kind} » doivent "
                    "être des entiers positifs strictement croissants."
                )

    def fee_for(self, member_kind: str, population: int | None) -> Decimal:
        brackets = self.by_population.get(member_kind)
        if brackets is None:
            return self.by_kind.get(member_kind, self.default)
        if population is None:
            raise InvalidInput(
                f"La population est nécessaire pour calculer la cotisation ({member_kind}).",
                field="population",
            )
        if population < 0:
            raise InvalidInput("La population ne peut pas être négative.", field="population")
        return next(
            b.fee
            for b in brackets
            if b.up_to_population is None or population <= b.up_to_population
        )


@dataclass(frozen=True)
class FeeSchedule:
    """What members pay per year; build it with :meth:`from_mapping` from settings or a file."""

    organisations: Tariff
    people: Tariff

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FeeSchedule:
        """Read ``{"organisations": TARIFF, "people": TARIFF}`` where a TARIFF is
        ``{"default": "50.00", "by_kind": {kind: fee}, "by_population": [{"kinds": [kind, …],
        "brackets": [{"up_to_population": 10000, "fee": "100.00"}, …,
        {"fee": "600.00"}]}]}``: only ``default`` is required; the last bracket has no
        ``up_to_population`` (or null)."""
        _only(data, {"organisations", "people"}, "barème")
        return cls(_tariff(data, "organisations"), _tariff(data, "people"))

    def fee_for(
        self, member_type: MemberType, member_kind: str, population: int | None = None
    ) -> Decimal:
        """The yearly dues; ``population`` is required for a kind priced by population."""
        tariff = self.organisations if member_type == "organisation" else self.people
        return tariff.fee_for(member_kind, population)


def _only(data: object, keys: set[str] | None, where: str) -> Mapping[str, Any]:
    """``data`` as a table with no key outside ``keys`` (None: any key)."""
    if not isinstance(data, Mapping):
        raise InvalidFeeSchedule(f"Barème des cotisations : « {where} » doit être une table.")
    if keys is not None and (unknown := sorted(set(data) - keys)):
        raise InvalidFeeSchedule(f"Barème des cotisations : clé inconnue « {where}.{unknown[0]} ».")
    return data


def _tariff(schedule: Mapping[str, Any], where: str) -> Tariff:
    data = _only(schedule.get(where), {"default", "by_kind", "by_population"}, where)
    if "default" not in data:
        raise InvalidFeeSchedule(f"Barème des cotisations : « {where}.default » manque.")
    fees = _only(data.get("by_kind", {}), None, f"{where}.by_kind")
    by_population: dict[str, tuple[Bracket, ...]] = {}
    for i, table in enumerate(data.get("by_population", [])):
        at = f"{where}.by_population[{i}]"
        table = _only(table, {"kinds", "brackets"}, at)
        brackets = []
        for j, bracket in enumerate(table.get("brackets", [])):
            bracket = _only(bracket, {"up_to_population", "fee"}, f"{at}.brackets[{j}]")
            fee = money(bracket.get("fee"), f"{at}.brackets[{j}].fee", InvalidFeeSchedule)
            brackets.append(Bracket(bracket.get("up_to_population"), fee))
        kinds = table.get("kinds")
        if not kinds or not isinstance(kinds, list):
            raise InvalidFeeSchedule(f"Barème des cotisations : « {at}.kinds » manque.")
        for kind in kinds:
            if kind in by_population:
                raise InvalidFeeSchedule(
                    f"Barème des cotisations : « {kind} » est tarifé deux fois."
                )
            by_population[kind] = tuple(brackets)
    return Tariff(
        default=money(data["default"], f"{where}.default", InvalidFeeSchedule),
        by_kind={k: money(v, f"{where}.by_kind.{k}", InvalidFeeSchedule) for k, v in fees.items()},
        by_population=by_population,
    )


# Plausible defaults for demos and tests. Each centre adopts its own schedule at its general
# assembly and configures it (settings, or a TOML/JSON file read into FeeSchedule.from_mapping).
DEFAULT_FEE_SCHEDULE = FeeSchedule.from_mapping(
    tomllib.loads("""
    [organisations]
    default = "100.00"
    [organisations.by_kind]
    association = "30.00"
    social_centre = "30.00"
    state_service = "150.00"
    social_landlord = "300.00"

    [[organisations.by_population]]
    kinds = ["commune", "epci"]
    brackets = [
        { up_to_population = 10_000, fee = "100.00" },
        { up_to_population = 50_000, fee = "300.00" },
        { up_to_population = 200_000, fee = "600.00" },
        { fee = "1200.00" },  # no cap
    ]

    [[organisations.by_population]]
    kinds = ["departement", "region"]
    brackets = [{ up_to_population = 1_000_000, fee = "1500.00" }, { fee = "3000.00" }]

    [people]
    default = "20.00"
    by_kind = { inhabitant = "0.00" }
    """)
)


# --- Membership ------------------------------------------------------------------------------
