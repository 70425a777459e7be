"""Content loaders: how each app reads its part of `content/` and writes it back.

`manage.py load_content` runs every registered loader, in registration order, inside one
transaction; `manage.py export_content` runs every exporter. An app registers its loader in
its AppConfig.ready(), so the concepts app (registered first) loads sources and concepts before
the claims app loads the claims that point at them.
"""

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .parsers import text_problem
from .progress import StepProgress

UnitFiles = dict[str, dict[str, bytes]]  # unit → {path relative to the content root: bytes}


class ContentError(Exception):
    """An invalid content file: names the file, the field and the reason."""

    def __init__(self, path: Path | str, field: str, reason: str) -> None:
        self.path, self.field, self.reason = str(path), field, reason
        super().__init__(f"{path}: {field}: {reason}")


def text_check(path: Path | str, document: Any, where: str = "") -> None:
    """Refuse a document holding text no column can store (a NUL character, a lone surrogate
    from a YAML escape such as "\\ud800"), naming the first field that does, keys included."""
    stack: list[tuple[Any, str]] = [(document, where)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise ContentError(path, at or "(file)", problem)
        elif isinstance(value, dict):
            items = []
            for key, item in value.items():
                problem = text_problem(str(key))
                if problem:
                    raise ContentError(path, at or "(file)", f"a key is refused: {problem}")
                items.append((item, f"{at}.{key}" if at else str(key)))
            stack.extend(reversed(items))
        elif isinstance(value, list):
            stack.extend(reversed([(item, f"{at}[{i}]") for i, item in enumerate(value)]))


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


def files_hash(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\x00" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class ContentLoader:
    """An app's part of content/: ``load(root, report, units)`` writes the named units (all when
    None); ``on_disk(root)`` and ``in_database()`` give each unit's files as they are in the
    folder and as the database would export them; ``unit_hash`` compares them."""

    name: str
    load: Callable[..., None]
    export: Callable[[Path], list[Path]]
    on_disk: Callable[[Path], UnitFiles]
    in_database: Callable[[], UnitFiles]
    unit_hash: Callable[[dict[str, bytes]], str] = files_hash
    revision_of: Callable[[str], str] | None = None
    scope: Callable[[str], AbstractContextManager[object]] | None = None


@dataclass
class Conflict:
    unit: str
    base_hash: str
    file_hash: str
    db_hash: str

    def describe(self) -> str:
        return (
            f"{self.unit}: changed in the files ({self.base_hash[:12]} → {self.file_hash[:12]}) "
            f"and in the database ({self.base_hash[:12]} → {self.db_hash[:12]}) since the last "
            "load"
        )


class ContentConflict(Exception):
    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        super().__init__("; ".join(conflict.describe() for conflict in conflicts))


@dataclass
class LoadPlan:
    """Which units a load writes, which database edits it keeps, and which conflict."""

    load: dict[str, set[str]] = field(default_factory=dict)  # loader name → units
    kept: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    hashes: dict[str, tuple[str, str]] = field(default_factory=dict)  # unit → (file, db)


def content_plan(root: Path, *, resolve: str | None = None) -> LoadPlan:
    """Compare each unit's files and database state with the last load, before any write.

    ``resolve`` settles conflicts: "theirs" loads the files over the database, "ours" keeps the
    database (and the files' version counts as seen, so only a later file change conflicts).
    """
    from .models import ContentUnitState

    plan = LoadPlan()
    base = {state.unit: state for state in ContentUnitState.objects.all()}
    for loader in content_loaders():
        disk = loader.on_disk(root)
        database = loader.in_database()
        wanted: set[str] = set()
        for unit, files in disk.items():
            file_hash = loader.unit_hash(files)
            db_files = database.get(unit)
            db_hash = loader.unit_hash(db_files) if db_files is not None else ""
            plan.hashes[unit] = (file_hash, db_hash)
            state = base.get(unit)
            if db_files is None or file_hash == db_hash:
                wanted.add(unit)  # new, or already the same: loading writes nothing harmful
                continue
            db_changed = state is None or db_hash != state.db_hash
            files_changed = state is None or file_hash != state.file_hash
            if not db_changed:
                wanted.add(unit)
            elif not files_changed:
                plan.kept.append(unit)
            elif resolve == "theirs":
                wanted.add(unit)
            elif resolve == "ours":
                plan.kept.append(unit)
            else:
                plan.conflicts.append(
                    Conflict(
                        unit=unit,
                        base_hash=state.file_hash if state else "",
                        file_hash=file_hash,
                        db_hash=db_hash,
                    )
                )
        plan.load[loader.name] = wanted
    return plan


def content_load(
    root: Path,
    report: LoadReport,
    *,
    resolve: str | None = None,
    progress: StepProgress | None = None,
) -> LoadPlan:
    """Load what the plan allows, then record each unit's state; a conflict writes nothing.

    The caller holds the transaction. ``progress`` (optional) hears (done, total) steps: the
    plan, each loader's load, then each unit's recorded state.
    """
    from .models import ContentUnitState

    loaders = content_loaders()
    plan = content_plan(root, resolve=resolve)
    if plan.conflicts:
        raise ContentConflict(plan.conflicts)
    total = 1 + len(loaders) + len(plan.hashes)
    done = 1
    if progress is not None:
        progress(done, total)
    for loader in loaders:
        loader.load(root, report, units=plan.load.get(loader.name, set()))
        done += 1
        if progress is not None:
            progress(done, total)
    kept = set(plan.kept)
    for loader in loaders:
        database = loader.in_database()
        for unit, (file_hash, _) in plan.hashes.items():
            if unit not in database:
                continue
            done += 1
            if progress is not None:
                progress(min(done, total), total)
            state = ContentUnitState.objects.filter(unit=unit).first()
            if unit in kept:
                # The database edit stays; the files' version is now seen, so only a later
                # change of the files conflicts with it (an unknown base stays unknown).
                if state is None:
                    ContentUnitState.objects.create(unit=unit, file_hash=file_hash, db_hash="")
                else:
                    state.file_hash = file_hash
                    state.save(update_fields=["file_hash", "loaded_at"])
                continue
            db_hash = loader.unit_hash(database[unit])
            ContentUnitState.objects.update_or_create(
                unit=unit,
                defaults={
                    "file_hash": file_hash,
                    "db_hash": db_hash,
                    "revision_hash": loader.revision_of(unit) if loader.revision_of else "",
                },
            )
    if progress is not None:
        progress(total, total)
    return plan


@contextmanager
def content_load_scope(reason: str) -> Iterator[None]:
    """Every loader's scope, entered in registration order, around a load."""
    with ExitStack() as stack:
        for loader in content_loaders():
            if loader.scope is not None:
                stack.enter_context(loader.scope(reason))
        yield


_LOADERS: list[ContentLoader] = []


def register_content_loader(loader: ContentLoader) -> None:
    if all(existing.name != loader.name for existing in _LOADERS):
        _LOADERS.append(loader)


def content_loaders() -> list[ContentLoader]:
    return list(_LOADERS)
