import pytest
from django.core.exceptions import ValidationError

from learning_platform.services import model_update
from tests.claims.factories import ClaimFactory
from tests.concepts.factories import ConceptFactory


def test_only_the_fields_that_differ_are_set_and_named(db):
    claim = ClaimFactory(text="Old text.", order=3)
    changed = model_update(
        instance=claim,
        fields=("text", "order", "status"),
        data={"order": 3, "text": "New text."},
    )
    assert changed == ["text"]
    assert claim.text == "New text." and claim.order == 3


def test_a_field_outside_the_allowed_ones_is_refused_before_anything_changes(db):
    claim = ClaimFactory(text="Old text.")
    with pytest.raises(ValidationError) as refused:
        model_update(
            instance=claim,
            fields=("text",),
            data={"text": "New text.", "fingerprint": "0" * 64},
            refused="Not a claim field.",
        )
    assert refused.value.message_dict == {"fingerprint": ["Not a claim field."]}
    assert claim.text == "Old text."


def test_the_callers_checks_run_before_anything_changes(db):
    claim = ClaimFactory(text="Old text.")

    def clean(data):
        raise ValidationError({"text": ["Too short."]})

    with pytest.raises(ValidationError):
        model_update(instance=claim, fields=("text",), data={"text": "x"}, clean=clean)
    assert claim.text == "Old text."


def test_a_foreign_key_is_compared_by_its_id_without_reading_the_row(db, django_assert_num_queries):
    created = ClaimFactory()
    same, other = created.concept, ConceptFactory()
    claim = type(created).objects.get(pk=created.pk)  # its concept not read
    with django_assert_num_queries(0):
        assert model_update(instance=claim, fields=("concept",), data={"concept": same}) == []
        assert model_update(instance=claim, fields=("concept",), data={"concept": other}) == [
            "concept"
        ]
    assert claim.concept_id == other.pk
