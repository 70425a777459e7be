import pytest

from .factories import linked_claim


@pytest.fixture
def claim(db):
    """A published claim with two sources (with snapshots) and two witnesses."""
    return linked_claim()
