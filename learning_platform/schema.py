"""OpenAPI post-processing: every operation documents the error answers it can give.

The views answer 400 (a message per field), 401, 403, 404, 405, 413, 429 and 503 as JSON;
documenting them once here keeps the schema honest without repeating it on every view.
"""

ERROR_RESPONSES = {
    "400": "Invalid input: a message per field",
    "401": "Authentication credentials were not provided or are invalid",
    "403": "The authenticated user may not do this",
    "404": "Not found (or not yours)",
    "405": "Method not allowed",
    "409": "Conflicts with the current state",
    "413": "Request body too large",
    "415": "Unsupported media type",
    "429": "Too many requests",
    "503": "A backing service (database or broker) is unavailable",
}

ERROR_SCHEMA = {
    "type": "object",
    "description": "A JSON error: `detail`, or a list of messages per field.",
    "additionalProperties": True,
}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
