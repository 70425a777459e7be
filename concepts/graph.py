"""The prerequisite graph as plain data: cycle detection and study order.

Edges are ``(concept_id, prerequisite_id)`` pairs: the concept builds on the prerequisite.
Everything here is pure Python over those pairs, so the callers decide how to load them (one
query for the whole graph, or a recursive query for one concept's ancestry).
"""

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def requires_map(edges: Iterable[tuple[Node, Node]]) -> dict[Node, list[Node]]:
    """concept → its prerequisites, in the order the edges arrive."""
    adjacency: dict[Node, list[Node]] = defaultdict(list)
    for concept, prerequisite in edges:
        adjacency[concept].append(prerequisite)
    return adjacency


def find_path(requires: Mapping[Node, Sequence[Node]], start: Node, goal: Node) -> list[Node]:
    """A path ``start → … → goal`` along prerequisite edges, or [] when there is none."""
    if start == goal:
        return [start]
    parent: dict[Node, Node] = {}
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        for nxt in requires.get(node, ()):
            if nxt in seen:
                continue
            parent[nxt] = node
            if nxt == goal:
                path = [goal]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1]
            seen.add(nxt)
            stack.append(nxt)
    return []


def cycle_if_added(
    edges: Iterable[tuple[Node, Node]], concept: Node, prerequisite: Node
) -> list[Node]:
    """The cycle ``concept → prerequisite → … → concept`` the new edge would close, or []."""
    if concept == prerequisite:
        return [concept, concept]
    path = find_path(requires_map(edges), prerequisite, concept)
    return [concept, *path] if path else []


def find_any_cycle(edges: Iterable[tuple[Node, Node]]) -> list[Node]:
    """Some cycle ``a → b → … → a`` in the graph, or [] when it is acyclic."""
    requires = requires_map(edges)
    state: dict[Node, int] = {}  # 1 = on the current path, 2 = finished
    for root in list(requires):
        if state.get(root):
            continue
        path = [root]
        iters = [iter(requires.get(root, ()))]
        state[root] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(requires.get(nxt, ())))
    return []


def study_order(requires: Mapping[Node, Sequence[Node]], target: Node) -> list[Node]:
    """Every transitive prerequisite of ``target``, prerequisites first (``target`` excluded).

    A depth-first post-order that visits each concept's prerequisites in their authored order,
    so the result is a topological order that keeps the order editors gave. Iterative: the
    depth of the graph is not bounded by Python's recursion limit.
    """
    order: list[Node] = []
    done: set[Node] = {target}
    on_path: set[Node] = {target}
    stack = [(target, iter(requires.get(target, ())))]
    while stack:
        node, children = stack[-1]
        nxt = next(children, None)
        if nxt is None:
            stack.pop()
            on_path.discard(node)
            if node != target:
                order.append(node)
            continue
        if nxt in done or nxt in on_path:
            continue
        done.add(nxt)
        on_path.add(nxt)
        stack.append((nxt, iter(requires.get(nxt, ()))))
    return order
