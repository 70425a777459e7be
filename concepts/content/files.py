"""Where the concepts' files live under ``content/`` and how their YAML is read and written."""

import re
from pathlib import Path
from typing import Any

import yaml

from learning_platform.content import ContentError, text_check
from learning_platform.yaml_files import FlowList, dump_yaml

SOURCES_DIR = "sources"
SNAPSHOTS_DIR = "snapshots"
CONCEPTS_DIR = "concepts"
CONCEPT_FILE = "concept.yaml"
OBJECTS_FILE = "objects.yaml"
SECTIONS_DIR = "sections"
SECTION_FILE = re.compile(r"^(?P<order>\d{2})-(?P<kind>[a-z]+)\.md$")
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
FRONT_MATTER = "---\n"


def canonical_params(value: Any) -> Any:
    """Params with sorted keys (PostgreSQL's jsonb does not keep key order) and inline lists."""
    if isinstance(value, dict):
        return {key: canonical_params(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        items = [canonical_params(item) for item in value]
        if all(not isinstance(item, dict) for item in items):
            return FlowList(items)
        return items
    return value


def read_yaml(path: Path, text: str | None = None) -> Any:
    try:
        document = yaml.safe_load(text if text is not None else path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(path, "(yaml)", f"{where}{problem}") from exc
    except UnicodeDecodeError as exc:
        raise ContentError(path, "(file)", "not UTF-8 text") from exc
    text_check(path, document)
    return document


def split_front_matter(path: Path, text: str) -> tuple[Any, str]:
    """``---\\n<yaml>---\\n\\n<markdown>`` → (fields, body without surrounding blank lines)."""
    end = text.find("\n---\n", len(FRONT_MATTER) - 1)
    if not text.startswith(FRONT_MATTER) or end < 0:
        raise ContentError(
            path,
            "(front matter)",
            "a section file starts with a '---' line, its YAML fields, and another '---' line",
        )
    front = read_yaml(path, text[len(FRONT_MATTER) : end + 1])
    return front, text[end + len("\n---\n") :].strip("\n")


def join_front_matter(front: dict[str, Any], body: str) -> str:
    text = FRONT_MATTER + dump_yaml(front) + FRONT_MATTER
    return text + (f"\n{body.rstrip(chr(10))}\n" if body else "")


def source_unit(key: str) -> str:
    return f"source:{key}"


def concept_unit(path: str) -> str:
    return f"concept:{path}"
