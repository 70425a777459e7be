"""Answers keyed by the versions of the state they read (learning_platform.versions).

`versioned_read("concepts", "claims")` on a view's `get` gives it:
- a strong ETag over the versions it depends on, the audience (whether the reader may see
  unpublished work), the absolute URL and the negotiated media type, the project's code and
  the settings that shape answers;
- a 304 for a matching `If-None-Match` (or, without one, an `If-Modified-Since` at or after
  the versions' `Last-Modified`), answered before the body is built;
- the rendered bytes cached under that ETag, so a repeated read costs one query for the
  versions. A write to what the answer covers replaces a version in its own transaction, so
  an entry is never served after the state it was built from has changed.

The audience is all an answer may vary by: readers who may see unpublished work share one,
everyone else another. A view whose answer depends on who asks, beyond that, must not use it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag
from rest_framework.renderers import BrowsableAPIRenderer

from .roles import is_editor, is_reviewer
from .versions import current_versions, has_unversioned_writes

logger = logging.getLogger(__name__)

# Settings that appear in answers: part of every key, so changing one changes every ETag.
ANSWER_SETTINGS = ("SITE_NAME", "RESEARCH_ROOM_NAME", "ANCHOR_ID_TEMPLATE")
VARY = ("Accept", "Authorization", "Cookie")


def audience(user) -> str:
    """Editors and reviewers see unpublished work (concepts.selectors.concept_visible)."""
    return "editorial" if is_editor(user) or is_reviewer(user) else "public"


@functools.cache
def code_version() -> str:
    """A digest of the project's own code and templates: a deploy starts a fresh keyspace."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for app in ("learning_platform", "concepts", "claims", "demos", "research_room", "templates"):
        for path in sorted((base / app).rglob("*")):
            if path.suffix in {".py", ".html", ".txt"} and "migrations" not in path.parts:
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _settings_version() -> str:
    return repr([getattr(settings, name, None) for name in ANSWER_SETTINGS])


def versioned_read(*names: str) -> Callable:
    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def get(view, request, *args, **kwargs):
            renderer = getattr(request, "accepted_renderer", None)
            if (
                renderer is None
                or isinstance(renderer, BrowsableAPIRenderer)
                or has_unversioned_writes()
            ):
                return handler(view, request, *args, **kwargs)
            versions = current_versions()
            reader = audience(request.user)
            etag = quote_etag(
                hashlib.sha256(
                    "\n".join(
                        [
                            code_version(),
                            _settings_version(),
                            reader,
                            request.accepted_media_type or "",
                            request.build_absolute_uri(),
                            *(versions[name][0] for name in names),
                        ]
                    ).encode()
                ).hexdigest()[:40]
            )
            changed = math.ceil(max(versions[name][1] for name in names))

            def finish(response: HttpResponse) -> HttpResponse:
                response["ETag"] = etag
                response["Last-Modified"] = http_date(changed)
                signed_in = request.user.is_authenticated
                response["Cache-Control"] = f"{'private' if signed_in else 'public'}, no-cache"
                patch_vary_headers(response, VARY)
                return response

            conditional = get_conditional_response(request, etag=etag, last_modified=changed)
            if conditional is not None:
                return finish(conditional)

            key = f"answer:{etag.strip(chr(34))}"
            hit = _cache_call(cache.get, key)
            if hit is not None:
                content, content_type = hit
                return finish(HttpResponse(content, content_type=content_type))
            response = handler(view, request, *args, **kwargs)
            if response.status_code != 200:
                return response
            response = view.finalize_response(request, response, *args, **kwargs)
            response.render()
            if not has_unversioned_writes():
                _cache_call(
                    cache.set,
                    key,
                    (response.content, response["Content-Type"]),
                    settings.ANSWER_CACHE_SECONDS,
                )
            return finish(response)

        return get

    return decorate


def _cache_call(operation, *args):
    """A cache that is down costs the read its speed, not its answer."""
    try:
        return operation(*args)
    except Exception:  # any backend's connection error: the read goes on without the cache
        logger.warning("answer cache unavailable", exc_info=True)
        return None
