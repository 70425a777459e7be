"""Every write of the research room: drafts, imports, and the practice loop."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from concepts.models import PracticeHint
from concepts.objects import resolve_concept
from concepts.selectors import concept_revision_of_key, practice_hints_of
from learning_platform.objects import ResolvedObject, object_resolve_for, visible_to
from learning_platform.services import model_update

from .annotations import AnnotationFileError, ParsedAnnotation, draft_uuid_from_id
from .handoff import anchored_question, evidence_prefill, resolution_prefill
from .models import (
    HINT_COUNT,
    LIST_ITEM_MAX,
    LIST_MAX_ITEMS,
    NEXT_ACTION_MAX,
    NOTE_MAX,
    PREDICTION_MAX,
    QUESTION_MAX,
    PracticePrediction,
    PracticeProgress,
    ResearchDraft,
)
from .selectors import demo_state_identity, draft_prefill_concept

DRAFT_TEXT_FIELDS = ("question", "note", "next_action", "evidence", "resolution", "status")


class PracticeRuleError(Exception):
    """A practice-loop step taken out of order, or twice (answered as 409)."""


class DraftTexts(TypedDict):
    """A draft's text fields, every one given (as an imported annotation gives them)."""

    question: str
    note: str
    next_action: str
    evidence: list[str]
    resolution: list[str]
    status: str


# Drafts ---------------------------------------------------------------------------------------


def anchor_resolve(
    *, key: str, user, field_name: str = "anchor", with_context: bool = True
) -> ResolvedObject:
    """The object a draft anchors to, as its owner may see it (no unpublished work).

    ``with_context=False`` may leave a concept's context out (its edges, page objects and
    sources): what a draft stores of its anchor does not need it, and the prefill reads the
    few parts it uses on its own (research_room.selectors.draft_prefill_concept)."""
    if not with_context and key.startswith("concept:"):
        resolved = visible_to(resolve_concept(key, with_context=False), user)
    else:
        resolved = object_resolve_for(key, user)
    if resolved is None:
        raise ValidationError({field_name: [f"No object has the key {key!r}."]})
    return resolved


def _validate_list(name: str, items: Any, errors: dict[str, list[str]]) -> None:
    if not isinstance(items, list):
        errors[name] = ["Must be a list of texts."]
        return
    if len(items) > LIST_MAX_ITEMS:
        errors[name] = [f"At most {LIST_MAX_ITEMS} items (got {len(items)})."]
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            errors.setdefault(name, []).append(f"Item {index}: must be a non-blank text.")
        elif len(item) > LIST_ITEM_MAX:
            errors.setdefault(name, []).append(
                f"Item {index}: at most {LIST_ITEM_MAX} characters (it has {len(item)})."
            )


def draft_fields_validate(values: Mapping[str, Any]) -> None:
    """The documented caps, checked in the service so every door enforces them."""
    errors: dict[str, list[str]] = {}
    caps = {"question": QUESTION_MAX, "note": NOTE_MAX, "next_action": NEXT_ACTION_MAX}
    for name, cap in caps.items():
        if name not in values:
            continue
        value = values[name]
        if not isinstance(value, str):
            errors[name] = ["Must be a text."]
        elif len(value) > cap:
            errors[name] = [f"At most {cap} characters (it has {len(value)})."]
    question = values.get("question")
    if isinstance(question, str) and not question.strip():
        errors["question"] = ["The question may not be blank."]
    for name in ("evidence", "resolution"):
        if name in values:
            _validate_list(name, values[name], errors)
    if "status" in values and values["status"] not in ResearchDraft.Status.values:
        errors["status"] = [f"Must be one of {', '.join(ResearchDraft.Status.values)}."]
    if errors:
        raise ValidationError(errors)


def _anchor_fields(resolved: ResolvedObject) -> dict[str, str]:
    return {
        "anchor_key": resolved.key,
        "anchor_kind": resolved.kind,
        "anchor_concept_key": resolved.concept_key or "",
        "anchor_title": resolved.title[:500],
        "anchor_url": resolved.api_url[:1000],
        "anchor_version": resolved.version[:128],
        "anchor_revision": anchor_revision(resolved),
    }


