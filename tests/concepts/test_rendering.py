import re
from xml.etree import ElementTree

import pytest
import yaml

from concepts.embeds import embedded_objects
from concepts.rendering import (
    RenderError,
    render_equation,
    render_markdown,
    render_object,
)

from .conftest import CONTENT

MATHML = "{http://www.w3.org/1998/Math/MathML}"
RLHF = CONTENT / "concepts" / "alignment" / "rlhf"


def rlhf_objects() -> list[dict]:
    return yaml.safe_load((RLHF / "objects.yaml").read_text(encoding="utf-8"))


def section_body(path) -> str:
    return path.read_text(encoding="utf-8").split("---", 2)[2]


def test_tables_render_with_their_alignment():
    """A pipe table becomes a table, its column alignment kept as text-align."""
    html = render_markdown("| a | b |\n|--:|---|\n| 1 | 2 |\n").html
    assert "<table>" in html
    assert '<td style="text-align:right">1</td>' in html


def test_footnotes_link_to_their_note():
    """A footnote reference links to the note at the end, and the note links back."""
    html = render_markdown("A claim[^1].\n\n[^1]: Its source.\n").html
    assert '<a href="#fn1" id="fnref1"' in html
    assert '<li id="fn1" class="footnote-item"><p>Its source.' in html


def test_fenced_code_keeps_its_language_and_escapes_its_text():
    """Fenced code is a code block in its language, with < and & shown, not parsed."""
    html = render_markdown("```python\nif a < b & c:\n    pass\n```\n").html
    assert '<pre><code class="language-python">if a &lt; b &amp; c:\n    pass\n' in html


def test_inline_and_display_math_become_mathml():
    """$...$ is inline MathML and $$...$$ on its own lines is display MathML."""
    html = render_markdown("Let $x^2$ be.\n\n$$\n\\frac{a}{b}\n$$\n").html
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in html
    assert "<mfrac>" in html and "<msup>" in html


def test_dollar_amounts_stay_prose():
    """Two prices in a sentence are not read as an equation."""
    assert "<math" not in render_markdown("It cost $5 and then $6.").html


def test_hostile_html_is_sanitized():
    """Script, event handlers, javascript: links and iframes never reach the page."""
    hostile = (
        "<script>alert(1)</script>\n\n"
        '<a href="javascript:alert(2)" onclick="alert(3)">link</a> '
        '<img src="x.png" onerror="alert(4)"> <iframe src="https://example.org"></iframe>\n\n'
        "[click](javascript:alert(5)) $<script>alert(6)</script>$\n\n"
        '<math><mi onmouseover="alert(7)">x</mi><script>alert(8)</script></math>\n'
    )
    html = render_markdown(hostile).html
    lowered = html.lower()
    for forbidden in ("<script", '="javascript:', "onclick", "onerror", "onmouseover", "<iframe"):
        assert forbidden not in lowered, forbidden
    assert "alert(1)" not in html and "alert(8)" not in html
    assert '<img src="x.png">' in html and "<mi>x</mi>" in html


def test_sanitizing_keeps_the_mathml():
    """The MathML elements and attributes latex2mathml writes survive the sanitizer."""
    tex = r"\hat\theta = \sum_{i=1}^n \mathcal L_i \qquad \tfrac{1}{2}"
    html = render_equation(tex, display=True)
    kept_names = ("<mover", 'accent="true"', "<munderover", 'mathvariant="script"', "<mspace")
    for kept in (*kept_names, "<mstyle"):
        assert kept in html, kept


@pytest.mark.parametrize(
    ("tex", "column", "message"),
    [
        (r"a + \fracc{a}{b}", 5, r"unknown command \fracc"),
        (r"\frac{a}{", 9, "this { is never closed"),
        (r"x^{2", 3, "this { is never closed"),
        (r"a}", 2, "this } closes no {"),
        (r"1 + \frac{a}", 5, r"\frac needs 2 arguments; argument 2 is missing"),
        (r"\left( x", 1, r"this \left has no \right"),
        (r"x^", 2, "^ needs a superscript after it"),
        (r"x_a_b", 4, "latex2mathml cannot convert this: double subscripts"),
    ],
)
def test_broken_tex_is_an_error_with_key_and_position(tex, column, message):
    """TeX latex2mathml would render wrongly or refuse is an error naming the key, the line
    and column in the TeX, and what is wrong."""
    with pytest.raises(RenderError) as raised:
        render_equation(tex, display=True, key="equation:a/b#gap")
    error = raised.value
    assert (error.key, error.line, error.column, error.message) == (
        "equation:a/b#gap",
        1,
        column,
        message,
    )
    assert str(error) == f"equation:a/b#gap, line 1, column {column}: {message}"


