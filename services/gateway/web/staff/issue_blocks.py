"""The blocks of an issue as the back office's compose form shows them, and back.

Every block of the issue is a fieldset of fields named ``b{i}_…`` (``i`` its place in the
form), so editing an issue keeps all of its blocks in their order. Without JavaScript:
a submit button adds an empty block of a kind and shows the form again (nothing saved), each
block has a position field (moving it) and a "remove" checkbox (the automatic blocks, coming
events and new data, have an "include" checkbox instead), applied whenever the form is sent.
A block left empty (an editorial without text, publications without any) is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData

from contracts.newsletters import Block
from services.gateway.errors import french_message

MAX_BLOCKS = 30  # what CreateIssueV1 and UpdateIssueV1 accept
MAX_ITEMS = 20  # publications in a block
ITEM_FIELDS = ("title", "url", "summary", "image_url", "image_alt")
KINDS = {
    "editorial": "éditorial",
    "events": "prochains rendez-vous de l'agenda",
    "data": "nouvelles données publiées",
    "publications": "publications",
}
AUTOMATIC = ("events", "data")
FIELD_LABELS = {
    "title": "titre",
    "markdown": "texte",
    "limit": "nombre",
    "url": "adresse",
    "summary": "résumé",
    "image_url": "adresse de l'image",
    "image_alt": "texte alternatif de l'image",
}
_BLOCK = TypeAdapter(Block)
_TYPE_FIELD = re.compile(r"^b(\d{1,3})_type$")


@dataclass
class Draft:
    """A block as typed in the form: strings, possibly incomplete."""

    type: str
    title: str = ""
    markdown: str = ""
    limit: str = "5"
    include: bool = True  # automatic blocks: in the issue or not
    items: list[dict[str, str]] = field(default_factory=list)

    @property
    def automatic(self) -> bool:
        return self.type in AUTOMATIC

    def rows(self) -> list[dict[str, str]]:
        """The publication rows to show: those typed, then empty ones to type more."""
        blanks = max(1, 3 - len(self.items)) if len(self.items) < MAX_ITEMS else 0
        return self.items + [dict.fromkeys(ITEM_FIELDS, "") for _ in range(blanks)]


@dataclass
class Problems:
    """What the form must show again: each message tied to its field (by id), and the
    summary of them all (links to the fields) at the top."""

    fields: dict[str, str] = field(default_factory=dict)
    summary: list[tuple[str, str]] = field(default_factory=list)

    def add(self, field_id: str, label: str, message: str) -> None:
        self.fields.setdefault(field_id, message)
        self.summary.append((field_id, f"{label} : {message}"))

    def __bool__(self) -> bool:
        return bool(self.summary)


def empty(kind: str) -> Draft:
    return Draft(type=kind, include=True)


def new_issue() -> list[Draft]:
    """The blocks a new issue starts from: an editorial, the automatic blocks (not included
    until ticked) and publications."""
    return [
        Draft("editorial"),
        Draft("events", include=False),
        Draft("data", include=False),
        Draft("publications"),
    ]


def from_issue(blocks: tuple[Any, ...]) -> list[Draft]:
    """The drafts of an issue's blocks, in their order."""
    drafts = []
    for block in blocks:
        if block.type == "editorial":
            drafts.append(Draft("editorial", title=block.title, markdown=block.markdown))
        elif block.type in AUTOMATIC:
            drafts.append(Draft(block.type, title=block.title, limit=str(block.limit)))
        elif block.type == "publications":
            items = [
                {name: str(getattr(item, name) or "") for name in ITEM_FIELDS}
                for item in block.items
            ]
            drafts.append(Draft("publications", title=block.title, items=items))
    return drafts


def from_form(form: FormData) -> list[Draft]:
    """The drafts the form describes, removed ones left out, in the order of their positions
    (a block moved up goes before the one it took the place of, moved down after it)."""
    indices = sorted(int(found.group(1)) for key in form if (found := _TYPE_FIELD.match(key)))[
        : MAX_BLOCKS + 1
    ]
    placed: list[tuple[int, int, int, Draft]] = []
    for rank, index in enumerate(indices):

        def value(name: str, index: int = index) -> str:
            return str(form.get(f"b{index}_{name}", "")).strip()

        kind = value("type")
        if kind not in KINDS or value("remove") == "oui":
            continue
        draft = Draft(
            kind,
            title=value("title"),
            markdown=value("markdown"),
            limit=value("limit") or "5",
            include=value("include") == "oui" if kind in AUTOMATIC else True,
        )
        if kind == "publications":
            for row in range(MAX_ITEMS + 3):
                item = {name: value(f"p{row}_{name}") for name in ITEM_FIELDS}
                if any(item.values()):
                    draft.items.append(item)
        position = int(value("position")) if value("position").isdigit() else rank + 1
        direction = (position > rank + 1) - (position < rank + 1)
        placed.append((position, direction, rank, draft))
    return [draft for *_, draft in sorted(placed, key=lambda found: found[:3])]


def to_blocks(drafts: list[Draft], problems: Problems) -> tuple[Any, ...]:
    """The blocks of the issue (the contract's models), empty drafts left out; what a block
    lacks goes to ``problems``, tied to its field."""
    blocks = []
    for index, draft in enumerate(drafts):
        data: dict[str, Any] = {"type": draft.type}
        if draft.title:
            data["title"] = draft.title
        if draft.type == "editorial":
            if not (draft.title or draft.markdown):
                continue
            data["markdown"] = draft.markdown
        elif draft.automatic:
            if not draft.include:
                continue
            data["limit"] = draft.limit
        else:
            if not draft.items:
                continue
            data["items"] = [
                {name: value for name, value in item.items() if value} for item in draft.items
            ]
        try:
            blocks.append(_BLOCK.validate_python(data))
        except ValidationError as error:
            for found in error.errors():
                if found["type"] == "too_short" and found["loc"][1:] == ("items",):
                    continue  # an item refused leaves none behind: its own error tells why
                field_id, label = _where(index, draft, list(found["loc"]))
                problems.add(field_id, label, french_message(dict(found)))
    return tuple(blocks)


def _where(index: int, draft: Draft, location: list[Any]) -> tuple[str, str]:
    """The field (id, French label) a validation error of block ``index`` is about."""
    if location and location[0] == draft.type:
        location = location[1:]
    block = f"Bloc {index + 1} ({KINDS[draft.type]})"
    if location[:1] == ["items"] and len(location) >= 2 and isinstance(location[1], int):
        row = location[1]
        name = str(location[2]) if len(location) > 2 else "image_alt"  # the image's rule
        label = f"{block}, publication {row + 1}, {FIELD_LABELS.get(name, name)}"
        return f"b{index}_p{row}_{name}", label
    if location[:1] == ["items"]:
        return f"b{index}_p0_title", f"{block}, publications"
    name = str(location[0]) if location else "title"
    return f"b{index}_{name}", f"{block}, {FIELD_LABELS.get(name, name)}"
