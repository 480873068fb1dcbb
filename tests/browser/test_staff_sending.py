"""Staff compose an issue, send it and watch its progress, in a browser: the compose form grows
a block without JavaScript, "Envoyer maintenant" leads to the send page, whose script (served
from /static, within the CSP) moves the bar and the figures until the send is finished; the
SMTP sink then holds one message per subscriber. And an axe scan of the send page.

The browser platform sends letters slowly (``FAST`` in conftest.py: a few messages a second,
one per batch) so that the progress can be seen moving."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from services.platform import Platform
from tests.browser.conftest import (
    Visit,
    ask_subscription,
    axe_violations,
    mailed_link,
    token_of,
)
from tests.browser.test_staff_pages import compose_issue, sign_in, staff_token
from tests.support.factories import unique_email
from tests.support.mail import mails_when

SUBSCRIBERS = 5


def confirmed_subscribers(platform: Platform, count: int) -> tuple[dict[str, Any], list[str]]:
    """``count`` addresses subscribed to the first public letter and confirmed by the mailed
    link's token, as people do it; that letter and the addresses."""
    addresses = [unique_email("abonnee") for _ in range(count)]
    letter: dict[str, Any] = {}
    for address in addresses:
        letter = ask_subscription(platform, address)
        link = mailed_link(platform.mail_dir, address, "/lettres/confirmation")
        confirmed = httpx.post(
            f"{platform.gateway_url}/api/v1/newsletters/subscriptions/confirm",
            json={"token": token_of(link)},
            timeout=10,
        )
        assert confirmed.status_code == 200, confirmed.text
    return letter, addresses


def issue_mails(platform: Platform, subject: str, expected: int, timeout: float = 30) -> list[Any]:
    """The messages of the issue ``subject`` in the SMTP sink, once there are ``expected``."""

    def of_issue(mails: list[Any]) -> list[Any]:
        return [m for m in mails if m["Subject"] == subject]

    ready = mails_when(platform.mail_dir, lambda m: len(of_issue(m)) >= expected, timeout=timeout)
    return of_issue(ready)


def progress(page: Any) -> tuple[int, int]:
    value, maximum = page.locator("#send-bar").evaluate("bar => [bar.value, bar.max]")
    return int(value), int(maximum)


def test_staff_compose_an_issue_send_it_and_watch_its_progress(
    platform: Platform, visit: Visit
) -> None:
    letter, addresses = confirmed_subscribers(platform, SUBSCRIBERS)
    subject = f"Le numéro suivi en direct {unique_email('n')}"
    page = visit.page
    sign_in(visit, staff_token(platform))
    page.get_by_role("link", name="Lettres d'information").click()
    page.get_by_role("link", name=f"Composer un numéro de « {letter['name']} »").click()
    page.get_by_label("Objet du message").fill(subject)
    page.get_by_label("Titre de l'éditorial").fill("Édito")
    page.get_by_label("Texte (Markdown)").fill("Bonne **lecture** à toutes et à tous.")
    page.get_by_role("button", name="Ajouter un éditorial").click()  # no script: a new form
    visit.shot("block-added")
    expect(page.get_by_role("status")).to_contain_text("Bloc 5 ajouté : un éditorial.")
    page.get_by_label("Bloc 5 : texte (Markdown)").fill("Et un second mot pour finir.")
    visit.shot("compose")
    page.get_by_role("button", name="Enregistrer le numéro").press("Enter")
    visit.shot("issue")
    expect(page.get_by_role("status")).to_contain_text("brouillon")
    assert "Et un second mot pour finir." in page.locator("pre").inner_text()

    page.get_by_label("Je confirme l'envoi de ce numéro maintenant").check()
    page.get_by_role("button", name="Envoyer maintenant").click()
    page.wait_for_url("**/envoi")
    visit.shot("send-started")
    first, total = progress(page)
    assert total >= SUBSCRIBERS and first < total, (first, total)

    # the page's script moves the bar without the page being reloaded, then says it is done
    page.wait_for_function(
        "first => document.getElementById('send-bar').value > first", arg=first, timeout=30_000
    )
    visit.shot("send-moving")
    expect(page.get_by_role("status")).to_contain_text("terminé", timeout=60_000)
    visit.shot("send-done")

    assert progress(page) == (total, total)
    assert page.locator('[data-field="sent"]').inner_text() == str(total)
    assert page.locator('[data-field="pending"]').inner_text() == "0"
    assert page.locator('[data-field="status"]').inner_text() == "terminé"
    assert not page.get_by_role("button", name="Mettre l'envoi en pause").is_visible()
    mails = issue_mails(platform, subject, total)
    recipients = [str(m["To"].addresses[0].addr_spec).lower() for m in mails]
    assert len(recipients) == total == len(set(recipients))
    assert set(addresses) <= set(recipients)
    assert visit.csp_violations() == []


def test_the_send_page_has_no_serious_or_critical_violation(
    platform: Platform, axe_visit: Visit
) -> None:
    page = axe_visit.page
    sign_in(axe_visit, staff_token(platform))
    compose_issue(axe_visit, "Numéro accessible envoyé")
    page.get_by_role("button", name="Ajouter des publications").click()
    axe_visit.shot("compose-added")
    found = {"compose": axe_violations(page)}
    page.get_by_role("button", name="Enregistrer le numéro").press("Enter")
    page.get_by_label("Je confirme l'envoi de ce numéro maintenant").check()
    page.get_by_role("button", name="Envoyer maintenant").click()
    page.wait_for_url("**/envoi")
    axe_visit.shot("send")
    found["send"] = axe_violations(page)

    assert found == {"compose": [], "send": []}
