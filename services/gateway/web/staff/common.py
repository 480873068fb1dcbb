"""What the back-office pages share: their router and role dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.gateway.auth import require_staff_page
from services.gateway.store import Role, StaffMember

router = APIRouter(include_in_schema=False)

StaffPage = Annotated[StaffMember, Depends(require_staff_page(Role.ADMIN, Role.STAFF))]
"""A page parameter of this type lets through only staff with the role admin or staff (by their
``reso_staff`` session cookie, or a bearer token)."""
