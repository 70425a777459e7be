import mimetypes
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from learning_platform.admin_layout import (
    FITTED_TEXT,
    CollapsedInline,
    RowAdmin,
    inline_headings_count,
)

from . import admin_preview
from .models import (
    PRACTICE_HINTS_MAX,
    Concept,
    ConceptObject,
    ConceptSource,
    PracticeHint,
    Prerequisite,
    RelatedLink,
    Section,
    Source,
    SourceSnapshot,
)
from .revisions import content_diff, revision_list
from .selectors import concept_sees_unpublished, readiness_label
from .services import (
    MEDIA_TYPE,
    cycle_message,
    prerequisite_add,
    prerequisite_cycle,
    prerequisite_remove,
    prerequisite_update,
    snapshot_check_size,
    snapshot_media_type,
    snapshot_store,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class SectionCounts(TypedDict):
    """What ConceptAdmin.get_queryset annotates each concept with."""

    sections_total: int
    sections_ready: int


class SectionInline(CollapsedInline, admin.StackedInline):
    model = Section
    extra = 0
    verbose_name_plural = "sections"
    fields = ("order", "kind", "title", "summary", "prompt", "section_prompt", "body", "ready")


class ConceptObjectInline(CollapsedInline, admin.StackedInline):
    model = ConceptObject
    fk_name = "concept"
    extra = 0
    verbose_name_plural = "objects (equations, code, demos, figures)"
    fields = (
        ("kind", "anchor", "order"),
        "title",
        "section",
        "operational",
        ("language", "demo_kind"),
        "params",
        "body",
        "expected_output",
    )

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if "section" in formset.form.base_fields:
            # A ForeignKey's form field.
            field = cast(forms.ModelChoiceField, formset.form.base_fields["section"])
            field.queryset = (
                Section.objects.filter(concept=obj) if obj is not None else Section.objects.none()
            )
        return formset


class PrerequisiteFormSet(BaseInlineFormSet):
    """Refuses, with the cycle named, any edge set that would make the graph cyclic."""

    def clean(self):
        super().clean()
        concept = self.instance
        if concept.pk is None:
            return  # nothing can point at a concept that does not exist yet
        kept = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and self._should_delete_form(form)):  # type: ignore[attr-defined]  # BaseFormSet's own deletion test, absent from django-stubs
                continue
            if data.get("prerequisite") is not None:
                kept.append((form, data["prerequisite"]))
        others = list(
            Prerequisite.objects.exclude(concept=concept).values_list(
                "concept_id", "prerequisite_id"
            )
        )
        for form, prerequisite in kept:
            edges = others + [(concept.pk, p.pk) for f, p in kept if f is not form]
            cycle = prerequisite_cycle(
                concept_id=concept.pk, prerequisite_id=prerequisite.pk, edges=edges
            )
            if cycle:
                form.add_error("prerequisite", f"This edge {cycle_message(cycle)}.")


class PrerequisiteInline(CollapsedInline, admin.TabularInline):
    model = Prerequisite
    fk_name = "concept"
    formset = PrerequisiteFormSet
    autocomplete_fields = ["prerequisite"]
    fields = ("prerequisite", "carry_in", "carry_out", "order", "next_order")
    extra = 0
    verbose_name = "prerequisite (before)"
    verbose_name_plural = "prerequisites (before), with the carry-in and carry-out notes"


URL_FIELDS: dict[type[models.Field], dict[str, Any]] = {models.URLField: {"assume_scheme": "https"}}


class RelatedLinkInline(CollapsedInline, admin.TabularInline):
    model = RelatedLink
    formfield_overrides = {**FITTED_TEXT, **URL_FIELDS}
    verbose_name_plural = "related links"
    fk_name = "concept"
    autocomplete_fields = ["target"]
    fields = ("target", "url", "title", "note", "order")
    extra = 0


class ConceptSourceInline(CollapsedInline, admin.TabularInline):
    model = ConceptSource
    autocomplete_fields = ["source"]
    fields = ("source", "grounds", "order")
    extra = 0
    verbose_name = "source"
    verbose_name_plural = "sources, with the sentence saying what each grounds"


