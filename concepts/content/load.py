"""Bringing the database in line with the concepts files, writing only what differs."""

from pathlib import Path
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError, RestrictedError

from learning_platform.content import ContentError, LoadReport
from learning_platform.text import CanonicalField

from ..models import (
    Concept,
    ConceptObject,
    ConceptSource,
    PracticeHint,
    Prerequisite,
    RelatedLink,
    Section,
    Source,
)
from ..revisions import revisions_flush
from ..services import prerequisite_add, prerequisite_remove, prerequisite_update, snapshot_store
from .export import related_target_path
from .files import OBJECTS_FILE, concept_unit, source_unit
from .parse import ConceptDoc, content_parse


def _model_check(path: Path, instance: Model, prefix: str = "", exclude: tuple = ()) -> None:
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        where = name if not prefix else f"{prefix}.{name}"
        raise ContentError(path, where, "; ".join(messages)) from exc


def _assign(instance: Model, values: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in values.items():
        field = instance._meta.get_field(name)
        if isinstance(value, str) and isinstance(field, CanonicalField):
            value = field.canonicalize(value)
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


_M = TypeVar("_M", bound=Model)


def _upsert(
    *,
    report: LoadReport,
    path: Path,
    instance: _M,
    values: dict[str, Any],
    key: str,
    prefix: str = "",
) -> _M:
    """Create ``instance`` or save exactly the fields that differ, and say which it was."""
    created = instance.pk is None
    changed = _assign(instance, values)
    if created:
        _model_check(path, instance, prefix)
        instance.save()
        report.created.append(key)
    elif changed:
        _model_check(path, instance, prefix)
        if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
            changed.append("updated_at")
        instance.save(update_fields=changed)
        report.updated.append(key)
    else:
        report.unchanged += 1
    return instance


def _delete(*, report: LoadReport, path: Path, instance: Model, key: str) -> None:
    try:
        instance.delete()
    except (ProtectedError, RestrictedError) as exc:
        referrers = (
            exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        )
        users = sorted({str(obj) for obj in referrers if obj is not None})[:3]
        raise ContentError(
            path,
            key,
            "is no longer in the files but cannot be deleted: still referenced by "
            + ", ".join(users),
        ) from exc
    report.deleted.append(key)


def _concepts_by_path(paths: set[str]) -> dict[str, Concept]:
    found: dict[str, Concept] = {}
    wanted = [path.partition("/") for path in paths]
    areas = {area for area, _, _ in wanted}
    if not areas:
        return found
    for concept in Concept.objects.filter(area__in=areas):
        if concept.path in paths:
            found[concept.path] = concept
    return found


@transaction.atomic
def concepts_load(root: Path, report: LoadReport, units: set[str] | None = None) -> None:
    """Validate everything under ``root``, then bring the database in line with it.

    ``units``, when given, limits the writes to those content units (``source:<key>``,
    ``concept:<area>/<slug>``); every file is still validated.
    """
    sources, concepts = content_parse(Path(root))

    # Cross-references are checked before the first write.
    source_keys = {doc.key for doc in sources}
    known_sources = source_keys | set(
        Source.objects.filter(
            key__in={link["source"] for doc in concepts for link in doc.sources}
        ).values_list("key", flat=True)
    )
    content_paths = {doc.concept_path for doc in concepts}
    referenced = {edge["concept"] for doc in concepts for edge in doc.prerequisites} | {
        link["concept"] for doc in concepts for link in doc.related if link["concept"]
    }
    in_database = _concepts_by_path(referenced - content_paths)
    for doc in concepts:
        for index, link in enumerate(doc.sources):
            if link["source"] not in known_sources:
                raise ContentError(
                    doc.path,
                    f"sources[{index}].source",
                    f"no source {link['source']!r} in content/sources/ or the database",
                )
        for where, entries in (("prerequisites", doc.prerequisites), ("related", doc.related)):
            for index, entry in enumerate(entries):
                target = entry["concept"]
                if target and target not in content_paths and target not in in_database:
                    raise ContentError(
                        doc.path,
                        f"{where}[{index}].concept",
                        f"no concept {target!r} in content/concepts/ or the database",
                    )

    if units is not None:
        sources = [doc for doc in sources if source_unit(doc.key) in units]
        source_keys = {doc.key for doc in sources}
        concepts = [doc for doc in concepts if concept_unit(doc.concept_path) in units]
        content_paths = {doc.concept_path for doc in concepts}
        in_database = _concepts_by_path(referenced - content_paths)

    # Sources and their snapshots.
    existing_sources = {s.key: s for s in Source.objects.filter(key__in=source_keys)}
    for source_doc in sources:
        source = existing_sources.get(source_doc.key) or Source(key=source_doc.key)
        _upsert(
            report=report,
            path=source_doc.path,
            instance=source,
            values=source_doc.fields,
            key=f"source:{source_doc.key}",
        )
        if source_doc.snapshot:
            try:
                _, state = snapshot_store(
                    source=source,
                    content=source_doc.snapshot_bytes,
                    media_type=source_doc.snapshot["media_type"],
                    retrieved_on=source_doc.snapshot["retrieved_on"],
                    expected_sha256=source_doc.snapshot["sha256"],
                )
            except ValidationError as exc:
                name, messages = next(iter(exc.message_dict.items()))
                raise ContentError(
                    source_doc.path, f"snapshot.{name}", "; ".join(messages)
                ) from exc
            if state == "created":
                report.created.append(f"snapshot:{source_doc.key}")
            elif state == "updated":
                report.updated.append(f"snapshot:{source_doc.key}")
            else:
                report.unchanged += 1
    linked = {link["source"] for doc in concepts for link in doc.sources}
    all_sources = {source.key: source for source in Source.objects.filter(key__in=linked)}

    # Concepts with their sections, objects, sources and related links.
    loaded: dict[str, Concept] = {}
    existing = _concepts_by_path(content_paths)
    for doc in concepts:
        concept = existing.get(doc.concept_path) or Concept(area=doc.area, slug=doc.slug)
        _upsert(
            report=report,
            path=doc.path,
            instance=concept,
            values=doc.fields,
            key=f"concept:{doc.concept_path}",
        )
        loaded[doc.concept_path] = concept
        sections = _load_sections(report, doc, concept)
        _load_objects(report, doc, concept, sections)
        _load_hints(report, doc, concept)
        _load_source_links(report, doc, concept, all_sources)
    targets = {**in_database, **loaded}
    for doc in concepts:
        _load_related(report, doc, loaded[doc.concept_path], targets)
    _load_edges(report, concepts, loaded, targets)
    revisions_flush()


def _load_sections(report: LoadReport, doc: ConceptDoc, concept: Concept) -> dict[str, Section]:
    current = {section.kind: section for section in concept.sections.all()}
    wanted = {section.kind for section in doc.sections}
    for kind, section in current.items():
        if kind not in wanted:
            _delete(report=report, path=doc.path.parent, instance=section, key=section.key)
    result: dict[str, Section] = {}
    for section_doc in doc.sections:
        section = current.get(section_doc.kind) or Section(concept=concept, kind=section_doc.kind)
        values = {**section_doc.fields, "order": section_doc.order, "body": section_doc.body}
        result[section_doc.kind] = _upsert(
            report=report,
            path=section_doc.path,
            instance=section,
            values=values,
            key=f"section:{doc.concept_path}#{section_doc.kind}",
        )
    return result


def _load_objects(
    report: LoadReport, doc: ConceptDoc, concept: Concept, sections: dict[str, Section]
) -> None:
    current = {(obj.kind, obj.anchor): obj for obj in concept.page_objects.all()}
    wanted = {(obj["kind"], obj["anchor"]) for obj in doc.objects}
    path = doc.objects_path or doc.path.parent / OBJECTS_FILE
    for identity, obj in current.items():
        if identity not in wanted:
            _delete(report=report, path=path, instance=obj, key=obj.key)
    for index, data in enumerate(doc.objects):
        identity = (data["kind"], data["anchor"])
        obj = current.get(identity) or ConceptObject(
            concept=concept, kind=data["kind"], anchor=data["anchor"]
        )
        values = {
            "title": data["title"],
            "section_id": sections[data["section"]].pk if data["section"] else None,
            "operational": data["operational"],
            "language": data["language"],
            "demo_kind": data["demo_kind"],
            "params": data["params"],
            "body": data["body"],
            "expected_output": data["expected_output"],
            "order": index,
        }
        _upsert(
            report=report,
            path=path,
            instance=obj,
            values=values,
            key=f"{data['kind']}:{doc.concept_path}#{data['anchor']}",
            prefix=f"[{index}]",
        )


def _load_hints(report: LoadReport, doc: ConceptDoc, concept: Concept) -> None:
    """Hint n of the practice loop is the n-th entry of ``learner.practice.hints``."""
    current = {hint.number: hint for hint in concept.practice_hints.all()}
    for number, hint in current.items():
        if number > len(doc.hints):
            _delete(
                report=report,
                path=doc.path,
                instance=hint,
                key=f"practice-hint:{doc.concept_path}#{number}",
            )
    for index, entry in enumerate(doc.hints):
        number = index + 1
        hint = current.get(number) or PracticeHint(concept=concept, number=number)
        _upsert(
            report=report,
            path=doc.path,
            instance=hint,
            values={"teaser": entry["teaser"], "body": entry["body"]},
            key=f"practice-hint:{doc.concept_path}#{number}",
            prefix=f"learner.practice.hints[{index}]",
        )


def _load_source_links(
    report: LoadReport, doc: ConceptDoc, concept: Concept, sources: dict[str, Source]
) -> None:
    current = {link.source.key: link for link in concept.source_links.select_related("source")}
    wanted = {link["source"] for link in doc.sources}
    for key, link in current.items():
        if key not in wanted:
            _delete(
                report=report,
                path=doc.path,
                instance=link,
                key=f"concept-source:{doc.concept_path}→{key}",
            )
    for index, entry in enumerate(doc.sources):
        source = sources[entry["source"]]
        link = current.get(entry["source"]) or ConceptSource(concept=concept, source=source)
        _upsert(
            report=report,
            path=doc.path,
            instance=link,
            values={"grounds": entry["grounds"], "order": index},
            key=f"concept-source:{doc.concept_path}→{entry['source']}",
            prefix=f"sources[{index}]",
        )


def _related_identity(link: RelatedLink) -> str:
    return related_target_path(link) if link.target_id else link.url


def _load_related(
    report: LoadReport, doc: ConceptDoc, concept: Concept, targets: dict[str, Concept]
) -> None:
    current = {
        _related_identity(link): link for link in concept.related_links.select_related("target")
    }
    wanted = {entry["concept"] or entry["url"] for entry in doc.related}
    for identity, link in current.items():
        if identity not in wanted:
            _delete(
                report=report,
                path=doc.path,
                instance=link,
                key=f"related-link:{doc.concept_path}→{identity}",
            )
    for index, entry in enumerate(doc.related):
        identity = entry["concept"] or entry["url"]
        link = current.get(identity) or RelatedLink(concept=concept)
        values = {
            "target_id": targets[entry["concept"]].pk if entry["concept"] else None,
            "url": entry["url"],
            "title": entry["title"],
            "note": entry["note"],
            "order": index,
        }
        _upsert(
            report=report,
            path=doc.path,
            instance=link,
            values=values,
            key=f"related-link:{doc.concept_path}→{identity}",
            prefix=f"related[{index}]",
        )


def _load_edges(
    report: LoadReport,
    docs: list[ConceptDoc],
    loaded: dict[str, Concept],
    targets: dict[str, Concept],
) -> None:
    """Removals first, so that reversing an edge in the files is not mistaken for a cycle."""
    current: dict[str, dict[str, Prerequisite]] = {path: {} for path in loaded}
    by_id = {concept.pk: path for path, concept in loaded.items()}
    edges = Prerequisite.objects.filter(concept__in=list(loaded.values())).select_related(
        "prerequisite"
    )
    for edge in edges:
        current[by_id[edge.concept_id]][edge.prerequisite.path] = edge

    def edge_key(doc: ConceptDoc, target: str) -> str:
        return f"prerequisite:{doc.concept_path}→{target}"

    for doc in docs:
        wanted = {edge["concept"] for edge in doc.prerequisites}
        for target, edge in list(current[doc.concept_path].items()):
            if target not in wanted:
                prerequisite_remove(edge=edge)
                report.deleted.append(edge_key(doc, target))
                del current[doc.concept_path][target]
    for doc in docs:
        for index, entry in enumerate(doc.prerequisites):
            kept = current[doc.concept_path].get(entry["concept"])
            if kept is None:
                continue
            changed = prerequisite_update(
                edge=kept,
                carry_in=entry["carry_in"],
                carry_out=entry["carry_out"],
                order=index,
                next_order=entry["next_order"],
            )
            if changed:
                report.updated.append(edge_key(doc, entry["concept"]))
            else:
                report.unchanged += 1
    for doc in docs:
        concept = loaded[doc.concept_path]
        for index, entry in enumerate(doc.prerequisites):
            if entry["concept"] in current[doc.concept_path]:
                continue
            try:
                prerequisite_add(
                    concept=concept,
                    prerequisite=targets[entry["concept"]],
                    carry_in=entry["carry_in"],
                    carry_out=entry["carry_out"],
                    order=index,
                    next_order=entry["next_order"],
                )
            except ValidationError as exc:
                reason = "; ".join(
                    message for messages in exc.message_dict.values() for message in messages
                )
                raise ContentError(doc.path, f"prerequisites[{index}].concept", reason) from exc
            report.created.append(edge_key(doc, entry["concept"]))
