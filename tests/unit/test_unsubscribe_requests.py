"""Mails sent to the List-Unsubscribe mailto address, read back without I/O: the tokens they
carry, however the mail client wrote the subject; and the mailbox they are read from."""

from __future__ import annotations

import mailbox
import re
import uuid
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

from services.newsletters.domain import LinkDurations, SubscriptionLinks
from services.newsletters.domain.unsubscribe_requests import read_unsubscribe_request
from services.newsletters.unsubscribe_mailbox import read_unsubscribe_mailbox

LINKS = SubscriptionLinks(
    "unit-tests-newsletters-secret-0123",
    "https://crpv.example.org/",
    "desabonnement@crpv.example.org",
    LinkDurations(),
)


def _mail(subject: str, body: str = "", message_id: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "Zoé Lefèvre <zoe@exemple.fr>"
    message["To"] = "desabonnement@crpv.example.org"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


def _mailto_subject(subscriber: uuid.UUID, letter: str) -> tuple[str, str]:
    """The subject the mailto asks for, as a client decodes it, and as it stands in the URL."""
    mailto = LINKS.unsubscribe_mailto(subscriber, letter)
    raw = re.search(r"subject=(.*)$", mailto)
    assert raw is not None
    return unquote(raw.group(1)), raw.group(1)


class TestReadingAnUnsubscribeMail:
    def test_finds_the_token_of_the_mailto_subject_as_a_mail_client_sends_it(self) -> None:
        subscriber = uuid.uuid4()
        subject, _ = _mailto_subject(subscriber, "la-minute-pop")

        request = read_unsubscribe_request(_mail(subject, message_id="<a1@exemple.fr>"))

        assert request.message_id == "<a1@exemple.fr>"
        assert LINKS.read_unsubscribe(request.candidates[0]) == (subscriber, "la-minute-pop")

    def test_finds_it_in_a_subject_left_percent_encoded_or_in_the_body(self) -> None:
        subscriber = uuid.uuid4()
        decoded, encoded = _mailto_subject(subscriber, "culture")
        token = decoded.split()[-1]

        for mail in (_mail(encoded), _mail("Re: désabonnement", f"Merci de me retirer.\n{token}")):
            request = read_unsubscribe_request(mail)
            assert token in request.candidates
            assert request.message_id.startswith("sha256:")  # no Message-ID: a digest

    def test_an_ordinary_reply_carries_no_token(self) -> None:
        request = read_unsubscribe_request(_mail("Re: La Minute Pop", "Merci, très bonne lettre."))
        assert request.candidates == ()


class TestReadingTheMailbox:
    async def test_reads_a_maildir_and_takes_out_only_the_mails_acted_on(
        self, tmp_path: Path
    ) -> None:
        box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
        for subject in ("garder", "retirer", "garder aussi"):
            box.add(_mail(subject))
        box.close()

        async def handle(raw: bytes) -> str:
            return "retirer" if b"Subject: retirer" in raw else "garder"

        outcomes = await read_unsubscribe_mailbox(
            tmp_path / "Maildir", handle, remove=lambda outcome: outcome == "retirer"
        )

        assert sorted(outcomes) == ["garder", "garder", "retirer"]
        left = mailbox.Maildir(str(tmp_path / "Maildir"), create=False)
        assert sorted(str(m["Subject"]) for m in left) == ["garder", "garder aussi"]
