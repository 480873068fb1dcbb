"""The pages a mailed link lands on (personal space, subscriptions to letters), and a minimal
personal space.

Following a link never changes anything by itself (mail scanners open links): the page asks,
and the form it shows does the change. Pages work without JavaScript.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from contracts.members import (
    AccessLinkReplyV1,
    ErasePersonV1,
    GetPersonSpaceV1,
    PersonErasureReplyV1,
    PersonSpaceV1,
    RedeemAccessLinkV1,
    RedeemedLinkV1,
    RequestAccessLinkV1,
)
from contracts.newsletters import (
    ArchivedIssuePageV1,
    ArchiveV1,
    ConfirmSubscriptionV1,
    DescribeUnsubscribeV1,
    GetArchivedIssueV1,
    GetPreferencesV1,
    LettersV1,
    ListArchiveV1,
    ListLettersV1,
    PreferencesV1,
    UnsubscribeTargetV1,
    UnsubscribeV1,
    UpdatePreferencesV1,
)
from services.gateway.api import Rpc
from services.gateway.auth import SESSION_COOKIE
from services.gateway.security import csrf_token, set_session_cookie
from services.gateway.store import PersonSessions
from services.newsletters.formatting import paris_date
from services.runtime.rpc import RpcError
from services.runtime.settings import CentreSettings

router = APIRouter(include_in_schema=False)

_templates = Environment(
    loader=PackageLoader("services.gateway.web", "templates"),
    autoescape=select_autoescape(enabled_extensions=("j2",), default=True),
)

STATUSES = {
    "pending": "en attente de règlement",
    "active": "à jour",
    "grace": "à renouveler",
    "lapsed": "échue",
}

BODIES = {
    "ag": "Assemblée générale",
    "ca": "Conseil d'administration",
    "bureau": "Bureau",
    "comite_financeurs": "Comité des financeurs",
}

_LINKS = {
    "confirmation": (
        "confirm_signup",
        "Confirmer mon inscription",
        "Confirmez que cette adresse est bien la vôtre pour terminer votre inscription.",
        "Confirmer mon adresse",
    ),
    "connexion": (
        "sign_in",
        "Entrer dans mon espace",
        "Ce lien ne sert qu'une fois : il vous connecte à votre espace personnel.",
        "Me connecter",
    ),
    "adresse": (
        "confirm_email",
        "Confirmer ma nouvelle adresse",
        "Confirmez que vous voulez désormais utiliser cette adresse.",
        "Utiliser cette adresse",
    ),
}
_DONE = {
    "confirm_signup": "Merci, votre adresse est confirmée : votre inscription est complète.",
    "confirm_email": "C'est fait : votre nouvelle adresse est enregistrée.",
}


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(
        centre=request.app.state.settings.centre, csrf_token=csrf_token(request), **context
    )
    return HTMLResponse(html, status_code=status)


def message_html(centre: CentreSettings, title: str, message: str) -> str:
    """A page with a French message and no form (refusals by the security middleware)."""
    return _templates.get_template("message.html.j2").render(
        centre=centre, title=title, message=message, failed=True
    )


def _message(
    request: Request, title: str, message: str, *, status: int = 200, failed: bool = False
) -> HTMLResponse:
    return _page(
        request,
        "message.html.j2",
        status,
        title=title,
        message=message,
        failed=failed,
        next_url="/espace",
        next_label="Aller à mon espace",
    )


@router.get("/espace", response_class=HTMLResponse)
async def space(request: Request, rpc: Rpc) -> Response:
    sessions: PersonSessions = request.app.state.person_sessions
    token = request.cookies.get(SESSION_COOKIE)
    person_id = await sessions.person(token) if token else None
    if person_id is None:
        return _page(request, "space.html.j2", space=None)
    try:
        mine = await rpc.call(GetPersonSpaceV1(person_id=person_id), PersonSpaceV1)
    except RpcError as error:
        if error.error.code != "not_found":
            raise
        await sessions.close_all(person_id)
        return _page(request, "space.html.j2", space=None)
    return _page(request, "space.html.j2", space=mine, statuses=STATUSES, bodies=BODIES)


@router.post("/espace/lien", response_class=HTMLResponse)
async def ask_for_link(request: Request, rpc: Rpc, email: Annotated[str, Form()] = "") -> Response:
    title = "Lien de connexion"
    try:
        reply = await rpc.call(RequestAccessLinkV1(email=email), AccessLinkReplyV1)
    except ValueError:
        return _message(request, title, "Adresse e-mail invalide.", status=422, failed=True)
    return _message(request, title, reply.message)


@router.post("/espace/deconnexion")
async def sign_out(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sessions: PersonSessions = request.app.state.person_sessions
        await sessions.close(token)
    response = RedirectResponse("/espace", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/espace/effacement", response_class=HTMLResponse)
async def erase(request: Request, rpc: Rpc, confirm: Annotated[str, Form()] = "") -> Response:
    sessions: PersonSessions = request.app.state.person_sessions
    token = request.cookies.get(SESSION_COOKIE)
    person_id = await sessions.person(token) if token else None
    title = "Effacer mes données"
    if person_id is None:
        return _message(
            request, title, "Connectez-vous d'abord à votre espace.", status=401, failed=True
        )
    if confirm != "oui":
        return _message(
            request, title, "Cochez la case : l'effacement est définitif.", status=422, failed=True
        )
    await rpc.call(ErasePersonV1(person_id=person_id, requested_by="self"), PersonErasureReplyV1)
    await sessions.close_all(person_id)
    response = _message(request, title, "Vos données ont été effacées. Au revoir.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# The link pages come last: ``/espace/{kind}`` would otherwise catch the space's own forms
# (``/espace/lien``, ``/espace/deconnexion``, ``/espace/effacement``).


@router.get("/espace/{kind}", response_class=HTMLResponse)
async def link_page(kind: str, request: Request, jeton: str = "") -> Response:
    if kind not in _LINKS:
        return _message(request, "Page introuvable", "Cette page n'existe pas.", status=404)
    if not jeton:
        return _message(
            request, "Lien incomplet", "Ce lien est incomplet : copiez-le en entier.", failed=True
        )
    _, title, explanation, button = _LINKS[kind]
    return _page(
        request,
        "link.html.j2",
        title=title,
        explanation=explanation,
        button=button,
        action=f"/espace/{kind}",
        token=jeton,
    )


@router.post("/espace/{kind}", response_class=HTMLResponse)
async def follow_link(
    kind: str, request: Request, rpc: Rpc, jeton: Annotated[str, Form()] = ""
) -> Response:
    if kind not in _LINKS:
        return _message(request, "Page introuvable", "Cette page n'existe pas.", status=404)
    purpose, title, _, _ = _LINKS[kind]
    try:
        redeemed = await rpc.call(RedeemAccessLinkV1(purpose=purpose, token=jeton), RedeemedLinkV1)
    except RpcError as error:
        status = {"gone": 410, "invalid": 422}.get(error.error.code, 503)
        return _message(request, title, error.error.message, status=status, failed=True)
    except ValueError:
        return _message(request, title, "Ce lien n'est pas valide.", status=422, failed=True)
    if purpose != "sign_in":
        return _message(request, title, _DONE[purpose])
    sessions: PersonSessions = request.app.state.person_sessions
    session = await sessions.open(redeemed.person_id)
    response = RedirectResponse("/espace", status_code=303)
    set_session_cookie(response, request.app.state.settings, session.token, session.expires_at)
    return response


# --- newsletters: the pages the links of subscribers land on ----------------------------------


def _letters_message(
    request: Request, title: str, message: str, *, status: int = 200, failed: bool = False
) -> HTMLResponse:
    return _page(request, "message.html.j2", status, title=title, message=message, failed=failed)


def _invalid_link(request: Request, title: str) -> HTMLResponse:
    return _letters_message(request, title, "Ce lien n'est pas valide.", status=422, failed=True)


def _link_failure(request: Request, title: str, error: RpcError) -> HTMLResponse:
    status = {"gone": 410, "invalid": 422, "not_found": 404}.get(error.error.code, 503)
    return _letters_message(request, title, error.error.message, status=status, failed=True)


@router.get("/lettres/confirmation", response_class=HTMLResponse)
async def subscription_confirm_page(request: Request, jeton: str = "") -> Response:
    """The confirmation link lands here: a button confirms (mail scanners open links)."""
    if not jeton:
        return _letters_message(
            request, "Lien incomplet", "Ce lien est incomplet : copiez-le en entier.", failed=True
        )
    return _page(
        request,
        "link.html.j2",
        title="Confirmer mon abonnement",
        explanation="Confirmez que vous voulez recevoir les lettres demandées à cette adresse.",
        button="Confirmer mon abonnement",
        action="/lettres/confirmation",
        token=jeton,
    )


@router.post("/lettres/confirmation", response_class=HTMLResponse)
async def subscription_confirm(
    request: Request, rpc: Rpc, jeton: Annotated[str, Form()] = ""
) -> Response:
    title = "Confirmer mon abonnement"
    try:
        mine = await rpc.call(ConfirmSubscriptionV1(token=jeton), PreferencesV1)
    except RpcError as error:
        return _link_failure(request, title, error)
    except ValueError:
        return _invalid_link(request, title)
    names = [s.letter_name for s in mine.subscriptions if s.status == "active"]
    return _letters_message(
        request, title, "Merci, c'est confirmé. Vous recevez : " + ", ".join(names) + "."
    )


@router.get("/lettres/desabonnement/{token}", response_class=HTMLResponse)
async def unsubscribe_page(token: str, request: Request, rpc: Rpc) -> Response:
    """The visible unsubscribe link: shows what it is about, never unsubscribes by itself."""
    try:
        target = await rpc.call(DescribeUnsubscribeV1(token=token), UnsubscribeTargetV1)
    except RpcError as error:
        return _link_failure(request, "Se désabonner", error)
    except ValueError:
        return _letters_message(
            request, "Se désabonner", "Ce lien n'est pas valide.", status=422, failed=True
        )
    return _page(
        request,
        "unsubscribe.html.j2",
        letter_name=target.letter_name,
        message=target.message,
        action=f"/lettres/desabonnement/{token}",
    )


@router.post("/lettres/desabonnement/{token}", response_class=HTMLResponse)
async def unsubscribe_one_click(token: str, request: Request, rpc: Rpc) -> Response:
    """The URL of ``List-Unsubscribe``: a mail client POSTs ``List-Unsubscribe=One-Click``
    (RFC 8058), without cookie or other check; the page's own button sends the same."""
    form = await request.form()
    title = "Se désabonner"
    if form.get("List-Unsubscribe") != "One-Click":
        return _letters_message(
            request,
            title,
            "Requête incomplète : « List-Unsubscribe=One-Click » attendu.",
            status=400,
            failed=True,
        )
    one_click = form.get("depuis") != "page"
    try:
        done = await rpc.call(UnsubscribeV1(token=token, one_click=one_click), UnsubscribeTargetV1)
    except RpcError as error:
        return _link_failure(request, title, error)
    except ValueError:
        return _invalid_link(request, title)
    return _letters_message(request, title, done.message)


