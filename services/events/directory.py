"""The members service as the calls' directory of organisations and people (by RPC).

Behind the domain's ``OrganisationDirectory`` and ``ApplicantDirectory`` protocols, so a local
projection built from members' events can replace it without touching the use cases.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from contracts.members import GetOrganisationV1, GetPersonV1, OrganisationV1, PersonV1
from services.events.domain.calls import PARIS, ApplicantCard, Clock, OrganisationCard
from services.runtime.errors import Unavailable
from services.runtime.rpc import RpcClient, RpcError


class MembersDirectory:
    """Asks ``rpc.members.organisation.get.v1`` and ``rpc.members.person.get.v1``."""

    def __init__(self, rpc: RpcClient, clock: Clock) -> None:
        self._rpc = rpc
        self._clock = clock

    async def organisation(self, organisation_id: uuid.UUID) -> OrganisationCard | None:
        try:
            reply = await self._rpc.call(
                GetOrganisationV1(organisation_id=organisation_id), OrganisationV1
            )
        except RpcError as error:
            _unless_missing(error)
            return None
        return OrganisationCard(
            id=reply.organisation_id,
            name=reply.name,
            kind=reply.kind.value,
            archived=reply.archived_at is not None,
        )

    async def applicant(self, person_id: uuid.UUID) -> ApplicantCard | None:
        try:
            reply = await self._rpc.call(GetPersonV1(person_id=person_id), PersonV1)
        except RpcError as error:
            _unless_missing(error)
            return None
        today = datetime.astimezone(self._clock(), PARIS).date()
        return ApplicantCard(
            person_id=reply.person_id,
            first_name=reply.first_name,
            last_name=reply.last_name,
            email=str(reply.email),
            organisation_ids=frozenset(
                tie.organisation_id
                for tie in reply.affiliations
                if tie.start <= today and (tie.end is None or tie.end >= today)
            ),
        )


def _unless_missing(error: RpcError) -> None:
    """Not found is an answer; anything else means members cannot tell now (retry later)."""
    if error.error.code != "not_found":
        raise Unavailable(f"members: {error.error.code}: {error.error.message}") from error
