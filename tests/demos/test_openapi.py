import pytest

from demos.catalogue import KINDS
from demos.openapi import openapi_30

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/schema/?format=json").json()


def component(schema: dict, ref: dict) -> dict:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def test_each_kind_has_its_own_run_operation(schema):
    """Run submission is one operation per kind; the untyped templated route is gone."""
    assert "/api/v1/demos/{kind}/runs/" not in schema["paths"]
    ids = {schema["paths"][f"/api/v1/demos/{slug}/runs/"]["post"]["operationId"] for slug in KINDS}
    assert len(ids) == len(KINDS) and "demo_runs_create_kl_policy" in ids


@pytest.mark.parametrize("slug", list(KINDS))
def test_the_request_body_is_the_kinds_parameter_model(schema, slug):
    """The body's component is named after the kind and is its model's schema, in OAS 3.0."""
    operation = schema["paths"][f"/api/v1/demos/{slug}/runs/"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]
    name = KINDS[slug].params.__name__
    assert ref == {"$ref": f"#/components/schemas/{name}"}
    assert component(schema, ref) == openapi_30(KINDS[slug].params.model_json_schema())
    assert component(schema, ref)["additionalProperties"] is False


@pytest.mark.parametrize("slug", list(KINDS))
def test_the_answered_run_carries_the_kinds_params_and_result(schema, slug):
    """200 and 202 answer the kind's own run component: every field of a run, with the kind's
    parameter and result models in place of the union."""
    responses = schema["paths"][f"/api/v1/demos/{slug}/runs/"]["post"]["responses"]
    name = KINDS[slug].params.__name__.removesuffix("Params") + "Run"
    generic = schema["components"]["schemas"]["DemoRunOutput"]
    for code in ("200", "202"):
        ref = responses[code]["content"]["application/json"]["schema"]
        assert ref == {"$ref": f"#/components/schemas/{name}"}
        run = component(schema, ref)
        assert set(run["properties"]) == set(generic["properties"])
        properties = run["properties"]
        assert properties["kind"] == {"type": "string", "enum": [slug]}
        assert properties["params"] == {
            "$ref": f"#/components/schemas/{KINDS[slug].params.__name__}"
        }
        result = component(schema, properties["result"]["allOf"][0])
        assert set(result["properties"]) == set(KINDS[slug].result.model_fields)


def test_a_run_read_lists_every_kinds_result(schema):
    """GET /demo-runs/<id>/ answers any kind's result, or null before success."""
    result = schema["components"]["schemas"]["DemoRunOutput"]["properties"]["result"]
    names = {ref["$ref"].rsplit("/", 1)[1] for ref in result["anyOf"]}
    assert names == {kind.result.__name__ for kind in KINDS.values()} and result["nullable"]


def test_the_schema_uses_the_openapi_30_dialect():
    """Null types become nullable, numeric exclusive bounds become boolean ones."""
    converted = openapi_30(KINDS["ppo-clip"].params.model_json_schema())
    epsilon, logits = converted["properties"]["epsilon"], converted["properties"]["old_logits"]
    assert epsilon["minimum"] == 0 and epsilon["exclusiveMinimum"] is True
    assert logits["type"] == "array" and logits["nullable"] is True and "anyOf" not in logits
    assert "title" not in converted
