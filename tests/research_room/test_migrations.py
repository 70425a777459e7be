import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from concepts.models import PracticeHint
from tests.concepts.factories import ConceptFactory

BEFORE = [("research_room", "0003_anchor_revision")]
AFTER = [("research_room", "0004_practice_hints_move_to_concepts")]


@pytest.mark.django_db(transaction=True)
def test_moving_hints_keeps_an_editors_edit_and_leaves_the_rest_to_the_files():
    """Hints as 0002 wrote them are dropped (concept.yaml carries them); an edited one is
    copied to its concept, so the edit survives the move."""
    written = importlib.import_module("research_room.migrations.0002_rlhf_practice_hints")
    rlhf = ConceptFactory(area="alignment", slug="rlhf")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("research_room", "PracticeHint")
    old.objects.create(concept_key=rlhf.key, number=1, text=written.HINTS[1])
    old.objects.create(concept_key=rlhf.key, number=2, text="An editor's own second hint.")
    old.objects.create(concept_key="concept:gone/page", number=1, text="Its concept is gone.")
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    moved = PracticeHint.objects.all()
    assert [(h.concept_id, h.number, h.body) for h in moved] == [
        (rlhf.pk, 2, "An editor's own second hint.")
    ]
