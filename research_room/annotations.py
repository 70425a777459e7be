"""W3C Web Annotation JSON-LD: drafts out, and annotation files back in.

One ``Annotation`` per draft. The question, note, next action, evidence, resolution criteria and
status are ``TextualBody`` items told apart by ``label`` (and, for annotations written
elsewhere, by ``purpose``: questioning is the question, commenting the note). The target is a
``SpecificResource`` whose ``id`` is the object-key IRI (``…/api/v1/objects/<key>``) and whose
``source`` is the object's own URL.

Parsing names the item (or line, for JSON Lines) and the field of every problem, so a 400 can
say exactly what to fix; nothing here touches the database.
"""

import datetime
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from django.urls import reverse

from learning_platform.objects import split_key
from learning_platform.parsers import JsonContentError, json_loads_checked

from .models import (
    IMPORT_MAX_ANNOTATIONS,
    LIST_ITEM_MAX,
    LIST_MAX_ITEMS,
    NEXT_ACTION_MAX,
    NOTE_MAX,
    QUESTION_MAX,
    ResearchDraft,
)

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
ID_MAX = 500


@cache
def _objects_path() -> str:
    """The object resolver's path up to the key: ``/api/v1/objects/``."""
    return reverse("object-resolve", kwargs={"key": "-"}).removesuffix("-")


@cache
def _drafts_path() -> str:
    return reverse("research-draft-list")


LABEL_QUESTION = "question"
LABEL_NOTE = "note"
LABEL_NEXT_ACTION = "next action"
LABEL_EVIDENCE = "evidence to inspect"
LABEL_RESOLUTION = "what would resolve this"
LABEL_STATUS = "status"

_DRAFT_URL = re.compile(r"/research-room/drafts/([0-9a-fA-F-]{32,36})/?$")


class AnnotationFileError(Exception):
    """Problems found in an import file: {location: {field: [message, ...]}}."""

    def __init__(self, errors: dict[str, dict[str, list[str]]]) -> None:
        self.errors = errors
        super().__init__(json.dumps(errors))


@dataclass
class ParsedAnnotation:
    location: str
    id: str
    anchor: str
    question: str
    note: str = ""
    next_action: str = ""
    evidence: list[str] = field(default_factory=list)
    resolution: list[str] = field(default_factory=list)
    status: str = ResearchDraft.Status.OPEN


def object_iri(base_url: str, key: str) -> str:
    """The IRI that names an object by key; '#' is escaped so the key survives a browser."""
    path, sep, query = key.partition("?")
    return (
        base_url.rstrip("/")
        + _objects_path()
        + quote(path, safe=":/@!$&'()*+,;=-._~")
        + (sep + quote(query, safe="=&:/,;+-._~%") if sep else "")
    )


def key_from_iri(value: str) -> str | None:
    """An object key from an object-key IRI, or from a bare key such as concept:alignment/rlhf."""
    if not isinstance(value, str) or not value:
        return None
    parsed = urlsplit(value)
    if parsed.scheme in ("http", "https"):
        if _objects_path() not in parsed.path:
            return None
        key = unquote(parsed.path.split(_objects_path(), 1)[1])
        return key + (f"?{parsed.query}" if parsed.query else "")
    return value if split_key(value) else None


def draft_uuid_from_id(value: str) -> uuid.UUID | None:
    """The draft a Web Annotation id names: ``urn:uuid:<id>`` or a draft's API URL."""
    candidate = None
    if value.lower().startswith("urn:uuid:"):
        candidate = value[len("urn:uuid:") :]
    else:
        match = _DRAFT_URL.search(urlsplit(value).path)
        if match:
            candidate = match.group(1)
    if candidate is None:
        return None
    try:
        return uuid.UUID(candidate)
    except ValueError:
        return None


# Export ---------------------------------------------------------------------------------------


