"""The concept preview in the admin: each section and object as learners see it.

``GET …/preview/`` shows the stored page exactly as ``?render=html`` serves it, with the JSON
response below. ``GET …/preview/?panel=1`` is the same rendering, bare, for the panel beside
the change form. ``POST …/preview/`` takes the change form as it is, unsaved, and renders its
sections and objects: the form's Preview button posts there, into the panel, so an editor sees
each equation that does not render, with its key and position, before saving anything.
"""

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin

from .embeds import embedded_objects
from .models import ConceptObject, Section
from .rendering import object_key, object_rendered, page_rendered, section_rendered

SECTION_FIELDS = ("kind", "order", "title", "summary", "prompt", "section_prompt", "body", "ready")
OBJECT_FIELDS = ("kind", "anchor", "title", "body", "language", "params")


def _formsets(model_admin, request, concept) -> dict[type, Any]:
    """The change form's section and object formsets, bound to the POST when there is one,
    with the prefixes the change form gives them."""
    found: dict[type, Any] = {}
    prefixes: dict[str, int] = {}
    for formset_class, inline in model_admin.get_formsets_with_inlines(request, concept):
        prefix = formset_class.get_default_prefix()
        prefixes[prefix] = prefixes.get(prefix, 0) + 1
        if prefixes[prefix] != 1 or not prefix:
            prefix = f"{prefix}-{prefixes[prefix]}"
        if inline.model in (Section, ConceptObject) and inline.model not in found:
            kwargs = model_admin.get_formset_kwargs(request, concept, inline, prefix)
            found[inline.model] = formset_class(**kwargs)
    return found


def _rows(formset, names: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    """(form prefix, values) of each row the form would keep, as the form holds them now."""
    if formset is None:
        return []
    rows = []
    for form in formset.forms:
        if formset.can_delete and form["DELETE"].value():
            continue
        values = {name: form[name].value() for name in names if name in form.fields}
        if values.get("kind"):
            rows.append((form.prefix, values))
    return rows


def _params(text: Any) -> dict:
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _form_rows(model_admin, request, concept) -> tuple[list, list, dict[str, str], str]:
    """(sections, objects, field ids, path): the page's sections and objects as the change
    form holds them (stored, or posted), and the id of the form field that holds each
    section's and object's text, by key."""
    formsets = _formsets(model_admin, request, concept)
    posted = request.method == "POST"
    area = (request.POST.get("area") if posted else "") or concept.area
    slug = (request.POST.get("slug") if posted else "") or concept.slug
    path = f"{area}/{slug}"
    fields: dict[str, str] = {}
    objects = []
    for prefix, values in _rows(formsets.get(ConceptObject), OBJECT_FIELDS):
        key = object_key(values["kind"], path, values.get("anchor") or "")
        fields[key] = f"id_{prefix}-body"
        objects.append(
            {
                **values,
                "key": key,
                "body": values.get("body") or "",
                "language": values.get("language") or "",
                "params": _params(values.get("params")),
            }
        )
    sections = []
    for prefix, values in _rows(formsets.get(Section), SECTION_FIELDS):
        key = f"section:{path}#{values['kind']}"
        fields[key] = f"id_{prefix}-body"
        fields[f"{key} section_prompt"] = f"id_{prefix}-section_prompt"
        try:
            order = int(values.get("order") or 0)
        except ValueError:
            order = 0
        sections.append(
            {
                **values,
                "key": key,
                "order": order,
                "number": f"{order:02d}",
                "body_source": values.get("body") or "",
                "section_prompt": values.get("section_prompt") or "",
            }
        )
    sections.sort(key=lambda section: section["order"])
    return sections, objects, fields, path


def _rendered(sections: list, objects: list, path: str) -> dict[str, Any]:
    embeds = embedded_objects(objects)
    return {
        "sections": [
            {**section, "rendered": section_rendered(section, objects=embeds, path=path)}
            for section in sections
        ],
        "objects": [{**obj, "rendered": object_rendered(obj)} for obj in objects],
    }


def _errors(page: dict[str, Any], fields: dict[str, str]) -> list[dict[str, Any]]:
    """Every equation that does not render, once each, in page order, with the id of the
    field to fix it in."""
    found: dict[tuple, dict[str, Any]] = {}
    for item in (*page["sections"], *page["objects"]):
        for error in item["rendered"]["errors"]:
            where = error["key"] if error["field"] == "body" else f"{error['key']} {error['field']}"
            found.setdefault(
                (error["key"], error["field"], error["offset"], error["message"]),
                {**error, "field_id": fields.get(where, "")},
            )
    return list(found.values())


def _concept(model_admin, request, object_id):
    concept = model_admin.get_object(request, object_id)
    if concept is None:
        raise Http404("No such concept.")
    if not model_admin.has_view_permission(request, concept):
        raise PermissionDenied
    return concept


@xframe_options_sameorigin
def preview_view(model_admin, request, object_id):
    """The rendered preview of a concept: stored (GET) or as the change form holds it (POST)."""
    from .api import concept_payload

    concept = _concept(model_admin, request, object_id)
    posted = request.method == "POST"
    if posted and not model_admin.has_change_permission(request, concept):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": concept,
        "title": f"Preview: {concept.title}",
        "unsaved": posted,
        "change_url": reverse("admin:concepts_concept_change", args=[concept.pk]),
    }
    sections, objects, fields, path = _form_rows(model_admin, request, concept)
    if posted or request.GET.get("panel"):
        page = _rendered(sections, objects, path)
        context.update(page, errors=_errors(page, fields))
        return TemplateResponse(request, "admin/concepts/concept/preview_frame.html", context)
    payload = concept_payload(concept=concept, request=request)
    served = page_rendered(payload)
    context.update(
        sections=served["sections"],
        objects=served["objects"],
        errors=_errors(served, fields),
        api_url=payload["url"],
        payload_json=json.dumps(payload, indent=2, ensure_ascii=False),
    )
    return TemplateResponse(request, "admin/concepts/concept/preview.html", context)
