"""The preference pages' demo kinds: bradley-terry, dpo and overoptimization, end to end."""

import json

import pytest
from django.core.exceptions import ValidationError

from claims.verification import invariant_for
from demos.catalogue import KINDS, demo_compute, params_hash
from demos.costs import CHEAP_QUEUE, EXPENSIVE_QUEUE, demo_run_cost
from demos.kinds_pages_preferences import DEFAULT_WINS
from demos.kinds_pages_rlhf import PAGE_PAIRS, PAGE_PI_REF
from demos.models import DemoRun
from demos.services import demo_run_execute

from .factories import DemoRunFactory

NEW_KINDS = ("bradley-terry", "dpo", "overoptimization")


def errors_of(kind: str, params) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        KINDS[kind].validate(params)
    return caught.value.message_dict


def run(kind: str, params: dict | None = None) -> dict:
    return demo_compute(kind, KINDS[kind].validate(params or {}), lambda fraction: None)


# Defaults and canonical parameters ---------------------------------------------------------


def test_defaults_are_the_pages_demos():
    """Empty requests mean the pages' demos: a 4-item round robin, the RLHF page's pairs with
    its π_ref, β and l2, and its learned rewards as gold with a proxy gap of 3 on candidate 3."""
    assert KINDS["bradley-terry"].validate({}) == {"method": "mm", "wins": DEFAULT_WINS}
    assert KINDS["dpo"].validate({}) == {
        "K": 4,
        "beta": 0.7,
        "l2": 0.05,
        "pairs": PAGE_PAIRS,
        "pi_ref": PAGE_PI_REF,
    }
    assert KINDS["overoptimization"].validate({}) == {
        "beta_max": 20.0,
        "beta_min": 0.05,
        "exploited_index": 3,
        "gold_reward": [2.674, -2.674, 0.0, 0.0],
        "optimizer": "kl-regularized",
        "pi_ref": PAGE_PI_REF,
        "points": 40,
        "proxy_gap": 3.0,
    }


def test_settings_an_optimiser_ignores_are_left_out_of_its_parameters():
    """best-of-n has no β and the KL sweep no n: neither can split one computation in two."""
    kind = KINDS["overoptimization"]
    assert kind.validate({"n_max": 50}) == kind.validate({})
    best_of_n = kind.validate({"optimizer": "best-of-n", "beta_min": 0.2})
    assert "beta_min" not in best_of_n and best_of_n["n_max"] == 1000
    assert params_hash("overoptimization", best_of_n) == params_hash(
        "overoptimization", kind.validate({"optimizer": "best-of-n"})
    )


def test_win_counts_written_as_whole_floats_hash_like_integers():
    """3.0 wins and 3 wins are the same parameter."""
    floats = [[float(count) for count in row] for row in DEFAULT_WINS]
    assert KINDS["bradley-terry"].validate({"wins": floats}) == KINDS["bradley-terry"].validate({})


