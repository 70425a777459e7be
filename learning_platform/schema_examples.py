"""An example for every success answer in the OpenAPI document, built from its own schema.

Error answers carry a hand-made problem example (schema.py); the text answers that are not
JSON (a rendered bibliography, a chart) take theirs from MEDIA_EXAMPLES below, and a snapshot's
bytes, of any media type, have none. A JSON success answer's example is derived here from the
schema it documents, after every other hook has run, so it always agrees with the schema (the
contract tests validate each one against it): the values are the schema's own `example` or
`default` where it names one, else the first enum member, a value within the stated bounds, or
a value of the stated format; objects list every property. A component that contains itself is
cut short at its second appearance with null, an empty list or an empty object, whichever its
schema allows.
"""

from __future__ import annotations

import re
from typing import Any

REF_PREFIX = "#/components/schemas/"
EXAMPLE_NAME = "Example"

# Strings that must match a pattern, by the pattern: what the page's own keys look like.
PATTERN_EXAMPLES = {
    r"^claim:[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*#[a-z0-9][a-z0-9_-]*$": (
        "claim:alignment/rlhf#reward-gap-invariance"
    ),
    r"^[-a-zA-Z0-9_]+$": "rlhf",
    r"^[0-9a-f]{64}$": "9f2c" * 16,
}
FORMAT_EXAMPLES = {
    "date-time": "2026-12-01T09:30:00Z",
    "date": "2026-12-01",
    "uri": "https://learning.example/api/v1/concepts/alignment/rlhf/",
    "uuid": "3f6c1a9e-7b52-4c1d-9a8e-2d4b6f0c1e57",
}

# The text answers that are not JSON, by media type: what each looks like.
MEDIA_EXAMPLES = {
    "text/plain": (
        "Bradley, R.A. and Terry, M.E. (1952) “Rank Analysis of Incomplete Block Designs: I. The "
        "Method of Paired Comparisons”, Biometrika, 39(3/4), pp. 324–345. Available at: "
        "https://doi.org/10.2307/2334029.\n"
    ),
    "text/html": (
        '<ol class="bibliography"><li>Bradley, R.A. and Terry, M.E. (1952) “Rank Analysis of '
        "Incomplete Block Designs: I. The Method of Paired Comparisons”, <i>Biometrika</i>, "
        "39(3/4), pp. 324–345. Available at: https://doi.org/10.2307/2334029.</li></ol>"
    ),
    "image/svg+xml": (
        '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="460.8pt" height="345.6pt" '
        'viewBox="0 0 460.8 345.6">…</svg>\n'
    ),
}


def add_success_examples(result, generator, request, public):
    """A drf-spectacular postprocessing hook: every 1xx-3xx JSON or text answer gets an
    example."""
    components = result.get("components", {}).get("schemas", {})
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                if int(code) >= 400:
                    continue
                for media_type, content in response.get("content", {}).items():
                    if "example" in content or "examples" in content:
                        continue
                    if media_type in MEDIA_EXAMPLES:
                        content["examples"] = {EXAMPLE_NAME: {"value": MEDIA_EXAMPLES[media_type]}}
                        continue
                    if "json" not in media_type or "schema" not in content:
                        continue
                    value = example_for(content["schema"], components)
                    content["examples"] = {EXAMPLE_NAME: {"value": value}}
    return result


def example_for(schema: dict, components: dict, seen: tuple[str, ...] = ()) -> Any:
    """A value the OpenAPI 3.0 ``schema`` accepts, resolving ``$ref`` in ``components``."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(REF_PREFIX)
        if name in seen:
            return _empty(components[name])
        return example_for(components[name], components, (*seen, name))
    for given in ("example", "default"):
        if given in schema and schema[given] is not None:
            return schema[given]
    if schema.get("enum"):
        return next((value for value in schema["enum"] if value is not None), None)
    for combined in ("allOf", "oneOf", "anyOf"):
        if schema.get(combined):
            branches = schema[combined]
            if combined != "allOf":
                branches = branches[:1]
            values = [example_for(branch, components, seen) for branch in branches]
            if all(isinstance(value, dict) for value in values):
                merged: dict = {}
                for value in values:
                    merged.update(value)
                return merged
            return values[0]
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "object":
        value = {
            name: example_for(prop, components, seen)
            for name, prop in schema.get("properties", {}).items()
        }
        extra = schema.get("additionalProperties")
        if not value and isinstance(extra, dict):
            value = {"key": example_for(extra, components, seen)}
        return value
    if kind == "array":
        item = example_for(schema.get("items", {}), components, seen)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    return None


def _empty(schema: dict) -> Any:
    if schema.get("nullable"):
        return None
    return [] if schema.get("type") == "array" else {}


def _string(schema: dict) -> str:
    pattern = schema.get("pattern")
    if pattern is not None:
        value = PATTERN_EXAMPLES.get(pattern)
        if value is None or not re.search(pattern, value):
            raise ValueError(f"no example string for the pattern {pattern!r}")
        return value
    if schema.get("format") in FORMAT_EXAMPLES:
        return FORMAT_EXAMPLES[schema["format"]]
    value = "text"
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    value = value.ljust(low, "x")
    return value[:high] if high is not None else value


def _number(schema: dict, *, integer: bool) -> int | float:
    """1 where the bounds allow it, else the value nearest to it that they allow."""
    low, high = schema.get("minimum"), schema.get("maximum")
    above_low = low is None or low < 1 or (low == 1 and not schema.get("exclusiveMinimum"))
    below_high = high is None or high > 1 or (high == 1 and not schema.get("exclusiveMaximum"))
    value: int | float = 1
    if low is not None and not above_low:  # not above_low implies a minimum
        value = low + 1 if high is None or low + 1 < high else (low + high) / 2
    elif high is not None and not below_high:  # above_low here, so a maximum holds
        value = high - 1 if low is None or high - 1 > low else (low + high) / 2
    if integer:
        return int(value)
    return float(value)
