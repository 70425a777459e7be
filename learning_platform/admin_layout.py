"""What the admin's long forms share: textareas sized to their text, inline headings with counts.

A page like alignment/rlhf has four long sections, dozens of objects and a dozen edges: shown
whole, its change form is tens of thousands of pixels tall. Each kind of inline is collapsed
under a heading that says how many rows it holds, every row links to a change page of its own,
and each textarea is as tall as its text (capped; the CSS lets Chromium fit it as one types).
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.widgets import AdminTextareaWidget
from django.db import models

if TYPE_CHECKING:
    # The mixin is only ever combined with an admin inline (TabularInline, StackedInline).
    _InlineBase = admin.options.InlineModelAdmin[Any, Any]
else:
    _InlineBase = object

TEXTAREA_ROWS_MIN = 2
TEXTAREA_ROWS_MAX = 24
ADMIN_CSS = "learning_platform/admin_forms.css"


def rows_for(text: str | None, *, cols: int = 80) -> int:
    """Rows enough for ``text`` wrapped at ``cols`` characters, between the bounds."""
    lines = sum(max(1, -(-len(line) // cols)) for line in (text or "").rstrip("\n").split("\n"))
    return max(TEXTAREA_ROWS_MIN, min(TEXTAREA_ROWS_MAX, lines))


class FittedTextarea(AdminTextareaWidget):
    """A textarea as tall as its text: the rows from its line count, capped."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        text = self.format_value(value) or ""
        context["widget"]["attrs"]["rows"] = rows_for(text)
        classes = context["widget"]["attrs"].get("class", "")
        context["widget"]["attrs"]["class"] = f"{classes} fitted".strip()
        return context


FITTED_TEXT: "Mapping[type[models.Field[Any, Any]], Mapping[str, Any]]" = {
    models.TextField: {"widget": FittedTextarea}
}


class CollapsedInline(_InlineBase):
    """An inline collapsed under a heading with its row count; each row opens its own page.

    The count is the formset's own: the rows it already loaded, no extra query.
    """

    classes = ["collapse"]
    show_change_link = True
    formfield_overrides = FITTED_TEXT

    class Media:
        css = {"all": [ADMIN_CSS]}


def inline_headings_count(inline_admin_formsets) -> None:
    """Append each inline's row count to its heading: "Sections (4)"."""
    for inline_admin_formset in inline_admin_formsets:
        inline, formset = inline_admin_formset.opts, inline_admin_formset.formset
        if not isinstance(inline, CollapsedInline):
            continue
        count = formset.initial_form_count()
        inline.verbose_name_plural = f"{inline.verbose_name_plural} ({count})"


class RowAdmin(admin.ModelAdmin):
    """The change page of one inline row, for long edits; reached from its concept's page
    (it is not listed on the admin's index)."""

    formfield_overrides = FITTED_TEXT

    class Media:
        css = {"all": [ADMIN_CSS]}

    def has_module_permission(self, request):
        return False
