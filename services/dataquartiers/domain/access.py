"""Who may read a dataset: open datasets everyone, restricted ones named partners under an
agreement.

The model, kept simple on purpose: a staff account of role ``data`` carries an optional partner
name (``reso staff add EMAIL --role data --partner NAME``). Without one it belongs to the
centre's own data team, the trusted third party that receives, checks and publishes the files;
it reads every dataset. With one it belongs to that partner, and reads a restricted dataset only
while the dataset is shared with that partner name (a grant: the agreement's reference and its
first and last days). Nobody else (anonymous, public pages, ``staff`` or ``admin`` accounts)
reads restricted data: they get the open datasets and the territory sheets, built from open
data only. Statistical secrecy applies to restricted data too: a partner reads what is
published, never a raw value.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from services.dataquartiers.domain.datasets import OPEN, PUBLISHED, RESTRICTED, Dataset
from services.runtime.errors import Conflict, DomainError, InvalidInput

DATA_ROLE = "data"


class Forbidden(DomainError):
    """The reader may not read this dataset (the gateway answers 403)."""

    code = "forbidden"


@dataclass(frozen=True, slots=True)
class Grant:
    dataset_id: uuid.UUID
    partner: str
    agreement: str
    starts_on: date
    ends_on: date | None
    granted_at: datetime
    granted_by: str

    def in_force(self, today: date) -> bool:
        return self.starts_on <= today and (self.ends_on is None or today <= self.ends_on)


@dataclass(frozen=True, slots=True)
class Reader:
    email: str
    role: str
    partner: str | None = None

    @property
    def data_team(self) -> bool:
        """The centre's own data team: role ``data``, no partner."""
        return self.role == DATA_ROLE and not self.partner


def may_read(dataset: Dataset, reader: Reader | None, grants: list[Grant], today: date) -> bool:
    """Whether ``reader`` may read the published values of ``dataset`` on ``today``."""
    if dataset.access == OPEN:
        return True
    if reader is None or reader.role != DATA_ROLE:
        return False
    if reader.data_team:
        return True
    wanted = _partner_key(reader.partner or "")
    return any(_partner_key(g.partner) == wanted and g.in_force(today) for g in grants)


def check_shareable(dataset: Dataset, starts_on: date, ends_on: date | None) -> None:
    if dataset.access != RESTRICTED:
        raise InvalidInput(
            "Ce jeu de données est ouvert à tous : seul un jeu restreint se partage avec un "
            "partenaire."
        )
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput("La fin de la convention précède son début.")


def check_readable(dataset: Dataset) -> None:
    if dataset.status != PUBLISHED:
        raise Conflict("Ce jeu de données n'est pas encore publié : ses valeurs ne sortent pas.")


def _partner_key(name: str) -> str:
    return " ".join(name.split()).casefold()
