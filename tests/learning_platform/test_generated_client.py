"""A Python client generated from the live /api/schema/ by openapi-python-client, unedited,
walks the learner's and the reviewer's journeys against a live server."""

import importlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from claims.models import Claim
from demos import services
from demos.services import demo_run_execute

pytestmark = [pytest.mark.timeout(600)]

PACKAGE = "learning_platform_api_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
# Answers no generated Python type can hold: an SVG chart, a snapshot's own bytes, and the
# NDJSON import (the JSON-LD import is generated). The client leaves them to the raw response.
NOT_GENERATED = {
    "GET /api/v1/demo-runs/{run_id}/plot.svg": "image/svg+xml",
    "POST /api/v1/research-room/drafts/import/": "application/x-ndjson",
    "GET /api/v1/sources/{key}/snapshots/{sha256}/": "*/*",
}
CLAIM = "claim:alignment/rlhf#preference-rm-kl"


def _generate(schema_url: str, into: Path) -> tuple[object, str]:
    """The generated package, imported from `into`, and what the generator printed."""
    with urllib.request.urlopen(schema_url) as answer:
        (into / "openapi.json").write_bytes(answer.read())
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(GENERATOR), "generate", "--path", "openapi.json", "--meta", "none"],
        cwd=into,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    sys.path.insert(0, str(into))
    try:
        return importlib.import_module(PACKAGE), output
    finally:
        sys.path.remove(str(into))


def _warnings(output: str) -> dict[str, str]:
    """{"METHOD /path": the line after} for each WARNING block the generator printed."""
    lines = [line for line in output.splitlines() if line.strip()]
    found = {}
    for index, line in enumerate(lines):
        if line.startswith("WARNING parsing "):
            operation = line.removeprefix("WARNING parsing ").split(" within ")[0]
            found[operation] = lines[index + 1] if index + 1 < len(lines) else ""
    return found


def _api(name: str):
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def _model(name: str):
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def _sign_in(client_module, base_url: str, username: str):
    anonymous = client_module.Client(base_url=base_url, raise_on_unexpected_status=True)
    issued = _api("auth.auth_token_create").sync(
        client=anonymous,
        body=_model("CredentialsRequest")(username=username, password=f"{username}-password"),
    )
    assert issued.token and issued.token_key
    return client_module.AuthenticatedClient(
        base_url=base_url, token=issued.token, prefix="Token", raise_on_unexpected_status=True
    )


