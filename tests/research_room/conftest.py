"""The RLHF page's objects as real concept rows, so every anchor goes through the real resolvers."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache

from claims.services import claim_create
from concepts.models import (
    Concept,
    ConceptObject,
    ConceptSource,
    PracticeHint,
    Prerequisite,
    Section,
    Source,
)

RLHF_TITLE = "RLHF: Reward Modeling + KL-Regularized Policy Optimization"
RLHF_SUMMARY = (
    "RLHF trains a reward model from pairwise preferences, then reweights a reference policy "
    "toward high learned reward while a KL penalty limits distribution shift."
)
RLHF_QUESTION = (
    f"What is the smallest example that makes {RLHF_TITLE} click without losing the math?"
)
PRACTICE_PROMPT = f"Before touching the demo, predict one visible change in {RLHF_TITLE}."
HINT_TEASER = "Reveal when your model needs a nudge."
HINTS = {
    1: "Write the update as π* ∝ π_ref·exp(r/β).",
    2: "Compare the ratios π*/π_ref = exp(r/β)/Z.",
    3: "A constant added to every reward cancels in Z.",
}


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast's passwords are never checked here: hash them cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _concept(area: str, area_title: str, slug: str, title: str, summary: str) -> Concept:
    return Concept.objects.create(
        area=area,
        area_title=area_title,
        slug=slug,
        title=title,
        summary=summary,
        status=Concept.Status.PUBLISHED,
        difficulty=4,
    )


@pytest.fixture
def rlhf(db):
    """concept:alignment/rlhf with its prerequisite, next concept, sources, objects and hints."""
    mle = _concept(
        "foundations",
        "Foundations",
        "maximum-likelihood",
        "Maximum Likelihood",
        "Fit by likelihood.",
    )
    concept = _concept("alignment", "Alignment", "rlhf", RLHF_TITLE, RLHF_SUMMARY)
    concept.anchored_question = RLHF_QUESTION
    concept.practice_heading = "Try the idea before it explains itself"
    concept.practice_prompt = PRACTICE_PROMPT
    concept.save()
    dpo = _concept(
        "alignment", "Alignment", "dpo", "Direct Preference Optimization", "Preferences directly."
    )
    Prerequisite.objects.create(concept=concept, prerequisite=mle, carry_in="Bring the model.")
    Prerequisite.objects.create(concept=dpo, prerequisite=concept, carry_out="Earn the edge.")
    christiano = Source.objects.create(
        key="christiano-2017-human-preferences",
        title="Deep reinforcement learning from human preferences",
        authors=["Christiano, Paul", "Leike, Jan"],
        year=2017,
    )
    ouyang = Source.objects.create(
        key="ouyang-2022-instructgpt",
        title="Training language models to follow instructions with human feedback",
        authors=["Ouyang, Long", "Wu, Jeff"],
        year=2022,
    )
    ConceptSource.objects.create(
        concept=concept, source=christiano, grounds="Reward models.", order=0
    )
    ConceptSource.objects.create(concept=concept, source=ouyang, grounds="The pipeline.", order=1)
    math = Section.objects.create(
        concept=concept, kind=Section.Kind.MATH, order=2, title="Math", body="Δ = r(y_w) − r(y_l)"
    )
    equation = ConceptObject.objects.create(
        concept=concept,
        section=math,
        kind=ConceptObject.Kind.EQUATION,
        anchor="reward-gap",
        title="Reward gap",
        body=r"\Delta = r_\phi(x,y_w) - r_\phi(x,y_\ell)",
        operational=True,
        order=1,
    )
    code = ConceptObject.objects.create(
        concept=concept,
        kind=ConceptObject.Kind.CODE,
        anchor="reward-model-and-policy",
        title="Reward model and policy",
        body="pi_star = kl_regularized_policy(r)",
        language="python",
        operational=True,
        order=2,
    )
    demo = ConceptObject.objects.create(
        concept=concept,
        kind=ConceptObject.Kind.DEMO,
        anchor="kl-policy",
        title="KL-regularized policy",
        body="Change β and add a reward shift.",
        demo_kind="kl-policy",
        params={"beta": 0.7, "shift": 10},
        order=3,
    )
    misconception = ConceptObject.objects.create(
        concept=concept,
        kind=ConceptObject.Kind.MISCONCEPTION,
        anchor="kl-prevents-reward-hacking",
        title="KL prevents reward hacking",
        body="It reduces the pressure; it does not make the proxy correct.",
        order=4,
    )
    for number, text in HINTS.items():
        PracticeHint.objects.create(concept=concept, number=number, teaser=HINT_TEASER, body=text)
    return SimpleNamespace(
        concept=concept,
        mle=mle,
        dpo=dpo,
        sources=[christiano, ouyang],
        section=math,
        equation=equation,
        code=code,
        demo=demo,
        misconception=misconception,
        demo_state="demo-state:alignment/rlhf#kl-policy?beta=0.7&shift=10",
    )


@pytest.fixture
def claim(rlhf):
    """claim:alignment/rlhf#preference-rm-kl, resting on both sources and the equation."""
    return claim_create(
        concept=rlhf.concept,
        key="claim:alignment/rlhf#preference-rm-kl",
        text="Preference-based RLHF learns a reward model from comparisons.",
        status="published",
        sources=[(rlhf.sources[0], "§2"), (rlhf.sources[1], "§3")],
        witnesses=[rlhf.equation],
    )
