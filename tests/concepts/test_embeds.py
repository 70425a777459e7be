from pathlib import Path

import pytest

from concepts.content import concepts_load
from concepts.embeds import embed_expand, embedded_objects
from concepts.models import ConceptObject, Section
from concepts.selectors import concept_page
from learning_platform.content import ContentError, LoadReport

from .conftest import SEED

pytestmark = pytest.mark.django_db

MATH = "concepts/alignment/rlhf/sections/02-math.md"
CODE = "concepts/alignment/rlhf/sections/03-code.md"


def _refused(root: Path) -> ContentError:
    with pytest.raises(ContentError) as caught:
        concepts_load(root, LoadReport())
    return caught.value


def test_a_section_repeating_an_equation_is_refused_with_file_line_and_key(content_copy):
    """Pasting an equation's LaTeX into a section instead of referring to it is refused."""
    path = content_copy / MATH
    text = path.read_text(encoding="utf-8")
    pasted = "$$\n\\Delta = r_\\phi(x,y_w)-r_\\phi(x,y_\\ell).\n$$"
    path.write_text(text.replace("{{equation:reward-gap}}", pasted), encoding="utf-8")
    error = _refused(content_copy)
    line = text.splitlines().index("{{equation:reward-gap}}") + 1
    assert error.path == str(path)
    assert error.field == f"line {line}"
    assert "equation:alignment/rlhf#reward-gap" in error.reason
    assert "{{equation:reward-gap}}" in error.reason


def test_a_section_repeating_the_code_witness_is_refused(content_copy):
    """The code block pasted back into the code section is refused, naming the witness."""
    path = content_copy / CODE
    seed = SEED.read_text(encoding="utf-8")
    start = seed.index("import numpy as np")
    end = seed.index("assert np.allclose(pi_star, pi_shifted)") + len(
        "assert np.allclose(pi_star, pi_shifted)"
    )
    block = f"```python\n{seed[start:end]}\n```"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{{code:reward-model-and-policy}}", block), encoding="utf-8")
    error = _refused(content_copy)
    assert error.path == str(path)
    assert "code:alignment/rlhf#reward-model-and-policy" in error.reason


def test_a_reference_to_no_object_is_refused(content_copy):
    """A typo in a reference names the line and the key it could not find."""
    path = content_copy / MATH
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{{equation:kl-term}}", "{{equation:kl-trem}}"), encoding="utf-8")
    error = _refused(content_copy)
    assert "equation:alignment/rlhf#kl-trem" in error.reason
    assert "no such object" in error.reason


def test_editing_the_equation_in_its_one_place_changes_the_served_math(loaded):
    """The math section shows whatever its equation object now says."""
    equation = ConceptObject.objects.get(anchor="reward-gap", kind="equation")
    equation.body = r"\Delta = \sigma(2\Delta)"
    equation.save()
    page = concept_page(concept=equation.concept, user=None)
    math = next(section for section in page["sections"] if section["kind"] == "math")
    assert "$$\n\\Delta = \\sigma(2\\Delta)\n$$" in math["body"]
    assert "{{equation:reward-gap}}" in math["body_source"]


def test_expansion_leaves_prose_and_inline_math_alone():
    """Only whole lines that are references expand; braces inside LaTeX are untouched."""
    objects = embedded_objects(
        [{"kind": "equation", "anchor": "a", "body": "x^{2}", "language": ""}]
    )
    body = "Inline $\\frac{{a}}{b}$ stays.\n{{equation:a}}\nText {{equation:a}} inline."
    assert embed_expand(body, objects) == (
        "Inline $\\frac{{a}}{b}$ stays.\n$$\nx^{2}\n$$\nText {{equation:a}} inline."
    )


def test_no_section_of_the_notebook_repeats_an_object(loaded):
    """Every stored section body refers to its objects; none repeats one."""
    bodies = {obj.body.strip() for obj in ConceptObject.objects.filter(kind="equation")}
    for section in Section.objects.all():
        for block in section.body.split("$$")[1::2]:
            assert block.strip() not in bodies
