"""Section and object bodies as learners see them: Markdown to HTML, LaTeX to MathML, sanitized.

Markdown goes through markdown-it-py (CommonMark, tables, footnotes, fenced code) with `$...$`
inline and `$$...$$` display math (mdit-py-plugins' dollarmath), each rendered to MathML on the
server by latex2mathml, so a browser shows the equations with no script. A body's
``{{kind:anchor}}`` lines (concepts.embeds) render as their objects.

latex2mathml accepts much that TeX refuses: it closes an unclosed brace silently, prints an
unknown command as its own name, and drops a missing argument. ``render_equation`` checks for
those first and raises a ``RenderError`` naming the object key and the position in the TeX.
Everything is sanitized with nh3 last: no script, no event handlers, no javascript: links.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import nh3
from latex2mathml import commands as tex_commands
from latex2mathml.converter import convert as latex_to_mathml
from latex2mathml.symbols_parser import SYMBOLS as TEX_SYMBOLS
from latex2mathml.tokenizer import PATTERN as TEX_TOKEN
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .embeds import EMBED_LINE, EmbeddedObject, embedded_objects

MATHML_TAGS = frozenset(
    {
        "math",
        "maction",
        "menclose",
        "merror",
        "mfenced",
        "mfrac",
        "mi",
        "mmultiscripts",
        "mn",
        "mo",
        "mover",
        "mpadded",
        "mphantom",
        "mprescripts",
        "mroot",
        "mrow",
        "ms",
        "mspace",
        "msqrt",
        "mstyle",
        "msub",
        "msubsup",
        "msup",
        "mtable",
        "mtd",
        "mtext",
        "mtr",
        "munder",
        "munderover",
        "none",
        "semantics",
        "annotation",
    }
)
MATHML_ATTRIBUTES = frozenset(
    {
        "accent",
        "accentunder",
        "close",
        "columnalign",
        "columnlines",
        "columnspacing",
        "depth",
        "display",
        "displaystyle",
        "encoding",
        "fence",
        "form",
        "frame",
        "height",
        "largeop",
        "linebreak",
        "lspace",
        "mathbackground",
        "mathcolor",
        "mathsize",
        "mathvariant",
        "maxsize",
        "minsize",
        "movablelimits",
        "notation",
        "open",
        "rowalign",
        "rowlines",
        "rowspacing",
        "rspace",
        "scriptlevel",
        "separator",
        "separators",
        "stretchy",
        "symmetric",
        "width",
        "xmlns",
    }
)
HTML_TAGS = frozenset(nh3.ALLOWED_TAGS | {"section"}) - {"area", "map"}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "title"},
    "a": {"href", "id"},
    "li": {"id"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
    **{tag: set(MATHML_ATTRIBUTES) for tag in MATHML_TAGS},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Standard TeX operators latex2mathml does not define, given to it as macros.
MISSING_OPERATORS = {r"\arg": r"\mathrm{arg}"}
TEX_PRELUDE = "".join(
    rf"\newcommand{{{name}}}{{{body}}}" for name, body in MISSING_OPERATORS.items()
)
SUBSCRIPT_OPERATORS = {"^": "a superscript", "_": "a subscript"}


class RenderError(ValueError):
    """TeX that does not render: the object key, where in its text, and what is wrong."""

    def __init__(self, *, key: str, message: str, offset: int, text: str, field: str = "") -> None:
        self.key, self.message, self.offset, self.field = key, message, offset, field
        before = text[:offset]
        self.line = before.count("\n") + 1
        self.column = offset - (before.rfind("\n") + 1) + 1
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}"
        return f"{self.key}, {where}: {self.message}" if self.key else f"{where}: {self.message}"

    def moved(self, *, key: str, offset: int, text: str, field: str = "") -> RenderError:
        """The same error, placed in the text that contains this TeX at ``offset``."""
        return RenderError(
            key=key,
            message=self.message,
            offset=offset + self.offset,
            text=text,
            field=field or self.field,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "field": self.field or "body",
            "line": self.line,
            "column": self.column,
            "offset": self.offset,
            "message": self.message,
        }


@dataclass(frozen=True)
class Rendering:
    html: str
    errors: tuple[RenderError, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"html": self.html, "errors": [error.as_dict() for error in self.errors]}


def sanitize(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=set(HTML_TAGS | MATHML_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )


# TeX ------------------------------------------------------------------------------------------


@functools.cache
def known_commands() -> frozenset[str]:
    """Every ``\\name`` latex2mathml turns into something other than its own name."""
    names: set[str] = set(TEX_SYMBOLS) | set(MISSING_OPERATORS)
    for value in vars(tex_commands).values():
        values = value if isinstance(value, tuple | list | set | frozenset | dict) else [value]
        names.update(v for v in values if isinstance(v, str) and v.startswith("\\"))
    return frozenset(names)


ARITY = {
    **{name: 1 for name in tex_commands.COMMANDS_WITH_ONE_PARAMETER},
    **{name: 2 for name in tex_commands.COMMANDS_WITH_TWO_PARAMETERS},
    tex_commands.SQRT: 1,
}


def _tokens(tex: str) -> list[tuple[int, str, str]]:
    """(offset, kind, text) of each TeX token, as latex2mathml's tokenizer splits them."""
    return [
        (match.start(), match.lastgroup or "char", match.group(0))
        for match in TEX_TOKEN.finditer(tex)
        if not match.group(0).startswith("%")
    ]


