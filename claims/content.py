"""The claims part of `content/`: one YAML file per concept, `content/claims/<area>/<slug>.yaml`.

A file lists the concept's claims with their sources (and locators), their witnesses (object
keys) and the reviews recorded in the file. Loading is idempotent: claims are created or brought
up to date, and a review is appended only if the claim has no imported review with the same
content yet. Reviews are append-only, so a review removed from a file stays recorded. Claims
missing from a file are left as they are.

File reviews are recorded under the content-import account with the file's reviewer label; a
file cannot name a user as reviewer. Each names the fingerprint that was reviewed, so a review
loaded into a fresh database after its claim, sources or witnesses changed is stale at once.

Export writes the same shape back (only imported reviews), byte for byte what loading read.
"""

import datetime
import re
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError

from concepts.models import Concept, ConceptObject, Source
from learning_platform.content import ContentError, LoadReport

from .models import Claim, ClaimReview
from .services import (
    CONTENT_IMPORT_USERNAME,
    claim_create,
    claim_sources_set,
    claim_update,
    claim_witnesses_set,
    review_import,
)

FOLDER = "claims"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
CLAIM_FIELDS = {"key", "status", "text", "support_note", "sources", "witnesses", "reviews"}
REVIEW_FIELDS = {
    "reviewer_label",
    "reviewed_on",
    "verdict",
    "summary",
    "scope_covers",
    "scope_excludes",
    "sources_checked",
    "witnesses_checked",
    "fingerprint",
}


# Reading --------------------------------------------------------------------------------------


def _require(mapping: dict, name: str, path: Path, where: str, kind: type = str) -> Any:
    if name not in mapping or mapping[name] in (None, ""):
        raise ContentError(path, f"{where}.{name}", "is required")
    value = mapping[name]
    if not isinstance(value, kind):
        raise ContentError(path, f"{where}.{name}", f"must be a {kind.__name__}")
    return value


def _string_list(mapping: dict, name: str, path: Path, where: str) -> list[str]:
    value = mapping.get(name) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ContentError(path, f"{where}.{name}", "must be a list of strings")
    return value


def _unknown(mapping: dict, allowed: set[str], path: Path, where: str) -> None:
    extra = sorted(set(mapping) - allowed)
    if extra:
        raise ContentError(path, f"{where}.{extra[0]}", "is not a known field")


def _object_by_key(key: str) -> ConceptObject | None:
    kind, _, rest = key.partition(":")
    path, _, anchor = rest.partition("#")
    area, _, slug = path.partition("/")
    return (
        ConceptObject.objects.select_related("concept")
        .filter(kind=kind, anchor=anchor, concept__area=area, concept__slug=slug)
        .first()
    )


def _as_date(value: Any, path: Path, where: str) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ContentError(path, where, "must be a date, YYYY-MM-DD") from exc


def _content_error(exc: ValidationError, path: Path, where: str) -> ContentError:
    if hasattr(exc, "error_dict"):
        name, messages = next(iter(exc.message_dict.items()))
        return ContentError(path, f"{where}.{name}", " ".join(messages))
    return ContentError(path, where, " ".join(exc.messages))


def _load_claim(concept: Concept, entry: Any, order: int, path: Path, report: LoadReport) -> None:
    where = f"claims[{order}]"
    if not isinstance(entry, dict):
        raise ContentError(path, where, "must be a mapping")
    _unknown(entry, CLAIM_FIELDS, path, where)
    key = _require(entry, "key", path, where)
    text = _require(entry, "text", path, where)
    status = entry.get("status", Claim.Status.DRAFT)
    if status not in Claim.Status.values:
        raise ContentError(path, f"{where}.status", f"must be one of {Claim.Status.values}")
    support_note = entry.get("support_note") or ""

    sources = []
    raw_sources = entry.get("sources") or []
    if not isinstance(raw_sources, list):
        raise ContentError(path, f"{where}.sources", "must be a list")
    for index, item in enumerate(raw_sources):
        at = f"{where}.sources[{index}]"
        if not isinstance(item, dict):
            raise ContentError(path, at, "must be a mapping with source and locator")
        _unknown(item, {"source", "locator"}, path, at)
        source_key = _require(item, "source", path, at)
        source = Source.objects.filter(key=source_key).first()
        if source is None:
            raise ContentError(path, f"{at}.source", f"no source has the key {source_key!r}")
        sources.append((source, str(item.get("locator") or "")))

    witnesses = []
    for index, witness_key in enumerate(_string_list(entry, "witnesses", path, where)):
        witness = _object_by_key(witness_key)
        if witness is None:
            raise ContentError(path, f"{where}.witnesses[{index}]", f"no object {witness_key!r}")
        witnesses.append(witness)

    fields = {"text": text, "status": status, "support_note": support_note, "order": order}
    claim = Claim.objects.filter(key=key).first()
    try:
        if claim is None:
            claim = claim_create(
                concept=concept, key=key, sources=sources, witnesses=witnesses, **fields
            )
            report.created.append(key)
        else:
            if claim.concept_id != concept.pk:
                raise ContentError(path, f"{where}.key", "belongs to another concept")
            changed = False
            if any(getattr(claim, name) != value for name, value in fields.items()):
                claim = claim_update(claim=claim, **fields)
                changed = True
            current_sources = [
                (link.source_id, link.locator) for link in claim.claim_sources.order_by("order")
            ]
            if current_sources != [(source.pk, locator) for source, locator in sources]:
                claim_sources_set(claim=claim, sources=sources)
                changed = True
            current_witnesses = list(
                claim.claim_witnesses.order_by("order").values_list("concept_object_id", flat=True)
            )
            if current_witnesses != [witness.pk for witness in witnesses]:
                claim_witnesses_set(claim=claim, witnesses=witnesses)
                changed = True
            if changed:
                report.updated.append(key)
            else:
                report.unchanged += 1
    except ValidationError as exc:
        raise _content_error(exc, path, where) from exc

    raw_reviews = entry.get("reviews") or []
    if not isinstance(raw_reviews, list):
        raise ContentError(path, f"{where}.reviews", "must be a list")
    for index, review in enumerate(raw_reviews):
        _load_review(claim, review, path, f"{where}.reviews[{index}]", report)


