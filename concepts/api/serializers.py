"""Output and input serializers shared by the concept, source and revision endpoints."""

from drf_spectacular.utils import OpenApiParameter, extend_schema_serializer
from rest_framework import serializers

from learning_platform.typed_serializers import derived_from, describes

from ..shapes import ConceptRef, SnapshotState, SourceSummary


@derived_from(ConceptRef, component_name="ConceptRef")
class ConceptRefOutput(serializers.Serializer):
    pass  # no docstring: the schema would take it as the component's description


@derived_from(SnapshotState, component_name="SnapshotState")
class SnapshotOutput(serializers.Serializer):
    pass


# Describes shapes.SourceSummary, by hand: its keys are declared bibliography first
# (SourceSummary extends SourceBibliography), while the schema has always listed them in this
# order, which a derived serializer cannot reproduce.
@describes(SourceSummary)
@extend_schema_serializer(component_name="SourceSummary")
class SourceOutput(serializers.Serializer):
    key = serializers.CharField()
    object_key = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # DRF's metaclass pops declared fields: no Field.label clash
    title = serializers.CharField()
    authors = serializers.ListField(child=serializers.CharField())
    short_authors = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    venue = serializers.CharField()
    web_url = serializers.CharField(help_text="Where the work itself is published.")
    doi = serializers.CharField()
    arxiv_id = serializers.CharField()
    version = serializers.CharField()
    url = serializers.URLField(help_text="The source's absolute address in this API.")
    snapshot_state = serializers.CharField()
    snapshot = SnapshotOutput(allow_null=True)


@extend_schema_serializer(component_name="RenderError")
class RenderErrorOutput(serializers.Serializer):
    key = serializers.CharField(help_text="The object (or section) whose TeX did not render.")
    field = serializers.CharField(help_text="`body`, or `section_prompt` for a section's prompt.")
    line = serializers.IntegerField(help_text="Line in that field's text, from 1.")
    column = serializers.IntegerField(help_text="Column in that line, from 1.")
    offset = serializers.IntegerField(help_text="Characters into that field's text, from 0.")
    message = serializers.CharField()


@extend_schema_serializer(component_name="RenderedObject")
class RenderedObjectOutput(serializers.Serializer):
    html = serializers.CharField(
        help_text="Sanitized HTML: Markdown rendered, LaTeX as MathML, code in <pre><code>."
    )
    errors = RenderErrorOutput(  # type: ignore[assignment]  # a declared field, popped by the metaclass
        many=True, help_text="Each equation shown as an error instead."
    )


@extend_schema_serializer(component_name="RenderedSection")
class RenderedSectionOutput(RenderedObjectOutput):
    section_prompt_html = serializers.CharField()


RENDER_PARAMETER = OpenApiParameter(
    "render",
    str,
    enum=["html"],
    description="`html` adds a `rendered` form to each section and object: the HTML a learner "
    "sees (MathML for the LaTeX, sanitized), with the position of any equation that does not "
    "render. Any other value is refused with 400.",
)


class RenderInput(serializers.Serializer):
    render = serializers.ChoiceField(choices=["html"], required=False)
