import pytest

from demos.models import DemoRun
from demos.services import demo_run_execute
from demos.tasks import demo_run_task
from research_room.models import PracticePrediction, PracticeProgress

from .conftest import HINT_TEASER, HINTS, PRACTICE_PROMPT

pytestmark = pytest.mark.django_db

PRACTICE = "/api/v1/research-room/practice/alignment/rlhf/"


@pytest.fixture
def sent(monkeypatch):
    """demos.run messages are recorded instead of reaching a broker."""
    run_ids: list[str] = []
    monkeypatch.setattr(
        demo_run_task, "apply_async", lambda args=None, **options: run_ids.append(args[0])
    )
    return run_ids


def _predict(client, **data):
    body = {"text": "Candidate 0 gains; a shift changes nothing.", **data}
    return client.post(f"{PRACTICE}prediction/", body, format="json")


def test_initial_state_shows_nothing_committed_and_zero_of_three(learner_client, rlhf):
    """Before anything: no prediction, no hint revealed of 3, and "0/3 checks ready"."""
    response = learner_client.get(PRACTICE)
    assert response.status_code == 200
    state = response.json()
    assert state["concept"] == "concept:alignment/rlhf"
    assert state["demo_state"] == rlhf.demo_state
    assert state["prediction"] is None
    assert state["heading"] == "Try the idea before it explains itself"
    assert state["prompt"] == PRACTICE_PROMPT
    assert state["hints"] == {
        "available": 3,
        "revealed": 0,
        "teasers": [{"number": n, "teaser": HINT_TEASER} for n in (1, 2, 3)],
        "items": [],
    }
    assert state["readiness"]["label"] == "0/3 checks ready"
    assert [check["name"] for check in state["readiness"]["checks"]] == [
        "states_mechanism",
        "names_prerequisite",
        "predicts_perturbation",
    ]


def test_unknown_concepts_are_404_on_every_practice_route(learner_client, rlhf):
    """A concept key that does not resolve answers 404 everywhere in the loop."""
    base = "/api/v1/research-room/practice/alignment/nothing/"
    assert learner_client.get(base).status_code == 404
    for path, body in [
        ("prediction/", {"text": "x"}),
        ("prediction/reveal/", {}),
        ("hints/reveal/", {"number": 1}),
    ]:
        assert learner_client.post(base + path, body, format="json").status_code == 404
    assert learner_client.patch(f"{base}readiness/", {}, format="json").status_code == 404


def test_anonymous_users_get_401_in_the_practice_loop(anon_client, rlhf):
    """The practice loop is for authenticated users only."""
    assert anon_client.get(PRACTICE).status_code == 401
    assert anon_client.post(f"{PRACTICE}prediction/", {"text": "x"}).status_code == 401


def test_a_committed_prediction_cannot_be_changed(learner_client, rlhf):
    """A second commit is a 409 with a clear message; PUT and PATCH are not allowed at all."""
    first = _predict(learner_client, gains_probability=0, shift_changes_policy=False)
    assert first.status_code == 201
    assert first.json()["demo_state"] == rlhf.demo_state

    again = _predict(learner_client, text="Candidate 3 gains.")
    assert again.status_code == 409
    assert "cannot be changed" in again.json()["detail"]
    assert learner_client.put(f"{PRACTICE}prediction/", {"text": "x"}).status_code == 405
    assert learner_client.patch(f"{PRACTICE}prediction/", {"text": "x"}).status_code == 405
    assert PracticePrediction.objects.get().text == first.json()["text"]
    assert learner_client.get(PRACTICE).json()["prediction"]["text"] == first.json()["text"]


def test_another_demo_state_takes_its_own_prediction(learner_client, rlhf):
    """A different state of the same demo (β = 2) gets its own prediction."""
    assert _predict(learner_client).status_code == 201
    other = "demo-state:alignment/rlhf#kl-policy?beta=2"
    response = _predict(learner_client, demo_state=other)
    assert response.status_code == 201
    assert len(learner_client.get(PRACTICE).json()["predictions"]) == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"gains_probability": -1}, "gains_probability"),
        ({"shift_changes_policy": "perhaps"}, "shift_changes_policy"),
        ({"demo_state": "demo-state:alignment/rlhf#nothing"}, "demo_state"),
        ({"demo_state": "concept:alignment/rlhf"}, "demo_state"),
    ],
)
def test_bad_predictions_are_400s_naming_the_field(learner_client, rlhf, data, field):
    """Blank or oversized texts, bad structured parts and unknown states are refused per field."""
    response = _predict(learner_client, **data)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not PracticePrediction.objects.exists()


