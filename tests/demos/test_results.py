import pytest
from pydantic import ValidationError

from demos.catalogue import KINDS, demo_compute

from .test_params import HASHES_BEFORE_THE_MODELS

BODIES = [(kind, body) for kind, body, _ in HASHES_BEFORE_THE_MODELS] + [
    ("kl-asymmetry", {"p": [0.5, 0.5, 0.0], "q": [0.0, 0.5, 0.5]}),
    ("overoptimization", {"optimizer": "best-of-n", "proxy_reward": [3, -2, 0, 1]}),
]


def computed(kind: str, body: dict) -> dict:
    return demo_compute(kind, KINDS[kind].validate(body), lambda fraction: None)


@pytest.mark.parametrize(("kind", "body"), BODIES)
def test_each_kinds_real_result_validates_against_its_model(kind, body):
    """What a kind computes is what its result model (and so the API schema) says."""
    result = computed(kind, body)
    assert KINDS[kind].result.model_validate(result).model_dump(exclude_unset=True) == result


def test_a_result_with_a_field_its_model_does_not_name_is_refused():
    """The models name every field: a result that gains one fails until its model does."""
    result = computed("ppo-clip", {"epochs": 2})
    with pytest.raises(ValidationError):
        KINDS["ppo-clip"].result.model_validate({**result, "surprise": 1})


def test_an_infinite_divergence_is_a_null_the_model_allows():
    """KL(p‖q) with a zero of q under mass of p is reported as null, which the model permits."""
    result = computed("kl-asymmetry", {"p": [0.5, 0.5, 0.0], "q": [0.0, 0.5, 0.5]})
    model = KINDS["kl-asymmetry"].result.model_validate(result)
    assert model.kl_p_q is None and model.kl_p_q_infinite and model.fits is None
