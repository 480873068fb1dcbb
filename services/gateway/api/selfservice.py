"""Self-service routes a person uses without a staff account: sign-up, personal links, and the
personal space behind a session cookie opened by a sign-in link.

Every route under ``/api/v1/me`` acts for the person signed in, never for anyone else: the
person's id comes from their session, not from the request.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import Email, ExportPersonDataV1, PersonDataV1, PersonName
from contracts.members import (
    AccessLinkReplyV1,
    AddAffiliationV1,
    AffiliationV1,
    ErasePersonV1,
    GetPersonSpaceV1,
    JoinNetworkV1,
    LeaveNetworkV1,
    MembershipV1,
    NetworkMembershipV1,
    OpenMembershipV1,
    OrganisationKind,
    OrganisationsFilter,
    OrganisationsPageV1,
    PersonErasureReplyV1,
    PersonKind,
    PersonRegisteredReplyV1,
    PersonSpaceV1,
    PersonV1,
    RedeemAccessLinkV1,
    RedeemedLinkV1,
    RegisterPersonV1,
    RemoveAffiliationV1,
    RequestAccessLinkV1,
    RequestEmailChangeV1,
    SearchOrganisationsV1,
    Territory,
    UpdateAffiliationV1,
    UpdatePersonV1,
)
from services.gateway.api import Rpc
from services.gateway.auth import SESSION_COOKIE, current_person
from services.gateway.errors import ApiError
from services.gateway.security import set_session_cookie
from services.gateway.store import PersonSessions

router = APIRouter(prefix="/api/v1", tags=["self-service"])

Me = Annotated[uuid.UUID, Depends(current_person)]
"""A route parameter of this type is the id of the person signed in (401 otherwise)."""

PERSONAL_DATA_SERVICES = ("members", "newsletters", "events")
"""The services that hold data about people: each answers ``rpc.<service>.person.export.v1``."""

SELF = "self"


class SignUp(BaseModel):
    """What a person gives to sign up: nothing more than needed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: PersonName
    last_name: PersonName
    email: Email


class SignedUp(BaseModel):
    id: uuid.UUID


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email


