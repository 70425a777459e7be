import pytest

from concepts.models import Concept
from demos.catalogue import KINDS, params_hash
from demos.services import demo_run_execute
from learning_platform.objects import object_resolve

from .factories import DemoObjectFactory, DemoRunFactory

pytestmark = pytest.mark.django_db
PAGE_STATE = "demo-state:alignment/rlhf#kl-policy?beta=0.7&shift=10"


def test_page_demo_state_resolves_with_title_and_canonical_params():
    """The page's key names the demo object, titled by its state, with canonical params."""
    demo = DemoObjectFactory()
    resolved = object_resolve(PAGE_STATE)
    assert resolved is not None
    assert resolved.kind == "demo-state" and resolved.key == PAGE_STATE
    assert resolved.title == "KL-regularised policy at β=0.7, shift=10"
    assert resolved.concept_key == "concept:alignment/rlhf"
    assert resolved.api_url == "/api/v1/demos/kl-policy/"
    context = resolved.context
    assert context["demo"] == demo.key == "demo:alignment/rlhf#kl-policy"
    assert context["demo_kind"] == "kl-policy"
    assert context["params"] == KINDS["kl-policy"].validate({})
    assert context["params_hash"] == params_hash("kl-policy", context["params"])
    assert context["run"] is None


def test_query_is_merged_over_the_objects_defaults():
    """Parameters in the key override the object's; the rest keep its and the page's values."""
    DemoObjectFactory(params={"beta": 2.0, "shift": 5.0})
    resolved = object_resolve(
        "demo-state:alignment/rlhf#kl-policy?beta=0.25&proxy_gap=true&pi_ref=0.4,0.3,0.2,0.1"
    )
    params = resolved.context["params"]
    assert params["beta"] == 0.25 and params["shift"] == 5.0 and params["proxy_gap"] is True
    assert params["pi_ref"] == [0.4, 0.3, 0.2, 0.1]
    assert resolved.title == (
        "KL-regularised policy at β=0.25, proxy_gap=on, π_ref=[0.4, 0.3, 0.2, 0.1]"
    )


def test_existing_run_for_the_state_is_linked():
    """When the state's computation has a run, the context points at it."""
    DemoObjectFactory()
    run = DemoRunFactory(params=KINDS["kl-policy"].validate({}))
    demo_run_execute(run_id=run.pk)
    linked = object_resolve(PAGE_STATE).context["run"]
    assert linked == {
        "id": str(run.pk),
        "status": "succeeded",
        "url": f"/api/v1/demo-runs/{run.pk}/",
    }


@pytest.mark.parametrize(
    "key",
    [
        "demo-state:alignment/rlhf#kl-policy?beta=0",
        "demo-state:alignment/rlhf#kl-policy?beta=NaN",
        "demo-state:alignment/rlhf#kl-policy?gamma=1",
        "demo-state:alignment/rlhf#kl-policy?beta=1&beta=2",
        "demo-state:alignment/rlhf#no-such-demo?beta=1",
        "demo-state:alignment/other#kl-policy",
        "demo-state:alignment/rlhf",
        "demo-state:rlhf#kl-policy",
    ],
)
def test_invalid_states_do_not_resolve(key):
    """A state the demo cannot run, or a demo that does not exist, resolves to nothing."""
    DemoObjectFactory()
    assert object_resolve(key) is None


def test_demo_of_an_unpublished_concept_does_not_resolve():
    """Anonymous readers see published content only, so a draft concept's demo is hidden."""
    DemoObjectFactory(concept__status=Concept.Status.DRAFT)
    assert object_resolve(PAGE_STATE) is None


def test_object_endpoint_appends_the_query_string(anon_client, django_assert_max_num_queries):
    """GET /objects/<key>?beta=… resolves the demo state in a constant number of queries."""
    DemoObjectFactory()
    with django_assert_max_num_queries(2):
        response = anon_client.get(
            "/api/v1/objects/demo-state:alignment/rlhf%23kl-policy?beta=0.7&shift=10"
        )
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "demo-state"
    assert body["title"] == "KL-regularised policy at β=0.7, shift=10"
    assert body["url"] == "http://testserver/api/v1/demos/kl-policy/"
    missing = anon_client.get("/api/v1/objects/demo-state:alignment/rlhf%23kl-policy?beta=-1")
    assert missing.status_code == 404
