"""Concept revisions: every change to a page makes an immutable revision with a content hash.

A concept's canonical content (``concept_content``) is its metadata, sections (as stored, with
their object references), objects, prerequisite and next-concept edges with their notes,
related links, source attachments, and each attached source's record and newest snapshot hash.
Its SHA-256 over canonical JSON is the revision hash: the same content always hashes the same,
and a save that changes nothing makes no revision.

Doors open a ``revision_scope`` (author, door, reason). Saves and deletes of any row that is
part of a page mark the concepts they touch; when the outermost scope closes, still inside the
transaction, each marked concept whose hash moved gets one new revision. A save made outside
any scope (a shell, a data migration) is recorded when its transaction commits, as "direct".
"""

import contextvars
import difflib
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone

from .models import (
    Concept,
    ConceptObject,
    ConceptRevision,
    ConceptSource,
    PracticeHint,
    Prerequisite,
    RelatedLink,
    Section,
    Source,
    SourceSnapshot,
)
from .selectors import concept_sees_unpublished, snapshot_latest_sha

Door = ConceptRevision.Door
# How an item or an input differs between two states.
CHANGE_CHOICES = [("added", "added"), ("removed", "removed"), ("changed", "changed")]


@dataclass
class _Scope:
    author: Any
    door: str
    reason: str
    concept_ids: set[int] = field(default_factory=set)


_current: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "concept_revision_scope", default=None
)


class RevisionMiddleware:
    """Content writes through the admin and the content API are one revision scope each, with
    the signed-in user (session or token: DRF sets it on the request) as the author."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.paths: tuple[str, ...] | None = None

    def _paths(self) -> tuple[str, ...]:
        # Reversed on the first request: the URLconf is not loaded while middleware is built.
        if self.paths is None:
            self.paths = (
                reverse("admin:index"),
                reverse("concept-list"),
                reverse("source-list"),
            )
        return self.paths

    def __call__(self, request):
        if request.method in ("GET", "HEAD", "OPTIONS") or not request.path.startswith(
            self._paths()
        ):
            return self.get_response(request)
        door = Door.ADMIN if request.path.startswith(self._paths()[0]) else Door.API
        with revision_scope(door=door, reason=f"{request.method} {request.path}") as scope:
            response = self.get_response(request)
            scope.author = getattr(request, "user", None)
        return response


@contextmanager
def revision_scope(*, author=None, door: str, reason: str = "") -> Iterator[_Scope]:
    """Group the writes inside into one revision per concept they change.

    Nested scopes join the outermost one, whose author, door and reason are recorded.
    """
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    scope = _Scope(author=author, door=door, reason=reason[:300])
    token = _current.set(scope)
    try:
        with transaction.atomic():
            yield scope
            _current.set(None)
            concept_revisions_record(
                concept_ids=scope.concept_ids,
                author=scope.author,
                door=scope.door,
                reason=scope.reason,
            )
    finally:
        _current.reset(token)


def revisions_flush() -> None:
    """Record the scope's pending revisions now, so that later writes in the same scope (claims
    loaded after their concepts) can pin them."""
    scope = _current.get()
    if scope is None or not scope.concept_ids:
        return
    ids, scope.concept_ids = scope.concept_ids, set()
    concept_revisions_record(
        concept_ids=ids, author=scope.author, door=scope.door, reason=scope.reason
    )


def concept_touched(concept_ids: Iterable[int | None]) -> None:
    """Mark concepts whose content may have changed (called by the signal handlers)."""
    ids = {concept_id for concept_id in concept_ids if concept_id is not None}
    if not ids:
        return
    scope = _current.get()
    if scope is not None:
        scope.concept_ids |= ids
        return
    transaction.on_commit(
        partial(concept_revisions_record, concept_ids=ids, author=None, door=Door.DIRECT)
    )


# Canonical content ----------------------------------------------------------------------------


def concept_content(concept: Concept) -> dict[str, Any]:
    """The page's canonical content as plain JSON data, in a fixed number of queries."""
    rows = Section.objects.filter(concept=concept).values(
        "id", "kind", "order", "title", "summary", "prompt", "section_prompt", "body", "ready"
    )
    # Plain dicts, not the stubs' TypedDict rows: the id is popped from each one below.
    sections = cast(list[dict[str, Any]], list(rows))
    kinds = {row.pop("id"): row["kind"] for row in sections}
    objects = ConceptObject.objects.filter(concept=concept).values(
        "kind",
        "anchor",
        "title",
        "section_id",
        "operational",
        "language",
        "demo_kind",
        "params",
        "body",
        "expected_output",
        "order",
    )
    before = Prerequisite.objects.filter(concept=concept).values(
        "prerequisite__area", "prerequisite__slug", "carry_in", "carry_out", "order", "next_order"
    )
    after = Prerequisite.objects.filter(prerequisite=concept).values(
        "concept__area", "concept__slug", "carry_out", "next_order"
    )
    related = RelatedLink.objects.filter(concept=concept).values(
        "target__area", "target__slug", "url", "title", "note", "order"
    )
    links = ConceptSource.objects.filter(concept=concept).annotate(sha=snapshot_latest_sha())
    links = links.select_related("source")
    hints = PracticeHint.objects.filter(concept=concept).values("number", "teaser", "body")
    return {
        "concept": {
            name: getattr(concept, name)
            for name in (
                "area",
                "slug",
                "area_title",
                "title",
                "summary",
                "status",
                "importance",
                "difficulty",
                "math_level",
                "read_minutes",
                "illustration_caption",
                "link_test",
            )
        },
        "learner": {name: getattr(concept, name) for name in Concept.LEARNER_FIELDS},
        "practice_hints": {
            str(row["number"]): {"teaser": row["teaser"], "body": row["body"]} for row in hints
        },
        "sections": {row["kind"]: row for row in sections},
        "objects": {
            f"{row['kind']}:{row['anchor']}": {
                # An expected output is listed once declared: older revisions have none.
                **{
                    k: v
                    for k, v in row.items()
                    if k != "section_id" and (k != "expected_output" or v)
                },
                "section": kinds.get(row["section_id"], ""),
            }
            for row in objects
        },
        "prerequisites": {
            f"{row['prerequisite__area']}/{row['prerequisite__slug']}": {
                "carry_in": row["carry_in"],
                "carry_out": row["carry_out"],
                "order": row["order"],
                "next_order": row["next_order"],
            }
            for row in before
        },
        "next": {
            f"{row['concept__area']}/{row['concept__slug']}": {
                "carry_out": row["carry_out"],
                "next_order": row["next_order"],
            }
            for row in after
        },
        "related": {
            (
                f"{row['target__area']}/{row['target__slug']}"
                if row["target__slug"]
                else row["url"]
            ): {
                "title": row["title"],
                "url": row["url"],
                "note": row["note"],
                "order": row["order"],
            }
            for row in related
        },
        "sources": {
            link.source.key: {
                "grounds": link.grounds,
                "order": link.order,
                "record": link.source.content_hash,
                "snapshot_sha256": link.sha or "",
            }
            for link in links
        },
    }


