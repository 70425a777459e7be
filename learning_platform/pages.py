"""Parts of the concept page contributed by other apps.

The concept detail endpoint serves the whole page in one response. Apps that add to it (the
claims registry adds claims with badges) register a function here in AppConfig.ready(); each
must run a constant number of queries whatever the page holds. The serializer registered with
it documents the section in the page's schema (ConceptPage gains a field of that name).
"""

from collections.abc import Callable
from typing import Any

PageSection = Callable[..., Any]  # (*, concept, request) -> JSON-ready data
_SECTIONS: dict[str, PageSection] = {}
_OUTPUTS: dict[str, type] = {}


def register_page_section(name: str, build: PageSection, output: type | None = None) -> None:
    _SECTIONS[name] = build
    if output is not None:
        _OUTPUTS[name] = output


def page_sections() -> dict[str, PageSection]:
    return dict(_SECTIONS)


def page_section_outputs() -> dict[str, type]:
    """The serializer classes documenting each registered section, by section name."""
    return dict(_OUTPUTS)
