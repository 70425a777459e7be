import datetime
import hashlib
import itertools

import pytest
from django.core.exceptions import ValidationError

from concepts.models import Prerequisite, SourceSnapshot
from concepts.services import prerequisite_add, prerequisite_cycle, snapshot_store

from .factories import ConceptFactory, PrerequisiteFactory, SourceFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 5, 6)


def test_prerequisite_add_stores_notes_and_appends_in_order():
    """An edge keeps its carry-in/carry-out notes and goes after the existing prerequisites."""
    concept = ConceptFactory()
    first = PrerequisiteFactory(concept=concept)
    edge = prerequisite_add(
        concept=concept, prerequisite=ConceptFactory(), carry_in="in", carry_out="out"
    )
    assert (edge.carry_in, edge.carry_out) == ("in", "out")
    assert (first.order, edge.order) == (0, 1)


def test_two_cycle_is_refused_naming_it():
    """a/x → b/y exists; adding b/y → a/x is refused with 'would close the cycle …'."""
    x = ConceptFactory(area="a", slug="x")
    y = ConceptFactory(area="b", slug="y")
    prerequisite_add(concept=x, prerequisite=y)
    with pytest.raises(ValidationError) as caught:
        prerequisite_add(concept=y, prerequisite=x)
    assert caught.value.message_dict["prerequisite"] == [
        "This edge would close the cycle b/y → a/x → b/y."
    ]
    assert Prerequisite.objects.count() == 1


def test_long_cycle_is_named_hop_by_hop():
    """A cycle through four concepts is named in full, in dependency order."""
    a, b, c, d = (ConceptFactory(area="t", slug=s) for s in "abcd")
    PrerequisiteFactory(concept=a, prerequisite=b)
    PrerequisiteFactory(concept=b, prerequisite=c)
    PrerequisiteFactory(concept=c, prerequisite=d)
    with pytest.raises(ValidationError) as caught:
        prerequisite_add(concept=d, prerequisite=a)
    assert "would close the cycle t/d → t/a → t/b → t/c → t/d" in str(caught.value)


def test_self_edge_is_refused():
    """A concept cannot be its own prerequisite."""
    a = ConceptFactory(area="t", slug="a")
    with pytest.raises(ValidationError) as caught:
        prerequisite_add(concept=a, prerequisite=a)
    assert "would close the cycle t/a → t/a" in str(caught.value)
    assert not Prerequisite.objects.exists()


def test_duplicate_edge_is_refused():
    """The same edge twice is a validation error, not an integrity error."""
    edge = PrerequisiteFactory()
    with pytest.raises(ValidationError, match="already a prerequisite"):
        prerequisite_add(concept=edge.concept, prerequisite=edge.prerequisite)


def test_cycle_check_loads_the_graph_in_one_query(django_assert_max_num_queries):
    """The check costs the same whether the graph has 3 edges or 300 (edges + names)."""
    chain = [ConceptFactory() for _ in range(301)]
    for lower, higher in itertools.pairwise(chain):
        Prerequisite.objects.create(concept=higher, prerequisite=lower)
    with django_assert_max_num_queries(2):
        cycle = prerequisite_cycle(concept_id=chain[0].pk, prerequisite_id=chain[-1].pk)
    assert len(cycle) == 302
    assert cycle[0] == cycle[-1] == chain[0].path


def test_snapshot_store_computes_hash_and_size_and_stores_the_file():
    """The hash and size come from the bytes; the stored file holds exactly those bytes."""
    source = SourceFactory()
    content = b"A record written in our own words.\n"
    snapshot, state = snapshot_store(
        source=source, content=content, media_type="text/plain", retrieved_on=DAY
    )
    assert state == "created"
    assert snapshot.sha256 == hashlib.sha256(content).hexdigest()
    assert snapshot.size_bytes == len(content)
    with snapshot.file.open("rb") as handle:
        assert handle.read() == content


def test_identical_bytes_create_no_new_snapshot():
    """Storing the latest bytes again adds no row; new bytes add one and keep the old."""
    source = SourceFactory()
    snapshot_store(source=source, content=b"one", media_type="text/plain", retrieved_on=DAY)
    _, state = snapshot_store(
        source=source, content=b"one", media_type="text/plain", retrieved_on=DAY
    )
    assert state == "unchanged"
    assert SourceSnapshot.objects.filter(source=source).count() == 1
    snapshot_store(source=source, content=b"two", media_type="text/plain", retrieved_on=DAY)
    assert SourceSnapshot.objects.filter(source=source).count() == 2


def test_snapshot_hash_mismatch_is_refused():
    """A recorded sha256 that the bytes do not match is refused and nothing is stored."""
    source = SourceFactory()
    with pytest.raises(ValidationError, match="does not match"):
        snapshot_store(
            source=source,
            content=b"bytes",
            media_type="text/plain",
            retrieved_on=DAY,
            expected_sha256="0" * 64,
        )
    assert not SourceSnapshot.objects.exists()


def test_oversized_snapshot_is_refused(settings):
    """Bytes over SNAPSHOT_MAX_BYTES are refused with the size and the limit."""
    settings.SNAPSHOT_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="11 bytes; the limit is 10 bytes"):
        snapshot_store(
            source=SourceFactory(), content=b"x" * 11, media_type="text/plain", retrieved_on=DAY
        )