def test_arg_max_renders_as_an_operator():
    """\\arg, a standard operator latex2mathml lacks, renders upright rather than as its name."""
    html = render_equation(r"\hat\theta = \arg\max_\theta \ell(\theta)", display=True)
    assert "\\arg" not in html
    assert '<mi mathvariant="normal">a</mi><mi mathvariant="normal">r</mi>' in html


def test_an_error_in_a_body_is_placed_on_its_line_and_rendered_in_place():
    """Inline math that does not parse is shown in place, with the line and column of the TeX
    in the body; the rest of the body still renders."""
    body = "First line with $a$.\n\nThen $b + \\fracc{1}{2}$ here.\n"
    rendering = render_markdown(body, key="section:a/b#math")
    [error] = rendering.errors
    assert (error.key, error.line, error.column) == ("section:a/b#math", 3, 11)
    assert 'class="render-error"' in rendering.html
    assert "section:a/b#math, line 3, column 11: unknown command \\fracc" in rendering.html
    assert rendering.html.count("<math") == 1


def test_embedded_objects_render_as_themselves_and_carry_their_own_key():
    """An {{equation:…}} line renders the equation; its error names the equation, not the
    section, at the position in the equation's own TeX."""
    objects = embedded_objects(
        [
            {"kind": "equation", "anchor": "good", "body": r"\Delta = r_w - r_l", "language": ""},
            {"kind": "equation", "anchor": "bad", "body": "x = \\frac{1}{", "language": ""},
            {"kind": "code", "anchor": "fit", "body": "print(1 < 2)\n", "language": "python"},
        ]
    )
    body = "{{equation:good}}\n\n{{code:fit}}\n\n{{equation:bad}}\n\n{{equation:missing}}\n"
    rendering = render_markdown(body, key="section:a/b#math", objects=objects, concept_path="a/b")
    [error] = rendering.errors
    assert (error.key, error.line, error.column) == ("equation:a/b#bad", 1, 13)
    assert rendering.html.count('display="block"') == 1
    assert '<code class="language-python">print(1 &lt; 2)' in rendering.html
    assert "{{equation:missing}}" in rendering.html


def test_objects_render_by_kind():
    """An equation is display MathML, code a code block, a demo its text and parameters."""
    equation = render_object(key="equation:a/b#e", kind="equation", body=r"\beta > 0")
    code = render_object(key="code:a/b#c", kind="code", body="x = 1\n", language="python")
    demo = render_object(
        key="demo:a/b#d", kind="demo", body="Change $\\beta$.", params={"beta": 0.7}
    )
    assert equation.html.startswith('<div class="equation"><math') and not equation.errors
    assert code.html == '<pre><code class="language-python">x = 1</code></pre>\n'
    assert "<math" in demo.html
    assert "<dt><code>beta</code></dt><dd><code>0.7</code></dd>" in demo.html


def test_every_equation_of_the_rlhf_page_renders_to_mathml():
    """All 15 equations of content/'s RLHF page are well-formed MathML with no error."""
    equations = [obj for obj in rlhf_objects() if obj["kind"] == "equation"]
    assert len(equations) == 15
    for obj in equations:
        key = f"equation:alignment/rlhf#{obj['anchor']}"
        rendering = render_object(key=key, kind="equation", body=obj["body"])
        assert rendering.errors == (), key
        fragment = re.search(r"<math.*</math>", rendering.html, re.S).group(0)
        root = ElementTree.fromstring(fragment)
        assert root.tag == f"{MATHML}math" and root.get("display") == "block", key
        assert "\\" not in "".join(root.itertext()), key


def test_every_section_and_object_of_the_rlhf_page_renders_without_error():
    """The page's sections, with their objects embedded, and its other objects render clean."""
    raw = rlhf_objects()
    objects = embedded_objects(raw)
    for path in sorted((RLHF / "sections").glob("*.md")):
        rendering = render_markdown(
            section_body(path), key=path.name, objects=objects, concept_path="alignment/rlhf"
        )
        assert rendering.errors == (), [str(error) for error in rendering.errors]
    math_body = section_body(RLHF / "sections" / "02-math.md")
    math = render_markdown(math_body, objects=objects, concept_path="alignment/rlhf").html
    assert math.count('display="block"') == 15
    for obj in raw:
        key = f"{obj['kind']}:alignment/rlhf#{obj['anchor']}"
        assert render_object(key=key, kind=obj["kind"], body=obj["body"]).errors == (), key
