"""The centre's bylaws come from ``RESO_MEMBERS_QUORUM_RULES_FILE``; a wrong file stops members at
start with a French error naming the key."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from services.members.app import build_app, governance_rules
from services.members.domain.governance import DEFAULT_QUORUM_RULES, BodyKind
from services.members.settings import MembersSettings
from services.runtime.errors import InvalidInput

BYLAWS = """
[ag]
quorum = "1/3"
college_quorum = "1/4"
max_proxies = 3

[ca]
quorum = "1/2"
strictly_more = true

[bureau]
quorum = "1/2"
max_proxies = 0
"""


def _settings(tmp_path: Path, bylaws: str | None) -> MembersSettings:
    path = None
    if bylaws is not None:
        path = tmp_path / "statuts.toml"
        path.write_text(bylaws, encoding="utf-8")
    return MembersSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", quorum_rules_file=path
    )


class TestQuorumRulesFile:
    def test_without_a_file_the_built_in_rules_apply(self, tmp_path: Path) -> None:
        assert governance_rules(_settings(tmp_path, None)) is DEFAULT_QUORUM_RULES

    def test_reads_the_centres_bylaws_from_the_file(self, tmp_path: Path) -> None:
        rules = governance_rules(_settings(tmp_path, BYLAWS))

        assert (rules[BodyKind.AG].quorum, rules[BodyKind.AG].max_proxies) == (Fraction(1, 3), 3)
        assert rules[BodyKind.CA].strictly_more is True

    def test_members_does_not_start_with_a_mistyped_key_and_names_it(self, tmp_path: Path) -> None:
        wrong = BYLAWS.replace("max_proxies = 3", "max_proxy = 3")

        with pytest.raises(
            InvalidInput, match=r"^Règle de quorum \(assemblée générale\) : « max_proxy »"
        ):
            build_app(_settings(tmp_path, wrong))

    def test_members_does_not_start_when_a_deciding_body_has_no_rule(self, tmp_path: Path) -> None:
        without_bureau = BYLAWS.split("[bureau]")[0]

        with pytest.raises(InvalidInput, match="« bureau » manque"):
            build_app(_settings(tmp_path, without_bureau))

    def test_members_does_not_start_with_a_file_that_is_not_toml(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidInput, match="n'est pas un fichier TOML valide"):
            build_app(_settings(tmp_path, "[ag\nquorum = 1/4"))