def _body(label: str, purpose: str, value: str) -> dict[str, str]:
    return {
        "type": "TextualBody",
        "purpose": purpose,
        "label": label,
        "value": value,
        "format": "text/plain",
    }


def _utc(moment: datetime.datetime) -> str:
    """xsd:dateTime in UTC with the "Z" the model asks of ``modified`` (and ``created``)."""
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def annotation_from_draft(
    draft: ResearchDraft, *, base_url: str, creator: dict[str, str] | None = None
) -> dict[str, Any]:
    base = base_url.rstrip("/")
    bodies = [_body(LABEL_QUESTION, "questioning", draft.question)]
    if draft.note:
        bodies.append(_body(LABEL_NOTE, "commenting", draft.note))
    if draft.next_action:
        bodies.append(_body(LABEL_NEXT_ACTION, "describing", draft.next_action))
    bodies.extend(_body(LABEL_EVIDENCE, "describing", item) for item in draft.evidence)
    bodies.extend(_body(LABEL_RESOLUTION, "describing", item) for item in draft.resolution)
    bodies.append(_body(LABEL_STATUS, "tagging", draft.status))
    target: dict[str, Any] = {
        "type": "SpecificResource",
        "id": object_iri(base, draft.anchor_key),
        "source": base + draft.anchor_url if draft.anchor_url.startswith("/") else draft.anchor_url,
    }
    if draft.anchor_title:
        target["label"] = draft.anchor_title
    annotation: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": f"{base}{_drafts_path()}{draft.id}/",
        "type": "Annotation",
        "motivation": "questioning",
    }
    if creator:
        annotation["creator"] = creator
    annotation.update(
        {
            "created": _utc(draft.created_at),
            "modified": _utc(draft.updated_at),
            "body": bodies,
            "target": target,
        }
    )
    return annotation


def export_url(base_url: str) -> str:
    return base_url.rstrip("/") + reverse("research-draft-export")


def page_id_of(collection_id: str, number: int = 1) -> str:
    """The page's own address: the collection's, asking for that page."""
    return f"{collection_id}{'&' if '?' in collection_id else '?'}page={number}"


