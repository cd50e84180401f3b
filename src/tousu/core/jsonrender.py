"""The API's JSON answers: one renderer for ninja's answers and for a view that answers
with a body it built itself."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder


class JSONRenderer(BaseRenderer):
    """Ninja's JSON answers through orjson, in UTF-8 (not ``\\u`` escapes, half the bytes
    of Chinese text): the same values, with times and decimals written by Django's
    encoder as before."""

    media_type = "application/json"
    _default = NinjaJSONEncoder().default
    _options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    def render(self, request: HttpRequest | None, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=self._default, option=self._options)


RENDERER = JSONRenderer()
CONTENT_TYPE = f"{JSONRenderer.media_type}; charset={JSONRenderer.charset}"  # as ninja's


def json_response(data: Any, *, status: int) -> HttpResponse:
    """``data`` rendered as the API renders an answer, without its schema's validation:
    for a body already in the schema's shape (a test holds it to the schema)."""
    content = RENDERER.render(None, data, response_status=status)
    return HttpResponse(content, status=status, content_type=CONTENT_TYPE)
