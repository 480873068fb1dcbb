"""Who may read a dataset: open ones everyone; restricted ones the centre's data team, and a
partner's data accounts while an agreement with that partner is in force."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.dataquartiers.domain.access import Grant, Reader, check_shareable, may_read
from services.dataquartiers.domain.datasets import OPEN, PUBLISHED, RESTRICTED, Dataset
from services.runtime.errors import InvalidInput

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def dataset(access: str) -> Dataset:
    return Dataset(
        id=uuid.uuid4(),
        name="RSA 2023",
        provenance="CAF",
        status=PUBLISHED,
        indicators=("allocataires_rsa_socle",),
        vintages=(2023,),
        values=2,
        summary="",
        created_at=NOW,
        created_by="data@crpv.example.org",
        access=access,
    )


def grant(data: Dataset, partner: str, starts: date, ends: date | None) -> Grant:
    return Grant(data.id, partner, "CONV-1", starts, ends, NOW, "data@crpv.example.org")


class TestMayRead:
    def test_an_open_dataset_is_read_by_anyone(self):
        assert may_read(dataset(OPEN), None, [], date(2026, 12, 2))

    def test_a_restricted_dataset_is_refused_to_anonymous_staff_and_other_partners(self):
        data = dataset(RESTRICTED)
        grants = [grant(data, "Nantes Métropole", date(2026, 1, 1), None)]
        today = date(2026, 12, 2)
        assert not may_read(data, None, grants, today)
        assert not may_read(data, Reader("a@x.org", "admin"), grants, today)
        assert not may_read(data, Reader("s@x.org", "staff"), grants, today)
        assert not may_read(data, Reader("r@x.org", "data", "Rennes Métropole"), grants, today)

    def test_the_partner_reads_it_while_the_agreement_runs_and_the_data_team_always(self):
        data = dataset(RESTRICTED)
        grants = [grant(data, "Nantes Métropole", date(2026, 1, 1), date(2026, 12, 31))]
        partner = Reader("p@nantes.example.org", "data", "nantes  métropole")
        assert may_read(data, partner, grants, date(2026, 12, 31))
        assert not may_read(data, partner, grants, date(2027, 1, 1))
        assert not may_read(data, partner, grants, date(2025, 12, 31))
        assert may_read(data, Reader("d@crpv.example.org", "data"), [], date(2027, 1, 1))


class TestShare:
    def test_only_a_restricted_dataset_is_shared_and_its_dates_must_be_in_order(self):
        with pytest.raises(InvalidInput):
            check_shareable(dataset(OPEN), date(2026, 1, 1), None)
        with pytest.raises(InvalidInput):
            check_shareable(dataset(RESTRICTED), date(2026, 6, 1), date(2026, 1, 1))
        check_shareable(dataset(RESTRICTED), date(2026, 1, 1), date(2026, 1, 1))
