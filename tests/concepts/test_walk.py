"""A learner's walk through the notebook: every link a page gives opens, for anyone.

Starting from the RLHF page, the walk follows every API address an answer contains (the
learning map, related links, the learning path, sources, objects, claims) and opens each one
as an anonymous visitor and as a learner. A published page may link only to what its reader
may open: a link that answers 404 is a dead end the learner meets.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from learning_platform.content import LoadReport, content_load

pytestmark = pytest.mark.django_db

START = "/api/v1/concepts/alignment/rlhf/"
# Bounds the walk: the notebook's pages, sources, claims and objects fit well inside it.
MAX_ADDRESSES = 600
# Write addresses and per-user views are not links a reader follows.
NOT_FOLLOWED = ("/api/v1/research-room/", "/api/v1/auth/", "/verify/", "/runs/")


def _addresses(value: object):
    """Every API address inside an answer, relative to the site."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _addresses(item)
    elif isinstance(value, list):
        for item in value:
            yield from _addresses(item)
    elif isinstance(value, str):
        parts = urlsplit(value)
        if parts.path.startswith("/api/v1/") and (not parts.netloc or parts.netloc == "testserver"):
            address = parts.path + (f"?{parts.query}" if parts.query else "")
            if not any(marker in address for marker in NOT_FOLLOWED):
                yield address


def _walk(client) -> tuple[dict[str, int], set[str]]:
    statuses: dict[str, int] = {}
    concepts: set[str] = set()
    queue = deque([START])
    while queue and len(statuses) < MAX_ADDRESSES:
        address = queue.popleft()
        if address in statuses:
            continue
        response = client.get(address)
        statuses[address] = response.status_code
        if response.status_code != 200 or not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            continue
        path = urlsplit(address).path
        if path.startswith("/api/v1/concepts/") and path.count("/") == 6:
            concepts.add(path)
        queue.extend(a for a in _addresses(response.json()) if a not in statuses)
    return statuses, concepts


@pytest.fixture
def notebook(db):
    content_load(Path(settings.BASE_DIR) / "content", LoadReport())


@pytest.mark.parametrize("who", ["anonymous", "learner"])
def test_every_link_from_the_rlhf_page_opens(notebook, who, anon_client, learner_client):
    client = anon_client if who == "anonymous" else learner_client
    statuses, concepts = _walk(client)

    dead = {address: status for address, status in statuses.items() if status != 200}
    assert dead == {}
    assert len(statuses) < MAX_ADDRESSES, "the walk stopped at its bound, not at the graph's end"
    # The RLHF page and the seven concepts around it, each reached by following links.
    expected = {
        "alignment/rlhf",
        "statistics/maximum-likelihood",
        "information-theory/kl-divergence",
        "reinforcement-learning/policy-gradient",
        "statistics/bradley-terry-model",
        "alignment/dpo",
        "reinforcement-learning/ppo",
        "alignment/reward-hacking",
    }
    assert {f"/api/v1/concepts/{path}/" for path in expected} <= concepts


def test_every_step_of_the_learning_path_opens(notebook, anon_client):
    path = anon_client.get(START + "learning-path/").json()
    assert path["count"] == len(path["steps"]) >= 3
    for step in path["steps"]:
        page = anon_client.get(step["url"])
        assert page.status_code == 200, step["key"]
        assert page.json()["status"] == "published"
