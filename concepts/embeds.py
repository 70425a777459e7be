"""Section bodies refer to the page's objects instead of repeating them.

A line that is exactly ``{{<kind>:<anchor>}}`` (for example ``{{equation:reward-gap}}`` or
``{{code:reward-model-and-policy}}``) stands for that object of the same concept, and is expanded
when the page is served:

- an equation becomes a display-math block: ``$$``, its LaTeX, ``$$``;
- a code witness becomes a fenced block in its language;
- a demo or a misconception becomes its text.

So each equation and code body lives once, in its object: edit it there and every section that
shows it, every claim that cites it and every draft anchored to it sees the change.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

EMBED_KINDS = ("equation", "code", "demo", "misconception")
EMBED_LINE = re.compile(
    r"^\{\{(?P<kind>equation|code|demo|misconception):(?P<anchor>[-a-zA-Z0-9_]+)\}\}$"
)
# Bodies shorter than this may legitimately recur in prose (a symbol, a short formula inline).
REPEAT_MIN_CHARS = 24


@dataclass(frozen=True)
class EmbeddedObject:
    kind: str
    anchor: str
    body: str
    language: str = ""


@dataclass(frozen=True)
class EmbedProblem:
    line: int
    key: str
    reason: str


def embed_refs(body: str) -> list[tuple[int, str, str]]:
    """(line number, kind, anchor) of every embed line, in order."""
    refs = []
    for number, line in enumerate(body.split("\n"), start=1):
        match = EMBED_LINE.match(line.strip())
        if match:
            refs.append((number, match["kind"], match["anchor"]))
    return refs


def embed_block(obj: EmbeddedObject) -> str:
    body = obj.body.rstrip("\n")
    if obj.kind == "equation":
        return f"$$\n{body}\n$$"
    if obj.kind == "code":
        return f"```{obj.language}\n{body}\n```"
    return body


def embed_expand(body: str, objects: Mapping[tuple[str, str], EmbeddedObject]) -> str:
    """The body with every embed line replaced by its object; unknown references stay as
    they are (the loader and the admin refuse them before they are stored)."""
    if "{{" not in body:
        return body
    lines = []
    for line in body.split("\n"):
        match = EMBED_LINE.match(line.strip())
        obj = objects.get((match["kind"], match["anchor"])) if match else None
        lines.append(embed_block(obj) if obj is not None else line)
    return "\n".join(lines)


def _blocks(body: str) -> Iterable[tuple[int, str]]:
    """(first line, content) of each display-math and fenced code block in the body."""
    lines = body.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        closer = "$$" if line == "$$" else "```" if line.startswith("```") else None
        if closer is None:
            index += 1
            continue
        start = index
        index += 1
        content = []
        while index < len(lines) and lines[index].strip() != closer:
            content.append(lines[index])
            index += 1
        yield start + 1, "\n".join(content)
        index += 1


def embed_problems(
    body: str, objects: Mapping[tuple[str, str], EmbeddedObject], concept_path: str
) -> list[EmbedProblem]:
    """References to objects that do not exist, and object bodies repeated instead of referred
    to, each with the line it is on."""
    problems = []
    for line, kind, anchor in embed_refs(body):
        if (kind, anchor) not in objects:
            problems.append(
                EmbedProblem(line, f"{kind}:{concept_path}#{anchor}", "refers to no such object")
            )
    blocks = list(_blocks(body))
    for obj in objects.values():
        text = obj.body.strip()
        if not text:
            continue
        key = f"{obj.kind}:{concept_path}#{obj.anchor}"
        hint = f"repeats the body of {key}: write {{{{{obj.kind}:{obj.anchor}}}}} instead"
        block_line = next((line for line, content in blocks if content.strip() == text), None)
        if block_line is not None:
            problems.append(EmbedProblem(block_line, key, hint))
        elif len(text) >= REPEAT_MIN_CHARS and text in body:
            line = body[: body.index(text)].count("\n") + 1
            problems.append(EmbedProblem(line, key, hint))
    return sorted(problems, key=lambda problem: (problem.line, problem.key))


def _value(row: Any, name: str) -> Any:
    """A ConceptObject's attribute, or a dict's entry (None when it has none)."""
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name)


def embedded_objects(rows: Iterable) -> dict[tuple[str, str], EmbeddedObject]:
    """Index ConceptObject rows (or dicts with the same names) by (kind, anchor)."""
    index: dict[tuple[str, str], EmbeddedObject] = {}
    for row in rows:
        index[(_value(row, "kind"), _value(row, "anchor"))] = EmbeddedObject(
            kind=_value(row, "kind"),
            anchor=_value(row, "anchor"),
            body=_value(row, "body") or "",
            language=_value(row, "language") or "",
        )
    return index
