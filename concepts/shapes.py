"""The concept page's read shape: what concepts.selectors.concept_page() returns.

Every key is always present. The schema's serializers (concepts.api.page.ConceptPageOutput and
those it nests) are derived from these TypedDicts by learning_platform.typed_serializers; the
`Annotated[..., Field(...)]` metadata says what a type cannot (a URL, a help text, a field class).
SourceSummary's and PageSource's serializers are hand-written: the schema orders their fields
differently from these declarations (concepts.api.serializers.SourceOutput says why).
"""

from typing import Annotated, Any, TypedDict

from rest_framework import serializers

from learning_platform.typed_serializers import Field


class ConceptRef(TypedDict):
    key: str
    path: str
    area: str
    area_title: str
    slug: str
    title: str
    summary: str
    status: str
    difficulty: int
    url: Annotated[
        str, Field(serializers.URLField, help_text="The concept page's absolute address.")
    ]


class ConceptLinks(TypedDict):
    learning_path: Annotated[str, Field(serializers.URLField)]
    practice: Annotated[
        str, Field(serializers.URLField, help_text="The learner's practice loop (signed in).")
    ]
    research_drafts: Annotated[
        str,
        Field(
            serializers.URLField,
            help_text="The learner's research-room drafts on this concept (signed in).",
        ),
    ]
    claims: Annotated[
        str, Field(serializers.URLField, help_text="The claim list, filtered to this concept.")
    ]
    bibliography: Annotated[
        str, Field(serializers.URLField, help_text="The page's sources as CSL-JSON.")
    ]


class Readiness(TypedDict):
    ready: int
    total: int
    label: str


class SectionData(TypedDict):
    key: str
    kind: str
    order: int
    number: str
    title: str
    summary: str
    prompt: str
    section_prompt: str
    body: Annotated[
        str, Field(help_text="Markdown with the LaTeX verbatim, embedded objects expanded.")
    ]
    body_source: Annotated[
        str, Field(help_text="The body as stored: objects referred to as {{kind:anchor}} lines.")
    ]
    ready: bool
    version: str


class ObjectData(TypedDict):
    key: str
    kind: str
    anchor: str
    title: str
    section: str | None
    operational: bool
    body: str
    language: str
    expected_output: Annotated[
        str,
        Field(help_text="Code witnesses: exactly what the code prints (verification checks it)."),
    ]
    demo_kind: str
    params: Any  # the object's JSON parameters, as stored
    version: str


class ConceptBefore(ConceptRef):
    carry_in: str


class ConceptNext(ConceptRef):
    carry_out: str


class RelatedLink(TypedDict):
    title: str
    url: Annotated[
        str,
        Field(
            serializers.URLField,
            help_text="The related concept's page, absolute; for a link outside the platform, "
            "its web address.",
        ),
    ]
    web_url: Annotated[
        str, Field(help_text="The web address the link names, if any; empty otherwise.")
    ]
    note: str
    target: ConceptRef | None


class LearningMapNow(TypedDict):
    key: str
    title: str
    summary: str
    readiness: str
    test_the_link: str


class LearningMapCounts(TypedDict):
    prerequisites: int
    next_concepts: int
    related_links: int


class BridgeStop(TypedDict):
    key: str
    title: str
    note: str


# The schema documents the stops and the lists of concepts below as untyped objects and arrays,
# as it always has: Field(serializers.DictField) and Field(serializers.ListField) keep it so.
class Bridge(TypedDict):
    carry_in: Annotated[BridgeStop | None, Field(serializers.DictField)]
    work_here: Annotated[BridgeStop, Field(serializers.DictField)]
    carry_out: Annotated[BridgeStop | None, Field(serializers.DictField)]
    test_the_link: str


class LearningMap(TypedDict):
    before: Annotated[list[ConceptBefore], Field(serializers.ListField)]
    now: LearningMapNow
    next: Annotated[list[ConceptNext], Field(serializers.ListField)]
    related: Annotated[list[RelatedLink], Field(serializers.ListField)]
    counts: LearningMapCounts
    counts_label: str
    bridge: Bridge


class SnapshotState(TypedDict):
    state: str
    sha256: str
    size_bytes: int
    media_type: str
    retrieved_on: str
    download_url: str


class SourceBibliography(TypedDict):
    kind: str
    authors: list[str]
    short_authors: str
    year: int | None
    venue: str
    web_url: str
    doi: str
    arxiv_id: str


class SourceSummary(SourceBibliography):
    key: str
    object_key: str
    label: str
    title: str
    version: str
    url: str
    snapshot_state: str
    snapshot: SnapshotState | None


class PageSource(SourceSummary):
    grounds: str


class SourcesSummary(TypedDict):
    count: int
    label: str
    snapshot_state: str


class ConceptDemo(TypedDict):
    key: str
    anchor: str
    title: str
    demo_kind: str
    params: Any  # the demo object's JSON parameters, as stored
    body: str
    runs_url: str


class PracticeHintTeaser(TypedDict):
    number: int
    teaser: str


class PracticeTexts(TypedDict):
    heading: str
    prompt: str
    hints: Annotated[
        list[PracticeHintTeaser],
        Field(help_text="Teasers only; the practice loop reveals each body."),
    ]


class StoryboardTexts(TypedDict):
    heading: str
    lens: str
    commit: str


class VisualInquiryTexts(TypedDict):
    heading: str
    question: str
    commit: str


class AfterFirstPassTexts(TypedDict):
    heading: str
    body: str


class LearnerTexts(TypedDict):
    anchored_question: Annotated[
        str,
        Field(help_text="The research room's question; a draft saved without one takes it."),
    ]
    practice: PracticeTexts
    storyboard: Annotated[StoryboardTexts, Field(help_text="Mechanism Storyboard.")]
    visual_inquiry: Annotated[VisualInquiryTexts, Field(help_text="Visual Inquiry.")]
    after_first_pass: Annotated[AfterFirstPassTexts, Field(help_text="After The First Pass.")]
    research_instruction: str


class ConceptPage(ConceptRef):
    """The page as this app builds it; sections other apps register (learning_platform.pages)
    are added under their own names, outside these keys."""

    links: ConceptLinks
    importance: str
    math_level: str
    read_minutes: int
    illustration_caption: str
    live_demo: bool
    version: str
    updated_at: str | None
    readiness: Readiness
    sections: list[SectionData]
    objects: list[ObjectData]
    learning_map: LearningMap
    related_links: list[RelatedLink]
    sources: list[PageSource]
    sources_summary: SourcesSummary
    demos: list[ConceptDemo]
    learner: Annotated[
        LearnerTexts, Field(help_text="The texts around the page's panels, as written.")
    ]
