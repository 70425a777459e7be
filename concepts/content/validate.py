"""The shape of each concepts file: one strict pydantic model per file, its first error named."""

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.dateparse import parse_date
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from learning_platform.content import ContentError

from ..models import PRACTICE_HINTS_MAX, Concept, ConceptObject, Section, Source

# The reasons a person editing the files reads: the same wording the API's errors use.
NULL = "This field may not be null."
BLANK = "This field may not be blank."
NOT_A_LIST = 'Expected a list of items but got type "{input_type}".'
NOT_A_DICT = 'Expected a dictionary of items but got type "{input_type}".'
NOT_A_MAPPING = "Invalid data. Expected a dictionary, but got {input_type}."
_MESSAGES = {
    "missing": "This field is required.",
    "string_too_long": "Ensure this field has no more than {max_length} characters.",
    "less_than_equal": "Ensure this value is less than or equal to {le}.",
    "greater_than_equal": "Ensure this value is greater than or equal to {ge}.",
    "string_type": "Not a valid string.",
    "int_type": "A valid integer is required.",
    "bool_type": "Must be a valid boolean.",
    "date_type": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    "list_type": NOT_A_LIST,
    "dict_type": NOT_A_DICT,
    "model_type": NOT_A_MAPPING,
    "extra_forbidden": "unknown field",
}


def _refuse(reason: str, field: str = "") -> PydanticCustomError:
    """A reason of our own; ``field`` names a field below the place the check ran at."""
    context = {"reason": reason, "field": field} if field else {"reason": reason}
    return PydanticCustomError("content", "{reason}", context)


# Field types: what each accepts, as people write YAML by hand --------------------------------


@dataclass(frozen=True)
class Text:
    """A string of at most ``max_length`` characters (any length for None); a number reads as
    its digits.

    ``trim`` strips surrounding whitespace; ``blank`` allows the empty string; ``check``
    validates a non-empty value after its length; ``invalid`` is the reason for a value that is
    not text at all.
    """

    max_length: int | None
    trim: bool = False
    blank: bool = False
    check: Callable[[str], None] | None = None
    invalid: str = "Not a valid string."

    def coerce(self, value: Any) -> str:
        if value == "" or (self.trim and str(value).strip() == ""):
            if not self.blank:
                raise _refuse(BLANK)
            return ""
        if value is None:
            raise _refuse(NULL)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _refuse(self.invalid)
        text = str(value)
        return text.strip() if self.trim else text

    def checked(self, value: str) -> str:
        if value and self.check is not None:
            self.check(value)
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema: core_schema.CoreSchema = core_schema.str_schema(
            max_length=self.max_length, strict=True
        )
        if self.check is not None:
            schema = core_schema.no_info_after_validator_function(self.checked, schema)
        return core_schema.no_info_before_validator_function(self.coerce, schema)


def _pattern(pattern: str, message: str) -> Callable[[str], None]:
    regex = re.compile(pattern)

    def check(value: str) -> None:
        if not regex.search(value):
            raise _refuse(message)

    return check


INVALID_URL = "Enter a valid URL."
INVALID_SLUG = 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'
INVALID_SHA256 = "64 lowercase hexadecimal digits"


def _url(value: str) -> None:
    try:
        URLValidator()(value)
    except DjangoValidationError as exc:
        raise _refuse(INVALID_URL) from exc


_sha256 = _pattern(r"^[0-9a-f]{64}$", INVALID_SHA256)
_slug = _pattern(r"^[-a-zA-Z0-9_]+$", INVALID_SLUG)
_DECIMAL = re.compile(r"\.0*\s*$")  # "4.0" is the integer 4; "4.5" is not an integer


@dataclass(frozen=True)
class Integer:
    """An integer from ``ge`` to ``le``; ``"4"`` and ``4.0`` read as 4, ``true`` does not."""

    ge: int
    le: int

    @staticmethod
    def coerce(value: Any) -> int:
        if value is None:
            raise _refuse(NULL)
        if isinstance(value, str) and len(value) > 1000:
            raise _refuse("String value too large.")
        try:
            return int(_DECIMAL.sub("", str(value)))
        except (ValueError, TypeError):
            raise _refuse("A valid integer is required.") from None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = core_schema.int_schema(ge=self.ge, le=self.le, strict=True)
        return core_schema.no_info_before_validator_function(self.coerce, schema)


@dataclass(frozen=True)
class Choice:
    """One of ``choices``, compared as text."""

    choices: tuple[str, ...]

    def coerce(self, value: Any) -> str:
        if value is None:
            raise _refuse(NULL)
        if str(value) not in self.choices:
            raise _refuse(f'"{value}" is not a valid choice.')
        return str(value)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = core_schema.str_schema(strict=True)
        return core_schema.no_info_before_validator_function(self.coerce, schema)


# True is 1 and False is 0 (and 0.0) in a set: each set holds the bool, the int and the float.
_TRUE = {"t", "y", "yes", "true", "on", "1", True}
_FALSE = {"f", "n", "no", "false", "off", "0", False}


