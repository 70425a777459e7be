"""The demo kinds of the pages RLHF builds on: mle-fit, kl-asymmetry, reinforce-bandit and
ppo-clip. Defaults, canonical parameters, per-field refusals, results, costs and charts."""

import json

import pytest
from django.core.exceptions import ValidationError

from claims.verification import invariant_for
from demos import costs
from demos.catalogue import KINDS, demo_compute, demo_kind_describe, params_hash
from demos.kinds_pages_foundations import MLE_X, MLE_Y
from demos.models import DemoRun
from demos.services import demo_run_execute

FOUNDATION_KINDS = ("mle-fit", "kl-asymmetry", "reinforce-bandit", "ppo-clip")
DEFAULTS = {
    "mle-fit": {"x": MLE_X, "y": MLE_Y},
    "kl-asymmetry": {
        "p": [0.002, 0.1, 0.3, 0.05, 0.003, 0.005, 0.12, 0.4, 0.02],
        "q": [0.05, 0.1, 0.15, 0.2, 0.2, 0.15, 0.08, 0.05, 0.02],
    },
    "reinforce-bandit": {
        "learning_rate": 0.1,
        "logits": [0.0, 0.0, 0.0, 0.0],
        "mean_rewards": [5.0, 5.5, 4.5, 6.0],
        "noise": 1.0,
        "runs": 50,
        "samples": 5000,
        "seed": 0,
        "steps": 300,
    },
    "ppo-clip": {
        "epochs": 50,
        "epsilon": 0.2,
        "learning_rate": 1.0,
        "mean_rewards": [1.0, 0.0, 0.5, 0.2],
        "old_logits": [0.0, 0.0, 0.0, 0.0],
    },
}


def errors_of(kind: str, params) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        KINDS[kind].validate(params)
    return caught.value.message_dict


def computed(kind: str, **raw) -> dict:
    result = demo_compute(kind, KINDS[kind].validate(raw), lambda fraction: None)
    return json.loads(json.dumps(result, allow_nan=False))  # what a DemoRun stores


@pytest.mark.parametrize("kind", FOUNDATION_KINDS)
def test_an_empty_request_means_the_kinds_defaults(kind):
    """Every default filled in, keys sorted, logits defaulting to zeros (a uniform policy)."""
    params = KINDS[kind].validate({})
    assert params == DEFAULTS[kind]
    assert list(params) == sorted(params)


