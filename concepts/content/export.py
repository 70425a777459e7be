"""Writing the database's sources and concepts as their canonical files."""

import logging
from pathlib import Path
from typing import Any

from learning_platform.yaml_files import dump_yaml

from ..models import Concept, ConceptObject, PracticeHint, RelatedLink, Section, Source
from ..services import snapshot_extension
from .files import (
    CONCEPT_FILE,
    CONCEPTS_DIR,
    OBJECTS_FILE,
    SECTIONS_DIR,
    SNAPSHOTS_DIR,
    SOURCES_DIR,
    canonical_params,
    concept_unit,
    join_front_matter,
    source_unit,
)

logger = logging.getLogger("concepts.content")


def learner_block(concept: Concept, hints: list[PracticeHint]) -> dict[str, Any]:
    """The ``learner:`` block as concept.yaml writes it: empty texts and groups left out."""
    block: dict[str, Any] = {}
    for name, place in Concept.LEARNER_FIELDS.items():
        value = getattr(concept, name)
        if not value:
            continue
        target = block
        for part in place[:-1]:
            target = target.setdefault(part, {})
        target[place[-1]] = value
    if hints:
        block.setdefault("practice", {})["hints"] = [
            _omit_empty({"teaser": hint.teaser, "body": hint.body}, keep=("body",))
            for hint in hints
        ]
    # The file's order, whatever order the fields were set in.
    order = ["anchored_question", "practice", "storyboard", "visual_inquiry"]
    order += ["after_first_pass", "research_instruction"]
    return {key: block[key] for key in order if key in block}


def related_target_path(link: RelatedLink) -> str:
    """The path of the concept a related link points to; "" for a link to a url."""
    if not link.target_id:
        return ""
    assert link.target is not None  # a set target_id is a row (a missing one raises DoesNotExist)
    return link.target.path


def _omit_empty(data: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        key: value
        for key, value in data.items()
        if key in keep or value not in ("", None, [], {}, False)
    }


def _write(path: Path, text: str | bytes, written: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="\n")
    written.append(path)


def source_file_data(source: Source, snapshot_name: str | None, snapshot) -> dict[str, Any]:
    data = _omit_empty(
        {
            "kind": source.kind,
            "title": source.title,
            "authors": list(source.authors),
            "year": source.year,
            "venue": source.venue,
            "url": source.url,
            "doi": source.doi,
            "arxiv_id": source.arxiv_id,
        },
        keep=("kind", "title"),
    )
    if snapshot is not None:
        data["snapshot"] = {
            "file": snapshot_name,
            "sha256": snapshot.sha256,
            "media_type": snapshot.media_type,
            "retrieved_on": snapshot.retrieved_on,
        }
    return data


def concept_file_data(concept: Concept) -> dict[str, Any]:
    data = _omit_empty(
        {
            "title": concept.title,
            "area_title": concept.area_title,
            "summary": concept.summary,
            "status": concept.status,
            "importance": concept.importance,
            "difficulty": concept.difficulty,
            "math_level": concept.math_level,
            "read_minutes": concept.read_minutes,
            "illustration_caption": concept.illustration_caption,
            "link_test": concept.link_test,
        },
        keep=("title", "area_title", "summary", "status", "importance", "difficulty"),
    )
    edges = sorted(concept.prerequisite_edges.all(), key=lambda e: (e.order, e.pk))
    if edges:
        data["prerequisites"] = [
            _omit_empty(
                {
                    "concept": edge.prerequisite.path,
                    "carry_in": edge.carry_in,
                    "carry_out": edge.carry_out,
                    "next_order": edge.next_order,
                },
                keep=("concept",),
            )
            for edge in edges
        ]
    related = sorted(concept.related_links.all(), key=lambda link: (link.order, link.pk))
    if related:
        data["related"] = [
            _omit_empty(
                {
                    "concept": related_target_path(link),
                    "url": link.url,
                    "title": link.title,
                    "note": link.note,
                }
            )
            for link in related
        ]
    links = sorted(concept.source_links.all(), key=lambda link: (link.order, link.pk))
    if links:
        data["sources"] = [{"source": link.source.key, "grounds": link.grounds} for link in links]
    learner = learner_block(concept, sorted(concept.practice_hints.all(), key=lambda h: h.number))
    if learner:
        data["learner"] = learner
    return data


def section_file_text(section: Section) -> str:
    front = _omit_empty(
        {
            "title": section.title,
            "summary": section.summary,
            "prompt": section.prompt,
            "section_prompt": section.section_prompt,
        },
        keep=("title",),
    )
    front["ready"] = section.ready
    return join_front_matter(front, section.body)


def object_entry(obj: ConceptObject, section_kinds: dict[int, str]) -> dict[str, Any]:
    entry = _omit_empty(
        {
            "kind": obj.kind,
            "anchor": obj.anchor,
            "title": obj.title,
            "section": section_kinds.get(obj.section_id, "") if obj.section_id else "",
            "operational": obj.operational,
            "language": obj.language,
            "demo_kind": obj.demo_kind,
            "params": canonical_params(obj.params),
        }
    )
    entry["body"] = obj.body
    if obj.expected_output:
        entry["expected_output"] = obj.expected_output
    return entry


