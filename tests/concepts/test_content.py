import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from concepts.content import concepts_export, concepts_load
from concepts.models import (
    Concept,
    ConceptObject,
    ConceptSource,
    PracticeHint,
    Prerequisite,
    Section,
    Source,
    SourceSnapshot,
)
from concepts.selectors import concept_page
from learning_platform.content import ContentError, LoadReport, content_loaders

from .conftest import CONTENT, SEED, seed_learner_texts

pytestmark = pytest.mark.django_db

RLHF = "concepts/alignment/rlhf"


def load(root: Path) -> LoadReport:
    report = LoadReport()
    concepts_load(root, report)
    return report


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def counts() -> dict[str, int]:
    models = (Concept, Section, ConceptObject, Prerequisite, ConceptSource, Source, SourceSnapshot)
    return {model.__name__: model.objects.count() for model in models}


# The real content --------------------------------------------------------------------------


def test_concepts_loader_is_registered_before_the_claims_loader():
    """load_content runs the concepts loader first, so claims can point at what it loaded."""
    names = [loader.name for loader in content_loaders()]
    assert names[0] == "concepts"


def test_rlhf_page_loads_with_its_metadata(loaded):
    """The RLHF concept carries the page's metadata exactly."""
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    assert rlhf.title == "RLHF: Reward Modeling + KL-Regularized Policy Optimization"
    assert rlhf.area_title == "Alignment"
    assert (rlhf.status, rlhf.importance, rlhf.difficulty) == ("published", "important", 4)
    assert (rlhf.math_level, rlhf.read_minutes) == ("undergraduate", 20)
    assert rlhf.illustration_caption.startswith("Editorial alignment illustration of human")
    assert rlhf.link_test == "Manipulate one control and predict the visible change."


def test_every_page_text_of_the_sections_is_verbatim_from_the_page(loaded):
    """Blurbs, ledes, section prompts and prose of the four sections are the page's own words."""
    seed = SEED.read_text(encoding="utf-8")
    sections = list(Section.objects.filter(concept__slug="rlhf").order_by("order"))
    assert [s.kind for s in sections] == ["intuition", "math", "code", "demo"]
    assert all(s.ready for s in sections)
    for section in sections:
        assert section.summary in seed
        assert section.prompt in seed
    intuition = sections[0]
    assert intuition.section_prompt in seed
    for paragraph in intuition.body.split("\n\n"):
        assert paragraph.removeprefix("> ") in seed


def test_equations_are_latex_sources_placed_verbatim_in_the_math_section(loaded):
    """Each equation lives once, in its object: the math body refers to it, the served page
    displays the page's LaTeX verbatim."""
    seed = SEED.read_text(encoding="utf-8")
    stored = Section.objects.get(concept__slug="rlhf", kind="math")
    math = next(
        s
        for s in concept_page(concept=stored.concept, user=None)["sections"]
        if s["kind"] == "math"
    )
    equations = ConceptObject.objects.filter(concept__slug="rlhf", kind="equation")
    anchors = set(equations.values_list("anchor", flat=True))
    assert {
        "reward-gap",
        "preference-probability",
        "rm-loss",
        "rlhf-objective",
        "kl-policy",
        "partition-function",
        "dpo-bridge",
        "lagrange-stationarity",
    } <= anchors
    for equation in equations:
        assert f"{{{{equation:{equation.anchor}}}}}" in stored.body
        assert equation.body not in stored.body
        assert f"$$\n{equation.body}\n$$" in math["body"]
        assert equation.body in seed
    assert r"\Delta_\phi(x,y_w,y_\ell) = r_\phi(x,y_w)-r_\phi(x,y_\ell)" in math["body"]


def test_code_witness_is_the_page_code_verbatim(loaded):
    """The code witness is byte-for-byte the page's code; the code section refers to it and is
    served with it fenced, exactly as the page shows it."""
    seed = SEED.read_text(encoding="utf-8")
    code = ConceptObject.objects.get(concept__slug="rlhf", kind="code")
    assert code.anchor == "reward-model-and-policy" and code.language == "python"
    assert code.body.startswith("import numpy as np\n")
    assert code.body.endswith("assert np.allclose(pi_star, pi_shifted)\n")
    assert code.body in seed
    section = Section.objects.get(concept__slug="rlhf", kind="code")
    assert section.body.startswith("{{code:reward-model-and-policy}}\n")
    served = next(
        s for s in concept_page(concept=code.concept, user=None)["sections"] if s["kind"] == "code"
    )
    assert f"```python\n{code.body}```" in served["body"]


