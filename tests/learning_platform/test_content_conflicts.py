"""Files and database never overwrite each other silently."""

import shutil
import unicodedata
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from claims.models import Claim
from concepts.models import Concept, ConceptObject, ConceptRevision, Prerequisite
from concepts.revisions import revision_scope

pytestmark = pytest.mark.django_db

RLHF = Path("concepts/alignment/rlhf")
PAGE_CLAIM = "claim:alignment/rlhf#preference-rm-kl"


@pytest.fixture
def content(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    root = tmp_path / "content"
    shutil.copytree(Path(settings.BASE_DIR) / "content", root)
    call_command("load_content", str(root), stdout=StringIO())
    return root


def load(root: Path, *args: str) -> str:
    out = StringIO()
    call_command("load_content", str(root), *args, stdout=out)
    return out.getvalue()


def _code() -> ConceptObject:
    return ConceptObject.objects.get(kind="code", concept__slug="rlhf")


def _edit_in_database(new_beta: str) -> None:
    with revision_scope(door=ConceptRevision.Door.ADMIN, reason="retune"):
        code = _code()
        code.body = code.body.replace("beta = 0.7", f"beta = {new_beta}")
        code.save()


def _edit_file(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_edge_added_through_the_api_survives_a_reload(content, editor_client):
    """A prerequisite added through the API is kept when load_content runs again."""
    response = editor_client.post(
        "/api/v1/concepts/alignment/reward-hacking/prerequisites/",
        {"prerequisite": "alignment/dpo"},
        format="json",
    )
    assert response.status_code == 201
    output = load(content)
    assert "kept concept:alignment/reward-hacking" in output
    assert Prerequisite.objects.filter(
        concept__slug="reward-hacking", prerequisite__slug="dpo"
    ).exists()


def test_an_admin_edit_of_a_witness_survives_a_reload(content):
    """The witness edited in the database stays; the load says it kept it; nothing is written."""
    _edit_in_database("0.1")
    revisions = ConceptRevision.objects.count()
    output = load(content)
    assert "kept concept:alignment/rlhf" in output
    assert "beta = 0.1" in _code().body
    assert ConceptRevision.objects.count() == revisions


def test_an_edit_on_both_sides_stops_the_load_before_any_write(content):
    """Database and files both changed: the conflict names the unit and both hashes, and no
    file change is written."""
    _edit_in_database("0.1")
    _edit_file(content, f"{RLHF}/concept.yaml", "read_minutes: ", "read_minutes: 1")
    minutes = Concept.objects.get(slug="rlhf").read_minutes
    with pytest.raises(CommandError) as caught:
        load(content)
    message = str(caught.value)
    assert "conflict concept:alignment/rlhf" in message
    assert "--theirs" in message and "--ours" in message and "Nothing was loaded" in message
    assert message.count("→") >= 2  # the files' and the database's hashes
    assert "beta = 0.1" in _code().body
    assert Concept.objects.get(slug="rlhf").read_minutes == minutes


def test_theirs_loads_the_files_over_the_database(content):
    """--theirs: the files win, and the next load is clean."""
    _edit_in_database("0.1")
    _edit_file(content, f"{RLHF}/concept.yaml", "read_minutes: ", "read_minutes: 1")
    load(content, "--theirs")
    assert "beta = 0.7" in _code().body
    assert "No changes" in load(content)


def test_ours_keeps_the_database_until_the_files_change_again(content, tmp_path):
    """--ours: the database wins; a later change of the files conflicts again; export writes
    the database's version, after which loading is clean."""
    _edit_in_database("0.1")
    _edit_file(content, f"{RLHF}/concept.yaml", "read_minutes: ", "read_minutes: 1")
    load(content, "--ours")
    assert "beta = 0.1" in _code().body
    assert "kept concept:alignment/rlhf" in load(content)
    _edit_file(content, f"{RLHF}/concept.yaml", "read_minutes: 1", "read_minutes: 2")
    with pytest.raises(CommandError, match="conflict concept:alignment/rlhf"):
        load(content)
    call_command("export_content", str(content), stdout=StringIO())
    assert "beta = 0.1" in (content / RLHF / "objects.yaml").read_text(encoding="utf-8")
    output = load(content)
    assert "kept" not in output and "conflict" not in output


def test_a_restart_with_unchanged_files_writes_nothing(content):
    """What make run does on every start: files unchanged since the last load write nothing."""
    revisions = ConceptRevision.objects.count()
    assert "No changes" in load(content)
    assert ConceptRevision.objects.count() == revisions


def test_the_loaded_revision_is_recorded_per_unit(content):
    """Each concept unit remembers the revision it was loaded as."""
    from learning_platform.models import ContentUnitState

    state = ContentUnitState.objects.get(unit="concept:alignment/rlhf")
    assert state.revision_hash == Concept.objects.get(slug="rlhf").revision_hash


FILES = [
    f"{RLHF}/sections/01-intuition.md",
    f"{RLHF}/sections/02-math.md",
    f"{RLHF}/sections/03-code.md",
    f"{RLHF}/objects.yaml",
    f"{RLHF}/concept.yaml",
    "claims/alignment/rlhf.yaml",
]


def _noise(text: str, kind: str) -> str:
    if kind == "crlf":
        return text.replace("\n", "\r\n")
    if kind == "nfd":
        return unicodedata.normalize("NFD", text)
    # Trailing spaces on Markdown lines; YAML keeps them only inside block scalars.
    return "\n".join(
        line + "  " if line and not line.endswith(":") else line for line in text.split("\n")
    )


@hypothesis_settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(file=st.sampled_from(FILES), kind=st.sampled_from(["crlf", "nfd", "trailing"]))
def test_a_no_op_edit_through_the_loader_never_changes_a_revision(content, file, kind):
    """Line endings, Unicode form and trailing spaces in a file: the load changes no revision,
    no fingerprint and no badge."""
    claim = Claim.objects.get(key=PAGE_CLAIM)
    before = (Concept.objects.get(slug="rlhf").revision_hash, claim.fingerprint)
    path = content / file
    original = path.read_bytes()
    text = original.decode("utf-8")
    if kind == "trailing" and file.endswith(".yaml"):
        kind = "crlf"
    try:
        path.write_bytes(_noise(text, kind).encode("utf-8"))
        load(content)
    finally:
        path.write_bytes(original)
    claim.refresh_from_db()
    assert (Concept.objects.get(slug="rlhf").revision_hash, claim.fingerprint) == before
    assert claim.latest_review_fingerprint == claim.fingerprint
