import pytest
from django.db import connection

from .factories import linked_claim


@pytest.fixture
def claim(db):
    """A published claim with two sources (with snapshots) and two witnesses."""
    return linked_claim()


@pytest.fixture
def tamper():
    """Raw SQL on the reviews table, as someone with database access could run it.

    On PostgreSQL the append-only trigger is disabled for the test's transaction (the change is
    rolled back with it), so that the chain check can be shown catching what gets through.
    """

    def run(sql: str, params=()):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Deferred foreign-key checks pending in the test's transaction would block the
                # ALTER TABLE: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    "ALTER TABLE claims_claimreview DISABLE TRIGGER claims_claimreview_append_only"
                )
            cursor.execute(sql, params)
            if connection.vendor == "postgresql":
                cursor.execute(
                    "ALTER TABLE claims_claimreview ENABLE TRIGGER claims_claimreview_append_only"
                )
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    return run