def _boolean(value: Any) -> Any:
    if value is None:
        raise _refuse(NULL)
    lowered = value.lower() if isinstance(value, str) else value
    try:
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    except TypeError:  # an unhashable value (a list, a mapping) is no boolean either
        pass
    raise _refuse("Must be a valid boolean.")


def _date(value: Any) -> Any:
    if value is None:
        raise _refuse(NULL)
    if isinstance(value, datetime.datetime):
        raise _refuse("Expected a date but got a datetime.")
    if isinstance(value, datetime.date):
        return value
    try:
        parsed = parse_date(value)
    except (ValueError, TypeError):
        parsed = None
    if parsed is None:
        raise _refuse(_MESSAGES["date_type"])
    return parsed


def _entries(value: Any) -> Any:
    """A list of entries is a YAML list, never null."""
    if value is None:
        raise _refuse(NULL)
    if not isinstance(value, list):
        raise _refuse(NOT_A_LIST.format(input_type=type(value).__name__))
    return value


def _items(value: Any) -> Any:
    """A list of strings: any sequence but a string or a mapping."""
    if value is None:
        raise _refuse(NULL)
    if isinstance(value, str | Mapping) or not hasattr(value, "__iter__"):
        raise _refuse(NOT_A_LIST.format(input_type=type(value).__name__))
    return list(value)


def _mapping(value: Any) -> Any:
    """Free-form parameters: a mapping whose keys read as text."""
    if value is None:
        raise _refuse(NULL)
    if not isinstance(value, dict):
        raise _refuse(NOT_A_DICT.format(input_type=type(value).__name__))
    return {str(key): item for key, item in value.items()}


Boolean = Annotated[bool, BeforeValidator(_boolean)]
Date = Annotated[datetime.date, BeforeValidator(_date)]
ConceptPath = Annotated[str, Text(201, trim=True)]
Slug = Annotated[str, Text(120, trim=True, check=_slug, invalid=INVALID_SLUG)]
Url = Annotated[str, Text(1000, trim=True, blank=True, check=_url, invalid=INVALID_URL)]
Sha256 = Annotated[str, Text(None, trim=True, check=_sha256, invalid=INVALID_SHA256)]


# File shapes ---------------------------------------------------------------------------------


class _Strict(BaseModel):
    """Refuses keys it does not know: a misspelt field is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        if data is None:
            raise _refuse(NULL)
        if not isinstance(data, dict):
            raise _refuse(NOT_A_MAPPING.format(input_type=type(data).__name__))
        unknown = sorted(str(key) for key in data if key not in cls.model_fields)
        if unknown:
            expected = ", ".join(cls.model_fields)
            raise _refuse(f"unknown field (expected one of: {expected})", field=unknown[0])
        return data


class EdgeEntry(_Strict):
    concept: ConceptPath
    carry_in: Annotated[str, Text(2000, blank=True)] = ""
    carry_out: Annotated[str, Text(2000, blank=True)] = ""
    next_order: Annotated[int, Integer(ge=0, le=32767)] = 0


class RelatedEntry(_Strict):
    concept: ConceptPath = ""
    url: Url = ""
    title: Annotated[str, Text(300, blank=True)] = ""
    note: Annotated[str, Text(2000, blank=True)] = ""

    @model_validator(mode="after")
    def _concept_or_url(self) -> "RelatedEntry":
        if not self.concept and not self.url:
            raise _refuse("give a concept or a url", field="concept")
        return self


class SourceLinkEntry(_Strict):
    source: Slug
    grounds: Annotated[str, Text(2000)]


class HintEntry(_Strict):
    teaser: Annotated[str, Text(300, blank=True)] = ""
    body: Annotated[str, Text(2000)]


class PracticeBlock(_Strict):
    heading: Annotated[str, Text(300, blank=True)] = ""
    prompt: Annotated[str, Text(2000, blank=True)] = ""
    hints: Annotated[list[HintEntry], BeforeValidator(_entries)] = Field(default_factory=list)

    @field_validator("hints")
    @classmethod
    def _at_most_three(cls, hints: list[HintEntry]) -> list[HintEntry]:
        if len(hints) > PRACTICE_HINTS_MAX:
            raise _refuse(
                f"at most {PRACTICE_HINTS_MAX} hints (got {len(hints)}): learners reveal "
                f"hints 1 to {PRACTICE_HINTS_MAX}"
            )
        return hints


class _PromptBlock(_Strict):
    heading: Annotated[str, Text(300, blank=True)] = ""


class StoryboardBlock(_PromptBlock):
    lens: Annotated[str, Text(2000, blank=True)] = ""
    commit: Annotated[str, Text(2000, blank=True)] = ""


class VisualInquiryBlock(_PromptBlock):
    question: Annotated[str, Text(2000, blank=True)] = ""
    commit: Annotated[str, Text(2000, blank=True)] = ""


class AfterFirstPassBlock(_PromptBlock):
    body: Annotated[str, Text(4000, blank=True)] = ""


class LearnerBlock(_Strict):
    """The texts around the page's panels; every key may be left out."""

    anchored_question: Annotated[str, Text(2000, blank=True)] = ""
    practice: PracticeBlock = Field(default_factory=PracticeBlock)
    storyboard: StoryboardBlock = Field(default_factory=StoryboardBlock)
    visual_inquiry: VisualInquiryBlock = Field(default_factory=VisualInquiryBlock)
    after_first_pass: AfterFirstPassBlock = Field(default_factory=AfterFirstPassBlock)
    research_instruction: Annotated[str, Text(2000, blank=True)] = ""


