"""The concepts part of ``content/``: sources and concepts as files a person edits.

Sources and their snapshots, concepts, sections, objects, prerequisite edges, related links
and concept–source attachments:

```
content/sources/<key>.yaml                        bibliographic record + snapshot file and sha256
content/sources/snapshots/<key>.txt               the local snapshot itself
content/concepts/<area>/<slug>/concept.yaml       metadata, prerequisites, related links, sources
content/concepts/<area>/<slug>/sections/01-intuition.md   YAML front matter + Markdown body
content/concepts/<area>/<slug>/objects.yaml       equations, code witnesses, demos, misconceptions
```

Loading reads and validates every file before it writes anything, then writes only what
differs, through the same services as the API and the admin. Exporting writes the canonical
form of every file, so load → export reproduces a canonical tree byte for byte.
"""

from .export import concepts_export, concepts_files, concepts_files_on_disk
from .load import concepts_load
from .parse import content_parse

__all__ = [
    "concepts_export",
    "concepts_files",
    "concepts_files_on_disk",
    "concepts_load",
    "content_parse",
]
