"""Demo data for ``reso seed`` (and ``reso up``): a small register of Bretagne and Pays de la
Loire, loaded through the services' own RPC so it takes the path real use takes.

Loading it again changes nothing: what exists already is recognised (an address, a SIREN, a
name, a year already open) and left as it is. People who sign up themselves get the welcome
e-mail asking them to confirm; people staff add do not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from importlib.resources import files as package_files
from typing import Any

from contracts.dataquartiers import (
    DatasetReportV1,
    DatasetStatus,
    DatasetsV1,
    DatasetV1,
    ListDatasetsV1,
    PublishDatasetV1,
    UploadDatasetV1,
)
from contracts.events import (
    AgendaV1,
    CreateCycleV1,
    CreateEventV1,
    CycleV1,
    EventDetailsV1,
    EventV1,
    PublishEventV1,
    SearchAgendaV1,
)
from contracts.members import (
    AddAffiliationV1,
    AffiliationV1,
    CreateOrganisationV1,
    CreatePersonV1,
    JoinNetworkV1,
    MembershipV1,
    NetworkMembershipV1,
    OpenMembershipV1,
    OrganisationsFilter,
    OrganisationsPageV1,
    OrganisationV1,
    PeopleFilter,
    PeoplePageV1,
    PersonRegisteredReplyV1,
    PersonV1,
    RecordPaymentV1,
    RegisterPersonV1,
    SearchOrganisationsV1,
    SearchPeopleV1,
    WaiveMembershipV1,
)
from services.runtime.files import Files
from services.runtime.rpc import RpcClient, RpcError

BY = "reso seed"

SIGN_UPS = [
    ("Camille", "Martin", "camille.martin@example.org"),
    ("Yanis", "Le Goff", "yanis.legoff@example.org"),
    ("Awa", "Diallo", "awa.diallo@example.org"),
]
"""People who sign up themselves: each gets the welcome e-mail with a confirmation link."""

ORGANISATIONS: list[dict[str, Any]] = [
    {
        "kind": "commune",
        "name": "Ville de Rennes",
        "siren": "213502388",
        "address": {"street": "Place de la Mairie", "postcode": "35000", "city": "Rennes"},
        "territory": {"commune": "35238", "qpvs": ["QN03502M", "QN03503I"]},
        "email": "politique.ville@rennes.example.org",
    },
    {
        "kind": "epci",
        "name": "Nantes Métropole",
        "siren": "244400404",
        "address": {"street": "2 cours du Champ de Mars", "postcode": "44000", "city": "Nantes"},
        "territory": {"epci": "244400404", "department": "44"},
        "email": "contrat-de-ville@nantesmetropole.example.org",
    },
    {
        "kind": "association",
        "name": "Centre social Ty Blosne",
        "address": {"street": "7 boulevard de Yougoslavie", "postcode": "35200", "city": "Rennes"},
        "territory": {"commune": "35238", "qpvs": ["QN03502M"]},
    },
    {
        "kind": "state_service",
        "name": "Préfecture d'Ille-et-Vilaine",
        "address": {"street": "3 avenue de la Préfecture", "postcode": "35000", "city": "Rennes"},
        "territory": {"department": "35"},
    },
]

STAFF_PEOPLE: list[dict[str, Any]] = [
    {
        "first_name": "Marie",
        "last_name": "Le Guen",
        "email": "marie.leguen@example.org",
        "title": "Cheffe de projet contrat de ville",
        "kind": "project_leader",
        "territory": {"commune": "35238"},
        "organisation": "Ville de Rennes",
        "contact": True,
        "network": "chefs-de-projet-politique-de-la-ville",
    },
    {
        "first_name": "Yannick",
        "last_name": "Morvan",
        "email": "yannick.morvan@example.org",
        "title": "Vice-président politique de la ville",
        "kind": "elected_official",
        "territory": {"commune": "44109"},
        "organisation": "Nantes Métropole",
        "contact": False,
        "network": None,
    },
    {
        "first_name": "Samira",
        "last_name": "Benali",
        "email": "samira.benali@example.org",
        "title": "Déléguée du préfet",
        "kind": "state_agent",
        "territory": {"department": "35"},
        "organisation": "Préfecture d'Ille-et-Vilaine",
        "contact": True,
        "network": "agents-de-l-etat-delegues-du-prefet",
    },
]


async def load(rpc: RpcClient, today: date) -> str:
    """Load the demo data; returns a one-line summary."""
    for first, last, email in SIGN_UPS:
        await rpc.call(
            RegisterPersonV1(first_name=first, last_name=last, email=email),
            PersonRegisteredReplyV1,
        )
    organisations = {o["name"]: await _organisation(rpc, o) for o in ORGANISATIONS}
    for person in STAFF_PEOPLE:
        person_id, created = await _person(rpc, person)
        if created:
            await rpc.call(
                AddAffiliationV1(
                    person_id=person_id,
                    organisation_id=organisations[person["organisation"]],
                    role=person["title"],
                    start=date(today.year, 1, 1),
                    contact=person["contact"],
                    by=BY,
                ),
                AffiliationV1,
            )
        if person["network"]:
            await rpc.call(
                JoinNetworkV1(network_slug=person["network"], person_id=person_id, by=BY),
                NetworkMembershipV1,
            )
    year = today.year
    await _open(rpc, organisations["Ville de Rennes"], year)  # left pending: dues expected
    metropole = await _open(rpc, organisations["Nantes Métropole"], year)
    ty_blosne = await _open(rpc, organisations["Centre social Ty Blosne"], year)
    if metropole is not None and metropole.status == "pending":
        await rpc.call(
            RecordPaymentV1(
                membership_id=metropole.membership_id,
                amount=metropole.dues,
                paid_on=today,
                method="administrative_mandate",
                reference=f"mandat {year}-042",
                by=BY,
            ),
            MembershipV1,
        )
    if ty_blosne is not None and ty_blosne.status == "pending":
        await rpc.call(
            WaiveMembershipV1(
                membership_id=ty_blosne.membership_id,
                reason="structure partenaire hébergeant les permanences",
                by=BY,
            ),
            MembershipV1,
        )
    return (
        f"{len(SIGN_UPS)} sign-ups, {len(ORGANISATIONS)} organisations, "
        f"{len(STAFF_PEOPLE)} people added by staff, memberships {year}"
    )


async def _organisation(rpc: RpcClient, fields: dict[str, Any]) -> Any:
    page = await rpc.call(
        SearchOrganisationsV1(filter=OrganisationsFilter(q=fields["name"]), limit=50),
        OrganisationsPageV1,
    )
    for found in page.items:
        if found.name == fields["name"]:
            return found.organisation_id
    created = await rpc.call(
        CreateOrganisationV1(**fields, created_by=BY),
        OrganisationV1,
    )
    return created.organisation_id


async def _person(rpc: RpcClient, fields: dict[str, Any]) -> tuple[Any, bool]:
    """The person's id, and whether this run added them."""
    page = await rpc.call(
        SearchPeopleV1(filter=PeopleFilter(q=fields["email"], archived="include")),
        PeoplePageV1,
    )
    for found in page.items:
        if found.email.casefold() == fields["email"].casefold():
            return found.person_id, False
    keys = ("first_name", "last_name", "email", "title", "kind", "territory")
    created = await rpc.call(
        CreatePersonV1(**{k: fields[k] for k in keys}, by=BY),
        PersonV1,
    )
    return created.person_id, True


