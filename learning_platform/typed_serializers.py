"""DRF serializers derived from TypedDicts: one field per key, in declared order."""

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import (
    Annotated,
    Any,
    NotRequired,
    Required,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

SerializerT = TypeVar("SerializerT", bound=serializers.Serializer)


@dataclass(frozen=True)
class Field:
    """What a key's type cannot say about its field: a specific field class (used as is, without
    a child derived from the type), help text, read-only."""

    field_class: type[serializers.Field] | None = None
    help_text: str | None = None
    read_only: bool = False


_SCALARS: dict[object, type[serializers.Field]] = {
    str: serializers.CharField,
    int: serializers.IntegerField,
    float: serializers.FloatField,
    bool: serializers.BooleanField,
}

_SERIALIZERS: dict[type, type[serializers.Serializer]] = {}


def serializer_for(shape: type) -> type[serializers.Serializer]:
    """The serializer declared for a TypedDict, with @derived_from or @describes.

    Each TypedDict has one serializer (one schema component): `@derived_from(Shape)` declares it,
    its fields derived; `@describes(Shape)` names a hand-written serializer as the one, after
    checking it declares every key. A nested TypedDict's serializer must be declared before the
    serializer of the TypedDict that uses it."""
    try:
        return _SERIALIZERS[shape]
    except KeyError:
        raise TypeError(
            f"No serializer describes {shape.__qualname__}: declare one with "
            f"@derived_from({shape.__qualname__}) or @describes({shape.__qualname__}) first."
        ) from None


def shape_fields(shape: type) -> dict[str, serializers.Field]:
    """One new field per key of a TypedDict, in declared order (a base TypedDict's keys first).

    `str`, `int`, `float` and `bool` become Char-, Integer-, Float- and BooleanField; `X | None`
    allows null; `list[T]` is a ListField of T's field, or T's serializer with many=True when T is
    a TypedDict; a nested TypedDict is its serializer; `Any` is a JSONField and `dict[str, Any]` a
    DictField. What a type cannot say is put on the key as `Annotated[T, Field(...)]`: a specific
    field class (which then replaces what T maps to), help text, read-only. Keys the TypedDict
    requires are required fields; `NotRequired` keys are not."""
    if not is_typeddict(shape):
        raise TypeError(f"{shape!r} is not a TypedDict.")
    required: frozenset[str] = shape.__required_keys__  # type: ignore[attr-defined]  # every TypedDict has it; is_typeddict does not narrow
    return {
        name: _field(hint, required=name in required, where=f"{shape.__qualname__}.{name}")
        for name, hint in get_type_hints(shape, include_extras=True).items()
    }


def derived_from(
    shape: type, *, component_name: str | None = None
) -> Callable[[type[SerializerT]], type[SerializerT]]:
    """Declare a serializer's fields from a TypedDict: the keys' fields first, then any fields
    the class declares itself (which must not name a key). Named `component_name` in the schema."""

    def derive(cls: type[SerializerT]) -> type[SerializerT]:
        declared = cls._declared_fields
        restated = sorted(set(declared) & set(get_type_hints(shape)))
        if restated:
            raise TypeError(
                f"{cls.__qualname__} declares {', '.join(restated)}, "
                f"which {shape.__qualname__} already does."
            )
        cls._declared_fields = {**shape_fields(shape), **declared}
        _register(shape, cls)
        if component_name is not None:
            return extend_schema_serializer(component_name=component_name)(cls)
        return cls

    return derive


def describes(shape: type) -> Callable[[type[SerializerT]], type[SerializerT]]:
    """Name a hand-written serializer as the one for a TypedDict; it must declare every key."""

    def register(cls: type[SerializerT]) -> type[SerializerT]:
        missing = [name for name in get_type_hints(shape) if name not in cls._declared_fields]
        if missing:
            raise TypeError(
                f"{cls.__qualname__} describes {shape.__qualname__} "
                f"but has no field for {', '.join(missing)}."
            )
        _register(shape, cls)
        return cls

    return register


def _register(shape: type, cls: type[serializers.Serializer]) -> None:
    if shape in _SERIALIZERS:
        raise TypeError(
            f"{shape.__qualname__} is described already, by {_SERIALIZERS[shape].__qualname__}."
        )
    _SERIALIZERS[shape] = cls


def _field(hint: Any, *, required: bool, where: str) -> serializers.Field:
    hint, meta = _unwrapped(hint, where)
    nullable = get_origin(hint) in (Union, types.UnionType)
    if nullable:
        present = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(present) != 1 or len(present) == len(get_args(hint)):
            raise TypeError(f"{where}: only `X | None` unions map to a field, not {hint!r}.")
        hint, inner = _unwrapped(present[0], where)
        meta = meta or inner
    meta = meta or Field()
    options: dict[str, Any] = {}
    if not required:
        options["required"] = False
    if nullable:
        options["allow_null"] = True
    if meta.help_text is not None:
        options["help_text"] = meta.help_text
    if meta.read_only:
        options["read_only"] = True
    if meta.field_class is not None:
        return meta.field_class(**options)
    return _typed_field(hint, options, where)


def _unwrapped(hint: Any, where: str) -> tuple[Any, Field | None]:
    """The type without Required/NotRequired and Annotated, and its Field metadata if any."""
    meta: Field | None = None
    while get_origin(hint) in (Annotated, Required, NotRequired):
        if get_origin(hint) is Annotated:
            fields = [extra for extra in hint.__metadata__ if isinstance(extra, Field)]
            if len(fields) > 1:
                raise TypeError(f"{where}: one Field per key, not {len(fields)}.")
            meta = meta or (fields[0] if fields else None)
            hint = hint.__origin__
        else:
            (hint,) = get_args(hint)
    return hint, meta


def _typed_field(hint: Any, options: dict[str, Any], where: str) -> serializers.Field:
    if hint in _SCALARS:
        return _SCALARS[hint](**options)
    if hint is Any:
        return serializers.JSONField(**options)
    if is_typeddict(hint):
        return serializer_for(hint)(**options)
    origin, args = get_origin(hint), get_args(hint)
    if hint is list or (origin is list and not args):
        return serializers.ListField(**options)
    if origin is list:
        (item,) = args
        if is_typeddict(item):
            return serializer_for(item)(many=True, **options)
        return serializers.ListField(child=_field(item, required=True, where=where), **options)
    if hint is dict or (origin is dict and (not args or args == (str, Any))):
        return serializers.DictField(**options)
    if origin is dict and args[0] is str:
        return serializers.DictField(child=_field(args[1], required=True, where=where), **options)
    raise TypeError(f"{where}: no field for {hint!r}; name one with Annotated[..., Field(...)].")
