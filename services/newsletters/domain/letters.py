"""Letters: what people subscribe to, and the consent wording each subscription form shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from contracts.base import Theme
from contracts.newsletters import Cadence
from services.runtime.errors import DomainError

CONSENT_WORDING_VERSION = "2026-12"
"""Version of the consent wording below. Change the wording, change the version: a consent
record keeps the exact text shown, and the form sends back the version it showed."""

CADENCES_FR = {
    Cadence.WEEKLY: "chaque semaine",
    Cadence.MONTHLY: "chaque mois",
    Cadence.BIMONTHLY: "tous les deux mois",
    Cadence.QUARTERLY: "chaque trimestre",
    Cadence.IRREGULAR: "à parution",
}


class LetterUnavailable(DomainError):
    """A letter that does not exist or takes no new subscriptions."""

    code = "invalid"


@dataclass
class Letter:
    """A letter of the centre: its name, themes (none: every theme), cadence, sender and the
    template set its issues are composed with. An inactive letter takes no new subscription."""

    id: uuid.UUID
    slug: str
    name: str
    description: str
    themes: tuple[Theme, ...]
    cadence: Cadence
    sender_name: str
    sender_email: str
    template_set: str = "default"
    active: bool = True
    created_at: datetime | None = field(default=None, compare=False)

    def consent_wording(self) -> str:
        """The exact text the subscription form shows next to this letter (French)."""
        return (
            f"J'accepte de recevoir par e-mail la lettre « {self.name} » "
            f"({CADENCES_FR[self.cadence]}), envoyée par {self.sender_name}. Mon adresse ne sert "
            "qu'à cet envoi ; je peux me désabonner à tout moment par le lien présent dans "
            "chaque lettre."
        )