def test_hints_come_in_order_and_the_count_is_recorded(learner_client, rlhf):
    """Hint 3 first is refused with a message; 1 then 2 are revealed and counted."""
    refused = learner_client.post(f"{PRACTICE}hints/reveal/", {"number": 3}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["number"] == [
        "Reveal hint 1 before hint 3: hints are revealed in order."
    ]
    for number in (1, 2):
        response = learner_client.post(
            f"{PRACTICE}hints/reveal/", {"number": number}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["hints_revealed"] == number
    again = learner_client.post(f"{PRACTICE}hints/reveal/", {"number": 1}, format="json")
    assert again.json()["hints_revealed"] == 2
    state = learner_client.get(PRACTICE).json()["hints"]
    assert state["revealed"] == 2
    assert [item["number"] for item in state["items"]] == [1, 2]


def test_progress_counts_hints_of_the_concept_as_it_now_has_them(learner, learner_client, rlhf):
    """A learner's progress (hints revealed) keeps working when the hints are edited: the
    revealed ones show the concept's current text."""
    PracticeProgress.objects.create(owner=learner, concept_key=rlhf.concept.key, hints_revealed=2)
    hint = rlhf.concept.practice_hints.get(number=2)
    hint.body = "Compare the ratios again."
    hint.save()
    items = learner_client.get(PRACTICE).json()["hints"]["items"]
    assert items == [
        {"number": 1, "teaser": HINT_TEASER, "text": HINTS[1]},
        {"number": 2, "teaser": HINT_TEASER, "text": "Compare the ratios again."},
    ]
    third = learner_client.post(f"{PRACTICE}hints/reveal/", {"number": 3}, format="json").json()
    assert (third["text"], third["hints_revealed"], third["hints_available"]) == (HINTS[3], 3, 3)


@pytest.mark.parametrize("number", [0, 4, "two"])
def test_hint_numbers_outside_one_to_three_are_refused(learner_client, rlhf, number):
    """Hints are numbered 1 to 3."""
    response = learner_client.post(f"{PRACTICE}hints/reveal/", {"number": number}, format="json")
    assert response.status_code == 400
    assert "number" in response.json()["errors"]


def test_readiness_checks_are_recorded_per_learner_and_concept(learner_client, rlhf):
    """PUT sets all three checks, PATCH some; the state shows "n/3 checks ready"."""
    put = learner_client.put(
        f"{PRACTICE}readiness/",
        {"states_mechanism": True, "names_prerequisite": True, "predicts_perturbation": False},
        format="json",
    )
    assert put.status_code == 200
    assert put.json()["label"] == "2/3 checks ready"
    patch = learner_client.patch(
        f"{PRACTICE}readiness/", {"predicts_perturbation": True}, format="json"
    )
    assert patch.json()["label"] == "3/3 checks ready"
    assert learner_client.get(PRACTICE).json()["readiness"]["ready"] == 3


def test_readiness_put_needs_every_check(learner_client, rlhf):
    """A PUT that leaves a check out is a 400 naming it."""
    response = learner_client.put(
        f"{PRACTICE}readiness/", {"states_mechanism": True}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"names_prerequisite", "predicts_perturbation"}


def test_the_result_is_not_revealed_before_a_prediction(learner_client, rlhf, sent):
    """Revealing first is refused with a message, and no demo run is requested."""
    response = learner_client.post(f"{PRACTICE}prediction/reveal/", {}, format="json")
    assert response.status_code == 409
    assert "Commit a prediction" in response.json()["detail"]
    assert not DemoRun.objects.exists()


def test_reveal_runs_the_demo_then_shows_the_result_beside_the_prediction(
    learner_client, rlhf, sent, django_capture_on_commit_callbacks
):
    """202 with the run URL while it runs; once done, the result, prediction and comparison."""
    _predict(learner_client, gains_probability=0, shift_changes_policy=False)
    with django_capture_on_commit_callbacks(execute=True):
        pending = learner_client.post(f"{PRACTICE}prediction/reveal/", {}, format="json")
    assert pending.status_code == 202
    body = pending.json()
    assert body["status"] == "queued"
    assert body["run_url"] == f"http://testserver/api/v1/demo-runs/{body['run']}/"
    assert pending["Location"] == body["run_url"]
    assert body["result"] is None
    assert sent == [body["run"]]

    polled = learner_client.post(f"{PRACTICE}prediction/reveal/", {}, format="json")
    assert polled.status_code == 202
    assert polled.json()["run"] == body["run"]

    demo_run_execute(run_id=sent[0])
    done = learner_client.post(f"{PRACTICE}prediction/reveal/", {}, format="json")
    assert done.status_code == 200
    revealed = done.json()
    assert revealed["status"] == "succeeded"
    assert revealed["prediction"]["text"].startswith("Candidate 0 gains")
    assert revealed["prediction"]["revealed_at"] is not None
    assert revealed["result"]["shift_invariant"] is True
    assert revealed["comparison"]["gains_probability"]["actual"] == 0
    assert revealed["comparison"]["gains_probability"]["correct"] is True
    assert revealed["comparison"]["shift_changes_policy"] == {
        "predicted": False,
        "actual": False,
        "correct": True,
    }
    assert DemoRun.objects.count() == 1


def test_a_wrong_structured_prediction_is_marked_wrong(
    learner_client, rlhf, sent, django_capture_on_commit_callbacks
):
    """Predicting candidate 1 gains and that a shift moves the policy: both marked incorrect."""
    _predict(learner_client, gains_probability=1, shift_changes_policy=True)
    with django_capture_on_commit_callbacks(execute=True):
        learner_client.post(f"{PRACTICE}prediction/reveal/", {}, format="json")
    demo_run_execute(run_id=sent[0])
    comparison = learner_client.post(f"{PRACTICE}prediction/reveal/", {}, format="json").json()[
        "comparison"
    ]
    assert comparison["gains_probability"]["correct"] is False
    assert comparison["shift_changes_policy"]["correct"] is False


def test_practice_state_query_count_does_not_grow(
    learner_client, rlhf, django_assert_max_num_queries
):
    """The practice state costs the same with one prediction or six."""
    _predict(learner_client)
    with django_assert_max_num_queries(30) as small:
        learner_client.get(PRACTICE)
    demo = rlhf.demo_state.split("?")[0]
    for beta in range(1, 6):
        assert _predict(learner_client, demo_state=f"{demo}?beta={beta}").status_code == 201
    with django_assert_max_num_queries(30) as large:
        state = learner_client.get(PRACTICE).json()
    assert len(state["predictions"]) == 6
    assert len(small) == len(large)
