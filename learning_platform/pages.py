"""Parts of the concept page contributed by other apps.

The concept detail endpoint serves the whole page in one response. Apps that add to it (the
claims registry adds claims with badges) register a function here in AppConfig.ready(); each
must run a constant number of queries whatever the page holds.
"""

from collections.abc import Callable
from typing import Any

PageSection = Callable[..., Any]  # (*, concept, request) -> JSON-ready data
_SECTIONS: dict[str, PageSection] = {}


def register_page_section(name: str, build: PageSection) -> None:
    _SECTIONS[name] = build


def page_sections() -> dict[str, PageSection]:
    return dict(_SECTIONS)
