from urllib.parse import urlencode

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def queue_url(filters, **changes) -> str:
    """The review queue's URL with the current filters and these changed (empty: removed)."""
    query = {**filters.query(), **{name: str(value) for name, value in changes.items()}}
    query = {name: value for name, value in query.items() if value}
    url = reverse("admin:claims_claim_review_queue")
    return f"{url}?{urlencode(query)}" if query else url
