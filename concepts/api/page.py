"""The concept page's payload: what its endpoint serves and the admin preview shows, and its
documented shape."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from learning_platform.pages import page_section_outputs
from learning_platform.typed_serializers import derived_from, describes

from .. import shapes
from ..models import Concept
from ..selectors import concept_page
from .serializers import RenderedObjectOutput, RenderedSectionOutput, SourceOutput


@derived_from(shapes.ConceptPage, component_name="ConceptPage")
class ConceptPageOutput(serializers.Serializer):
    # Each serializer below is derived from the TypedDict in concepts.shapes it names; a nested
    # shape's serializer comes before the one that uses it.
    @derived_from(shapes.Readiness, component_name="ConceptReadiness")
    class Readiness(serializers.Serializer):
        pass

    # With `rendered` added by rendering.page_rendered.
    @derived_from(shapes.SectionData, component_name="ConceptSection")
    class SectionOutput(serializers.Serializer):
        rendered = RenderedSectionOutput(required=False, help_text="With ?render=html only.")

    # With `rendered` added by rendering.page_rendered.
    @derived_from(shapes.ObjectData, component_name="ConceptObject")
    class ObjectOutput(serializers.Serializer):
        rendered = RenderedObjectOutput(required=False, help_text="With ?render=html only.")

    @derived_from(shapes.ConceptBefore, component_name="ConceptBefore")
    class BeforeOutput(serializers.Serializer):
        pass

    @derived_from(shapes.ConceptNext, component_name="ConceptNext")
    class NextOutput(serializers.Serializer):
        pass

    @derived_from(shapes.RelatedLink, component_name="ConceptRelatedLink")
    class RelatedOutput(serializers.Serializer):
        pass

    @derived_from(shapes.BridgeStop, component_name="ConceptBridgeStop")
    class BridgeStop(serializers.Serializer):
        pass

    @derived_from(shapes.LearningMap, component_name="ConceptLearningMap")
    class LearningMap(serializers.Serializer):
        @derived_from(shapes.LearningMapNow, component_name="ConceptLearningMapNow")
        class Now(serializers.Serializer):
            pass

        @derived_from(shapes.LearningMapCounts, component_name="ConceptLearningMapCounts")
        class Counts(serializers.Serializer):
            pass

        @derived_from(shapes.Bridge, component_name="ConceptBridge")
        class Bridge(serializers.Serializer):
            pass

    # Describes shapes.PageSource, by hand: it extends SourceOutput, which stays hand-written
    # (see concepts.api.serializers).
    @describes(shapes.PageSource)
    @extend_schema_serializer(component_name="ConceptPageSource")
    class PageSourceOutput(SourceOutput):
        grounds = serializers.CharField()

    @derived_from(shapes.SourcesSummary, component_name="ConceptSourcesSummary")
    class SourcesSummary(serializers.Serializer):
        pass

    @derived_from(shapes.ConceptDemo, component_name="ConceptDemo")
    class DemoOutput(serializers.Serializer):
        pass

    @derived_from(shapes.LearnerTexts, component_name="ConceptLearnerTexts")
    class LearnerOutput(serializers.Serializer):
        @derived_from(shapes.PracticeTexts, component_name="ConceptPractice")
        class Practice(serializers.Serializer):
            @derived_from(shapes.PracticeHintTeaser, component_name="ConceptPracticeHintTeaser")
            class Hint(serializers.Serializer):
                pass

        @derived_from(shapes.StoryboardTexts, component_name="ConceptStoryboard")
        class Storyboard(serializers.Serializer):
            pass

        @derived_from(shapes.VisualInquiryTexts, component_name="ConceptVisualInquiry")
        class VisualInquiry(serializers.Serializer):
            pass

        @derived_from(shapes.AfterFirstPassTexts, component_name="ConceptAfterFirstPass")
        class AfterFirstPass(serializers.Serializer):
            pass

    @derived_from(shapes.ConceptLinks, component_name="ConceptLinks")
    class Links(serializers.Serializer):
        pass

    def get_fields(self):
        """The declared fields, and one per section another app adds to the page."""
        fields = super().get_fields()
        for name, output in page_section_outputs().items():
            fields[name] = output()
        return fields


def concept_payload(*, concept: Concept, request) -> shapes.ConceptPage:
    """The detail response: what the API serves and what the admin preview shows.

    `concept_page` builds JSON-ready values already, in the shape `shapes.ConceptPage`
    declares (mypy checks the builder against it) and `ConceptPageOutput` documents
    (tests/concepts/test_api.py holds the two equal on every page of content/), so the page is
    served as built rather than copied field by field through the serializer."""
    return concept_page(concept=concept, user=request.user, request=request)
