"""The concept page's payload: what its endpoint serves and the admin preview shows, and its
documented shape."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from learning_platform.pages import page_section_outputs

from ..models import Concept
from ..selectors import concept_page
from ..shapes import ConceptPage
from .serializers import ConceptRefOutput, RenderedObjectOutput, RenderedSectionOutput, SourceOutput


# Describes shapes.ConceptPage.
@extend_schema_serializer(component_name="ConceptPage")
class ConceptPageOutput(ConceptRefOutput):
    # Describes shapes.Readiness.
    @extend_schema_serializer(component_name="ConceptReadiness")
    class Readiness(serializers.Serializer):
        ready = serializers.IntegerField()
        total = serializers.IntegerField()
        label = serializers.CharField()  # type: ignore[assignment]  # DRF's metaclass pops declared fields: no Field.label clash

    # Describes shapes.SectionData, with `rendered` added by rendering.page_rendered.
    @extend_schema_serializer(component_name="ConceptSection")
    class SectionOutput(serializers.Serializer):
        key = serializers.CharField()
        kind = serializers.CharField()
        order = serializers.IntegerField()
        number = serializers.CharField()
        title = serializers.CharField()
        summary = serializers.CharField()
        prompt = serializers.CharField()
        section_prompt = serializers.CharField()
        body = serializers.CharField(
            help_text="Markdown with the LaTeX verbatim, embedded objects expanded."
        )
        body_source = serializers.CharField(
            help_text="The body as stored: objects referred to as {{kind:anchor}} lines."
        )
        ready = serializers.BooleanField()
        version = serializers.CharField()
        rendered = RenderedSectionOutput(required=False, help_text="With ?render=html only.")

    # Describes shapes.ObjectData, with `rendered` added by rendering.page_rendered.
    @extend_schema_serializer(component_name="ConceptObject")
    class ObjectOutput(serializers.Serializer):
        key = serializers.CharField()
        kind = serializers.CharField()
        anchor = serializers.CharField()
        title = serializers.CharField()
        section = serializers.CharField(allow_null=True)
        operational = serializers.BooleanField()
        body = serializers.CharField()
        language = serializers.CharField()
        expected_output = serializers.CharField(
            help_text="Code witnesses: exactly what the code prints (verification checks it)."
        )
        demo_kind = serializers.CharField()
        params = serializers.JSONField()
        version = serializers.CharField()
        rendered = RenderedObjectOutput(required=False, help_text="With ?render=html only.")

    # Describes shapes.ConceptBefore.
    @extend_schema_serializer(component_name="ConceptBefore")
    class BeforeOutput(ConceptRefOutput):
        carry_in = serializers.CharField()

    # Describes shapes.ConceptNext.
    @extend_schema_serializer(component_name="ConceptNext")
    class NextOutput(ConceptRefOutput):
        carry_out = serializers.CharField()

    # Describes shapes.RelatedLink.
    @extend_schema_serializer(component_name="ConceptRelatedLink")
    class RelatedOutput(serializers.Serializer):
        title = serializers.CharField()
        url = serializers.CharField()
        note = serializers.CharField()
        target = ConceptRefOutput(allow_null=True)

    # Describes shapes.BridgeStop.
    @extend_schema_serializer(component_name="ConceptBridgeStop")
    class BridgeStop(serializers.Serializer):
        key = serializers.CharField()
        title = serializers.CharField()
        note = serializers.CharField()

    # Describes shapes.LearningMap.
    @extend_schema_serializer(component_name="ConceptLearningMap")
    class LearningMap(serializers.Serializer):
        # Describes shapes.LearningMapNow.
        @extend_schema_serializer(component_name="ConceptLearningMapNow")
        class Now(serializers.Serializer):
            key = serializers.CharField()
            title = serializers.CharField()
            summary = serializers.CharField()
            readiness = serializers.CharField()
            test_the_link = serializers.CharField()

        # Describes shapes.LearningMapCounts.
        @extend_schema_serializer(component_name="ConceptLearningMapCounts")
        class Counts(serializers.Serializer):
            prerequisites = serializers.IntegerField()
            next_concepts = serializers.IntegerField()
            related_links = serializers.IntegerField()

        # Describes shapes.Bridge.
        @extend_schema_serializer(component_name="ConceptBridge")
        class Bridge(serializers.Serializer):
            carry_in = serializers.DictField(allow_null=True)
            work_here = serializers.DictField()
            carry_out = serializers.DictField(allow_null=True)
            test_the_link = serializers.CharField()

        before = serializers.ListField()
        now = Now()
        next = serializers.ListField()
        related = serializers.ListField()
        counts = Counts()
        counts_label = serializers.CharField()
        bridge = Bridge()

    # Describes shapes.PageSource.
    @extend_schema_serializer(component_name="ConceptPageSource")
    class PageSourceOutput(SourceOutput):
        grounds = serializers.CharField()

    # Describes shapes.SourcesSummary.
    @extend_schema_serializer(component_name="ConceptSourcesSummary")
    class SourcesSummary(serializers.Serializer):
        count = serializers.IntegerField()
        label = serializers.CharField()  # type: ignore[assignment]  # DRF's metaclass pops declared fields: no Field.label clash
        snapshot_state = serializers.CharField()

    # Describes shapes.ConceptDemo.
    @extend_schema_serializer(component_name="ConceptDemo")
    class DemoOutput(serializers.Serializer):
        key = serializers.CharField()
        anchor = serializers.CharField()
        title = serializers.CharField()
        demo_kind = serializers.CharField()
        params = serializers.JSONField()
        body = serializers.CharField()
        runs_url = serializers.CharField()

    # Describes shapes.LearnerTexts.
    @extend_schema_serializer(component_name="ConceptLearnerTexts")
    class LearnerOutput(serializers.Serializer):
        # Describes shapes.PracticeTexts.
        @extend_schema_serializer(component_name="ConceptPractice")
        class Practice(serializers.Serializer):
            # Describes shapes.PracticeHintTeaser.
            @extend_schema_serializer(component_name="ConceptPracticeHintTeaser")
            class Hint(serializers.Serializer):
                number = serializers.IntegerField()
                teaser = serializers.CharField()

            heading = serializers.CharField()
            prompt = serializers.CharField()
            hints = Hint(many=True, help_text="Teasers only; the practice loop reveals each body.")

        # Describes shapes.StoryboardTexts.
        @extend_schema_serializer(component_name="ConceptStoryboard")
        class Storyboard(serializers.Serializer):
            heading = serializers.CharField()
            lens = serializers.CharField()
            commit = serializers.CharField()

        # Describes shapes.VisualInquiryTexts.
        @extend_schema_serializer(component_name="ConceptVisualInquiry")
        class VisualInquiry(serializers.Serializer):
            heading = serializers.CharField()
            question = serializers.CharField()
            commit = serializers.CharField()

        # Describes shapes.AfterFirstPassTexts.
        @extend_schema_serializer(component_name="ConceptAfterFirstPass")
        class AfterFirstPass(serializers.Serializer):
            heading = serializers.CharField()
            body = serializers.CharField()

        anchored_question = serializers.CharField(
            help_text="The research room's question; a draft saved without one takes it."
        )
        practice = Practice()
        storyboard = Storyboard(help_text="Mechanism Storyboard.")
        visual_inquiry = VisualInquiry(help_text="Visual Inquiry.")
        after_first_pass = AfterFirstPass(help_text="After The First Pass.")
        research_instruction = serializers.CharField()

    # Describes shapes.ConceptLinks.
    @extend_schema_serializer(component_name="ConceptLinks")
    class Links(serializers.Serializer):
        learning_path = serializers.URLField()
        practice = serializers.URLField(help_text="The learner's practice loop (signed in).")
        research_drafts = serializers.URLField(
            help_text="The learner's research-room drafts on this concept (signed in)."
        )
        claims = serializers.URLField(help_text="The claim list, filtered to this concept.")
        bibliography = serializers.URLField(help_text="The page's sources as CSL-JSON.")

    links = Links()
    importance = serializers.CharField()
    math_level = serializers.CharField()
    read_minutes = serializers.IntegerField()
    illustration_caption = serializers.CharField()
    live_demo = serializers.BooleanField()
    version = serializers.CharField()
    updated_at = serializers.CharField(allow_null=True)
    readiness = Readiness()
    sections = SectionOutput(many=True)
    objects = ObjectOutput(many=True)
    learning_map = LearningMap()
    related_links = RelatedOutput(many=True)
    sources = PageSourceOutput(many=True)
    sources_summary = SourcesSummary()
    demos = DemoOutput(many=True)
    learner = LearnerOutput(help_text="The texts around the page's panels, as written.")

    def get_fields(self):
        """The declared fields, and one per section another app adds to the page."""
        fields = super().get_fields()
        for name, output in page_section_outputs().items():
            fields[name] = output()
        return fields


def concept_payload(*, concept: Concept, request) -> ConceptPage:
    """The detail response: what the API serves and what the admin preview shows.

    `concept_page` builds JSON-ready values already, in the shape `shapes.ConceptPage`
    declares (mypy checks the builder against it) and `ConceptPageOutput` documents
    (tests/concepts/test_api.py holds the two equal on every page of content/), so the page is
    served as built rather than copied field by field through the serializer."""
    return concept_page(concept=concept, user=request.user, request=request)
