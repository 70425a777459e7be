"""Factories for the concepts app. Snapshots and edges go through the services, so a snapshot's
sha256 always matches its file and a factory can never build a cyclic prerequisite graph."""

import datetime

import factory
from factory.django import DjangoModelFactory

from concepts.models import (
    Concept,
    ConceptObject,
    ConceptSource,
    Prerequisite,
    RelatedLink,
    Section,
    Source,
    SourceSnapshot,
)
from concepts.services import prerequisite_add, snapshot_store


class ConceptFactory(DjangoModelFactory):
    class Meta:
        model = Concept

    area = "testing"
    area_title = "Testing"
    slug = factory.Sequence(lambda n: f"concept-{n}")
    title = factory.Sequence(lambda n: f"Concept {n}")
    summary = factory.LazyAttribute(lambda o: f"A one-line summary of {o.title}.")
    status = Concept.Status.PUBLISHED
    importance = Concept.Importance.SUPPORTING
    difficulty = 2
    math_level = "undergraduate"
    read_minutes = 10
    illustration_caption = ""
    link_test = "Manipulate one control and predict the visible change."

    class Params:
        draft = factory.Trait(status=Concept.Status.DRAFT)


class SectionFactory(DjangoModelFactory):
    class Meta:
        model = Section

    concept = factory.SubFactory(ConceptFactory)
    kind = Section.Kind.INTUITION
    order = 1
    title = factory.LazyAttribute(lambda o: Section.Kind(o.kind).label)
    summary = "Start with the picture, metaphor, or geometric mechanism."
    prompt = "Build the mental picture first so the rest of the page has something to attach to."
    section_prompt = ""
    body = "A paragraph with $\\beta$ and\n\n$$\n\\Delta = r_w - r_\\ell\n$$\n"
    ready = True


class ConceptObjectFactory(DjangoModelFactory):
    class Meta:
        model = ConceptObject

    concept = factory.SubFactory(ConceptFactory)
    kind = ConceptObject.Kind.EQUATION
    anchor = factory.Sequence(lambda n: f"object-{n}")
    title = factory.Sequence(lambda n: f"Object {n}")
    body = r"\Delta = r_\phi(x,y_w)-r_\phi(x,y_\ell)."
    order = factory.Sequence(lambda n: n % 30000)

    class Params:
        code = factory.Trait(
            kind=ConceptObject.Kind.CODE,
            language="python",
            body="import numpy as np\n\nprint(np.zeros(3))",
        )
        demo = factory.Trait(
            kind=ConceptObject.Kind.DEMO,
            demo_kind="kl-policy",
            params={"beta": 0.7, "shift": 10.0, "pi_ref": [0.35, 0.3, 0.2, 0.15]},
            body="Change beta and watch the policy move.",
        )
        misconception = factory.Trait(
            kind=ConceptObject.Kind.MISCONCEPTION,
            body="KL regularization reduces this pressure but does not make the proxy correct.",
        )


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = Source

    key = factory.Sequence(lambda n: f"doe-{2000 + n % 100}-source-{n}")
    kind = Source.Kind.PAPER
    title = factory.Sequence(lambda n: f"A paper about preferences, part {n}")
    authors = factory.LazyFunction(lambda: ["Doe, Jane", "Roe, Richard"])
    year = 2020
    venue = "Proceedings of Testing"
    url = factory.LazyAttribute(lambda o: f"https://example.org/{o.key}")
    doi = ""
    arxiv_id = ""


class SourceSnapshotFactory(DjangoModelFactory):
    """Stored through ``snapshot_store``: pass ``content`` (bytes) to choose the file."""

    class Meta:
        model = SourceSnapshot

    source = factory.SubFactory(SourceFactory)
    content = factory.Sequence(lambda n: f"Local snapshot number {n}.\n".encode())
    media_type = "text/plain"
    retrieved_on = datetime.date(2026, 5, 6)

    @classmethod
    def _create(cls, model_class, source, content, media_type, retrieved_on, **kwargs):
        snapshot, _ = snapshot_store(
            source=source, content=content, media_type=media_type, retrieved_on=retrieved_on
        )
        return snapshot


class ConceptSourceFactory(DjangoModelFactory):
    class Meta:
        model = ConceptSource

    concept = factory.SubFactory(ConceptFactory)
    source = factory.SubFactory(SourceFactory)
    grounds = factory.LazyAttribute(lambda o: f"Grounds the test page with {o.source.key}.")
    order = 0


class PrerequisiteFactory(DjangoModelFactory):
    """``concept`` builds on ``prerequisite``; added through ``prerequisite_add`` (cycle check)."""

    class Meta:
        model = Prerequisite

    concept = factory.SubFactory(ConceptFactory)
    prerequisite = factory.SubFactory(ConceptFactory)
    carry_in = factory.LazyAttribute(
        lambda o: f"Bring the mental model from {o.prerequisite.title}."
    )
    carry_out = factory.LazyAttribute(
        lambda o: f"Use the demo prediction here before following {o.concept.title}."
    )
    next_order = 0

    @classmethod
    def _create(cls, model_class, concept, prerequisite, **kwargs):
        return prerequisite_add(concept=concept, prerequisite=prerequisite, **kwargs)


class RelatedLinkFactory(DjangoModelFactory):
    class Meta:
        model = RelatedLink

    concept = factory.SubFactory(ConceptFactory)
    target = factory.SubFactory(ConceptFactory)
    title = ""
    url = ""
    note = "A neighbouring idea."
    order = 0
