"""JSON API routes under ``/api/v1``, and the dependencies they share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.gateway.auth import require_role
from services.gateway.store import Role, StaffMember
from services.runtime.rpc import RpcClient


def rpc_client(request: Request) -> RpcClient:
    """The gateway's request/reply client (built in the composition root)."""
    rpc: RpcClient = request.app.state.rpc
    return rpc


Rpc = Annotated[RpcClient, Depends(rpc_client)]
"""A route parameter of this type gets the RPC client."""

Staff = Annotated[StaffMember, Depends(require_role(Role.ADMIN, Role.STAFF))]
"""A route parameter of this type lets through only staff with the role admin or staff."""
