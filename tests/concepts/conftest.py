import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from concepts.content import concepts_load
from learning_platform.content import LoadReport

CONTENT = Path(settings.BASE_DIR) / "content"
SEED = Path(__file__).parent / "data" / "rlhf-concept-page.txt"


def seed_line_after(label: str, occurrence: int = 1) -> str:
    """The first non-blank line after the ``occurrence``-th line of the seed page that reads
    exactly ``label``: the text under one of the page's panel labels."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    found = [index for index, line in enumerate(lines) if line.strip() == label]
    start = found[occurrence - 1]
    return next(line for line in lines[start + 1 :] if line.strip())


def seed_learner_texts() -> dict:
    """The RLHF page's learner texts, read from the seed page, grouped as the API serves them."""
    hint = [seed_line_after(f"Hint {number}") for number in (1, 2, 3)]
    return {
        "anchored_question": seed_line_after("Anchored question"),
        "practice": {
            "heading": seed_line_after("Practice Loop"),
            "prompt": seed_line_after("Predict"),
            "hints": [{"number": n, "teaser": hint[n - 1]} for n in (1, 2, 3)],
        },
        "storyboard": {
            "heading": seed_line_after("Mechanism Storyboard"),
            "lens": seed_line_after("Prediction lens"),
            "commit": seed_line_after("Commit first", 1),
        },
        "visual_inquiry": {
            "heading": seed_line_after("Visual Inquiry"),
            "question": seed_line_after("Prediction"),
            "commit": seed_line_after("Commit first", 2),
        },
        "after_first_pass": {
            "heading": seed_line_after("After The First Pass"),
            "body": seed_line_after(seed_line_after("After The First Pass")),
        },
        "research_instruction": seed_line_after("Attach the question to an exact object"),
    }


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded and loaded snapshots go to a throwaway MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A private copy of the concepts part of content/ that a test may edit."""
    root = tmp_path / "content"
    for part in ("sources", "concepts"):
        shutil.copytree(CONTENT / part, root / part)
    return root


@pytest.fixture
def loaded(db) -> LoadReport:
    """The real content/ (sources and concepts) loaded into the test database."""
    report = LoadReport()
    concepts_load(CONTENT, report)
    return report


@pytest.fixture
def editor_admin(editor) -> Client:
    """The admin, logged in as an editor."""
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def reviewer_admin(reviewer) -> Client:
    """The admin, logged in as a reviewer."""
    client = Client()
    client.force_login(reviewer)
    return client
