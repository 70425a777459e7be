import sys
from io import StringIO

from benchmarks.harness import building
from tests.terminal import terminal


def test_a_data_builder_draws_nothing_when_stderr_is_not_a_terminal(monkeypatch):
    """Run in a pipeline, a builder's loop yields its items and writes nothing to stderr."""
    captured = StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    assert list(building(range(500), desc="Building rows")) == list(range(500))
    assert captured.getvalue() == ""


def test_a_data_builder_draws_a_bar_on_a_terminal(monkeypatch):
    """Run in a terminal, a builder's loop shows its bar on stderr with the items' count."""
    with terminal() as (tty, shown):
        monkeypatch.setattr(sys, "stderr", tty)
        assert list(building(iter(range(500)), desc="Building rows", total=500)) == list(range(500))
    assert "Building rows" in shown.getvalue() and "/500" in shown.getvalue()