def _review_identity(values: dict) -> tuple:
    return (
        values["reviewer_label"],
        values["reviewed_on"],
        values["verdict"],
        values["summary"],
        values["scope_covers"],
        values["scope_excludes"],
        tuple(sorted(values["sources_checked"])),
        tuple(sorted(values["witnesses_checked"])),
    )


def _load_review(claim: Claim, entry: Any, path: Path, where: str, report: LoadReport) -> None:
    if not isinstance(entry, dict):
        raise ContentError(path, where, "must be a mapping")
    _unknown(entry, REVIEW_FIELDS, path, where)
    values = {
        name: _require(entry, name, path, where)
        for name in ("reviewer_label", "verdict", "summary", "scope_covers", "scope_excludes")
    }
    values["reviewed_on"] = _as_date(
        _require(entry, "reviewed_on", path, where, object), path, f"{where}.reviewed_on"
    )
    values["sources_checked"] = _string_list(entry, "sources_checked", path, where)
    values["witnesses_checked"] = _string_list(entry, "witnesses_checked", path, where)
    fingerprint = entry.get("fingerprint")
    if fingerprint is not None and not HEX64.match(str(fingerprint)):
        raise ContentError(path, f"{where}.fingerprint", "must be 64 lowercase hex digits")
    existing = ClaimReview.objects.filter(
        claim=claim, reviewer__username=CONTENT_IMPORT_USERNAME
    ).values(
        "reviewer_label",
        "reviewed_on",
        "verdict",
        "summary",
        "scope_covers",
        "scope_excludes",
        "sources_checked",
        "witnesses_checked",
    )
    if _review_identity(values) in {_review_identity(row) for row in existing}:
        return
    try:
        review = review_import(claim=claim, fingerprint=fingerprint, **values)
    except ValidationError as exc:
        raise _content_error(exc, path, where) from exc
    report.created.append(f"{claim.key} review #{review.sequence}")


def _load_file(path: Path, report: LoadReport) -> None:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContentError(path, "(file)", f"is not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ContentError(path, "(file)", "must be a mapping with concept and claims")
    _unknown(document, {"concept", "claims"}, path, "(file)")
    concept_path = _require(document, "concept", path, "(file)")
    area, _, slug = concept_path.removeprefix("concept:").partition("/")
    concept = Concept.objects.filter(area=area, slug=slug).first()
    if concept is None:
        raise ContentError(path, "concept", f"no concept {concept_path!r} is loaded")
    claims = document.get("claims") or []
    if not isinstance(claims, list):
        raise ContentError(path, "claims", "must be a list")
    for order, entry in enumerate(claims):
        _load_claim(concept, entry, order, path, report)


def claims_load(root: Path, report: LoadReport) -> None:
    """Load every `content/claims/**/*.yaml` (the concepts loader has run before)."""
    folder = Path(root) / FOLDER
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*.yaml")):
        _load_file(path, report)


# Writing --------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(document: dict) -> str:
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=80,
    )


def _claim_document(claim: Claim) -> dict:
    entry: dict[str, Any] = {"key": claim.key, "status": claim.status, "text": claim.text}
    if claim.support_note:
        entry["support_note"] = claim.support_note
    entry["sources"] = [
        {"source": link.source.key, "locator": link.locator} for link in claim.claim_sources.all()
    ]
    entry["witnesses"] = [link.concept_object.key for link in claim.claim_witnesses.all()]
    reviews = [
        review
        for review in sorted(claim.reviews.all(), key=lambda review: review.sequence)
        if review.reviewer.get_username() == CONTENT_IMPORT_USERNAME
    ]
    if reviews:
        entry["reviews"] = [
            {
                "reviewer_label": review.reviewer_label,
                "reviewed_on": review.reviewed_on,
                "verdict": review.verdict,
                "summary": review.summary,
                "scope_covers": review.scope_covers,
                "scope_excludes": review.scope_excludes,
                "sources_checked": list(review.sources_checked),
                "witnesses_checked": list(review.witnesses_checked),
                "fingerprint": review.fingerprint,
            }
            for review in reviews
        ]
    return entry


def claims_export(root: Path) -> list[Path]:
    """Write one file per concept that has claims; answer the paths written."""
    folder = Path(root) / FOLDER
    claims = (
        Claim.objects.select_related("concept")
        .prefetch_related(
            "claim_sources__source",
            "claim_witnesses__concept_object__concept",
            "reviews__reviewer",
        )
        .order_by("concept__area", "concept__slug", "order", "id")
    )
    by_concept: dict[Concept, list[Claim]] = {}
    for claim in claims:
        by_concept.setdefault(claim.concept, []).append(claim)
    written = []
    for concept, concept_claims in by_concept.items():
        document = {
            "concept": concept.path,
            "claims": [_claim_document(claim) for claim in concept_claims],
        }
        path = folder / concept.area / f"{concept.slug}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_yaml(document), encoding="utf-8")
        written.append(path)
    return written
