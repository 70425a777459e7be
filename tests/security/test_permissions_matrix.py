"""Every route × every role × every verb answers the documented status code.

Each cell runs in its own rolled-back transaction, so a DELETE in one cell never changes what
the next cell sees. Bodies are empty: where a role is allowed to write, the answer is the
validation error (400) or the action's own answer, never a 401/403 - and never a 5xx.
"""

import pytest
from django.core.cache import cache
from django.db import transaction
from rest_framework.test import APIClient

from demos.catalogue import KINDS

from .routes import documented_operations, fill_path

ROLES = ("anonymous", "learner", "other_learner", "reviewer", "editor", "admin")
VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
EVERYONE = dict.fromkeys(ROLES)


def _row(**by_role: int) -> dict[str, int]:
    """Expected status per role; `signed_in` sets every role but anonymous."""
    signed_in = by_role.pop("signed_in", None)
    row = {role: signed_in for role in ROLES if role != "anonymous"} if signed_in else {}
    row.update(by_role)
    assert set(row) == set(ROLES), sorted(set(ROLES) - set(row))
    return row


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def public_read(get: int = 200) -> dict[str, dict[str, int]]:
    """Anyone reads; nobody writes (405 for every unsafe verb)."""
    return {verb: everyone(get if verb == "GET" else 405) for verb in VERBS}


def signed_in_only(**answers: int) -> dict[str, dict[str, int]]:
    """Any signed-in user; anonymous is 401 on every verb; verbs not named are 405."""
    return {verb: _row(anonymous=401, signed_in=answers.get(verb.lower(), 405)) for verb in VERBS}


def owner_only(**answers: int) -> dict[str, dict[str, int]]:
    """The draft's owner (the learner) only: everyone else signed in gets 404, never 403."""
    matrix = {}
    for verb in VERBS:
        answer = answers.get(verb.lower(), 405)
        others = 404 if answer != 405 else 405
        matrix[verb] = _row(anonymous=401, learner=answer, signed_in=others)
        matrix[verb]["learner"] = answer
    return matrix


def role_gated(allowed: tuple[str, ...], **answers: int) -> dict[str, dict[str, int]]:
    """Only `allowed` roles act (others 403, anonymous 401); verbs not named are 405."""
    matrix = {}
    for verb in VERBS:
        answer = answers.get(verb.lower(), 405)
        matrix[verb] = {
            role: 401 if role == "anonymous" else (answer if role in allowed else 403)
            for role in ROLES
        }
    return matrix


REVIEW_WRITERS = ("reviewer", "admin")
CONTENT_WRITERS = ("editor", "admin")
VERIFIERS = ("reviewer", "editor", "admin")

MATRIX = {
    "/api/v1/": public_read(),
    "/api/v1/auth/token/": {verb: everyone(400 if verb == "POST" else 405) for verb in VERBS},
    "/api/v1/auth/tokens/": signed_in_only(get=200),
    "/api/v1/auth/tokens/{token_key}/": signed_in_only(delete=404),  # no such token
    "/api/v1/concepts/": public_read(),
    "/api/v1/concepts/{area}/{slug}/": public_read(),
    "/api/v1/concepts/{area}/{slug}/learning-path/": public_read(),
    "/api/v1/concepts/{area}/{slug}/bibliography/": public_read(),
    "/api/v1/concepts/{area}/{slug}/revisions/": public_read(),
    "/api/v1/concepts/{area}/{slug}/revisions/{revision}/": public_read(),
    "/api/v1/concepts/{area}/{slug}/diff/": public_read(),
    "/api/v1/concepts/{area}/{slug}/prerequisites/": role_gated(CONTENT_WRITERS, post=400),
    "/api/v1/bibliography/": public_read(),
    "/api/v1/sources/": public_read(),
    "/api/v1/sources/{key}/": public_read(),
    "/api/v1/sources/{key}/csl/": public_read(),
    "/api/v1/sources/{key}/snapshot/": public_read(get=302),
    "/api/v1/sources/{key}/snapshots/{sha256}/": public_read(),
    "/api/v1/objects/{key}": public_read(),
    "/api/v1/claims/": public_read(),
    "/api/v1/claims/review-queue/": public_read(),
    "/api/v1/claims/signing-keys/": public_read(),
    "/api/v1/claims/checkpoint/": public_read(),
    "/api/v1/claims/{claim_id}/": public_read(),
    "/api/v1/claims/{claim_id}/claim-review.jsonld": public_read(),
    "/api/v1/claims/{claim_id}/reviews/{review_id}/": public_read(),
    "/api/v1/claims/{claim_id}/reviews/": {
        **role_gated(REVIEW_WRITERS, post=400),
        "GET": everyone(200),
    },
    "/api/v1/claims/{claim_id}/verify/": role_gated(VERIFIERS, post=201),
    "/api/v1/demos/": public_read(),
    "/api/v1/demos/{kind}/": public_read(),
    # One run operation per kind; an empty body is the kind's defaults, so each queues a run.
    **{f"/api/v1/demos/{slug}/runs/": signed_in_only(post=202) for slug in KINDS},
    "/api/v1/demo-runs/{run_id}/": public_read(),
    "/api/v1/demo-runs/{run_id}/plot.svg": public_read(get=409),  # the run has not finished
    "/api/v1/research-room/drafts/": signed_in_only(get=200, post=400),
    "/api/v1/research-room/drafts/export/": signed_in_only(get=200),
    "/api/v1/research-room/drafts/import/": signed_in_only(post=400),
    "/api/v1/research-room/drafts/{draft_id}/": owner_only(get=200, put=400, patch=200, delete=204),
    "/api/v1/research-room/drafts/{draft_id}/handoff/": owner_only(get=200),
    "/api/v1/research-room/practice/{area}/{slug}/": signed_in_only(get=200),
    "/api/v1/research-room/practice/{area}/{slug}/hints/reveal/": signed_in_only(post=400),
    "/api/v1/research-room/practice/{area}/{slug}/prediction/": signed_in_only(post=400),
    # Revealing before committing a prediction is refused with 409.
    "/api/v1/research-room/practice/{area}/{slug}/prediction/reveal/": signed_in_only(post=409),
    "/api/v1/research-room/practice/{area}/{slug}/readiness/": signed_in_only(put=400, patch=200),
}


def test_the_schema_and_the_matrix_list_the_same_routes():
    """A route added to the API must be added to the matrix (and the other way round)."""
    documented = {path for path, _, _ in documented_operations()}
    assert documented == set(MATRIX), sorted(documented ^ set(MATRIX))


@pytest.mark.django_db
def test_every_route_role_and_verb_answers_its_documented_status(world):
    """The whole permissions matrix, cell by cell."""
    mismatches = []
    for template, verbs in MATRIX.items():
        path = fill_path(template, world["ids"])
        for verb, expected in verbs.items():
            for role, status in expected.items():
                client = APIClient()
                if world["users"][role] is not None:
                    client.force_authenticate(world["users"][role])
                with transaction.atomic():
                    response = getattr(client, verb.lower())(path, {}, format="json")
                    transaction.set_rollback(True)
                cache.clear()  # throttles count per cell, not across the matrix
                if response.status_code != status:
                    mismatches.append(
                        f"{verb} {path} as {role}: {response.status_code} != {status}"
                    )
    assert not mismatches, "\n".join(mismatches)
