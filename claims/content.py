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

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError

from concepts.models import Concept, ConceptObject, Source
from learning_platform import yaml_files
from learning_platform.content import ContentError, LoadReport, text_check

from .chain import sha256_json
from .content_models import (
    ClaimEntry,
    ClaimsFile,
    FileReviewEntry,
    RecordedReviewEntry,
    VerificationEntry,
    entry_validate,
)
from .models import Claim, ClaimReview
from .restore import review_restore, verification_restore
from .reviews import CONTENT_IMPORT_USERNAME, review_import
from .services import claim_create, claim_sources_set, claim_update, claim_witnesses_set

FOLDER = "claims"


# Reading --------------------------------------------------------------------------------------


def _object_by_key(key: str) -> ConceptObject | None:
    kind, _, rest = key.partition(":")
    path, _, anchor = rest.partition("#")
    area, _, slug = path.partition("/")
    return (
        ConceptObject.objects.select_related("concept")
        .filter(kind=kind, anchor=anchor, concept__area=area, concept__slug=slug)
        .first()
    )


def _content_error(exc: ValidationError, path: Path, where: str) -> ContentError:
    if hasattr(exc, "error_dict"):
        name, messages = next(iter(exc.message_dict.items()))
        return ContentError(path, f"{where}.{name}", " ".join(messages))
    return ContentError(path, where, " ".join(exc.messages))


def _load_claim(concept: Concept, raw: Any, order: int, path: Path, report: LoadReport) -> None:
    where = f"claims[{order}]"
    entry = entry_validate(ClaimEntry, raw, path, where)
    key = entry.key

    sources = []
    for index, item in enumerate(entry.sources):
        source = Source.objects.filter(key=item.source).first()
        if source is None:
            raise ContentError(
                path, f"{where}.sources[{index}].source", f"no source has the key {item.source!r}"
            )
        sources.append((source, item.locator))

    witnesses = []
    for index, witness_key in enumerate(entry.witnesses):
        witness = _object_by_key(witness_key)
        if witness is None:
            raise ContentError(path, f"{where}.witnesses[{index}]", f"no object {witness_key!r}")
        witnesses.append(witness)

    fields = {
        "text": entry.text,
        "status": entry.status,
        "support_note": entry.support_note,
        "order": order,
    }
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

    for index, verification in enumerate(entry.verifications):
        _load_verification(claim, verification, path, f"{where}.verifications[{index}]")
    for index, review in enumerate(entry.reviews):
        where_review = f"{where}.reviews[{index}]"
        if isinstance(review, dict) and "hash" in review:
            _restore_review(claim, review, path, where_review, report)
        else:
            _load_review(claim, review, path, where_review, report)


def _load_verification(claim: Claim, raw: Any, path: Path, where: str) -> None:
    entry = entry_validate(VerificationEntry, raw, path, where)
    values = dict(entry)
    verified_by = values.pop("verified_by")
    try:
        verification_restore(claim=claim, verified_by=verified_by, **values)
    except ValidationError as exc:
        raise _content_error(exc, path, where) from exc


def _restore_review(claim: Claim, raw: dict, path: Path, where: str, report: LoadReport) -> None:
    values = dict(entry_validate(RecordedReviewEntry, raw, path, where))
    try:
        review, created = review_restore(claim=claim, **values)
    except ValidationError as exc:
        raise _content_error(exc, path, where) from exc
    if created:
        report.created.append(f"{claim.key} review #{review.sequence}")


def _review_identity(values: Mapping[str, Any]) -> tuple:
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


def _load_review(claim: Claim, raw: Any, path: Path, where: str, report: LoadReport) -> None:
    values = dict(entry_validate(FileReviewEntry, raw, path, where))
    fingerprint = values.pop("fingerprint")
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
    except UnicodeDecodeError as exc:
        raise ContentError(path, "(file)", "is not UTF-8 text") from exc
    text_check(path, document)
    claims_file = entry_validate(ClaimsFile, document, path, "(file)")
    area, _, slug = claims_file.concept.removeprefix("concept:").partition("/")
    concept = Concept.objects.filter(area=area, slug=slug).first()
    if concept is None:
        raise ContentError(path, "concept", f"no concept {claims_file.concept!r} is loaded")
    for order, entry in enumerate(claims_file.claims):
        _load_claim(concept, entry, order, path, report)


def claims_load(root: Path, report: LoadReport, units: set[str] | None = None) -> None:
    """Load every `content/claims/<area>/<slug>.yaml` (the concepts loader has run before);
    with ``units``, only those (``claims:<area>/<slug>``)."""
    folder = Path(root) / FOLDER
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*.yaml")):
        if units is not None and f"claims:{path.parent.name}/{path.stem}" not in units:
            continue
        _load_file(path, report)


