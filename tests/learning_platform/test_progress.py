import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.terminal import terminal

pytestmark = pytest.mark.django_db
CONTENT = Path(settings.BASE_DIR) / "content"
BARS = {
    "load_content": "Loading content",
    "export_content": "Exporting content",
    "verify_reviews": "Verifying reviews",
}


def run(name: str, *args: str, stderr) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=stderr)
    return out.getvalue()


def test_commands_output_stays_plain_when_not_a_terminal(tmp_path):
    """Piped or captured, the commands print their usual lines and nothing of a bar anywhere."""
    errors = StringIO()
    loaded = run("load_content", str(CONTENT), stderr=errors)
    exported = run("export_content", str(tmp_path), stderr=errors)
    verified = run("verify_reviews", stderr=errors)
    assert errors.getvalue() == ""
    for output in (loaded, exported, verified):
        assert "\r" not in output and "%|" not in output
        assert not any(bar in output for bar in BARS.values())
    assert re.fullmatch(r"((created|updated|deleted) .+\n)+Loaded .+\n", loaded)
    assert re.fullmatch(rf"(\w+: \d+ files\n)+Exported \d+ files to {tmp_path}\.\n", exported)
    assert re.fullmatch(r"\d+ reviews of \d+ claims verified: .+\n", verified)


def test_commands_draw_a_progress_bar_on_a_terminal_and_print_the_same_lines(tmp_path):
    """On a terminal each command draws its bar there, and its own output is unchanged."""
    with terminal() as (tty, shown):
        loaded = run("load_content", str(CONTENT), stderr=tty)
    assert BARS["load_content"] in shown.getvalue() and "%|" in shown.getvalue()
    assert "Loaded " in loaded and BARS["load_content"] not in loaded
    for name, args in (("export_content", [str(tmp_path)]), ("verify_reviews", [])):
        plain = run(name, *args, stderr=StringIO())
        with terminal() as (tty, shown):
            drawn = run(name, *args, stderr=tty)
        assert BARS[name] in shown.getvalue() and "%|" in shown.getvalue()
        assert drawn == plain
