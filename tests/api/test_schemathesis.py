"""Schemathesis against /api/v1/schema/, in process through the WSGI app, over every operation.

Authenticated with a knox token once as the partner Colombia (co.partner) and once as the
Europol analyst (europol.analyst), against the demo data. Every operation gets a few generated
requests — valid ones (positive) and ones breaking the schema (negative), with path parameters
either generated or taken from the caller's own list so the 2xx answers are reached too — and
every answer must be no server error, a documented status code and content type, and a body
that matches the schema. Bounded and reproducible: derandomised, a few examples per operation.

Then the stateful phase, driven by the schema's links (record → submit → validate / return, read,
change, delete), with every check Schemathesis has: as the partner alone, and as a coordinator
(es.coordinator) whose entries the hub (europol.analyst) validates and returns.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from knox.models import AuthToken
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.config._checks import PositiveDataAcceptanceConfig
from schemathesis.generation.stateful.state_machine import normalize_name
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from empact_tracker.wsgi import application
from oap.choices import EntryStatus, ResultUnit
from oap.models import Participation, ResultEntry, ResultType, User, YearLock

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/v1/schema/"
#: per operation, generation mode and role; SCHEMATHESIS_EXAMPLES=100 for a longer hunt
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))
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


# --- the stateful phase: scenarios that follow the schema's links ---------------------------------

#: the scenarios per run and their longest chain (record → submit → validate → return → submit)
SCENARIOS = int(os.environ.get("SCHEMATHESIS_SCENARIOS", "22"))
STEPS = 8
#: what a schema-valid request may get: also 400 for codes no row holds and cursors never issued (the
#: schema cannot say which exist; the 400 names the field), 412 for an `If-Match` that is not the ETag
ACCEPTED = ["2xx", "400", "401", "403", "404", "409", "412", "429"]
#: the only root of the scenarios (the operation that creates a row)
RECORD = "POST /api/v1/results/"
#: who calls each workflow operation in the hub's run: a coordinator records and submits, the hub reviews
REVIEWS = {"POST /api/v1/results/{id}/validate/", "POST /api/v1/results/{id}/return/"}


def fresh_results(organisation_code: str) -> st.SearchStrategy:
    """Bodies that record a new figure for the organisation (a whole open year of an action it takes
    part in, a count it has not reported there), so a scenario's first step can answer 201 and its
    links be followed. Schemathesis draws these beside its own generated bodies."""
    locked = set(YearLock.objects.values_list("year", flat=True))
    taken = set(
        ResultEntry.objects.filter(organisation__code=organisation_code).values_list(
            "action_id", "result_type_id", "year"
        )
    )
    counts = list(ResultType.objects.filter(unit=ResultUnit.COUNT).order_by("code"))
    places = []
    for participation in Participation.objects.filter(organisation__code=organisation_code).select_related(
        "action"
    ):
        action = participation.action
        years = range(action.start.year, action.end.year + 1) if action.start and action.end else []
        for year in (y for y in years if y not in locked):
            places += [
                (action.code, kind.code, year) for kind in counts if (action.pk, kind.pk, year) not in taken
            ]
    assert len(places) >= 10, places
    return st.builds(
        lambda place, value: {
            "action": place[0],
            "organisation": organisation_code,
            "result_type": place[1],
            "year": place[2],
            "value": value,
        },
        st.sampled_from(sorted(places)[:200]),
        st.integers(min_value=0, max_value=10_000),
    )


def workflow(schema, tokens: dict[str, str], answers: list):
    """The schema's state machine: each step sent with the token of who makes it (`tokens`: "write" and
    "review"), every answer checked by all Schemathesis' checks, each scenario rolled back after it so
    the next one starts from the demo data again; `answers` collects (operation, status)."""

    class Caller:
        def get(self, case, context):
            return tokens["review" if case.operation.label in REVIEWS else "write"]

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}

    schema.auth(refresh_interval=None)(Caller)

    machine = schema.as_state_machine()
    # scenarios start by recording (the only operation that creates a row); a submit, validate or
    # return of a random id is the non-stateful phase's, and here would only spend the steps
    starts = {name for name in machine.root_rules if name != normalize_name(f"RANDOM -> {RECORD}")}
    assert len(starts) < len(machine.root_rules), machine.root_rules

    class Workflow(machine):
        root_rules = machine.root_rules - starts
        _root_labels = frozenset({RECORD})
        locals().update(dict.fromkeys(starts))

        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def after_call(self, response, case):
            super().after_call(response, case)
            answers.append((case.operation.label, response.status_code))

    return Workflow


def token(username: str) -> str:
    return AuthToken.objects.create(user=User.objects.get(username=username))[1]


@pytest.mark.parametrize(
    "writer, reviewer",
    [("co.partner", "co.partner"), ("es.coordinator", "europol.analyst")],
    ids=["partner", "hub-reviews"],
)
def test_the_links_workflow_holds_in_every_state(in_process, not_throttled, writer, reviewer):
    """Schemathesis' stateful phase over the links record → submit → validate / return: the partner
    alone (its reviews of its own figures are refused, 403) and a coordinator whose entries the hub
    validates and returns. Every answer passes every check; the chain reaches validation."""
    tokens = {"write": token(writer), "review": token(reviewer)}
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application)
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(expected_statuses=ACCEPTED)
    schema.config.phases.stateful.inference.algorithms = []  # the schema's own links, none inferred
    writer_code = User.objects.get(username=writer).organisation.code
    bodies = fresh_results(writer_code)

    def before_generate_body(context, strategy):
        if context.operation is not None and context.operation.label == RECORD:
            return st.one_of(bodies, strategy)
        return strategy

    schema.hooks.register_hook_with_name(before_generate_body, "before_generate_body")
    answers: list[tuple[str, int]] = []
    machine = workflow(schema, tokens, answers)
    machine.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    reached = {(label.split()[1].rstrip("/").rsplit("/", 1)[-1], code) for label, code in answers}
    print(f"\n{writer}/{reviewer}: {len(answers)} calls, {sorted(reached)}")
    assert ("submit", 200) in reached
    assert ("validate", 403 if writer == reviewer else 200) in reached
    if writer != reviewer:
        assert ("return", 200) in reached