# Writing --------------------------------------------------------------------------------------


def dump_yaml(document: dict) -> str:
    """A concept's claims file: its long lines folded at 80 columns."""
    return yaml_files.dump_yaml(document, width=80)


def _review_record(review: ClaimReview) -> dict:
    record: dict[str, Any] = {
        "sequence": review.sequence,
        "reviewer": review.reviewer.get_username(),
        "reviewer_uid": review.reviewer_uid,
        "reviewer_label": review.reviewer_label,
        "reviewed_on": review.reviewed_on,
        "recorded_at": review.recorded_at.isoformat(),
        "verdict": review.verdict,
        "summary": review.summary,
        "scope_covers": review.scope_covers,
        "scope_excludes": review.scope_excludes,
        "sources_checked": list(review.sources_checked),
        "witnesses_checked": list(review.witnesses_checked),
        "fingerprint": review.fingerprint,
    }
    if review.fingerprint_inputs:
        record["fingerprint_inputs"] = review.fingerprint_inputs
    if review.concept_revision:
        record["concept_revision"] = review.concept_revision
    if review.verification_seen_hash:
        record["verification_seen"] = review.verification_seen_hash
    record["previous_hash"] = review.previous_hash
    record["hash"] = review.hash
    return record


def _claim_document(claim: Claim) -> dict:
    entry: dict[str, Any] = {"key": claim.key, "status": claim.status, "text": claim.text}
    if claim.support_note:
        entry["support_note"] = claim.support_note
    entry["sources"] = [
        {"source": link.source.key, "locator": link.locator} for link in claim.claim_sources.all()
    ]
    entry["witnesses"] = [link.concept_object.key for link in claim.claim_witnesses.all()]
    verifications = sorted(claim.verifications.all(), key=lambda v: (v.verified_at, v.pk))
    if verifications:
        entry["verifications"] = [
            {
                "outcome": verification.outcome,
                "invariant": verification.invariant,
                "result_hash": verification.result_hash,
                "witness_code_version": verification.witness_code_version,
                "fingerprint": verification.fingerprint,
                **({"record": verification.record} if verification.record else {}),
                "verified_at": verification.verified_at.isoformat(),
                **(
                    {"verified_by": verification.verified_by.get_username()}
                    if verification.verified_by
                    else {}
                ),
            }
            for verification in verifications
        ]
    reviews = sorted(claim.reviews.all(), key=lambda review: review.sequence)
    if reviews:
        entry["reviews"] = [_review_record(review) for review in reviews]
    return entry


def claims_files(concept_paths: set[str] | None = None) -> dict[str, dict[str, bytes]]:
    """One file per concept that has claims, per content unit ``claims:<area>/<slug>``."""
    claims = (
        Claim.objects.select_related("concept")
        .prefetch_related(
            "claim_sources__source",
            "claim_witnesses__concept_object__concept",
            "reviews__reviewer",
            "verifications__verified_by",
        )
        .order_by("concept__area", "concept__slug", "order", "id")
    )
    by_concept: dict[Concept, list[Claim]] = {}
    for claim in claims:
        if concept_paths is None or claim.concept.path in concept_paths:
            by_concept.setdefault(claim.concept, []).append(claim)
    units = {}
    for concept, concept_claims in by_concept.items():
        document = {
            "concept": concept.path,
            "claims": [_claim_document(claim) for claim in concept_claims],
        }
        name = f"{FOLDER}/{concept.area}/{concept.slug}.yaml"
        units[f"claims:{concept.path}"] = {name: dump_yaml(document).encode()}
    return units


def claims_files_on_disk(root: Path) -> dict[str, dict[str, bytes]]:
    folder = Path(root) / FOLDER
    units = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*/*.yaml")):
            unit = f"claims:{path.parent.name}/{path.stem}"
            units[unit] = {path.relative_to(root).as_posix(): path.read_bytes()}
    return units


def claims_unit_hash(files: dict[str, bytes]) -> str:
    """The hash of a claims file without its reviews and verifications: those are append-only
    and merge by hash, so a review recorded since the last load is never a conflict."""
    documents = []
    for name in sorted(files):
        try:
            document = yaml.safe_load(files[name].decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            return sha256_json({"unparsable": name, "bytes": files[name].hex()})
        claims = document.get("claims") if isinstance(document, dict) else None
        for claim in claims if isinstance(claims, list) else []:
            if isinstance(claim, dict):
                claim.pop("reviews", None)
                claim.pop("verifications", None)
        documents.append([name, document])
    return sha256_json(json.loads(json.dumps(documents, default=str)))


def claims_export(root: Path) -> list[Path]:
    """Write one file per concept that has claims; answer the paths written."""
    written = []
    for files in claims_files().values():
        for name, content in files.items():
            path = Path(root) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written.append(path)
    return written
