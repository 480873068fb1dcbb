"""What a person does in a browser, following the links the platform mails them."""

from __future__ import annotations

import httpx

from services.platform import Platform
from tests.browser.conftest import (
    Visit,
    ask_subscription,
    mailed_link,
    subscriber_id,
    subscription_links,
)
from tests.support.factories import sign_up_payload, unique_email


def test_a_member_signs_up_confirms_and_enters_their_space_by_mailed_links(
    platform: Platform, visit: Visit
) -> None:
    person = sign_up_payload(first_name="Maëlle")
    signed_up = httpx.post(f"{platform.gateway_url}/api/v1/signup", json=person, timeout=10)
    assert signed_up.status_code == 201, signed_up.text
    page = visit.page

    page.goto(mailed_link(platform.mail_dir, person["email"], "/espace/confirmation"))
    visit.shot("confirmation-link")
    page.get_by_role("button", name="Confirmer mon adresse").click()
    visit.shot("confirmed")
    assert page.get_by_role("status").inner_text().startswith("Merci, votre adresse est confirmée")

    page.goto("/espace")
    visit.shot("sign-in-form")
    page.get_by_label("Adresse e-mail").fill(person["email"])
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    visit.shot("link-sent")
    page.goto(mailed_link(platform.mail_dir, person["email"], "/espace/connexion"))
    page.get_by_role("button", name="Me connecter").click()
    visit.shot("personal-space")

    assert page.get_by_role("heading", level=1).inner_text() == "Bonjour Maëlle"
    assert person["email"] in page.locator("main").inner_text()
    [session] = [c for c in visit.context.cookies() if c["name"] == "reso_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    page.get_by_role("button", name="Me déconnecter").click()
    visit.shot("signed-out")
    assert page.get_by_role("button", name="Recevoir un lien de connexion").is_visible()
    assert visit.csp_violations() == []


def test_a_subscriber_confirms_by_the_mailed_link_then_unsubscribes_in_one_click(
    platform: Platform, visit: Visit
) -> None:
    address = unique_email("abonnee")
    letter = ask_subscription(platform, address)
    page = visit.page

    page.goto(mailed_link(platform.mail_dir, address, "/lettres/confirmation"))
    visit.shot("confirmation-link")
    page.get_by_role("button", name="Confirmer mon abonnement").click()
    visit.shot("confirmed")
    assert "Merci, c'est confirmé" in page.get_by_role("status").inner_text()
    assert letter["name"] in page.get_by_role("status").inner_text()

    links = subscription_links(platform)
    unsubscribe = links.unsubscribe_url(subscriber_id(platform, address), letter["slug"])
    page.goto(unsubscribe)
    visit.shot("unsubscribe-page")
    assert letter["name"] in page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("button", name="Me désabonner").click()
    visit.shot("unsubscribed")
    assert "vous ne recevrez plus" in page.get_by_role("status").inner_text()

    # a mail client's RFC 8058 POST: no cookie, no CSRF token, still answered
    again = httpx.post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert again.status_code == 200
    assert visit.csp_violations() == []
