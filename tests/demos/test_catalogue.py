import numpy as np
import pytest
from django.core.exceptions import ValidationError

from demos import witnesses
from demos.catalogue import (
    KINDS,
    code_version,
    demo_compute,
    demo_kind_describe,
    params_hash,
)
from demos.kinds_pages_rlhf import KL_POLICY_FIT_SHARE, MAX_PAGE_PAIRS, PAGE_PAIRS, PAGE_PI_REF


def errors_of(kind: str, params) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        KINDS[kind].validate(params)
    return caught.value.message_dict


def test_defaults_are_the_pages_values():
    """An empty request means the page's demo: its pairs, K, π_ref, β, shift and l2."""
    params = KINDS["kl-policy"].validate({})
    assert params == {
        "K": 4,
        "beta": 0.7,
        "l2": 0.05,
        "method": "newton",
        "pairs": PAGE_PAIRS,
        "pi_ref": PAGE_PI_REF,
        "proxy_gap": False,
        "shift": 10.0,
    }
    assert list(params) == sorted(params)


def test_equivalent_spellings_share_one_hash():
    """Integers for floats, explicit defaults, key order and the gradient alias hash alike."""
    kind = KINDS["kl-policy"]
    plain = kind.validate({})
    spelled = kind.validate(
        {"shift": 10, "method": "newton", "beta": 0.70, "K": 4, "pi_ref": PAGE_PI_REF}
    )
    assert params_hash("kl-policy", plain) == params_hash("kl-policy", spelled)
    page = KINDS["reward-fit"].validate({"method": "page"})
    alias = KINDS["reward-fit"].validate({"method": "gradient"})
    assert params_hash("reward-fit", page) == params_hash("reward-fit", alias)
    assert params_hash("kl-policy", plain) != params_hash("kl-policy", kind.validate({"beta": 1}))


def test_switched_off_proxy_gap_drops_its_settings():
    """With the toggle off, the gap's size cannot change the result, so it is not part of it."""
    kind = KINDS["kl-policy"]
    assert kind.validate({"proxy_gap_size": 5.0}) == kind.validate({})
    on = kind.validate({"proxy_gap": True})
    assert on["proxy_gap_size"] == 3.0 and on["exploited_index"] == 3


