"""JSON bodies the database can store, or a 400 that names the problem.

Python's json module accepts what no column can hold: lone UTF-16 surrogates ("\\ud800") that
cannot be encoded as UTF-8, NUL characters that PostgreSQL refuses in text and jsonb, and
nesting deep enough to exhaust the interpreter's stack. Every JSON door (the API's parser and
the Web Annotation import) loads through ``json_loads_checked``, so SQLite and PostgreSQL see
the same refusals before any work is done.
"""

import json
from itertools import chain as chained
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

# No request this API documents nests deeper than a Web Annotation collection (about 8).
MAX_JSON_DEPTH = 32
# What json.loads makes that no check can refuse.
_SCALARS = frozenset({int, float, bool, type(None)})


class JsonContentError(ValueError):
    """A JSON document that parses but cannot be accepted; ``path`` names where (may be "")."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


def text_problem(value: str) -> str | None:
    """Why the database cannot store this text, or None when it can."""
    if "\x00" in value:
        return "NUL characters (U+0000) are not allowed."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"Lone surrogate characters (U+{ord(value[exc.start]):04X}) are not allowed."
    return None


def _child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _path_of(chain: tuple | None) -> str:
    """The path a (parent chain, key) link names, built only when a refusal needs it."""
    keys: list[str | int] = []
    while chain is not None:
        chain, key = chain
        keys.append(key)
    path = ""
    for key in reversed(keys):
        path = _child_path(path, key)
    return path


def json_check(data: Any, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise JsonContentError for excessive depth or unstorable text in keys or values.

    Only text and containers are visited: numbers, booleans and nulls cannot be refused, so a
    list of numbers (or of rows of numbers) is passed by one C-level scan of its types, and a
    path is spelled out only for the value refused.
    """
    if not isinstance(data, str | dict | list):
        return
    stack: list[tuple[Any, tuple | None, int]] = [(data, None, 1)]
    while stack:
        value, chain, depth = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise JsonContentError(_path_of(chain), problem)
            continue
        if depth > max_depth:
            raise JsonContentError(
                _path_of(chain), f"The body is nested deeper than {max_depth} levels."
            )
        if isinstance(value, dict):
            for key, item in value.items():
                problem = text_problem(key)
                if problem:
                    raise JsonContentError(_path_of(chain), f"A key is refused: {problem}")
                if isinstance(item, str | dict | list):
                    stack.append((item, (chain, key), depth + 1))
        else:
            kinds = set(map(type, value))
            if kinds <= _SCALARS:
                continue
            if (
                kinds == {list}
                and depth < max_depth
                and set(map(type, chained.from_iterable(value))) <= _SCALARS
            ):
                continue  # rows of numbers, e.g. [winner, loser, count] triplets
            stack.extend(
                (item, (chain, index), depth + 1)
                for index, item in enumerate(value)
                if isinstance(item, str | dict | list)
            )


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a valid JSON number; every number must be finite.")


def json_loads_checked(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads, strict about NaN/Infinity, depth and text; JSONDecodeError for bad syntax."""
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise JsonContentError("", f"The body is nested deeper than {max_depth} levels.") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # a NaN or Infinity literal
        raise JsonContentError("", str(exc)) from None
    json_check(data, max_depth=max_depth)
    return data


class SafeJSONParser(JSONParser):
    """The API's JSON parser: bad syntax, depth, NaN and unstorable text are each a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(settings.DEFAULT_CHARSET)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error: not UTF-8 (byte {exc.start}).") from None
        try:
            return json_loads_checked(text)
        except JsonContentError as exc:
            if not exc.path:
                raise ParseError(f"JSON parse error: {exc.message}") from None
            raise ValidationError({exc.path: [exc.message]}) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error: {exc}") from None
