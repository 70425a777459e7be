"""The concept and source endpoints' media types: CSL-JSON, rendered bibliographies, downloads."""

import json

from rest_framework.renderers import BaseRenderer, JSONRenderer

CSL_MEDIA_TYPE = "application/vnd.citationstyles.csl+json"
CSL_LIST_SCHEMA = {
    "type": "array",
    "description": "CSL-JSON items (https://citeproc-js.readthedocs.io/en/latest/csl-json/).",
    "items": {
        "type": "object",
        "required": ["id", "type", "title"],
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
        "additionalProperties": True,
    },
}


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
