"""Every cached read × every door that can change it: after the write, the next read shows it.

The real content/ is loaded from a private copy; each read is fetched once first (so its
answer is cached), then one door writes, then every read it can change is fetched again."""

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from claims.models import Claim
from claims.services import claim_update
from concepts.models import Concept
from concepts.services import prerequisite_add
from tests.claims.test_admin import change_url as claim_change_url
from tests.claims.test_admin import form_data as claim_form_data

from .conftest import CONTENT
from .factories import ConceptFactory
from .test_admin import change_data, change_url

pytestmark = pytest.mark.django_db

CLAIM_KEY = "claim:alignment/rlhf#preference-rm-kl"
NEW_TITLE = "RLHF, retitled by this door"
NEW_TEXT = "Preference-based RLHF, restated by this door, fits a reward model."


@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    call_command("load_content", str(root), verbosity=0)
    return root


def reads(claim: Claim) -> dict[str, str]:
    return {
        "concept page": "/api/v1/concepts/alignment/rlhf/",
        "concept list": "/api/v1/concepts/?page_size=100",
        "learning path": "/api/v1/concepts/alignment/dpo/learning-path/",
        "claim list": "/api/v1/claims/?page_size=100",
        "review queue": "/api/v1/claims/review-queue/?page_size=100",
        "claim detail": f"/api/v1/claims/{claim.pk}/",
        "ClaimReview": f"/api/v1/claims/{claim.pk}/claim-review.jsonld",
    }


def edit_file(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# Concept doors: a new title (or, for the service, a new prerequisite) -------------------------


def concept_by_admin(editor, content):
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    admin = Client()
    admin.force_login(editor)
    data = change_data(rlhf)
    data["title"] = NEW_TITLE
    assert admin.post(change_url(rlhf), data).status_code == 302
    return NEW_TITLE


def concept_by_loader(editor, content):
    edit_file(
        content / "concepts" / "alignment" / "rlhf" / "concept.yaml",
        "title: 'RLHF: Reward Modeling + KL-Regularized Policy Optimization'",
        f"title: '{NEW_TITLE}'",
    )
    call_command("load_content", str(content), verbosity=0)
    return NEW_TITLE


def concept_by_service(editor, content):
    earlier = Concept.objects.get(title="Earlier Idea")
    prerequisite_add(
        concept=Concept.objects.get(area="alignment", slug="rlhf"),
        prerequisite=earlier,
        carry_in="Bring the earlier idea.",
    )
    return "Earlier Idea"


# Claim doors: a new text ------------------------------------------------------------------------


def claim_by_service(editor, content):
    claim_update(claim=Claim.objects.get(key=CLAIM_KEY), text=NEW_TEXT)
    return NEW_TEXT


def claim_by_admin(editor, content):
    claim = Claim.objects.get(key=CLAIM_KEY)
    admin = Client()
    admin.force_login(editor)
    data = claim_form_data(admin.get(claim_change_url(claim)))
    data["text"] = NEW_TEXT
    assert admin.post(claim_change_url(claim), data).status_code == 302
    return NEW_TEXT


def claim_by_loader(editor, content):
    path = content / "claims" / "alignment" / "rlhf.yaml"
    document = path.read_text(encoding="utf-8")
    start = document.index("    text: Preference-based RLHF")
    end = document.index("    support_note:")
    path.write_text(document[:start] + f"    text: {NEW_TEXT}\n" + document[end:], encoding="utf-8")
    call_command("load_content", str(content), verbosity=0)
    return NEW_TEXT


CONCEPT_READS = ["concept page", "concept list", "learning path"]
CLAIM_READS = ["concept page", "claim list", "review queue", "claim detail", "ClaimReview"]
CASES = [
    *[(door, read) for door in (concept_by_admin, concept_by_loader) for read in CONCEPT_READS],
    *[(concept_by_service, read) for read in ("concept page", "learning path")],
    *[
        (door, read)
        for door in (claim_by_service, claim_by_admin, claim_by_loader)
        for read in CLAIM_READS
    ],
]


@pytest.mark.parametrize(
    ("door", "read"), CASES, ids=[f"{door.__name__}-{read}" for door, read in CASES]
)
def test_the_next_read_after_a_write_shows_it(content, editor, anon_client, door, read):
    ConceptFactory(title="Earlier Idea")
    claim = Claim.objects.get(key=CLAIM_KEY)
    url = reads(claim)[read]
    before = anon_client.get(url)
    assert before.status_code == 200, (url, before.status_code)
    assert anon_client.get(url)["ETag"] == before["ETag"]  # cached now
    shown = door(editor, content)
    assert shown.encode() not in before.content
    after = anon_client.get(url)
    assert after.status_code == 200
    assert shown.encode() in after.content, f"{read} still shows the old answer after {door}"
    assert after["ETag"] != before["ETag"]
