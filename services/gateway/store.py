"""The gateway's own tables: staff accounts and their hashed API tokens, and the sessions of
people signed in to their personal space (hashed too)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Column, Index, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.runtime.store import UtcDateTime, utcnow

metadata = MetaData()

staff = Table(
    "staff",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("partner", String(200), nullable=True),  # a data partner's name (role data)
)


person_sessions = Table(
    "person_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("person_id", String(36), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_person_sessions_person", "person_id"),
)


staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", String(36), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_staff_sessions_staff", "staff_id"),
)


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    DATA = "data"


@dataclass(frozen=True)
class StaffMember:
    """A staff account. ``partner``: for role ``data``, the partner organisation it belongs to
    (reads the restricted datasets shared with that partner); None: the centre's own staff."""

    id: str
    email: str
    role: Role
    partner: str | None = None


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 is the right hash (no need to stretch)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "reso_" + secrets.token_urlsafe(32)


class StaffStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, email: str, role: Role, partner: str | None = None) -> str:
        """Create a staff account; returns its token (shown once, only the hash is kept)."""
        token = new_token()
        async with self._engine.begin() as connection:
            await connection.execute(
                insert(staff).values(
                    id=str(uuid.uuid4()),
                    email=email.strip().casefold(),
                    role=role.value,
                    token_hash=hash_token(token),
                    created_at=utcnow(),
                    partner=" ".join(partner.split()) if partner else None,
                )
            )
        return token

    async def by_token(self, token: str) -> StaffMember | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(staff.c.id, staff.c.email, staff.c.role, staff.c.partner).where(
                        staff.c.token_hash == hash_token(token), staff.c.revoked_at.is_(None)
                    )
                )
            ).first()
        return StaffMember(row.id, row.email, Role(row.role), row.partner) if row else None


@dataclass(frozen=True)
class StaffAccount:
    """A staff account as ``reso staff list`` shows it (never its token)."""

    email: str
    role: Role
    partner: str | None
    created_at: datetime
    revoked_at: datetime | None


class StaffAccounts:
    """What ops do to staff accounts: list them, revoke one, give one a new token.

    Revoking or rotating closes the account's back-office sessions in the same transaction:
    the old token and every browser signed in with it stop working at once."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list(self) -> list[StaffAccount]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(
                    staff.c.email, staff.c.role, staff.c.partner, staff.c.created_at,
                    staff.c.revoked_at,
                ).order_by(staff.c.email)
            )  # fmt: skip
            return [
                StaffAccount(row.email, Role(row.role), row.partner, row.created_at, row.revoked_at)
                for row in rows
            ]

    async def revoke(self, email: str) -> bool:
        """Revoke the account's token (False: no such live account)."""
        return await self._replace(email, revoked_at=utcnow()) is not None

    async def rotate(self, email: str) -> str | None:
        """A new token for a live or revoked account (shown once); the old one stops working."""
        token = new_token()
        changed = await self._replace(email, token_hash=hash_token(token), revoked_at=None)
        return token if changed is not None else None

    async def _replace(self, email: str, **values: object) -> str | None:
        address = email.strip().casefold()
        async with self._engine.begin() as connection:
            condition = staff.c.email == address
            if "token_hash" not in values:
                condition = condition & staff.c.revoked_at.is_(None)
            staff_id = (
                await connection.execute(select(staff.c.id).where(condition))
            ).scalar_one_or_none()
            if staff_id is None:
                return None
            await connection.execute(update(staff).where(staff.c.id == staff_id).values(**values))
            await connection.execute(
                delete(staff_sessions).where(staff_sessions.c.staff_id == staff_id)
            )
            return str(staff_id)


@dataclass(frozen=True)
class PersonSession:
    token: str
    person_id: uuid.UUID
    expires_at: datetime


class PersonSessions:
    """Sessions opened by a sign-in link: a random token in a cookie, only its hash stored."""

    def __init__(self, engine: AsyncEngine, lifetime: timedelta) -> None:
        self._engine = engine
        self._lifetime = lifetime

    async def open(self, person_id: uuid.UUID) -> PersonSession:
        token = secrets.token_urlsafe(32)
        now = utcnow()
        session = PersonSession(token, person_id, now + self._lifetime)
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(person_sessions).where(person_sessions.c.expires_at < now)
            )
            await connection.execute(
                insert(person_sessions).values(
                    token_hash=hash_token(token),
                    person_id=str(person_id),
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
        return session

    async def person(self, token: str) -> uuid.UUID | None:
        """Whose session this is, while it lasts."""
        async with self._engine.connect() as connection:
            found = (
                await connection.execute(
                    select(person_sessions.c.person_id).where(
                        person_sessions.c.token_hash == hash_token(token),
                        person_sessions.c.expires_at > utcnow(),
                    )
                )
            ).scalar()
        return uuid.UUID(found) if found else None

    async def close(self, token: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(person_sessions).where(person_sessions.c.token_hash == hash_token(token))
            )

    async def close_all(self, person_id: uuid.UUID) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(person_sessions).where(person_sessions.c.person_id == str(person_id))
            )


class StaffSessions:
    """Browser sessions of staff in the back office: a random token in the ``reso_staff``
    cookie, only its hash stored. The role is read from the staff account at each request, so
    revoking the account or changing its role takes effect at once."""

    def __init__(self, engine: AsyncEngine, lifetime: timedelta) -> None:
        self._engine = engine
        self._lifetime = lifetime

    async def open(self, member: StaffMember) -> tuple[str, datetime]:
        token = secrets.token_urlsafe(32)
        now = utcnow()
        expires_at = now + self._lifetime
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(staff_sessions).where(staff_sessions.c.expires_at < now)
            )
            await connection.execute(
                insert(staff_sessions).values(
                    token_hash=hash_token(token),
                    staff_id=member.id,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return token, expires_at

    async def member(self, token: str) -> StaffMember | None:
        """The staff account of a live session (None once expired, closed or revoked)."""
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(staff.c.id, staff.c.email, staff.c.role, staff.c.partner)
                    .join(staff_sessions, staff_sessions.c.staff_id == staff.c.id)
                    .where(
                        staff_sessions.c.token_hash == hash_token(token),
                        staff_sessions.c.expires_at > utcnow(),
                        staff.c.revoked_at.is_(None),
                    )
                )
            ).first()
        return StaffMember(row.id, row.email, Role(row.role), row.partner) if row else None

    async def close(self, token: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(staff_sessions).where(staff_sessions.c.token_hash == hash_token(token))
            )