class ConceptFile(_Strict):
    title: Annotated[str, Text(300)]
    area_title: Annotated[str, Text(120)]
    summary: Annotated[str, Text(2000)]
    status: Annotated[str, Choice(tuple(Concept.Status.values))]
    importance: Annotated[str, Choice(tuple(Concept.Importance.values))]
    difficulty: Annotated[int, Integer(ge=1, le=5)]
    math_level: Annotated[str, Text(60, blank=True)] = ""
    read_minutes: Annotated[int, Integer(ge=1, le=32767)]
    illustration_caption: Annotated[str, Text(2000, blank=True)] = ""
    link_test: Annotated[str, Text(2000, blank=True)] = ""
    prerequisites: Annotated[list[EdgeEntry], BeforeValidator(_entries)] = Field(
        default_factory=list
    )
    related: Annotated[list[RelatedEntry], BeforeValidator(_entries)] = Field(default_factory=list)
    sources: Annotated[list[SourceLinkEntry], BeforeValidator(_entries)] = Field(
        default_factory=list
    )
    learner: LearnerBlock = Field(default_factory=LearnerBlock)


class SectionFront(_Strict):
    title: Annotated[str, Text(200)]
    summary: Annotated[str, Text(500, blank=True)] = ""
    prompt: Annotated[str, Text(500, blank=True)] = ""
    section_prompt: Annotated[str, Text(4000, blank=True)] = ""
    ready: Boolean


class ObjectEntry(_Strict):
    kind: Annotated[str, Choice(tuple(ConceptObject.Kind.values))]
    anchor: Slug
    title: Annotated[str, Text(300)]
    section: Annotated[str, Choice(tuple(Section.Kind.values))] = ""
    operational: Boolean = False
    language: Annotated[str, Text(40, blank=True)] = ""
    demo_kind: Annotated[str, Text(60, blank=True)] = ""
    params: Annotated[dict[str, Any], BeforeValidator(_mapping)] = Field(default_factory=dict)
    body: Annotated[str, Text(200_000)]
    expected_output: Annotated[str, Text(64_000, blank=True)] = ""

    @model_validator(mode="after")
    def _kind_fields(self) -> "ObjectEntry":
        if self.kind == ConceptObject.Kind.CODE and not self.language:
            raise _refuse("a code witness names its language", field="language")
        if self.expected_output and self.kind != ConceptObject.Kind.CODE:
            raise _refuse("only a code witness has an expected output", field="expected_output")
        if self.kind == ConceptObject.Kind.DEMO and not self.demo_kind:
            raise _refuse("a demo names its demo kind", field="demo_kind")
        return self


class SnapshotEntry(_Strict):
    file: Annotated[str, Text(300, trim=True)]
    sha256: Sha256
    media_type: Annotated[str, Text(120, blank=True)] = ""
    retrieved_on: Date


class SourceFile(_Strict):
    kind: Annotated[str, Choice(tuple(Source.Kind.values))]
    title: Annotated[str, Text(500)]
    authors: Annotated[list[Annotated[str, Text(300, trim=True)]], BeforeValidator(_items)] = Field(
        default_factory=list
    )
    year: Annotated[int, Integer(ge=1, le=9999)] | None = None
    venue: Annotated[str, Text(300, blank=True)] = ""
    url: Url = ""
    doi: Annotated[str, Text(200, blank=True)] = ""
    arxiv_id: Annotated[str, Text(40, blank=True)] = ""
    snapshot: SnapshotEntry | None = None


# Errors --------------------------------------------------------------------------------------


def _first_error(exc: ValidationError) -> tuple[str, str]:
    """pydantic's errors → ("prerequisites[1].concept", "reason") for the first one."""
    error = exc.errors(include_url=False)[0]
    context = error.get("ctx") or {}
    location = [*error["loc"], *([context["field"]] if context.get("field") else [])]
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
    if error["type"] == "content":
        reason = context["reason"]
    else:
        template = _MESSAGES.get(error["type"], error["msg"])
        reason = template.format(**context, input_type=type(error["input"]).__name__)
    return where.removeprefix("."), reason


def validated(path: Path, data: Any, shape: type[BaseModel]) -> dict[str, Any]:
    """``data`` checked against ``shape``, as plain values; the first problem is a ContentError."""
    if not isinstance(data, dict):
        raise ContentError(path, "(file)", "expected a mapping of field names to values")
    try:
        return shape.model_validate(data).model_dump()
    except ValidationError as exc:
        where, reason = _first_error(exc)
        raise ContentError(path, where or "(file)", reason) from exc
