"""The field types and base model of the demo kinds' parameter models.

Each kind's parameters are one pydantic model (declared in ``demos.kinds_params``): its fields
validate and describe each value, and its ``canonicalise`` hook applies the checks between
fields and leaves out what cannot change the result. The models are strict, so a boolean is
never read as a number, a string never as a number, and unknown fields are refused.
``DemoParams.canonical`` turns raw JSON values into canonical parameters, or raises Django's
ValidationError with a message per field, the shape the API's error handler renders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import chain
from typing import Annotated, Any, ClassVar, TypeAlias

import numpy as np
from django.core.exceptions import ValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from demos import witnesses

# At most this many messages per field: a list of 100,000 bad numbers is one line, not 100,000.
MESSAGES_PER_FIELD = 3


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


class FieldErrors:
    """Collects messages per field, so a request learns everything wrong at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def witness(self, exc: witnesses.WitnessInputError, default_field: str) -> None:
        self.add(exc.field if exc.field else default_field, exc.message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)

    def __contains__(self, name: str) -> bool:
        return name in self.by_field


Canonicaliser = Callable[[dict[str, Any], set[str], FieldErrors], dict[str, Any]]


def _as_given(values: dict[str, Any], given: set[str], errors: FieldErrors) -> dict[str, Any]:
    return values


