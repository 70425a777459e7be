"""Every read of the research room. Each starts from the owner's own rows, then narrows."""

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, TypedDict

import django_filters
from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from concepts.models import Concept, ConceptSource
from concepts.selectors import (
    concept_api_path,
    concept_diff_path,
    concept_revision_of_key,
    practice_hints_of,
)
from learning_platform.objects import ResolvedObject, object_resolve, object_resolve_for

from .annotations import collection_from_drafts, export_url, page_from_drafts
from .handoff import concept_of, context_line, demo_state_key, handoff_text
from .models import PracticePrediction, PracticeProgress, ResearchDraft

SEARCH_MAX = 200


class DraftFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ResearchDraft.Status.choices)
    anchor = django_filters.CharFilter(field_name="anchor_key", max_length=300)
    anchor_kind = django_filters.CharFilter(field_name="anchor_kind", max_length=40)
    concept = django_filters.CharFilter(method="filter_concept", max_length=300)
    search = django_filters.CharFilter(method="filter_search", max_length=SEARCH_MAX)

    class Meta:
        model = ResearchDraft
        fields = ["status", "anchor", "anchor_kind", "concept", "search"]

    def filter_concept(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        key = value if value.startswith("concept:") else f"concept:{value}"
        return queryset.filter(Q(anchor_concept_key=key) | Q(anchor_key=key))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(question__icontains=value) | Q(note__icontains=value))


def draft_list_for_owner(
    *, owner: User, filters: dict[str, Any] | None = None
) -> QuerySet[ResearchDraft]:
    """The owner's drafts, newest first; filters narrow that set and never widen it."""
    queryset = ResearchDraft.objects.filter(owner=owner).order_by("-updated_at", "-id")
    if not filters:
        return queryset
    filterset = DraftFilter(data=filters, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(
            {
                name: [str(message) for message in messages]
                for name, messages in filterset.errors.items()
            }
        )
    return filterset.qs


def draft_get_for_owner(*, owner: User, draft_id: Any) -> ResearchDraft | None:
    draft = ResearchDraft.objects.filter(owner=owner, pk=draft_id).first()
    if draft is not None:
        draft.owner = owner  # the row was found by its owner: no second query for the user
    return draft


def draft_prefill_concept(resolved: ResolvedObject) -> ResolvedObject | None:
    """The parts of the anchored object's concept a new draft's prefill reads (its anchored
    question and its source ids), as handoff.concept_of would give them: a concept resolved
    with its context is its own, else the concept is read in two small queries instead of
    resolved whole (edges and page objects, which the prefill never reads). None when there
    is no concept."""
    if resolved.kind == "concept" and "source_keys" in (resolved.context or {}):
        return resolved  # resolved with its context: the parts are there already
    if not resolved.concept_key:
        return None
    area, _, slug = resolved.concept_key.removeprefix("concept:").partition("/")
    concept = (
        Concept.objects.filter(area=area, slug=slug)
        .only("id", "area", "slug", "title", "anchored_question")
        .first()
    )
    if concept is None:
        return None
    source_keys = list(
        ConceptSource.objects.filter(concept=concept)
        .order_by("order", "id")
        .values_list("source__key", flat=True)
    )
    return ResolvedObject(
        key=concept.key,
        kind="concept",
        title=concept.title,
        api_url=concept_api_path(concept),
        concept_key=concept.key,
        context={"anchored_question": concept.anchored_question, "source_keys": source_keys},
    )


@dataclass(frozen=True)
class AnchorState:
    resolved: ResolvedObject | None
    changed: bool
    stored_version: str
    current_version: str | None
    stored_revision: str = ""
    diff_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "anchor_changed": self.changed,
            "anchor_resolves": self.resolved is not None,
            "anchor_version": self.stored_version,
            "anchor_current_version": self.current_version,
            "anchor_revision": self.stored_revision,
            "anchor_diff_url": self.diff_url,
        }


_UNRESOLVED: Any = object()


