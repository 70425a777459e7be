"""Practice hints move to their concept (concepts.PracticeHint), loaded from concept.yaml.

The hints 0002 wrote are in the RLHF concept's file now, so they are not copied: the next
load_content brings them in with their teasers. A hint an editor changed since is copied to its
concept, so that no edit is lost; the next load then reports it as a database edit.
"""

import importlib

from django.db import migrations


def keep_edited_hints(apps, schema_editor):
    OldHint = apps.get_model("research_room", "PracticeHint")
    NewHint = apps.get_model("concepts", "PracticeHint")
    Concept = apps.get_model("concepts", "Concept")
    written = importlib.import_module("research_room.migrations.0002_rlhf_practice_hints")
    for hint in OldHint.objects.all():
        if hint.concept_key == written.CONCEPT and written.HINTS.get(hint.number) == hint.text:
            continue
        area, _, slug = hint.concept_key.removeprefix("concept:").partition("/")
        concept = Concept.objects.filter(area=area, slug=slug).first()
        if concept is not None:
            NewHint.objects.update_or_create(
                concept=concept, number=hint.number, defaults={"body": hint.text}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("research_room", "0003_anchor_revision"),
        ("concepts", "0006_learner_texts_and_practice_hints"),
    ]

    operations = [
        migrations.RunPython(keep_edited_hints, migrations.RunPython.noop),
        migrations.DeleteModel(name="PracticeHint"),
    ]
