import time

import pytest
from django.core.exceptions import ValidationError

from demos import witnesses
from demos.catalogue import KINDS, params_hash
from demos.params import MESSAGES_PER_FIELD


def errors_of(kind: str, params) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        KINDS[kind].validate(params)
    return caught.value.message_dict


# Computed with the hand-written parameter classes these models replaced: a run cached then
# must be found again under the same hash.
HASHES_BEFORE_THE_MODELS = [
    ("reward-fit", {}, "51e5a6db162dc9b6bad12d98427b7b4d5a8e3a3cdaa1749310aab8f25b761256"),
    (
        "reward-fit",
        {"method": "gradient", "l2": 0.1},
        "473da13adb7e619edaac2e691daffb54d19aaf367757147da8afb8a51bc6274b",
    ),
    (
        "reward-fit",
        {
            "triplets": [
                [0, 1, 3],
                [1, 0, 1],
                [2, 3, 2],
                [3, 2, 1],
                [0, 2, 1],
                [2, 0, 1],
                [1, 3, 1],
                [3, 1, 1],
            ],
            "l2": 0,
        },
        "10086b13261ea58f3be88fab4486931b09bd5a0391584db98f76cebe53577b88",
    ),
    ("kl-policy", {}, "ea8f01f9e190b9c1b43f524abc71aa538d17e873847b703a19bb6bc731dff7ca"),
    (
        "kl-policy",
        {"beta": 1, "shift": -2.5},
        "20fc35ec4a51afd01248aa407cce049baae4969297d37498e378fb80141f99e1",
    ),
    (
        "kl-policy",
        {"rewards": [1, 0, -1]},
        "bea6f0f76afe865292d737576ceaeecb5d0880f097e2ca8b0c0f86ebda88a5a9",
    ),
    (
        "kl-policy",
        {"proxy_gap": True, "exploited_index": 1, "proxy_gap_size": 2},
        "f92c9cfdbb798bb6b1ff9fb3fa2f1f538d517e77b245a3fdd81906c733aecba8",
    ),
    ("reward-hacking", {}, "d0b504bd1567ab388752c0329161bc6698ab644a4f95452d8fbef60e411d16f9"),
    (
        "reward-hacking",
        {"proxy_rewards": [1, 2, 3, 4.5]},
        "0691051faea39ccff3832ead025cd68ed89cc309b94f8ed359336d0516fae7b9",
    ),
    (
        "reward-hacking",
        {"points": 10, "beta_min": 0.1},
        "30fa5ef51bc4f2ee42720c2792776e3222b4a855dd9bbd125fc973c61fd168ae",
    ),
    ("mle-fit", {}, "c2d7ec167e0a4ef1faba13a4e67daf964267013d8686cf31bd707d77d9a4b45f"),
    (
        "mle-fit",
        {"x": [0, 1, 2, 3], "y": [0, 1, 0, 1]},
        "84ac76759513dfd8ce0cadfb601aba99b5b51fdb928598dedcc9d9114ea1e62f",
    ),
    ("kl-asymmetry", {}, "a32951ba2e12af856b614cb1fc69a85198e2c41705ff825cd12821b877acebf7"),
    (
        "kl-asymmetry",
        {"p": [0.5, 0.5], "q": [0.25, 0.75]},
        "79c93b456600b955d3bd829d4b6f5d1cce6dbe5229ae670d5e7003f7d639aa14",
    ),
    ("reinforce-bandit", {}, "68dfb3287a4e8b78bdd74fdea597fc74466a82453ab42b6c32f49ce6eafe7713"),
    (
        "reinforce-bandit",
        {"logits": [1, 0, 0, 0], "seed": 3, "steps": 10},
        "ad4daa79d8daa08e43892019c4108980d9738c6b0c8b70638763f2ef6442a3ea",
    ),
    ("ppo-clip", {}, "1b699ace035c96c0adaed6123c0be22bc000e6f0ba88f1ec1d1f21821bda493d"),
    (
        "ppo-clip",
        {"epsilon": 0.1, "epochs": 5},
        "719ce987bbdf18a6efa1eade92e1b6b1c4903606a601dfd2724a47ca2f3b076a",
    ),
    ("bradley-terry", {}, "61607e8d4bed7099a4035c3ce5da8176b95d7d81dfaf0f85b81bb254b3b786cf"),
    (
        "bradley-terry",
        {"method": "newton"},
        "f22d5fd0e16dd040324216014ef693f0e37ce998b36fdc0e3f0a72c3a6992b39",
    ),
    ("dpo", {}, "e51ea901b33fb948c36f451304badba9a26581d41934a04303c7a1f5485a93cb"),
    (
        "dpo",
        {"beta": 2, "l2": 0.1, "K": 4},
        "2ee2d5522641aa0688b9494533c555ca8597f5eb047ab397488caf773e05dee7",
    ),
    ("overoptimization", {}, "0078ee413e04730cca9870454a46e4def130b3d071daa79ab22ecfe09d2ba6cf"),
    (
        "overoptimization",
        {"optimizer": "best-of-n", "n_max": 100},
        "f6b2131c862b4bdf558ae600979e552fa7f7ef1ee50ff68d28f2a26d2498189a",
    ),
    (
        "overoptimization",
        {"proxy_reward": [3, -2, 0, 1]},
        "bec44cd7ca1e18c6288bf58de90736bb80b4d407ea6d887d49c27c9ab63c65cc",
    ),
]


