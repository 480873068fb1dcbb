"""The subscription rules without I/O: signed links, the RFC 8058 headers, the consent wording,
the inactivity rule and reading a CSV file of existing subscribers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote

import pytest

from contracts.base import Theme
from contracts.newsletters import Cadence
from services.newsletters.domain import (
    Letter,
    LinkDurations,
    LinkGone,
    Subscriber,
    SubscriptionLinks,
)
from services.newsletters.domain.imports import UNREADABLE, parse_subscribers
from services.runtime.errors import InvalidInput

SECRET = "unit-tests-newsletters-secret-0123"
NOW = datetime(2030, 1, 15, 9, 0, tzinfo=UTC)


def _links(**durations: timedelta) -> SubscriptionLinks:
    return SubscriptionLinks(
        SECRET,
        "https://crpv.example.org/",
        "desabonnement@crpv.example.org",
        LinkDurations(**durations),
    )


class TestListUnsubscribeHeaders:
    def test_carry_an_https_url_and_a_mailto_and_the_one_click_post_value(self) -> None:
        subscriber = uuid.uuid4()
        headers = _links().list_unsubscribe_headers(subscriber, "la-minute-pop")

        url, mailto = [part.strip().strip("<>") for part in headers["List-Unsubscribe"].split(",")]
        assert url.startswith("https://crpv.example.org/lettres/desabonnement/")
        assert mailto.startswith("mailto:desabonnement@crpv.example.org?subject=")
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        token = url.rsplit("/", 1)[1]
        assert _links().read_unsubscribe(token) == (subscriber, "la-minute-pop")
        assert token in unquote(mailto)

    def test_an_altered_token_is_refused(self) -> None:
        token = _links().unsubscribe_token(uuid.uuid4(), "culture")
        payload, signature = token.rsplit(".", 1)
        other = _links().unsubscribe_token(uuid.uuid4(), "sante").rsplit(".", 1)[0]

        with pytest.raises(InvalidInput):
            _links().read_unsubscribe(f"{other}.{signature}")
        with pytest.raises(InvalidInput):
            _links().read_unsubscribe(f"{payload}.{signature[:-2]}xx")

    def test_another_secret_does_not_read_it(self) -> None:
        token = _links().unsubscribe_token(uuid.uuid4(), "culture")
        other = SubscriptionLinks(
            "another-secret-of-sixteen", "https://x", "a@b.c", LinkDurations()
        )

        with pytest.raises(InvalidInput):
            other.read_unsubscribe(token)


class TestTimedLinks:
    def test_a_confirmation_link_names_its_subscriber_and_letters(self) -> None:
        subscriber = uuid.uuid4()
        url = _links().confirm_url(subscriber, ["sante", "culture"])

        token = url.split("jeton=", 1)[1]
        assert _links().read_confirm(token) == (subscriber, ("culture", "sante"))

    def test_an_expired_confirmation_link_is_gone(self) -> None:
        url = _links().confirm_url(uuid.uuid4(), ["culture"])

        with pytest.raises(LinkGone):
            _links(confirm=timedelta(seconds=-1)).read_confirm(url.split("jeton=", 1)[1])

    def test_a_preferences_link_does_not_confirm_and_the_reverse(self) -> None:
        subscriber = uuid.uuid4()
        preferences = _links().preferences_url(subscriber).split("jeton=", 1)[1]
        confirm = _links().confirm_url(subscriber, ["culture"]).split("jeton=", 1)[1]

        with pytest.raises(InvalidInput):
            _links().read_confirm(preferences)
        with pytest.raises(InvalidInput):
            _links().read_preferences(confirm)


class TestConsentWording:
    def test_names_the_letter_its_cadence_and_its_sender(self) -> None:
        letter = Letter(
            uuid.uuid4(),
            "culture",
            "Lettre Culture",
            "",
            (Theme.CULTURE,),
            Cadence.QUARTERLY,
            "CRPV de Bretagne",
            "contact@crpv.example.org",
        )

        wording = letter.consent_wording()
        assert "« Lettre Culture »" in wording
        assert "chaque trimestre" in wording
        assert "CRPV de Bretagne" in wording
        assert "désabonner à tout moment" in wording


class TestInactivity:
    def test_three_years_without_activity_calls_for_review_and_activity_lifts_the_flag(
        self,
    ) -> None:
        subscriber = Subscriber(
            uuid.uuid4(), "a@example.org", NOW, last_activity_at=NOW - timedelta(days=3 * 365)
        )
        subscriber.flagged_inactive_at = NOW

        assert subscriber.inactive_since_long(NOW)
        subscriber.active(NOW)
        assert not subscriber.inactive_since_long(NOW)
        assert subscriber.flagged_inactive_at is None


class TestReadingAnImportFile:
    def test_reads_an_office_export_with_its_consent_dates_and_lists_bad_rows(self) -> None:
        data = (
            "Courriel;Prénom;Département;Commune;Date de consentement\r\n"
            "awa@example.org;Awa;35;35238;12/03/2024\r\n"
            "AWA@example.org;Awa;;;\r\n"
            "yann@example.org;Yann;;;\r\n"
            "pas-une-adresse;X;;;\r\n"
            "zoe@example.org;Zoé;;;31/02/2024\r\n"
            "lou@example.org;Lou;35;44109;\r\n"
            "tom@example.org;Tom;;;01/01/2031\r\n"
        ).encode("cp1252")

        parsed = parse_subscribers(data, date(2025, 6, 30), date(2030, 1, 15))

        assert (parsed.encoding, parsed.delimiter, parsed.read) == ("windows-1252", ";", 7)
        assert [(r.email, r.consented_at.date()) for r in parsed.rows] == [
            ("awa@example.org", date(2024, 3, 12)),
            ("yann@example.org", date(2025, 6, 30)),
        ]
        assert parsed.rows[0].profile.commune == "35238"
        assert [line for line, _ in parsed.warnings] == [3]
        assert [line for line, _ in parsed.errors] == [5, 6, 7, 8]

    def test_refuses_a_file_without_an_email_column(self) -> None:
        parsed = parse_subscribers(b"nom;prenom\nDiallo;Awa\n", None, date(2030, 1, 1))

        assert parsed.refused
        assert "email" in parsed.errors[0][1]

    def test_reads_old_mac_line_ends_and_refuses_an_unreadable_file_without_crashing(self) -> None:
        TODAY = date(2030, 1, 1)
        mac = parse_subscribers(b"email\ra@example.org\rb@example.org\r", TODAY, TODAY)
        broken = parse_subscribers(b"email\n" + b"a" * 200_000, TODAY, TODAY)

        assert [row.email for row in mac.rows] == ["a@example.org", "b@example.org"]
        assert broken.refused
        assert broken.errors == [(1, UNREADABLE)]