def test_given_rewards_replace_the_fit():
    """Rewards given directly set K and leave the fit's parameters out."""
    params = KINDS["kl-policy"].validate({"rewards": [1, 0, -1]})
    assert params["K"] == 3 and "pairs" not in params and "l2" not in params
    assert params["pi_ref"] == pytest.approx([1 / 3] * 3)


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("kl-policy", {"beta": 0}, "beta"),
        ("kl-policy", {"beta": -0.5}, "beta"),
        ("kl-policy", {"beta": float("nan")}, "beta"),
        ("kl-policy", {"beta": float("inf")}, "beta"),
        ("kl-policy", {"beta": 10**400}, "beta"),
        ("kl-policy", {"beta": "0.7"}, "beta"),
        ("kl-policy", {"beta": True}, "beta"),
        ("kl-policy", {"shift": float("-inf")}, "shift"),
        ("kl-policy", {"pi_ref": [0.5, 0.3, 0.1, 0.05]}, "pi_ref"),
        ("kl-policy", {"pi_ref": [0.5, 0.5, 0.0, 0.0]}, "pi_ref"),
        ("kl-policy", {"pi_ref": [0.5, 0.5]}, "pi_ref"),
        ("kl-policy", {"pi_ref": "uniform"}, "pi_ref"),
        ("kl-policy", {"pairs": [[0, 4]]}, "pairs"),
        ("kl-policy", {"pairs": [[2, 2]]}, "pairs"),
        ("kl-policy", {"pairs": [[0, 1.5]]}, "pairs"),
        ("kl-policy", {"pairs": [[0, 1, 2]]}, "pairs"),
        ("kl-policy", {"pairs": []}, "pairs"),
        ("kl-policy", {"pairs": [[-1, 0]]}, "pairs"),
        ("kl-policy", {"K": 1001}, "K"),
        ("kl-policy", {"K": 1}, "K"),
        ("kl-policy", {"K": 4.5}, "K"),
        ("kl-policy", {"gamma": 1.0}, "gamma"),
        ("kl-policy", {"method": "adam"}, "method"),
        ("kl-policy", {"l2": -0.1}, "l2"),
        ("kl-policy", {"rewards": [1.0, 0.0], "pairs": [[0, 1]]}, "rewards"),
        ("kl-policy", {"rewards": [1.0, 0.0], "K": 3}, "K"),
        ("kl-policy", {"rewards": [1e300, 0.0], "beta": 1e-10}, "beta"),
        ("kl-policy", {"proxy_gap": True, "exploited_index": 4}, "exploited_index"),
        ("kl-policy", {"proxy_gap": "yes"}, "proxy_gap"),
        ("reward-hacking", {"points": 201}, "points"),
        ("reward-hacking", {"beta_min": 5.0, "beta_max": 1.0}, "beta_max"),
        ("reward-hacking", {"proxy_rewards": [1.0, 2.0]}, "proxy_rewards"),
        ("reward-hacking", {"proxy_rewards": [1, 2, 3, 4], "proxy_gap": 1.0}, "proxy_rewards"),
        ("reward-hacking", {"true_utility": [1.0]}, "true_utility"),
        ("reward-fit", {"beta": 0.7}, "beta"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(kind, params, field):
    """Each invalid parameter is a ValidationError keyed by that parameter."""
    assert field in errors_of(kind, params)


def test_caps_on_pairs_and_k():
    """More than MAX_PAIRS pairs, or the page's slow loop on more than its cap, is refused."""
    too_many = [[0, 1]] * (witnesses.MAX_PAIRS + 1)
    assert "pairs" in errors_of("reward-fit", {"pairs": too_many})
    many = [[0, 1], [1, 0]] * (MAX_PAGE_PAIRS // 2 + 1)
    assert "method" in errors_of("reward-fit", {"pairs": many, "method": "page"})
    assert KINDS["reward-fit"].validate({"pairs": many})["method"] == "newton"


def test_unregularised_fit_without_a_maximum_is_refused_at_validation():
    """l2 = 0 with a candidate that never loses is a 400 on pairs, before any fit runs."""
    messages = errors_of("reward-fit", {"l2": 0})["pairs"]
    assert "never lose" in messages[0]
    cyclic = [[0, 1], [1, 2], [2, 3], [3, 0]]
    assert KINDS["reward-fit"].validate({"l2": 0, "pairs": cyclic})["l2"] == 0.0


def test_all_field_errors_are_reported_together():
    """A request with several bad fields learns about each of them at once."""
    errors = errors_of("kl-policy", {"beta": -1, "shift": "x", "nope": 1})
    assert set(errors) == {"beta", "shift", "nope"}


def test_non_object_parameters_are_refused():
    """A JSON array (or anything but an object) as parameters is an error on params."""
    assert "params" in errors_of("kl-policy", [1, 2])


def test_reward_fit_page_method_reproduces_the_page():
    """The page's loop gives the page's printed rewards [2.674, -2.674, 0, 0]."""
    params = KINDS["reward-fit"].validate({"method": "page"})
    result = demo_compute("reward-fit", params, lambda fraction: None)
    assert np.round(result["rewards"], 3).tolist() == [2.674, -2.674, 0.0, 0.0]
    assert result["fit"]["iterations"] == witnesses.PAGE_STEPS
    assert result["pair_probabilities"]["total"] == 5


def test_kl_policy_result_carries_everything_the_page_shows():
    """Rewards, π_ref, π*, shifted π* and their agreement, KL, J, pair probabilities, DPO."""
    progress: list[float] = []
    result = demo_compute("kl-policy", KINDS["kl-policy"].validate({}), progress.append)
    expected = witnesses.kl_regularized_policy(
        np.array(result["learned_rewards"]), PAGE_PI_REF, 0.7
    )
    assert result["pi_star"] == pytest.approx(expected.tolist(), abs=1e-12)
    assert result["pi_shifted"] == pytest.approx(result["pi_star"], abs=1e-12)
    assert result["shift_invariant"] is True
    assert result["pi_ref"] == PAGE_PI_REF
    assert result["kl"] > 0 and result["objective"] == pytest.approx(
        result["expected_reward"] - 0.7 * result["kl"]
    )
    assert result["dpo_residual"] < 1e-12
    assert result["fit"]["converged"] is True
    assert len(result["pair_probabilities"]["values"]) == 5
    assert progress and progress == sorted(progress) and progress[-1] == KL_POLICY_FIT_SHARE
    assert result["proxy"] is None and result["sweep"] is None


def test_proxy_gap_moves_mass_to_the_overrated_candidate_and_sweeps_beta():
    """With the proxy toggle on, π* favours the exploited candidate and a sweep is attached."""
    params = KINDS["kl-policy"].validate({"proxy_gap": True})
    result = demo_compute("kl-policy", params, lambda fraction: None)
    proxy = result["proxy"]
    assert result["pi_star"][3] > proxy["pi_star_without_gap"][3]
    assert proxy["expected_true_utility"] < proxy["expected_true_utility_without_gap"]
    assert 0.7 in result["sweep"]["betas"]


def test_reward_hacking_finds_where_lowering_beta_costs_true_utility():
    """The sweep table has one row per point and names the β of maximal true utility."""
    params = KINDS["reward-hacking"].validate({"points": 30})
    result = demo_compute("reward-hacking", params, lambda fraction: None)
    assert len(result["rows"]) == 30
    best = result["beta_at_max_true_utility"]
    assert params["beta_min"] < best < params["beta_max"]
    assert result["proxy_argmax"] == 3 and result["true_argmax"] == 0


def test_catalogue_entry_describes_schema_defaults_and_caps():
    """Each kind lists a JSON schema whose defaults match what validation fills in, and its
    caps: the catalogue's, or the kind's own."""
    for kind in KINDS.values():
        entry = demo_kind_describe(kind)
        schema = entry["parameters"]
        assert schema["additionalProperties"] is False
        assert set(schema["properties"]) == set(entry["defaults"])
        if kind.caps is None:
            assert entry["caps"]["max_K"] == witnesses.MAX_K
        else:
            assert entry["caps"] == dict(kind.caps)
        assert entry["code_version"] == code_version()


# [winner, loser, count] triplets ----------------------------------------------------------

PAGE_TRIPLETS = [[0, 1, 3], [0, 2, 1], [2, 1, 2], [3, 1, 1], [0, 3, 1], [1, 0, 1]]


def expand(triplets: list[list[int]]) -> list[list[int]]:
    return [[w, lo] for w, lo, c in triplets for _ in range(c)]


@pytest.mark.parametrize("kind", ["reward-fit", "kl-policy"])
def test_triplets_fit_the_same_rewards_as_the_pairs_they_count(kind):
    """[w, l, c] is c battles w won: the fit, N and the likelihood equal the expanded pairs'."""
    triplets = KINDS[kind].validate({"triplets": PAGE_TRIPLETS})
    assert "pairs" not in triplets and triplets["triplets"] == PAGE_TRIPLETS
    pairs = KINDS[kind].validate({"pairs": expand(PAGE_TRIPLETS)})
    counted = demo_compute(kind, triplets, lambda fraction: None)
    listed = demo_compute(kind, pairs, lambda fraction: None)
    rewards = "rewards" if kind == "reward-fit" else "learned_rewards"
    assert counted[rewards] == pytest.approx(listed[rewards], abs=1e-12)
    summary, expected = counted["pair_probabilities"], listed["pair_probabilities"]
    assert summary["total"] == expected["total"] == 9 and summary["rows"] == 6
    for name in ("mean", "agreement", "mean_log_likelihood"):
        assert summary[name] == pytest.approx(expected[name], abs=1e-12)
    assert len(summary["values"]) == 6


def test_triplets_that_all_count_one_share_the_pairs_run():
    """Triplets with every count 1 canonicalise to the pairs, so both hash to one run."""
    as_triplets = KINDS["kl-policy"].validate({"triplets": [[*p, 1] for p in PAGE_PAIRS]})
    assert as_triplets == KINDS["kl-policy"].validate({})
    assert params_hash("kl-policy", as_triplets) == params_hash(
        "kl-policy", KINDS["kl-policy"].validate({"pairs": PAGE_PAIRS})
    )


def test_a_million_battles_fit_in_one_request():
    """Rows are capped, not battles: 10⁶ battles over K = 200 are 19,900 triplets."""
    k = 200
    rng = np.random.default_rng(0)
    first, second = np.triu_indices(k, 1)
    games = np.full(first.size, 50)
    games[: 10**6 - int(games.sum())] += 1  # 19,900 couples, 10⁶ games between them
    wins = rng.binomial(games, 0.5)
    rows = [[int(i), int(j), int(w)] for i, j, w in zip(first, second, wins, strict=True) if w]
    rows += [
        [int(j), int(i), int(g - w)]
        for i, j, g, w in zip(first, second, games, wins, strict=True)
        if g > w
    ]
    params = KINDS["reward-fit"].validate({"triplets": rows, "K": k, "l2": 0})
    result = demo_compute("reward-fit", params, lambda fraction: None)
    assert result["pair_probabilities"]["total"] == int(games.sum()) == 10**6
    assert result["fit"]["converged"] is True


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"triplets": [[0, 1]]}, "triplets"),
        ({"triplets": [[0, 1, 2], [0, 1]]}, "triplets"),
        ({"triplets": [[[0, 1, 2]]]}, "triplets"),
        ({"triplets": [[0, 1, 0]]}, "triplets"),
        ({"triplets": [[0, 1, -4]]}, "triplets"),
        ({"triplets": [[0, 1, 2.0]]}, "triplets"),
        ({"triplets": [[0, 1, True]]}, "triplets"),
        ({"triplets": [[0, 1, None]]}, "triplets"),
        ({"triplets": [[0, 1, "2"]]}, "triplets"),
        ({"triplets": [[0, 1, 2**63]]}, "triplets"),
        ({"triplets": [[0, 1, 2**70]]}, "triplets"),
        ({"triplets": [[0, 1, witnesses.MAX_BATTLES], [1, 0, 1]]}, "triplets"),
        ({"triplets": [[0, 4, 2]]}, "triplets"),
        ({"triplets": [[0, 4, 1]]}, "triplets"),
        ({"triplets": [[2, 2, 2]]}, "triplets"),
        ({"triplets": [[-1, 0, 2]]}, "triplets"),
        ({"triplets": []}, "triplets"),
        ({"triplets": "0,1,2"}, "triplets"),
        ({"triplets": [[0, 1, 2]] * (witnesses.MAX_PAIRS + 1)}, "triplets"),
        ({"triplets": [[0, 1, 2]], "pairs": [[0, 1]]}, "triplets"),
        ({"triplets": [[0, 1, 5], [1, 2, 5], [2, 3, 1]], "l2": 0}, "triplets"),
        ({"triplets": [[0, 1, 3000], [1, 0, 2001]], "method": "page"}, "method"),
        ({"pairs": [[0, True]]}, "pairs"),
        ({"pairs": [[0, 2**64]]}, "pairs"),
    ],
)
@pytest.mark.parametrize("kind", ["reward-fit", "kl-policy"])
def test_bad_triplets_are_refused_naming_the_field(kind, params, field):
    assert field in errors_of(kind, params)


def test_triplets_beside_given_rewards_are_refused_on_rewards():
    assert "rewards" in errors_of("kl-policy", {"rewards": [1.0, 0.0], "triplets": [[0, 1, 2]]})


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("reward-fit", {"method": "page"}),
        ("reward-fit", {}),
        ("kl-policy", {"proxy_gap": True}),
        ("bradley-terry", {}),
        ("dpo", {}),
        ("reinforce-bandit", {}),
        ("ppo-clip", {}),
        ("overoptimization", {"optimizer": "best-of-n"}),
    ],
)
def test_iterative_kinds_report_progress_between_0_and_1_without_changing_results(kind, params):
    """A fit's or sweep's kind reports rising fractions strictly inside (0, 1) on the way."""
    canonical = KINDS[kind].validate(params)
    progress: list[float] = []
    result = demo_compute(kind, canonical, progress.append)
    assert result == demo_compute(kind, canonical, lambda fraction: None)
    assert progress == sorted(progress) and all(0.0 < value <= 1.0 for value in progress)
    assert any(0.0 < value < 1.0 for value in progress)
