"""Editors write the practice loop's hints here. Learners' drafts and predictions stay private:
they are not in the admin at all."""

from django import forms
from django.contrib import admin

from learning_platform.objects import object_resolve

from .models import PracticeHint


class PracticeHintForm(forms.ModelForm):
    class Meta:
        model = PracticeHint
        fields = ["concept_key", "number", "text"]

    def clean_concept_key(self) -> str:
        key = self.cleaned_data["concept_key"].strip()
        resolved = object_resolve(key)
        if resolved is None or resolved.kind != "concept":
            raise forms.ValidationError(f"No concept has the key {key!r}.")
        return resolved.key


@admin.register(PracticeHint)
class PracticeHintAdmin(admin.ModelAdmin):
    form = PracticeHintForm
    list_display = ["concept_key", "number", "text", "updated_at"]
    list_filter = ["number"]
    search_fields = ["concept_key", "text"]
    ordering = ["concept_key", "number"]
