"""The RLHF concept's three practice hints; editors revise them in the admin afterwards."""

from django.db import migrations

CONCEPT = "concept:alignment/rlhf"

HINTS = {
    1: (
        "Write the update out: π*(y|x) = π_ref(y|x)·exp(r(x,y)/β) / Z(x). Each completion keeps "
        "its reference probability, multiplied by a reward bonus, and then everything is "
        "renormalized. Which completion gets the largest bonus relative to the others?"
    ),
    2: (
        "Look at the ratio π*/π_ref = exp(r/β)/Z. The completion with the highest learned reward "
        "has the largest ratio; how much probability it actually gains also depends on how much "
        "π_ref gave it. A smaller β sharpens the reweighting, a larger β keeps π* near π_ref."
    ),
    3: (
        "Add the same constant c to every reward: every exp(r/β) is multiplied by exp(c/β), and "
        "so is Z, so π* does not move. Only reward differences and β shape the policy, just as "
        "only reward gaps Δ enter the preference probability σ(Δ)."
    ),
}


def add_hints(apps, schema_editor):
    PracticeHint = apps.get_model("research_room", "PracticeHint")
    for number, text in HINTS.items():
        PracticeHint.objects.get_or_create(
            concept_key=CONCEPT, number=number, defaults={"text": text}
        )


class Migration(migrations.Migration):
    dependencies = [("research_room", "0001_initial")]

    operations = [migrations.RunPython(add_hints, migrations.RunPython.noop)]