def test_learner_texts_load_from_the_concept_file(loaded):
    """concept.yaml's learner block fills the page's texts and its three practice hints."""
    concept = Concept.objects.get(slug="rlhf")
    texts = seed_learner_texts()
    assert concept.anchored_question == texts["anchored_question"]
    assert concept.practice_prompt == texts["practice"]["prompt"]
    assert concept.visual_inquiry_commit == texts["visual_inquiry"]["commit"]
    hints = list(concept.practice_hints.order_by("number"))
    assert [(hint.number, hint.teaser) for hint in hints] == [
        (1, "Reveal when your model needs a nudge."),
        (2, "Reveal when your model needs a nudge."),
        (3, "Reveal when your model needs a nudge."),
    ]
    assert "exp(c/β)" in hints[2].body
    # Every published page carries its own texts and three hints.
    for concept in Concept.objects.filter(status=Concept.Status.PUBLISHED):
        assert all(concept.learner_texts()), concept.path
        assert concept.title in concept.anchored_question
        assert concept.practice_hints.count() == 3, concept.path


def test_editing_and_removing_hints_in_the_file(content_copy):
    """A changed hint body updates that hint; a hint removed from the list is deleted."""
    load(content_copy)
    path = content_copy / RLHF / "concept.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("      - teaser: Reveal when your model needs a nudge.\n        body: 'Add")
    path.write_text(text[:start] + text[text.index("  storyboard:") :], encoding="utf-8")
    edit(path, "body: Look at the ratio", "body: First look at the ratio")
    report = load(content_copy)
    assert report.updated == ["practice-hint:alignment/rlhf#2"]
    assert report.deleted == ["practice-hint:alignment/rlhf#3"]
    hints = PracticeHint.objects.filter(concept__slug="rlhf").order_by("number")
    assert [hint.number for hint in hints] == [1, 2]
    assert hints[1].body.startswith("First look at the ratio")


def test_a_fourth_hint_or_an_unknown_learner_key_is_refused(content_copy):
    """More than three hints, or a misspelt key in the learner block, names the field."""
    path = content_copy / RLHF / "concept.yaml"
    edit(path, "    heading: Try the idea", "    headng: Try the idea")
    error = refused(content_copy)
    assert error.field == "learner.practice.headng"
    assert error.reason.startswith("unknown field")
    edit(path, "    headng: Try the idea", "    heading: Try the idea")
    edit(path, "    hints:\n", "    hints:\n      - body: One more.\n")
    error = refused(content_copy)
    assert error.field == "learner.practice.hints"
    assert "at most 3 hints (got 4)" in error.reason


def test_demo_and_misconceptions(loaded):
    """The demo has the page's defaults; the misconceptions include the two the page names."""
    demo = ConceptObject.objects.get(concept__slug="rlhf", kind="demo")
    assert (demo.anchor, demo.demo_kind) == ("kl-policy", "kl-policy")
    assert demo.params == {
        "beta": 0.7,
        "shift": 10.0,
        "pi_ref": [0.35, 0.3, 0.2, 0.15],
        "pairs": [[0, 1], [0, 2], [2, 1], [3, 1], [0, 3]],
        "proxy_gap": False,
    }
    anchors = set(
        ConceptObject.objects.filter(concept__slug="rlhf", kind="misconception").values_list(
            "anchor", flat=True
        )
    )
    assert {"kl-prevents-reward-hacking", "ppo-is-the-closed-form"} <= anchors
    kl = ConceptObject.objects.get(anchor="kl-prevents-reward-hacking")
    assert "reduces this pressure but does not make the proxy correct" in kl.body


