"""Schemathesis against /api/v1/schema/, in process through the WSGI app, over every operation.

Authenticated with a knox token once as the partner Colombia (co.partner) and once as the
Europol analyst (europol.analyst), against the demo data. Every operation gets a few generated
requests — valid ones (positive) and ones breaking the schema (negative), with path parameters
either generated or taken from the caller's own list so the 2xx answers are reached too — and
every answer must be no server error, a documented status code and content type, and a body
that matches the schema. Bounded and reproducible: derandomised, a few examples per operation.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from knox.models import AuthToken
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from empact_tracker.wsgi import application
from oap.choices import EntryStatus
from oap.models import ResultEntry, User

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/v1/schema/"
#: per operation, generation mode and role; SCHEMATHESIS_EXAMPLES=100 for a longer hunt
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


@pytest.fixture(scope="module")
def in_process(demo_data):
    """The WSGI app on the test's own connection: Django must not close it after each request.

    (On SQLite the in-memory test database ignores the close; on PostgreSQL it would end the
    transaction holding the demo data.)
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def not_throttled(monkeypatch, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost", "testserver"]
    rates = {"user": "1000000/minute", "anon": "1000000/minute"}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def open_entries(demo_data):
    """Entries in every state the write operations act on come with the demo: Colombia's drafts and
    returned entries, and submitted Spanish entries for the hub to validate."""
    entries = ResultEntry.objects.all()
    assert entries.filter(organisation__code="CO", status=EntryStatus.DRAFT).exists()
    assert entries.filter(organisation__code="CO", status=EntryStatus.RETURNED).exists()
    assert entries.filter(organisation__code="ES", status=EntryStatus.SUBMITTED).exists()


def known_values(headers, operation):
    """Path parameters of rows the caller may see, from the operation's own list endpoint.

    Asked through the WSGI app like the cases (Django's test client would connect the
    `close_old_connections` handlers again after its request).
    """
    names = re.findall(r"{(\w+)}", operation.path)
    if len(names) != 1:
        return []
    listing = Client(application).get(
        operation.path.split("{")[0], query_string="page_size=3", headers=headers
    )
    if listing.status_code != 200:
        return []
    return [{names[0]: row[names[0]]} for row in listing.json["results"] if names[0] in row]


def negatable(operation):
    """Whether the operation has something to send that breaks the schema (a query, a body, a typed id).

    A string path parameter alone is not: Schemathesis will not put a `/` in a path segment.
    """
    if list(operation.query) or operation.body:
        return True
    return any(p.definition.get("schema", {}).get("type") != "string" for p in operation.path_parameters)


def fuzz(operation, headers, runs):
    """Run EXAMPLES cases of `operation` per generation mode; the failures found, as text."""
    failures: list[str] = []
    fixed = known_values(headers, operation)
    for mode in MODES if negatable(operation) else MODES[:1]:
        strategies = [operation.as_strategy(generation_mode=mode)]
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters=p) for p in fixed]

        @given(case=st.one_of(strategies))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except Unsatisfiable:  # pragma: no cover - `negatable` should have said so
            failures.append(f"{mode.value} {operation.label}: no example could be generated")
        except (Exception, BaseExceptionGroup) as error:  # a FailureGroup is a BaseExceptionGroup
            failures.append(f"{mode.value} {operation.label}: {error}")
        runs.append((operation.label, mode.value))
    return failures


@pytest.mark.parametrize("username", ["co.partner", "europol.analyst"])
def test_every_operation_conforms_to_the_schema(in_process, not_throttled, open_entries, username):
    _, key = AuthToken.objects.create(user=User.objects.get(username=username))
    headers = {"Authorization": f"Token {key}"}
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]
    failures, runs = [], []
    for operation in operations:
        failures += fuzz(operation, headers, runs)
    print(f"\n{username}: {len(operations)} operations, {len(runs)} runs of {EXAMPLES} examples")
    assert not failures, "\n\n".join(failures)
