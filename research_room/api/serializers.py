"""The research room's shared serializers: draft, prediction and readiness outputs, text lists.

``draft_output`` builds DraftOutput's representation directly, for the draft list's hot path.
"""

from drf_spectacular.utils import extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.reverse import reverse

from ..models import LIST_ITEM_MAX, LIST_MAX_ITEMS, PracticePrediction, ResearchDraft


def text_list(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=LIST_ITEM_MAX),
        max_length=LIST_MAX_ITEMS,
        required=False,
        help_text=help_text,
    )


@extend_schema_serializer(component_name="ResearchDraft")
class DraftOutput(serializers.Serializer):
    # A plain Serializer: a ModelSerializer rebuilds its fields from the model on every request,
    # which costs more than the whole list query.
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    anchor = serializers.CharField(source="anchor_key")
    anchor_kind = serializers.CharField()
    anchor_concept = serializers.CharField(source="anchor_concept_key")
    anchor_title = serializers.CharField()
    anchor_url = serializers.SerializerMethodField(help_text="The anchored object, absolute.")
    anchor_version = serializers.CharField()
    anchor_revision = serializers.CharField(
        help_text="The concept revision it was written against."
    )
    question = serializers.CharField()
    note = serializers.CharField()
    next_action = serializers.CharField()
    evidence = serializers.ListField(child=serializers.CharField())
    resolution = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=ResearchDraft.Status.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_url(self, draft: ResearchDraft) -> str:
        return _draft_url(draft, self.context["request"])

    def get_anchor_url(self, draft: ResearchDraft) -> str:
        return _absolute_anchor(draft, self.context["request"])


_TIME = serializers.DateTimeField()


def _draft_url(draft: ResearchDraft, request) -> str:
    return reverse("research-draft-detail", kwargs={"draft_id": draft.id}, request=request)


def _absolute_anchor(draft: ResearchDraft, request) -> str:
    """Drafts store the anchor's path; answers give it absolute, like every other url."""
    url = draft.anchor_url
    return request.build_absolute_uri(url) if url.startswith("/") else url


def draft_output(draft: ResearchDraft, request) -> dict:
    """DraftOutput's representation, built directly: the list is the research room's hot path
    and DRF's field machinery costs more than its query (tests pin the two as equal)."""
    return {
        "id": str(draft.id),
        "url": _draft_url(draft, request),
        "anchor": draft.anchor_key,
        "anchor_kind": draft.anchor_kind,
        "anchor_concept": draft.anchor_concept_key,
        "anchor_title": draft.anchor_title,
        "anchor_url": _absolute_anchor(draft, request),
        "anchor_version": draft.anchor_version,
        "anchor_revision": draft.anchor_revision,
        "question": draft.question,
        "note": draft.note,
        "next_action": draft.next_action,
        "evidence": list(draft.evidence),
        "resolution": list(draft.resolution),
        "status": draft.status,
        "created_at": _TIME.to_representation(draft.created_at),
        "updated_at": _TIME.to_representation(draft.updated_at),
    }


@extend_schema_serializer(component_name="ResearchDraftDetail")
class DraftDetailOutput(DraftOutput):
    anchor_changed = serializers.BooleanField(
        help_text="True when the anchored object is no longer the version the draft was written "
        "against (changed, or gone)."
    )
    anchor_resolves = serializers.BooleanField()
    anchor_current_version = serializers.CharField(allow_null=True)
    anchor_diff_url = serializers.URLField(
        allow_null=True,
        help_text="The anchored object's diff since the draft, absolute, if it changed.",
    )
    handoff_url = serializers.URLField()


def demo_run_url(request, run_id) -> str | None:
    return (
        reverse("demo-run-detail", kwargs={"run_id": run_id}, request=request) if run_id else None
    )


@extend_schema_serializer(component_name="PracticePrediction")
class PredictionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    concept = serializers.CharField(source="concept_key")
    demo_state = serializers.CharField(source="demo_state_key")
    text = serializers.CharField()
    gains_probability = serializers.IntegerField(allow_null=True)
    shift_changes_policy = serializers.BooleanField(allow_null=True)
    hints_used = serializers.IntegerField()
    committed_at = serializers.DateTimeField()
    revealed_at = serializers.DateTimeField(allow_null=True)
    demo_run = serializers.SerializerMethodField()

    def get_demo_run(self, prediction: PracticePrediction) -> str | None:
        return demo_run_url(self.context["request"], prediction.demo_run_id)


@extend_schema_serializer(component_name="PracticeReadiness")
class ReadinessOutput(serializers.Serializer):
    checks = inline_serializer(
        "PracticeReadinessCheck",
        {
            "name": serializers.CharField(),
            "label": serializers.CharField(),
            "ready": serializers.BooleanField(),
        },
        many=True,
    )
    ready = serializers.IntegerField()
    total = serializers.IntegerField()
    label = serializers.CharField(help_text='e.g. "0/3 checks ready"')  # type: ignore[assignment]  # a declared field named label: DRF's metaclass moves it off the class, the stubs see it override Field.label
