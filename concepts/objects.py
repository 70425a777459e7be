"""Resolvers for the object keys the concepts app owns.

``concept:alignment/rlhf``, ``section:alignment/rlhf#math``, ``equation:…#reward-gap``,
``code:…#reward-model-and-policy``, ``demo:…#kl-policy``, ``misconception:…#…`` and
``source:christiano-2017-human-preferences``. Any existing object resolves, whatever the
concept's status: drafts anchor to work in progress too.
"""

from typing import Any

from django.urls import reverse

from learning_platform.objects import ResolvedObject, register_resolver

from .models import Concept, ConceptObject, Section
from .selectors import (
    SNAPSHOT_MISSING,
    SNAPSHOT_READY,
    concept_api_path,
    concept_edges,
    snapshots_latest,
    source_bibliography,
    source_get,
)

EXCERPT_CHARS = 280


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def _split_path(rest: str) -> tuple[str, str, str] | None:
    """``"alignment/rlhf#reward-gap"`` → ``("alignment", "rlhf", "reward-gap")``."""
    path, _, anchor = rest.partition("#")
    area, sep, slug = path.partition("/")
    if not sep or not area or not slug or "/" in slug:
        return None
    return area, slug, anchor


def _concept(area: str, slug: str) -> Concept | None:
    return Concept.objects.filter(area=area, slug=slug).first()


def concept_context(concept: Concept) -> dict[str, Any]:
    """What the research room pre-fills as evidence to inspect for a concept."""
    links = concept.source_links.select_related("source")
    # Not user-specific: the neighbours anyone may see (prefilled into learners' drafts).
    before, after = concept_edges(concept=concept, user=None)
    objects = list(concept.page_objects.all())
    by_kind: dict[str, list[ConceptObject]] = {}
    for obj in objects:
        by_kind.setdefault(obj.kind, []).append(obj)
    operational = [obj.key for obj in objects if obj.operational]
    if not operational:
        operational = [
            obj.key
            for obj in objects
            if obj.kind in (ConceptObject.Kind.EQUATION, ConceptObject.Kind.CODE)
        ]
    demos = by_kind.get(ConceptObject.Kind.DEMO, [])
    return {
        "area": concept.area,
        "area_title": concept.area_title,
        "summary": concept.summary,
        "status": concept.status,
        "anchored_question": concept.anchored_question,
        "practice": {"heading": concept.practice_heading, "prompt": concept.practice_prompt},
        "source_keys": [link.source.key for link in links],
        "prerequisites": [
            {"key": edge.prerequisite.key, "title": edge.prerequisite.title} for edge in before
        ],
        "next_concepts": [{"key": edge.concept.key, "title": edge.concept.title} for edge in after],
        "operational_keys": operational,
        "equation_keys": [obj.key for obj in by_kind.get(ConceptObject.Kind.EQUATION, [])],
        "code_keys": [obj.key for obj in by_kind.get(ConceptObject.Kind.CODE, [])],
        "misconception_keys": [
            obj.key for obj in by_kind.get(ConceptObject.Kind.MISCONCEPTION, [])
        ],
        "demo": (
            {"key": demos[0].key, "demo_kind": demos[0].demo_kind, "params": demos[0].params}
            if demos
            else None
        ),
    }


@register_resolver("concept")
def resolve_concept(key: str, *, with_context: bool = True) -> ResolvedObject | None:
    """``with_context=False``: the concept without its context (no edges, page objects or
    sources read), for a caller that needs only its title, version and revision."""
    parts = _split_path(key.partition(":")[2])
    if parts is None or parts[2]:
        return None
    concept = _concept(parts[0], parts[1])
    if concept is None:
        return None
    return ResolvedObject(
        key=concept.key,
        kind="concept",
        title=concept.title,
        api_url=concept_api_path(concept),
        concept_key=concept.key,
        version=concept.content_hash,
        context=concept_context(concept) if with_context else {},
        public=concept.status == Concept.Status.PUBLISHED,
        revision=concept.revision_hash,
    )


@register_resolver("section")
def resolve_section(key: str) -> ResolvedObject | None:
    parts = _split_path(key.partition(":")[2])
    if parts is None or not parts[2]:
        return None
    area, slug, kind = parts
    section = (
        Section.objects.select_related("concept")
        .filter(concept__area=area, concept__slug=slug, kind=kind)
        .first()
    )
    if section is None:
        return None
    concept = section.concept
    return ResolvedObject(
        key=section.key,
        kind="section",
        title=f"{concept.title} · {section.title}",
        api_url=f"{concept_api_path(concept)}#section-{section.kind}",
        concept_key=concept.key,
        version=section.content_hash,
        context={
            "kind": "section",
            "section": section.kind,
            "concept_title": concept.title,
            "area": concept.area,
            "area_title": concept.area_title,
            "excerpt": _excerpt(section.section_prompt or section.body),
        },
        public=concept.status == Concept.Status.PUBLISHED,
        revision=concept.revision_hash,
    )


@register_resolver(*ConceptObject.Kind.values)
def resolve_concept_object(key: str) -> ResolvedObject | None:
    kind, _, rest = key.partition(":")
    parts = _split_path(rest)
    if parts is None or not parts[2]:
        return None
    area, slug, anchor = parts
    obj = (
        ConceptObject.objects.select_related("concept", "section")
        .filter(concept__area=area, concept__slug=slug, kind=kind, anchor=anchor)
        .first()
    )
    if obj is None:
        return None
    concept = obj.concept
    context: dict[str, Any] = {
        "kind": obj.kind,
        "anchor": obj.anchor,
        "concept_title": concept.title,
        "area": concept.area,
        "area_title": concept.area_title,
        "section": obj.section.kind if obj.section else None,
        "excerpt": _excerpt(obj.body),
    }
    if obj.language:
        context["language"] = obj.language
    if obj.kind == ConceptObject.Kind.DEMO:
        context["demo_kind"] = obj.demo_kind
        context["params"] = obj.params
    return ResolvedObject(
        key=obj.key,
        kind=obj.kind,
        title=obj.title,
        api_url=f"{concept_api_path(concept)}#{obj.kind}-{obj.anchor}",
        concept_key=concept.key,
        version=obj.content_hash,
        context=context,
        public=concept.status == Concept.Status.PUBLISHED,
        revision=concept.revision_hash,
    )


@register_resolver("source")
def resolve_source(key: str) -> ResolvedObject | None:
    source = source_get(key=key.partition(":")[2])
    if source is None:
        return None
    snapshot = snapshots_latest(source_ids=[source.pk]).get(source.pk)
    return ResolvedObject(
        key=source.object_key,
        kind="source",
        title=source.title,
        api_url=reverse("source-detail", kwargs={"key": source.key}),
        concept_key=None,
        version=snapshot.sha256 if snapshot else source.content_hash,
        context={
            **source_bibliography(source),
            "snapshot_state": SNAPSHOT_READY if snapshot else SNAPSHOT_MISSING,
            "snapshot_sha256": snapshot.sha256 if snapshot else None,
        },
    )
