"""What members writes to its outbox is what its consumers will read: a contract built without
validation (for speed) still validates, field for field, when read back."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.members import PersonUpdatedV1
from services.members.domain import TerritoryCodes
from services.members.domain.people import create
from services.members.store import contract_mapper
from services.runtime.settings import CentreSettings

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


class TestPersonUpdated:
    def test_reads_back_exactly_as_written(self) -> None:
        _, changed = create(
            first_name="Léa",
            last_name="Le Guen",
            email="Léa.Le-Guen@Exemple.fr",
            now=NOW,
            source="import",
            phone="02 99 00 11 22",
            kind="elected_official",
            territory=TerritoryCodes(commune="35238", qpvs=("QN03502M",)),
        )
        written = contract_mapper(CentreSettings(slug="crpv"))(changed)

        read = PersonUpdatedV1.model_validate_json(written.model_dump_json())

        assert read.model_dump(exclude={"email"}) == written.model_dump(exclude={"email"})
        assert read.email.casefold() == written.email.casefold()  # validation lowers the domain
        assert read.territory.qpvs == ("QN03502M",) and read.territory.department == "35"
        assert read.college.value == "elus" and read.occurred_at == NOW
