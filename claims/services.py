"""Writing claims and the sources and witnesses they rest on, each write in one transaction.

The API, the admin and the content loader all come through here; the fingerprint a write
changes is refreshed once, at the write's end (claims.fingerprints).
"""

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from concepts.models import Concept, ConceptObject, Source
from learning_platform.services import model_update

from .fingerprints import claim_fingerprints_batched, claim_refreshed
from .models import Claim, ClaimSource, ClaimWitness


@transaction.atomic
def claim_save(*, claim: Claim) -> Claim:
    """Validate and save a claim (new or edited), then bring its fingerprint up to date."""
    with claim_fingerprints_batched():
        claim.full_clean()
        claim.save()
    return claim_refreshed(claim)


@transaction.atomic
def claim_create(
    *,
    concept: Concept,
    key: str,
    text: str,
    status: str = Claim.Status.DRAFT,
    support_note: str = "",
    order: int = 0,
    sources: Sequence[tuple[Source, str]] = (),
    witnesses: Sequence[ConceptObject] = (),
) -> Claim:
    claim = Claim(
        concept=concept,
        key=key,
        text=text,
        status=status,
        support_note=support_note,
        order=order,
    )
    with claim_fingerprints_batched():
        claim_save(claim=claim)
        claim_sources_set(claim=claim, sources=sources)
        claim_witnesses_set(claim=claim, witnesses=witnesses)
    return claim_refreshed(claim)


CLAIM_EDITABLE_FIELDS = ("key", "concept", "text", "status", "support_note", "order")


@transaction.atomic
def claim_update(*, claim: Claim, **fields) -> Claim:
    model_update(instance=claim, fields=CLAIM_EDITABLE_FIELDS, data=fields)
    return claim_save(claim=claim)


def _links_add(links: Iterable[ClaimSource | ClaimWitness]) -> list[str]:
    """Validate and save new link rows; answer the messages of the ones refused."""
    errors = []
    for link in links:
        try:
            link.full_clean()
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        link.save()
    return errors


@transaction.atomic
def claim_sources_set(*, claim: Claim, sources: Sequence[tuple[Source, str]]) -> Claim:
    """Make the claim rest on exactly these (source, locator) pairs, in this order."""
    with claim_fingerprints_batched():
        wanted = {
            source.pk: (order, source, locator) for order, (source, locator) in enumerate(sources)
        }
        for link in list(claim.claim_sources.all()):
            if link.source_id not in wanted:
                link.delete()
                continue
            order, _, locator = wanted.pop(link.source_id)
            if (link.order, link.locator) != (order, locator):
                link.order, link.locator = order, locator
                link.save()
        errors = _links_add(
            ClaimSource(claim=claim, source=source, locator=locator, order=order)
            for order, source, locator in wanted.values()
        )
        if errors:
            raise ValidationError({"sources": errors})
    return claim_refreshed(claim)


@transaction.atomic
def claim_witnesses_set(*, claim: Claim, witnesses: Sequence[ConceptObject]) -> Claim:
    """Make the claim's witnesses exactly these objects, in this order."""
    with claim_fingerprints_batched():
        wanted = {witness.pk: (order, witness) for order, witness in enumerate(witnesses)}
        for link in list(claim.claim_witnesses.all()):
            if link.concept_object_id not in wanted:
                link.delete()
                continue
            order, _ = wanted.pop(link.concept_object_id)
            if link.order != order:
                link.order = order
                link.save()
        errors = _links_add(
            ClaimWitness(claim=claim, concept_object=witness, order=order)
            for order, witness in wanted.values()
        )
        if errors:
            raise ValidationError({"witnesses": errors})
    return claim_refreshed(claim)
