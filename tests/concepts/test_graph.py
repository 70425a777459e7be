from hypothesis import given, settings
from hypothesis import strategies as st

from concepts.graph import cycle_if_added, find_any_cycle, find_path, requires_map, study_order


def test_find_path_follows_prerequisite_edges():
    """A path is returned start → … → goal along (concept, prerequisite) edges."""
    requires = requires_map([("c", "b"), ("b", "a"), ("c", "x")])
    assert find_path(requires, "c", "a") == ["c", "b", "a"]
    assert find_path(requires, "a", "c") == []


def test_cycle_if_added_names_the_whole_cycle():
    """Adding a → c when c → b → a exists reports a → c → b → a."""
    edges = [("c", "b"), ("b", "a")]
    assert cycle_if_added(edges, "a", "c") == ["a", "c", "b", "a"]
    assert cycle_if_added(edges, "d", "c") == []


def test_self_edge_is_a_cycle_of_one():
    """An edge from a concept to itself is the cycle a → a."""
    assert cycle_if_added([], "a", "a") == ["a", "a"]


def test_find_any_cycle():
    """A cyclic edge set yields a closed walk; an acyclic one yields []."""
    assert find_any_cycle([("a", "b"), ("b", "c")]) == []
    cycle = find_any_cycle([("a", "b"), ("b", "c"), ("c", "a")])
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}


def test_study_order_keeps_authored_order_and_puts_prerequisites_first():
    """Prerequisites come first, in the order the edges list them, each once."""
    requires = requires_map(
        [("rlhf", "ml"), ("rlhf", "kl"), ("rlhf", "pg"), ("pg", "ml"), ("dpo", "rlhf")]
    )
    assert study_order(requires, "dpo") == ["ml", "kl", "pg", "rlhf"]
    assert study_order(requires, "ml") == []


def test_study_order_handles_a_deep_chain_without_recursion():
    """A 20,000-long chain is walked iteratively, deepest first."""
    edges = [(i, i - 1) for i in range(1, 20_000)]
    order = study_order(requires_map(edges), 19_999)
    assert order == list(range(19_999))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 25), st.integers(0, 25)), max_size=120))
def test_study_order_is_a_topological_order_of_the_ancestry(pairs):
    """On any DAG: every ancestor once, each after all of its own prerequisites."""
    edges = [(max(a, b), min(a, b)) for a, b in pairs if a != b]  # high → low: acyclic
    requires = requires_map(edges)
    target = 25
    order = study_order(requires, target)
    ancestors, stack = set(), [target]
    while stack:
        for p in requires.get(stack.pop(), ()):
            if p not in ancestors:
                ancestors.add(p)
                stack.append(p)
    assert sorted(order) == sorted(ancestors)
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for p in requires.get(node, ()):
            assert position[p] < position[node]