async def _preferences_page(
    request: Request, rpc: Rpc, token: str, mine: PreferencesV1, notice: str | None = None
) -> HTMLResponse:
    letters = await rpc.call(ListLettersV1(), LettersV1)
    wordings = {letter.slug: letter.consent_wording for letter in letters.letters}
    return _page(
        request,
        "preferences.html.j2",
        preferences=mine,
        token=token,
        wordings=wordings,
        notice=notice,
    )


@router.get("/lettres/preferences", response_class=HTMLResponse)
async def preferences_page(request: Request, rpc: Rpc, jeton: str = "") -> Response:
    title = "Mes abonnements"
    try:
        mine = await rpc.call(GetPreferencesV1(token=jeton), PreferencesV1)
    except RpcError as error:
        return _link_failure(request, title, error)
    except ValueError:
        return _invalid_link(request, title)
    return await _preferences_page(request, rpc, jeton, mine)


@router.post("/lettres/preferences", response_class=HTMLResponse)
async def preferences_change(request: Request, rpc: Rpc) -> Response:
    form = await request.form()
    token = str(form.get("jeton", ""))
    chosen = tuple(str(value) for value in form.getlist("lettres"))
    title = "Mes abonnements"
    try:
        command = UpdatePreferencesV1(
            token=token, letters=chosen, consent_wording_version=str(form.get("version", ""))
        )
        mine = await rpc.call(command, PreferencesV1)
    except RpcError as error:
        return _link_failure(request, title, error)
    except ValueError:
        return _invalid_link(request, title)
    return await _preferences_page(request, rpc, token, mine, "Vos choix sont enregistrés.")


