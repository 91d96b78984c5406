"""List pages served again while the data version stays the same (oap/freshness.py).

A JSON list page is stored under the data version, the user, the absolute URL (filters, page,
host) and the media type; the next identical request before any write anywhere is answered from
the cache, and an `If-None-Match` with the page's ETag gets a 304. Any committed write to a table
a list reads changes the version, so a page is never served after the data it shows changed.
Authentication runs first, as for every request: a revoked token reads nothing from the cache.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from rest_framework import status
from rest_framework.renderers import JSONRenderer

from oap import freshness


class CachedListMixin:
    """`list` through the cache; viewsets implement `fresh_list` (the page computed now)."""

    def fresh_list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        version = freshness.of(request.user)
        self.data_version = version  # the paginator keys its counts by it too
        if version is None or type(request.accepted_renderer) is not JSONRenderer:
            return self.fresh_list(request, *args, **kwargs)
        identity = repr((version, request.user.pk, request.build_absolute_uri(), request.accepted_media_type))
        key = "api-list:" + hashlib.sha256(identity.encode()).hexdigest()
        etag = f'"{key[9:41]}"'
        if etag in request.headers.get("If-None-Match", ""):
            return self._validators(HttpResponse(status=status.HTTP_304_NOT_MODIFIED), etag)
        body = cache.get(key)
        if body is None:
            response = self.fresh_list(request, *args, **kwargs)
            if response.status_code != status.HTTP_200_OK:
                return response
            renderer = request.accepted_renderer
            body = renderer.render(response.data, request.accepted_media_type, self.get_renderer_context())
            cache.set(key, body, settings.API_LIST_CACHE_SECONDS)
        return self._validators(HttpResponse(body, content_type=request.accepted_renderer.media_type), etag)

    @staticmethod
    def _validators(response, etag):
        """The ETag, and: only the caller may keep the page, and must ask again before reusing it."""
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Authorization"])
        return response
