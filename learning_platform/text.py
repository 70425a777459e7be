"""One canonical form for stored text, whatever door it came through.

LF line endings, Unicode NFC, no trailing whitespace at line ends, no leading or trailing blank
lines, and exactly one final newline for a multi-line body (none for a single line). A browser
textarea sends CRLF and a file editor may leave trailing spaces: both store the same string,
so a save that changes nothing changes no hash.

``CanonicalTextField`` and ``CanonicalCharField`` apply it on save and on validation, and give
the admin a form field that applies it before comparing with the stored value.
"""

import unicodedata
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import models

if TYPE_CHECKING:
    # The mixin is only ever combined with a model field (TextField, CharField).
    _FieldBase = models.Field[Any, Any]
else:
    _FieldBase = object


def canonical_text(value: str) -> str:
    if not value:
        return value
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return ""
    if len(lines) == 1:
        return lines[0]
    return "\n".join(lines) + "\n"


def canonical_line(value: str) -> str:
    """A single-line value: NFC, line breaks folded to spaces, no surrounding whitespace."""
    if not value:
        return value
    text = unicodedata.normalize("NFC", value)
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


class CanonicalTextFormField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs["strip"] = False  # canonical_text keeps a code body's first indentation
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return canonical_text(value) if isinstance(value, str) else value


class CanonicalLineFormField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        return canonical_line(value) if isinstance(value, str) else value


class CanonicalField(_FieldBase):
    """What the canonical model fields share: ``canonicalize`` is their normal form."""

    canonicalize = staticmethod(canonical_text)
    form_class_canonical: type[forms.CharField] = CanonicalTextFormField

    def to_python(self, value):
        value = super().to_python(value)
        return self.canonicalize(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = self.canonicalize(value)
            setattr(model_instance, self.attname, value)
        return value

    def formfield(self, **kwargs):
        if not self.choices:
            kwargs.setdefault("form_class", self.form_class_canonical)
        return super().formfield(**kwargs)


class CanonicalTextField(CanonicalField, models.TextField):
    """A multi-line body stored in canonical form."""


class CanonicalCharField(CanonicalField, models.CharField):
    """A one-line value stored in canonical form."""

    canonicalize = staticmethod(canonical_line)
    form_class_canonical = CanonicalLineFormField