@pytest.mark.parametrize(("kind", "body", "digest"), HASHES_BEFORE_THE_MODELS)
def test_known_bodies_hash_as_they_did_before_the_models(kind, body, digest):
    """Canonical parameters, and so the hashes cached runs are stored under, are unchanged."""
    assert params_hash(kind, KINDS[kind].validate(body)) == digest


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("kl-policy", {"K": True}, "K"),
        ("kl-policy", {"exploited_index": False, "proxy_gap": True}, "exploited_index"),
        ("kl-policy", {"pi_ref": [True, 0.5, 0.25, 0.25]}, "pi_ref"),
        ("reinforce-bandit", {"steps": "10"}, "steps"),
        ("reinforce-bandit", {"seed": 2**70}, "seed"),
        ("reinforce-bandit", {"noise": -(10**400)}, "noise"),
        ("ppo-clip", {"epsilon": 0.0}, "epsilon"),
        ("bradley-terry", {"method": "mm\ud800"}, "method"),
        ("bradley-terry", {"wins": [[0, True], [1, 0]]}, "wins"),
        ("overoptimization", {"optimizer": ["best-of-n"]}, "optimizer"),
        ("dpo", {"pairs": {"0": [0, 1]}}, "pairs"),
        ("mle-fit", {"x": [[1.0, 2.0]]}, "x"),
    ],
)
def test_strict_types_refuse_lookalikes(kind, params, field):
    """Booleans are not numbers, strings not integers, and no value is coerced into a type."""
    assert field in errors_of(kind, params)


def test_unknown_fields_are_refused_listing_the_known_ones():
    """An unknown field is an error under its own name, listing the kind's parameters."""
    (message,) = errors_of("ppo-clip", {"epsilons": 0.1})["epsilons"]
    assert "unknown parameter for ppo-clip" in message and "epsilon, learning_rate" in message


def test_a_bad_item_names_its_position_and_what_it_got():
    """An item's message says which item and what JSON type it was."""
    (message,) = errors_of("kl-policy", {"pi_ref": [0.5, 0.3, "0.1", 0.1]})["pi_ref"]
    assert message == "item 2: Input should be a valid number, got string"


def test_many_bad_items_are_a_few_messages():
    """A list of bad numbers gives a few messages and a count, not one message per item."""
    messages = errors_of("mle-fit", {"x": [None] * 5_000, "y": [0, 1] * 2_500})["x"]
    assert len(messages) == MESSAGES_PER_FIELD + 1
    assert messages[-1] == f"and {5_000 - MESSAGES_PER_FIELD} more problems like these"


def test_whole_floats_read_as_integers_and_minus_zero_as_zero():
    """2.0 for K and -0.0 for l2 mean 2 and 0.0: the same run as the plain spelling."""
    spelled = KINDS["reward-fit"].validate({"K": 2.0, "l2": -0.0, "pairs": [[0, 1], [1, 0]]})
    plain = KINDS["reward-fit"].validate({"K": 2, "l2": 0, "pairs": [[0, 1], [1, 0]]})
    assert spelled == plain and type(spelled["K"]) is int and type(spelled["l2"]) is float


def test_validating_the_largest_request_stays_cheap():
    """100,000 pairs with l2 = 0 (Ford's condition searched) validate in linear time: about
    0.35 s on an idle development machine, bounded loosely for a shared one."""
    k = 1_000
    pairs = [[i % k, (i + 1) % k] for i in range(witnesses.MAX_PAIRS)]
    started = time.perf_counter()
    params = KINDS["reward-fit"].validate({"pairs": pairs, "K": k, "l2": 0})
    assert time.perf_counter() - started < 5.0
    assert len(params["pairs"]) == witnesses.MAX_PAIRS


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_published_schema_is_the_models(kind):
    """The catalogue's schema is the model's: every field with a default and a description,
    unknown fields refused."""
    schema = KINDS[kind].json_schema()
    assert schema == KINDS[kind].params.model_json_schema()
    assert schema["additionalProperties"] is False
    for name, prop in schema["properties"].items():
        assert "default" in prop and prop["description"], name
    assert {name: prop["default"] for name, prop in schema["properties"].items()} == (
        KINDS[kind].defaults()
    )