def test_learning_map_and_sources(loaded):
    """3 prerequisites, 3 next concepts, 1 related link, 2 sources with the page's grounds; every
    neighbour on its learning map is a published page."""
    seed = SEED.read_text(encoding="utf-8")
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    before = rlhf.prerequisite_edges.order_by("order")
    assert [e.prerequisite.title for e in before] == [
        "Maximum Likelihood",
        "KL Divergence",
        "Policy Gradient",
    ]
    assert before[0].carry_in == (
        "Bring the mental model from Maximum Likelihood; this page will reuse it instead of "
        "restarting from zero."
    )
    after = rlhf.next_edges.order_by("next_order")
    assert after[0].concept.title == "Direct Preference Optimization"
    assert after.count() == 3
    assert after[0].carry_out == (
        "The next edge should feel earned: use the demo prediction here before following "
        "Direct Preference Optimization."
    )
    assert rlhf.related_links.count() == 1
    links = list(rlhf.source_links.order_by("order"))
    assert [link.source.key for link in links] == [
        "christiano-2017-human-preferences",
        "ouyang-2022-instructgpt",
    ]
    for link in links:
        assert link.grounds in seed
    neighbours = dict(Concept.objects.exclude(pk=rlhf.pk).values_list("slug", "status"))
    assert neighbours == {
        "maximum-likelihood": "published",
        "kl-divergence": "published",
        "policy-gradient": "published",
        "ppo": "published",
        "bradley-terry-model": "published",
        "dpo": "published",
        "reward-hacking": "published",
    }


def test_snapshots_are_stored_with_their_recorded_hash(loaded):
    """Each shipped snapshot is stored via the FileField with the sha256 the YAML records."""
    for source in Source.objects.all():
        snapshot = source.snapshots.get()
        on_disk = (CONTENT / "sources" / "snapshots" / f"{source.key}.txt").read_bytes()
        assert snapshot.sha256 == hashlib.sha256(on_disk).hexdigest()
        assert snapshot.size_bytes == len(on_disk)
        assert snapshot.media_type == "text/plain"
        with snapshot.file.open("rb") as handle:
            assert handle.read() == on_disk


# Idempotence and partial edits --------------------------------------------------------------


def test_second_load_changes_nothing(content_copy):
    """Loading the same files twice: the second run reports no change and writes nothing."""
    first = load(content_copy)
    assert first.changed
    before = counts()
    second = load(content_copy)
    assert not second.changed
    assert second.unchanged > 0
    assert counts() == before


def test_editing_one_section_updates_exactly_that_section(content_copy):
    """A changed math body updates section:alignment/rlhf#math and nothing else."""
    load(content_copy)
    edit(
        content_copy / RLHF / "sections" / "02-math.md",
        "The rest of this section unpacks those two witnesses.",
        "The rest of this section unpacks both witnesses.",
    )
    report = load(content_copy)
    assert report.updated == ["section:alignment/rlhf#math"]
    assert report.created == [] and report.deleted == []
    body = Section.objects.get(concept__slug="rlhf", kind="math").body
    assert "unpacks both witnesses" in body


def test_editing_and_removing_objects(content_copy):
    """An equation edit updates its key; an object dropped from the file is deleted."""
    load(content_copy)
    objects = content_copy / RLHF / "objects.yaml"
    edit(objects, r"body: \Delta = r_\phi(x,y_w)-r_\phi(x,y_\ell).", r"body: \Delta = r_w-r_\ell.")
    edit(
        objects,
        "- kind: misconception\n  anchor: reward-shift-moves-the-policy\n",
        "- kind: misconception\n  anchor: reward-shift-moves-the-policy-renamed\n",
    )
    report = load(content_copy)
    assert report.updated == ["equation:alignment/rlhf#reward-gap"]
    assert report.created == ["misconception:alignment/rlhf#reward-shift-moves-the-policy-renamed"]
    assert report.deleted == ["misconception:alignment/rlhf#reward-shift-moves-the-policy"]


def test_changed_snapshot_adds_a_row_and_keeps_the_old_one(content_copy):
    """New snapshot bytes with their new hash add a snapshot; the old row stays as history."""
    load(content_copy)
    key = "christiano-2017-human-preferences"
    snapshot_file = content_copy / "sources" / "snapshots" / f"{key}.txt"
    old_hash = hashlib.sha256(snapshot_file.read_bytes()).hexdigest()
    snapshot_file.write_bytes(snapshot_file.read_bytes() + b"Corrected venue line.\n")
    new_hash = hashlib.sha256(snapshot_file.read_bytes()).hexdigest()
    edit(content_copy / "sources" / f"{key}.yaml", old_hash, new_hash)
    report = load(content_copy)
    assert report.created == [f"snapshot:{key}"]
    hashes = list(
        SourceSnapshot.objects.filter(source__key=key)
        .order_by("-created_at", "-id")
        .values_list("sha256", flat=True)
    )
    assert hashes == [new_hash, old_hash]


