"""The compose form of an issue and its blocks (``web/staff/issue_blocks.py``): positions move
blocks as staff expect, removed and empty blocks are left out, and what a block lacks is tied to
its field."""

from __future__ import annotations

from starlette.datastructures import FormData

from services.gateway.web.staff.issue_blocks import Problems, from_form, to_blocks


def _form(*kinds: str, **fields: str) -> FormData:
    typed = [(f"b{i}_type", kind) for i, kind in enumerate(kinds)]
    markdown = [(f"b{i}_markdown", f"Texte {i + 1}") for i, kind in enumerate(kinds)]
    return FormData([*typed, *markdown, *fields.items()])


def _texts(form: FormData) -> list[str]:
    return [draft.markdown for draft in from_form(form)]


class TestPositions:
    def test_a_block_moved_up_goes_before_the_one_whose_place_it_takes(self):
        form = _form("editorial", "editorial", "editorial", b2_position="1")

        assert _texts(form) == ["Texte 3", "Texte 1", "Texte 2"]

    def test_a_block_moved_down_goes_after_the_one_whose_place_it_takes(self):
        form = _form("editorial", "editorial", "editorial", b0_position="2")

        assert _texts(form) == ["Texte 2", "Texte 1", "Texte 3"]

    def test_a_position_that_is_not_a_number_leaves_the_block_in_place(self):
        form = _form("editorial", "editorial", b0_position="premier")

        assert _texts(form) == ["Texte 1", "Texte 2"]


class TestBlocks:
    def test_removed_unticked_and_empty_blocks_are_left_out(self):
        form = FormData(
            [
                ("b0_type", "editorial"),
                ("b0_markdown", "Gardé"),
                ("b1_type", "editorial"),
                ("b1_markdown", "Retiré"),
                ("b1_remove", "oui"),
                ("b2_type", "events"),  # its "include" box not ticked
                ("b3_type", "publications"),
                ("b3_p0_title", ""),
                ("b4_type", "editorial"),
                ("b5_type", "data"),
                ("b5_include", "oui"),
                ("b5_limit", "3"),
            ]
        )
        problems = Problems()

        blocks = to_blocks(from_form(form), problems)

        assert not problems
        assert [block.type for block in blocks] == ["editorial", "data"]
        assert blocks[1].limit == 3 and blocks[1].title == "Nouvelles données"

    def test_an_image_without_its_alternative_text_is_tied_to_that_field(self):
        form = FormData(
            [
                ("b0_type", "publications"),
                ("b0_p0_title", "Grand Angle"),
                ("b0_p0_url", "https://crpv.example.org/ga"),
                ("b0_p0_image_url", "https://crpv.example.org/ga.png"),
            ]
        )
        problems = Problems()

        assert to_blocks(from_form(form), problems) == ()
        assert list(problems.fields) == ["b0_p0_image_alt"]
        assert problems.summary[0][1].startswith(
            "Bloc 1 (publications), publication 1, texte alternatif de l'image : "
        )
