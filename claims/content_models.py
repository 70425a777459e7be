"""The entries of a claims file as pydantic models: each refusal names the field and the reason.

``entry_validate`` reads one entry (the file, a claim, a review or a verification) into its
model, or raises the ContentError that names the file, the field path under ``where`` and the
first reason, in the order the fields are declared; an entry's unknown fields come before any
other reason. The field types keep the loader's reading of YAML values: a blank required
value is missing, a missing list is empty, and optional text is taken as written.
"""

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainValidator, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from learning_platform.content import ContentError

from .models import Claim

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _required(kind: type) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value in (None, ""):
            raise PydanticCustomError("required", "is required")
        if not isinstance(value, kind):
            raise PydanticCustomError("wrong_type", "must be a {kind}", {"kind": kind.__name__})
        return value

    return check


def _present(value: Any) -> Any:
    if value in (None, ""):
        raise PydanticCustomError("required", "is required")
    return value


def _date(value: Any) -> datetime.date:
    value = _present(value)
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as exc:
        raise PydanticCustomError("date", "must be a date, YYYY-MM-DD") from exc


def _datetime(value: Any) -> datetime.datetime:
    value = _present(value)
    if isinstance(value, datetime.datetime):
        parsed = value
    else:
        try:
            parsed = datetime.datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise PydanticCustomError("datetime", "must be an ISO 8601 date and time") from exc
    if parsed.tzinfo is None:
        raise PydanticCustomError("time_zone", "must name its time zone (e.g. +00:00)")
    return parsed


def _list(value: Any) -> list:
    value = value or []
    if not isinstance(value, list):
        raise PydanticCustomError("list", "must be a list")
    return value


def _strings(value: Any) -> list[str]:
    value = value or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PydanticCustomError("strings", "must be a list of strings")
    return value


def _mapping(value: Any) -> dict:
    value = value or {}
    if not isinstance(value, dict):
        raise PydanticCustomError("mapping", "must be a mapping")
    return value


def _status(value: Any) -> str:
    if value not in Claim.Status.values:
        raise PydanticCustomError(
            "status", "must be one of {values}", {"values": str(Claim.Status.values)}
        )
    return value


def _fingerprint(value: Any) -> Any:
    if value is not None and not HEX64.match(str(value)):
        raise PydanticCustomError("fingerprint", "must be 64 lowercase hex digits")
    return value


RequiredText = Annotated[str, PlainValidator(_required(str))]
RequiredInt = Annotated[int, PlainValidator(_required(int))]
RequiredDate = Annotated[datetime.date, PlainValidator(_date)]
RequiredDateTime = Annotated[datetime.datetime, PlainValidator(_datetime)]
Strings = Annotated[list[str], PlainValidator(_strings)]
Record = Annotated[dict, PlainValidator(_mapping)]
# Taken as written, or "" when absent or blank: the model's own validation reads it later.
AsWritten = Annotated[Any, PlainValidator(lambda value: value or "")]
AsText = Annotated[str, PlainValidator(lambda value: str(value or ""))]


class Entry(BaseModel):
    """A mapping of known fields; ``not_a_mapping`` is the reason given for anything else."""

    model_config = ConfigDict(extra="forbid")
    not_a_mapping: ClassVar[str] = "must be a mapping"
    # Fields named from the file's root rather than under ``where``.
    unprefixed: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise PydanticCustomError("mapping", cls.not_a_mapping)
        extra = sorted(set(data) - set(cls.model_fields))
        if extra:
            raise PydanticCustomError("unknown", "is not a known field", {"field": extra[0]})
        return data


class SourceEntry(Entry):
    """One source a claim rests on, with the locator of the passage."""

    not_a_mapping = "must be a mapping with source and locator"

    source: RequiredText
    locator: AsText = ""


class ClaimEntry(Entry):
    """A claim; its reviews and verifications are read one by one once the claim is saved."""

    key: RequiredText
    text: RequiredText
    status: Annotated[str, PlainValidator(_status)] = Claim.Status.DRAFT
    support_note: AsWritten = ""
    sources: Annotated[list[SourceEntry], BeforeValidator(_list)] = []
    witnesses: Strings = []
    verifications: Annotated[list, PlainValidator(_list)] = []
    reviews: Annotated[list, PlainValidator(_list)] = []


class VerificationEntry(Entry):
    """A witness verification as recorded: restored unless the claim already has it."""

    outcome: RequiredText
    invariant: RequiredText
    result_hash: RequiredText
    witness_code_version: RequiredText
    fingerprint: RequiredText
    verified_at: RequiredDateTime
    record: Record = {}
    verified_by: AsWritten = ""


class FileReviewEntry(Entry):
    """A review written in the file: appended under the content-import account."""

    reviewer_label: RequiredText
    verdict: RequiredText
    summary: RequiredText
    scope_covers: RequiredText
    scope_excludes: RequiredText
    reviewed_on: RequiredDate
    sources_checked: Strings = []
    witnesses_checked: Strings = []
    fingerprint: Annotated[str | None, PlainValidator(_fingerprint)] = None


class RecordedReviewEntry(Entry):
    """A review as recorded (exported with its chain fields): restored exactly, hash checked."""

    reviewer: RequiredText
    reviewer_uid: RequiredText
    reviewer_label: RequiredText
    verdict: RequiredText
    summary: RequiredText
    scope_covers: RequiredText
    scope_excludes: RequiredText
    fingerprint: RequiredText
    hash: RequiredText
    sequence: RequiredInt
    previous_hash: AsText = ""
    reviewed_on: RequiredDate
    recorded_at: RequiredDateTime
    sources_checked: Strings = []
    witnesses_checked: Strings = []
    fingerprint_inputs: Record = {}
    concept_revision: AsText = ""
    verification_seen: AsText = ""


class ClaimsFile(Entry):
    """A concept's claims file."""

    not_a_mapping = "must be a mapping with concept and claims"
    # Named as each claim under it is (claims[0].key), from the root.
    unprefixed = frozenset({"claims"})

    concept: RequiredText
    claims: Annotated[list, PlainValidator(_list)] = []


E = TypeVar("E", bound=Entry)


def _field(where: str, loc: tuple) -> str:
    field = where
    for part in loc:
        field = f"{field}[{part}]" if isinstance(part, int) else f"{field}.{part}"
    return field


def entry_validate(model: type[E], data: Any, path: Path, where: str) -> E:
    """``data`` read into ``model``, or the ContentError naming its first refused field."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        ctx = error.get("ctx") or {}
        if error["type"] == "unknown":
            loc = (*loc, ctx["field"])
        reason = "is required" if error["type"] == "missing" else error["msg"]
        if loc and loc[0] in model.unprefixed:
            raise ContentError(path, _field(str(loc[0]), loc[1:]), reason) from exc
        raise ContentError(path, _field(where, loc), reason) from exc
