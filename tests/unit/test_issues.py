"""Issues of letters, in memory: the editorial's Markdown is sanitised, the message is in
French with its CSS inlined and the recipient's links in the footer, the archive version carries
no personal link, and an issue's life (schedule, cancel, send) follows its rules."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from contracts.newsletters import CreateIssueV1, IssueStatus, PublicationItem
from services.newsletters.domain.issues import (
    BlockContent,
    IssueNotEditable,
    delivery_message_id,
    editorial_html,
    editorial_text,
    letter_headers,
    list_id,
    render_issue,
    territory_filter,
)
from services.newsletters.handlers.issues import paris_to_utc
from services.runtime.errors import InvalidInput
from services.runtime.settings import CentreSettings
from tests.support.issues import issue, letter, links, recipient

CENTRE = CentreSettings(
    slug="crpv-test",
    name="Centre de ressources politique de la ville de test",
    email="contact@crpv-test.example.org",
    public_url="https://crpv-test.example.org",
)
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

EVENT = {
    "event_id": str(uuid.uuid4()),
    "title": "Rencontre culture et quartiers",
    "summary": "Une matinée d'échanges.",
    "themes": ["culture"],
    "starts_at": "2027-01-14T09:00:00+00:00",
    "ends_at": "2027-01-14T12:00:00+00:00",
    "place": "Maison de quartier du Blosne, 35200 Rennes",
    "url": "https://crpv-test.example.org/agenda/rencontre",
}
DATA = {
    "key": "taux_pauvrete:2021",
    "label": "Taux de pauvreté",
    "theme": "data-et-quartiers",
    "vintage": 2021,
    "territories": 12,
    "url": "https://crpv-test.example.org/donnees/taux_pauvrete/2021",
    "published_at": "2026-11-30T10:00:00+00:00",
}
EVERY_BLOCK = [
    {"type": "editorial", "title": "Édito", "markdown": "Bonne **lecture** !"},
    {"type": "events", "title": "Prochains rendez-vous", "limit": 5},
    {"type": "data", "title": "Nouvelles données", "limit": 5},
    {
        "type": "publications",
        "title": "Publications",
        "items": [
            {
                "title": "Grand Angle n° 12",
                "summary": "La revue du centre.",
                "url": "https://crpv-test.example.org/grand-angle/12",
                "image_url": "https://crpv-test.example.org/img/ga12.png",
                "image_alt": "Couverture du Grand Angle n° 12",
            }
        ],
    },
]


class TestEditorialSanitising:
    def test_strips_a_script_typed_in_the_markdown(self) -> None:
        html = str(editorial_html("Bonjour <script>alert('x')</script> à tous"))

        assert "<script" not in html
        assert "Bonjour" in html

    def test_a_javascript_link_is_no_link(self) -> None:
        html = str(editorial_html("[cliquez](javascript:alert(1)) ou [ici](JaVaScRiPt:alert(1))"))

        assert "href" not in html
        assert "javascript:" not in re.findall(r'href="([^"]*)"', html)

    def test_shows_raw_html_as_text_never_as_markup(self) -> None:
        html = str(editorial_html('<img src="https://x.org/a.png" onerror="alert(1)">'))

        assert "<img" not in html
        assert "&lt;img" in html

    def test_markdown_images_keep_their_alt_text_and_lose_unsafe_sources(self) -> None:
        kept = str(editorial_html("![Affiche de la rencontre](https://x.org/a.png)"))
        dropped = str(editorial_html("![Affiche](data:image/png;base64,AAAA)"))

        assert '<img src="https://x.org/a.png" alt="Affiche de la rencontre">' in kept
        assert "data:" not in dropped

    def test_keeps_absolute_links_and_drops_relative_ones(self) -> None:
        html = str(editorial_html("[le site](https://exemple.fr/a) et [ici](/relatif)"))

        assert 'href="https://exemple.fr/a"' in html
        assert 'href="/relatif"' not in html

    def test_demotes_headings_under_the_block_title(self) -> None:
        assert "<h3>Titre</h3>" in str(editorial_html("# Titre"))

    def test_the_text_part_gives_each_link_its_address(self) -> None:
        text = editorial_text("Lisez [le rapport](https://exemple.fr/r) <b>vite</b>.")

        assert text == "Lisez le rapport (https://exemple.fr/r) <b>vite</b>."


class TestRenderIssue:
    def test_inlines_the_css_in_a_french_page_with_a_preheader(self) -> None:
        message = render_issue(issue(), letter(), recipient(), links(CENTRE), CENTRE)

        assert message.subject == "Le numéro de décembre"
        assert '<html lang="fr">' in message.html
        assert "<style" not in message.html
        assert 'style="' in message.html
        assert "L'agenda de l'hiver et les nouvelles données" in message.html
        assert CENTRE.name in message.html and CENTRE.name in message.text

    def test_greets_the_recipient_by_first_name_when_known(self) -> None:
        named = render_issue(issue(), letter(), recipient("Anne"), links(CENTRE), CENTRE)
        anonymous = render_issue(issue(), letter(), recipient(None), links(CENTRE), CENTRE)

        assert "Bonjour Anne," in named.text and "Bonjour Anne," in named.html
        assert "Bonjour," in anonymous.text

    def test_puts_the_recipient_s_preferences_and_unsubscribe_links_in_the_footer(self) -> None:
        someone = recipient()
        signer = links(CENTRE)

        message = render_issue(issue(), letter(), someone, signer, CENTRE)

        unsubscribe = signer.unsubscribe_url(someone.subscriber_id, "la-minute-pop")
        assert unsubscribe in message.text
        assert f'href="{unsubscribe}"' in message.html
        assert "Se désabonner de cette lettre" in message.html
        assert f"{CENTRE.public_url}/lettres/preferences?jeton=" in message.text

    def test_shows_every_block_with_absolute_links_and_image_alt_text(self) -> None:
        content = BlockContent(events=(EVENT,), data=(DATA,))

        message = render_issue(
            issue(EVERY_BLOCK), letter(), recipient(), links(CENTRE), CENTRE, content=content
        )

        for shown in ("Rencontre culture et quartiers", "Taux de pauvreté", "Grand Angle n° 12"):
            assert shown in message.html and shown in message.text
        assert 'alt="Couverture du Grand Angle n° 12"' in message.html
        assert "jeudi 14 janvier 2027" in message.text.replace("\u202f", " ")
        hrefs = re.findall(r'href="([^"]*)"', message.html)
        assert hrefs and all(h.startswith("https://") for h in hrefs)

    def test_the_archive_version_carries_no_personal_link(self) -> None:
        message = render_issue(issue(), letter(), None, None, CENTRE)

        assert "jeton" not in message.html and "desabonnement" not in message.html
        assert "jeton" not in message.text
        assert f"{CENTRE.public_url}/lettres/la-minute-pop/numeros" in message.text

    def test_empty_coming_events_blocks_are_left_out(self) -> None:
        blocks = [{"type": "events", "title": "Prochains rendez-vous", "limit": 5}]

        message = render_issue(issue(blocks), letter(), None, None, CENTRE)

        assert "Prochains rendez-vous" not in message.html


class TestHeaders:
    def test_list_id_names_the_letter_under_the_centre_s_host(self) -> None:
        assert list_id(letter(), CENTRE) == '"La Minute Pop" <la-minute-pop.crpv-test.example.org>'

    def test_the_message_id_is_the_same_for_a_recipient_and_differs_between_them(self) -> None:
        issue_id, one, two = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        sender = "lettres@crpv-test.example.org"

        first = delivery_message_id(issue_id, one, sender)

        assert first == delivery_message_id(issue_id, one, sender)
        assert first != delivery_message_id(issue_id, two, sender)
        assert first.endswith("@crpv-test.example.org>")
        assert len(f"Message-ID: {first}") <= 78

    def test_a_letter_message_carries_its_list_id_and_one_click_unsubscribe(self) -> None:
        someone, signer, numero = recipient(), links(CENTRE), issue()

        headers = letter_headers(numero, letter(), someone, signer, CENTRE)

        assert headers["List-Id"] == '"La Minute Pop" <la-minute-pop.crpv-test.example.org>'
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = signer.unsubscribe_url(someone.subscriber_id, "la-minute-pop")
        assert headers["List-Unsubscribe"].startswith(f"<{url}>, <mailto:")
        assert headers["Message-ID"] == delivery_message_id(
            numero.id, someone.subscriber_id, "lettres@crpv-test.example.org"
        )


class TestIssueLife:
    def test_schedules_a_draft_in_the_future(self) -> None:
        draft = issue()

        draft.schedule(NOW + timedelta(days=1), NOW)

        assert draft.status is IssueStatus.SCHEDULED
        assert not draft.is_due(NOW)
        assert draft.is_due(NOW + timedelta(days=1))

    def test_refuses_a_time_in_the_past(self) -> None:
        with pytest.raises(InvalidInput):
            issue().schedule(NOW - timedelta(minutes=1), NOW)

    def test_refuses_to_schedule_an_issue_without_blocks(self) -> None:
        with pytest.raises(InvalidInput):
            issue([]).schedule(NOW + timedelta(days=1), NOW)

    def test_an_issue_being_sent_can_no_longer_change_nor_be_cancelled(self) -> None:
        sending = issue()
        sending.start_sending(BlockContent(events=(EVENT,)))

        assert sending.status is IssueStatus.SENDING
        assert sending.frozen == {"events": [EVENT], "data": []}
        with pytest.raises(IssueNotEditable):
            sending.cancel()
        with pytest.raises(IssueNotEditable):
            sending.change(subject="Autre")

    def test_an_issue_whose_send_is_cancelled_ends_cancelled_and_stays_so(self) -> None:
        sending = issue()
        sending.start_sending(BlockContent())

        sending.send_cancelled()
        sending.send_cancelled()

        assert sending.status is IssueStatus.CANCELLED
        assert sending.sent_at is None
        with pytest.raises(IssueNotEditable):
            sending.mark_sent(NOW)
        with pytest.raises(IssueNotEditable):
            issue().send_cancelled()  # a draft has no send to cancel

    def test_a_scheduled_issue_remembers_who_scheduled_it_until_cancelled(self) -> None:
        draft = issue()
        draft.schedule(NOW + timedelta(days=1), NOW, "redaction@crpv-test.example.org")
        assert draft.scheduled_by == "redaction@crpv-test.example.org"
        draft.cancel()
        assert draft.scheduled_by is None

    def test_a_time_without_offset_is_paris_time(self) -> None:
        assert paris_to_utc(datetime(2027, 1, 5, 9, 0)) == datetime(2027, 1, 5, 8, 0, tzinfo=UTC)
        assert paris_to_utc(datetime(2027, 7, 5, 9, 0)) == datetime(2027, 7, 5, 7, 0, tzinfo=UTC)


class TestAudienceFilter:
    def test_a_qpv_brings_its_communes_and_a_department_its_communes(self) -> None:
        narrowed = territory_filter(
            {"departments": ["29"], "qpvs": ["QN03501M"]}, {"QN03501M": ("35238",)}
        )

        assert narrowed.keeps(None, "35238")
        assert narrowed.keeps(None, "29019")
        assert narrowed.keeps("29", None)
        assert not narrowed.keeps("35", "35047")

    def test_no_filter_keeps_everyone(self) -> None:
        assert territory_filter({}, {}).keeps(None, None)


class TestBlocksAsStaffWriteThem:
    def test_an_image_needs_its_alternative_text(self) -> None:
        with pytest.raises(ValidationError):
            PublicationItem(
                title="Portrait", url="https://exemple.fr/p", image_url="https://exemple.fr/i.png"
            )

    def test_a_publication_link_must_be_absolute_http(self) -> None:
        with pytest.raises(ValidationError):
            PublicationItem(title="Portrait", url="javascript:alert(1)")

    def test_an_unknown_block_type_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            CreateIssueV1(
                letter="la-minute-pop",
                subject_line="Décembre",
                blocks=[{"type": "video", "url": "https://exemple.fr"}],  # type: ignore[list-item]
                by="staff@example.org",
            )
