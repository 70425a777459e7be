"""The research room's words: evidence pre-filled from an anchored object, and the handoff text.

Both quote only stored data: the resolved object (kind, title, key and context), the draft's own
fields and the site's name. Nothing here queries the database directly; callers pass what they
resolved.
"""

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from learning_platform.objects import ResolvedObject, object_resolve

from .models import LIST_ITEM_MAX

KIND_LABELS = {"code": "code witness", "demo-state": "demo state"}

# The page's "Evidence to inspect" after its source ids, as the page words them.
EVIDENCE_LINKS = "Definition, prerequisite, and contrast concept links"
EVIDENCE_OPERATIONAL = "The equation or code witness that makes the concept operational"
EVIDENCE_DEMO_STATE = "One demo state that shows the invariant instead of a slogan"

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


def source_keys(context: dict[str, Any]) -> list[str]:
    keys = _keys(_first(context, "source_keys", "sources"))
    return [key.removeprefix("source:") for key in keys]


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


_UNSET: Any = object()


def anchored_question(resolved: ResolvedObject, concept: ResolvedObject | None = _UNSET) -> str:
    """The question a draft takes when saved without one: its concept's anchored question.

    `concept` is concept_of(resolved) when the caller already has it."""
    if concept is _UNSET:
        concept = concept_of(resolved)
    return str((concept.context or {}).get("anchored_question") or "") if concept else ""


def evidence_prefill(
    resolved: ResolvedObject, concept: ResolvedObject | None = _UNSET
) -> list[str]:
    """The page's "Evidence to inspect": the source ids of the anchored object and its concept
    (a source anchor's own id first), then the page's three other items as it words them.

    `concept` is concept_of(resolved) when the caller already has it."""
    if concept is _UNSET:
        concept = concept_of(resolved)
    sources = source_keys(dict(concept.context) if concept else {})
    if resolved.kind == "source":
        sources = [resolved.key.removeprefix("source:")]
    for key in source_keys(resolved.context or {}):
        if key not in sources:
            sources.append(key)
    listed = ", ".join(sources) if sources else "none attached yet"
    return [
        _clip(f"Source ids to inspect: {listed}"),
        EVIDENCE_LINKS,
        EVIDENCE_OPERATIONAL,
        EVIDENCE_DEMO_STATE,
    ]


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


def anchor_id(key: str) -> str:
    """The anchor's id in the handoff: ``ANCHOR_ID_TEMPLATE`` filled from the object key
    (``{kind}``, ``{path}`` = the key after the kind, ``{area}``, ``{slug}``, ``{anchor}``)."""
    kind, _, path = key.partition(":")
    base, _, anchor = path.partition("#")
    area, slash, slug = base.partition("/")
    if not slash:
        area = slug = ""
    return settings.ANCHOR_ID_TEMPLATE.format(
        kind=kind, path=path, area=area, slug=slug, anchor=anchor
    )


def handoff_text(
    *,
    kind: str,
    title: str,
    key: str,
    context: str,
    question: str,
    note: str,
    next_action: str,
    evidence: Sequence[str],
    resolution: Sequence[str],
    changed_note: str = "",
) -> str:
    """The page's "Grounded AI handoff": one paragraph of labelled parts, lists as "- item"."""

    def bullets(items: Iterable[str]) -> list[str]:
        return [f"- {item}" for item in items] or ["- (none listed)"]

    parts = [
        f"I am working in {settings.SITE_NAME}'s {settings.RESEARCH_ROOM_NAME}.",
        f"Object: {kind_label(kind)} - {title}",
        f"Object key: {key}",
    ]
    if context:
        parts.append(f"Context: {context}")
    parts.append(f"Anchor id: {anchor_id(key)}")
    if changed_note:
        parts.append(changed_note)
    parts.append(f"Open question: {question}")
    if note:
        parts.append(f"Learner note: {note}")
    if next_action:
        parts.append(f"Next action: {next_action}")
    parts.append("Evidence to inspect:")
    parts.extend(bullets(evidence))
    parts.append("What would resolve this:")
    parts.extend(bullets(resolution))
    parts.append(TUTOR_INSTRUCTION)
    return " ".join(parts)