def anchor_revision(resolved: ResolvedObject) -> str:
    """The newest revision of the object's concept: read with the object when the resolver did,
    else looked up by the concept key ("" for an object with no concept)."""
    if not resolved.concept_key:
        return ""
    if resolved.revision is not None:
        return resolved.revision
    return concept_revision_of_key(resolved.concept_key)


@transaction.atomic
def draft_create(
    *,
    owner: User,
    anchor: str,
    question: str | None = None,
    note: str = "",
    next_action: str = "",
    evidence: list[str] | None = None,
    resolution: list[str] | None = None,
    status: str = ResearchDraft.Status.OPEN,
    imported_from: str = "",
    resolved: ResolvedObject | None = None,
) -> ResearchDraft:
    """A draft anchored to an object that resolves; an omitted question is the concept's
    anchored question, and omitted lists are filled from the object.

    `resolved` is the anchor as anchor_resolve answered it for the owner, when the caller has
    it already: the object is then not resolved again."""
    resolved = resolved or anchor_resolve(key=anchor, user=owner)
    # The question and the evidence both come from the object's concept: read it once, and
    # only the parts of it they use.
    concept = draft_prefill_concept(resolved) if question is None or evidence is None else None
    if question is None:
        question = anchored_question(resolved, concept)
        if not question:
            raise ValidationError(
                {
                    "question": [
                        f"Give a question: {resolved.key} has no concept with an anchored "
                        "question to take."
                    ]
                }
            )
    if evidence is None:
        evidence = evidence_prefill(resolved, concept)
    if resolution is None:
        resolution = resolution_prefill()
    values = {
        "question": question,
        "note": note,
        "next_action": next_action,
        "evidence": evidence,
        "resolution": resolution,
        "status": status,
    }
    draft_fields_validate(values)
    return ResearchDraft.objects.create(
        owner=owner, imported_from=imported_from, **values, **_anchor_fields(resolved)
    )


@transaction.atomic
def draft_update(
    *,
    draft: ResearchDraft,
    anchor: str | None = None,
    resolved: ResolvedObject | None = None,
    **values: Any,
) -> ResearchDraft:
    """Change a draft's texts; giving the anchor (even the same one) re-anchors it.

    Without an anchor the stored version is kept, so an edit never hides that the object has
    changed since the draft was anchored. `resolved` is the anchor as anchor_resolve answered it
    for the draft's owner, when the caller has it already.
    """
    model_update(
        instance=draft,
        fields=DRAFT_TEXT_FIELDS,
        data=values,
        refused="Not a draft field.",
        clean=draft_fields_validate,
    )
    if anchor is not None:
        resolved = resolved or anchor_resolve(key=anchor, user=draft.owner)
        for name, value in _anchor_fields(resolved).items():
            setattr(draft, name, value)
    draft.save()
    return draft


