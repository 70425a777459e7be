"""Reading and validating the concepts files into documents, before anything is written."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from learning_platform.content import ContentError, text_check
from learning_platform.text import canonical_text

from ..embeds import embed_problems, embedded_objects
from ..models import Concept, Section
from ..services import snapshot_media_type
from .files import (
    CONCEPT_FILE,
    CONCEPTS_DIR,
    FRONT_MATTER,
    OBJECTS_FILE,
    SECTION_FILE,
    SECTIONS_DIR,
    SLUG,
    SOURCES_DIR,
    read_yaml,
    split_front_matter,
)
from .validate import ConceptFile, ObjectEntry, SectionFront, SourceFile, validated


@dataclass
class SourceDoc:
    path: Path
    key: str
    fields: dict[str, Any]
    snapshot: dict[str, Any] | None = None
    snapshot_bytes: bytes = b""


@dataclass
class SectionDoc:
    path: Path
    kind: str
    order: int
    fields: dict[str, Any]
    body: str
    body_line: int = 1  # the file's line number of the body's first line


@dataclass
class ConceptDoc:
    path: Path
    area: str
    slug: str
    fields: dict[str, Any]
    prerequisites: list[dict[str, Any]]
    related: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    hints: list[dict[str, Any]] = field(default_factory=list)
    sections: list[SectionDoc] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    objects_path: Path | None = None

    @property
    def concept_path(self) -> str:
        return f"{self.area}/{self.slug}"


def learner_fields(block: dict[str, Any]) -> dict[str, str]:
    """concept.yaml's ``learner:`` block → the Concept fields it sets ("" where left out)."""
    values = {}
    for name, place in Concept.LEARNER_FIELDS.items():
        value: Any = block
        for part in place:
            value = (value or {}).get(part, "")
        values[name] = value or ""
    return values


def _parse_source(path: Path) -> SourceDoc:
    key = path.stem
    if not SLUG.match(key):
        raise ContentError(path, "(file name)", f"{key!r} is not a valid source key (a slug)")
    fields = validated(path, read_yaml(path), SourceFile)
    snapshot = fields.pop("snapshot")
    doc = SourceDoc(path=path, key=key, fields=fields)
    if snapshot:
        relative = Path(snapshot["file"])
        if relative.is_absolute() or ".." in relative.parts:
            raise ContentError(path, "snapshot.file", "must be a path inside content/sources/")
        file = path.parent / relative
        if not file.is_file():
            raise ContentError(path, "snapshot.file", f"no file at {path.parent / relative}")
        size = file.stat().st_size
        if size > settings.SNAPSHOT_MAX_BYTES:
            raise ContentError(
                path,
                "snapshot.file",
                f"{size} bytes exceeds the limit of {settings.SNAPSHOT_MAX_BYTES} bytes "
                "(SNAPSHOT_MAX_BYTES)",
            )
        content = file.read_bytes()
        actual = hashlib.sha256(content).hexdigest()
        if actual != snapshot["sha256"]:
            raise ContentError(
                path,
                "snapshot.sha256",
                f"recorded {snapshot['sha256']} but {relative.as_posix()} hashes to {actual}; "
                "the file changed or the hash is wrong",
            )
        try:
            snapshot["media_type"] = snapshot_media_type(
                filename=file.name, declared=snapshot["media_type"]
            )
        except ValidationError as exc:
            raise ContentError(path, "snapshot.media_type", exc.messages[0]) from exc
        doc.snapshot, doc.snapshot_bytes = snapshot, content
    return doc