def _argument_end(tokens: list[tuple[int, str, str]], index: int) -> int | None:
    """The index after the argument starting at ``index``, or None where there is none."""
    if index >= len(tokens) or tokens[index][2] in ("}", "&", r"\\", "^", "_"):
        return None
    if tokens[index][2] != "{":
        return index + 1
    depth = 0
    for position in range(index, len(tokens)):
        depth += {"{": 1, "}": -1}.get(tokens[position][2], 0)
        if depth == 0:
            return position + 1
    return len(tokens)  # an unclosed group: the brace check names it


def tex_problem(tex: str) -> tuple[int, str] | None:
    """(offset, message) of the first thing wrong with ``tex`` that latex2mathml would let
    through or refuse without saying where; None when the checks find nothing."""
    tokens = _tokens(tex)
    braces: list[int] = []
    lefts: list[int] = []
    environments: list[tuple[int, str]] = []
    known = known_commands()
    for index, (offset, kind, text) in enumerate(tokens):
        if text == "{":
            braces.append(offset)
        elif text == "}":
            if not braces:
                return offset, "this } closes no {"
            braces.pop()
        elif kind == "command" and text not in known:
            return offset, f"unknown command {text}"
        elif text == r"\left":
            lefts.append(offset)
        elif text == r"\right":
            if not lefts:
                return offset, r"this \right has no \left"
            lefts.pop()
        elif kind == "begin_end":
            name = text[text.index("{") + 1 : -1]
            if text.startswith(r"\begin"):
                environments.append((offset, name))
            elif not environments or environments[-1][1] != name:
                return offset, f"this \\end{{{name}}} closes no \\begin{{{name}}}"
            else:
                environments.pop()
        if text in ARITY and kind == "command":
            needed, position = ARITY[text], index + 1
            if text == tex_commands.SQRT and position < len(tokens) and tokens[position][2] == "[":
                while position < len(tokens) and tokens[position][2] != "]":
                    position += 1
                position += 1
            for number in range(1, needed + 1):
                after = _argument_end(tokens, position)
                if after is None:
                    plural = "s" if needed > 1 else ""
                    missing = f"argument {number} is missing"
                    return offset, f"{text} needs {needed} argument{plural}; {missing}"
                position = after
        if text in SUBSCRIPT_OPERATORS and _argument_end(tokens, index + 1) is None:
            return offset, f"{text} needs {SUBSCRIPT_OPERATORS[text]} after it"
    if braces:
        return braces[-1], "this { is never closed"
    if lefts:
        return lefts[-1], r"this \left has no \right"
    if environments:
        offset, name = environments[-1]
        return offset, f"\\begin{{{name}}} is never ended"
    return None


def _message(error: Exception) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(error).__name__.removesuffix("Error")).lower()
    return f"latex2mathml cannot convert this: {words}"


def _convert(tex: str, display: bool) -> str:
    return latex_to_mathml(TEX_PRELUDE + tex, display="block" if display else "inline")