def draft_anchor_state(
    *, draft: ResearchDraft, user, resolved: ResolvedObject | None = _UNRESOLVED
) -> AnchorState:
    """Whether the anchored object is still the one the draft was written against, as the
    draft's owner may see it: an object since unpublished no longer resolves for a learner.

    `resolved` is object_resolve_for(draft.anchor_key, user) when the caller has just resolved
    it (a write that anchored the draft); otherwise it is resolved here."""
    if resolved is _UNRESOLVED:
        resolved = object_resolve_for(draft.anchor_key, user)
    current = resolved.version if resolved is not None else None
    changed = current != draft.anchor_version
    diff_url = None
    if changed and draft.anchor_revision and draft.anchor_concept_key:
        if resolved is not None and resolved.revision is not None:
            now = resolved.revision
        else:
            now = concept_revision_of_key(draft.anchor_concept_key)
        if now and now != draft.anchor_revision:
            diff_url = concept_diff_path(
                draft.anchor_concept_key,
                old=draft.anchor_revision,
                new=now,
                object_key="" if draft.anchor_kind == "concept" else draft.anchor_key,
            )
    return AnchorState(
        resolved=resolved,
        changed=changed,
        stored_version=draft.anchor_version,
        current_version=current,
        stored_revision=draft.anchor_revision,
        diff_url=diff_url,
    )


def draft_handoff(*, draft: ResearchDraft, user) -> dict[str, Any]:
    """The grounded handoff for a draft: the object as it is now, and the draft as stored."""
    state = draft_anchor_state(draft=draft, user=user)
    resolved = state.resolved
    concept = concept_of(resolved) if resolved is not None else None
    changed_note = ""
    if resolved is None:
        changed_note = (
            "Note: this object no longer resolves; the title below is the one stored with "
            "the draft."
        )
    elif state.changed:
        changed_note = (
            f"Note: the object has changed since this draft was written (version "
            f"{state.stored_version[:12] or 'unknown'} then, {resolved.version[:12]} now)."
        )
    text = handoff_text(
        kind=resolved.kind if resolved else draft.anchor_kind,
        title=resolved.title if resolved else draft.anchor_title,
        key=draft.anchor_key,
        context=context_line(resolved, concept),
        question=draft.question,
        note=draft.note,
        next_action=draft.next_action,
        evidence=draft.evidence,
        resolution=draft.resolution,
        changed_note=changed_note,
    )
    return {"draft": str(draft.id), "anchor": draft.anchor_key, **state.to_dict(), "text": text}


# Not secret, only fixed: the learner ids below must read the same in every database.
LEARNER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "learning-platform:learner")


def learner_agent(*, user: AbstractBaseUser) -> dict[str, str]:
    """The learner as a Web Annotation Agent: a urn:uuid that stays the same for the account
    (its id and join time never change) and says nothing about it, not even its username."""
    joined = getattr(user, "date_joined", None)
    basis = f"{user.pk}:{joined.isoformat() if joined else ''}"
    return {"id": f"urn:uuid:{uuid.uuid5(LEARNER_NAMESPACE, basis)}", "type": "Person"}


def draft_export(
    *,
    owner: User,
    base_url: str,
    filters: dict[str, Any] | None = None,
    collection_id: str | None = None,
    page: bool = False,
) -> dict[str, Any]:
    """The owner's drafts as a Web Annotation collection, or (``page``) its one page alone;
    each annotation names the owner as its creator."""
    drafts = draft_list_for_owner(owner=owner, filters=filters)
    creator = learner_agent(user=owner)
    if page:
        return page_from_drafts(
            drafts,
            base_url=base_url,
            collection_id=collection_id or export_url(base_url),
            creator=creator,
        )
    return collection_from_drafts(
        drafts, base_url=base_url, collection_id=collection_id, creator=creator
    )


# Practice loop --------------------------------------------------------------------------------


def practice_default_demo_state(*, concept: ResolvedObject) -> ResolvedObject | None:
    key = demo_state_key(concept.context or {})
    return object_resolve(key) if key else None


