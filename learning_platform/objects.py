"""Object keys: the stable anchors every draft, claim and review points at.

A key is ``<kind>:<path>`` (``concept:alignment/rlhf``, ``equation:alignment/rlhf#reward-gap``,
``source:christiano-2017-human-preferences``). Each app registers a resolver for the kinds it
owns; ``object_resolve`` dispatches on the kind and answers None for anything unknown.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

MAX_KEY_LENGTH = 300


@dataclass(frozen=True)
class ResolvedObject:
    key: str
    kind: str
    title: str
    api_url: str
    concept_key: str | None = None
    # A hash of the object's content: drafts and reviews compare it to notice a change.
    version: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    # False for objects of an unpublished concept: only editors and reviewers may read them.
    public: bool = True
    # The newest revision hash of the object's concept, when the resolver read it with the
    # object (None: not read; look it up by the concept key).
    revision: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "concept": self.concept_key,
            "api_url": self.api_url,
            "version": self.version,
            "context": self.context,
        }


Resolver = Callable[[str], ResolvedObject | None]
_RESOLVERS: dict[str, Resolver] = {}
R = TypeVar("R", bound=Resolver)


def register_resolver(*kinds: str) -> Callable[[R], R]:
    """Register a resolver for ``kinds``; it keeps its own signature (keywords included)."""

    def decorator(resolver: R) -> R:
        for kind in kinds:
            _RESOLVERS[kind] = resolver
        return resolver

    return decorator


def split_key(key: str) -> tuple[str, str] | None:
    """``"equation:alignment/rlhf#reward-gap"`` → ``("equation", "alignment/rlhf#reward-gap")``."""
    if not key or len(key) > MAX_KEY_LENGTH or ":" not in key:
        return None
    kind, _, rest = key.partition(":")
    if not kind or not rest:
        return None
    return kind, rest


def object_resolve(key: str) -> ResolvedObject | None:
    parts = split_key(key)
    if parts is None:
        return None
    resolver = _RESOLVERS.get(parts[0])
    return resolver(key) if resolver else None


def object_resolve_for(key: str, user) -> ResolvedObject | None:
    """object_resolve, as this user may see it: unpublished work only for editors and reviewers."""
    return visible_to(object_resolve(key), user)


def visible_to(resolved: ResolvedObject | None, user) -> ResolvedObject | None:
    """The resolved object if this user may see it (None otherwise)."""
    from .roles import is_editor, is_reviewer

    if resolved is None or resolved.public or is_editor(user) or is_reviewer(user):
        return resolved
    return None