async def _open(rpc: RpcClient, organisation_id: Any, year: int) -> MembershipV1 | None:
    """The organisation's membership of ``year``, opened now; None when it already was."""
    try:
        return await rpc.call(
            OpenMembershipV1(
                member_type="organisation", member_id=organisation_id, year=year, by=BY
            ),
            MembershipV1,
        )
    except RpcError as error:
        if error.error.code == "conflict":
            return None
        raise


# --- the agenda ---------------------------------------------------------------------------------


def _next(today: date, month: int, day: int) -> date:
    """The next ``day``/``month`` from ``today`` on (this year's, or next year's if past)."""
    this_year = date(today.year, month, day)
    return this_year if this_year >= today else date(today.year + 1, month, day)


def agenda_events(today: date) -> list[dict[str, Any]]:
    """The demo agenda: a webinar, the thematic day in Laval on 13 June (a cycle's sessions
    are added by :func:`load_agenda`)."""
    webinar = today + timedelta(days=21)
    laval = _next(today + timedelta(days=1), 6, 13)
    return [
        {
            "title": "Webinaire : la participation citoyenne dans les quartiers",
            "summary": "Un rendez-vous tous les deux mois entre conseils citoyens, délégués du "
            "préfet et chefs de projet : retours d'expérience et questions ouvertes.",
            "type": "webinar",
            "format": "online",
            "themes": ["participation-citoyenne"],
            "starts_at": f"{webinar.isoformat()}T10:00:00",
            "ends_at": f"{webinar.isoformat()}T11:30:00",
            "video_link": "https://visio.example.org/crpv-participation",
            "capacity_online": 100,
        },
        {
            "title": "Journée thématique à Laval : habiter et agir dans les quartiers",
            "summary": "Rencontre interrégionale des acteurs de la politique de la ville.",
            "type": "thematic_day",
            "format": "hybrid",
            "themes": ["participation-citoyenne", "contrat-de-ville"],
            "partners": ["Laval Agglomération"],
            "starts_at": f"{laval.isoformat()}T09:30:00",
            "ends_at": f"{laval.isoformat()}T16:30:00",
            "venue": {
                "name": "Salle polyvalente",
                "street": "Place de Hercé",
                "postcode": "53000",
                "city": "Laval",
                "commune": "53130",
            },
            "video_link": "https://visio.example.org/crpv-laval",
            "capacity_onsite": 80,
            "capacity_online": 150,
            "organisation_cap": 5,
            "hold_minutes": 24 * 60,
        },
    ]