def _until(poll, done, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        value = poll()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


@pytest.fixture
def demos_run_inline(monkeypatch):
    """A queued demo run is computed at once, as a worker would, instead of reaching a broker."""
    monkeypatch.setattr(
        services,
        "demo_run_enqueue",
        lambda *, run_id, queue=None: demo_run_execute(run_id=run_id) or True,
    )


@pytest.fixture
def generated(live_server, tmp_path, learner, reviewer, demos_run_inline):
    call_command("load_content", verbosity=0)
    package, output = _generate(f"{live_server.url}/api/schema/?format=json", tmp_path)
    yield package, output
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def test_the_client_generates_with_warnings_only_for_bodies_python_cannot_type(generated):
    """Generation succeeds; its only warnings are the three non-JSON media types."""
    _, output = generated
    warnings = _warnings(output)
    assert set(warnings) == set(NOT_GENERATED), output
    for operation, media_type in NOT_GENERATED.items():
        assert media_type in warnings[operation] or media_type in output


def test_the_learners_journey_through_the_generated_client(generated, live_server):
    """Token, concept page, learning path, object, demo run to success, draft, handoff and
    the practice loop, each through the generated functions and models."""
    package, _ = generated
    client = _sign_in(package, live_server.url, "alice")

    page = _api("concepts.concepts_retrieve").sync("alignment", "rlhf", client=client)
    assert page.key == "concept:alignment/rlhf"
    assert page.sections and page.sections[0].body
    assert page.claims.items and page.claims.items[0].badge

    path = _api("concepts.concepts_learning_path_retrieve").sync("alignment", "rlhf", client=client)
    assert path.count == len(path.steps) > 0
    assert [step.step for step in path.steps] == list(range(1, path.count + 1))

    equation = next(item for item in page.objects if item.kind == "equation")
    resolved = _api("objects.objects_retrieve").sync(equation.key, client=client)
    assert resolved.key == equation.key and resolved.version == equation.version

    # Each kind has its own operation, typed by its parameter model; the page's β and shift.
    body = _model("KlPolicyParams").from_dict({"beta": 0.7, "shift": 10.0})
    queued = _api("demo_runs.demo_runs_create_kl_policy").sync(client=client, body=body)
    assert type(queued).__name__ == "KlPolicyRun" and queued.params.beta == 0.7
    run = _until(
        lambda: _api("demo_runs.demo_runs_retrieve").sync(str(queued.id), client=client),
        lambda run: run.status.value in {"succeeded", "failed"},
    )
    assert run.status.value == "succeeded", run.error
    assert run.result is not None and run.plot_url and run.progress == 1
    typed = _api("demo_runs.demo_runs_create_kl_policy").sync(client=client, body=body)
    assert typed.id == queued.id  # the same computation answers the cached run, typed
    assert typed.result.shift_invariant is True and typed.result.kl > 0

    draft = _api("research_room.research_room_create").sync(
        client=client,
        body=_model("ResearchDraftCreateRequest")(
            anchor=equation.key, question="Why does a constant shift leave π* unchanged?"
        ),
    )
    assert draft.anchor == equation.key and draft.anchor_resolves
    listed = _api("research_room.research_room_list").sync(client=client)
    assert [row.id for row in listed.results] == [draft.id]
    handoff = _api("research_room.research_room_handoff_retrieve").sync(
        str(draft.id), client=client
    )
    assert handoff.to_dict()  # the handoff packet, typed

    practice = "practice.practice_"
    committed = _api(f"{practice}prediction_create").sync(
        "alignment",
        "rlhf",
        client=client,
        body=_model("PracticePredictionCommitRequest")(
            text="Candidate 0 gains; a shift changes nothing.",
            gains_probability=0,
            shift_changes_policy=False,
        ),
    )
    assert committed.revealed_at is None
    hint = _api(f"{practice}hints_reveal_create").sync(
        "alignment", "rlhf", client=client, body=_model("PracticeHintChoiceRequest")(number=1)
    )
    assert hint.number == 1 and hint.text
    reveal = _api(f"{practice}prediction_reveal_create")
    revealed = _until(
        lambda: reveal.sync_detailed(
            "alignment", "rlhf", client=client, body=_model("PracticeRevealChoiceRequest")()
        ),
        lambda answer: answer.status_code == 200,
    )
    assert revealed.status_code == 200
    assert revealed.parsed.status == "succeeded"
    assert revealed.parsed.prediction.revealed_at
    readiness = _api(f"{practice}readiness_update").sync(
        "alignment",
        "rlhf",
        client=client,
        body=_model("PracticeReadinessUpdateRequest")(
            states_mechanism=True, names_prerequisite=True, predicts_perturbation=False
        ),
    )
    assert (readiness.ready, readiness.total) == (2, 3)
    state = _api(f"{practice}retrieve").sync("alignment", "rlhf", client=client)
    assert state.prediction.id == committed.id and state.hints.revealed == 1


def test_the_reviewers_journey_through_the_generated_client(generated, live_server):
    """Claim, review with its scope, and a verification that passes, through the client."""
    package, _ = generated
    client = _sign_in(package, live_server.url, "rita")
    claim_id = Claim.objects.get(key=CLAIM).pk

    listed = _api("claims.claims_list").sync(client=client, concept="alignment/rlhf")
    assert claim_id in [claim.id for claim in listed.results]
    claim = _api("claims.claims_retrieve").sync(claim_id, client=client)
    assert claim.key == CLAIM

    review = _api("reviews.reviews_create").sync(
        claim_id,
        client=client,
        body=_model("ReviewRecordRequest")(
            verdict=_model("VerdictEnum")("source_checked"),
            summary="The objective matches the cited section.",
            scope_covers="Reviews only the objective's statement against the paper.",
            scope_excludes="It does not certify the reported experiments.",
            sources_checked=[source.key for source in claim.sources],
            fingerprint=claim.fingerprint,
        ),
    )
    assert review.reviewer == "rita" and review.verdict.value == "source_checked"
    assert "objective's statement" in review.scope_covers
    assert "reported experiments" in review.scope_excludes
    history = _api("reviews.reviews_list").sync(claim_id, client=client)
    assert history.results[0].id == review.id
    assert history.results[0].scope_text == review.scope_text

    verify = _api("claims.claims_verify_create").sync_detailed(claim_id, client=client)
    assert verify.status_code in {200, 201}, verify.content
    assert verify.parsed.outcome.value == "passed"
    assert not verify.parsed.stale
    after = _api("claims.claims_retrieve").sync(claim_id, client=client)
    assert after.latest_verification.id == verify.parsed.id
    assert after.latest_review.id == review.id
    assert json.loads(verify.content)["outcome"] == "passed"
