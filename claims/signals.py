"""Keep claim fingerprints current whatever changes what they cover, in the same transaction.

A claim's fingerprint covers its text, its sources (key, locator, current snapshot hash) and its
witnesses (key and content). Any save or delete that touches one of those, through the admin,
the content loader or a service, refreshes the fingerprints of the claims concerned, their
stored badges and their concepts' stored counts. The handlers only ask the service to: a write
made directly (the admin's forms) is refreshed at once, a service's writes once at its end
(claims.fingerprints.claim_fingerprints_batched).
"""

from django.db.models.signals import post_delete, post_save

from concepts.models import Concept, ConceptObject, Source, SourceSnapshot

from .counts import claim_counts_refresh
from .fingerprints import claim_fingerprints_touch
from .models import Claim, ClaimSource, ClaimWitness


def _claim_saved(sender, instance: Claim, raw: bool = False, **kwargs) -> None:
    if not raw:
        # Refreshing the fingerprint also stores the badge and recounts the concept.
        claim_fingerprints_touch(claim_ids=[instance.pk])
        moved_from = getattr(instance, "_loaded_concept_id", None)
        if moved_from is not None and moved_from != instance.concept_id:
            claim_counts_refresh(concept_ids=[moved_from])
        instance._loaded_concept_id = instance.concept_id


def _claim_deleted(sender, instance: Claim, **kwargs) -> None:
    claim_counts_refresh(concept_ids=[instance.concept_id])


def _link_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        claim_fingerprints_touch(claim_ids=[instance.claim_id])


def _source_changed(sender, instance: Source, raw: bool = False, **kwargs) -> None:
    if not raw:
        ids = ClaimSource.objects.filter(source_id=instance.pk).values_list("claim_id", flat=True)
        claim_fingerprints_touch(claim_ids=list(ids))


def _snapshot_changed(sender, instance: SourceSnapshot, raw: bool = False, **kwargs) -> None:
    if not raw:
        ids = ClaimSource.objects.filter(source_id=instance.source_id).values_list(
            "claim_id", flat=True
        )
        claim_fingerprints_touch(claim_ids=list(ids))


def _object_changed(sender, instance: ConceptObject, raw: bool = False, **kwargs) -> None:
    if not raw:
        ids = ClaimWitness.objects.filter(concept_object_id=instance.pk).values_list(
            "claim_id", flat=True
        )
        claim_fingerprints_touch(claim_ids=list(ids))


def _concept_changed(sender, instance: Concept, raw: bool = False, created=False, **kwargs):
    # Witness keys name the concept's path: renaming it changes them.
    if not raw and not created:
        ids = ClaimWitness.objects.filter(concept_object__concept_id=instance.pk).values_list(
            "claim_id", flat=True
        )
        claim_fingerprints_touch(claim_ids=list(ids))


def connect() -> None:
    post_save.connect(_claim_saved, sender=Claim, dispatch_uid="claims.claim_saved")
    post_delete.connect(_claim_deleted, sender=Claim, dispatch_uid="claims.claim_deleted")
    for model in (ClaimSource, ClaimWitness):
        for signal in (post_save, post_delete):
            signal.connect(
                _link_changed,
                sender=model,
                dispatch_uid=f"claims.{model.__name__}.{signal is post_save}",
            )
    post_save.connect(_source_changed, sender=Source, dispatch_uid="claims.source_changed")
    for signal in (post_save, post_delete):
        signal.connect(
            _snapshot_changed,
            sender=SourceSnapshot,
            dispatch_uid=f"claims.snapshot_changed.{signal is post_save}",
        )
    post_save.connect(_object_changed, sender=ConceptObject, dispatch_uid="claims.object_changed")
    post_save.connect(_concept_changed, sender=Concept, dispatch_uid="claims.concept_changed")
