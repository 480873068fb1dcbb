"""What the centre's data team does in a browser: upload an indicator file through the form, read
its validation report, see what statistical secrecy will hide and publish it; a partner's account
is refused; and an axe scan of the data pages, signed in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from services.gateway.store import Role
from services.platform import Platform
from tests.browser.conftest import ROOT, Visit, axe_violations
from tests.browser.test_staff_pages import sign_in, staff_token

DATA_PAGES = {
    "/equipe/donnees",
    "/equipe/donnees/nouveau",
    "/equipe/donnees/{dataset_id}",
}
"""Data team routes test_accessibility.py leaves to this file (they need a staff session)."""

DEMO_FILE = ROOT / "reference" / "data" / "qpv2024_indicateurs_bretagne_pdl.csv"
UNKNOWN_QPV = "QN02299Z"
HIDDEN = "secret statistique : effectif sous-jacent inconnu, valeur masquée par précaution"


def demo_sample(folder: Path) -> Path:
    """The shipped demo indicators of the first ten QPV (Côtes-d'Armor), and one row whose QPV
    does not exist (line 12). Their poverty rates come without household counts: secrecy hides
    them (by precaution)."""
    lines = DEMO_FILE.read_text(encoding="utf-8").splitlines()
    bad = re.sub(r"^QN\w+,", f"{UNKNOWN_QPV},", lines[1])
    sample = folder / "indicateurs_cotes_d_armor.csv"
    sample.write_text("\n".join([*lines[:11], bad]) + "\n", encoding="utf-8")
    return sample


def upload(visit: Visit, sample: Path, name: str) -> None:
    page = visit.page
    page.get_by_role("link", name="Envoyer un fichier de données").click()
    visit.shot("upload-form")
    page.get_by_label("Fichier CSV").set_input_files(str(sample))
    page.get_by_label("Titre du jeu de données").fill(name)
    page.get_by_label("Provenance").fill("Données de démonstration, non officielles.")
    page.get_by_label("Millésime").select_option("2020")
    page.get_by_role("radio", name="Ouvert").check()
    page.get_by_role("button", name="Envoyer le fichier").click()


def test_the_data_unit_uploads_a_file_reads_the_report_sees_what_secrecy_hides_and_publishes_it(
    platform: Platform, visit: Visit, tmp_path: Path
) -> None:
    page = visit.page
    sign_in(visit, staff_token(platform, Role.DATA))
    visit.shot("datasets")
    assert page.get_by_role("heading", level=1).inner_text() == "Jeux de données"

    upload(visit, demo_sample(tmp_path), "Indicateurs des QPV des Côtes-d'Armor")
    visit.shot("report")
    report = page.get_by_role("region", name="Rapport de validation")
    assert "11 lignes lues, 124 valeurs valides, 1 erreur" in report.inner_text()
    refused = report.get_by_role("table", name="Lignes refusées")
    assert refused.get_by_role("row", name="12").inner_text().startswith("12\t")
    assert UNKNOWN_QPV in refused.inner_text()

    hidden = page.get_by_role("table", name=re.compile(r"^Taux de pauvreté .*masquées$"))
    assert hidden.get_by_role("row").count() == 1 + 10  # the header, then each QPV
    first = hidden.get_by_role("row").nth(1).inner_text()
    assert "primaire" in first and HIDDEN in first.lower()
    summary = page.get_by_role("table", name="Cellules publiées et masquées, par tableau")
    assert "Population municipale (2020)\t10\t10\t0\t0" in summary.inner_text()

    page.get_by_role("button", name="Publier").click()
    visit.shot("published")
    status = page.get_by_role("status").inner_text()
    assert status.startswith("Jeu de données publié le")
    assert "pour tout le monde" in status
    assert page.get_by_role("button", name="Publier").count() == 0

    page.get_by_role("link", name="Taux de pauvreté au seuil de 60 % (2020)").click()
    visit.shot("public-indicator")
    assert "effectif sous-jacent inconnu" in page.locator("main").inner_text()
    assert visit.csp_violations() == []


def test_a_file_that_is_not_a_csv_is_refused_on_its_field(
    platform: Platform, visit: Visit, tmp_path: Path
) -> None:
    page = visit.page
    workbook = tmp_path / "indicateurs.xlsx"
    workbook.write_bytes(b"PK\x03\x04 not really a workbook")
    sign_in(visit, staff_token(platform, Role.DATA))
    upload(visit, workbook, "Un classeur")
    visit.shot("refused-file")

    assert page.get_by_label("Fichier CSV").get_attribute("aria-invalid") == "true"
    assert "enregistrez-le au format CSV" in page.locator("#file-erreur").inner_text()
    assert page.get_by_label("Titre du jeu de données").input_value() == ""  # nothing kept


def test_a_data_partner_is_refused_the_data_pages_in_french(
    platform: Platform, visit: Visit
) -> None:
    sign_in(visit, staff_token(platform, Role.DATA, partner="Nantes Métropole"))
    visit.shot("refused")

    assert visit.page.get_by_role("heading", level=1).inner_text() == "Accès refusé"
    assert "équipe data du centre" in visit.page.get_by_role("alert").inner_text()


def test_the_data_pages_have_no_serious_or_critical_violation(
    platform: Platform, axe_visit: Visit, tmp_path: Path
) -> None:
    page = axe_visit.page
    sign_in(axe_visit, staff_token(platform, Role.DATA))
    found: dict[str, Any] = {}

    def scan(name: str) -> None:
        axe_visit.shot(name)
        violations = axe_violations(page)
        if violations:
            found[name] = violations

    scan("datasets")
    upload(axe_visit, demo_sample(tmp_path), "Jeu accessible")
    scan("report-and-preview")
    dataset_url = page.locator("form[action$='/publication']").get_attribute("action")
    assert dataset_url is not None
    page.goto(dataset_url.removesuffix("/publication"))
    scan("draft")
    page.get_by_role("button", name="Publier").click()
    scan("published")
    page.goto("/equipe/donnees")
    scan("datasets-after")
    page.goto("/equipe/donnees/nouveau")
    page.get_by_role("button", name="Envoyer le fichier").evaluate("b => b.form.noValidate = true")
    page.get_by_role("button", name="Envoyer le fichier").click()
    scan("upload-errors")

    assert not found, found
