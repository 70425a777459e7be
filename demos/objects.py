"""Resolver for ``demo-state:`` keys: a demo object plus the parameters a learner set.

``demo-state:alignment/rlhf#kl-policy?beta=0.7&shift=10`` names the demo object
``demo:alignment/rlhf#kl-policy`` in the state beta = 0.7, shift = 10. The query string is
merged over the object's default parameters and validated by the catalogue, so a key
resolves only to a state the demo can actually run; its canonical parameters (and the run
that caches them, if any) come back in the context.
"""

import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl

from django.core.exceptions import ValidationError
from django.urls import reverse

from concepts.models import Concept, ConceptObject
from learning_platform.objects import ResolvedObject, register_resolver, split_key

from .catalogue import SYMBOLS, code_version, demo_kind_get, params_hash
from .selectors import demo_run_find

MAX_QUERY_FIELDS = 30


@register_resolver("demo-state")
def demo_state_resolve(key: str) -> ResolvedObject | None:
    parts = split_key(key)
    if parts is None:
        return None
    target, _, query = parts[1].partition("?")
    path, hash_sign, anchor = target.partition("#")
    area, slash, slug = path.partition("/")
    if not (hash_sign and slash and area and slug and anchor) or "/" in slug:
        return None
    given = _query_params(query)
    if given is None:
        return None
    obj = (
        ConceptObject.objects.select_related("concept")
        .filter(
            kind=ConceptObject.Kind.DEMO,
            anchor=anchor,
            concept__area=area,
            concept__slug=slug,
            concept__status=Concept.Status.PUBLISHED,
        )
        .first()
    )
    if obj is None:
        return None
    demo = demo_kind_get(obj.demo_kind or obj.anchor)
    if demo is None:
        return None
    merged = {**(obj.params if isinstance(obj.params, dict) else {}), **given}
    try:
        canonical = demo.validate(merged)
    except ValidationError:
        return None
    digest = params_hash(demo.slug, canonical)
    version = code_version()
    run = demo_run_find(kind=demo.slug, params_hash=digest, code_version=version)
    shown = [name for name in given if name in canonical]
    if shown:
        title = f"{demo.title} at " + ", ".join(
            f"{SYMBOLS.get(name, name)}={_format(canonical[name])}" for name in shown
        )
    else:
        title = f"{demo.title} at the page's defaults"
    return ResolvedObject(
        key=key,
        kind="demo-state",
        title=title,
        api_url=reverse("demo-kind", kwargs={"kind": demo.slug}),
        concept_key=obj.concept.key,
        version=hashlib.sha256(f"{obj.content_hash}:{digest}:{version}".encode()).hexdigest(),
        context={
            "demo": obj.key,
            "demo_title": obj.title,
            "demo_kind": demo.slug,
            "params": canonical,
            "params_hash": digest,
            "code_version": version,
            "runs_url": reverse("demo-run-request", kwargs={"kind": demo.slug}),
            "run": None
            if run is None
            else {
                "id": str(run.pk),
                "status": run.status,
                "url": reverse("demo-run-detail", kwargs={"run_id": run.pk}),
            },
        },
        revision=obj.concept.revision_hash,
    )


def _query_params(query: str) -> dict[str, Any] | None:
    """``beta=0.7&pi_ref=0.4,0.3,0.2,0.1&method=page`` → typed values; None if malformed."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS)
    except ValueError:
        return None
    params: dict[str, Any] = {}
    for name, raw in pairs:
        if name in params:
            return None
        params[name] = _query_value(raw)
    return params


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a finite number")


def _query_value(raw: str) -> Any:
    for text in (raw, f"[{raw}]" if "," in raw and not raw.startswith("[") else None):
        if text is None:
            continue
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except ValueError:
            continue
    return raw


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, list):
        if len(value) > 6:
            return f"[{len(value)} values]"
        return "[" + ", ".join(_format(item) for item in value) + "]"
    return str(value)
