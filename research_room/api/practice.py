"""The research room's practice-loop routes: state, prediction, reveal, hints and readiness.

Each answers for the requesting learner only: a concept's state, committing a prediction,
revealing the demo's result beside it, hints, and the readiness checks.
"""

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .. import selectors, services
from ..models import HINT_COUNT, PREDICTION_MAX, PracticeProgress
from .base import ResearchRoomApi
from .serializers import PredictionOutput, ReadinessOutput, demo_run_url


def _concept(request, area: str, slug: str):
    concept = services.practice_concept_resolve(
        concept_key=f"concept:{area}/{slug}", user=request.user
    )
    if concept is None:
        raise Http404(f"No concept has the key concept:{area}/{slug}.")
    return concept


class PracticeStateApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="PracticeState")
    class Output(serializers.Serializer):
        concept = serializers.CharField()
        title = serializers.CharField()
        heading = serializers.CharField(help_text="The concept's Practice Loop heading.")
        prompt = serializers.CharField(help_text="What to predict before touching the demo.")
        demo_state = serializers.CharField(allow_null=True)
        prediction = PredictionOutput(allow_null=True)
        predictions = PredictionOutput(many=True)
        hints = inline_serializer(
            "PracticeHints",
            {
                "available": serializers.IntegerField(),
                "revealed": serializers.IntegerField(),
                "teasers": inline_serializer(
                    "PracticeHintTeaser",
                    {"number": serializers.IntegerField(), "teaser": serializers.CharField()},
                    many=True,
                    help_text="Every hint's teaser, revealed or not.",
                ),
                "items": inline_serializer(
                    "PracticeHintText",
                    {
                        "number": serializers.IntegerField(),
                        "teaser": serializers.CharField(),
                        "text": serializers.CharField(),
                    },
                    many=True,
                    help_text="The hints revealed so far.",
                ),
            },
        )
        readiness = ReadinessOutput()

    @extend_schema(responses=Output, summary="Your practice loop for a concept")
    def get(self, request, area: str, slug: str):
        state = selectors.practice_state(owner=request.user, concept=_concept(request, area, slug))
        return Response(self.Output(state, context={"request": request}).data)


def _demo_state(request, concept, key: str | None):
    if key:
        return services.practice_demo_state_resolve(
            concept=concept, demo_state=key, user=request.user
        )
    return selectors.practice_default_demo_state(concept=concept)


class PracticePredictionApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="PracticePredictionCommit")
    class Input(serializers.Serializer):
        text = serializers.CharField(max_length=PREDICTION_MAX)
        demo_state = serializers.CharField(
            max_length=300,
            required=False,
            help_text="A demo-state key of this concept; the concept's default state if omitted.",
        )
        gains_probability = serializers.IntegerField(
            min_value=0,
            max_value=999,
            required=False,
            allow_null=True,
            help_text="The candidate index expected to gain the most probability over π_ref.",
        )
        shift_changes_policy = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="Whether adding a constant to every reward changes the policy.",
        )

    @extend_schema(
        request=Input,
        responses={
            201: PredictionOutput,
            409: OpenApiResponse(description="Already committed: predictions are immutable"),
        },
        summary="Commit a prediction before the result is revealed",
    )
    def post(self, request, area: str, slug: str):
        concept = _concept(request, area, slug)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        demo_state = _demo_state(request, concept, values.pop("demo_state", None))
        try:
            prediction = services.practice_prediction_commit(
                owner=request.user, concept=concept, demo_state=demo_state, **values
            )
        except services.PracticeRuleError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(
            PredictionOutput(prediction, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class PracticeRevealApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="PracticeRevealChoice")
    class Input(serializers.Serializer):
        demo_state = serializers.CharField(max_length=300, required=False)

    @extend_schema_serializer(component_name="PracticeReveal")
    class Output(serializers.Serializer):
        prediction = PredictionOutput()
        status = serializers.CharField(help_text="The demo run's status.")
        run = serializers.UUIDField()
        run_url = serializers.URLField()
        result = serializers.JSONField(allow_null=True)
        error = serializers.CharField(allow_blank=True, allow_null=True)
        comparison = serializers.DictField()

    @extend_schema(
        request=Input,
        responses={
            200: Output,
            202: OpenApiResponse(
                response=Output, description="The run is not finished: poll this endpoint again"
            ),
            409: OpenApiResponse(description="No prediction committed yet"),
        },
        summary="Reveal the demo's result beside your prediction",
    )
    def post(self, request, area: str, slug: str):
        concept = _concept(request, area, slug)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        demo_state = _demo_state(request, concept, data.validated_data.get("demo_state"))
        if demo_state is None:
            raise ValidationError({"demo_state": [f"{concept.key} has no demo state to run."]})
        prediction = selectors.practice_prediction_get(
            owner=request.user, concept_key=concept.key, demo_state=demo_state
        )
        if prediction is None:
            return Response(
                {"detail": f"Commit a prediction for {demo_state.key} before the result is shown."},
                status=status.HTTP_409_CONFLICT,
            )
        outcome = services.practice_outcome_reveal(
            owner=request.user, prediction=prediction, demo_state=demo_state
        )
        run = outcome.run
        succeeded = run.status == "succeeded"
        body = {
            "prediction": PredictionOutput(outcome.prediction, context={"request": request}).data,
            "status": run.status,
            "run": run.id,
            "run_url": demo_run_url(request, run.id),
            "result": run.result if succeeded else None,
            "error": getattr(run, "error", "") if run.status == "failed" else None,
            "comparison": selectors.prediction_comparison(
                prediction=outcome.prediction, result=run.result
            )
            if succeeded
            else {},
        }
        if not outcome.finished:
            return Response(
                body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["run_url"]}
            )
        return Response(body)


class PracticeHintRevealApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="PracticeHintChoice")
    class Input(serializers.Serializer):
        number = serializers.IntegerField(min_value=1, max_value=HINT_COUNT)

    @extend_schema_serializer(component_name="PracticeHintReveal")
    class Output(serializers.Serializer):
        number = serializers.IntegerField()
        teaser = serializers.CharField()
        text = serializers.CharField()
        hints_revealed = serializers.IntegerField()
        hints_available = serializers.IntegerField()

    @extend_schema(request=Input, responses=Output, summary="Reveal the next hint")
    def post(self, request, area: str, slug: str):
        concept = _concept(request, area, slug)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        hint, progress = services.practice_hint_reveal(
            owner=request.user, concept=concept, number=data.validated_data["number"]
        )
        available = selectors.practice_hint_count(concept_key=concept.key)
        return Response(
            self.Output(
                {
                    "number": hint.number,
                    "teaser": hint.teaser,
                    "text": hint.body,
                    "hints_revealed": progress.hints_revealed,
                    "hints_available": available,
                }
            ).data
        )


class PracticeReadinessApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="PracticeReadinessUpdate")
    class Input(serializers.Serializer):
        states_mechanism = serializers.BooleanField(help_text=PracticeProgress.CHECKS[0][1])
        names_prerequisite = serializers.BooleanField(help_text=PracticeProgress.CHECKS[1][1])
        predicts_perturbation = serializers.BooleanField(help_text=PracticeProgress.CHECKS[2][1])

    @extend_schema(request=Input, responses=ReadinessOutput, summary="Set all readiness checks")
    def put(self, request, area: str, slug: str):
        return self._set(request, area, slug, partial=False)

    @extend_schema(request=Input, responses=ReadinessOutput, summary="Set some readiness checks")
    def patch(self, request, area: str, slug: str):
        return self._set(request, area, slug, partial=True)

    def _set(self, request, area: str, slug: str, *, partial: bool):
        concept = _concept(request, area, slug)
        data = self.Input(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        progress = services.practice_readiness_set(
            owner=request.user, concept=concept, checks=data.validated_data
        )
        return Response(ReadinessOutput(selectors.readiness_summary(progress)).data)
