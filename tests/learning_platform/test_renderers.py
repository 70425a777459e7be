"""The fast JSON renderer writes what DRF's own renderer writes, byte for byte."""

import datetime
import decimal
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from learning_platform.renderers import FastJSONRenderer

VALUES = {
    "text": 'π* ∝ π_ref·exp(r/β) \u2028 \u2029 "quoted" \\ back',
    "numbers": [0, -1, 2**63 - 1, 0.1, 1e-300, 123456.789],
    "nested": {"a": [True, False, None, {"b": []}]},
    "when": datetime.datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=datetime.UTC),
    "day": datetime.date(2026, 12, 2),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": gettext_lazy("Not yet published"),
    "decimal": decimal.Decimal("1.50"),
}


def test_same_bytes_as_drf_for_every_kind_of_value():
    assert FastJSONRenderer().render(VALUES) == JSONRenderer().render(VALUES)


@pytest.mark.parametrize("value", [2**64, -(2**70), 10**400])
def test_integers_past_64_bits_still_render(value):
    assert FastJSONRenderer().render({"n": value}) == JSONRenderer().render({"n": value})


def test_an_indent_asked_for_is_honoured():
    rendered = FastJSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert rendered == b'{\n  "a": 1\n}'


@pytest.mark.django_db
def test_the_real_page_renders_identically(loaded_client_page):
    data = loaded_client_page
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


@pytest.fixture
def loaded_client_page(db, anon_client):
    from django.core.management import call_command

    call_command("load_content", "content", verbosity=0)
    response = anon_client.get("/api/v1/concepts/alignment/rlhf/")
    assert response.status_code == 200
    return response.json()
