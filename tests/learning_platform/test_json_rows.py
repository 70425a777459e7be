"""json_check passes lists of number rows in one scan, and still refuses what it refused."""

import pytest

from learning_platform.parsers import MAX_JSON_DEPTH, JsonContentError, json_check


def nested(levels: int, inner):
    for _ in range(levels):
        inner = [inner]
    return inner


@pytest.mark.parametrize(
    "body",
    [
        {"triplets": [[0, 1, 2]] * 50_000, "K": 200},
        [[1.5, None, True], [], [2]],
        nested(MAX_JSON_DEPTH - 2, [[1, 2], [3]]),
        nested(MAX_JSON_DEPTH - 1, [1, 2]),
    ],
)
def test_rows_of_numbers_are_accepted(body):
    json_check(body)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ([[1, 2], [3, "a\x00"]], "[1][1]"),
        ({"rows": [[1], [[2, "\ud800"]]]}, "rows[1][0][1]"),
        ({"rows": [[0, 1]] * 3 + [[{"k\x00": 1}]]}, "rows[3][0]"),
        (nested(MAX_JSON_DEPTH - 1, [[1], [2]]), "[0]" * (MAX_JSON_DEPTH - 1) + "[1]"),
        (nested(MAX_JSON_DEPTH, [1]), "[0]" * MAX_JSON_DEPTH),
    ],
)
def test_what_a_row_hides_is_still_refused_at_its_path(body, path):
    with pytest.raises(JsonContentError) as caught:
        json_check(body)
    assert caught.value.path == path