@router.get("/lettres/{letter}/numeros", response_class=HTMLResponse)
async def archive_page(letter: str, request: Request, rpc: Rpc) -> Response:
    """The sent numéros of a letter, newest first."""
    try:
        archive = await rpc.call(ListArchiveV1(letter=letter), ArchiveV1)
    except RpcError as error:
        return _archive_failure(request, "Lettre introuvable", error)
    sent = {issue.number: paris_date(issue.sent_at) for issue in archive.issues}
    return _page(request, "archive.html.j2", archive=archive, sent=sent)


@router.get("/lettres/{letter}/numeros/{number}", response_class=HTMLResponse)
async def archived_issue_page(letter: str, number: int, request: Request, rpc: Rpc) -> Response:
    """A sent numéro as its recipients read it, without anyone's personal links."""
    try:
        page = await rpc.call(GetArchivedIssueV1(letter=letter, number=number), ArchivedIssuePageV1)
    except RpcError as error:
        return _archive_failure(request, "Numéro introuvable", error)
    return HTMLResponse(page.html)


def _archive_failure(request: Request, title: str, error: RpcError) -> HTMLResponse:
    if error.error.code == "not_found":
        return _letters_message(request, title, error.error.message, status=404, failed=True)
    return _letters_message(
        request,
        "Service indisponible",
        "Les lettres ne peuvent pas être consultées pour le moment : réessayez plus tard.",
        status=503,
        failed=True,
    )
