import json

import pytest
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from demos import services
from demos.catalogue import KINDS
from demos.kinds_pages_rlhf import PAGE_PI_REF
from demos.models import DemoRun
from demos.services import demo_run_execute
from demos.tasks import demo_run_task

from .factories import DemoRunFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttle")]
Status = DemoRun.Status
RUNS = "/api/v1/demos/kl-policy/runs/"


def post_raw(client, url: str, body: str):
    return client.post(url, data=body, content_type="application/json")


def test_catalogue_lists_every_kind_with_schema_defaults_and_caps(anon_client):
    """GET /demos/ lists the RLHF page's kinds with its defaults, the foundations' kinds and
    the preference pages' kinds."""
    response = anon_client.get("/api/v1/demos/")
    assert response.status_code == 200
    entries = {entry["kind"]: entry for entry in response.json()["results"]}
    assert set(entries) == {
        "reward-fit",
        "kl-policy",
        "reward-hacking",
        "mle-fit",
        "kl-asymmetry",
        "reinforce-bandit",
        "ppo-clip",
        "bradley-terry",
        "dpo",
        "overoptimization",
    }
    kl = entries["kl-policy"]
    assert kl["defaults"]["beta"] == 0.7 and kl["defaults"]["shift"] == 10.0
    assert kl["defaults"]["pairs"] == [[0, 1], [0, 2], [2, 1], [3, 1], [0, 3]]
    assert kl["parameters"]["properties"]["beta"]["minimum"] == 1e-9
    assert kl["caps"] == {
        "max_K": 1000,
        "max_pairs": 100_000,
        "max_pairs_page_method": 5000,
        "max_sweep_points": 200,
        "min_beta": 1e-9,
    }
    assert kl["runs_url"].endswith(RUNS)


def test_one_kind_and_an_unknown_kind(anon_client):
    """GET /demos/<kind>/ answers one entry; an unknown kind is a 404 naming the known ones."""
    assert anon_client.get("/api/v1/demos/reward-hacking/").json()["kind"] == "reward-hacking"
    missing = anon_client.get("/api/v1/demos/nope/")
    assert missing.status_code == 404 and "kl-policy" in missing.json()["detail"]


def test_catalogue_runs_no_queries(anon_client, django_assert_num_queries):
    """The catalogue is code, not data: zero queries whatever the database holds."""
    DemoRunFactory.create_batch(5)
    with django_assert_num_queries(0):
        assert anon_client.get("/api/v1/demos/").status_code == 200
    with django_assert_num_queries(0):
        assert anon_client.get("/api/v1/demos/kl-policy/").status_code == 200


def test_anonymous_submission_is_401(anon_client, sent):
    """Running a demo needs an authenticated user."""
    response = anon_client.post(RUNS, {}, format="json")
    assert response.status_code == 401
    assert DemoRun.objects.count() == 0


