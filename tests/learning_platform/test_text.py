from hypothesis import given
from hypothesis import strategies as st

from learning_platform.text import canonical_line, canonical_text

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200)


def test_crlf_trailing_spaces_and_missing_final_newline_give_one_form():
    """What a textarea sends (CRLF, trailing spaces) and what a file holds store one string."""
    browser = "x = 1  \r\nprint(x)\r\n\r\n"
    editor = "x = 1\nprint(x)"
    assert canonical_text(browser) == canonical_text(editor) == "x = 1\nprint(x)\n"


def test_indentation_of_the_first_line_is_kept():
    """A code body that starts indented keeps its indentation."""
    assert canonical_text("\n    return x\n") == "    return x"


def test_nfc_composes_accents():
    """A decomposed é and a composed é store the same string."""
    assert canonical_text("Pe\u0301rez") == canonical_text("P\u00e9rez") == "P\u00e9rez"


@given(texts)
def test_canonical_text_is_idempotent(value):
    """Canonical text is a fixed point: a second save never changes it again."""
    once = canonical_text(value)
    assert canonical_text(once) == once


@given(texts)
def test_crlf_and_lf_are_the_same_text(value):
    """Line endings never make two texts differ."""
    assert canonical_text(value.replace("\n", "\r\n")) == canonical_text(value)


@given(texts)
def test_canonical_line_is_idempotent_and_one_line(value):
    """A one-line value stays one line, and stays put."""
    once = canonical_line(value)
    assert "\n" not in once and canonical_line(once) == once
