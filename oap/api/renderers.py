"""The API's JSON: DRF's renderer, byte for byte, written by orjson (a page of 50 actions in a tenth
of the time); kept apart from the views: DRF's settings import it early.

DRF writes compact UTF-8 (`separators=(",", ":")`, `ensure_ascii=False`) with U+2028 and U+2029
escaped, datetimes through its encoder (`…Z` for UTC), and floats as Python's `repr`. orjson writes
the same bytes for all of it but two cases, which go to DRF's own renderer instead:

- floats that Python writes with an exponent (`1e-05`, `1e+16`): orjson may write them otherwise
  (`0.00001`), so any output where a digit meets a signed exponent or `0.0000` appears (rarely: a
  figure is a number of at most 3 decimals) is written again by DRF;
- whatever orjson refuses (integers beyond 64 bits, keys that are not text, nesting deeper than
  255, text that is not valid UTF-8) and indented output (the browsable API, `; indent=`).

A float that is not a number (NaN, infinity) is the one difference: orjson writes `null` where DRF
would refuse to render it (STRICT_JSON); the API never makes one (`oap.formats.json_number`).
"""

from __future__ import annotations

import re

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

#: where orjson's float may differ from Python's repr: an exponent after a digit (orjson writes it
#: signed, in lower case), or leading zeros that Python writes as one (`1e-05`); the same text inside
#: a string only costs the slower path, never a different output. Two searches for a literal start
#: are quick; one pattern with both would read the whole body slowly.
_EXPONENT = re.compile(rb"e[-+]\d")
_ZEROS = re.compile(rb"0\.0000")
_DIGITS = frozenset(b"0123456789")
#: DRF's encoder for what JSON has no type for (datetimes as ISO 8601 with `Z`, lazy text, …)
_default = JSONEncoder().default


def _floats_may_differ(text: bytes) -> bool:
    if _ZEROS.search(text) is not None:
        return True
    return any(m.start() and text[m.start() - 1] in _DIGITS for m in _EXPONENT.finditer(text))


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)
        except (orjson.JSONEncodeError, TypeError, ValueError):
            return super().render(data, accepted_media_type, renderer_context)
        if _floats_may_differ(text):
            return super().render(data, accepted_media_type, renderer_context)
        return text.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