def demo_state_identity(demo_state: ResolvedObject | None) -> str:
    """One value per runnable state, however its key was spelled ("" for no demo state)."""
    if demo_state is None:
        return ""
    context = demo_state.context or {}
    basis = f"{context.get('demo', '')}:{context.get('params_hash', '')}"
    if not context.get("params_hash"):
        basis = demo_state.key
    return hashlib.sha256(basis.encode()).hexdigest()


def practice_prediction_get(
    *, owner: User, concept_key: str, demo_state: ResolvedObject | None
) -> PracticePrediction | None:
    return PracticePrediction.objects.filter(
        owner=owner, concept_key=concept_key, demo_state_hash=demo_state_identity(demo_state)
    ).first()


def practice_hint_count(*, concept_key: str) -> int:
    return practice_hints_of(concept_key).count()


class ReadinessCheck(TypedDict):
    name: str
    label: str
    ready: bool


def readiness_summary(progress: PracticeProgress | None) -> dict[str, Any]:
    checks: list[ReadinessCheck] = [
        {"name": name, "label": label, "ready": bool(progress and getattr(progress, name))}
        for name, label in PracticeProgress.CHECKS
    ]
    ready = sum(check["ready"] for check in checks)
    total = len(checks)
    return {
        "checks": checks,
        "ready": ready,
        "total": total,
        "label": f"{ready}/{total} checks ready",
    }


def practice_state(*, owner: User, concept: ResolvedObject) -> dict[str, Any]:
    """Predictions, hints revealed and readiness for one learner and concept."""
    progress = PracticeProgress.objects.filter(owner=owner, concept_key=concept.key).first()
    predictions = list(PracticePrediction.objects.filter(owner=owner, concept_key=concept.key))
    revealed = progress.hints_revealed if progress else 0
    hints = list(practice_hints_of(concept.key))
    texts = (concept.context or {}).get("practice") or {}
    default_state = practice_default_demo_state(concept=concept)
    default_hash = demo_state_identity(default_state)
    return {
        "concept": concept.key,
        "title": concept.title,
        "heading": texts.get("heading", ""),
        "prompt": texts.get("prompt", ""),
        "demo_state": default_state.key if default_state else None,
        "prediction": next((p for p in predictions if p.demo_state_hash == default_hash), None),
        "predictions": predictions,
        "hints": {
            "available": len(hints),
            "revealed": revealed,
            "teasers": [{"number": hint.number, "teaser": hint.teaser} for hint in hints],
            "items": [
                {"number": hint.number, "teaser": hint.teaser, "text": hint.body}
                for hint in hints
                if hint.number <= revealed
            ],
        },
        "readiness": readiness_summary(progress),
    }


def _find(data: Any, name: str) -> Any:
    """The first value stored under `name` anywhere in a nested result."""
    if isinstance(data, dict):
        if name in data:
            return data[name]
        for value in data.values():
            found = _find(value, name)
            if found is not None:
                return found
    return None


def _vector(value: Any) -> list[float] | None:
    if isinstance(value, list) and value and all(isinstance(x, int | float) for x in value):
        return [float(x) for x in value]
    return None


def prediction_comparison(*, prediction: PracticePrediction, result: Any) -> dict[str, Any]:
    """Check the structured parts of a prediction against a demo run's result."""
    comparison: dict[str, Any] = {}
    if prediction.gains_probability is not None:
        pi_star, pi_ref = _vector(_find(result, "pi_star")), _vector(_find(result, "pi_ref"))
        if pi_star and pi_ref and len(pi_star) == len(pi_ref):
            gains = [star - ref for star, ref in zip(pi_star, pi_ref, strict=True)]
            actual = max(range(len(gains)), key=gains.__getitem__)
            comparison["gains_probability"] = {
                "predicted": prediction.gains_probability,
                "actual": actual,
                "correct": prediction.gains_probability == actual,
                "gains": [round(gain, 6) for gain in gains],
            }
    if prediction.shift_changes_policy is not None:
        invariant = _find(result, "shift_invariant")
        if isinstance(invariant, bool):
            comparison["shift_changes_policy"] = {
                "predicted": prediction.shift_changes_policy,
                "actual": not invariant,
                "correct": prediction.shift_changes_policy == (not invariant),
            }
    return comparison
