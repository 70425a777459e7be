"""Versions of stored state, changed by construction whenever what they cover is written.

A version is a random token per name (`concepts`, `claims`). Every INSERT, UPDATE or DELETE
on a table of the app a name covers marks the name as written; the token is replaced just
before that transaction commits (at once in autocommit mode), in the same transaction. So a
cached answer keyed by the tokens it read can never outlive the state it was built from, by
whatever door the write came: a service, the admin, the loader, a bulk update or raw SQL
through Django's connection.

Tokens are random rather than counters so a rolled-back transaction cannot hand a later
write the number an answer was already cached under. The token row is locked only between
the bump and COMMIT, after the transaction's last statement, so it adds no lock-order
cycles to the writes themselves.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import connection as default_connection

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    class _WrapperBase(BaseDatabaseWrapper):
        """What the mixin relies on from the wrapper it is mixed into (the stubs leave out
        the private transaction hooks)."""

        def _commit(self) -> None: ...
        def _rollback(self) -> None: ...

else:
    _WrapperBase = object

TABLE = "learning_platform_stateversion"

# Which tables each version covers, by prefix.
COVERED_TABLES: dict[str, tuple[str, ...]] = {
    "concepts": ("concepts_",),
    "claims": ("claims_",),
}
NAMES = tuple(COVERED_TABLES)

_WRITE = re.compile(
    r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+[\"`]?(\w+)",
    re.IGNORECASE,
)
# Off while migrations run: the table may not exist yet; every token is replaced after.
_tracking = {"on": True}


def names_for_sql(sql: str) -> tuple[str, ...]:
    match = _WRITE.match(sql)
    if match is None:
        return ()
    table = match.group(1).lower()
    return tuple(
        name
        for name, prefixes in COVERED_TABLES.items()
        if any(table.startswith(prefix) for prefix in prefixes)
    )


class VersionedWrites(_WrapperBase):
    """Mixed into the database wrappers (learning_platform.db.*): marks covered writes and
    replaces their tokens before COMMIT."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # (savepoints open when the write ran, name): a rolled-back savepoint drops its own.
        self.pending_versions: list[tuple[frozenset[str], str]] = []
        self._bumping = False
        self.execute_wrappers.append(self._mark_written)

    def _mark_written(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if self._bumping or not _tracking["on"]:
            return result
        names = names_for_sql(sql)
        if names:
            self.mark_versions(names)
        return result

    def mark_versions(self, names) -> None:
        savepoints = frozenset(self.savepoint_ids)
        self.pending_versions.extend((savepoints, name) for name in names)
        self.settle_versions()

    def settle_versions(self) -> None:
        """Replace the pending tokens now, unless a transaction is open that will commit."""
        if self.pending_versions and not self._versions_deferred():
            self.flush_versions()

    def _versions_deferred(self) -> bool:
        """Whether a transaction is open whose COMMIT is still to come.

        The atomic blocks a test case wraps each test in stand for autocommit: they never
        commit. Inside them a block's end is seen only when it releases a savepoint, so
        writes in blocks without one replace their tokens at once (always correct, only
        less economical)."""
        if not self.in_atomic_block:
            return not self.get_autocommit()
        if not getattr(self.atomic_blocks[0], "_from_testcase", False):
            return True
        return any(
            block.savepoint
            for block in self.atomic_blocks
            if not getattr(block, "_from_testcase", False)
        )

    def flush_versions(self) -> None:
        if not self.pending_versions:
            return
        names = sorted({name for _, name in self.pending_versions})
        self.pending_versions.clear()
        now = time.time_ns() // 1000
        self._bumping = True
        try:
            with self.cursor() as cursor:
                for name in names:
                    # An upsert: `flush` (and a test's teardown) empties the table too.
                    cursor.execute(
                        f"INSERT INTO {TABLE} (name, token, changed_us) VALUES (%s, %s, %s) "
                        "ON CONFLICT (name) DO UPDATE "
                        "SET token = excluded.token, changed_us = excluded.changed_us",
                        [name, uuid.uuid4().hex, now],
                    )
        finally:
            self._bumping = False

    def _commit(self):
        if self.pending_versions and _tracking["on"]:
            self.flush_versions()
        return super()._commit()

    def _rollback(self):
        self.pending_versions.clear()
        return super()._rollback()

    def savepoint_rollback(self, sid):
        super().savepoint_rollback(sid)
        self.pending_versions = [
            (savepoints, name)
            for savepoints, name in self.pending_versions
            if sid not in savepoints
        ]

    def savepoint_commit(self, sid):
        super().savepoint_commit(sid)
        # Leaving the outermost real block inside a test case: what a COMMIT would be.
        self.settle_versions()


def has_unversioned_writes(connection=default_connection) -> bool:
    """True while this connection holds writes whose tokens are not yet replaced: an answer
    built now must not be cached, nor a cached one served."""
    if not hasattr(connection, "settle_versions"):
        return False
    connection.settle_versions()
    return bool(connection.pending_versions)


def current_versions() -> dict[str, tuple[str, float]]:
    """Every name's token and when it last changed (seconds since the epoch), in one query:
    raw SQL, since it runs on every cached answer and the ORM would cost more than the read."""
    if hasattr(default_connection, "settle_versions"):
        default_connection.settle_versions()
    with default_connection.cursor() as cursor:
        cursor.execute(f"SELECT name, token, changed_us FROM {TABLE}")
        found = {name: (token, changed / 1e6) for name, token, changed in cursor.fetchall()}
    # A name without a row (the table was flushed) has a version too, until its next write.
    return {name: found.get(name, ("", 0.0)) for name in NAMES} | found


def bump_all(names: Iterable[str] = NAMES, connection=default_connection) -> None:
    """Replace tokens outright (after migrations, or when state changed outside Django)."""
    if TABLE not in connection.introspection.table_names():
        return
    connection.mark_versions(names)


def pause_tracking(**kwargs) -> None:
    _tracking["on"] = False


def resume_tracking(using="default", **kwargs) -> None:
    from django.db import connections

    _tracking["on"] = True
    bump_all(connection=connections[using])
