"""The concept and source endpoints' media types: CSL-JSON, rendered bibliographies, downloads."""

import json

from rest_framework.renderers import BaseRenderer, JSONRenderer

CSL_MEDIA_TYPE = "application/vnd.citationstyles.csl+json"
_CSL_TEXT = {"type": "string"}
CSL_ITEM_SCHEMA = {
    "type": "object",
    "description": "A CSL-JSON item (https://citeproc-js.readthedocs.io/en/latest/csl-json/).",
    "required": ["id", "type", "title"],
    "properties": {
        "id": {"type": "string", "description": "The source's key."},
        "type": {
            "type": "string",
            "description": "A CSL item type: article-journal, paper-conference, article (an "
            "arXiv preprint), book, webpage, software, dataset or document.",
        },
        "title": _CSL_TEXT,
        "author": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"family": _CSL_TEXT, "given": _CSL_TEXT, "literal": _CSL_TEXT},
            },
        },
        "issued": {
            "type": "object",
            "properties": {
                "date-parts": {
                    "type": "array",
                    "items": {"type": "array", "items": {"type": "integer"}},
                }
            },
        },
        "container-title": {"type": "string", "description": "The journal or proceedings."},
        "volume": _CSL_TEXT,
        "issue": _CSL_TEXT,
        "page": {"type": "string", "description": "A page range, e.g. 324–345."},
        "publisher": {"type": "string", "description": "arXiv, for a preprint."},
        "number": {"type": "string", "description": "A preprint's arXiv id, arXiv:<id>."},
        "URL": {"type": "string", "format": "uri"},
        "DOI": _CSL_TEXT,
    },
    "additionalProperties": False,
}
CSL_LIST_SCHEMA = {"type": "array", "description": "CSL-JSON items.", "items": CSL_ITEM_SCHEMA}


class CslRenderer(JSONRenderer):
    """CSL-JSON: chosen with ``?format=csl`` or by its media type in the Accept header."""

    media_type = CSL_MEDIA_TYPE
    format = "csl"


class BibliographyRenderer(BaseRenderer):
    """A bibliography rendered by the CSL processor; an error answer keeps its JSON detail."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, list):
            return self.document(data).encode()
        return json.dumps(data).encode()

    def document(self, entries: list[str]) -> str:
        raise NotImplementedError


class BibliographyTextRenderer(BibliographyRenderer):
    """One entry a line: ``?format=text``."""

    media_type = "text/plain"
    format = "text"

    def document(self, entries: list[str]) -> str:
        return "".join(f"{entry}\n" for entry in entries)


class BibliographyHtmlRenderer(BibliographyRenderer):
    """An HTML list: ``?format=html``."""

    media_type = "text/html"
    format = "html"

    def document(self, entries: list[str]) -> str:
        rows = "".join(f"<li>{entry}</li>" for entry in entries)
        return f'<ol class="bibliography">{rows}</ol>\n'


class AnyMediaRenderer(BaseRenderer):
    """Lets a file download answer whatever the client accepts; the file sets its own type."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data).encode()
