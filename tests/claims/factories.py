"""Factories for the claims registry; the concept rows come from the concepts app's factories."""

import factory

from claims.models import Claim, ClaimSource, ClaimWitness
from claims.reviews import review_record
from concepts.models import ConceptObject, ConceptSource
from tests.concepts.factories import (
    ConceptFactory,
    ConceptObjectFactory,
    ConceptSourceFactory,
    SourceFactory,
    SourceSnapshotFactory,
)

__all__ = [
    "ClaimFactory",
    "ClaimSourceFactory",
    "ClaimWitnessFactory",
    "ConceptFactory",
    "ConceptObjectFactory",
    "ConceptSourceFactory",
    "SourceFactory",
    "SourceSnapshotFactory",
    "linked_claim",
    "record_review",
    "source_keys",
    "witness_keys",
]


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    concept = factory.SubFactory(ConceptFactory)
    key = factory.LazyAttributeSequence(lambda o, n: f"claim:{o.concept.path}#claim-{n}")
    text = factory.Sequence(lambda n: f"Claim {n}: preferences train a reward model.")
    status = Claim.Status.PUBLISHED


class ClaimSourceFactory(factory.django.DjangoModelFactory):
    """A claim source, attached to the claim's concept as the rules require."""

    class Meta:
        model = ClaimSource

    claim = factory.SubFactory(ClaimFactory)
    source = factory.SubFactory(SourceFactory)
    locator = factory.Sequence(lambda n: f"§{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        claim, source = kwargs["claim"], kwargs["source"]
        ConceptSource.objects.get_or_create(
            concept=claim.concept, source=source, defaults={"grounds": "Grounds the claim."}
        )
        return super()._create(model_class, *args, **kwargs)


class ClaimWitnessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimWitness

    claim = factory.SubFactory(ClaimFactory)
    concept_object = factory.SubFactory(
        ConceptObjectFactory, concept=factory.SelfAttribute("..claim.concept")
    )


def linked_claim(*, sources: int = 2, witnesses: int = 2, snapshots: bool = True, **kwargs):
    """A claim with sources (each with a snapshot) and witnesses, fingerprint up to date."""
    claim = ClaimFactory(**kwargs)
    for _ in range(sources):
        link = ClaimSourceFactory(claim=claim)
        if snapshots:
            SourceSnapshotFactory(source=link.source)
    kinds = [ConceptObject.Kind.EQUATION, ConceptObject.Kind.CODE, ConceptObject.Kind.DEMO]
    for index in range(witnesses):
        ClaimWitnessFactory(
            claim=claim,
            concept_object=ConceptObjectFactory(concept=claim.concept, kind=kinds[index % 3]),
        )
    claim.refresh_from_db()
    return claim


def source_keys(claim: Claim) -> list[str]:
    return sorted(claim.claim_sources.values_list("source__key", flat=True))


def witness_keys(claim: Claim) -> list[str]:
    return sorted(
        link.concept_object.key
        for link in claim.claim_witnesses.select_related("concept_object__concept")
    )


def record_review(claim: Claim, reviewer, **overrides):
    """A review through the service, checking every source and witness of the claim."""
    values = {
        "verdict": "substantively_reviewed",
        "summary": "Sources support the mechanism; the witnesses instantiate it.",
        "scope_covers": "Reviews only preference-modeling mechanics.",
        "scope_excludes": "reward as true human objective.",
        "sources_checked": source_keys(claim),
        "witnesses_checked": witness_keys(claim),
    }
    values.update(overrides)
    return review_record(claim=claim, reviewer=reviewer, **values)
