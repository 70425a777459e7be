"""Bibliographies rendered from CSL-JSON by citeproc-py, a CSL processor."""

from collections.abc import Iterable
from html import escape
from typing import Any

from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON

# The style citeproc-py bundles: Harvard, as Cite Them Right writes it.
BUNDLED_STYLE = "harvard-cite-them-right"
FORMATTERS = {"html": formatter.html, "text": formatter.plain}

_styles: dict[str, CitationStylesStyle] = {}


def _escaped(value: Any) -> Any:
    """Every string in a CSL-JSON value, HTML-escaped: citeproc-py's HTML formatter adds its
    own tags but passes field text through as it is."""
    if isinstance(value, str):
        return escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    if isinstance(value, dict):
        return {key: item if key == "id" else _escaped(item) for key, item in value.items()}
    return value


def _style(name: str) -> CitationStylesStyle:
    # Parsing the style's XML costs more than rendering a page's sources: parse it once.
    if name not in _styles:
        _styles[name] = CitationStylesStyle(name, validate=False)
    return _styles[name]


def bibliography_render(
    items: Iterable[dict[str, Any]], *, output: str, style: str = BUNDLED_STYLE
) -> list[str]:
    """One formatted entry per CSL-JSON item, in the style's order (``output``: html or text)."""
    items = [_escaped(item) for item in items] if output == "html" else list(items)
    if not items:
        return []
    bibliography = CitationStylesBibliography(
        _style(style), CiteProcJSON(items), FORMATTERS[output]
    )
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return [str(entry) for entry in bibliography.bibliography()]