def test_equivalent_spellings_share_one_run():
    """Integer labels as floats, integer numbers, explicit zero logits: the same hash."""
    mle = KINDS["mle-fit"]
    assert mle.validate({"y": [float(v) for v in MLE_Y]})["y"] == MLE_Y
    pg = KINDS["reinforce-bandit"]
    spelled = pg.validate({"logits": [0, 0, 0, 0], "noise": 1, "steps": 300.0})
    assert params_hash("reinforce-bandit", spelled) == params_hash(
        "reinforce-bandit", pg.validate({})
    )
    assert params_hash("ppo-clip", KINDS["ppo-clip"].validate({"epsilon": 0.25})) != params_hash(
        "ppo-clip", KINDS["ppo-clip"].validate({})
    )


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("mle-fit", {"x": [1, 2, 3, 4], "y": [0, 0, 1, 1]}, "y"),
        ("mle-fit", {"x": [1, 2, 3], "y": [1, 1, 1]}, "y"),
        ("mle-fit", {"x": [1, 2, 3], "y": [0, 1]}, "y"),
        ("mle-fit", {"x": [1, 2, 3], "y": [0, 2, 1]}, "y"),
        ("mle-fit", {"x": [1, 2, 3], "y": [False, True, False]}, "y"),
        ("mle-fit", {"x": [2, 2, 2], "y": [0, 1, 0]}, "x"),
        ("mle-fit", {"x": [1, 2, 1e9], "y": [0, 1, 0]}, "x"),
        ("mle-fit", {"x": [1, float("nan"), 3], "y": [0, 1, 0]}, "x"),
        ("mle-fit", {"x": [0.0] * 10_001, "y": [0] * 10_001}, "x"),
        ("mle-fit", {"x": "1,2,3"}, "x"),
        ("kl-asymmetry", {"p": [0.5, 0.6]}, "p"),
        ("kl-asymmetry", {"q": [1.5, -0.5] + [0.0] * 7}, "q"),
        ("kl-asymmetry", {"q": [0.5, 0.5]}, "q"),
        ("kl-asymmetry", {"p": [float("inf"), 0.0]}, "p"),
        ("kl-asymmetry", {"p": [1 / 201] * 201, "q": [1 / 201] * 201}, "p"),
        ("reinforce-bandit", {"mean_rewards": [1.0]}, "mean_rewards"),
        ("reinforce-bandit", {"mean_rewards": [1e300, 0.0]}, "mean_rewards"),
        ("reinforce-bandit", {"mean_rewards": [0.0] * 51}, "mean_rewards"),
        ("reinforce-bandit", {"logits": [0.0, 0.0]}, "logits"),
        ("reinforce-bandit", {"logits": [0.0, 0.0, 0.0, 1e3]}, "logits"),
        ("reinforce-bandit", {"noise": -1.0}, "noise"),
        ("reinforce-bandit", {"noise": 1e7}, "noise"),
        ("reinforce-bandit", {"samples": 1}, "samples"),
        ("reinforce-bandit", {"samples": 200_001}, "samples"),
        ("reinforce-bandit", {"steps": 2001}, "steps"),
        ("reinforce-bandit", {"steps": 2000, "runs": 51}, "steps"),
        ("reinforce-bandit", {"runs": 0}, "runs"),
        ("reinforce-bandit", {"learning_rate": 0}, "learning_rate"),
        ("reinforce-bandit", {"learning_rate": 1e3}, "learning_rate"),
        ("reinforce-bandit", {"seed": -1}, "seed"),
        ("reinforce-bandit", {"seed": 2**32}, "seed"),
        ("reinforce-bandit", {"seed": 1.5}, "seed"),
        ("reinforce-bandit", {"baseline": 5.0}, "baseline"),
        ("ppo-clip", {"epsilon": 0}, "epsilon"),
        ("ppo-clip", {"epsilon": 1.5}, "epsilon"),
        ("ppo-clip", {"epsilon": float("nan")}, "epsilon"),
        ("ppo-clip", {"learning_rate": -1}, "learning_rate"),
        ("ppo-clip", {"epochs": 0}, "epochs"),
        ("ppo-clip", {"epochs": 1001}, "epochs"),
        ("ppo-clip", {"old_logits": [0.0, 0.0, 0.0]}, "old_logits"),
        ("ppo-clip", {"old_logits": [0.0, 0.0, 0.0, 31.0]}, "old_logits"),
        ("ppo-clip", {"mean_rewards": [0.0, -2e6]}, "mean_rewards"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(kind, params, field):
    """Each invalid parameter is a ValidationError keyed by that parameter, before any work."""
    assert field in errors_of(kind, params)


def test_several_bad_fields_are_reported_together():
    """A request with three bad fields learns about each of them at once."""
    errors = errors_of("ppo-clip", {"epsilon": 2, "epochs": 0, "learning_rate": "fast"})
    assert set(errors) == {"epsilon", "epochs", "learning_rate"}


def test_separated_labels_name_the_threshold():
    """Data with no finite maximum is a 400 that says why, not a fit that runs off to infinity."""
    message = errors_of("mle-fit", {"x": [1, 2, 3, 4], "y": [0, 0, 1, 1]})["y"][0]
    assert "separated at x = 2" in message and "no finite maximum" in message


def test_mle_fit_result_carries_the_bernoulli_and_logistic_fits():
    """p̂ = 7/12, the logistic fit converged with its information and standard errors."""
    result = computed("mle-fit")
    assert result["bernoulli"]["p_hat"] == 7 / 12
    logistic = result["logistic"]
    assert logistic["converged"] and len(logistic["standard_errors"]) == 2
    assert logistic["slope"] > 0 and result["likelihood_ratio"] > 0


def test_kl_asymmetry_result_shows_both_directions_and_both_fits():
    """Both directions differ; the reverse fit is narrower than the forward one."""
    result = computed("kl-asymmetry")
    assert result["kl_p_q"] != result["kl_q_p"] and result["gibbs_holds"]
    assert result["fits"]["forward"]["sigma"] > result["fits"]["reverse"]["sigma"]


def test_kl_asymmetry_with_an_infinite_direction_stores_as_json():
    """KL(p‖q) = ∞ is stored as null with a flag: the result is strict JSON."""
    result = computed("kl-asymmetry", p=[0.5, 0.5], q=[1.0, 0.0])
    assert result["kl_p_q"] is None and result["kl_p_q_infinite"] is True


def test_reinforce_and_ppo_results_show_their_lessons():
    """The baseline cuts the variance and helps training; PPO's clipped ascent stalls early."""
    pg = computed("reinforce-bandit")
    estimates = pg["estimates"]
    assert estimates["optimal"]["exact_variance"] < estimates["none"]["exact_variance"] / 10
    training = pg["training"]
    assert (
        training["running_mean"]["final_mean_expected_reward"]
        > training["none"]["final_mean_expected_reward"]
    )
    ppo = computed("ppo-clip")
    assert ppo["runs"]["clipped"]["stalled_at_epoch"] is not None
    assert ppo["runs"]["unclipped"]["final_kl_old_new"] > ppo["runs"]["clipped"]["final_kl_old_new"]


@pytest.mark.parametrize("kind", FOUNDATION_KINDS)
def test_each_kinds_default_result_passes_its_invariant(kind):
    """The invariant a claim resting on the demo is verified against holds on its defaults."""
    invariant = invariant_for(kind)
    assert invariant is not None and len(invariant.description) < 200
    assert invariant.holds(computed(kind))


@pytest.mark.parametrize(
    ("kind", "breaks"),
    [
        ("mle-fit", lambda r: r["logistic"].update(converged=False)),
        ("mle-fit", lambda r: r["bernoulli"].update(p_hat=0.5)),
        ("kl-asymmetry", lambda r: r.update(kl_p_q=r["kl_p_q"] * 0.9)),
        ("kl-asymmetry", lambda r: r.update(kl_q_q=1e-3)),
        ("reinforce-bandit", lambda r: r["estimates"]["value"].update(agrees=False)),
        ("reinforce-bandit", lambda r: r["estimates"]["optimal"].update(exact_variance=1e9)),
        ("ppo-clip", lambda r: r["runs"]["clipped"].update(max_clip_minus_cpi=0.1)),
        ("ppo-clip", lambda r: r["term_curve"].update(flat_above_for_positive=False)),
    ],
)
def test_a_result_breaking_its_invariant_fails_it(kind, breaks):
    """Each invariant reads the numbers: a result that contradicts them does not pass."""
    result = computed(kind)
    breaks(result)
    assert not invariant_for(kind).holds(result)


@pytest.mark.parametrize("kind", FOUNDATION_KINDS)
def test_catalogue_entry_lists_the_kinds_own_caps(kind):
    """Each kind describes its schema, its defaults and the caps it enforces."""
    entry = demo_kind_describe(KINDS[kind])
    assert set(entry["parameters"]["properties"]) == set(entry["defaults"])
    assert entry["caps"] and "max_K" not in entry["caps"]


def test_caps_appear_in_the_schemas():
    """Numeric bounds are in the JSON schema a client reads."""
    pg = KINDS["reinforce-bandit"].json_schema()["properties"]
    assert pg["learning_rate"]["maximum"] == 100.0 and pg["learning_rate"]["exclusiveMinimum"] == 0
    assert pg["steps"]["maximum"] == 2000 and pg["samples"]["maximum"] == 200_000
    assert KINDS["ppo-clip"].json_schema()["properties"]["epsilon"]["maximum"] == 0.9
    assert KINDS["mle-fit"].json_schema()["properties"]["x"]["maxItems"] == 10_000


@pytest.mark.parametrize("kind", FOUNDATION_KINDS)
def test_defaults_are_cheap_and_the_largest_runs_stay_under_the_cap(kind):
    """On defaults every kind is estimated well under a second; at its caps under 15 s."""
    cost = costs.demo_run_cost(kind=kind, params=KINDS[kind].validate({}))
    assert cost.queue == costs.CHEAP_QUEUE and cost.seconds < 0.05
    largest = {
        "mle-fit": {"x": list(range(10_000)), "y": [i % 2 for i in range(10_000)]},
        "kl-asymmetry": {"p": [1 / 200] * 200, "q": [1 / 200] * 200},
        "reinforce-bandit": {
            "mean_rewards": [1.0] * 50,
            "steps": 2000,
            "runs": 50,
            "samples": 200_000,
        },
        "ppo-clip": {"mean_rewards": [1.0] * 50, "epochs": 1000},
    }[kind]
    assert costs.demo_run_cost(kind=kind, params=KINDS[kind].validate(largest)).seconds < 2.0


# Through the API --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_throttle")
@pytest.mark.parametrize("kind", FOUNDATION_KINDS)
def test_a_valid_run_is_queued_computed_and_charted(kind, learner_client, anon_client, sent):
    """POST queues the run (202); once executed, its result and its SVG chart are served."""
    response = learner_client.post(f"/api/v1/demos/{kind}/runs/", {}, format="json")
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    demo_run_execute(run_id=run_id)
    body = anon_client.get(f"/api/v1/demo-runs/{run_id}/").json()
    assert body["status"] == "succeeded" and body["params"] == DEFAULTS[kind]
    assert invariant_for(kind).holds(body["result"])
    chart = anon_client.get(f"/api/v1/demo-runs/{run_id}/plot.svg")
    assert chart.status_code == 200 and b"<svg" in chart.content


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_throttle")
@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("mle-fit", '{"x": [1, 2, 3, 4], "y": [0, 0, 1, 1]}', "y"),
        ("mle-fit", '{"x": [1, 2, 1e400], "y": [0, 1, 0]}', "x"),
        ("kl-asymmetry", '{"p": [0.9, 0.2]}', "p"),
        ("kl-asymmetry", '{"q": null}', "q"),
        ("reinforce-bandit", '{"learning_rate": 1e6}', "learning_rate"),
        ("reinforce-bandit", '{"samples": 10000000}', "samples"),
        ("reinforce-bandit", '{"mean_rewards": [1e308, -1e308]}', "mean_rewards"),
        ("ppo-clip", '{"epsilon": -0.2}', "epsilon"),
        ("ppo-clip", '{"epochs": 1e9}', "epochs"),
        ("ppo-clip", '{"old_logits": "uniform"}', "old_logits"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(
    kind, body, field, learner_client, sent
):
    """Each invalid parameter is a 400 keyed by that parameter, with no run and no message."""
    response = learner_client.post(
        f"/api/v1/demos/{kind}/runs/", data=body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert DemoRun.objects.count() == 0 and sent == []
