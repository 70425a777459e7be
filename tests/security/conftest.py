"""A world every security test probes: the loaded RLHF page, one user per role, and the ids
that fill each route's path parameters."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from claims.models import Claim
from concepts.models import Concept, SourceSnapshot

from .routes import SOURCE_KEY

PAGE_CLAIM = "claim:alignment/rlhf#preference-rm-kl"


@pytest.fixture
def world(learner, other_learner, reviewer, editor, admin_user):
    call_command("load_content", verbosity=0)
    cache.clear()
    owner = APIClient()
    owner.force_authenticate(learner)
    draft = owner.post(
        "/api/v1/research-room/drafts/",
        {"anchor": "concept:alignment/rlhf", "question": "Why does a shift not matter?"},
        format="json",
    ).json()["id"]
    run = owner.post("/api/v1/demos/kl-policy/runs/", {}, format="json").json()["id"]
    claim = Claim.objects.get(key=PAGE_CLAIM)
    return {
        "users": {
            "anonymous": None,
            "learner": learner,
            "other_learner": other_learner,
            "reviewer": reviewer,
            "editor": editor,
            "admin": admin_user,
        },
        "ids": {
            "area": "alignment",
            "slug": "rlhf",
            "revision": Concept.objects.get(slug="rlhf").revision_hash,
            "sha256": SourceSnapshot.objects.filter(source__key=SOURCE_KEY).first().sha256,
            "kind": "kl-policy",
            "draft_id": draft,
            "run_id": run,
            "claim_id": claim.pk,
            "review_id": claim.latest_review_id,
            "token_key": "not-a-token-key",
        },
    }
