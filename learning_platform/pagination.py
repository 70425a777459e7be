from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class LimitOffsetInput(serializers.Serializer):
    """``?limit=`` and ``?offset=`` of an answer that lists at most ``limit`` items from
    ``offset`` (an item count from 0). A limit above the maximum is refused (400 naming
    ``limit``), not clamped; so are a limit below 1, a negative offset and non-integers."""

    DEFAULT_LIMIT = 200
    MAX_LIMIT = 500

    limit = serializers.IntegerField(
        required=False,
        default=DEFAULT_LIMIT,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=f"How many items, {DEFAULT_LIMIT} by default, at most {MAX_LIMIT}.",
    )
    offset = serializers.IntegerField(
        required=False, default=0, min_value=0, help_text="How many items to skip (from 0)."
    )


def limit_offset(request) -> tuple[int, int]:
    """(limit, offset) from the request's query, or a 400 naming the field that is wrong."""
    given = LimitOffsetInput(data=request.query_params)
    given.is_valid(raise_exception=True)
    return given.validated_data["limit"], given.validated_data["offset"]


def limit_offset_links(request, *, count: int, limit: int, offset: int) -> dict:
    """Absolute ``next`` and ``previous`` links of a limit/offset page (None at either end)."""
    url = request.build_absolute_uri()
    following = None
    if offset + limit < count:
        following = replace_query_param(
            replace_query_param(url, "limit", limit), "offset", offset + limit
        )
    previous = None
    if offset > 0:
        previous = replace_query_param(url, "limit", limit)
        earlier = max(0, min(offset, count) - limit)
        previous = (
            replace_query_param(previous, "offset", earlier)
            if earlier
            else remove_query_param(previous, "offset")
        )
    return {"next": following, "previous": previous}