@transaction.atomic
def draft_delete(*, draft: ResearchDraft) -> None:
    draft.delete()


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@transaction.atomic
def draft_import(*, owner: User, annotations: list[ParsedAnnotation]) -> ImportReport:
    """Upsert drafts from parsed annotations: all of them, or (on any error) none.

    Raises AnnotationFileError naming the item (or line) and field of every problem.

    An annotation whose id names one of the owner's drafts updates that draft; one imported
    before (same id) updates its earlier import; any other becomes a new draft. Another
    learner's draft id is treated like an unknown one, so an import reveals nothing about it.
    """
    resolved: dict[str, ResolvedObject] = {}
    errors: dict[str, dict[str, list[str]]] = {}
    for annotation in annotations:
        if annotation.anchor not in resolved:
            found = object_resolve_for(annotation.anchor, owner)
            if found is None:
                errors[annotation.location] = {
                    "target": [f"No object has the key {annotation.anchor!r}."]
                }
                continue
            resolved[annotation.anchor] = found

    uuids = {
        annotation.id: draft_uuid_from_id(annotation.id)
        for annotation in annotations
        if annotation.id
    }
    own = {
        draft.id: draft
        for draft in ResearchDraft.objects.filter(
            owner=owner, id__in=[value for value in uuids.values() if value]
        )
    }
    earlier = {
        draft.imported_from: draft
        for draft in ResearchDraft.objects.filter(owner=owner, imported_from__in=list(uuids))
    }

    report = ImportReport()
    pending: list[tuple[ParsedAnnotation, DraftTexts, ResearchDraft | None]] = []
    for annotation in annotations:
        values: DraftTexts = {
            "question": annotation.question,
            "note": annotation.note,
            "next_action": annotation.next_action,
            "evidence": annotation.evidence,
            "resolution": annotation.resolution,
            "status": annotation.status,
        }
        try:
            draft_fields_validate(values)
        except ValidationError as exc:
            errors.setdefault(annotation.location, {}).update(exc.message_dict)
            continue
        draft_uuid = uuids.get(annotation.id)
        draft = (own.get(draft_uuid) if draft_uuid else None) or earlier.get(annotation.id)
        pending.append((annotation, values, draft))
    if errors:
        raise AnnotationFileError(errors)

    for annotation, values, draft in pending:
        target = resolved[annotation.anchor]
        if draft is None:
            created = draft_create(
                owner=owner,
                anchor=annotation.anchor,
                resolved=target,
                imported_from=annotation.id if annotation.id else "",
                **values,
            )
            report.created.append(str(created.id))
            continue
        changes = {name: value for name, value in values.items() if getattr(draft, name) != value}
        anchor_moved = draft.anchor_key != target.key
        if not changes and not anchor_moved:
            report.unchanged.append(str(draft.id))
            continue
        draft_update(
            draft=draft,
            anchor=target.key if anchor_moved else None,
            resolved=target if anchor_moved else None,
            **changes,
        )
        report.updated.append(str(draft.id))
    return report


# Practice loop --------------------------------------------------------------------------------


def practice_concept_resolve(*, concept_key: str, user) -> ResolvedObject | None:
    """The concept to practise, if this user may see it: no practice on unpublished work."""
    resolved = object_resolve_for(concept_key, user)
    return resolved if resolved is not None and resolved.kind == "concept" else None


def _progress(*, owner: User, concept_key: str) -> PracticeProgress:
    progress, _ = PracticeProgress.objects.select_for_update().get_or_create(
        owner=owner, concept_key=concept_key
    )
    return progress


def practice_demo_state_resolve(
    *, concept: ResolvedObject, demo_state: str, user
) -> ResolvedObject:
    """The demo state a prediction is about: one of this concept's, by its canonical key."""
    resolved = object_resolve_for(demo_state, user)
    if resolved is None or resolved.kind != "demo-state":
        raise ValidationError({"demo_state": [f"No demo state has the key {demo_state!r}."]})
    if resolved.concept_key and resolved.concept_key != concept.key:
        raise ValidationError(
            {
                "demo_state": [
                    f"{resolved.key} belongs to {resolved.concept_key}, not {concept.key}."
                ]
            }
        )
    return resolved