def page_from_drafts(
    drafts: Iterable[ResearchDraft],
    *,
    base_url: str,
    collection_id: str,
    creator: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The collection's one AnnotationPage, standing alone (with its context)."""
    items = [annotation_from_draft(draft, base_url=base_url, creator=creator) for draft in drafts]
    for item in items:
        del item["@context"]  # stated once, on the page
    return {
        "@context": ANNO_CONTEXT,
        "id": page_id_of(collection_id),
        "type": "AnnotationPage",
        "partOf": collection_id,
        "startIndex": 0,
        "items": items,
    }


def collection_from_drafts(
    drafts: Iterable[ResearchDraft],
    *,
    base_url: str,
    collection_id: str | None = None,
    creator: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Every draft in one collection whose single page is embedded as ``first``; ``id`` is the
    export's address (with its filters), the page's that address asking for page 1."""
    collection_id = collection_id or export_url(base_url)
    page = page_from_drafts(drafts, base_url=base_url, collection_id=collection_id, creator=creator)
    del page["@context"]  # stated once, on the collection
    return {
        "@context": ANNO_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": "Research room drafts",
        "total": len(page["items"]),
        "first": page,
        "last": page["id"],
    }


# Import ---------------------------------------------------------------------------------------


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _split_document(text: str) -> list[tuple[str, Any]]:
    """(location, annotation) pairs from a collection, a page, a list, one annotation or JSONL."""
    if not text.strip():
        raise AnnotationFileError({"file": {"body": ["The file is empty."]}})
    try:
        data = json_loads_checked(text)
    except JsonContentError as exc:
        raise AnnotationFileError({"file": {exc.path or "json": [exc.message]}}) from None
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        if exc.msg == "Extra data" and len(lines) > 1:
            return _split_lines(lines)
        raise AnnotationFileError(
            {f"line {exc.lineno}": {"json": [f"Not valid JSON: {exc.msg} (column {exc.colno})."]}}
        ) from None

    if isinstance(data, list):
        return [(f"item {i}", item) for i, item in enumerate(data, 1)]
    if not isinstance(data, dict):
        raise AnnotationFileError(
            {"file": {"type": ["Expected an Annotation, an AnnotationCollection or a list."]}}
        )
    kinds = _types(data.get("type"))
    if "AnnotationCollection" in kinds:
        first = data.get("first")
        if isinstance(first, str):
            raise AnnotationFileError(
                {"file": {"first": ["Pages given by reference cannot be imported; embed them."]}}
            )
        if not isinstance(first, dict):
            raise AnnotationFileError({"file": {"first": ["An AnnotationPage is required."]}})
        data, kinds = first, _types(first.get("type"))
    if "AnnotationPage" in kinds:
        items = data.get("items")
        if not isinstance(items, list):
            raise AnnotationFileError({"file": {"items": ["A list of annotations is required."]}})
        return [(f"item {i}", item) for i, item in enumerate(items, 1)]
    return [("item 1", data)]


def _split_lines(lines: list[str]) -> list[tuple[str, Any]]:
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            pairs.append((f"line {number}", json_loads_checked(line)))
        except JsonContentError as exc:
            raise AnnotationFileError(
                {f"line {number}": {exc.path or "json": [exc.message]}}
            ) from None
        except json.JSONDecodeError as exc:
            raise AnnotationFileError(
                {f"line {number}": {"json": [f"Not valid JSON: {exc.msg} (column {exc.colno})."]}}
            ) from None
    return pairs


def _capped(errors: dict[str, list[str]], name: str, value: str, cap: int) -> None:
    if len(value) > cap:
        errors.setdefault(name, []).append(
            f"Ensure this field has no more than {cap} characters (it has {len(value)})."
        )


def _parse_annotation(location: str, raw: Any) -> tuple[ParsedAnnotation | None, dict]:
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, dict):
        return None, {"annotation": ["Must be a JSON object."]}
    if "Annotation" not in _types(raw.get("type")):
        errors["type"] = ['Must be "Annotation".']

    annotation_id = raw.get("id", "")
    if annotation_id is None:
        annotation_id = ""
    if not isinstance(annotation_id, str):
        errors["id"] = ["Must be a string (an IRI)."]
        annotation_id = ""
    elif len(annotation_id) > ID_MAX:
        errors["id"] = [f"Ensure this field has no more than {ID_MAX} characters."]

    anchor = _parse_target(raw.get("target"), errors)
    fields = _parse_bodies(raw.get("body"), errors)
    if errors:
        return None, errors
    return ParsedAnnotation(location=location, id=annotation_id, anchor=anchor, **fields), {}


def _parse_target(target: Any, errors: dict[str, list[str]]) -> str:
    if isinstance(target, list):
        if len(target) != 1:
            errors["target"] = ["Exactly one target (the anchored object) is required."]
            return ""
        target = target[0]
    candidates: list[Any] = []
    if isinstance(target, str):
        candidates = [target]
    elif isinstance(target, dict):
        candidates = [target.get("id"), target.get("source")]
    else:
        errors["target"] = ["Required: the anchored object's key IRI."]
        return ""
    for candidate in candidates:
        key = key_from_iri(candidate) if isinstance(candidate, str) else None
        if key:
            return key
    errors["target"] = [
        f"No object key found: expected an IRI ending in {_objects_path()}<key> or a key such as "
        "concept:alignment/rlhf."
    ]
    return ""


_ROLES_BY_LABEL = {
    LABEL_QUESTION: "question",
    LABEL_NOTE: "note",
    LABEL_NEXT_ACTION: "next_action",
    LABEL_EVIDENCE: "evidence",
    LABEL_RESOLUTION: "resolution",
    LABEL_STATUS: "status",
}
_ROLES_BY_PURPOSE = {"questioning": "question", "commenting": "note", "tagging": "status"}


def _body_role(body: dict[str, Any]) -> str | None:
    """Which draft field a body carries: by its label, else (unlabelled) by its purpose."""
    label = str(body.get("label") or "").strip().lower()
    if label:
        return _ROLES_BY_LABEL.get(label)
    for purpose in _types(body.get("purpose")):
        if purpose in _ROLES_BY_PURPOSE:
            if purpose == "tagging" and body.get("value") not in ResearchDraft.Status.values:
                return None  # an ordinary tag, not a draft status
            return _ROLES_BY_PURPOSE[purpose]
    return None


def _parse_bodies(bodies: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    if isinstance(bodies, dict):
        bodies = [bodies]
    if not isinstance(bodies, list) or not bodies:
        errors["body"] = ["Required: at least the question, as a TextualBody."]
        return {}
    found: dict[str, Any] = {"evidence": [], "resolution": []}
    for index, body in enumerate(bodies):
        where = f"body[{index}]"
        if not isinstance(body, dict):
            errors[where] = ["Must be a JSON object (a TextualBody)."]
            continue
        role = _body_role(body)
        if role is None:
            continue  # a foreign annotation's tag or link is not part of a draft
        value = body.get("value")
        if not isinstance(value, str):
            errors[f"{where}.value"] = ["Required: a text value."]
            continue
        if role == "question":
            if "question" in found:
                errors[f"{where}.value"] = ["A second question; an annotation holds one."]
            elif not value.strip():
                errors[f"{where}.value"] = ["The question may not be blank."]
            else:
                _capped(errors, f"{where}.value", value, QUESTION_MAX)
                found["question"] = value
        elif role == "note":
            _capped(errors, f"{where}.value", value, NOTE_MAX)
            found["note"] = (found.get("note", "") + "\n\n" + value).strip()
        elif role == "next_action":
            _capped(errors, f"{where}.value", value, NEXT_ACTION_MAX)
            found["next_action"] = value
        elif role in ("evidence", "resolution"):
            _capped(errors, f"{where}.value", value, LIST_ITEM_MAX)
            found[role].append(value)
            if len(found[role]) > LIST_MAX_ITEMS:
                errors[where] = [f"More than {LIST_MAX_ITEMS} items for {role}."]
        elif role == "status":
            if value not in ResearchDraft.Status.values:
                errors[f"{where}.value"] = [
                    f"Status must be one of {', '.join(ResearchDraft.Status.values)}."
                ]
            found["status"] = value
    if "question" not in found and not any(key.startswith("body[") for key in errors):
        errors["body"] = ['No question: one TextualBody labelled "question" or "questioning".']
    if "note" in found:
        _capped(errors, "body", found["note"], NOTE_MAX)
    return found


def parse_annotation_file(text: str) -> list[ParsedAnnotation]:
    """Every annotation in the file, or AnnotationFileError naming each bad item and field."""
    pairs = _split_document(text)
    if len(pairs) > IMPORT_MAX_ANNOTATIONS:
        raise AnnotationFileError(
            {
                "file": {
                    "items": [
                        f"{len(pairs)} annotations; at most {IMPORT_MAX_ANNOTATIONS} per import."
                    ]
                }
            }
        )
    if not pairs:
        raise AnnotationFileError({"file": {"items": ["No annotations in the file."]}})
    parsed: list[ParsedAnnotation] = []
    errors: dict[str, dict[str, list[str]]] = {}
    seen: dict[str, str] = {}
    for location, raw in pairs:
        annotation, problems = _parse_annotation(location, raw)
        if problems:
            errors[location] = problems
            continue
        assert annotation is not None
        if annotation.id:
            if annotation.id in seen:
                errors[location] = {"id": [f"Duplicates the id of {seen[annotation.id]}."]}
                continue
            seen[annotation.id] = location
        parsed.append(annotation)
    if errors:
        raise AnnotationFileError(errors)
    return parsed
