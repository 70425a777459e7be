"""Finding the concept a path names, or answering 404."""

from rest_framework.exceptions import NotFound

from ..models import Concept
from ..selectors import concept_get


def concept_or_404(request, area: str, slug: str) -> Concept:
    concept = concept_get(user=request.user, area=area, slug=slug)
    if concept is None:
        raise NotFound(f"No concept {area}/{slug}.")
    return concept