def _parse_concept(path: Path) -> ConceptDoc:
    directory = path.parent
    area, slug = directory.parent.name, directory.name
    for name, value in (("area", area), ("slug", slug)):
        if not SLUG.match(value):
            raise ContentError(path, f"(folder {name})", f"{value!r} is not a slug")
    fields = validated(path, read_yaml(path), ConceptFile)
    learner = fields.pop("learner")
    doc = ConceptDoc(
        path=path,
        area=area,
        slug=slug,
        prerequisites=[dict(edge) for edge in fields.pop("prerequisites")],
        related=[dict(link) for link in fields.pop("related")],
        sources=[dict(link) for link in fields.pop("sources")],
        hints=[dict(hint) for hint in (learner.get("practice") or {}).get("hints", [])],
        fields={**fields, **learner_fields(learner)},
    )
    _check_unique(path, "prerequisites", [edge["concept"] for edge in doc.prerequisites])
    _check_unique(path, "sources", [link["source"] for link in doc.sources], "source")
    _check_unique(
        path, "related", [link["concept"] or link["url"] for link in doc.related], "concept"
    )
    for index, edge in enumerate(doc.prerequisites):
        if edge["concept"] == doc.concept_path:
            raise ContentError(
                path,
                f"prerequisites[{index}].concept",
                f"a concept cannot be its own prerequisite: would close the cycle "
                f"{doc.concept_path} → {doc.concept_path}",
            )

    sections_dir = directory / SECTIONS_DIR
    if sections_dir.is_dir():
        for section_path in sorted(sections_dir.iterdir()):
            if section_path.is_dir() or section_path.name.startswith("."):
                continue
            doc.sections.append(_parse_section(section_path))
        _check_unique(sections_dir, "(file name)", [s.kind for s in doc.sections])

    objects_path = directory / OBJECTS_FILE
    if objects_path.is_file():
        doc.objects_path = objects_path
        entries = read_yaml(objects_path)
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise ContentError(objects_path, "(file)", "expected a list of objects")
        kinds = {section.kind for section in doc.sections}
        for index, entry in enumerate(entries):
            try:
                data = validated(objects_path, entry, ObjectEntry)
            except ContentError as exc:
                raise ContentError(objects_path, f"[{index}].{exc.field}", exc.reason) from exc
            if data["section"] and data["section"] not in kinds:
                raise ContentError(
                    objects_path,
                    f"[{index}].section",
                    f"{data['section']!r} is not a section of {doc.concept_path}",
                )
            doc.objects.append(data)
        _check_unique(
            objects_path, "", [f"{obj['kind']}:{obj['anchor']}" for obj in doc.objects], "anchor"
        )
    _check_embeds(doc)
    return doc


def _parse_section(path: Path) -> SectionDoc:
    match = SECTION_FILE.match(path.name)
    if match is None or match["kind"] not in Section.Kind.values:
        kinds = ", ".join(Section.Kind.values)
        raise ContentError(path, "(file name)", f"expected NN-<kind>.md with kind one of: {kinds}")
    try:
        # CRLF, trailing spaces and decomposed accents read as the canonical text they stand for.
        text = canonical_text(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ContentError(path, "(file)", "not UTF-8 text") from exc
    front, body = split_front_matter(path, text)
    text_check(path, body, "body")
    fields = validated(path, front, SectionFront)
    if len(body) > 200_000:
        raise ContentError(path, "body", f"{len(body)} characters exceeds the limit of 200000")
    body = canonical_text(body)
    rest = text.find("\n---\n", len(FRONT_MATTER) - 1) + len("\n---\n")
    body_start = rest + len(text[rest:]) - len(text[rest:].lstrip("\n"))
    return SectionDoc(
        path=path,
        kind=match["kind"],
        order=int(match["order"]),
        fields=fields,
        body=body,
        body_line=text[:body_start].count("\n") + 1,
    )


def _check_embeds(doc: ConceptDoc) -> None:
    """Every reference names an object of the concept, and no body repeats an object's."""
    objects = embedded_objects(doc.objects)
    for section in doc.sections:
        problems = embed_problems(section.body, objects, doc.concept_path)
        if problems:
            first = problems[0]
            raise ContentError(
                section.path,
                f"line {section.body_line + first.line - 1}",
                f"{first.key}: {first.reason}",
            )


def _check_unique(path: Path, where: str, values: list[str], leaf: str = "") -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            location = f"{where}[{index}]" + (f".{leaf}" if leaf else "")
            raise ContentError(path, location, f"{value!r} appears twice")
        seen.add(value)


def content_parse(root: Path) -> tuple[list[SourceDoc], list[ConceptDoc]]:
    """Read and validate every file under ``root`` without touching the database."""
    sources: list[SourceDoc] = []
    sources_dir = root / SOURCES_DIR
    if sources_dir.is_dir():
        for path in sorted(sources_dir.glob("*.yaml")):
            sources.append(_parse_source(path))
    concepts: list[ConceptDoc] = []
    concepts_dir = root / CONCEPTS_DIR
    if concepts_dir.is_dir():
        for path in sorted(concepts_dir.glob(f"*/*/{CONCEPT_FILE}")):
            concepts.append(_parse_concept(path))
    return sources, concepts
