"""Letters, issues and recipients for tests of issues (built in memory)."""

from __future__ import annotations

import uuid
from typing import Any

from contracts.newsletters import Cadence
from services.newsletters.domain import Letter, LinkDurations, SubscriptionLinks
from services.newsletters.domain.issues import Issue, Recipient
from services.runtime.settings import CentreSettings

SECRET = "reso-tests-issues-secret-0123456789"


def letter(slug: str = "la-minute-pop", name: str = "La Minute Pop", **kw: Any) -> Letter:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "slug": slug,
        "name": name,
        "description": "La lettre mensuelle.",
        "themes": (),
        "cadence": Cadence.MONTHLY,
        "sender_name": "CRPV de test",
        "sender_email": "lettres@crpv-test.example.org",
    }
    return Letter(**(values | kw))


def issue(blocks: list[dict[str, Any]] | None = None, **kw: Any) -> Issue:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "letter": "la-minute-pop",
        "number": 7,
        "subject": "Le numéro de décembre",
        "preheader": "L'agenda de l'hiver et les nouvelles données",
        "blocks": blocks
        if blocks is not None
        else [{"type": "editorial", "title": "Édito", "markdown": "Bonne **lecture**."}],
        "audience": {},
    }
    return Issue(**(values | kw))


def recipient(first_name: str | None = "Camille", letter_slug: str = "la-minute-pop") -> Recipient:
    return Recipient(
        subscriber_id=uuid.uuid4(),
        email="camille@example.org",
        first_name=first_name,
        last_name="Martin",
        subscription_id=uuid.uuid4(),
        letter=letter_slug,
    )


def links(centre: CentreSettings) -> SubscriptionLinks:
    return SubscriptionLinks(SECRET, centre.public_url, centre.email, LinkDurations())