def concepts_files(
    *, source_keys: set[str] | None = None, concept_paths: set[str] | None = None
) -> dict[str, dict[str, bytes]]:
    """The canonical files of sources and concepts in the database, per content unit
    (``source:<key>``, ``concept:<area>/<slug>``), as paths relative to the content root.

    ``None`` means every one; the export writes exactly these files.
    """
    from ..selectors import snapshots_latest

    units: dict[str, dict[str, bytes]] = {}
    query = Source.objects.order_by("key")
    if source_keys is not None:
        query = query.filter(key__in=source_keys)
    sources = list(query)
    latest = snapshots_latest(source_ids=[source.pk for source in sources])
    for source in sources:
        files: dict[str, bytes] = {}
        snapshot = latest.get(source.pk)
        name = None
        if snapshot is not None:
            name = f"{SNAPSHOTS_DIR}/{source.key}{snapshot_extension(snapshot.media_type)}"
            with snapshot.file.open("rb") as handle:
                files[f"{SOURCES_DIR}/{name}"] = handle.read()
        data = source_file_data(source, name, snapshot)
        files[f"{SOURCES_DIR}/{source.key}.yaml"] = dump_yaml(data).encode()
        units[source_unit(source.key)] = files

    concepts = Concept.objects.order_by("area", "slug").prefetch_related(
        "sections",
        "page_objects",
        "prerequisite_edges__prerequisite",
        "related_links__target",
        "source_links__source",
        "practice_hints",
    )
    for concept in concepts:
        if concept_paths is not None and concept.path not in concept_paths:
            continue
        directory = f"{CONCEPTS_DIR}/{concept.area}/{concept.slug}"
        files = {f"{directory}/{CONCEPT_FILE}": dump_yaml(concept_file_data(concept)).encode()}
        sections = sorted(concept.sections.all(), key=lambda s: (s.order, s.pk))
        for section in sections:
            name = f"{directory}/{SECTIONS_DIR}/{section.order:02d}-{section.kind}.md"
            files[name] = section_file_text(section).encode()
        objects = sorted(concept.page_objects.all(), key=lambda o: (o.order, o.pk))
        if objects:
            kinds = {section.pk: section.kind for section in sections}
            entries = [object_entry(obj, kinds) for obj in objects]
            files[f"{directory}/{OBJECTS_FILE}"] = dump_yaml(entries).encode()
        units[concept_unit(concept.path)] = files
    return units


def concepts_files_on_disk(root: Path) -> dict[str, dict[str, bytes]]:
    """The same units as they are in the files under ``root``."""
    root = Path(root)
    units: dict[str, dict[str, bytes]] = {}
    sources_dir = root / SOURCES_DIR
    if sources_dir.is_dir():
        for path in sorted(sources_dir.glob("*.yaml")):
            files = {path.relative_to(root).as_posix(): path.read_bytes()}
            for snapshot in sorted((sources_dir / SNAPSHOTS_DIR).glob(f"{path.stem}.*")):
                files[snapshot.relative_to(root).as_posix()] = snapshot.read_bytes()
            units[source_unit(path.stem)] = files
    concepts_dir = root / CONCEPTS_DIR
    if concepts_dir.is_dir():
        for path in sorted(concepts_dir.glob(f"*/*/{CONCEPT_FILE}")):
            directory = path.parent
            files = {}
            for name in [CONCEPT_FILE, OBJECTS_FILE]:
                if (directory / name).is_file():
                    files[(directory / name).relative_to(root).as_posix()] = (
                        directory / name
                    ).read_bytes()
            for section in sorted((directory / SECTIONS_DIR).glob("*.md")):
                files[section.relative_to(root).as_posix()] = section.read_bytes()
            units[concept_unit(f"{directory.parent.name}/{directory.name}")] = files
    return units


def concepts_export(root: Path) -> list[Path]:
    """Write every source, snapshot and concept under ``root`` in canonical form."""
    root = Path(root)
    written: list[Path] = []
    for files in concepts_files().values():
        for relative, content in files.items():
            _write(root / relative, content, written)
    _remove_stale(root, set(written))
    return written


def _remove_stale(root: Path, written: set[Path]) -> None:
    """Files of this layout that no longer match anything in the database are removed."""
    patterns = [
        (root / SOURCES_DIR, "*.yaml"),
        (root / SOURCES_DIR / SNAPSHOTS_DIR, "*"),
        (root / CONCEPTS_DIR, f"*/*/{CONCEPT_FILE}"),
        (root / CONCEPTS_DIR, f"*/*/{OBJECTS_FILE}"),
        (root / CONCEPTS_DIR, f"*/*/{SECTIONS_DIR}/*.md"),
    ]
    for base, pattern in patterns:
        if not base.is_dir():
            continue
        for path in base.glob(pattern):
            if path.is_file() and path not in written:
                logger.info("export_content: removed %s (no longer in the database)", path)
                path.unlink()