@transaction.atomic
def practice_prediction_commit(
    *,
    owner: User,
    concept: ResolvedObject,
    demo_state: ResolvedObject | None,
    text: str,
    gains_probability: int | None = None,
    shift_changes_policy: bool | None = None,
) -> PracticePrediction:
    """Commit a prediction before the result is seen; a second one for the same state is refused."""
    errors = {}
    if not isinstance(text, str) or not text.strip():
        errors["text"] = ["The prediction may not be blank."]
    elif len(text) > PREDICTION_MAX:
        errors["text"] = [f"At most {PREDICTION_MAX} characters (it has {len(text)})."]
    if gains_probability is not None and not 0 <= gains_probability < 1000:
        errors["gains_probability"] = ["Must be a candidate index from 0."]
    if errors:
        raise ValidationError(errors)
    state_key = demo_state.key if demo_state is not None else ""
    state_hash = demo_state_identity(demo_state)
    existing = PracticePrediction.objects.filter(
        owner=owner, concept_key=concept.key, demo_state_hash=state_hash
    ).first()
    if existing is not None:
        raise PracticeRuleError(
            f"A prediction for {existing.demo_state_key or concept.key} was committed at "
            f"{existing.committed_at.isoformat()}; committed predictions cannot be changed."
        )
    progress = PracticeProgress.objects.filter(owner=owner, concept_key=concept.key).first()
    try:
        with transaction.atomic():
            return PracticePrediction.objects.create(
                owner=owner,
                concept_key=concept.key,
                demo_state_key=state_key,
                demo_state_hash=state_hash,
                text=text,
                gains_probability=gains_probability,
                shift_changes_policy=shift_changes_policy,
                hints_used=progress.hints_revealed if progress else 0,
            )
    except IntegrityError:
        raise PracticeRuleError(
            f"A prediction for {state_key or concept.key} is already committed; "
            "committed predictions cannot be changed."
        ) from None


@transaction.atomic
def practice_hint_reveal(
    *, owner: User, concept: ResolvedObject, number: int
) -> tuple[PracticeHint, PracticeProgress]:
    """Reveal hint `number`: hints come in order, and revealing one again changes nothing."""
    if not 1 <= number <= HINT_COUNT:
        raise ValidationError({"number": [f"Hints are numbered 1 to {HINT_COUNT}."]})
    hint = practice_hints_of(concept.key).filter(number=number).first()
    if hint is None:
        raise ValidationError({"number": [f"{concept.key} has no hint {number}."]})
    progress = _progress(owner=owner, concept_key=concept.key)
    if number > progress.hints_revealed + 1:
        raise ValidationError(
            {
                "number": [
                    f"Reveal hint {progress.hints_revealed + 1} before hint {number}: "
                    "hints are revealed in order."
                ]
            }
        )
    if number == progress.hints_revealed + 1:
        progress.hints_revealed = number
        progress.save(update_fields=["hints_revealed", "updated_at"])
    return hint, progress


@transaction.atomic
def practice_readiness_set(
    *, owner: User, concept: ResolvedObject, checks: dict[str, bool]
) -> PracticeProgress:
    progress = _progress(owner=owner, concept_key=concept.key)
    model_update(
        instance=progress,
        fields=[name for name, _ in PracticeProgress.CHECKS],
        data={name: bool(value) for name, value in checks.items()},
        refused="Not a readiness check.",
    )
    progress.save()
    return progress


@dataclass
class Outcome:
    prediction: PracticePrediction
    run: Any
    finished: bool


def practice_outcome_reveal(
    *, owner: User, prediction: PracticePrediction, demo_state: ResolvedObject
) -> Outcome:
    """Run (or reuse) the demo for the prediction's state; record when its result was shown."""
    from demos.services import demo_run_request  # the demos app owns runs; imported on use

    context = demo_state.context or {}
    kind = context.get("demo_kind")
    params = context.get("params")
    if not kind or not isinstance(params, dict):
        raise ValidationError({"demo_state": [f"{demo_state.key} names no runnable demo."]})
    # Not inside a transaction of ours: the run request commits on its own, so a worker (or an
    # eager task) can pick the run up at once, and the run is read back in its current state;
    # a run that had already succeeded when the request read it cannot change, so it is not.
    run, _ = demo_run_request(kind=kind, params=params, user=owner)
    if run.status != "succeeded":
        run = type(run).objects.get(pk=run.pk)
    finished = run.status in ("succeeded", "failed")
    update = []
    if prediction.demo_run_id != run.id:
        prediction.demo_run_id = run.id
        update.append("demo_run_id")
    if finished and prediction.revealed_at is None:
        prediction.revealed_at = timezone.now()
        update.append("revealed_at")
    if update:
        with transaction.atomic():
            prediction.save(update_fields=update)
    return Outcome(prediction=prediction, run=run, finished=finished)
