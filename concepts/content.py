"""The concepts part of ``content/``: sources and their snapshots, concepts, sections, objects,
prerequisite edges, related links and concept–source attachments, as files a person edits.

```
content/sources/<key>.yaml                        bibliographic record + snapshot file and sha256
content/sources/snapshots/<key>.txt               the local snapshot itself
content/concepts/<area>/<slug>/concept.yaml       metadata, prerequisites, related links, sources
content/concepts/<area>/<slug>/sections/01-intuition.md   YAML front matter + Markdown body
content/concepts/<area>/<slug>/objects.yaml       equations, code witnesses, demos, misconceptions
```

Loading reads and validates every file before it writes anything, then writes only what
differs, through the same services as the API and the admin. Exporting writes the canonical
form of every file, so load → export reproduces a canonical tree byte for byte.
"""

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError, RestrictedError
from rest_framework import serializers
from rest_framework.settings import api_settings

from learning_platform.content import ContentError, LoadReport, text_check
from learning_platform.text import CanonicalField, canonical_text
from learning_platform.yaml_files import FlowList, dump_yaml

from .embeds import embed_problems, embedded_objects
from .models import (
    PRACTICE_HINTS_MAX,
    Concept,
    ConceptObject,
    ConceptSource,
    PracticeHint,
    Prerequisite,
    RelatedLink,
    Section,
    Source,
)
from .revisions import revisions_flush
from .services import (
    prerequisite_add,
    prerequisite_remove,
    prerequisite_update,
    snapshot_extension,
    snapshot_media_type,
    snapshot_store,
)

logger = logging.getLogger(__name__)

SOURCES_DIR = "sources"
SNAPSHOTS_DIR = "snapshots"
CONCEPTS_DIR = "concepts"
CONCEPT_FILE = "concept.yaml"
OBJECTS_FILE = "objects.yaml"
SECTIONS_DIR = "sections"
SECTION_FILE = re.compile(r"^(?P<order>\d{2})-(?P<kind>[a-z]+)\.md$")
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
FRONT_MATTER = "---\n"


# YAML, written the same way every time --------------------------------------------------------