class DemoParams(BaseModel):
    """One kind's parameters. Subclasses declare the fields and, when fields constrain each
    other, a ``canonicalise`` hook: (values, names given, errors) → canonical values."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    canonicalise: ClassVar[Canonicaliser] = staticmethod(_as_given)

    @classmethod
    def canonical(cls, raw: object, *, kind: str) -> dict[str, Any]:
        """Raw JSON-like parameters → canonical parameters, or ValidationError per field."""
        if not isinstance(raw, Mapping):
            raise ValidationError(
                {"params": [f"must be a JSON object of parameters, got {json_type(raw)}"]}
            )
        errors = FieldErrors()
        try:
            model = cls.model_validate(dict(raw))
        except PydanticValidationError as exc:
            _collect(exc, errors, kind=kind, expected=tuple(cls.model_fields))
            errors.raise_if_any()
        # The validated values as they are: model_dump would copy every pair once more.
        values = {name: getattr(model, name) for name in cls.model_fields}
        canonical = cls.canonicalise(values, set(model.model_fields_set), errors)
        errors.raise_if_any()
        return dict(sorted(canonical.items()))

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {name: info.default for name, info in cls.model_fields.items()}


def _collect(
    exc: PydanticValidationError, errors: FieldErrors, *, kind: str, expected: tuple[str, ...]
) -> None:
    counts: dict[str, int] = {}
    for error in exc.errors(include_url=False, include_context=False):
        location = error["loc"]
        name = str(location[0])[:60] if location else "params"
        counts[name] = counts.get(name, 0) + 1
        if counts[name] > MESSAGES_PER_FIELD:
            continue
        if error["type"] == "extra_forbidden":
            message = f"unknown parameter for {kind}; expected one of: " + ", ".join(expected)
        else:
            message = error["msg"]
            if error["type"].endswith("_type"):
                message += f", got {json_type(error['input'])}"
            if len(location) > 1:
                message = "item " + ", ".join(map(str, location[1:])) + f": {message}"
        errors.add(name, message)
    for name, count in counts.items():
        if count > MESSAGES_PER_FIELD:
            errors.add(name, f"and {count - MESSAGES_PER_FIELD} more problems like these")


# Field types ------------------------------------------------------------------------------


def _no_float_overflow(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            float(value)
        except OverflowError:
            raise PydanticCustomError(
                "float_overflow", "must be a finite number within a 64-bit float's range"
            ) from None
    return value


def _whole_float_as_int(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _positive_zero(value: float) -> float:
    return value + 0.0  # -0.0 and 0.0 are the same parameter


# A float, never a boolean or a string; NaN, Infinity and integers past a float's range are
# refused (1e400 parses as Infinity).
FiniteFloat = Annotated[
    float,
    BeforeValidator(_no_float_overflow),
    Field(allow_inf_nan=False),
    AfterValidator(_positive_zero),
]
# An integer; a float with no fractional part (4.0) is read as that integer.
WholeNumber = Annotated[int, BeforeValidator(_whole_float_as_int)]


def as_whole_number() -> BeforeValidator:
    """Reads a float with no fractional part as that integer: after ``Field(ge=..., le=...)``
    in ``Annotated[int, Field(ge=ge, le=le), as_whole_number()]``, a WholeNumber in [ge, le]
    that can stand inside an optional (``... | None``)."""
    return BeforeValidator(_whole_float_as_int)


def choice_aliases(aliases: Mapping[str, str] | None = None) -> BeforeValidator:
    """For ``Annotated[Literal[<choices>], choice_aliases(...)]``, one of the choices: an
    alias is read as the choice it names."""
    aliases = dict(aliases or {})

    def resolve(value: object) -> object:
        return aliases.get(value, value) if isinstance(value, str) else value

    return BeforeValidator(resolve)


def vector_length(max_items: int) -> Any:
    """For ``Annotated[list[FiniteFloat], vector_length(max_items)]``, a list of 2 to
    ``max_items`` finite numbers."""
    return Field(min_length=2, max_length=max_items)


Vector: TypeAlias = Annotated[list[FiniteFloat], vector_length(witnesses.MAX_K)]


def _index_rows(value: object, width: int, shape: str) -> np.ndarray:
    """A JSON array of ``width``-integer rows as an (N, width) int64 array, checked by NumPy.

    Refuses anything but whole numbers (floats, strings, nulls, booleans, integers past
    64 bits), ragged or nested rows, and more than MAX_PAIRS rows.
    """
    if not isinstance(value, list):
        raise _invalid(f"must be an array of {shape} rows, got {json_type(value)}")
    if not 1 <= len(value) <= witnesses.MAX_PAIRS:
        raise _invalid(f"must hold between 1 and {witnesses.MAX_PAIRS} rows, got {len(value)}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        array = None
    if array is None or array.ndim != 2 or array.shape[1] != width:
        got = "ragged rows" if array is None else f"shape {array.shape}"
        raise _invalid(f"every row must be {shape} (N × {width} integers), got {got}")
    # NumPy reads a mix of true/false and integers as integers: the element types say so.
    if array.dtype.kind not in "iu" or (
        array.dtype.kind == "i" and set(map(type, chain.from_iterable(value))) != {int}
    ):
        raise _invalid(
            f"every row must be {shape} with integer entries (no floats, strings, "
            "booleans or nulls; at most 64 bits)"
        )
    indices = array[:, :2]
    outside = (indices < 0) | (indices >= witnesses.MAX_K)
    if outside.any():
        bad = int(np.flatnonzero(outside.any(axis=1))[0])
        raise _invalid(
            f"row {bad} has an index outside [0, {witnesses.MAX_K}): {array[bad].tolist()}"
        )
    if array.dtype.kind == "u" and int(array.max()) > np.iinfo(np.int64).max:
        raise _invalid(f"every row must be {shape} with integers below 2**63")
    return array.astype(np.int64)


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("demo_parameter", message)


def _pairs(value: object) -> list[list[int]]:
    return _index_rows(value, 2, "[winner, loser]").tolist()


def _triplets(value: object) -> list[list[int]] | None:
    if value is None:
        return None
    array = _index_rows(value, 3, "[winner, loser, count]")
    try:
        witnesses.check_counts("triplets", array[:, 2], n=array.shape[0])
    except witnesses.WitnessInputError as exc:
        raise _invalid(exc.message.replace("count ", "row ", 1)) from None
    return array.tolist()


def _index_schema(minimum: int = 0, maximum: int = witnesses.MAX_K - 1) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


# (winner, loser) candidate indices; ranges are checked against K by the kind. NumPy checks
# the rows at once, so 100,000 pairs validate in milliseconds and one bad row is one message.
Pairs = Annotated[
    list[list[int]],
    PlainValidator(_pairs),
    WithJsonSchema(
        {
            "type": "array",
            "items": {
                "type": "array",
                "items": _index_schema(),
                "minItems": 2,
                "maxItems": 2,
                "description": "[winner, loser]: the winner was preferred to the loser",
            },
            "minItems": 1,
            "maxItems": witnesses.MAX_PAIRS,
        }
    ),
]

# [winner, loser, count] rows: the same pair counted, capped in rows, not battles.
Triplets = Annotated[
    list[list[int]] | None,
    PlainValidator(_triplets),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "prefixItems": [
                            _index_schema(),
                            _index_schema(),
                            _index_schema(1, witnesses.MAX_BATTLES),
                        ],
                        "minItems": 3,
                        "maxItems": 3,
                        "description": (
                            "[winner, loser, count]: the winner beat the loser count times"
                        ),
                    },
                    "minItems": 1,
                    "maxItems": witnesses.MAX_PAIRS,
                },
                {"type": "null"},
            ]
        }
    ),
]


def win_counts(clean: Callable[[object], list[list[int]]]) -> PlainValidator:
    """For ``Annotated[list[list[int]], win_counts(clean), WIN_COUNTS_SCHEMA]``, a K×K matrix
    of whole numbers (row i, column j: the times i beat j), checked by ``clean``, which
    raises ValueError with the reason."""

    def validate(value: object) -> list[list[int]]:
        try:
            return clean(value)
        except ValueError as exc:
            raise _invalid(str(exc)) from None

    return PlainValidator(validate)


WIN_COUNTS_SCHEMA = WithJsonSchema(
    {
        "type": "array",
        "items": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "minItems": 2,
        "maxItems": witnesses.MAX_ITEMS,
    }
)


def same_field(model: type[BaseModel], name: str) -> Any:
    """The field ``name`` of ``model``, to declare again on another model: like ``Field()``
    it is typed Any, so it stands as any field's default."""
    return model.model_fields[name]
