"""The routes the security tests walk: every operation the OpenAPI schema documents, so a
route added to the API is probed without editing a list."""

from functools import cache

from drf_spectacular.generators import SchemaGenerator

SOURCE_KEY = "christiano-2017-human-preferences"


@cache
def openapi_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def documented_operations() -> list[tuple[str, str, dict]]:
    """(path template, verb, operation) for every operation the OpenAPI schema documents."""
    schema = openapi_schema()
    return [
        (path, verb.upper(), operation)
        for path, item in sorted(schema["paths"].items())
        for verb, operation in item.items()
        if verb in {"get", "post", "put", "patch", "delete"}
    ]


def fill_path(template: str, ids: dict) -> str:
    key = "concept:alignment/rlhf" if "/objects/" in template else SOURCE_KEY
    return template.format(key=key, **ids)