def _failing_offset(tex: str, display: bool, failure: type[Exception]) -> int:
    """Where a refusal starts: the first token at which the TeX up to it fails the same way
    (the end of the text when only the whole fails)."""
    for offset, _, text in _tokens(tex):
        try:
            _convert(tex[: offset + len(text)], display)
        except failure:
            return offset
        except Exception:  # a prefix may fail differently (it is cut short)
            continue
    return len(tex)


def render_equation(tex: str, *, display: bool, key: str = "") -> str:
    """``tex`` as sanitized MathML; a ``RenderError`` with ``key`` and the position in the
    TeX when it does not parse."""
    problem = tex_problem(tex)
    if problem is not None:
        raise RenderError(key=key, message=problem[1], offset=problem[0], text=tex)
    try:
        mathml = _convert(tex, display)
    except Exception as error:  # latex2mathml raises many unrelated types
        offset = _failing_offset(tex, display, type(error))
        raise RenderError(key=key, message=_message(error), offset=offset, text=tex) from error
    leftover = re.search(r">(\\[a-zA-Z]+)<", mathml)
    if leftover:
        offset = max(tex.find(leftover.group(1)), 0)
        message = f"unknown command {leftover.group(1)}"
        raise RenderError(key=key, message=message, offset=offset, text=tex)
    return sanitize(mathml)


# Markdown -------------------------------------------------------------------------------------


def object_key(kind: str, concept_path: str, anchor: str) -> str:
    return f"{kind}:{concept_path}#{anchor}"


def _error_html(error: RenderError, tex: str, display: bool) -> str:
    tag = "div" if display else "span"
    return (
        f'<{tag} class="render-error" title="{html.escape(str(error))}">'
        f"<code>{html.escape(tex)}</code> "
        f'<strong class="render-error-message">{html.escape(str(error))}</strong></{tag}>'
    )


def _line_offset(text: str, line: int) -> int:
    offset = 0
    for _ in range(line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def _math(env: dict, tex: str, *, display: bool, line: int | None = None) -> str:
    source = env["source"]
    start = _line_offset(source, line) if line is not None else 0
    found = source.find(tex, max(start, env["cursor"]))
    if found < 0:
        found = source.find(tex)
    if found >= 0:
        env["cursor"] = found + len(tex)
    try:
        return render_equation(tex, display=display, key=env["key"])
    except RenderError as error:
        if found >= 0:
            error = error.moved(key=env["key"], offset=found, text=source)
        env["errors"].append(error)
        return _error_html(error, tex, display)


def _embed_rule(state, start_line: int, end_line: int, silent: bool) -> bool:
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start_line] + state.tShift[start_line] : state.eMarks[start_line]]
    match = EMBED_LINE.match(line.strip())
    if not match or (match["kind"], match["anchor"]) not in state.env.get("objects", {}):
        return False  # an unknown reference stays as written, as embed_expand leaves it
    if silent:
        return True
    token = state.push("concept_embed", "", 0)
    token.meta = {"kind": match["kind"], "anchor": match["anchor"]}
    token.map = [start_line, start_line + 1]
    state.line = start_line + 1
    return True


def _code_html(body: str, language: str) -> str:
    css = f' class="language-{html.escape(language)}"' if language else ""
    return f"<pre><code{css}>{html.escape(body)}</code></pre>\n"