# Refusals ------------------------------------------------------------------------------------


def refused(root: Path) -> ContentError:
    with pytest.raises(ContentError) as caught:
        load(root)
    return caught.value


def test_invalid_value_is_refused_with_path_field_and_reason(content_copy):
    """difficulty: 9 is refused naming the file, the field and why, and nothing is written."""
    edit(content_copy / RLHF / "concept.yaml", "difficulty: 4", "difficulty: 9")
    error = refused(content_copy)
    assert error.path.endswith("concepts/alignment/rlhf/concept.yaml")
    assert error.field == "difficulty"
    assert "less than or equal to 5" in error.reason
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_lone_surrogate_escape_is_refused_naming_the_field(content_copy):
    """A YAML escape for half a surrogate pair cannot be stored: refused at its field."""
    concept = content_copy / RLHF / "concept.yaml"
    text = concept.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    concept.write_text(text.replace(title, 'title: "RLHF \\ud800"'), encoding="utf-8")
    error = refused(content_copy)
    assert (error.path.endswith("rlhf/concept.yaml"), error.field) == (True, "title")
    assert "U+D800" in error.reason
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_nul_in_a_section_body_is_refused_naming_the_file(content_copy):
    """A NUL character in a section's Markdown is refused with the file and "body"."""
    section = sorted((content_copy / RLHF / "sections").glob("*.md"))[0]
    section.write_bytes(section.read_bytes().rstrip(b"\n") + b" \x00\n")
    error = refused(content_copy)
    assert (error.path, error.field) == (str(section), "body")
    assert "NUL" in error.reason


def test_unknown_field_is_refused(content_copy):
    """A misspelt key is an error naming it, not silently ignored."""
    edit(content_copy / RLHF / "concept.yaml", "read_minutes: 20", "read_minute: 20")
    error = refused(content_copy)
    assert error.field == "read_minute"
    assert "unknown field" in error.reason


def test_nested_field_errors_name_the_item(content_copy):
    """A bad entry inside a list is named with its index: prerequisites[1].concept."""
    edit(
        content_copy / RLHF / "concept.yaml",
        "concept: information-theory/kl-divergence",
        "concept: information-theory/no-such-page",
    )
    error = refused(content_copy)
    assert error.field == "prerequisites[1].concept"
    assert "no concept 'information-theory/no-such-page'" in error.reason


def test_object_errors_name_the_file_and_item(content_copy):
    """A code witness without a language is refused in objects.yaml at its index."""
    edit(content_copy / RLHF / "objects.yaml", "  language: python\n", "")
    error = refused(content_copy)
    assert error.path.endswith("objects.yaml")
    assert error.field == "[15].language"


def test_broken_yaml_is_refused_with_its_line(content_copy):
    """A YAML syntax error names the file and the line."""
    path = content_copy / "concepts" / "statistics" / "maximum-likelihood" / "concept.yaml"
    path.write_text("title: [unclosed\n", encoding="utf-8")
    error = refused(content_copy)
    assert error.path.endswith("maximum-likelihood/concept.yaml")
    assert error.field == "(yaml)"
    assert "line" in error.reason


def test_section_without_front_matter_is_refused(content_copy):
    """A section file must open with YAML front matter."""
    path = content_copy / RLHF / "sections" / "01-intuition.md"
    path.write_text("Just prose.\n", encoding="utf-8")
    error = refused(content_copy)
    assert error.field == "(front matter)"


def test_snapshot_hash_mismatch_is_refused(content_copy):
    """A snapshot whose bytes do not match the recorded sha256 is refused."""
    path = content_copy / "sources" / "snapshots" / "ouyang-2022-instructgpt.txt"
    path.write_bytes(path.read_bytes() + b"tampered\n")
    error = refused(content_copy)
    assert error.path.endswith("sources/ouyang-2022-instructgpt.yaml")
    assert error.field == "snapshot.sha256"
    assert "hashes to" in error.reason
    assert not SourceSnapshot.objects.exists()