def content_visible(content: dict[str, Any], *, user) -> dict[str, Any]:
    """A revision's content as ``user`` may see it: edges and related links to concepts that
    are not published now are left out for readers who may not see unpublished work, and so
    are the practice hints' bodies, which a learner reveals one at a time."""
    if concept_sees_unpublished(user):
        return content
    paths = {
        path
        for group in ("prerequisites", "next", "related")
        for path in (content.get(group) or {})
        if "/" in path and "://" not in path
    }
    published = {
        f"{area}/{slug}"
        for area, slug in Concept.objects.filter(
            status=Concept.Status.PUBLISHED, area__in={p.split("/")[0] for p in paths}
        ).values_list("area", "slug")
    }
    visible = dict(content)
    visible["practice_hints"] = {
        number: {"teaser": hint.get("teaser", "")}
        for number, hint in (content.get("practice_hints") or {}).items()
    }
    for group in ("prerequisites", "next", "related"):
        visible[group] = {
            key: value
            for key, value in (content.get(group) or {}).items()
            if key in published or "://" in key
        }
    return visible


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 over canonical JSON: sorted keys, no whitespace, UTF-8."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# Writing --------------------------------------------------------------------------------------


def concept_revision_record(
    *, concept: Concept, author=None, door: str, reason: str = ""
) -> ConceptRevision | None:
    """A new revision if the concept's content differs from its newest one; else None."""
    locked = Concept.objects.select_for_update().filter(pk=concept.pk).first()
    if locked is None:
        return None
    content = concept_content(locked)
    digest = content_hash(content)
    if digest == locked.revision_hash:
        return None
    head = ConceptRevision.objects.filter(concept=locked).order_by("-number").first()
    author = author if getattr(author, "is_authenticated", False) else None
    revision = ConceptRevision.objects.create(
        concept=locked,
        number=head.number + 1 if head else 1,
        hash=digest,
        parent_hash=head.hash if head else "",
        content=content,
        author=author,
        author_label=author.get_username() if author else "",
        door=door,
        reason=reason[:300] or f"{ConceptRevision.Door(door).label} change",
        created_at=timezone.now(),
    )
    Concept.objects.filter(pk=locked.pk).update(revision_hash=digest)
    concept.revision_hash = digest
    return revision


def concept_revisions_record(
    *, concept_ids: Iterable[int], author=None, door: str, reason: str = ""
) -> list[ConceptRevision]:
    with transaction.atomic():
        made = []
        for concept in Concept.objects.filter(pk__in=sorted(set(concept_ids))).order_by("pk"):
            revision = concept_revision_record(
                concept=concept, author=author, door=door, reason=reason
            )
            if revision is not None:
                made.append(revision)
        return made


# Reading --------------------------------------------------------------------------------------


def revision_list(*, concept: Concept):
    return ConceptRevision.objects.filter(concept=concept).order_by("-number")


