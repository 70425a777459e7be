"""State versions change with every write to what they cover, by any door, and only then."""

import pytest
from django.db import connection, transaction

from concepts.models import Concept
from learning_platform.versions import current_versions, has_unversioned_writes
from research_room.models import ResearchDraft
from tests.concepts.factories import ConceptFactory

pytestmark = pytest.mark.django_db


def token(name: str) -> str:
    return current_versions()[name][0]


def test_an_orm_save_replaces_the_token_of_its_app_only():
    concept = ConceptFactory()
    concepts, claims = token("concepts"), token("claims")
    concept.title = "Renamed"
    concept.save()
    assert token("concepts") != concepts
    assert token("claims") == claims


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda c: Concept.objects.filter(pk=c.pk).update(title="X"), id="update"),
        pytest.param(lambda c: Concept.objects.filter(pk=c.pk).delete(), id="delete"),
        pytest.param(lambda c: ConceptFactory.create_batch(3), id="insert"),
        pytest.param(
            lambda c: connection.cursor().execute(
                "UPDATE concepts_concept SET title = %s WHERE id = %s", ["Raw", c.pk]
            ),
            id="raw-sql",
        ),
    ],
)
def test_bulk_and_raw_writes_replace_the_token(write):
    concept = ConceptFactory()
    before = token("concepts")
    write(concept)
    assert token("concepts") != before


def test_inside_a_transaction_the_token_changes_at_commit():
    concept = ConceptFactory()
    before = token("concepts")
    with transaction.atomic():
        Concept.objects.filter(pk=concept.pk).update(title="Inside")
        assert has_unversioned_writes()
        assert token("concepts") == before
    assert not has_unversioned_writes()
    assert token("concepts") != before


def test_a_rolled_back_write_leaves_the_token():
    concept = ConceptFactory()
    before = token("concepts")
    with pytest.raises(RuntimeError), transaction.atomic():
        Concept.objects.filter(pk=concept.pk).update(title="Never")
        raise RuntimeError
    assert token("concepts") == before
    assert not has_unversioned_writes()


def test_writes_elsewhere_leave_the_tokens(learner):
    before = current_versions()
    ResearchDraft.objects.filter(owner=learner).update(status="draft")
    assert current_versions() == before


@pytest.mark.django_db(transaction=True)
def test_committed_and_rolled_back_transactions_for_real():
    """Outside a test case's wrapping transaction: a real COMMIT and a real ROLLBACK."""
    concept = ConceptFactory()
    committed = token("concepts")
    with transaction.atomic():
        Concept.objects.filter(pk=concept.pk).update(title="Committed")
    assert token("concepts") != committed
    kept = token("concepts")
    with pytest.raises(RuntimeError), transaction.atomic():
        Concept.objects.filter(pk=concept.pk).update(title="Rolled back")
        raise RuntimeError
    assert token("concepts") == kept


def test_an_emptied_table_still_gives_versions_and_takes_the_next_write():
    """`manage.py flush` empties every table, this one included: reads go on, writes restore it."""
    from learning_platform.models import StateVersion

    StateVersion.objects.all().delete()
    assert set(current_versions()) == {"concepts", "claims"}
    ConceptFactory()
    assert token("concepts") != ""
    assert StateVersion.objects.filter(name="concepts").exists()
