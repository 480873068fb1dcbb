"""Every HTML form that posts carries the CSRF token (the middleware refuses it otherwise)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = sorted(
    (Path(__file__).resolve().parents[2] / "services").glob("**/web/templates/**/*.j2")
)
FORM = re.compile(r"<form\b[^>]*>(.*?)</form>", re.DOTALL | re.IGNORECASE)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_post_forms_include_the_csrf_field(template: Path) -> None:
    text = template.read_text()
    for match in FORM.finditer(text):
        opening = match.group(0)[: match.group(0).index(">") + 1].lower()
        if 'method="post"' in opening:
            assert '{% include "csrf.html.j2" %}' in match.group(1), (
                f'{template.name}: a POST form without {{% include "csrf.html.j2" %}}: {opening}'
            )


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_inline_style_or_script(template: Path) -> None:
    """The CSP forbids them: styles and scripts go in web/static."""
    text = template.read_text().lower()
    assert "<style" not in text and " style=" not in text
    assert re.search(r"<script(?![^>]*\bsrc=)", text) is None
    assert " onclick=" not in text and " onsubmit=" not in text