def test_submission_is_202_with_location_and_queues_after_commit(
    learner_client, sent, django_capture_on_commit_callbacks
):
    """POST answers 202 with the run's URL in Location and body; its id is sent on commit."""
    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(RUNS, {"beta": 0.5}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert response["Location"] == body["url"]
    assert body["url"].endswith(f"/api/v1/demo-runs/{body['id']}/")
    assert body["status"] == "queued" and body["progress"] == 0.0 and body["attempts"] == 0
    assert body["params"]["beta"] == 0.5 and body["plot_url"] is None
    assert sent == [body["id"]]


def test_same_params_answer_the_same_run_202_then_200(
    learner_client, other_learner_client, sent, django_capture_on_commit_callbacks
):
    """Identical submissions share one run: 202 while queued, 200 once it has succeeded."""
    with django_capture_on_commit_callbacks(execute=True):
        first = learner_client.post(RUNS, {}, format="json").json()
        queued = other_learner_client.post(RUNS, {"beta": 0.7}, format="json")
    assert queued.status_code == 202 and queued.json()["id"] == first["id"]
    demo_run_execute(run_id=first["id"])
    with django_capture_on_commit_callbacks(execute=True):
        done = learner_client.post(RUNS, {"shift": 10}, format="json")
    assert done.status_code == 200 and done.json()["id"] == first["id"]
    assert done.json()["attempts"] == 1
    assert sent == [first["id"]]


def test_submission_with_the_broker_down_is_still_202(
    learner_client, broker_down, django_capture_on_commit_callbacks
):
    """An unreachable broker at submit time is not the learner's problem: 202, run queued."""
    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(RUNS, {}, format="json")
    assert response.status_code == 202
    assert broker_down == [response.json()["id"]]
    assert DemoRun.objects.get().status == Status.QUEUED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"beta": 0}', "beta"),
        ('{"beta": -1}', "beta"),
        ('{"beta": 1e400}', "beta"),
        ('{"shift": -1e400}', "shift"),
        ('{"beta": "0.7"}', "beta"),
        ('{"beta": null}', "beta"),
        ('{"pi_ref": [0.4, 0.4, 0.1, 0.2]}', "pi_ref"),
        ('{"pi_ref": [0.5, 0.5, 0.0, 0.0]}', "pi_ref"),
        ('{"pi_ref": [0.5, 0.5]}', "pi_ref"),
        ('{"pairs": [[0, 7]]}', "pairs"),
        ('{"pairs": [[1, 1]]}', "pairs"),
        ('{"pairs": [[0, "1"]]}', "pairs"),
        ('{"K": 1001}', "K"),
        ('{"temperature": 1}', "temperature"),
        ('{"l2": 0}', "pairs"),
        ('{"method": "sgd"}', "method"),
        ("[1, 2]", "params"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(learner_client, sent, body, field):
    """Each invalid parameter is a 400 keyed by that parameter, with no row and no message."""
    response = post_raw(learner_client, RUNS, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert DemoRun.objects.count() == 0 and sent == []


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_a_clear_400(learner_client, sent, literal):
    """Strict JSON refuses NaN/Infinity literals with a message saying numbers must be finite."""
    response = post_raw(learner_client, RUNS, f'{{"beta": {literal}}}')
    assert response.status_code == 400
    assert "finite" in response.json()["detail"]
    assert DemoRun.objects.count() == 0 and sent == []


def test_deeply_nested_body_is_a_400(learner_client, sent):
    """A body nested deeper than the parser can follow is a 400, not a server error."""
    response = post_raw(learner_client, RUNS, "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400 and "nested" in response.json()["detail"]


def test_oversized_inputs_are_refused_before_any_work(learner_client, sent):
    """More than 100,000 pairs, or more than 200 sweep points, is a 400 on that field."""
    pairs = json.dumps({"pairs": [[0, 1]] * 100_001})
    assert "pairs" in post_raw(learner_client, RUNS, pairs).json()["errors"]
    sweep = post_raw(learner_client, "/api/v1/demos/reward-hacking/runs/", '{"points": 201}')
    assert sweep.status_code == 400 and "points" in sweep.json()["errors"]
    assert DemoRun.objects.count() == 0 and sent == []


def test_form_encoded_bodies_are_unsupported(learner_client, sent):
    """Only JSON bodies carry typed parameters; a form body is a 415."""
    response = learner_client.post(RUNS, {"beta": "0.7"})
    assert response.status_code == 415


def test_submissions_are_throttled(learner_client, sent, monkeypatch):
    """The demo-submissions scope limits how fast one user can submit."""
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "demo-submissions", "2/min")
    codes = [learner_client.post(RUNS, {"beta": b}, format="json").status_code for b in (1, 2, 3)]
    assert codes == [202, 202, 429]


def test_run_detail_shows_status_result_and_timings(anon_client):
    """Anyone with the id sees status, progress, result, error, timings and attempts."""
    run = DemoRunFactory(params=KINDS["kl-policy"].validate({}))
    demo_run_execute(run_id=run.pk)
    body = anon_client.get(f"/api/v1/demo-runs/{run.pk}/").json()
    assert body["status"] == "succeeded" and body["progress"] == 1.0 and body["attempts"] == 1
    assert body["result"]["pi_ref"] == PAGE_PI_REF and body["result"]["shift_invariant"]
    for name in ("queued_at", "started_at", "finished_at", "compute_ms"):
        assert body[name] is not None
    assert body["error"] == ""
    assert body["plot_url"].endswith(f"/api/v1/demo-runs/{run.pk}/plot.svg")
    assert "requested_by" not in body


def test_unknown_and_malformed_run_ids_are_404(anon_client):
    """A run id that does not exist, or is not a UUID, answers a JSON 404."""
    for run_id in ("1b4e28ba-2fa1-11d2-883f-0016d3cca427", "not-a-uuid"):
        response = anon_client.get(f"/api/v1/demo-runs/{run_id}/")
        assert response.status_code == 404 and "No demo run" in response.json()["detail"]


@pytest.mark.parametrize("existing", [1, 40])
def test_run_detail_query_count_is_constant(anon_client, django_assert_max_num_queries, existing):
    """Reading a run costs one query, however many runs exist."""
    runs = DemoRunFactory.create_batch(existing)
    with django_assert_max_num_queries(1):
        assert anon_client.get(f"/api/v1/demo-runs/{runs[-1].pk}/").status_code == 200


def test_plot_is_svg_once_succeeded(anon_client):
    """The plot of a succeeded run is an SVG drawing π_ref against π*."""
    run = DemoRunFactory(params=KINDS["kl-policy"].validate({"proxy_gap": True}))
    demo_run_execute(run_id=run.pk)
    response = anon_client.get(f"/api/v1/demo-runs/{run.pk}/plot.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<?xml") and b"<svg" in response.content
    assert "π_ref".encode() in response.content or b"pi_ref" in response.content
    again = anon_client.get(f"/api/v1/demo-runs/{run.pk}/plot.svg", HTTP_ACCEPT="image/svg+xml")
    assert again.content == response.content


@pytest.mark.parametrize("kind", ["reward-fit", "reward-hacking"])
def test_plot_draws_every_kind(anon_client, kind):
    """Reward-fit and reward-hacking runs have charts too."""
    run = DemoRunFactory(kind=kind, params=KINDS[kind].validate({}))
    demo_run_execute(run_id=run.pk)
    response = anon_client.get(f"/api/v1/demo-runs/{run.pk}/plot.svg")
    assert response.status_code == 200 and b"<svg" in response.content


def test_plot_of_an_unfinished_run_is_409_and_unknown_404(anon_client):
    """No chart before success: 409 with the status; an unknown id is a 404 with a message."""
    run = DemoRunFactory(status=Status.RUNNING, started_at=timezone.now(), attempts=1)
    response = anon_client.get(f"/api/v1/demo-runs/{run.pk}/plot.svg")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("The run is running;")
    missing = anon_client.get("/api/v1/demo-runs/1b4e28ba-2fa1-11d2-883f-0016d3cca427/plot.svg")
    assert missing.status_code == 404 and "No demo run" in missing.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"triplets": [[0, 1, 0]]}', "triplets"),
        ('{"triplets": [[0, 1, 1.5]]}', "triplets"),
        ('{"triplets": [[0, 1, true]]}', "triplets"),
        ('{"triplets": [[0, 1, 99999999999999999999999]]}', "triplets"),
        ('{"triplets": [[0, 9, 2]]}', "triplets"),
        ('{"triplets": [[0, 1]]}', "triplets"),
        ('{"triplets": [[0, 1, 2]], "pairs": [[0, 1]]}', "triplets"),
        ('{"triplets": [[0, 1, 2], [1, 2, 2]], "l2": 0}', "triplets"),
    ],
)
def test_bad_triplets_are_a_400_naming_the_field(learner_client, sent, body, field):
    response = post_raw(learner_client, RUNS, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert DemoRun.objects.count() == 0 and sent == []


def test_a_million_battles_as_triplets_run_through_the_api(
    learner_client, sent, django_capture_on_commit_callbacks
):
    """10⁶ battles over K = 200 are a request of 39,800 triplets: queued, fitted, stored."""
    k, each = 200, 25
    rows = [[i, j, each + (i + j) % 3] for i in range(k) for j in range(k) if i != j]
    battles = sum(row[2] for row in rows)
    assert battles >= 10**6
    with django_capture_on_commit_callbacks(execute=True):
        response = post_raw(
            learner_client, "/api/v1/demos/reward-fit/runs/", json.dumps({"triplets": rows, "K": k})
        )
    assert response.status_code == 202, response.content
    run = demo_run_execute(run_id=response.json()["id"])
    assert run.status == Status.SUCCEEDED
    assert run.result["pair_probabilities"]["total"] == battles
    assert run.result["fit"]["converged"] is True


def test_a_session_signed_in_learner_can_submit_a_run(learner, sent):
    """With session authentication request.user is a lazy object; the in-flight check copes."""
    from django.test import Client

    client = Client(enforce_csrf_checks=False)
    client.force_login(learner)
    response = client.post(RUNS, data="{}", content_type="application/json")
    assert response.status_code == 202, response.content[:300]


def test_a_cached_submission_answers_from_the_store_without_the_broker(
    learner_client, sent, monkeypatch, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """An identical submission whose run has succeeded is one read: no transaction, no
    message, no broker connection even taken from the pool."""
    with django_capture_on_commit_callbacks(execute=True):
        first = learner_client.post(RUNS, {"beta": 0.5}, format="json").json()
    demo_run_execute(run_id=first["id"])
    sent.clear()

    def no_broker(*args, **kwargs):
        raise AssertionError("a cached submission took a broker connection")

    monkeypatch.setattr(demo_run_task.app.pool, "acquire", no_broker)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        django_assert_num_queries(1),
    ):
        response = learner_client.post(RUNS, {"beta": 0.5}, format="json")
    assert response.status_code == 200 and response.json()["id"] == first["id"]
    assert response.json()["status"] == "succeeded" and response.json()["result"]
    assert callbacks == [] and sent == []


def test_run_detail_shows_progress_between_0_and_1_while_it_computes(
    anon_client, monkeypatch, settings
):
    """Polled mid-computation, a running run's answer shows a progress strictly inside (0, 1)."""
    settings.DEMO_PROGRESS_MIN_SECONDS = 0.0
    run = DemoRunFactory(params=KINDS["kl-policy"].validate({"method": "page"}))
    polled: list[tuple[str, float]] = []
    real_compute = services.demo_compute

    def polling(kind, params, progress):
        def report(fraction):
            progress(fraction)
            body = anon_client.get(f"/api/v1/demo-runs/{run.pk}/").json()
            polled.append((body["status"], body["progress"]))

        return real_compute(kind, params, report)

    monkeypatch.setattr(services, "demo_compute", polling)
    demo_run_execute(run_id=run.pk)
    assert {status for status, _ in polled} == {"running"}
    assert any(0.0 < fraction < 1.0 for _, fraction in polled)
    assert max(fraction for _, fraction in polled) < 1.0
    assert anon_client.get(f"/api/v1/demo-runs/{run.pk}/").json()["progress"] == 1.0
