"""Every write to the concepts app: the API, the admin and the content loader call these."""

import hashlib
import mimetypes
import re
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction

from learning_platform.services import model_update

from .graph import cycle_if_added
from .models import Concept, Prerequisite, Source, SourceSnapshot

# Serialises graph writers on PostgreSQL: two concurrent edges could each pass the check and
# together close a cycle. SQLite needs nothing, its IMMEDIATE transactions already serialise.
GRAPH_LOCK_ID = 7_301_004

MEDIA_TYPE_EXTENSIONS = {
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/html": ".html",
    "application/pdf": ".pdf",
    "application/json": ".json",
}


def _lock_graph() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [GRAPH_LOCK_ID])


def cycle_message(paths: Iterable[str]) -> str:
    return "would close the cycle " + " → ".join(paths)


def prerequisite_cycle(
    *,
    concept_id: int,
    prerequisite_id: int,
    edges: Iterable[tuple[int, int]] | None = None,
) -> list[str]:
    """The cycle (as concept paths) that the edge would close, or [].

    ``edges`` defaults to every edge in the database, loaded in one query; the admin passes the
    graph as its form would leave it.
    """
    if edges is None:
        edges = Prerequisite.objects.values_list("concept_id", "prerequisite_id")
    cycle = cycle_if_added(edges, concept_id, prerequisite_id)
    if not cycle:
        return []
    paths = {
        pk: f"{area}/{slug}"
        for pk, area, slug in Concept.objects.filter(pk__in=set(cycle)).values_list(
            "pk", "area", "slug"
        )
    }
    return [paths[pk] for pk in cycle]


def _check_edge(*, concept: Concept, prerequisite: Concept) -> None:
    if concept.pk == prerequisite.pk:
        raise ValidationError(
            {
                "prerequisite": "A concept cannot be its own prerequisite: "
                + cycle_message([concept.path, concept.path])
                + "."
            }
        )
    cycle = prerequisite_cycle(concept_id=concept.pk, prerequisite_id=prerequisite.pk)
    if cycle:
        raise ValidationError({"prerequisite": f"This edge {cycle_message(cycle)}."})


@transaction.atomic
def prerequisite_add(
    *,
    concept: Concept,
    prerequisite: Concept,
    carry_in: str = "",
    carry_out: str = "",
    order: int | None = None,
    next_order: int = 0,
) -> Prerequisite:
    """Add the edge ``concept`` builds on ``prerequisite``; refuse a cycle, naming it."""
    _lock_graph()
    if Prerequisite.objects.filter(concept=concept, prerequisite=prerequisite).exists():
        raise ValidationError(
            {"prerequisite": f"{prerequisite.path} is already a prerequisite of {concept.path}."}
        )
    _check_edge(concept=concept, prerequisite=prerequisite)
    if order is None:
        order = Prerequisite.objects.filter(concept=concept).count()
    edge = Prerequisite(
        concept=concept,
        prerequisite=prerequisite,
        carry_in=carry_in,
        carry_out=carry_out,
        order=order,
        next_order=next_order,
    )
    edge.full_clean()
    edge.save()
    return edge


@transaction.atomic
def prerequisite_update(
    *,
    edge: Prerequisite,
    carry_in: str,
    carry_out: str,
    order: int,
    next_order: int = 0,
) -> list[str]:
    """Change an edge's notes and positions; returns the names of the fields that changed."""
    data = {"carry_in": carry_in, "carry_out": carry_out, "order": order, "next_order": next_order}
    changed = model_update(instance=edge, fields=data, data=data)
    if changed:
        edge.full_clean(validate_constraints=False)
        edge.save(update_fields=changed)
    return changed


@transaction.atomic
def prerequisite_remove(*, edge: Prerequisite) -> None:
    edge.delete()


MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")


def snapshot_media_type(*, filename: str, declared: str = "") -> str:
    """The declared media type (type/subtype, lowercase, no parameters or line breaks), or one
    guessed from the file name."""
    declared = (declared or "").strip().lower()
    if declared:
        if not MEDIA_TYPE.match(declared):
            raise ValidationError(
                {"media_type": f"{declared[:80]!r} is not a media type such as text/plain."}
            )
        return declared
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def snapshot_extension(media_type: str) -> str:
    return MEDIA_TYPE_EXTENSIONS.get(media_type) or mimetypes.guess_extension(media_type) or ""


def snapshot_check_size(size: int) -> None:
    cap = settings.SNAPSHOT_MAX_BYTES
    if size > cap:
        raise ValidationError(
            {
                "file": f"The snapshot is {size} bytes; the limit is {cap} bytes "
                "(SNAPSHOT_MAX_BYTES)."
            }
        )


@transaction.atomic
def snapshot_store(
    *,
    source: Source,
    content: bytes,
    media_type: str,
    retrieved_on: date,
    expected_sha256: str = "",
) -> tuple[SourceSnapshot, str]:
    """Store a local copy of ``source``; returns (snapshot, "created"|"updated"|"unchanged").

    The hash and size are computed here, never taken from the caller. Bytes identical to the
    latest snapshot create no new row (its media type and retrieval date are kept in step).
    Files are content-addressed, so a rolled-back transaction leaves at most a file that the
    next load of the same bytes reuses.
    """
    snapshot_check_size(len(content))
    media_type = snapshot_media_type(filename="", declared=media_type)
    sha256 = hashlib.sha256(content).hexdigest()
    if expected_sha256 and expected_sha256 != sha256:
        raise ValidationError(
            {
                "sha256": f"The recorded sha256 {expected_sha256} does not match the file, "
                f"which hashes to {sha256}."
            }
        )
    latest = source.snapshots.order_by("-created_at", "-id").first()
    if latest is not None and latest.sha256 == sha256:
        kept = {"media_type": media_type, "retrieved_on": retrieved_on}
        changed = model_update(instance=latest, fields=kept, data=kept)
        if changed:
            latest.save(update_fields=changed)
        return latest, "updated" if changed else "unchanged"

    field = SourceSnapshot._meta.get_field("file")
    name = f"snapshots/{source.key}/{sha256}{snapshot_extension(media_type)}"
    if not field.storage.exists(name):
        name = field.storage.save(name, ContentFile(content))
    snapshot = SourceSnapshot(
        source=source,
        sha256=sha256,
        size_bytes=len(content),
        media_type=media_type,
        retrieved_on=retrieved_on,
    )
    snapshot.file.name = name
    snapshot.full_clean()
    snapshot.save()
    return snapshot, "created"
