"""Unique test data, so tests share servers without cleaning up (STYLE §10)."""

from __future__ import annotations

import uuid


def unique_email(prefix: str = "personne") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}@example.org"


def sign_up_payload(**overrides: str) -> dict[str, str]:
    token = uuid.uuid4().hex[:6]
    payload = {
        "first_name": f"Camille{token}",
        "last_name": "Martin",
        "email": unique_email(),
    }
    payload.update(overrides)
    return payload