class PracticeHintInline(CollapsedInline, admin.TabularInline):
    model = PracticeHint
    fields = ("number", "teaser", "body")
    extra = 0
    max_num = PRACTICE_HINTS_MAX
    verbose_name_plural = "practice hints (teaser shown, body revealed in order)"


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "path_display",
        "status",
        "importance",
        "difficulty",
        "readiness_display",
        "updated_at",
    )
    list_filter = ("area", "status", "difficulty", "importance")
    search_fields = ("title", "slug", "area", "summary")
    ordering = ("area", "slug")  # annotated (GROUP BY) querysets ignore Meta.ordering
    formfield_overrides = FITTED_TEXT
    readonly_fields = ("key_display", "preview_link", "revision_link")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "key_display",
                    ("preview_link", "revision_link"),
                    ("area", "area_title", "slug"),
                )
            },
        ),
        (
            "Metadata",
            {"fields": (("status", "importance"), ("difficulty", "math_level", "read_minutes"))},
        ),
        ("Page", {"fields": ("title", "summary", "illustration_caption", "link_test")}),
        (
            "Learner texts",
            {
                "classes": ("collapse",),
                "description": "The texts around the page's panels. The practice hints are "
                "below, with the concept's other parts.",
                "fields": tuple(Concept.LEARNER_FIELDS),
            },
        ),
    )
    inlines = [
        SectionInline,
        ConceptObjectInline,
        PracticeHintInline,
        PrerequisiteInline,
        RelatedLinkInline,
        ConceptSourceInline,
    ]

    def get_queryset(self, request):
        concepts = super().get_queryset(request)
        if not concept_sees_unpublished(request.user):
            # The list and the autocomplete of every concept field alike.
            concepts = concepts.filter(status=Concept.Status.PUBLISHED)
        return concepts.annotate(
            sections_total=Count("sections", distinct=True),
            sections_ready=Count("sections", filter=Q(sections__ready=True), distinct=True),
        )

    @admin.display(description="path", ordering="area")
    def path_display(self, concept: Concept) -> str:
        return concept.path

    @admin.display(description="sections")
    def readiness_display(self, concept: "WithAnnotations[Concept, SectionCounts]") -> str:
        return readiness_label(concept.sections_ready, concept.sections_total)

    @admin.display(description="object key")
    def key_display(self, concept: Concept) -> str:
        return concept.key if concept.pk else "—"

    @admin.display(description="preview")
    def preview_link(self, concept: Concept) -> str:
        if concept.pk is None:
            return "—"
        url = reverse("admin:concepts_concept_preview", args=[concept.pk])
        return format_html('<a href="{}">Preview as the API serves it</a>', url)

    @admin.display(description="revision")
    def revision_link(self, concept: Concept) -> str:
        if concept.pk is None or not concept.revision_hash:
            return "—"
        url = reverse("admin:concepts_concept_revisions", args=[concept.pk])
        return format_html(
            '<a href="{}">Revision <code>{}</code>: history and diffs</a>',
            url,
            concept.revision_hash[:12],
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="concepts_concept_preview",
            ),
            path(
                "<path:object_id>/revisions/",
                self.admin_site.admin_view(self.revisions_view),
                name="concepts_concept_revisions",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        return admin_preview.preview_view(self, request, object_id)

    def revisions_view(self, request, object_id):
        concept = self.get_object(request, object_id)
        if concept is None:
            raise Http404("No such concept.")
        if not self.has_view_permission(request, concept):
            raise PermissionDenied
        revisions = list(revision_list(concept=concept)[:200])
        by_hash = {revision.hash: revision for revision in revisions}
        new = by_hash.get(request.GET.get("to", "")) or (revisions[0] if revisions else None)
        old = by_hash.get(request.GET.get("from", ""))
        if old is None and new is not None and new.parent_hash:
            old = by_hash.get(new.parent_hash)
        changes = []
        if new is not None:
            changes = content_diff(
                old.content if old else {},
                new.content,
                old_label=old.hash[:12] if old else "empty",
                new_label=new.hash[:12],
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": concept,
            "title": f"Revisions: {concept.title}",
            "revisions": revisions,
            "old": old.hash if old else "",
            "new": new.hash if new else "",
            "changes": changes,
        }
        return TemplateResponse(request, "admin/concepts/concept/revisions.html", context)

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_admin_formsets = super().get_inline_formsets(
            request, formsets, inline_instances, obj
        )
        inline_headings_count(inline_admin_formsets)
        return inline_admin_formsets

    def save_formset(self, request, form, formset, change):
        if formset.model is not Prerequisite:
            return super().save_formset(request, form, formset, change)
        # Edges go through the same services as the API and the content loader.
        formset.save(commit=False)
        for edge in formset.deleted_objects:
            prerequisite_remove(edge=edge)
        for edge, changed in formset.changed_objects:
            stored = Prerequisite.objects.get(pk=edge.pk)
            if "prerequisite" in changed:
                prerequisite_remove(edge=stored)
                prerequisite_add(
                    concept=form.instance,
                    prerequisite=edge.prerequisite,
                    carry_in=edge.carry_in,
                    carry_out=edge.carry_out,
                    order=edge.order,
                    next_order=edge.next_order,
                )
            else:
                prerequisite_update(
                    edge=stored,
                    carry_in=edge.carry_in,
                    carry_out=edge.carry_out,
                    order=edge.order,
                    next_order=edge.next_order,
                )
        for edge in formset.new_objects:
            prerequisite_add(
                concept=form.instance,
                prerequisite=edge.prerequisite,
                carry_in=edge.carry_in,
                carry_out=edge.carry_out,
                order=edge.order,
                next_order=edge.next_order,
            )


# One inline row on a page of its own, for long edits ------------------------------------------


class ConceptRowAdmin(RowAdmin):
    """A row of a concept, opened from the concept's page: the concept itself is fixed."""

    list_select_related = ["concept"]

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("concept")
        if not concept_sees_unpublished(request.user):
            rows = rows.filter(concept__status=Concept.Status.PUBLISHED)
        return rows

    def get_readonly_fields(self, request, obj=None):
        return ["concept"] if obj is not None else []

    def has_add_permission(self, request):
        return False  # a row is added on its concept's page, where its siblings are

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        if "_continue" in request.POST or IS_POPUP_VAR in request.POST:
            return response
        # Back to the page the row was opened from.
        return HttpResponseRedirect(reverse("admin:concepts_concept_change", args=[obj.concept_id]))


@admin.register(Section)
class SectionAdmin(ConceptRowAdmin):
    fields = ("concept", *SectionInline.fields)
    search_fields = ("title", "concept__slug")


@admin.register(ConceptObject)
class ConceptObjectAdmin(ConceptRowAdmin):
    """Also the search behind every witness picker: by anchor, title, kind or concept."""

    fields = ("concept", *ConceptObjectInline.fields)
    search_fields = ("anchor", "title", "kind", "concept__slug", "concept__area")
    ordering = ("concept__area", "concept__slug", "order", "id")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            object_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Section.objects.filter(concept__page_objects__pk=object_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Prerequisite)
class PrerequisiteAdmin(ConceptRowAdmin):
    """An edge's notes and positions; which concepts it joins is changed on the concept's page,
    where a cycle is refused with the cycle named."""

    fields = ("concept", "prerequisite", "carry_in", "carry_out", "order", "next_order")

    def get_queryset(self, request):
        edges = super().get_queryset(request).select_related("prerequisite")
        if not concept_sees_unpublished(request.user):
            edges = edges.filter(prerequisite__status=Concept.Status.PUBLISHED)
        return edges

    def get_readonly_fields(self, request, obj=None):
        return ["concept", "prerequisite"]

    def save_model(self, request, obj, form, change):
        prerequisite_update(
            edge=Prerequisite.objects.get(pk=obj.pk),
            carry_in=obj.carry_in,
            carry_out=obj.carry_out,
            order=obj.order,
            next_order=obj.next_order,
        )

    def delete_model(self, request, obj):
        prerequisite_remove(edge=obj)

    def delete_queryset(self, request, queryset):
        for edge in queryset:
            prerequisite_remove(edge=edge)


@admin.register(RelatedLink)
class RelatedLinkAdmin(ConceptRowAdmin):
    fields = ("concept", *RelatedLinkInline.fields)
    autocomplete_fields = ["target"]
    formfield_overrides = RelatedLinkInline.formfield_overrides


@admin.register(ConceptSource)
class ConceptSourceAdmin(ConceptRowAdmin):
    fields = ("concept", *ConceptSourceInline.fields)
    autocomplete_fields = ["source"]


@admin.register(PracticeHint)
class PracticeHintAdmin(ConceptRowAdmin):
    fields = ("concept", *PracticeHintInline.fields)


class SnapshotHistoryInline(admin.TabularInline):
    """Snapshots are evidence: listed here read-only, added through their own upload form."""

    model = SourceSnapshot
    fields = ("sha256", "size_bytes", "media_type", "retrieved_on", "file", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "snapshots (newest first)"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("key", "kind", "title", "year", "venue")
    list_filter = ("kind", "year")
    search_fields = ("key", "title", "venue", "doi", "arxiv_id")
    readonly_fields = ("upload_link",)
    formfield_overrides = URL_FIELDS
    fields = (
        "key",
        "kind",
        "title",
        "authors",
        ("year", "venue"),
        "url",
        ("doi", "arxiv_id"),
        "upload_link",
    )
    inlines = [SnapshotHistoryInline]

    @admin.display(description="local snapshot")
    def upload_link(self, source: Source) -> str:
        if source.pk is None:
            return "Save the source first, then upload a snapshot."
        url = reverse("admin:concepts_sourcesnapshot_add") + f"?source={source.pk}"
        return format_html('<a href="{}">Upload a snapshot</a>', url)


class SnapshotUploadForm(forms.ModelForm):
    media_type = forms.CharField(
        max_length=120,
        required=False,
        help_text="Leave empty to take it from the uploaded file.",
    )

    class Meta:
        model = SourceSnapshot
        fields = ["source", "file", "media_type", "retrieved_on"]

    def clean_media_type(self):
        value = self.cleaned_data.get("media_type") or ""
        if value:
            try:
                value = snapshot_media_type(filename="", declared=value)
            except ValidationError as exc:
                raise forms.ValidationError(exc.message_dict["media_type"]) from exc
        return value

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None:
            try:
                snapshot_check_size(upload.size)
            except ValidationError as exc:  # the service refuses the size: shown on the field
                raise forms.ValidationError(exc.message_dict["file"]) from exc
        return upload


@admin.register(SourceSnapshot)
class SourceSnapshotAdmin(admin.ModelAdmin):
    form = SnapshotUploadForm
    list_display = ("source", "sha256", "size_bytes", "media_type", "retrieved_on", "created_at")
    list_filter = ("media_type",)
    search_fields = ("source__key", "sha256")
    autocomplete_fields = ["source"]
    readonly_only = ("source", "file", "sha256", "size_bytes", "media_type", "retrieved_on")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["source", "file", "media_type", "retrieved_on"]
        return [*self.readonly_only, "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_only, "created_at"] if obj is not None else []

    def get_changeform_initial_data(self, request):
        # The form's initial data takes any field value, not only the query string's text.
        initial = cast(dict[str, Any], super().get_changeform_initial_data(request))
        initial.setdefault("retrieved_on", timezone.localdate())
        return initial

    def save_model(self, request, obj, form, change):
        if change:
            return  # every field is read-only: a snapshot is never edited
        upload = form.cleaned_data["file"]
        media_type = form.cleaned_data.get("media_type") or ""
        if not media_type:
            sent = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
            media_type = (
                sent if MEDIA_TYPE.match(sent) else mimetypes.guess_type(upload.name)[0] or ""
            )
        upload.seek(0)
        snapshot, state = snapshot_store(
            source=form.cleaned_data["source"],
            content=upload.read(),
            media_type=media_type or "application/octet-stream",
            retrieved_on=form.cleaned_data["retrieved_on"],
        )
        # The admin goes on with the stored row (an identical upload reuses the latest one).
        for model_field in snapshot._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(snapshot, model_field.attname))
        obj._state.adding = False
        obj._state.db = snapshot._state.db
        obj.upload_state = state
        if state != "created":
            messages.info(
                request,
                f"Identical to the latest snapshot of {snapshot.source.key} "
                f"(sha256 {snapshot.sha256}); no new snapshot was stored.",
            )

    def response_add(self, request, obj, post_url_continue=None):
        # The editor lands on the snapshot's own page, where the hash and size are read whole
        # (the list cuts a sha256 short), with both in the message.
        if "_addanother" in request.POST or IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        if getattr(obj, "upload_state", "created") == "created":
            messages.success(
                request,
                f"Stored a snapshot of {obj.source.key}: sha256 {obj.sha256}, "
                f"{obj.size_bytes} bytes.",
            )
        return HttpResponseRedirect(reverse("admin:concepts_sourcesnapshot_change", args=[obj.pk]))
