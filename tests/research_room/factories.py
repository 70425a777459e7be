import factory

from research_room.models import ResearchDraft


class DraftFactory(factory.django.DjangoModelFactory):
    """A stored draft; anchor fields as draft_create would record them for the RLHF concept."""

    class Meta:
        model = ResearchDraft

    owner = None
    anchor_key = "concept:alignment/rlhf"
    anchor_kind = "concept"
    anchor_concept_key = "concept:alignment/rlhf"
    anchor_title = "RLHF: Reward Modeling + KL-Regularized Policy Optimization"
    anchor_url = "/api/v1/concepts/alignment/rlhf/"
    anchor_version = "v1"
    question = factory.Sequence(lambda n: f"Question {n}: why does β keep π* near π_ref?")
    note = factory.Sequence(lambda n: f"Note {n}")
    evidence = factory.LazyFunction(lambda: ["Source ids to inspect: christiano-2017"])
    resolution = factory.LazyFunction(lambda: ["The learner can state the mechanism"])
