"""OpenAPI post-processing: the demo runs' request and response bodies, typed per kind.

The run submission route takes the kind in its path, so the schema lists one operation per
kind (``/api/v1/demos/reward-fit/runs/`` and so on), each with its kind's parameter model
as the request body and its result model in the run it answers with. The components are
the models' own JSON Schemas (``RewardFitParams``, ``RewardFitResult``, ...), rewritten into
the OpenAPI 3.0 dialect the rest of the document uses.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .catalogue import KINDS

RUNS_PATH = "/api/v1/demos/{kind}/runs/"
RUN_COMPONENT = "DemoRunOutput"
_REF = "#/components/schemas/{model}"


def add_demo_run_bodies(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    params_refs, result_refs = _register_models(components)
    paths = result.get("paths", {})
    generic = paths.get(RUNS_PATH, {}).get("post")
    run = components.get(RUN_COMPONENT)
    if generic is not None and run is not None:
        del paths[RUNS_PATH]
        for slug in KINDS:
            run_ref = _register_kind_run(
                components, run, slug, params_refs[slug], result_refs[slug]
            )
            paths[RUNS_PATH.replace("{kind}", slug)] = {
                "post": _kind_operation(generic, slug, params_refs[slug], run_ref)
            }
    if run is not None:
        run["properties"]["params"] = {
            "anyOf": list(params_refs.values()),
            "description": "The canonical parameters of the run's kind.",
        }
        run["properties"]["result"] = {
            "anyOf": list(result_refs.values()),
            "nullable": True,
            "description": "The kind's result once the run has succeeded, else null.",
        }
    return result


def _register_kind_run(
    components: dict[str, Any], run: dict, slug: str, params_ref: dict, result_ref: dict
) -> dict:
    """A run of one kind as a whole object (``RewardFitRun``, ...): the run's fields with that
    kind's parameters and result, so a generated client reads it as one class."""
    name = params_ref["$ref"].rsplit("/", 1)[-1].removesuffix("Params") + "Run"
    kind_run = copy.deepcopy(run)
    kind_run["description"] = f"A {slug} run: its parameters and, once it succeeded, its result."
    kind_run["properties"]["kind"] = {"type": "string", "enum": [slug]}
    kind_run["properties"]["params"] = params_ref
    kind_run["properties"]["result"] = {"allOf": [result_ref], "nullable": True}
    components[name] = kind_run
    return {"$ref": _REF.format(model=name)}


def _register_models(components: dict[str, Any]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Each kind's parameter and result models (and the models they nest) as components."""
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (kind.params, "validation") for kind in KINDS.values()
    ]
    models += [(kind.result, "serialization") for kind in KINDS.values()]
    refs, schema = models_json_schema(models, ref_template=_REF)
    for name, definition in schema.get("$defs", {}).items():
        converted = openapi_30(definition)
        if components.setdefault(name, converted) != converted:
            raise ValueError(f"two OpenAPI components are named {name}")
    params = {slug: refs[(kind.params, "validation")] for slug, kind in KINDS.items()}
    results = {slug: refs[(kind.result, "serialization")] for slug, kind in KINDS.items()}
    return params, results


def _kind_operation(generic: dict, slug: str, params_ref: dict, run: dict) -> dict:
    kind = KINDS[slug]
    operation = copy.deepcopy(generic)
    operation["operationId"] = f"{generic['operationId']}_{slug.replace('-', '_')}"
    operation["summary"] = f"Run {slug}: {kind.title}"
    operation["parameters"] = [
        parameter
        for parameter in operation.get("parameters", [])
        if not (parameter.get("in") == "path" and parameter.get("name") == "kind")
    ]
    if not operation["parameters"]:
        del operation["parameters"]
    operation["requestBody"] = {"content": {"application/json": {"schema": params_ref}}}
    for code in ("200", "202"):
        response = operation.get("responses", {}).get(code)
        if response is not None:
            response["content"] = {"application/json": {"schema": run}}
    return operation


def openapi_30(schema: Any) -> Any:
    """A pydantic (JSON Schema 2020-12) schema in the OpenAPI 3.0 dialect: ``nullable``
    instead of a null type, boolean exclusive bounds, ``enum`` for ``const``, no
    ``prefixItems`` (kept as the description of the rows) and no ``title``."""
    if isinstance(schema, list):
        return [openapi_30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: openapi_30(value) for key, value in schema.items() if key not in {"title", "$defs"}}
    for bound, keyword in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), int | float) and not isinstance(out[bound], bool):
            out[keyword] = out.pop(bound)
            out[bound] = True
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if "prefixItems" in out:
        items = out.pop("prefixItems")
        out.setdefault("items", {"type": "integer", "minimum": min(i["minimum"] for i in items)})
    if "anyOf" in out:
        branches = [branch for branch in out["anyOf"] if branch != {"type": "null"}]
        if len(branches) < len(out["anyOf"]):
            del out["anyOf"]
            if len(branches) == 1 and "$ref" not in branches[0]:
                out = {**branches[0], **out}
            elif len(branches) == 1:
                out["allOf"] = branches
            else:
                out["anyOf"] = branches
            out["nullable"] = True
    return out