def test_cycle_in_files_is_refused_naming_it(content_copy):
    """Making Maximum Likelihood depend on RLHF closes a cycle; the load names it."""
    path = content_copy / "concepts" / "statistics" / "maximum-likelihood" / "concept.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "prerequisites:\n  - concept: alignment/rlhf\n",
        encoding="utf-8",
    )
    error = refused(content_copy)
    assert "would close the cycle" in error.reason
    assert "alignment/rlhf" in error.reason and "statistics/maximum-likelihood" in error.reason


def test_failure_while_writing_rolls_back_every_earlier_write(content_copy):
    """A cycle is only found after sections were written: the whole load is rolled back."""
    call_command("load_content", str(content_copy), stdout=StringIO())
    edit(content_copy / RLHF / "sections" / "02-math.md", "those two witnesses", "the witnesses")
    path = content_copy / "concepts" / "statistics" / "maximum-likelihood" / "concept.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "prerequisites:\n  - concept: alignment/dpo\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="Nothing was loaded"):
        call_command("load_content", str(content_copy), stdout=StringIO())
    body = Section.objects.get(concept__slug="rlhf", kind="math").body
    assert "those two witnesses" in body
    assert not Prerequisite.objects.filter(concept__slug="maximum-likelihood").exists()


# Commands and export ---------------------------------------------------------------------------


def test_load_content_command_reports_changes_then_no_changes(content_copy):
    """The command lists what it created, then says "No changes." on a second run."""
    out = StringIO()
    call_command("load_content", str(content_copy), stdout=out)
    assert "created concept:alignment/rlhf" in out.getvalue()
    assert "created section:alignment/rlhf#math" in out.getvalue()
    out = StringIO()
    call_command("load_content", str(content_copy), stdout=out)
    assert out.getvalue().startswith("No changes.")


def test_load_content_command_reports_an_update(content_copy):
    """An edited section is reported as "updated section:alignment/rlhf#math"."""
    call_command("load_content", str(content_copy), stdout=StringIO())
    edit(content_copy / RLHF / "sections" / "02-math.md", "those two witnesses", "the witnesses")
    out = StringIO()
    call_command("load_content", str(content_copy), stdout=out)
    assert "updated section:alignment/rlhf#math" in out.getvalue()


def test_load_content_command_refuses_with_path_field_reason(content_copy):
    """An invalid file makes the command fail with its path, field and reason."""
    edit(content_copy / RLHF / "concept.yaml", "status: published", "status: live")
    with pytest.raises(CommandError) as caught:
        call_command("load_content", str(content_copy), stdout=StringIO())
    message = str(caught.value)
    assert "concepts/alignment/rlhf/concept.yaml" in message
    assert "field status" in message and "not a valid choice" in message
    assert not Concept.objects.exists()


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for part in ("sources", "concepts")
        for path in sorted((root / part).rglob("*"))
        if path.is_file()
    }


def test_export_reproduces_the_content_byte_for_byte(loaded, tmp_path):
    """load content/ → export: the same files, the same bytes."""
    concepts_export(tmp_path / "out")
    assert files_under(tmp_path / "out") == files_under(CONTENT)


def test_export_content_command_round_trip(content_copy, tmp_path):
    """manage.py load_content then export_content reproduces the concepts files."""
    call_command("load_content", str(content_copy), stdout=StringIO())
    out = StringIO()
    call_command("export_content", str(tmp_path / "out"), stdout=out)
    assert "concepts:" in out.getvalue()
    assert files_under(tmp_path / "out") == files_under(content_copy)


def test_export_removes_files_of_deleted_concepts(loaded, tmp_path):
    """A concept deleted in the database disappears from an export over an old tree."""
    target = tmp_path / "out"
    concepts_export(target)
    Concept.objects.filter(area="statistics", slug="bradley-terry-model").delete()
    concepts_export(target)
    assert (
        not (target / "concepts" / "statistics" / "bradley-terry-model")
        .joinpath("concept.yaml")
        .exists()
    )
