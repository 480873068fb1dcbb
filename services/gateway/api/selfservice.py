"""Self-service routes a person uses without a staff account: sign-up."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from contracts.base import Email, PersonName
from contracts.members import PersonRegisteredReplyV1, RegisterPersonV1
from services.gateway.api import Rpc

router = APIRouter(prefix="/api/v1", tags=["self-service"])


class SignUp(BaseModel):
    """What a person gives to sign up: nothing more than needed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: PersonName
    last_name: PersonName
    email: Email


class SignedUp(BaseModel):
    id: uuid.UUID


@router.post("/signup", status_code=201, response_model=SignedUp, summary="Sign up (public)")
async def sign_up(body: SignUp, rpc: Rpc) -> SignedUp:
    """Register a person. Signing up again with the same address gives the same answer."""
    reply = await rpc.call(
        RegisterPersonV1(first_name=body.first_name, last_name=body.last_name, email=body.email),
        PersonRegisteredReplyV1,
    )
    return SignedUp(id=reply.person_id)
