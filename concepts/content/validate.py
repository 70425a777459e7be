"""The shape of each concepts file: one strict serializer per file, its first error named."""

from pathlib import Path
from typing import Any

from rest_framework import serializers
from rest_framework.settings import api_settings

from learning_platform.content import ContentError

from ..models import PRACTICE_HINTS_MAX, Concept, ConceptObject, Section, Source


class _Strict(serializers.Serializer):
    """Refuses keys it does not know: a misspelt field is an error, not silently dropped."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                expected = ", ".join(self.fields)
                raise serializers.ValidationError(
                    {unknown[0]: [f"unknown field (expected one of: {expected})"]}
                )
        return super().to_internal_value(data)


def _text(max_length: int, required: bool = True) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=max_length, trim_whitespace=False)
    return serializers.CharField(
        max_length=max_length, trim_whitespace=False, required=False, allow_blank=True, default=""
    )


class _EdgeEntry(_Strict):
    concept = serializers.CharField(max_length=201)
    carry_in = _text(2000, required=False)
    carry_out = _text(2000, required=False)
    next_order = serializers.IntegerField(min_value=0, max_value=32767, default=0)


class _RelatedEntry(_Strict):
    concept = serializers.CharField(max_length=201, required=False, default="")
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
    title = _text(300, required=False)
    note = _text(2000, required=False)

    def validate(self, data):
        if not data["concept"] and not data["url"]:
            raise serializers.ValidationError({"concept": ["give a concept or a url"]})
        return data


class _SourceLinkEntry(_Strict):
    source = serializers.SlugField(max_length=120)  # type: ignore[assignment]  # DRF's metaclass pops declared fields: no Field.source clash
    grounds = _text(2000)


class _HintEntry(_Strict):
    teaser = _text(300, required=False)
    body = _text(2000)


class _PracticeBlock(_Strict):
    heading = _text(300, required=False)
    prompt = _text(2000, required=False)
    hints = _HintEntry(many=True, required=False, default=list)

    def validate_hints(self, hints):
        if len(hints) > PRACTICE_HINTS_MAX:
            raise serializers.ValidationError(
                f"at most {PRACTICE_HINTS_MAX} hints (got {len(hints)}): learners reveal "
                f"hints 1 to {PRACTICE_HINTS_MAX}"
            )
        return hints


class _PromptBlock(_Strict):
    heading = _text(300, required=False)


class _StoryboardBlock(_PromptBlock):
    lens = _text(2000, required=False)
    commit = _text(2000, required=False)


class _VisualInquiryBlock(_PromptBlock):
    question = _text(2000, required=False)
    commit = _text(2000, required=False)


class _AfterFirstPassBlock(_PromptBlock):
    body = _text(4000, required=False)


class _LearnerBlock(_Strict):
    """The texts around the page's panels; every key may be left out."""

    anchored_question = _text(2000, required=False)
    practice = _PracticeBlock(required=False, default=dict)
    storyboard = _StoryboardBlock(required=False, default=dict)
    visual_inquiry = _VisualInquiryBlock(required=False, default=dict)
    after_first_pass = _AfterFirstPassBlock(required=False, default=dict)
    research_instruction = _text(2000, required=False)


class ConceptFile(_Strict):
    title = _text(300)
    area_title = _text(120)
    summary = _text(2000)
    status = serializers.ChoiceField(choices=Concept.Status.choices)
    importance = serializers.ChoiceField(choices=Concept.Importance.choices)
    difficulty = serializers.IntegerField(min_value=1, max_value=5)
    math_level = _text(60, required=False)
    read_minutes = serializers.IntegerField(min_value=1, max_value=32767)
    illustration_caption = _text(2000, required=False)
    link_test = _text(2000, required=False)
    prerequisites = _EdgeEntry(many=True, required=False, default=list)
    related = _RelatedEntry(many=True, required=False, default=list)
    sources = _SourceLinkEntry(many=True, required=False, default=list)
    learner = _LearnerBlock(required=False, default=dict)


class SectionFront(_Strict):
    title = _text(200)
    summary = _text(500, required=False)
    prompt = _text(500, required=False)
    section_prompt = _text(4000, required=False)
    ready = serializers.BooleanField()


class ObjectEntry(_Strict):
    kind = serializers.ChoiceField(choices=ConceptObject.Kind.choices)
    anchor = serializers.SlugField(max_length=120)
    title = _text(300)
    section = serializers.ChoiceField(choices=Section.Kind.choices, required=False, default="")
    operational = serializers.BooleanField(default=False)
    language = _text(40, required=False)
    demo_kind = _text(60, required=False)
    params = serializers.DictField(required=False, default=dict)
    body = _text(200_000)
    expected_output = _text(64_000, required=False)

    def validate(self, data):
        if data["kind"] == ConceptObject.Kind.CODE and not data["language"]:
            raise serializers.ValidationError({"language": ["a code witness names its language"]})
        if data["expected_output"] and data["kind"] != ConceptObject.Kind.CODE:
            raise serializers.ValidationError(
                {"expected_output": ["only a code witness has an expected output"]}
            )
        if data["kind"] == ConceptObject.Kind.DEMO and not data["demo_kind"]:
            raise serializers.ValidationError({"demo_kind": ["a demo names its demo kind"]})
        return data


class _SnapshotEntry(_Strict):
    file = serializers.CharField(max_length=300)
    sha256 = serializers.RegexField(
        r"^[0-9a-f]{64}$", error_messages={"invalid": "64 lowercase hexadecimal digits"}
    )
    media_type = _text(120, required=False)
    retrieved_on = serializers.DateField()


class SourceFile(_Strict):
    kind = serializers.ChoiceField(choices=Source.Kind.choices)
    title = _text(500)
    authors = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, default=list
    )
    year = serializers.IntegerField(
        min_value=1, max_value=9999, required=False, allow_null=True, default=None
    )
    venue = _text(300, required=False)
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
    doi = _text(200, required=False)
    arxiv_id = _text(40, required=False)
    snapshot = _SnapshotEntry(required=False, allow_null=True, default=None)


def _first_error(errors: Any, prefix: str = "") -> tuple[str, str]:
    """DRF's nested errors → ("prerequisites[1].concept", "reason") for the first one."""
    if isinstance(errors, dict):
        for name, value in errors.items():
            if isinstance(name, int):
                where = f"{prefix}[{name}]"
            elif name in ("non_field_errors", api_settings.NON_FIELD_ERRORS_KEY):
                where = prefix
            else:
                where = f"{prefix}.{name}" if prefix else str(name)
            return _first_error(value, where)
    if isinstance(errors, list):
        for index, item in enumerate(errors):
            if isinstance(item, dict | list):
                if item:
                    return _first_error(item, f"{prefix}[{index}]")
                continue
            return prefix, str(item)
    return prefix, str(errors)


def validated(path: Path, data: Any, serializer_class: type[serializers.Serializer]) -> dict:
    if not isinstance(data, dict):
        raise ContentError(path, "(file)", "expected a mapping of field names to values")
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        where, reason = _first_error(serializer.errors)
        raise ContentError(path, where or "(file)", reason)
    return dict(serializer.validated_data)