def test_a_given_proxy_replaces_the_gap():
    """proxy_reward given directly leaves proxy_gap and exploited_index out."""
    params = KINDS["overoptimization"].validate({"proxy_reward": [1.0, 0.0, 0.0, 2.0]})
    assert params["proxy_reward"] == [1.0, 0.0, 0.0, 2.0]
    assert "proxy_gap" not in params and "exploited_index" not in params


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("bradley-terry", {"wins": [[0, 1], [1]]}, "wins"),
        ("bradley-terry", {"wins": [[0, -1], [1, 0]]}, "wins"),
        ("bradley-terry", {"wins": [[0, 1.5], [1, 0]]}, "wins"),
        ("bradley-terry", {"wins": [[0, True], [1, 0]]}, "wins"),
        ("bradley-terry", {"wins": [[2, 1], [1, 0]]}, "wins"),
        ("bradley-terry", {"wins": [[0]]}, "wins"),
        ("bradley-terry", {"wins": "[[0, 1], [1, 0]]"}, "wins"),
        ("bradley-terry", {"wins": [[0] * 51 for _ in range(51)]}, "wins"),
        ("bradley-terry", {"wins": [[0, 60_000], [50_000, 0]]}, "wins"),
        ("bradley-terry", {"wins": [[0, 1, 1], [0, 0, 1], [0, 1, 0]]}, "wins"),
        ("bradley-terry", {"method": "gradient"}, "method"),
        ("bradley-terry", {"l2": 0.1}, "l2"),
        ("dpo", {"beta": 0}, "beta"),
        ("dpo", {"beta": 1e400}, "beta"),
        ("dpo", {"beta": 101.0}, "beta"),
        ("dpo", {"l2": 0}, "pairs"),
        ("dpo", {"l2": -0.5}, "l2"),
        ("dpo", {"pairs": [[0, 4]]}, "pairs"),
        ("dpo", {"pairs": [[2, 2]]}, "pairs"),
        ("dpo", {"K": 201}, "K"),
        ("dpo", {"pi_ref": [0.5, 0.5]}, "pi_ref"),
        ("dpo", {"pi_ref": [0.5, 0.5, 0.0, 0.0]}, "pi_ref"),
        ("dpo", {"method": "page"}, "method"),
        ("overoptimization", {"optimizer": "ppo"}, "optimizer"),
        ("overoptimization", {"gold_reward": [1.0]}, "gold_reward"),
        ("overoptimization", {"gold_reward": [1.0, float("nan")]}, "gold_reward"),
        ("overoptimization", {"proxy_reward": [1.0, 2.0]}, "proxy_reward"),
        ("overoptimization", {"proxy_reward": [1, 2, 3, 4], "proxy_gap": 1.0}, "proxy_reward"),
        ("overoptimization", {"exploited_index": 4}, "exploited_index"),
        (
            "overoptimization",
            {"proxy_gap": 1.7e308, "gold_reward": [1.7e308, 0], "exploited_index": 0},
            "proxy_gap",
        ),
        ("overoptimization", {"beta_min": 5.0, "beta_max": 1.0}, "beta_max"),
        ("overoptimization", {"beta_min": 1e-9, "gold_reward": [1e300, 0]}, "beta_min"),
        ("overoptimization", {"n_max": 1}, "n_max"),
        ("overoptimization", {"n_max": 10**7}, "n_max"),
        ("overoptimization", {"points": 201}, "points"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(kind, params, field):
    """Each invalid parameter is a ValidationError keyed by that parameter."""
    assert field in errors_of(kind, params)


def test_fords_condition_is_checked_before_queuing():
    """The RLHF page's five pairs as a win matrix have no MLE: candidate 0 never loses. For
    plain DPO the message says the loss would keep falling."""
    page_wins = [[0, 1, 1, 1], [0, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]]
    (message,) = errors_of("bradley-terry", {"wins": page_wins})["wins"]
    assert "[0] never lose" in message and "l2" not in message
    (message,) = errors_of("dpo", {"l2": 0})["pairs"]
    assert "[0] never lose" in message and "keeps falling" in message


# Results ---------------------------------------------------------------------------------


def test_bradley_terry_result_shows_the_fit_and_the_likelihood_equations():
    """Strengths summing to 1, observed and expected wins that agree, MM checked by Newton."""
    result = run("bradley-terry")
    assert result["wins"] == DEFAULT_WINS and result["ranking"] == [0, 1, 2, 3]
    assert result["strength_sum"] == pytest.approx(1.0)
    assert result["expected_wins"] == pytest.approx(result["observed_wins"], abs=1e-9)
    assert result["cross_check"]["method"] == "newton"
    assert invariant_for("bradley-terry").holds(result)


def test_dpo_result_puts_dpo_beside_rlhf():
    """The DPO optimum and the RLHF π* agree; the implicit reward is r shifted by −β·log Z."""
    result = run("dpo")
    assert result["dpo_policy"] == pytest.approx(result["rlhf_policy"], abs=1e-14)
    assert [round(r, 3) for r in result["reward_model"]["rewards"]] == [2.674, -2.674, 0, 0]
    assert result["offset_spread"] < 1e-12
    assert invariant_for("dpo").holds(result)


@pytest.mark.parametrize("optimizer", ["kl-regularized", "best-of-n"])
def test_overoptimization_result_reports_the_kl_of_the_gold_peak(optimizer):
    """The proxy climbs while gold peaks inside the sweep; the peak's KL is reported."""
    result = run("overoptimization", {"optimizer": optimizer})
    assert result["proxy_reward"] == [2.674, -2.674, 0.0, 3.0]
    assert 0 < result["gold_peak"]["index"] < len(result["rows"]) - 1
    assert result["gold_peak"]["kl"] > 0 and result["overoptimized"]
    assert invariant_for("overoptimization").holds(result)


@pytest.mark.parametrize(
    ("kind", "params", "tamper"),
    [
        ("bradley-terry", {}, lambda r: r["expected_wins"].__setitem__(0, 23.0)),
        ("bradley-terry", {}, lambda r: r["cross_check"].update(max_abs_score_diff=0.1)),
        ("dpo", {}, lambda r: r["dpo_policy"].__setitem__(0, 0.5)),
        ("dpo", {}, lambda r: r["implicit_minus_rewards"].__setitem__(1, 0.0)),
        ("overoptimization", {"proxy_gap": 0.0}, lambda r: None),
        ("overoptimization", {}, lambda r: r["rows"][5].update(expected_proxy=-9.0)),
    ],
)
def test_invariants_fail_on_results_that_do_not_show_them(kind, params, tamper):
    """A result without the invariant (a gap in the likelihood equations, a DPO policy off
    π*, an honest proxy that never overoptimises, a falling proxy) does not verify."""
    result = run(kind, params)
    tamper(result)
    assert not invariant_for(kind).holds(result)


# Costs, API and charts ---------------------------------------------------------------------


def test_cost_estimates_route_small_runs_to_the_cheap_queue():
    """The pages' demos are cheap; a 50-item MM fit is estimated past the cheap queue's bound."""
    for kind in NEW_KINDS:
        cost = demo_run_cost(kind=kind, params=KINDS[kind].validate({}))
        assert cost.queue == CHEAP_QUEUE and cost.seconds < 0.5
    chain = [[1000 if j == i + 1 else 1 if j == i - 1 else 0 for j in range(50)] for i in range(50)]
    cost = demo_run_cost(
        kind="bradley-terry", params=KINDS["bradley-terry"].validate({"wins": chain})
    )
    assert cost.queue == EXPENSIVE_QUEUE and cost.driver == "wins"


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_throttle")
@pytest.mark.parametrize("kind", NEW_KINDS)
def test_a_valid_submission_queues_and_computes(learner_client, sent, kind):
    """POST with the defaults is a 202; the worker's run succeeds with a finite result."""
    response = learner_client.post(f"/api/v1/demos/{kind}/runs/", {}, format="json")
    assert response.status_code == 202, response.content
    demo_run_execute(run_id=response.json()["id"])
    run_row = DemoRun.objects.get()
    assert run_row.status == DemoRun.Status.SUCCEEDED, run_row.error
    json.dumps(run_row.result, allow_nan=False)
    assert invariant_for(kind).holds(run_row.result)


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_throttle")
@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("bradley-terry", '{"wins": [[0, 1, 1], [0, 0, 1], [0, 1, 0]]}', "wins"),
        ("bradley-terry", '{"wins": [[0, 1e400], [1, 0]]}', "wins"),
        ("dpo", '{"beta": -1}', "beta"),
        ("dpo", '{"l2": 0}', "pairs"),
        ("overoptimization", '{"points": 0}', "points"),
        ("overoptimization", '{"gold_reward": [1e308, -1e308], "beta_min": 1e-9}', "beta_min"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(
    learner_client, sent, kind, body, field
):
    """An invalid parameter is a 400 keyed by that parameter, before any row or message."""
    response = learner_client.post(
        f"/api/v1/demos/{kind}/runs/", data=body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert DemoRun.objects.count() == 0 and sent == []


@pytest.mark.django_db
def test_catalogue_entries_describe_the_new_kinds(anon_client):
    """GET /demos/<kind>/ lists each kind's schema with its defaults."""
    for kind in NEW_KINDS:
        entry = anon_client.get(f"/api/v1/demos/{kind}/").json()
        assert entry["kind"] == kind
        assert set(entry["parameters"]["properties"]) == set(entry["defaults"])
    wins = anon_client.get("/api/v1/demos/bradley-terry/").json()["parameters"]["properties"]
    assert wins["wins"]["maxItems"] == 50


@pytest.mark.django_db
@pytest.mark.parametrize("kind", NEW_KINDS)
def test_each_kind_has_a_chart(anon_client, kind):
    """plot.svg draws every new kind's result."""
    row = DemoRunFactory(kind=kind, params=KINDS[kind].validate({}))
    demo_run_execute(run_id=row.pk)
    response = anon_client.get(f"/api/v1/demo-runs/{row.pk}/plot.svg")
    assert response.status_code == 200 and b"<svg" in response.content
