"""The concept page's read shape: what concepts.selectors.concept_page() returns.

Every key is always present. concepts.api.page.ConceptPageOutput documents the same shape for the
schema, and each of its serializers names the TypedDict it describes.
"""

from typing import Any, TypedDict


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
    url: str


class ConceptLinks(TypedDict):
    learning_path: str
    practice: str
    research_drafts: str
    claims: str
    bibliography: str


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
    body: str
    body_source: str
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
    expected_output: str
    demo_kind: str
    params: Any  # the object's JSON parameters, as stored
    version: str


class ConceptBefore(ConceptRef):
    carry_in: str


class ConceptNext(ConceptRef):
    carry_out: str


class RelatedLink(TypedDict):
    title: str
    url: str
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


class Bridge(TypedDict):
    carry_in: BridgeStop | None
    work_here: BridgeStop
    carry_out: BridgeStop | None
    test_the_link: str


class LearningMap(TypedDict):
    before: list[ConceptBefore]
    now: LearningMapNow
    next: list[ConceptNext]
    related: list[RelatedLink]
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
    hints: list[PracticeHintTeaser]
    heading: str
    prompt: str


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
    practice: PracticeTexts
    anchored_question: str
    storyboard: StoryboardTexts
    visual_inquiry: VisualInquiryTexts
    after_first_pass: AfterFirstPassTexts
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
    learner: LearnerTexts
