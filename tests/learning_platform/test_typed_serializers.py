"""Serializers derived from TypedDicts: each type's field, nesting, lists, Annotated metadata."""

from typing import Annotated, Any, NotRequired, TypedDict

import pytest
from drf_spectacular.drainage import get_override
from rest_framework import serializers

from learning_platform.typed_serializers import (
    Field,
    derived_from,
    describes,
    serializer_for,
    shape_fields,
)


def test_each_type_maps_to_its_field():
    """str, int, float, bool, Any and dict[str, Any] each give their DRF field."""

    class Scalars(TypedDict):
        text: str
        count: int
        ratio: float
        flag: bool
        params: Any
        extra: dict[str, Any]

    fields = shape_fields(Scalars)
    assert [type(field) for field in fields.values()] == [
        serializers.CharField,
        serializers.IntegerField,
        serializers.FloatField,
        serializers.BooleanField,
        serializers.JSONField,
        serializers.DictField,
    ]
    assert all(field.required and not field.allow_null for field in fields.values())


def test_optional_and_not_required_keys():
    """`X | None` allows null; a NotRequired key is not a required field."""

    class Partly(TypedDict):
        year: int | None
        note: NotRequired[str]

    fields = shape_fields(Partly)
    assert isinstance(fields["year"], serializers.IntegerField)
    assert fields["year"].allow_null and fields["year"].required
    assert isinstance(fields["note"], serializers.CharField)
    assert not fields["note"].required and not fields["note"].allow_null


def test_a_list_of_scalars_is_a_list_field_of_their_field():
    class Authors(TypedDict):
        authors: list[str]
        years: list[int | None]
        anything: list

    fields = shape_fields(Authors)
    assert isinstance(fields["authors"], serializers.ListField)
    assert isinstance(fields["authors"].child, serializers.CharField)
    assert isinstance(fields["years"].child, serializers.IntegerField)
    assert fields["years"].child.allow_null
    assert isinstance(fields["anything"], serializers.ListField)


def test_nested_and_listed_typed_dicts_are_their_serializers():
    """A nested TypedDict is its declared serializer; a list of them is that serializer, many."""

    class Stop(TypedDict):
        key: str

    @derived_from(Stop)
    class StopOutput(serializers.Serializer):
        pass

    class Route(TypedDict):
        start: Stop
        end: Stop | None
        stops: list[Stop]

    fields = shape_fields(Route)
    assert type(fields["start"]) is StopOutput
    assert type(fields["end"]) is StopOutput and fields["end"].allow_null
    assert isinstance(fields["stops"], serializers.ListSerializer)
    assert type(fields["stops"].child) is StopOutput
    assert serializer_for(Stop) is StopOutput

    @derived_from(Route)
    class RouteOutput(serializers.Serializer):
        pass

    route = {"start": {"key": "a"}, "end": None, "stops": [{"key": "b"}, {"key": "c"}]}
    assert RouteOutput(route).data == route


def test_annotated_metadata_sets_the_field_class_help_text_and_read_only():
    class Links(TypedDict):
        home: Annotated[str, Field(serializers.URLField, help_text="The home page.")]
        note: Annotated[str, Field(help_text="Free text.", read_only=True)]
        stop: Annotated[dict[str, Any] | None, Field(serializers.DictField)]
        later: Annotated[list[int], Field(serializers.ListField)]

    fields = shape_fields(Links)
    assert type(fields["home"]) is serializers.URLField
    assert fields["home"].help_text == "The home page."
    assert type(fields["note"]) is serializers.CharField
    assert fields["note"].help_text == "Free text." and fields["note"].read_only
    assert type(fields["stop"]) is serializers.DictField and fields["stop"].allow_null
    assert type(fields["later"]) is serializers.ListField
    assert not isinstance(fields["later"].child, serializers.IntegerField)  # used as is


def test_fields_keep_declared_order_base_keys_first_then_the_class_own():
    """A derived TypedDict's base keys come first; fields the class declares come last."""

    class Base(TypedDict):
        b: str
        a: int

    class Child(Base):
        z: bool
        c: str

    @derived_from(Child, component_name="TheChild")
    class ChildOutput(serializers.Serializer):
        extra = serializers.CharField(required=False)

    assert list(ChildOutput().fields) == ["b", "a", "z", "c", "extra"]
    assert get_override(ChildOutput, "component_name") == "TheChild"


def test_a_key_missing_from_the_data_is_an_error():
    """Every key a TypedDict requires is a required field, on output and on input."""

    class Pair(TypedDict):
        left: str
        right: int

    @derived_from(Pair)
    class PairOutput(serializers.Serializer):
        pass

    with pytest.raises(KeyError):
        PairOutput({"left": "x"}).data  # noqa: B018  # reading .data serializes
    incoming = PairOutput(data={"left": "x"})
    assert not incoming.is_valid()
    assert incoming.errors == {"right": ["This field is required."]}


def test_a_nested_typed_dict_without_a_serializer_is_refused():
    class Loose(TypedDict):
        key: str

    class Holder(TypedDict):
        loose: Loose

    with pytest.raises(TypeError, match="No serializer describes"):
        shape_fields(Holder)


def test_a_shape_has_one_serializer_and_the_class_does_not_restate_its_keys():
    class Once(TypedDict):
        key: str

    with pytest.raises(TypeError, match="already does"):

        @derived_from(Once)
        class Restated(serializers.Serializer):
            key = serializers.CharField()

    @derived_from(Once)
    class First(serializers.Serializer):
        pass

    with pytest.raises(TypeError, match="described already"):

        @derived_from(Once)
        class Second(serializers.Serializer):
            pass


def test_a_hand_written_serializer_describes_a_shape_only_with_every_key():
    class Shape(TypedDict):
        key: str
        title: str

    with pytest.raises(TypeError, match="no field for title"):

        @describes(Shape)
        class Partial(serializers.Serializer):
            key = serializers.CharField()

    @describes(Shape)
    class Whole(serializers.Serializer):
        title = serializers.CharField()
        key = serializers.CharField()

    assert serializer_for(Shape) is Whole


def test_types_without_a_field_are_refused():
    class Odd(TypedDict):
        either: int | str

    class Keyed(TypedDict):
        table: dict[int, str]

    with pytest.raises(TypeError, match=r"only `X \| None` unions"):
        shape_fields(Odd)
    with pytest.raises(TypeError, match="no field for"):
        shape_fields(Keyed)
    with pytest.raises(TypeError, match="not a TypedDict"):
        shape_fields(dict)
