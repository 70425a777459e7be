import shutil
from pathlib import Path

import pytest
from django.conf import settings

from concepts.content import concepts_load
from learning_platform.content import LoadReport

CONTENT = Path(settings.BASE_DIR) / "content"
SEED = Path(__file__).parent / "data" / "rlhf-concept-page.txt"


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