def _canonical_params(value: Any) -> Any:
    """Params with sorted keys (PostgreSQL's jsonb does not keep key order) and inline lists."""
    if isinstance(value, dict):
        return {key: _canonical_params(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        items = [_canonical_params(item) for item in value]
        if all(not isinstance(item, dict) for item in items):
            return FlowList(items)
        return items
    return value


def read_yaml(path: Path, text: str | None = None) -> Any:
    try:
        document = yaml.safe_load(text if text is not None else path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(path, "(yaml)", f"{where}{problem}") from exc
    except UnicodeDecodeError as exc:
        raise ContentError(path, "(file)", "not UTF-8 text") from exc
    text_check(path, document)
    return document


def split_front_matter(path: Path, text: str) -> tuple[Any, str]:
    """``---\\n<yaml>---\\n\\n<markdown>`` → (fields, body without surrounding blank lines)."""
    end = text.find("\n---\n", len(FRONT_MATTER) - 1)
    if not text.startswith(FRONT_MATTER) or end < 0:
        raise ContentError(
            path,
            "(front matter)",
            "a section file starts with a '---' line, its YAML fields, and another '---' line",
        )
    front = read_yaml(path, text[len(FRONT_MATTER) : end + 1])
    return front, text[end + len("\n---\n") :].strip("\n")


def join_front_matter(front: dict[str, Any], body: str) -> str:
    text = FRONT_MATTER + dump_yaml(front) + FRONT_MATTER
    return text + (f"\n{body.rstrip(chr(10))}\n" if body else "")


# Validation: one strict serializer per file shape ---------------------------------------------


class _Strict(serializers.Serializer):
    """Refuses keys it does not know: a misspelt field is an error, not silently dropped."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                expected = ", ".join(self.fields)
                raise serializers.ValidationError(
                    {unknown[0]: [f"unknown field (expected one of: {expected})"]}
                )
        return super().to_internal_value(data)


def _text(max_length: int, required: bool = True) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=max_length, trim_whitespace=False)
    return serializers.CharField(
        max_length=max_length, trim_whitespace=False, required=False, allow_blank=True, default=""
    )


class _EdgeEntry(_Strict):
    concept = serializers.CharField(max_length=201)
    carry_in = _text(2000, required=False)
    carry_out = _text(2000, required=False)
    next_order = serializers.IntegerField(min_value=0, max_value=32767, default=0)


class _RelatedEntry(_Strict):
    concept = serializers.CharField(max_length=201, required=False, default="")
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
    title = _text(300, required=False)
    note = _text(2000, required=False)

    def validate(self, data):
        if not data["concept"] and not data["url"]:
            raise serializers.ValidationError({"concept": ["give a concept or a url"]})
        return data


class _SourceLinkEntry(_Strict):
    source = serializers.SlugField(max_length=120)  # type: ignore[assignment]  # DRF's metaclass pops declared fields: no Field.source clash
    grounds = _text(2000)


class _HintEntry(_Strict):
    teaser = _text(300, required=False)
    body = _text(2000)


class _PracticeBlock(_Strict):
    heading = _text(300, required=False)
    prompt = _text(2000, required=False)
    hints = _HintEntry(many=True, required=False, default=list)

    def validate_hints(self, hints):
        if len(hints) > PRACTICE_HINTS_MAX:
            raise serializers.ValidationError(
                f"at most {PRACTICE_HINTS_MAX} hints (got {len(hints)}): learners reveal "
                f"hints 1 to {PRACTICE_HINTS_MAX}"
            )
        return hints


class _PromptBlock(_Strict):
    heading = _text(300, required=False)


class _StoryboardBlock(_PromptBlock):
    lens = _text(2000, required=False)
    commit = _text(2000, required=False)


class _VisualInquiryBlock(_PromptBlock):
    question = _text(2000, required=False)
    commit = _text(2000, required=False)


class _AfterFirstPassBlock(_PromptBlock):
    body = _text(4000, required=False)


class _LearnerBlock(_Strict):
    """The texts around the page's panels; every key may be left out."""

    anchored_question = _text(2000, required=False)
    practice = _PracticeBlock(required=False, default=dict)
    storyboard = _StoryboardBlock(required=False, default=dict)
    visual_inquiry = _VisualInquiryBlock(required=False, default=dict)
    after_first_pass = _AfterFirstPassBlock(required=False, default=dict)
    research_instruction = _text(2000, required=False)


class _ConceptFile(_Strict):
    title = _text(300)
    area_title = _text(120)
    summary = _text(2000)
    status = serializers.ChoiceField(choices=Concept.Status.choices)
    importance = serializers.ChoiceField(choices=Concept.Importance.choices)
    difficulty = serializers.IntegerField(min_value=1, max_value=5)
    math_level = _text(60, required=False)
    read_minutes = serializers.IntegerField(min_value=1, max_value=32767)
    illustration_caption = _text(2000, required=False)
    link_test = _text(2000, required=False)
    prerequisites = _EdgeEntry(many=True, required=False, default=list)
    related = _RelatedEntry(many=True, required=False, default=list)
    sources = _SourceLinkEntry(many=True, required=False, default=list)
    learner = _LearnerBlock(required=False, default=dict)


class _SectionFront(_Strict):
    title = _text(200)
    summary = _text(500, required=False)
    prompt = _text(500, required=False)
    section_prompt = _text(4000, required=False)
    ready = serializers.BooleanField()


class _ObjectEntry(_Strict):
    kind = serializers.ChoiceField(choices=ConceptObject.Kind.choices)
    anchor = serializers.SlugField(max_length=120)
    title = _text(300)
    section = serializers.ChoiceField(choices=Section.Kind.choices, required=False, default="")
    operational = serializers.BooleanField(default=False)
    language = _text(40, required=False)
    demo_kind = _text(60, required=False)
    params = serializers.DictField(required=False, default=dict)
    body = _text(200_000)
    expected_output = _text(64_000, required=False)

    def validate(self, data):
        if data["kind"] == ConceptObject.Kind.CODE and not data["language"]:
            raise serializers.ValidationError({"language": ["a code witness names its language"]})
        if data["expected_output"] and data["kind"] != ConceptObject.Kind.CODE:
            raise serializers.ValidationError(
                {"expected_output": ["only a code witness has an expected output"]}
            )
        if data["kind"] == ConceptObject.Kind.DEMO and not data["demo_kind"]:
            raise serializers.ValidationError({"demo_kind": ["a demo names its demo kind"]})
        return data


class _SnapshotEntry(_Strict):
    file = serializers.CharField(max_length=300)
    sha256 = serializers.RegexField(
        r"^[0-9a-f]{64}$", error_messages={"invalid": "64 lowercase hexadecimal digits"}
    )
    media_type = _text(120, required=False)
    retrieved_on = serializers.DateField()


class _SourceFile(_Strict):
    kind = serializers.ChoiceField(choices=Source.Kind.choices)
    title = _text(500)
    authors = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, default=list
    )
    year = serializers.IntegerField(
        min_value=1, max_value=9999, required=False, allow_null=True, default=None
    )
    venue = _text(300, required=False)
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
    doi = _text(200, required=False)
    arxiv_id = _text(40, required=False)
    snapshot = _SnapshotEntry(required=False, allow_null=True, default=None)


def _first_error(errors: Any, prefix: str = "") -> tuple[str, str]:
    """DRF's nested errors → ("prerequisites[1].concept", "reason") for the first one."""
    if isinstance(errors, dict):
        for name, value in errors.items():
            if isinstance(name, int):
                where = f"{prefix}[{name}]"
            elif name in ("non_field_errors", api_settings.NON_FIELD_ERRORS_KEY):
                where = prefix
            else:
                where = f"{prefix}.{name}" if prefix else str(name)
            return _first_error(value, where)
    if isinstance(errors, list):
        for index, item in enumerate(errors):
            if isinstance(item, dict | list):
                if item:
                    return _first_error(item, f"{prefix}[{index}]")
                continue
            return prefix, str(item)
    return prefix, str(errors)


def _validate(path: Path, data: Any, serializer_class: type[serializers.Serializer]) -> dict:
    if not isinstance(data, dict):
        raise ContentError(path, "(file)", "expected a mapping of field names to values")
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        where, reason = _first_error(serializer.errors)
        raise ContentError(path, where or "(file)", reason)
    return dict(serializer.validated_data)


def _model_check(path: Path, instance: Model, prefix: str = "", exclude: tuple = ()) -> None:
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        where = name if not prefix else f"{prefix}.{name}"
        raise ContentError(path, where, "; ".join(messages)) from exc


# Parsed files ---------------------------------------------------------------------------------


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


def _parse_source(path: Path) -> SourceDoc:
    key = path.stem
    if not SLUG.match(key):
        raise ContentError(path, "(file name)", f"{key!r} is not a valid source key (a slug)")
    fields = _validate(path, read_yaml(path), _SourceFile)
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
    fields = _validate(path, read_yaml(path), _ConceptFile)
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
                data = _validate(objects_path, entry, _ObjectEntry)
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
    fields = _validate(path, front, _SectionFront)
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


# Loading --------------------------------------------------------------------------------------


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


def _target_path(link: RelatedLink) -> str:
    """The path of the concept a related link points to; "" for a link to a url."""
    if not link.target_id:
        return ""
    assert link.target is not None  # a set target_id is a row (a missing one raises DoesNotExist)
    return link.target.path


def _related_identity(link: RelatedLink) -> str:
    return _target_path(link) if link.target_id else link.url


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


# Exporting ------------------------------------------------------------------------------------


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
                    "concept": _target_path(link),
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
            "params": _canonical_params(obj.params),
        }
    )
    entry["body"] = obj.body
    if obj.expected_output:
        entry["expected_output"] = obj.expected_output
    return entry


def source_unit(key: str) -> str:
    return f"source:{key}"


def concept_unit(path: str) -> str:
    return f"concept:{path}"


def concepts_files(
    *, source_keys: set[str] | None = None, concept_paths: set[str] | None = None
) -> dict[str, dict[str, bytes]]:
    """The canonical files of sources and concepts in the database, per content unit
    (``source:<key>``, ``concept:<area>/<slug>``), as paths relative to the content root.

    ``None`` means every one; the export writes exactly these files.
    """
    from .selectors import snapshots_latest

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
