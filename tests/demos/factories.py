import factory
from django.utils import timezone

from concepts.models import Concept, ConceptObject
from demos.catalogue import KINDS, code_version, params_hash
from demos.models import DemoRun


class DemoRunFactory(factory.django.DjangoModelFactory):
    """A kl-policy run on canonical parameters; each instance a distinct β."""

    class Meta:
        model = DemoRun

    kind = "kl-policy"
    params = factory.Sequence(lambda n: KINDS["kl-policy"].validate({"beta": 0.5 + n / 64}))
    params_hash = factory.LazyAttribute(lambda run: params_hash(run.kind, run.params))
    code_version = factory.LazyFunction(code_version)
    queued_at = factory.LazyFunction(timezone.now)
    enqueued_at = factory.LazyFunction(timezone.now)


class ConceptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Concept
        django_get_or_create = ("area", "slug")

    area = "alignment"
    area_title = "Alignment"
    slug = "rlhf"
    title = "RLHF: Reward Modeling + KL-Regularized Policy Optimization"
    summary = "RLHF trains a reward model from pairwise preferences."
    status = Concept.Status.PUBLISHED
    difficulty = 4


class DemoObjectFactory(factory.django.DjangoModelFactory):
    """The page's demo object: kind demo, anchor kl-policy, with the page's parameters."""

    class Meta:
        model = ConceptObject

    concept = factory.SubFactory(ConceptFactory)
    kind = ConceptObject.Kind.DEMO
    anchor = "kl-policy"
    title = "Explore RLHF: Reward Modeling + KL-Regularized Policy Optimization"
    body = "Change β, toggle a proxy reward gap, and add a reward shift."
    demo_kind = "kl-policy"
    params = factory.LazyFunction(lambda: {"beta": 0.7, "shift": 10.0})