def _render_embed(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    obj: EmbeddedObject = env["objects"][(meta["kind"], meta["anchor"])]
    key = object_key(obj.kind, env["concept_path"], obj.anchor)
    inner = {**env, "key": key, "source": obj.body, "cursor": 0}
    if obj.kind == "equation":
        return f'<div class="equation">{_math(inner, obj.body.strip(), display=True)}</div>\n'
    if obj.kind == "code":
        return _code_html(obj.body.rstrip("\n"), obj.language)
    return _MARKDOWN.render(obj.body, inner)


def _render_math_inline(self, tokens, idx, options, env) -> str:
    return _math(env, tokens[idx].content, display=False)


def _render_math_display_inline(self, tokens, idx, options, env) -> str:
    return _math(env, tokens[idx].content, display=True)


def _render_math_block(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    line = token.map[0] if token.map else None
    mathml = _math(env, token.content.strip(), display=True, line=line)
    return f'<div class="equation">{mathml}</div>\n'


def _markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table")
    md.use(footnote_plugin)
    # No space inside the dollars and no digit outside them: "$5 and $6" stays prose.
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    md.block.ruler.before("paragraph", "concept_embed", _embed_rule, {"alt": ["paragraph"]})
    md.add_render_rule("concept_embed", _render_embed)
    md.add_render_rule("math_inline", _render_math_inline)
    md.add_render_rule("math_inline_double", _render_math_display_inline)
    md.add_render_rule("math_block", _render_math_block)
    md.add_render_rule("math_block_label", _render_math_block)
    return md


_MARKDOWN = _markdown_parser()


def render_markdown(
    text: str,
    *,
    key: str = "",
    objects: Mapping[tuple[str, str], EmbeddedObject] | None = None,
    concept_path: str = "",
) -> Rendering:
    """Markdown with math as sanitized HTML, and every equation that did not render. A line
    ``{{kind:anchor}}`` naming one of ``objects`` renders as that object (its errors carry the
    object's key); other errors carry ``key`` and their line and column in ``text``."""
    env: dict[str, Any] = {
        "key": key,
        "source": text,
        "cursor": 0,
        "errors": [],
        "objects": objects or {},
        "concept_path": concept_path,
    }
    markup = _MARKDOWN.render(text, env)
    return Rendering(html=sanitize(markup), errors=tuple(env["errors"]))


def _params_html(params: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<dt><code>{html.escape(str(name))}</code></dt>"
        f"<dd><code>{html.escape(json.dumps(value, ensure_ascii=False))}</code></dd>"
        for name, value in params.items()
    )
    return f'<dl class="demo-params">{rows}</dl>' if rows else ""


def render_object(
    *, key: str, kind: str, body: str, language: str = "", params: Mapping | None = None
) -> Rendering:
    """One page object as learners see it: an equation as display MathML, a code witness as
    a code block in its language, a demo as its text and default parameters, a
    misconception as its text."""
    if kind == "equation":
        try:
            mathml = render_equation(body.strip(), display=True, key=key)
        except RenderError as error:
            moved = error.moved(key=key, offset=len(body) - len(body.lstrip()), text=body)
            return Rendering(html=sanitize(_error_html(moved, body, True)), errors=(moved,))
        return Rendering(html=f'<div class="equation">{mathml}</div>')
    if kind == "code":
        return Rendering(html=sanitize(_code_html(body.rstrip("\n"), language)))
    text = render_markdown(body, key=key)
    if kind == "demo" and params:
        return Rendering(html=text.html + sanitize(_params_html(params)), errors=text.errors)
    return text


def section_rendered(
    section: Mapping[str, Any], *, objects: Mapping[tuple[str, str], EmbeddedObject], path: str
) -> dict[str, Any]:
    """The ``rendered`` form of a served section (concepts.selectors.section_data): its body,
    embeds expanded, and its section prompt as HTML, with every equation that did not render."""
    body = render_markdown(
        section["body_source"], key=section["key"], objects=objects, concept_path=path
    )
    prompt = render_markdown(section["section_prompt"], key=section["key"])
    prompt_errors = [
        error.moved(key=error.key, offset=0, text=section["section_prompt"], field="section_prompt")
        for error in prompt.errors
    ]
    return {
        "html": body.html,
        "section_prompt_html": prompt.html,
        "errors": [error.as_dict() for error in (*body.errors, *prompt_errors)],
    }


def object_rendered(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The ``rendered`` form of a served object (concepts.selectors.object_data)."""
    return render_object(
        key=obj["key"],
        kind=obj["kind"],
        body=obj["body"],
        language=obj.get("language") or "",
        params=obj.get("params") or {},
    ).as_dict()


def page_rendered(page: Mapping[str, Any]) -> dict[str, Any]:
    """A served concept page with a ``rendered`` form added to each section and object."""
    objects = embedded_objects(page["objects"])
    return {
        **page,
        "sections": [
            {**section, "rendered": section_rendered(section, objects=objects, path=page["path"])}
            for section in page["sections"]
        ],
        "objects": [{**obj, "rendered": object_rendered(obj)} for obj in page["objects"]],
    }