class Token(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    token: str = Field(min_length=10, max_length=2000, description="The `jeton` of the link.")


class Session(BaseModel):
    person_id: uuid.UUID
    first_name: str
    expires_at: AwareDatetime


class ProfileChanges(BaseModel):
    """What a person may change themself; the address changes through a confirmation link."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: PersonName | None = None
    last_name: PersonName | None = None
    phone: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=200)
    kind: PersonKind | None = None
    territory: Territory | None = None


class DeclaredAffiliation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    organisation_id: uuid.UUID
    role: str = Field(min_length=1, max_length=100)
    start: date
    end: date | None = None


class AffiliationChanges(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: str | None = Field(default=None, min_length=1, max_length=100)
    end: date | None = None
    clear_end: bool = False


class OwnMembership(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100)


class OrganisationChoice(BaseModel):
    id: uuid.UUID
    name: str
    kind: OrganisationKind
    commune: str | None


class Erasure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: bool = Field(description="Must be true: erasing cannot be undone.")


@router.post("/signup", status_code=201, response_model=SignedUp, summary="Sign up (public)")
async def sign_up(body: SignUp, rpc: Rpc) -> SignedUp:
    """Register a person; a confirmation link goes to the address. Signing up again with the
    same address gives the same answer."""
    reply = await rpc.call(
        RegisterPersonV1(first_name=body.first_name, last_name=body.last_name, email=body.email),
        PersonRegisteredReplyV1,
    )
    return SignedUp(id=reply.person_id)


@router.post(
    "/me/link", status_code=202, response_model=AccessLinkReplyV1, summary="Ask for a link"
)
async def request_link(body: LinkRequest, rpc: Rpc) -> AccessLinkReplyV1:
    """A sign-in link goes to a confirmed address, the confirmation link again to one still to
    confirm; the answer is the same for an unknown address."""
    return await rpc.call(RequestAccessLinkV1(email=body.email), AccessLinkReplyV1)


@router.post("/me/confirmation", response_model=RedeemedLinkV1, summary="Confirm a sign-up")
async def confirm_sign_up(body: Token, rpc: Rpc) -> RedeemedLinkV1:
    """The token of the link in the confirmation mail. 410 once it expired."""
    command = RedeemAccessLinkV1(purpose="confirm_signup", token=body.token)
    return await rpc.call(command, RedeemedLinkV1)


@router.post("/me/session", response_model=Session, summary="Sign in with a link")
async def sign_in(body: Token, request: Request, response: Response, rpc: Rpc) -> Session:
    """The token of a sign-in link: opens a session (cookie) and the link stops working."""
    redeemed = await rpc.call(
        RedeemAccessLinkV1(purpose="sign_in", token=body.token), RedeemedLinkV1
    )
    session = await _sessions(request).open(redeemed.person_id)
    set_session_cookie(response, request.app.state.settings, session.token, session.expires_at)
    return Session(
        person_id=redeemed.person_id, first_name=redeemed.first_name, expires_at=session.expires_at
    )


@router.delete("/me/session", status_code=204, response_model=None, summary="Sign out")
async def sign_out(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await _sessions(request).close(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post(
    "/me/email/confirmation", response_model=RedeemedLinkV1, summary="Confirm a new address"
)
async def confirm_new_email(body: Token, rpc: Rpc) -> RedeemedLinkV1:
    command = RedeemAccessLinkV1(purpose="confirm_email", token=body.token)
    return await rpc.call(command, RedeemedLinkV1)


@router.get("/me", response_model=PersonSpaceV1, summary="My personal space")
async def my_space(me: Me, rpc: Rpc) -> PersonSpaceV1:
    """Profile, affiliations, memberships, networks, consents and mandates."""
    return await rpc.call(GetPersonSpaceV1(person_id=me), PersonSpaceV1)


@router.patch("/me", response_model=PersonV1, summary="Change my profile")
async def change_profile(body: ProfileChanges, me: Me, rpc: Rpc) -> PersonV1:
    return await rpc.call(UpdatePersonV1(person_id=me, **body.model_dump(), by=SELF), PersonV1)


@router.post(
    "/me/email", status_code=202, response_model=AccessLinkReplyV1, summary="Change my address"
)
async def change_email(body: LinkRequest, me: Me, rpc: Rpc) -> AccessLinkReplyV1:
    """A link goes to the new address; the address changes once it is followed."""
    return await rpc.call(RequestEmailChangeV1(person_id=me, email=body.email), AccessLinkReplyV1)


@router.get(
    "/me/organisations", response_model=list[OrganisationChoice], summary="Find my organisation"
)
async def find_organisation(q: str, me: Me, rpc: Rpc) -> list[OrganisationChoice]:
    """Organisations of the register whose name matches ``q`` (at most 20), to declare a tie."""
    if len(q.strip()) < 2:
        raise ApiError(422, "invalid", "Tapez au moins deux lettres du nom.")
    page = await rpc.call(
        SearchOrganisationsV1(filter=OrganisationsFilter(q=q[:100]), limit=20),
        OrganisationsPageV1,
    )
    return [
        OrganisationChoice(
            id=o.organisation_id, name=o.name, kind=o.kind, commune=o.territory.commune
        )
        for o in page.items
    ]


@router.post(
    "/me/affiliations",
    status_code=201,
    response_model=AffiliationV1,
    summary="Declare a tie to an organisation",
)
async def declare_affiliation(body: DeclaredAffiliation, me: Me, rpc: Rpc) -> AffiliationV1:
    """The tie waits for the centre's staff to verify it before it gives member-only access."""
    command = AddAffiliationV1(person_id=me, **body.model_dump(), by=SELF)
    return await rpc.call(command, AffiliationV1)


@router.patch(
    "/me/affiliations/{affiliation_id}", response_model=AffiliationV1, summary="Change a tie"
)
async def change_affiliation(
    affiliation_id: int, body: AffiliationChanges, me: Me, rpc: Rpc
) -> AffiliationV1:
    command = UpdateAffiliationV1(
        affiliation_id=affiliation_id, person_id=me, **body.model_dump(), by=SELF
    )
    return await rpc.call(command, AffiliationV1)


@router.delete(
    "/me/affiliations/{affiliation_id}", response_model=AffiliationV1, summary="Withdraw a tie"
)
async def withdraw_affiliation(affiliation_id: int, me: Me, rpc: Rpc) -> AffiliationV1:
    """Only a tie not yet verified; a verified one ends with its end date."""
    command = RemoveAffiliationV1(affiliation_id=affiliation_id, person_id=me, by=SELF)
    return await rpc.call(command, AffiliationV1)


@router.post(
    "/me/memberships", status_code=201, response_model=MembershipV1, summary="Join for a year"
)
async def join_for_a_year(body: OwnMembership, me: Me, rpc: Rpc) -> MembershipV1:
    """Open my individual membership of ``year``: dues from the fee schedule, paid as the centre
    explains; 409 if that year is already open."""
    command = OpenMembershipV1(member_type="person", member_id=me, year=body.year, by=SELF)
    return await rpc.call(command, MembershipV1)


@router.put("/me/networks/{slug}", response_model=NetworkMembershipV1, summary="Join a network")
async def join_network(slug: str, me: Me, rpc: Rpc) -> NetworkMembershipV1:
    """Member at once of an open network; a request staff decide for a closed one."""
    command = JoinNetworkV1(network_slug=slug, person_id=me)
    return await rpc.call(command, NetworkMembershipV1)


@router.delete("/me/networks/{slug}", response_model=NetworkMembershipV1, summary="Leave a network")
async def leave_network(slug: str, me: Me, rpc: Rpc) -> NetworkMembershipV1:
    return await rpc.call(LeaveNetworkV1(network_slug=slug, person_id=me), NetworkMembershipV1)


@router.get("/me/export", summary="Download everything held about me")
async def export_my_data(me: Me, rpc: Rpc) -> JSONResponse:
    """Every service that holds personal data answers for its part; all of them or none (503
    when one cannot answer now: a partial export would mislead)."""
    query = ExportPersonDataV1(person_id=me)
    parts = await asyncio.gather(
        *(
            rpc.call_subject(f"rpc.{service}.person.export.v1", query, PersonDataV1, timeout=30)
            for service in PERSONAL_DATA_SERVICES
        )
    )
    document: dict[str, Any] = {
        "person_id": str(me),
        "exported_at": datetime.now(UTC).isoformat(),
        "services": {part.service: part.data for part in parts},
    }
    return JSONResponse(
        document,
        headers={"Content-Disposition": 'attachment; filename="mes-donnees.json"'},
    )


@router.post("/me/erasure", status_code=204, response_model=None, summary="Erase me")
async def erase_me(body: Erasure, request: Request, me: Me, rpc: Rpc) -> Response:
    """Erase my data in every service and sign me out. Cannot be undone."""
    if not body.confirm:
        raise ApiError(422, "invalid", "Cochez la confirmation : l'effacement est définitif.")
    await rpc.call(ErasePersonV1(person_id=me, requested_by=SELF), PersonErasureReplyV1)
    await _sessions(request).close_all(me)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _sessions(request: Request) -> PersonSessions:
    sessions: PersonSessions = request.app.state.person_sessions
    return sessions
