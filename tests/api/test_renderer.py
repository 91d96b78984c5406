"""The API's JSON renderer (orjson) writes DRF's bytes exactly, whatever the data: the fast path where
orjson agrees, DRF's own renderer where it may not (floats with exponents, what orjson refuses)."""

from __future__ import annotations

import datetime
import random
import struct
import uuid
from collections import OrderedDict
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from knox.models import AuthToken
from rest_framework import renderers
from rest_framework.test import APIClient

from oap.api.renderers import JSONRenderer
from oap.models import User

DRF = renderers.JSONRenderer()
OURS = JSONRenderer()


def same(data, accepted=None, context=None):
    assert OURS.render(data, accepted, context) == DRF.render(data, accepted, context)


def test_floats_are_written_as_python_writes_them():
    rng = random.Random(13)
    values = [0.0, -0.0, 0.001, 0.5, 1e-4, 1e-5, 7.049e-05, 1e15, 1e16, 1.5e16, 123456789.125, 5e-324]
    values += [1.7976931348623157e308, 9999999999999998.0, 0.1 + 0.2, 1 / 3]
    for _ in range(2000):
        values.append(rng.random() * 10 ** rng.uniform(-12, 22))
        values.append(round(rng.uniform(0, 10 ** rng.randint(0, 17)), 3))
        bits = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        if bits == bits and abs(bits) != float("inf"):
            values.append(bits)
    for value in values:
        same(value)
        same({"totals": {"2024": {"seizures_kg": value}}})
    same(values)


def test_text_is_written_as_drf_writes_it():
    text = "".join(chr(i) for i in range(0x250)) + "\u2028\u2029 ‘é’ 北京 \U0001f600 \ufeff"
    same(text)
    same({text: [text, {"k": text}]})
    same("2e5 and 0.0000 in text only take the slower path")


def test_other_types_go_through_drfs_encoder():
    utc = datetime.datetime(2026, 5, 1, 12, 30, 1, 250000, tzinfo=datetime.UTC)
    same(
        OrderedDict(
            at=utc,
            plain=utc.replace(microsecond=0),
            naive=datetime.datetime(2026, 5, 1, 12, 30),
            other_zone=utc.astimezone(datetime.timezone(datetime.timedelta(hours=2))),
            day=datetime.date(2026, 5, 1),
            time=datetime.time(8, 15),
            span=datetime.timedelta(hours=1, seconds=3),
            figure=Decimal("120.500"),
            id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
            lazy=gettext_lazy("This field is required."),
            blob=b"bytes",
            codes=("CHSG-1", "CHSG-2"),
            goals={"CHSG-1"},
            empty=[],
            nothing=None,
            yes=True,
            count=2**63 - 1,
            negative=-(2**63),
        )
    )


def test_what_orjson_refuses_is_written_by_drf():
    same({"big": 2**64 + 1, "bigger": -(2**70)})
    same({1: "key not text", None: "none", 2.5: "float key", False: "bool key"})
    nested: list = []
    deepest = nested
    for _ in range(300):
        deepest.append([])
        deepest = deepest[0]
    same(nested)


def test_indented_output_is_drfs():
    same({"a": [1, 2.5]}, "application/json; indent=4")
    same({"a": [1, 2.5]}, None, {"indent": 2})
    assert OURS.render(None) == b""


@pytest.mark.django_db
def test_api_pages_are_drfs_bytes(demo_data):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=User.objects.get(username='co.partner'))[1]}"
    )
    for url in ("/api/v1/actions/", "/api/v1/results/?page_size=200", "/api/v1/me/", "/api/v1/actions/nope/"):
        response = client.get(url)
        assert isinstance(response.accepted_renderer, JSONRenderer), url
        assert response.content == DRF.render(response.data), url
        assert response["Content-Type"] == "application/json"
