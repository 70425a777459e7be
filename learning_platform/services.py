"""The one way a service changes a model's fields from a caller's data."""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import ForeignKey, Model


def model_update(
    *,
    instance: Model,
    fields: Iterable[str],
    data: Mapping[str, Any],
    refused: str = "This field cannot be changed here.",
    clean: Callable[[Mapping[str, Any]], None] | None = None,
) -> list[str]:
    """Set on ``instance`` the ``fields`` that ``data`` gives and that differ; answer their
    names, in the order of ``fields``. Saving (and which checks come with it) is the caller's.

    A name in ``data`` outside ``fields`` is refused with ``refused`` before anything changes;
    ``clean`` (the caller's own checks on ``data``) runs next, also before anything changes. A
    foreign key is compared by its id, so comparing reads no related row.
    """
    allowed = list(fields)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({name: [refused] for name in unknown})
    if clean is not None:
        clean(data)
    changed = []
    for name in allowed:
        if name not in data:
            continue
        value = data[name]
        field = instance._meta.get_field(name)
        if isinstance(field, ForeignKey):  # one-to-one fields included
            current = getattr(instance, field.attname)
            differs = current != (value.pk if isinstance(value, Model) else value)
        else:
            differs = getattr(instance, name) != value
        if differs:
            setattr(instance, name, value)
            changed.append(name)
    return changed