CYCLE_TITLE = "Cycle « Gestion urbaine de proximité »"


async def load_agenda(rpc: RpcClient, today: date) -> str:
    """Published events and a cycle of two sessions, through the events service; what exists
    (by title) is left as it is."""
    existing = await rpc.call(SearchAgendaV1(staff=True), AgendaV1)
    titles = {event.title: event for event in existing.events}
    cycle_id = next(
        (event.cycle_id for event in existing.events if event.cycle_id is not None), None
    )
    wanted = agenda_events(today)
    if cycle_id is None:
        cycle = await rpc.call(
            CreateCycleV1(
                title=CYCLE_TITLE,
                summary="Deux séances pour outiller les équipes de GUSP.",
                by=BY,
            ),
            CycleV1,
        )
        cycle_id = cycle.cycle_id
    for number, days in ((1, 35), (2, 49)):
        session = today + timedelta(days=days)
        wanted.append(
            {
                "title": f"GUSP — séance {number}",
                "type": "workshop",
                "format": "online",
                "themes": ["gestion-urbaine-de-proximite"],
                "starts_at": f"{session.isoformat()}T14:00:00",
                "ends_at": f"{session.isoformat()}T16:00:00",
                "video_link": f"https://visio.example.org/crpv-gusp-{number}",
                "capacity_online": 30,
                "cycle_id": str(cycle_id),
            }
        )
    added = 0
    for fields in wanted:
        if fields["title"] in titles:
            continue
        event = await rpc.call(
            CreateEventV1(details=EventDetailsV1.model_validate(fields), by=BY), EventV1
        )
        await rpc.call(PublishEventV1(event_id=event.event_id, by=BY), EventV1)
        added += 1
    return f"{added} events published"


# --- Data & Quartiers ---------------------------------------------------------------------------

INDICATORS_FILE = "qpv2024_indicateurs_bretagne_pdl.csv"
INDICATORS_NAME = "Indicateurs des 79 QPV de Bretagne et des Pays de la Loire (démonstration)"
INDICATORS_VINTAGE = 2020
INDICATORS_PROVENANCE = (
    "Données de démonstration, non officielles. Compilation tierce de chiffres INSEE, CNAF et "
    "SDES sur les QPV 2024 (github.com/RemiG1984/MaFrance, analyse_qpv.csv, commit 8ecb4e3), "
    "non vérifiée contre les publications officielles ; millésime non indiqué par la source "
    "(2020 retenu : la population de la Bretagne y correspond au recensement 2020)."
)
DATA_TIMEOUT_SECONDS = 120


async def load_indicators(rpc: RpcClient, files: Files) -> str:
    """The shipped demo indicators of the 79 QPV of Bretagne and Pays de la Loire, uploaded and
    published through the real ingestion and secrecy path; a dataset of that name already
    published is left as it is (a draft left by an interrupted run is published)."""
    known = await rpc.call(ListDatasetsV1(), DatasetsV1)
    mine = [d for d in known.datasets if d.name == INDICATORS_NAME]
    if any(d.status == DatasetStatus.PUBLISHED for d in mine):
        return "demo indicators already published"
    if mine:
        dataset_id = mine[0].dataset_id
    else:
        data = (package_files("reference") / "data" / INDICATORS_FILE).read_bytes()

        async def chunks() -> AsyncIterator[bytes]:
            yield data

        stored = await files.put(chunks(), max_bytes=len(data) + 1)
        report = await rpc.call(
            UploadDatasetV1(
                file=stored.name,
                name=INDICATORS_NAME,
                provenance=INDICATORS_PROVENANCE,
                vintage=INDICATORS_VINTAGE,
                by=BY,
            ),
            DatasetReportV1,
            timeout=DATA_TIMEOUT_SECONDS,
        )
        if report.dataset_id is None:
            raise RuntimeError(f"demo indicators refused: {report.summary}")
        dataset_id = report.dataset_id
    published = await rpc.call(
        PublishDatasetV1(dataset_id=dataset_id, by=BY), DatasetV1, timeout=DATA_TIMEOUT_SECONDS
    )
    return f"demo indicators published ({published.values} values, {published.summary})"