def revision_get(*, concept: Concept, revision_hash: str) -> ConceptRevision | None:
    """The newest revision with this hash (or a unique prefix of at least 8 hex digits)."""
    revision_hash = (revision_hash or "").lower()
    if len(revision_hash) < 8 or any(c not in "0123456789abcdef" for c in revision_hash):
        return None
    found = list(
        revision_list(concept=concept)
        .filter(hash__startswith=revision_hash)[:50]
        .values_list("hash", flat=True)
    )
    if len(set(found)) != 1:
        return None
    return revision_list(concept=concept).filter(hash=found[0]).first()


def _item_lines(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return [f"{value}"]
    lines = []
    for name in sorted(value):
        item = value[name]
        text = item if isinstance(item, str) else _json(item)
        if isinstance(item, str) and "\n" in item.rstrip("\n"):
            lines.append(f"{name}: |")
            lines.extend(f"  {line}" for line in item.rstrip("\n").split("\n"))
        else:
            lines.append(f"{name}: {text}")
    return lines


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def content_items(content: dict[str, Any]) -> dict[str, Any]:
    """Flatten a page's content into diffable items keyed like the page's object keys."""
    items: dict[str, Any] = {"concept": content.get("concept", {})}
    if any((content.get("learner") or {}).values()):
        items["learner"] = content["learner"]
    for group, prefix in (
        ("practice_hints", "practice-hint"),
        ("sections", "section"),
        ("objects", ""),
        ("prerequisites", "prerequisite"),
        ("next", "next"),
        ("related", "related"),
        ("sources", "source"),
    ):
        for key, value in (content.get(group) or {}).items():
            items[f"{prefix}:{key}" if prefix else key] = value
    return items


def content_diff(
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    old_label: str,
    new_label: str,
    only: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Per item, per line: which items were added, removed or changed, with a unified diff."""
    before, after = content_items(old), content_items(new)
    wanted = set(only) if only is not None else None
    changes = []
    for key in sorted(set(before) | set(after)):
        if wanted is not None and key not in wanted:
            continue
        if before.get(key) == after.get(key):
            continue
        status = "added" if key not in before else "removed" if key not in after else "changed"
        lines = difflib.unified_diff(
            _item_lines(before[key]) if key in before else [],
            _item_lines(after[key]) if key in after else [],
            fromfile=f"{key}@{old_label}",
            tofile=f"{key}@{new_label}",
            lineterm="",
        )
        changes.append({"item": key, "status": status, "diff": "\n".join(lines)})
    return changes


def item_key_of_object(object_key: str) -> str:
    """``equation:alignment/rlhf#reward-gap`` → the diff item ``equation:reward-gap``."""
    kind, _, rest = object_key.partition(":")
    _, _, anchor = rest.partition("#")
    if kind == "section":
        return f"section:{anchor}"
    if kind == "concept":
        return "concept"
    return f"{kind}:{anchor}"


# Signals: mark what each saved or deleted row touches -----------------------------------------


def _on_concept(sender, instance: Concept, raw=False, **kwargs):
    if not raw:
        concept_touched([instance.pk])


def _on_child(sender, instance, raw=False, **kwargs):
    if not raw:
        concept_touched([instance.concept_id])


def _on_edge(sender, instance: Prerequisite, raw=False, **kwargs):
    if not raw:
        concept_touched([instance.concept_id, instance.prerequisite_id])


def _on_source(sender, instance: Source, raw=False, **kwargs):
    if not raw:
        concept_touched(
            ConceptSource.objects.filter(source_id=instance.pk).values_list("concept_id", flat=True)
        )


def _on_snapshot(sender, instance: SourceSnapshot, raw=False, **kwargs):
    if not raw:
        concept_touched(
            ConceptSource.objects.filter(source_id=instance.source_id).values_list(
                "concept_id", flat=True
            )
        )


def connect() -> None:
    post_save.connect(_on_concept, sender=Concept, dispatch_uid="revisions.concept")
    for model in (Section, ConceptObject, RelatedLink, ConceptSource, PracticeHint):
        for signal in (post_save, post_delete):
            signal.connect(
                _on_child, sender=model, dispatch_uid=f"revisions.{model.__name__}.{id(signal)}"
            )
    for signal in (post_save, post_delete):
        signal.connect(_on_edge, sender=Prerequisite, dispatch_uid=f"revisions.edge.{id(signal)}")
        signal.connect(
            _on_snapshot, sender=SourceSnapshot, dispatch_uid=f"revisions.snapshot.{id(signal)}"
        )
    post_save.connect(_on_source, sender=Source, dispatch_uid="revisions.source")


def loader_scope(reason: str) -> AbstractContextManager[_Scope]:
    """The scope ``load_content`` runs in: its writes are the loader's revisions."""
    return revision_scope(door=ConceptRevision.Door.LOADER, reason=reason)


def revision_of_unit(unit: str) -> str:
    """A content unit's revision hash as stored: a concept's newest one, "" for other units."""
    if not unit.startswith("concept:"):
        return ""
    from .selectors import concept_revision_of_key

    return concept_revision_of_key(unit)
