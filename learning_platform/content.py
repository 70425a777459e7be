"""Content loaders: how each app reads its part of `content/` and writes it back.

`manage.py load_content` runs every registered loader, in registration order, inside one
transaction; `manage.py export_content` runs every exporter. An app registers its loader in
its AppConfig.ready(), so the concepts app (registered first) loads sources and concepts before
the claims app loads the claims that point at them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class ContentError(Exception):
    """An invalid content file: names the file, the field and the reason."""

    def __init__(self, path: Path | str, field: str, reason: str) -> None:
        self.path, self.field, self.reason = str(path), field, reason
        super().__init__(f"{path}: {field}: {reason}")


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


@dataclass(frozen=True)
class ContentLoader:
    name: str
    load: Callable[[Path, LoadReport], None]
    export: Callable[[Path], list[Path]]


_LOADERS: list[ContentLoader] = []


def register_content_loader(loader: ContentLoader) -> None:
    if all(existing.name != loader.name for existing in _LOADERS):
        _LOADERS.append(loader)


def content_loaders() -> list[ContentLoader]:
    return list(_LOADERS)
