"""The research room's words: evidence pre-filled from an anchored object, and the handoff text.

Both quote only stored data: the resolved object (kind, title, key, URL and context) and the
draft's own fields. Nothing here queries the database directly; callers pass what they resolved.
"""

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from learning_platform.objects import ResolvedObject, object_resolve

from .models import LIST_ITEM_MAX

PLATFORM_ROOM = "the learning platform's research room"

KIND_LABELS = {"code": "code witness", "demo-state": "demo state"}

RESOLUTION_DEFAULTS = (
    "The learner can state the mechanism in their own words",
    "The learner can name the prerequisite that would repair confusion",
    "The learner can predict how the mechanism changes under one perturbation",
)

TUTOR_INSTRUCTION = (
    "Answer as a careful research tutor: stay source-grounded, separate verified evidence from "
    "assumptions, name the relevant math objects, and end with one next action."
)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def _first(context: dict[str, Any], *names: str) -> Any:
    for name in names:
        value = context.get(name)
        if value not in (None, "", [], {}):
            return value
    return None


def _keys(items: Any) -> list[str]:
    """Keys from a list of keys or of {"key": ...} mappings."""
    if not isinstance(items, list | tuple):
        return []
    keys = []
    for item in items:
        if isinstance(item, str):
            keys.append(item)
        elif isinstance(item, dict) and item.get("key"):
            keys.append(str(item["key"]))
    return keys


def _titled(items: Any) -> list[str]:
    """ "Title (key)" for each linked concept, or the bare key when no title is known."""
    if not isinstance(items, list | tuple):
        return []
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and item.get("key"):
            title = item.get("title")
            out.append(f"{title} ({item['key']})" if title else str(item["key"]))
    return out


def source_keys(context: dict[str, Any]) -> list[str]:
    keys = _keys(_first(context, "source_keys", "sources"))
    return [key.removeprefix("source:") for key in keys]


def operational_keys(context: dict[str, Any]) -> list[str]:
    keys = _keys(_first(context, "operational_keys", "operational"))
    if not keys:
        keys = _keys(_first(context, "equation_keys", "equations")) + _keys(
            _first(context, "code_keys", "code_witnesses", "codes")
        )
    return keys


def _query_scalar(value: int | float | str) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def demo_state_key(context: dict[str, Any]) -> str | None:
    """The concept's default demo state: given outright, or built from its demo and params."""
    explicit = _first(context, "demo_state_key", "demo_state")
    if isinstance(explicit, str):
        return explicit
    demo = _first(context, "demo_key", "demo")
    params = _first(context, "demo_params", "params")
    if isinstance(demo, dict):
        params = demo.get("params", params)
        demo = demo.get("key")
    if not isinstance(demo, str) or not demo.startswith("demo:"):
        return None
    candidate = "demo-state:" + demo.removeprefix("demo:")
    if isinstance(params, dict) and params:
        # Scalars only: the state resolver fills everything else in from the demo's defaults.
        scalars = {
            name: _query_scalar(value)
            for name, value in sorted(params.items())
            if isinstance(value, int | float | str) and not isinstance(value, bool)
        }
        if scalars:
            candidate += "?" + urlencode(scalars)
    resolved = object_resolve(candidate)
    return resolved.key if resolved is not None else None


def concept_of(resolved: ResolvedObject) -> ResolvedObject | None:
    """The concept an object belongs to (itself for a concept), resolved once."""
    if resolved.kind == "concept":
        return resolved
    if resolved.concept_key:
        concept = object_resolve(resolved.concept_key)
        if concept is not None and concept.kind == "concept":
            return concept
    return None


def evidence_prefill(resolved: ResolvedObject) -> list[str]:
    """The page's "Evidence to inspect", filled from the anchored object and its concept."""
    concept = concept_of(resolved)
    context = dict(concept.context) if concept else {}
    own = resolved.context or {}

    sources = source_keys(context)
    if resolved.kind == "source":
        sources = [resolved.key.removeprefix("source:")]
    for key in source_keys(own):
        if key not in sources:
            sources.append(key)

    links = []
    if concept is not None:
        links.append(f"definition {concept.key}")
        prerequisites = _titled(_first(context, "prerequisites", "before"))
        if prerequisites:
            links.append("prerequisite " + ", ".join(prerequisites))
        following = _titled(_first(context, "next_concepts", "next"))
        if following:
            links.append("contrast " + ", ".join(following))

    # The anchor itself (an equation or code witness) or its own witnesses (a claim's) first.
    first = [resolved.key] if resolved.kind in ("equation", "code") else []
    first += [key for key in _keys(own.get("witnesses")) if key not in first]
    operational = first + [key for key in operational_keys(context) if key not in first]

    state = resolved.key if resolved.kind == "demo-state" else demo_state_key(context)

    items = [
        "Source ids to inspect: " + (", ".join(sources) if sources else "none attached yet"),
        "Definition, prerequisite, and contrast concept links"
        + (": " + "; ".join(links) if links else ""),
        "The equation or code witness that makes the concept operational"
        + (": " + ", ".join(operational) if operational else ""),
        "One demo state that shows the invariant instead of a slogan"
        + (f": {state}" if state else ""),
    ]
    return [_clip(item) for item in items]


def _clip(text: str) -> str:
    """An evidence item within the per-item cap, cut at a separator where one is near."""
    if len(text) <= LIST_ITEM_MAX:
        return text
    cut = text[: LIST_ITEM_MAX - 1]
    for separator in ("; ", ", "):
        at = cut.rfind(separator)
        if at > LIST_ITEM_MAX // 2:
            cut = cut[:at]
            break
    return cut.rstrip() + "…"


def resolution_prefill() -> list[str]:
    return list(RESOLUTION_DEFAULTS)


def context_line(resolved: ResolvedObject | None, concept: ResolvedObject | None) -> str:
    parts: list[str] = []
    for source in (resolved, concept):
        area = source and _first(source.context or {}, "area_title", "area")
        if area and area not in parts:
            parts.append(str(area))
    if resolved is not None and concept is not None and concept.key != resolved.key:
        parts.append(concept.title)
    return " · ".join(parts)


def handoff_text(
    *,
    kind: str,
    title: str,
    key: str,
    context: str,
    url: str,
    question: str,
    note: str,
    next_action: str,
    evidence: Sequence[str],
    resolution: Sequence[str],
    changed_note: str = "",
) -> str:
    """The page's "Grounded AI handoff", one labelled line each, lists as "- item"."""

    def bullets(items: Iterable[str]) -> list[str]:
        return [f"- {item}" for item in items] or ["- (none listed)"]

    lines = [
        f"I am working in {PLATFORM_ROOM}.",
        f"Object: {kind_label(kind)} - {title}",
        f"Object key: {key}",
    ]
    if context:
        lines.append(f"Context: {context}")
    lines.append(f"Anchor URL: {url}")
    if changed_note:
        lines.append(changed_note)
    lines.append(f"Open question: {question}")
    if note:
        lines.append(f"Learner note: {note}")
    if next_action:
        lines.append(f"Next action: {next_action}")
    lines.append("Evidence to inspect:")
    lines.extend(bullets(evidence))
    lines.append("What would resolve this:")
    lines.extend(bullets(resolution))
    lines.append(TUTOR_INSTRUCTION)
    return "\n".join(lines)
